"""Read ``activities.csv`` from a Strava bulk export, whatever the header language or column count.

Strava translates the header into the account's language, repeats several column names (the first
"Distance" is km text, the second metres) and adds columns every few months. Columns are therefore
found in three steps, each only for what the previous one left open:

1. by name, per language, from ``strava_headers.toml`` (repeated names resolved by occurrence);
2. by position, but only when the repeated names sit exactly where Strava's known layout puts them —
   the repeats are language-independent, so this also serves headers in languages we have no names for;
3. by content, for the three columns that identify an export: id (digits), date, filename.

Pure: bytes in, dataclasses out. The only exception raised is ``ParseError``, for a file that is not an
activities.csv at all; anything wrong inside a row becomes a one-line warning.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gluteguard.ingest.model import ParseError, Sport
from gluteguard.ingest.sports import classify
from gluteguard.rules_data import rules_data

_MAX_WARNINGS = 200  # a badly broken file must not bury the user in thousands of lines
_SAMPLE_ROWS = 200  # rows looked at when guessing columns by content
_FILE_RE = re.compile(r"activities/\d+\.(?:fit|gpx|tcx)(?:\.gz)?", re.IGNORECASE)
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")  # float() alone would accept "nan", "1_0"
_THOUSANDS_COMMA = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+")
_THOUSANDS_DOT = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")
_TRUTH = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}

# Date shapes seen in exports (sources in strava_headers.toml [languages.*]); all are UTC.
_DATE_EN = re.compile(r"([a-z]{3,9})\.? (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2}) ?([ap])\.?m\.?")
_DATE_DE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}),? (\d{1,2}):(\d{2}):(\d{2})")
_DATE_FR = re.compile(r"(\d{1,2}) ([^\W\d_]+)\.? (\d{4}),? (?:à )?(\d{1,2}):(\d{2}):(\d{2})")
_DATE_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[ t]\d{2}:\d{2}.*")


@dataclass(frozen=True)
class StravaActivityRow:
    """One row of activities.csv; every value is None when the export leaves it empty."""

    activity_id: str
    start_utc: datetime | None  # aware, UTC
    name: str | None
    sport_label: str | None  # Strava's activity type as written, possibly translated ("Run", "Radfahrt")
    description: str | None
    elapsed_s: float | None
    moving_s: float | None
    distance_m: float | None
    max_hr: float | None
    avg_hr: float | None
    perceived_exertion: float | None  # 1–10
    commute: bool | None
    gear: str | None  # gear name, e.g. a shoe
    filename: str | None  # e.g. "activities/8474917700.fit.gz"; None for manual entries
    elevation_gain_m: float | None
    raw_row_hash: str  # sha256 of the row's text: identifies manual rows across re-imports of one file
    distance_km: float | None = None  # the first, summary distance column as Strava printed it
    private_note: str | None = None


@dataclass(frozen=True)
class StravaCsv:
    rows: tuple[StravaActivityRow, ...]
    warnings: tuple[str, ...]
    language: str  # "en", "de", "fr" or "unknown" (header read by position/content only)


def sport_for_row(row: StravaActivityRow) -> tuple[Sport, str | None]:
    """Map the row's activity type onto (sport, sub_sport) via the Strava table in sports.toml."""
    return classify("strava", row.sport_label)


def _table() -> dict[str, Any]:
    return rules_data("gluteguard.ingest", "strava_headers.toml")


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).replace("\ufeff", "").split()).casefold()


class _Warnings(list[str]):
    dropped = 0

    def add(self, message: str) -> None:
        if len(self) < _MAX_WARNINGS:
            self.append(message)
        else:
            self.dropped += 1


def _decode(data: bytes, warnings: _Warnings) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a spreadsheet re-saved it as UTF-16
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.add("file is not UTF-8; read as Windows-1252, so some accented letters may be wrong")
        return data.decode("cp1252", errors="replace")


def _records(text: str) -> Iterator[tuple[int, list[str] | None, str]]:
    """Yield (first line number, fields or None if the csv module rejected it, raw text) per record."""
    consumed: list[str] = []

    def feed() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(feed(), strict=False)
    line_no = 1
    while True:
        consumed.clear()
        fields: list[str] | None
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            if not consumed:
                return
            fields = None
        yield line_no, fields, "".join(consumed)
        line_no += len(consumed)


