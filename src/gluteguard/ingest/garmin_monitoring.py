"""Garmin all-day monitoring FIT files (file types monitoring_a, monitoring_b, monitoring_daily) → step samples.

A watch or band logs a ``monitoring`` message whenever the wearer's activity class changes, and at intervals
while it lasts: the class (``activity_type``: sedentary, generic, walking, running, cycling…) and, for the
moving classes, a counter. The FIT protocol's quirks (Garmin FIT SDK profile, ``monitoring`` message 55, and
the SDK's monitoring-file notes; shared/research/parsers.md §2.3):

* ``cycles`` (and the 16-bit ``cycles_16``) *accumulate* per activity type over the day and restart at the
  wearer's local midnight, so the steps of one interval are the difference from the previous message of the
  same type; a counter that goes down also means a restart. For walking and running the profile's ``steps``
  sub-field is the raw counter (``cycles`` has scale 2: one cycle is two steps); for cycling/swimming it
  counts strokes, which are not steps.
* Most messages carry only ``timestamp_16``, the low 16 bits of the time; the full time is rebuilt from the
  last full ``timestamp`` of any message before it, allowing one roll-over of the 16 bits (18.2 h).
* ``monitoring_info`` gives ``local_timestamp`` next to ``timestamp``: their difference is the UTC offset
  that places local midnight (the counters' reset).

Each activity message becomes a :class:`StepSample` from the previous activity message (or the last
``monitoring_info``) to its own time, with ``level`` = the activity type; sedentary intervals are kept with 0
steps, because *when* the wearer sat is what the sitting metrics need. Heart-rate-only messages are skipped.

fitdecode reads the file: it is tolerant of damage, and it yields messages in file order, which rebuilding
``timestamp_16`` needs (fitfast returns each message kind as separate columns, losing the interleaving).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import fitdecode

from gluteguard.ingest.fit import FIT_EPOCH_OFFSET_S, FITDECODE_ERRORS, device_name
from gluteguard.ingest.model import ParseError
from gluteguard.ingest.wearable import StepSample, WearableData

MONITORING_FILE_TYPES = frozenset({"monitoring_a", "monitoring_b", "monitoring_daily"})
_MONITORING_FILE_TYPE_NUMBERS = {15: "monitoring_a", 28: "monitoring_daily", 32: "monitoring_b"}
# Activity types whose counter counts steps (the profile's "steps" sub-field of cycles).
STEP_ACTIVITY_TYPES = frozenset({"walking", "running"})
# The FIT activity_type enum (Profile['types']['activity_type']), for files whose decoder left numbers.
_ACTIVITY_TYPE_NAMES = {
    0: "generic",
    1: "running",
    2: "cycling",
    3: "transition",
    4: "fitness_equipment",
    5: "swimming",
    6: "walking",
    8: "sedentary",
    13: "wheelchair_pushing",
    254: "all",
}
_FIT_HEADER_MIN = 12
_MAX_OFFSET_S = 14 * 3600


def _file_type(data: bytes) -> str | None:
    """The FIT file_id ``type`` (by name), from the first file_id message; None if unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fitdecode.FitReader(
                io.BytesIO(data), check_crc=fitdecode.CrcCheck.DISABLED, error_handling=fitdecode.ErrorHandling.IGNORE
            ) as reader:
                for frame in reader:
                    if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "file_id":
                        value = frame.get_value("type", fallback=None)
                        if isinstance(value, int):
                            return _MONITORING_FILE_TYPE_NUMBERS.get(value, str(value))
                        return value
    except FITDECODE_ERRORS:
        return None
    return None


def is_garmin_monitoring(data: bytes) -> bool:
    """Whether ``data`` is a FIT file whose file_id says monitoring_a, monitoring_b or monitoring_daily."""
    if len(data) < _FIT_HEADER_MIN or data[8:12] != b".FIT":
        return False
    return _file_type(data) in MONITORING_FILE_TYPES


@dataclass
class _Counter:
    """Last cumulative value seen for one activity type, and the local day it belongs to."""

    value: int
    local_day: int


def _fit_seconds(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC).timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) + FIT_EPOCH_OFFSET_S
    return None


def _field(frame: fitdecode.FitDataMessage, name: str) -> Any:
    """The first non-None value of a field (components can repeat a name, e.g. activity_type)."""
    for field in frame.fields:
        if field.name == name and field.value is not None:
            return field
    return None


