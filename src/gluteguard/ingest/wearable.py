"""What wearables tell about moving and sitting, in one shape whatever the device: what the wearable parsers here
produce and the sitting domain reads (``gluteguard.sitting``). All times are timezone-aware UTC datetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gluteguard.ingest.model import ParsedActivity


@dataclass(frozen=True, slots=True)
class StepSample:
    """Steps counted between ``start`` and ``end`` (an Apple Health step sample, a Garmin monitoring interval,
    a Fitbit minute). ``level`` is the device's own activity class when it gives one (Garmin: sedentary,
    generic, walking, running…; Fitbit: sedentary/lightly/fairly/very), else None."""

    start: datetime
    end: datetime
    steps: float
    source: str  # device or app name as the file says, e.g. "Apple Watch", "vivosmart 4"
    level: str | None = None


@dataclass(frozen=True, slots=True)
class StandHour:
    """Apple's stand hour: whether the wearer stood and moved for at least a minute in that clock hour."""

    hour_start: datetime
    stood: bool
    source: str


@dataclass(frozen=True, slots=True)
class SedentaryDay:
    """A day total when that is all a device exports (Fitbit's sedentary minutes)."""

    day: str  # ISO date, the device's local day
    sedentary_min: float
    source: str


@dataclass(frozen=True, slots=True)
class WearableData:
    """Everything one wearable export gave; workouts are ordinary activities (with their route when exported)."""

    kind: str  # apple_health | garmin_monitoring | fitbit
    steps: tuple[StepSample, ...] = ()
    stand_hours: tuple[StandHour, ...] = ()
    sedentary_days: tuple[SedentaryDay, ...] = ()
    workouts: tuple[ParsedActivity, ...] = ()
    warnings: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)