def _number(text: str, decimal_comma: bool, localized: bool = False) -> float | None:
    """Parse "2.43", "1,234.5", "1.234,5", "9,44"; ``localized`` columns may group thousands with dots."""
    s = "".join(text.split())
    if "," in s and "." in s:  # both present: the later one is the decimal mark
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif "," in s:
        s = s.replace(",", "") if not decimal_comma and _THOUSANDS_COMMA.fullmatch(s) else s.replace(",", ".")
    elif localized and decimal_comma and _THOUSANDS_DOT.fullmatch(s):
        s = s.replace(".", "")
    if not _NUMBER_RE.fullmatch(s):
        return None
    value = float(s)
    return value if math.isfinite(value) else None


def _month(token: str, language: str) -> int | None:
    token = token.rstrip(".")
    for number, name in enumerate(_table()["languages"][language]["months"], start=1):
        if token == name or (language == "en" and len(token) > 3 and token[:3] == name):
            return number
    return None


def _parse_date(text: str) -> datetime | None:
    s = _norm(text)
    try:
        if m := _DATE_EN.fullmatch(s):
            month, hour = _month(m[1], "en"), int(m[4])
            if month is None or not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if m[7] == "p" else 0)
            return datetime(int(m[3]), month, int(m[2]), hour, int(m[5]), int(m[6]), tzinfo=UTC)
        if m := _DATE_DE.fullmatch(s):
            return datetime(int(m[3]), int(m[2]), int(m[1]), int(m[4]), int(m[5]), int(m[6]), tzinfo=UTC)
        if (m := _DATE_FR.fullmatch(s)) and (month := _month(m[2], "fr")):
            return datetime(int(m[3]), month, int(m[1]), int(m[4]), int(m[5]), int(m[6]), tzinfo=UTC)
        if _DATE_ISO.fullmatch(s):
            parsed = datetime.fromisoformat(s.upper())
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return None


def _layout_holds(header: list[str]) -> bool:
    """True when every repeated name sits exactly where Strava's known layout puts it."""
    pairs = _table()["layout"]["duplicate_pairs"]
    if any(b >= len(header) or not header[a] or header[a] != header[b] for a, b in pairs):
        return False
    return len({header[a] for a, _ in pairs}) == len(pairs)  # blank or uniform headers prove nothing


def _by_content(
    sample: list[list[str]], taken: set[int], width: int, test: Callable[[str], bool], share: float
) -> int | None:
    """First free column whose non-empty sample values pass ``test`` in at least ``share`` of cases."""
    for j in range(width):
        if j in taken:
            continue
        values = [row[j].strip() for row in sample if row[j].strip()]
        if values and sum(1 for v in values if test(v)) >= share * len(values):
            return j
    return None


def _resolve(header: list[str], sample: list[list[str]], warnings: _Warnings) -> tuple[dict[str, int], str]:
    table, normed = _table(), [_norm(h) for h in header]
    columns: dict[str, int] = {}
    hits: dict[str, int] = {}
    for field, spec in table["fields"].items():
        for language, names in spec["names"].items():
            wanted = {_norm(n) for n in names}
            matches = [i for i, h in enumerate(normed) if h in wanted]
            if len(matches) >= spec["occurrence"]:
                columns.setdefault(field, matches[spec["occurrence"] - 1])
                hits[language] = hits.get(language, 0) + 1
    language = max(hits, key=lambda k: hits[k]) if hits else "unknown"
    named = any(key in columns for key in ("activity_id", "date", "filename"))

    layout_ok = _layout_holds(normed)
    if layout_ok:
        placed = [
            field
            for field, pos in table["layout"]["positions"].items()
            if field not in columns and pos < len(header) and pos not in columns.values()
        ]
        for field in placed:
            columns[field] = table["layout"]["positions"][field]
        if placed:
            warnings.add(f"columns taken from Strava's usual positions (names unknown): {', '.join(placed)}")

    guesses: dict[str, tuple[Callable[[str], bool], float]] = {
        "filename": (lambda v: bool(_FILE_RE.fullmatch(v.replace("\\", "/").removeprefix("./"))), 1.0),
        "activity_id": (lambda v: v.isascii() and v.isdigit(), 1.0),
        "date": (lambda v: _parse_date(v) is not None, 0.5),
    }
    for field, (test, share) in guesses.items():
        if field not in columns:
            found = _by_content(sample, set(columns.values()), len(header), test, share)
            if found is not None:
                columns[field] = found
                warnings.add(f"{field} column recognised by its content (column {found + 1})")

    if "activity_id" not in columns or not ({"date", "filename"} & columns.keys()):
        raise ParseError("not a Strava activities.csv: no activity id, date or filename column")
    if not (named or layout_ok) and not {"date", "filename"} <= columns.keys():
        raise ParseError("not a Strava activities.csv: no recognisable column names")
    return columns, language


