"""Read ``profile.csv`` from a Strava bulk export: the runner's weight, sex and year of birth where it has them.

Pure: bytes in, a ``StravaProfile`` out. Nothing raises for a bad file: a value that cannot be read is left out
with a one-line reason (``problems``), so a profile.csv with junk in it never stops the activities' import. Which
column names count, and what is verified of them: ``strava_profile.toml``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from gluteguard.rules_data import rules_data

PROFILE_CSV_NAME = "profile.csv"
MAX_BYTES = 1_000_000  # one header row and one row of account details: a few hundred bytes in practice
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(kg|kgs|kilograms?|lb|lbs|pounds?)?\s*$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")  # the one four-digit number of a date; its range is the profile's check
# The words the runner reads for each field (the profile's own names are in JSON).
FIELD_WORDS = {"weight_kg": "weight", "sex": "sex", "birth_year": "birth year"}


@dataclass(frozen=True)
class StravaProfile:
    """What a profile.csv holds for the runner's profile (the profile's field names), and what could not be read."""

    values: dict[str, Any] = field(default_factory=dict)  # weight_kg (float), sex (female|male|other), birth_year
    problems: tuple[str, ...] = ()  # one short phrase per value that was there and could not be read


def _table() -> dict[str, Any]:
    return rules_data("gluteguard.ingest", "strava_profile.toml")


def _key(text: str) -> str:
    """A header or a word as compared: case, accents kept, spaces and punctuation ignored."""
    text = unicodedata.normalize("NFC", text).replace("\ufeff", "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _columns(header: list[str]) -> dict[str, int]:
    """The position of each known field in the header (the first column whose name matches)."""
    wanted = {_key(name): column for column, names in _table()["columns"].items() for name in names}
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        column = wanted.get(_key(name))
        if column is not None and column not in found:
            found[column] = index
    return found


def _shown(value: str) -> str:
    """A cell as quoted in a reason: one line, at most 30 characters."""
    flat = " ".join(value.split())
    return flat if len(flat) <= 30 else flat[:29] + "…"


def _weight(text: str) -> float | str:
    match = _NUMBER.match(text)
    if not match:
        return f"the weight '{_shown(text)}' is not a number of kilograms"
    value = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "kg").lower()
    if unit.startswith(("lb", "pound")):
        value *= _table()["weight"]["pounds_to_kg"]
    return round(value, 1)


def _sex(text: str) -> str | None:
    word = _key(text)
    for sex, words in _table()["sex"].items():
        if word in {_key(w) for w in words}:
            return sex
    return None


def _birth_year(text: str) -> int | str:
    years = set(_YEAR.findall(text))
    if len(years) != 1:
        return f"the birth date '{_shown(text)}' has no year we can read"
    return int(years.pop())


def read_profile_csv(data: bytes) -> StravaProfile:
    """The weight, sex and year of birth in a Strava export's profile.csv; what is empty there is left out. Whether a
    value is plausible for a profile is the profile's own check (``services.athletes.validate``)."""
    if len(data) > MAX_BYTES:
        return StravaProfile(problems=(f"it is larger than {MAX_BYTES // 1000} kB, not a profile",))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # an old export saved by a spreadsheet: names and numbers still read
    if "\x00" in text:
        return StravaProfile(problems=("it is not a text file",))
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error:
        return StravaProfile(problems=("it is not a CSV table",))
    if not rows:
        return StravaProfile(problems=("it is empty",))
    columns = _columns(rows[0])
    if not columns:
        return StravaProfile()  # a profile without those columns: nothing to take, nothing wrong
    row = rows[1] if len(rows) > 1 else []
    cell = {name: row[index].strip() if index < len(row) else "" for name, index in columns.items()}
    values: dict[str, Any] = {}
    problems: list[str] = []
    if cell.get("weight"):
        weight = _weight(cell["weight"])
        if isinstance(weight, str):
            problems.append(weight)
        elif weight > 0:  # 0: no weight set in Strava
            values["weight_kg"] = weight
    if cell.get("sex"):
        sex = _sex(cell["sex"])
        if sex is None:
            problems.append(f"the sex '{_shown(cell['sex'])}' is not one we know")
        else:
            values["sex"] = sex
    year_text = cell.get("birth_year") or cell.get("birth_date")
    if year_text:
        year = _birth_year(year_text)
        if isinstance(year, str):
            problems.append(year)
        else:
            values["birth_year"] = year
    return StravaProfile(values, tuple(problems))


def profile_words(values: dict[str, Any]) -> str:
    """The values as the runner reads them: "weight 72 kg, birth year 1988"."""
    parts = []
    for key in ("weight_kg", "sex", "birth_year"):
        if key in values:
            value = values[key]
            shown = f"{value:g} kg" if key == "weight_kg" else str(value)
            parts.append(f"{FIELD_WORDS[key]} {shown}")
    return ", ".join(parts)
