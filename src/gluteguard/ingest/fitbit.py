"""Fitbit's own data export (account archive / Google Takeout "Fitbit/Global Export Data") → steps, sitting.

Two kinds of file are read; every other file of the export is left alone:

* ``steps-YYYY-MM-DD.json`` — a JSON list of ``{"dateTime": "MM/DD/YY HH:MM:SS", "value": "N"}``, one per
  minute (minutes without data are left out), covering the days from the date in the name (the export
  splits a month or so per file). Each becomes a one-minute :class:`StepSample`.
* ``sedentary_minutes-YYYY-MM-DD.json`` — the same shape with one entry per day (time ``00:00:00``),
  each a :class:`SedentaryDay`. A value of 1440 (a whole day) usually means the tracker was not worn.

Assumptions, and what they rest on: the shape and the ``%m/%d/%y %H:%M:%S`` format are those of real
export files as read by GGIRread's ``readFitbit`` (wadpac/GGIRread, R/readFitbit.R, which parses steps
with that format and a caller-given time zone) and its test file ``steps-1995-06-23_Fitbit.json``; the
PMData dataset's Fitbit files use ``YYYY-MM-DD HH:MM:SS`` instead, so both are accepted. The times are
wall-clock times without an offset: they are taken as the wearer's local time in the ``timezone`` the
caller gives (Fitbit's Web API serves intraday data in the user's profile time zone unless asked for UTC —
developer guide, "Time Zones"; Fitbit.NET issue #285). Unverified on a licensed real export: GGIRread's
sample named 06-23 starts at 06/24 16:00, so if an export proves to be in UTC, pass ``timezone="UTC"``.
Across a daylight-saving change: the repeated hour in autumn is told apart by order (a time that does not
move forward is the second pass, ``fold=1``), and minutes inside the spring gap cannot exist in local time,
so they are skipped with a warning.

All or nothing per file: a file that is not this shape, or has a damaged time or value, raises one-line
:class:`ParseError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gluteguard.ingest.model import ParseError
from gluteguard.ingest.summary import finite_float
from gluteguard.ingest.wearable import SedentaryDay, StepSample, WearableData

STEPS = "steps"
SEDENTARY_MINUTES = "sedentary_minutes"
FILE_NAME = re.compile(r"^(steps|sedentary_minutes)-(\d{4}-\d{2}-\d{2})\.json$", re.IGNORECASE)
_TIME_FORMATS = ("%m/%d/%y %H:%M:%S", "%Y-%m-%d %H:%M:%S")
DEFAULT_SOURCE = "Fitbit"
_MINUTE = timedelta(minutes=1)


def fitbit_file_kind(name: str, head: bytes = b"") -> str | None:
    """``"steps"`` or ``"sedentary_minutes"`` when the file's base name has Fitbit's pattern and (when
    ``head`` is given) its first bytes open a JSON list of ``dateTime`` objects; else None."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].rsplit("!", 1)[-1]
    match = FILE_NAME.match(base)
    if match is None:
        return None
    if head:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not start.startswith(b"[") or (b'"dateTime"' not in start[:400] and start.strip() != b"[]"):
            return None
    return match.group(1).lower()


def _zone(timezone: str | tzinfo) -> tzinfo:
    if isinstance(timezone, tzinfo):
        return timezone
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc


