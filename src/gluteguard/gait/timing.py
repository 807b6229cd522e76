"""The clip's frame clock (pure): every time-based metric counts frames, so the frames must be evenly spaced.

Phones film at a variable frame rate (VFR): the rate swings with the light (24–60 frames/s) and frames are dropped
when the phone is busy. The video edge records each frame's real time (``KeypointSeries.time_s``), but the
analysis times events as frame number / frame rate. :func:`even_frame_clock` therefore puts a clip whose frame
times are not evenly spaced (``timing.toml``) onto an even grid at its median frame rate, by linear interpolation
of the landmarks, their confidences and the frame motion, before anything is measured. A time gap longer than
the cleaning bridges (``signal.MAX_GAP_S``) stays a hole. :func:`frame_clock` says what was done, for the result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gluteguard.gait.model import KeypointSeries
from gluteguard.gait.signal import MAX_GAP_S
from gluteguard.rules_data import Table, rules_data

CLOCK_META = "frame_clock"  # the key of KeypointSeries.meta that records the clock (see frame_clock)


@dataclass(frozen=True)
class ClockRules:
    max_offset_frames: float
    source: str


def _parse(table: Table) -> ClockRules:
    clock = table["frame_clock"]
    return ClockRules(max_offset_frames=float(clock["max_offset_frames"]), source=str(clock["source"]))


def clock_rules() -> ClockRules:
    return rules_data("gluteguard.gait", "timing.toml", _parse)


def resample(
    time_s: np.ndarray, values: np.ndarray, new_time: np.ndarray, max_gap_s: float | None = None
) -> np.ndarray:
    """Linear interpolation along axis 0; a sample next to a NaN stays NaN (a phone would not see it either), and
    so does one inside a time gap longer than ``max_gap_s`` (no frame was filmed there)."""
    upper = np.clip(np.searchsorted(time_s, new_time, side="right"), 1, len(time_s) - 1)
    lower = upper - 1
    span = time_s[upper] - time_s[lower]
    weight = np.clip((new_time - time_s[lower]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    shape = (-1,) + (1,) * (values.ndim - 1)
    result = values[lower] * (1 - weight.reshape(shape)) + values[upper] * weight.reshape(shape)
    if max_gap_s is not None:
        inside = (span > max_gap_s) & (weight > 0) & (weight < 1)
        result[inside] = np.nan
    return result


def offsets_frames(time_s: np.ndarray) -> np.ndarray:
    """Each frame's distance from a straight line through all frame times (frame number against time), in median
    frame intervals: 0 for a steady clock, a whole frame after a dropped one."""
    index = np.arange(time_s.size, dtype=float)
    slope, intercept = np.polyfit(index, time_s, 1)
    median = float(np.median(np.diff(time_s)))
    return (time_s - (slope * index + intercept)) / median


def _steady(time_s: np.ndarray, rules: ClockRules) -> bool:
    return bool(np.max(np.abs(offsets_frames(time_s))) <= rules.max_offset_frames)


def _usable(time_s: np.ndarray) -> bool:
    """Enough frames, every stamp finite and strictly later than the one before (else the clock is not trusted)."""
    return time_s.size >= 3 and bool(np.isfinite(time_s).all()) and bool(np.all(np.diff(time_s) > 0))


def _intervals(time_s: np.ndarray) -> dict[str, float]:
    gaps = np.diff(time_s)
    return {
        "min_interval_s": round(float(gaps.min()), 6),
        "median_interval_s": round(float(np.median(gaps)), 6),
        "max_interval_s": round(float(gaps.max()), 6),
    }


def even_frame_clock(series: KeypointSeries, rules: ClockRules | None = None) -> KeypointSeries:
    """``series`` on an even frame clock. A steady clip (or one too short or oddly stamped to judge) is returned
    as it is; a variable one is resampled at its median frame rate, from its first frame time to its last, and
    ``meta["frame_clock"]`` records the original clock. Evening an evened series changes nothing."""
    rules = rules or clock_rules()
    time_s = np.asarray(series.time_s, dtype=float)
    if not _usable(time_s) or _steady(time_s, rules):
        return series
    median = float(np.median(np.diff(time_s)))
    count = int(np.floor((time_s[-1] - time_s[0]) / median + 1e-9)) + 1
    new_time = time_s[0] + np.arange(count) * median
    xyz = resample(time_s, series.xyz, new_time, MAX_GAP_S)
    confidence = resample(time_s, series.confidence, new_time, MAX_GAP_S)
    motion = None if series.frame_motion is None else resample(time_s, series.frame_motion, new_time, MAX_GAP_S)
    meta = dict(series.meta)
    nearest = _nearest(time_s, new_time)
    if isinstance(meta.get("frame_index"), list | tuple) and len(meta["frame_index"]) == time_s.size:
        # The report draws key frames from the clip: each even row is shown as the filmed frame nearest to it.
        meta["frame_index"] = [int(meta["frame_index"][row]) for row in nearest]
    meta[CLOCK_META] = {
        "variable_frame_rate": True,
        "evened": True,
        "frames_filmed": int(time_s.size),
        "frames_evened": int(count),
        "nominal_fps": float(series.fps),
        "fps": 1.0 / median,
        **_intervals(time_s),
        "max_offset_frames": round(float(np.max(np.abs(offsets_frames(time_s)))), 3),
        "source": rules.source,
    }
    return replace(series, fps=1.0 / median, time_s=new_time, xyz=xyz, confidence=confidence, frame_motion=motion,
                   meta=meta)  # fmt: skip


def _nearest(time_s: np.ndarray, new_time: np.ndarray) -> np.ndarray:
    upper = np.clip(np.searchsorted(time_s, new_time), 1, time_s.size - 1)
    lower = upper - 1
    return np.where(new_time - time_s[lower] <= time_s[upper] - new_time, lower, upper)


def frame_clock(series: KeypointSeries) -> dict[str, Any]:
    """What the result says of the clip's clock: the record :func:`even_frame_clock` left, or (a steady clip)
    ``variable_frame_rate: false`` with its frame intervals."""
    recorded = series.meta.get(CLOCK_META)
    if recorded is not None:
        return dict(recorded)
    time_s = np.asarray(series.time_s, dtype=float)
    facts: dict[str, Any] = {"variable_frame_rate": False, "evened": False}
    if _usable(time_s):
        facts.update(_intervals(time_s))
    return facts
