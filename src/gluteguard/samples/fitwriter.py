"""Turn a synthetic activity into a real FIT activity file, written by Garmin's own SDK encoder.

Sample data has to exercise the importer exactly as a watch file would, so nothing here writes FIT bytes
by hand: every message goes through ``garmin_fit_sdk.Encoder``, which owns the header, the definitions,
scaling and both CRCs. This module only decides *what* a Forerunner would record and keeps the lap and
session totals consistent with the records, computed from the values as they are stored (rounded), so a
reader that re-derives them from the records gets the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from garmin_fit_sdk import FIT_EPOCH_S, Encoder

# Global message numbers of the FIT profile (Profile['types']['mesg_num']).
_FILE_ID, _DEVICE_INFO, _EVENT, _RECORD, _LAP, _SESSION, _ACTIVITY = 0, 23, 21, 20, 19, 18, 34

FORERUNNER_265 = 4257  # Profile['types']['garmin_product'][4257] == "fr265_large"; has wrist running dynamics
_SEMICIRCLES_PER_DEG = 2**31 / 180.0
_KCAL_PER_KG_KM = {"running": 1.0, "walking": 0.55}  # the usual rule of thumb; watches use something similar
_BODY_MASS_KG = 72.0


@dataclass(frozen=True, eq=False)  # eq=False: comparing NumPy columns with == is ambiguous, never wanted
class SyntheticRun:
    """One activity sampled at 1 Hz, in the units and column names of ``gluteguard.ingest.model``.

    ``cadence_spm`` is steps per minute (both feet); the FIT file stores strides per minute, as watches do.
    Positions are ``None`` indoors (treadmill); running dynamics are ``None`` for walks, which watches
    do not measure.
    """

    start_utc: datetime  # timezone-aware
    utc_offset_s: int  # local time = UTC + offset at the start, as the watch's clock had it
    sport: str  # FIT sport name: "running" or "walking"
    sub_sport: str  # FIT sub-sport name: "generic", "trail", "treadmill", ...
    time_s: np.ndarray  # whole seconds since start: 0, 1, 2, ...
    distance_m: np.ndarray
    speed_mps: np.ndarray
    altitude_m: np.ndarray
    heart_rate_bpm: np.ndarray
    cadence_spm: np.ndarray
    lat_deg: np.ndarray | None = None
    lon_deg: np.ndarray | None = None
    vertical_oscillation_mm: np.ndarray | None = None
    stance_time_ms: np.ndarray | None = None
    stance_time_balance_pct: np.ndarray | None = None  # left-foot share of ground contact time
    step_length_mm: np.ndarray | None = None
    vertical_ratio_pct: np.ndarray | None = None
    product: int = FORERUNNER_265
    serial_number: int = 3_391_604_117  # made up; uint32z, so it must not be 0
    software_version: float = 21.19

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None:
            raise ValueError("start_utc must be timezone-aware")
        n = len(self.time_s)
        for name in _COLUMNS:
            column = getattr(self, name)
            if column is not None and len(column) != n:
                raise ValueError(f"{name} has {len(column)} samples, time_s has {n}")
            if column is not None and not np.isfinite(column).all():  # a NaN would encode as garbage
                raise ValueError(f"{name} has missing values; leave the column out instead")
        if (self.lat_deg is None) != (self.lon_deg is None):
            raise ValueError("lat_deg and lon_deg must both be given or both be None")

    @property
    def elapsed_s(self) -> float:
        return float(self.time_s[-1] - self.time_s[0])

    @property
    def total_distance_m(self) -> float:
        return float(self.distance_m[-1])


_COLUMNS = (
    "distance_m", "speed_mps", "altitude_m", "heart_rate_bpm", "cadence_spm", "lat_deg", "lon_deg",
    "vertical_oscillation_mm", "stance_time_ms", "stance_time_balance_pct", "step_length_mm",
    "vertical_ratio_pct",
)  # fmt: skip


class _LayoutReusingEncoder(Encoder):
    """The SDK encoder, minus its per-message rebuild of the message layout.

    For every message the SDK derives a fresh definition (a linear search of the profile per field) and
    compares it field by field with the active ones, which is over half the time spent on 3,600
    records of one layout. Here a record layout is built once per set of present fields and recognised by
    identity. Only records take this path: they are the bulk, and ``_records`` gives them scalar numbers
    only, so a field's size cannot vary between two records with the same fields (strings and arrays
    could). Both hooks are private: should a later SDK rename them, these overrides are simply never
    called and the output stays the same, only slower; a test checks the bytes match the plain encoder.
    """

    def __init__(self) -> None:
        super().__init__()
        self._layouts: dict[tuple[Any, ...], Any] = {}

    def _create_mesg_definition(self, mesg_num: int, mesg: dict[str, Any]) -> Any:
        if mesg_num != _RECORD:
            return super()._create_mesg_definition(mesg_num, mesg)
        key = tuple(mesg)  # _records never puts None in a record, so the keys are the present fields
        layout = self._layouts.get(key)
        if layout is None:
            layout = self._layouts[key] = super()._create_mesg_definition(mesg_num, mesg)
        return layout

    def _find_local_mesg_definition(self, mesg_definition: Any) -> Any:
        slot = getattr(mesg_definition, "local_mesg_num", None)
        if slot is not None and self._local_mesg_definitions[slot] is mesg_definition:
            return mesg_definition
        return super()._find_local_mesg_definition(mesg_definition)


@dataclass(frozen=True)
class _Stored:
    """The record columns rounded the way the file stores them, so totals match what readers see."""

    hr: np.ndarray  # bpm, integer
    strides: np.ndarray  # strides/min, integer part (FIT "cadence")
    fraction: np.ndarray  # strides/min, the fractional part in 1/128 steps
    altitude: np.ndarray  # m, on the 0.2 m grid of enhanced_altitude
    speed: np.ndarray  # m/s, on the 1 mm/s grid of enhanced_speed


def _stored(run: SyntheticRun) -> _Stored:
    hr = np.rint(run.heart_rate_bpm).astype(np.int64)
    # Watches store running cadence as strides/min (one foot), with the half stride in fractional_cadence.
    strides_f = np.asarray(run.cadence_spm, dtype=np.float64) / 2.0
    strides = np.floor(strides_f).astype(np.int64)
    fraction = np.rint((strides_f - strides) * 128.0) / 128.0
    altitude = np.rint((np.asarray(run.altitude_m) + 500.0) * 5.0) / 5.0 - 500.0
    speed = np.rint(np.asarray(run.speed_mps) * 1000.0) / 1000.0
    return _Stored(hr, strides, fraction, altitude, speed)


def _records(run: SyntheticRun, fit_start: int, stored: _Stored) -> Iterator[dict[str, Any]]:
    """Yield one record dict per second; columns become Python lists first because the SDK only
    accepts built-in int/float (a NumPy int64 is not an ``int``) and per-item NumPy access is slow."""
    columns: dict[str, list[Any]] = {
        "timestamp": (np.asarray(run.time_s, dtype=np.int64) + fit_start).tolist(),
    }
    if run.lat_deg is not None and run.lon_deg is not None:
        columns["position_lat"] = np.rint(run.lat_deg * _SEMICIRCLES_PER_DEG).astype(np.int64).tolist()
        columns["position_long"] = np.rint(run.lon_deg * _SEMICIRCLES_PER_DEG).astype(np.int64).tolist()
    columns["distance"] = np.asarray(run.distance_m, dtype=np.float64).tolist()
    columns["enhanced_speed"] = stored.speed.tolist()
    columns["enhanced_altitude"] = stored.altitude.tolist()
    columns["heart_rate"] = stored.hr.tolist()
    columns["cadence"] = stored.strides.tolist()
    columns["fractional_cadence"] = stored.fraction.tolist()
    dynamics = {
        "vertical_oscillation": run.vertical_oscillation_mm,
        "stance_time": run.stance_time_ms,
        "stance_time_balance": run.stance_time_balance_pct,
        "step_length": run.step_length_mm,
        "vertical_ratio": run.vertical_ratio_pct,
    }
    for name, column in dynamics.items():
        if column is not None:
            columns[name] = np.asarray(column, dtype=np.float64).tolist()
    names = ("mesg_num", *columns)
    for row in zip(*columns.values(), strict=True):
        yield dict(zip(names, (_RECORD, *row), strict=True))


def _lap_starts(distance_m: np.ndarray, lap_distance_m: float | None) -> list[int]:
    """Indices of the first record of each lap: an auto-lap fires on the first sample past each mark."""
    if not lap_distance_m:
        return [0]
    marks = np.arange(lap_distance_m, float(distance_m[-1]), lap_distance_m)
    starts = np.searchsorted(distance_m, marks, side="left")
    return [0, *sorted({int(i) for i in starts if 0 < i < len(distance_m) - 1})]


def _totals(run: SyntheticRun, stored: _Stored, first: int, last: int, fit_start: int) -> dict[str, Any]:
    """Totals over records ``first..last`` (inclusive ends, so consecutive laps share their boundary
    sample and lap times and distances add up exactly to the session's)."""
    body = slice(first, last + 1)
    elapsed = float(run.time_s[last] - run.time_s[first])
    distance = float(run.distance_m[last] - run.distance_m[first])
    climb = np.diff(stored.altitude[body])
    spm_halves = stored.strides[body] + stored.fraction[body]
    avg_strides = float(spm_halves.mean())
    max_strides = float(spm_halves.max())
    totals: dict[str, Any] = {
        "timestamp": fit_start + int(run.time_s[last]),
        "start_time": fit_start + int(run.time_s[first]),
        "total_elapsed_time": elapsed,
        "total_timer_time": elapsed,  # the sample runner never pauses its watch
        "total_distance": distance,
        "total_calories": round(distance / 1000.0 * _BODY_MASS_KG * _KCAL_PER_KG_KM.get(run.sport, 1.0)),
        "avg_speed": distance / elapsed if elapsed else 0.0,
        "max_speed": float(stored.speed[body].max()),
        "enhanced_avg_speed": distance / elapsed if elapsed else 0.0,
        "enhanced_max_speed": float(stored.speed[body].max()),
        "avg_heart_rate": round(float(stored.hr[body].mean())),
        "max_heart_rate": int(stored.hr[body].max()),
        "avg_cadence": math.floor(avg_strides),
        "avg_fractional_cadence": avg_strides - math.floor(avg_strides),
        "max_cadence": math.floor(max_strides),
        "total_ascent": round(float(climb[climb > 0].sum())),
        "total_descent": round(float(-climb[climb < 0].sum())),
        "enhanced_avg_altitude": float(stored.altitude[body].mean()),
        "enhanced_min_altitude": float(stored.altitude[body].min()),
        "enhanced_max_altitude": float(stored.altitude[body].max()),
        "sport": run.sport,
        "sub_sport": run.sub_sport,
    }
    if run.lat_deg is not None and run.lon_deg is not None:
        totals["start_position_lat"] = round(float(run.lat_deg[first]) * _SEMICIRCLES_PER_DEG)
        totals["start_position_long"] = round(float(run.lon_deg[first]) * _SEMICIRCLES_PER_DEG)
    averages = {
        "avg_vertical_oscillation": run.vertical_oscillation_mm,
        "avg_stance_time": run.stance_time_ms,
        "avg_stance_time_balance": run.stance_time_balance_pct,
        "avg_step_length": run.step_length_mm,
        "avg_vertical_ratio": run.vertical_ratio_pct,
    }
    for name, column in averages.items():
        if column is not None:
            totals[name] = float(np.mean(column[body]))
    return totals


def encode_fit(run: SyntheticRun, *, lap_distance_m: float | None = 1000.0) -> bytes:
    """Encode ``run`` as a FIT activity file: auto-laps every ``lap_distance_m`` (``None``: one lap).

    Messages come in the order a watch writes them: file_id, device_info, timer start, records with each
    lap written when it closes, timer stop, last lap, session, activity. ``activity.local_timestamp`` is
    the end time on the watch's local clock, which is how readers recover the time zone offset.
    """
    fit_start = int(run.start_utc.timestamp()) - FIT_EPOCH_S
    fit_end = fit_start + int(run.time_s[-1])
    stored = _stored(run)
    encoder = _LayoutReusingEncoder()
    encoder.write_mesg({
        "mesg_num": _FILE_ID, "type": "activity", "manufacturer": "garmin", "product": run.product,
        "serial_number": run.serial_number, "time_created": fit_start,
    })  # fmt: skip
    encoder.write_mesg({
        "mesg_num": _DEVICE_INFO, "timestamp": fit_start, "device_index": "creator", "manufacturer": "garmin",
        "product": run.product, "serial_number": run.serial_number,
        "software_version": run.software_version, "source_type": "local",
    })  # fmt: skip
    encoder.write_mesg({
        "mesg_num": _EVENT, "timestamp": fit_start, "event": "timer", "event_type": "start", "event_group": 0,
    })  # fmt: skip

    starts = _lap_starts(np.asarray(run.distance_m), lap_distance_m)
    ends = [*starts[1:], len(run.time_s) - 1]
    laps = [
        {"mesg_num": _LAP, "message_index": i, "event": "lap", "event_type": "stop",
         "lap_trigger": "distance" if i < len(starts) - 1 else "session_end",
         **_totals(run, stored, first, last, fit_start)}
        for i, (first, last) in enumerate(zip(starts, ends, strict=True))
    ]  # fmt: skip
    pending = dict(zip(ends[:-1], laps[:-1], strict=True))  # laps closed by an auto-lap, by closing record

    for index, record in enumerate(_records(run, fit_start, stored)):
        encoder.write_mesg(record)
        lap = pending.get(index)
        if lap is not None:
            encoder.write_mesg(lap)

    encoder.write_mesg({
        "mesg_num": _EVENT, "timestamp": fit_end, "event": "timer", "event_type": "stop_all",
        "event_group": 0,
    })  # fmt: skip
    encoder.write_mesg(laps[-1])
    session = _totals(run, stored, 0, len(run.time_s) - 1, fit_start)
    encoder.write_mesg({
        "mesg_num": _SESSION, "message_index": 0, "event": "session", "event_type": "stop",
        "trigger": "activity_end", "first_lap_index": 0, "num_laps": len(laps), **session,
    })  # fmt: skip
    encoder.write_mesg({
        "mesg_num": _ACTIVITY, "timestamp": fit_end, "total_timer_time": session["total_timer_time"],
        "num_sessions": 1, "type": "manual", "event": "activity", "event_type": "stop",
        "local_timestamp": fit_end + run.utc_offset_s,
    })  # fmt: skip
    return encoder.close()