def _entries(data: bytes, kind: str) -> list[tuple[datetime, float]]:
    """(naive local time, value) of each entry; raises ParseError on anything else."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not a Fitbit {kind} file (not JSON: {str(exc)[:80]})") from None
    if not isinstance(document, list):
        raise ParseError(f"not a Fitbit {kind} file (expected a JSON list of dateTime/value objects)")
    entries = []
    for index, entry in enumerate(document):
        if not isinstance(entry, dict) or "dateTime" not in entry or "value" not in entry:
            raise ParseError(f"not a Fitbit {kind} file (entry {index + 1} is not a dateTime/value object)")
        moment = _local_time(entry["dateTime"])
        if moment is None:
            raise ParseError(f"malformed dateTime {str(entry['dateTime'])[:40]!r} in entry {index + 1}")
        value = finite_float(entry["value"])
        if value is None or value < 0:
            raise ParseError(f"malformed value {str(entry['value'])[:40]!r} in entry {index + 1}")
        entries.append((moment, value))
    return entries


def _local_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    for time_format in _TIME_FORMATS:
        try:
            return datetime.strptime(text.strip(), time_format)
        except ValueError:
            continue
    return None


def _to_utc(local: datetime, zone: tzinfo, previous_utc: datetime | None) -> datetime | None:
    """UTC of a local wall time; None inside a DST gap. In the repeated hour, a time that would not move
    forward from the previous minute is its second occurrence."""
    first = local.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) != local:
        return None  # does not exist in this zone (spring-forward gap)
    second = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if second != first and previous_utc is not None and first <= previous_utc:
        return second
    return first


def parse_fitbit_steps(data: bytes, *, timezone: str | tzinfo, source: str = DEFAULT_SOURCE) -> WearableData:
    """One ``steps-YYYY-MM-DD.json`` file → one-minute step samples in UTC."""
    zone = _zone(timezone)
    samples: list[StepSample] = []
    gap = 0
    previous: datetime | None = None
    for local, steps in _entries(data, STEPS):
        start = _to_utc(local, zone, previous)
        if start is None:
            gap += 1
            continue
        samples.append(StepSample(start=start, end=start + _MINUTE, steps=steps, source=source))
        previous = start
    warnings = (f"skipped {gap} minute(s) at local times that do not exist in {zone} (DST gap)",) if gap else ()
    total = sum(sample.steps for sample in samples)
    meta = {"timezone": str(zone), "step_totals_by_source": {source: total} if samples else {}}
    return WearableData(kind="fitbit", steps=tuple(samples), warnings=warnings, meta=meta)


def parse_fitbit_sedentary_minutes(data: bytes, *, source: str = DEFAULT_SOURCE) -> WearableData:
    """One ``sedentary_minutes-YYYY-MM-DD.json`` file → one :class:`SedentaryDay` per local day."""
    days = []
    for local, minutes in _entries(data, SEDENTARY_MINUTES):
        if minutes > 1440:
            raise ParseError(f"malformed value {minutes:g} sedentary minutes on {local.date().isoformat()}")
        days.append(SedentaryDay(day=local.date().isoformat(), sedentary_min=minutes, source=source))
    unworn = sum(1 for day in days if day.sedentary_min >= 1440)
    return WearableData(kind="fitbit", sedentary_days=tuple(days), meta={"whole_day_sedentary_days": unworn})


def parse_fitbit_export(
    files: Iterable[tuple[str, bytes]], *, timezone: str | tzinfo, source: str = DEFAULT_SOURCE
) -> WearableData:
    """Combine the steps and sedentary-minutes files among ``(name, bytes)`` pairs (others are ignored).

    A damaged file raises :class:`ParseError` naming neither file nor export; the caller adds the name.
    """
    steps: list[StepSample] = []
    sedentary: list[SedentaryDay] = []
    warnings: list[str] = []
    used: list[str] = []
    for name, data in files:
        kind = fitbit_file_kind(name, data[:512])
        if kind == STEPS:
            part = parse_fitbit_steps(data, timezone=timezone, source=source)
            steps.extend(part.steps)
        elif kind == SEDENTARY_MINUTES:
            part = parse_fitbit_sedentary_minutes(data, source=source)
            sedentary.extend(part.sedentary_days)
        else:
            continue
        warnings.extend(f"{name.rsplit('/', 1)[-1]}: {warning}" for warning in part.warnings)
        used.append(name)
    steps.sort(key=lambda sample: sample.start)
    sedentary.sort(key=lambda day: day.day)
    meta = {
        "timezone": str(_zone(timezone)),
        "files": used,
        "step_totals_by_source": {source: sum(sample.steps for sample in steps)} if steps else {},
    }
    return WearableData(
        kind="fitbit", steps=tuple(steps), sedentary_days=tuple(sedentary), warnings=tuple(warnings), meta=meta
    )