def _row(fields: list[str], cols: dict[str, int], decimal_comma: bool, raw: str) -> StravaActivityRow:
    def cell(field: str) -> str:
        index = cols.get(field)
        return fields[index].strip() if index is not None else ""

    def text(field: str) -> str | None:
        return cell(field) or None

    def num(field: str, localized: bool = False) -> float | None:
        return _number(cell(field), decimal_comma, localized)

    def heart_rate(value: float | None) -> float | None:
        return value if value is not None and value > 0 else None  # 0 means "no sensor", not 0 bpm

    km = num("distance", localized=True)
    metres = num("distance_m")
    exertion = num("perceived_exertion")
    commute = _TRUTH.get(cell("commute").casefold())
    filename = cell("filename").replace("\\", "/").removeprefix("./")
    return StravaActivityRow(
        activity_id=cell("activity_id"),
        start_utc=_parse_date(cell("date")),
        name=text("name"),
        sport_label=text("type"),
        description=text("description"),
        elapsed_s=elapsed if (elapsed := num("elapsed_time")) is not None else num("elapsed_time_2"),
        moving_s=num("moving_time"),
        distance_m=metres if metres is not None else (km * 1000.0 if km is not None else None),
        max_hr=heart_rate(num("max_hr")) or heart_rate(num("max_hr_2")),
        avg_hr=heart_rate(num("avg_hr")),
        perceived_exertion=exertion if exertion is not None and 1 <= exertion <= 10 else None,
        commute=commute if commute is not None else _TRUTH.get(cell("commute_2").casefold()),
        gear=text("gear"),
        filename=filename or None,
        elevation_gain_m=num("elevation_gain"),
        raw_row_hash=hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest(),
        distance_km=km,
        private_note=text("private_note"),
    )


def read_activities_csv(data: bytes) -> StravaCsv:
    """Parse a Strava export's activities.csv; raises ``ParseError`` only if it is not one at all."""
    warnings = _Warnings()
    records = list(_records(_decode(data, warnings)))
    start = next((i for i, (_, f, _) in enumerate(records) if f and any(c.strip() for c in f)), None)
    if start is None:
        raise ParseError("not a Strava activities.csv: no header row")
    header: list[str] = records[start][1] or []
    body = records[start + 1 :]
    sample = [f for _, f, _ in body if f is not None and len(f) == len(header)][:_SAMPLE_ROWS]
    columns, language = _resolve(header, sample, warnings)
    decimal_comma = bool(_table()["languages"].get(language, {}).get("decimal_comma", True))

    rows: list[StravaActivityRow] = []
    for line, fields, raw in body:
        if fields is not None and not any(c.strip() for c in fields):
            continue  # blank line
        if fields is None or len(fields) != len(header):
            found = "unreadable" if fields is None else f"{len(fields)} fields, header has {len(header)}"
            warnings.add(f"line {line}: row skipped ({found})")
            continue
        activity_id = fields[columns["activity_id"]].strip()
        if not (activity_id.isascii() and activity_id.isdigit()):
            warnings.add(f"line {line}: row skipped (activity id {activity_id[:30]!r} is not a number)")
            continue
        # Line endings are normalised so the hash survives a checkout that converts them.
        row = _row(fields, columns, decimal_comma, raw.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n"))
        if row.start_utc is None and "date" in columns:
            shown = fields[columns["date"]].strip()[:40]
            problem = f"date {shown!r} not understood" if shown else "no date"
            warnings.add(f"line {line}: {problem}; start time left empty")
        rows.append(row)
    if warnings.dropped:
        warnings.append(f"… and {warnings.dropped} more warnings")
    return StravaCsv(rows=tuple(rows), warnings=tuple(warnings), language=language)
