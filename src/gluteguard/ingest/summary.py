"""Summaries derived from streams, for files whose own totals are missing (most GPX, some TCX/FIT).

A file's own totals win when present: devices compute them from data we may not have (e.g. a foot pod).
"""

from __future__ import annotations

import numpy as np

from gluteguard.ingest.model import Streams

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), as used by haversine distance in GPS tools
# A sample counts as moving when its speed is at least this (slow walking is ~0.8 m/s), and a gap
# between samples longer than MAX_MOVING_GAP_S is treated as a pause (auto-pause or a stop).
MIN_MOVING_SPEED_MPS = 0.5
MAX_MOVING_GAP_S = 10.0
# Ascent counts climbs only once they exceed this hysteresis, so GPS/barometer noise does not add up.
ASCENT_HYSTERESIS_M = 2.0


def haversine_steps_m(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Distance in metres between consecutive points (length n-1); NaN where a point has no position."""
    lat = np.radians(lat_deg.astype(np.float64))
    lon = np.radians(lon_deg.astype(np.float64))
    dlat = np.diff(lat)
    dlon = np.diff(lon)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def cumulative_distance_from_positions(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Cumulative distance (m) along the track; points without a position add nothing."""
    if lat_deg.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    steps = haversine_steps_m(lat_deg, lon_deg)
    steps = np.where(np.isfinite(steps), steps, 0.0)
    return np.concatenate(([0.0], np.cumsum(steps)))


def total_distance_m(streams: Streams) -> float | None:
    distance = streams.get("distance_m")
    if distance is not None and np.isfinite(distance).any():
        return float(np.nanmax(distance) - np.nanmin(distance[np.isfinite(distance)][:1]))
    lat, lon = streams.get("lat_deg"), streams.get("lon_deg")
    if lat is not None and lon is not None and np.isfinite(lat).sum() >= 2:
        return float(cumulative_distance_from_positions(lat, lon)[-1])
    return None


def elapsed_s(streams: Streams) -> float:
    time = streams.get("time_s")
    if time is None or time.shape[0] == 0:
        return 0.0
    return float(time[-1] - time[0])


def moving_time_s(streams: Streams) -> float | None:
    """Sum of the intervals spent moving: speed above a walking floor and no long gap between samples."""
    time = streams.get("time_s")
    if time is None or time.shape[0] < 2:
        return None
    dt = np.diff(time.astype(np.float64))
    speed = streams.get("speed_mps")
    if speed is None or not np.isfinite(speed).any():
        distance = streams.get("distance_m")
        if distance is None:
            lat, lon = streams.get("lat_deg"), streams.get("lon_deg")
            if lat is None or lon is None:
                return None
            distance = cumulative_distance_from_positions(lat, lon)
        with np.errstate(divide="ignore", invalid="ignore"):
            step_speed = np.diff(distance.astype(np.float64)) / dt
    else:
        step_speed = speed[1:].astype(np.float64)
    moving = (dt > 0) & (dt <= MAX_MOVING_GAP_S) & (np.nan_to_num(step_speed) >= MIN_MOVING_SPEED_MPS)
    return float(dt[moving].sum())


def ascent_m(streams: Streams) -> float | None:
    """Total climb (m) with hysteresis, ignoring samples without altitude."""
    altitude = streams.get("altitude_m")
    if altitude is None:
        return None
    values = altitude[np.isfinite(altitude)].astype(np.float64)
    if values.shape[0] < 2:
        return None
    climb = 0.0
    reference = values[0]
    for value in values[1:]:
        if value - reference >= ASCENT_HYSTERESIS_M:
            climb += value - reference
            reference = value
        elif value < reference:
            reference = value
    return climb


def finite_float(value: object) -> float | None:
    """A finite float from a number or numeric text; None when absent, damaged, NaN or infinite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number if np.isfinite(number) else None


def finite_mean(values: np.ndarray | None, *, positive_only: bool = True) -> float | None:
    if values is None:
        return None
    mask = np.isfinite(values)
    if positive_only:
        mask &= values > 0
    return float(values[mask].mean()) if mask.any() else None


def finite_max(values: np.ndarray | None) -> float | None:
    if values is None:
        return None
    mask = np.isfinite(values)
    return float(values[mask].max()) if mask.any() else None
