"""Plain data the ingest domain produces: one parsed activity and the outcome of parsing one file.

Everything here is a frozen dataclass of plain values and NumPy arrays, so parsers stay pure and results
cross a process boundary cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import numpy as np


class Sport(StrEnum):
    """Top-level sport of an activity; finer detail (trail, treadmill, track…) lives in ``sub_sport``."""

    RUN = "run"
    WALK = "walk"
    HIKE = "hike"
    RIDE = "ride"
    STRENGTH = "strength"
    OTHER = "other"
    UNKNOWN = "unknown"  # the file does not say (common in GPX); matches any sport for duplicates


class FileFormat(StrEnum):
    FIT = "fit"
    GPX = "gpx"
    TCX = "tcx"
    STRAVA_MANUAL = "strava_manual"  # a row of Strava's activities.csv with no file behind it
    STRAVA_API = "strava_api"  # an activity and its streams from Strava's API (services/strava.py)


# Stream column names and the dtype each is stored with. Position and time need float64; the rest are
# sensor readings whose resolution is far coarser than float32's.
STREAM_DTYPES: dict[str, str] = {
    "time_s": "float64",  # seconds since the activity's start
    "distance_m": "float32",
    "heart_rate_bpm": "float32",
    "cadence_spm": "float32",  # steps per minute for running/walking; rpm for cycling
    "speed_mps": "float32",
    "altitude_m": "float32",
    "lat_deg": "float64",
    "lon_deg": "float64",
    "power_w": "float32",
    # Running dynamics (Garmin HRM-Pro/Run, Stryd, watches): present only when the file has them.
    "vertical_oscillation_mm": "float32",
    "stance_time_ms": "float32",
    "stance_time_balance_pct": "float32",  # left-foot share of ground contact time
    "step_length_mm": "float32",
    "vertical_ratio_pct": "float32",
}


@dataclass(frozen=True)
class Streams:
    """Columnar per-sample data of one activity; every column has the same length as ``time_s``."""

    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        time = self.columns.get("time_s")
        return 0 if time is None else int(time.shape[0])

    def get(self, name: str) -> np.ndarray | None:
        return self.columns.get(name)


@dataclass(frozen=True)
class ParsedActivity:
    """One activity (one session of a file) with its summary and streams."""

    start_utc: datetime  # timezone-aware, UTC
    utc_offset_s: int | None  # local time = UTC + offset, when the file tells; None when it does not
    sport: Sport
    sub_sport: str | None
    elapsed_s: float
    moving_s: float | None
    distance_m: float | None
    ascent_m: float | None
    avg_hr_bpm: float | None
    max_hr_bpm: float | None
    avg_cadence_spm: float | None
    device: str | None
    streams: Streams
    name: str | None = None
    partial_reason: str | None = None  # set when the file was damaged and only part of it could be read
    session_index: int = 0  # position of the session in a multi-session (multisport) file
    # From an export's metadata (Strava's activities.csv), when the activity came with one.
    shoes: str | None = None
    rpe: float | None = None  # perceived exertion, 1–10
    commute: bool | None = None


@dataclass(frozen=True)
class ParseResult:
    """What one file gave: its activities, or the reason it gave none."""

    format: FileFormat
    activities: tuple[ParsedActivity, ...] = ()
    error: str | None = None  # one line, for the user; set when no activity could be read
    warnings: tuple[str, ...] = ()


class ParseError(Exception):
    """A file could not be read at all; the message is one line naming the reason (not the file)."""


class NotAnActivity(ParseError):
    """A readable file that holds no activity (FIT settings, workouts, weight scale, monitoring)."""