class _MonitoringReader:
    def __init__(self) -> None:
        self.samples: list[StepSample] = []
        self.warnings: list[str] = []
        self.file_type: str | None = None
        self.device: str | None = None
        self.last_full_s: float | None = None  # last full timestamp of any message, in Unix seconds
        self.offset_s: int | None = None  # local = UTC + offset (from monitoring_info)
        self.previous_end_s: float | None = None
        self.counters: dict[tuple[str, str], _Counter] = {}  # (activity type, field) → last value
        self.resets = 0
        self.summaries: list[tuple[float, float, str, int]] = []  # (start, end, activity type, steps)
        self.untimed = 0
        self.backwards = 0

    def frame(self, frame: fitdecode.FitDataMessage) -> None:
        timestamp = _field(frame, "timestamp")
        if timestamp is not None:
            seconds = _fit_seconds(timestamp.value)
            if seconds is not None:
                self.last_full_s = seconds
        name = frame.name
        if name == "file_id":
            value = frame.get_value("type", fallback=None)
            self.file_type = _MONITORING_FILE_TYPE_NUMBERS.get(value, str(value)) if isinstance(value, int) else value
            product = frame.get_value("garmin_product", fallback=None) or frame.get_value("product", fallback=None)
            self.device = device_name(frame.get_value("manufacturer", fallback=None), product)
        elif name == "monitoring_info":
            local = _field(frame, "local_timestamp")
            local_s = _fit_seconds(local.raw_value) if local is not None else None
            if local_s is not None and self.last_full_s is not None:
                offset = local_s - self.last_full_s
                if abs(offset) <= _MAX_OFFSET_S:
                    self.offset_s = int(round(offset / 900.0) * 900)  # real offsets are whole quarter hours
            if self.last_full_s is not None:
                self.previous_end_s = self.last_full_s
        elif name == "monitoring":
            self._monitoring(frame, timestamp is not None)

    def _time_of(self, frame: fitdecode.FitDataMessage, has_full: bool) -> float | None:
        if has_full:
            return self.last_full_s
        short = _field(frame, "timestamp_16")
        if short is None or self.last_full_s is None:
            return None
        last = int(self.last_full_s) - FIT_EPOCH_OFFSET_S
        # The 16 low bits moved forward from the last full time's, modulo 2^16 (one roll-over allowed).
        full = last + ((int(short.raw_value) - (last & 0xFFFF)) & 0xFFFF)
        return float(full + FIT_EPOCH_OFFSET_S)

    def _activity_type(self, frame: fitdecode.FitDataMessage) -> str | None:
        field = _field(frame, "activity_type")
        if field is None:
            return None
        value = field.value
        if isinstance(value, int):
            return _ACTIVITY_TYPE_NAMES.get(value, str(value))
        return str(value)

    def _monitoring(self, frame: fitdecode.FitDataMessage, has_full: bool) -> None:
        activity = self._activity_type(frame)
        if activity is None:
            return  # heart rate, temperature or stress only: not an activity interval
        end = self._time_of(frame, has_full)
        if end is None:
            self.untimed += 1
            return
        summary_s = self._summary_duration_s(frame)
        if summary_s is not None:
            self._summary(frame, activity, end, summary_s)
            return
        start = self.previous_end_s if self.previous_end_s is not None else end
        if start > end:
            self.backwards += 1
            self.previous_end_s = end
            return
        steps = self._step_delta(frame, activity, end)
        self.previous_end_s = end
        self.samples.append(
            StepSample(
                start=datetime.fromtimestamp(start, UTC),
                end=datetime.fromtimestamp(end, UTC),
                steps=float(steps),
                source=self.device or "garmin",
                level=activity,
            )
        )

    @staticmethod
    def _summary_duration_s(frame: fitdecode.FitDataMessage) -> float | None:
        """A message with a duration is a *total* over the span ending at its time (the day's totals that
        vivofit-era files append at local midnight, ``duration_min`` = 1440), not a counter reading."""
        minutes = _field(frame, "duration_min")
        if minutes is not None and isinstance(minutes.value, int | float) and minutes.value > 0:
            return float(minutes.value) * 60.0
        seconds = _field(frame, "duration")
        if seconds is not None and isinstance(seconds.value, int | float) and seconds.value > 0:
            return float(seconds.value)
        return None

    def _summary(self, frame: fitdecode.FitDataMessage, activity: str, end: float, duration_s: float) -> None:
        steps_field = _field(frame, "steps") or _field(frame, "cycles")
        steps = int(steps_field.raw_value) if steps_field is not None and activity in STEP_ACTIVITY_TYPES else 0
        start = end - duration_s
        self.summaries.append((start, end, activity, steps))
        if self.file_type == "monitoring_daily":  # there the totals are all the file has
            self.samples.append(
                StepSample(
                    start=datetime.fromtimestamp(start, UTC),
                    end=datetime.fromtimestamp(end, UTC),
                    steps=float(steps),
                    source=self.device or "garmin",
                    level=activity,
                )
            )

    def _step_delta(self, frame: fitdecode.FitDataMessage, activity: str, end_s: float) -> int:
        if activity not in STEP_ACTIVITY_TYPES:
            return 0  # sedentary has no counter; cycling/swimming count strokes, not steps
        local_day = int((end_s + (self.offset_s or 0)) // 86_400)
        steps_field = _field(frame, "steps")
        cycles_field = _field(frame, "cycles")
        short_field = _field(frame, "cycles_16")
        if steps_field is not None:
            key, value, modulo = "steps", int(steps_field.raw_value), None
        elif cycles_field is not None:
            key, value, modulo = "steps", int(cycles_field.raw_value), None  # raw cycles = steps (scale 2)
        elif short_field is not None:
            key, value, modulo = "cycles_16", int(short_field.raw_value), 1 << 16
        else:
            return 0
        previous = self.counters.get((activity, key))
        self.counters[(activity, key)] = _Counter(value, local_day)
        if previous is None or previous.local_day != local_day:
            if previous is not None:
                self.resets += 1
            return value  # the first value of a local day counts from midnight's zero
        if modulo is not None:
            return (value - previous.value) % modulo
        if value < previous.value:  # restarted without a day change (device reset): count from zero
            self.resets += 1
            return value
        return value - previous.value


def parse_garmin_monitoring(data: bytes) -> WearableData:
    """Parse a Garmin monitoring FIT file into per-interval step samples; raises :class:`ParseError`.

    A file damaged part-way keeps what came before the damage, with a warning (as activity FIT files do).
    """
    if len(data) < _FIT_HEADER_MIN or data[8:12] != b".FIT":
        raise ParseError("not a FIT file (no FIT signature in its header)")
    reader = _MonitoringReader()
    damage: str | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with fitdecode.FitReader(
                io.BytesIO(data), check_crc=fitdecode.CrcCheck.WARN, error_handling=fitdecode.ErrorHandling.WARN
            ) as fit:
                for frame in fit:
                    if isinstance(frame, fitdecode.FitDataMessage):
                        reader.frame(frame)
        except FITDECODE_ERRORS as exc:
            damage = f"file is damaged after {len(reader.samples)} interval(s) ({type(exc).__name__})"
        crc_problem = any("crc" in str(w.message).lower() for w in caught)
    if reader.file_type not in MONITORING_FILE_TYPES:
        raise ParseError(f"not a Garmin monitoring file (FIT file type {reader.file_type or 'unknown'})")
    if not reader.samples:
        raise ParseError(damage or "monitoring file holds no activity intervals")
    notes = [damage] if damage else []
    if crc_problem and not damage:
        notes.append("file checksum (CRC) does not match: some values may be wrong")
    if reader.offset_s is None:
        notes.append("no monitoring_info local time: daily counter resets assumed at UTC midnight")
    if reader.untimed:
        notes.append(f"skipped {reader.untimed} message(s) before any full timestamp")
    if reader.backwards:
        notes.append(f"skipped {reader.backwards} message(s) whose time went backwards")
    totals: dict[str, float] = {}
    for sample in reader.samples:
        if sample.level is not None:
            totals[sample.level] = totals.get(sample.level, 0.0) + sample.steps
    first, last = reader.samples[0].start, reader.samples[-1].end
    meta = {
        "file_type": reader.file_type,
        # The device's own totals over a span (usually a day), as a cross-check of the interval sums.
        "period_totals": [
            {
                "start_utc": datetime.fromtimestamp(start, UTC).isoformat(),
                "end_utc": datetime.fromtimestamp(end, UTC).isoformat(),
                "level": level,
                "steps": float(steps),
            }
            for start, end, level, steps in reader.summaries
        ],
        "device": reader.device,
        "utc_offset_s": reader.offset_s,
        "counter_resets": reader.resets,
        "steps_by_level": dict(sorted(totals.items())),
        "span_utc": [first.isoformat(), last.isoformat()],
        "span_h": (last - first) / timedelta(hours=1),
    }
    return WearableData(kind="garmin_monitoring", steps=tuple(reader.samples), warnings=tuple(notes), meta=meta)
