"""A made-up sample runner whose history ships with gluteguard, written as real FIT files.

The runner works at a desk, runs 3–5 times a week around parks in Berlin (Europe/Berlin, so offsets move
with daylight saving time), builds a Sunday long run gently from 8 to 14 km, and in week 13 makes the
classic mistake gluteguard exists to catch: a long run twice the longest of the previous month in a week
over 30 % bigger than the one before. Everything is simulated from a fixed seed with simple physiology,
so the same call gives byte-identical files; no real person's data is involved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from gluteguard.samples.fitwriter import SyntheticRun, encode_fit

SAMPLE_ZONE = ZoneInfo("Europe/Berlin")
DEFAULT_END_DATE = date(2026, 11, 22)  # a Sunday; the 16 weeks before it cross the end of DST (25 Oct)
SAMPLE_WEEKS = 16
SPIKE_WEEK = 13  # 1-based, counted from the first of the 16 weeks
_SEED = 20_240_501

# Planned Sunday long runs (km); week 13's is computed as twice the previous month's longest.
_LONG_KM = (8.0, 8.5, 9.0, 9.0, 9.5, 10.0, 10.5, 9.0, 10.5, 11.0, 11.0, 11.5, None, 12.0, 13.0, 14.0)
_RUNS_PER_WEEK = (3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 4, 4, 4)
# Weekdays (Monday = 0) of the easy runs by runs per week; the long run is always on Sunday.
_EASY_DAYS = {3: (1, 3), 4: (1, 3, 5), 5: (0, 1, 3, 5)}
_TREADMILL_WEEKS = frozenset({4, 10, 15})  # that week's Thursday run is indoors: dark, rainy evenings
_WALK = (14, 0)  # week 14, Monday: the day after the spike the hip is sore, so a walk


@dataclass(frozen=True)
class _Route:
    """A closed loop around a park; runs go round it as often as their distance needs."""

    lat: float  # centre of the loop
    lon: float
    loop_m: float
    base_alt_m: float
    hill_m: float  # half the height difference around the loop
    stretch: float  # east-west over north-south extent, so loops are not circles
    sub_sport: str


_FLAT = _Route(52.4735, 13.4015, 5_600.0, 44.0, 1.5, 1.6, "generic")  # Tempelhofer Feld
_ROLLING = _Route(52.5285, 13.4335, 2_400.0, 52.0, 11.0, 1.4, "generic")  # Volkspark Friedrichshain
_TRAIL = _Route(52.4975, 13.2410, 4_300.0, 80.0, 27.0, 1.0, "trail")  # Teufelsberg, Grunewald
_ROUTES = (_FLAT, _ROLLING, _TRAIL)
_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class _Runner:
    hr_rest: float = 56.0
    hr_max: float = 189.0
    hr_upright: float = 20.0  # on one's feet and moving, HR sits this far above resting HR
    vo2max_start: float = 49.0  # ml/kg/min; improves a little over the 16 weeks
    vo2max_gain: float = 2.0


_RUNNER = _Runner()


@cache
def _loop(route: _Route) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dense polyline of the loop: (distance along it, east m, north m, altitude m) from its start."""
    theta = np.linspace(0.0, 2.0 * math.pi, 1441)
    radius = 1.0 + 0.12 * np.cos(2.0 * theta + 0.7) + 0.06 * np.sin(3.0 * theta + 1.9)
    east, north = route.stretch * radius * np.cos(theta), radius * np.sin(theta)
    along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(east), np.diff(north)))])
    scale = route.loop_m / along[-1]
    hills = 0.75 * np.sin(theta + 0.4) + 0.25 * np.sin(2.0 * theta + 2.1)
    altitude = route.base_alt_m + route.hill_m * hills
    return along * scale, east * scale, north * scale, altitude


def _ar1(rng: np.random.Generator, n: int, sigma: float, tau_s: float) -> np.ndarray:
    """Slowly wandering noise (standard deviation ``sigma``, correlation time ``tau_s``): real signals drift
    rather than jump from second to second."""
    phi = math.exp(-1.0 / tau_s)
    shocks = rng.normal(0.0, sigma * math.sqrt(1.0 - phi * phi), n).tolist()
    out, x = [], float(rng.normal(0.0, sigma))
    for shock in shocks:
        x = phi * x + shock
        out.append(x)
    return np.asarray(out)


def _lagged(target: np.ndarray, start: float, tau_up_s: float, tau_down_s: float) -> np.ndarray:
    """Heart rate follows effort with a first-order lag, quicker to rise than to recover."""
    k_up, k_down = 1.0 - math.exp(-1.0 / tau_up_s), 1.0 - math.exp(-1.0 / tau_down_s)
    out, hr = [], start
    for value in target.tolist():
        hr += (value - hr) * (k_up if value > hr else k_down)
        out.append(hr)
    return np.asarray(out)


def _cumulative(speed: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(speed[1:])])  # 1 Hz: metres per sample = speed


def _heart_rate(
    rng: np.random.Generator, t: np.ndarray, speed: np.ndarray, grade: np.ndarray, vo2max: float, *,
    walking: bool, indoor: bool,
) -> np.ndarray:  # fmt: skip
    """Oxygen cost of the pace and grade (ACSM equations) as a fraction of reserve, plus cardiac drift and
    the day's form, followed with a lag."""
    v_m_min = speed * 60.0
    if walking:
        vo2 = 3.5 + 0.1 * v_m_min + 1.8 * v_m_min * np.maximum(grade, 0.0)
    else:  # downhill saves less than uphill costs
        vo2 = 3.5 + 0.2 * v_m_min + 0.9 * v_m_min * np.where(grade > 0.0, grade, 0.3 * grade)
    reserve = np.clip((vo2 - 3.5) / (vo2max - 3.5), 0.0, 1.05)
    floor = _RUNNER.hr_rest + _RUNNER.hr_upright
    drift = 0.1 * np.clip(t - 600.0, 0.0, None) / 60.0  # ~6 bpm an hour, half as much again indoors (heat)
    target = floor + (_RUNNER.hr_max - floor) * reserve + drift * (1.5 if indoor else 1.0)
    target += (4.0 if indoor else 0.0) + rng.normal(0.0, 2.5) + _ar1(rng, len(t), 1.0, 20.0)
    start = floor + 22.0 + rng.normal(0.0, 3.0)  # already up from walking out of the door
    return np.clip(_lagged(target, start, 25.0, 40.0), floor, _RUNNER.hr_max)


def _gait(
    rng: np.random.Generator, speed: np.ndarray, grade: np.ndarray, hours: np.ndarray, *, walking: bool
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Cadence (steps/min) and, for runs, running dynamics as a wrist or chest sensor reports them."""
    n = len(speed)
    if walking:  # walking is its own gait, and watches record no running dynamics for it
        return np.clip(114.0 + 12.0 * (speed - 1.45) + _ar1(rng, n, 1.5, 30.0), 95.0, 130.0), {}
    uphill = np.maximum(grade, 0.0)
    # Cadence rises a little with speed and on climbs (shorter, quicker steps).
    cadence = np.clip(168.0 + 7.0 * (speed - 2.75) + 40.0 * uphill + _ar1(rng, n, 0.8, 40.0), 150.0, 190.0)
    step_mm = speed / (cadence / 60.0) * 1000.0
    bounce = 88.0 + 10.0 * (speed - 2.75) - 50.0 * uphill + 1.5 * hours + _ar1(rng, n, 1.5, 30.0)
    vo_mm = np.clip(bounce, 65.0, 115.0)
    stance = 262.0 - 55.0 * (speed - 2.75) + 150.0 * uphill + 4.0 * hours + _ar1(rng, n, 3.0, 30.0)
    # Left-right contact balance drifts with fatigue (the tired hip drops): what gluteguard watches.
    balance = 49.85 - 0.25 * hours + _ar1(rng, n, 0.25, 60.0)
    return cadence, {
        "vertical_oscillation_mm": vo_mm,
        "stance_time_ms": np.clip(stance, 200.0, 320.0),
        "stance_time_balance_pct": np.clip(balance, 48.5, 51.5),
        "step_length_mm": step_mm,
        "vertical_ratio_pct": vo_mm / step_mm * 100.0,
    }


def _simulate(
    rng: np.random.Generator,
    start_utc: datetime,
    route: _Route | None,  # None: treadmill
    pace_s_per_km: float,
    *,
    target_m: float | None = None,
    duration_s: int | None = None,
    walking: bool = False,
    vo2max: float = _RUNNER.vo2max_start,
    fade: float = 0.04,  # fraction of speed lost per hour beyond 75 minutes
) -> SyntheticRun:
    v_plan = 1000.0 / pace_s_per_km
    n = duration_s or math.ceil((target_m or 0.0) / v_plan * 1.5) + 120  # ample; cut at the target below
    t = np.arange(n, dtype=np.float64)
    if walking:
        v_flat = v_plan * (1.0 + _ar1(rng, n, 0.04, 60.0))
    else:
        warm_up = np.minimum(1.0, 0.8 + 0.2 * t / 90.0)  # everyone starts a little slow
        tiring = 1.0 - fade * np.clip((t - 4500.0) / 3600.0, 0.0, None)
        v_flat = v_plan * warm_up * tiring * (1.0 + _ar1(rng, n, 0.03, 120.0))

    if route is None:  # belt speed set in steps every few minutes; a 1 % incline, as runners are told
        steps = np.repeat(1.0 + rng.normal(0.0, 0.03, n // 300 + 1), 300)[:n]
        speed, grade = v_plan * steps * np.minimum(1.0, 0.7 + 0.3 * t / 60.0), np.full(n, 0.01)
        distance = _cumulative(speed)
    else:
        along, east, north, alt = _loop(route)
        offset, direction = rng.uniform(0.0, route.loop_m), rng.choice((-1.0, 1.0))

        def height(d: np.ndarray) -> np.ndarray:
            return np.interp(np.mod(offset + direction * d, route.loop_m), along, alt)

        speed = v_flat
        for _ in range(2):  # speed depends on grade, grade on where that speed took the runner
            distance = _cumulative(speed)
            grade = np.clip((height(distance + 5.0) - height(distance - 5.0)) / 10.0, -0.1, 0.1)
            # Equal effort: roughly 3.3 % slower per % uphill, a smaller gain downhill; walkers barely care.
            effect = (0.3 if walking else 1.0) * np.where(grade > 0.0, 3.3, 1.8) * grade
            speed = v_flat / (1.0 + effect)
        distance = _cumulative(speed)

    if target_m is not None:
        n = min(n, int(np.searchsorted(distance, target_m)) + 1)
        t, speed, distance, grade = t[:n], speed[:n], distance[:n], grade[:n]
    hr = _heart_rate(rng, t, speed, grade, vo2max, walking=walking, indoor=route is None)
    cadence, dynamics = _gait(rng, speed, grade, t / 3600.0, walking=walking)

    lat = lon = None
    if route is None:
        altitude = np.full(n, 41.0) + _ar1(rng, n, 0.3, 300.0)  # the gym's barometer still wanders
    else:
        u = np.mod(offset + direction * distance, route.loop_m)
        altitude = np.interp(u, along, alt) + _ar1(rng, n, 0.3, 300.0)
        gps_east = np.interp(u, along, east) + _ar1(rng, n, 1.5, 20.0)  # GPS wanders a metre or two
        gps_north = np.interp(u, along, north) + _ar1(rng, n, 1.5, 20.0)
        lat = route.lat + gps_north / _M_PER_DEG_LAT
        lon = route.lon + gps_east / (_M_PER_DEG_LAT * math.cos(math.radians(route.lat)))

    local = start_utc.astimezone(SAMPLE_ZONE)
    return SyntheticRun(
        start_utc=start_utc,
        utc_offset_s=int((local.utcoffset() or timedelta(0)).total_seconds()),
        sport="walking" if walking else "running",
        sub_sport="treadmill" if route is None else route.sub_sport,
        time_s=t.astype(np.int64),
        distance_m=distance,
        speed_mps=speed,
        altitude_m=altitude,
        heart_rate_bpm=hr,
        cadence_spm=cadence,
        lat_deg=lat,
        lon_deg=lon,
        **dynamics,
    )


def _start(rng: np.random.Generator, day: date) -> datetime:
    """Before or after work on weekdays, mid-morning at weekends; local Berlin time, returned in UTC."""
    if day.weekday() >= 5:
        minute = rng.integers(8 * 60 + 30, 10 * 60 + 15)
    elif rng.random() < 0.4:
        minute = rng.integers(6 * 60 + 30, 7 * 60 + 15)
    else:
        minute = rng.integers(17 * 60 + 45, 19 * 60 + 30)
    clock = time(int(minute) // 60, int(minute) % 60, int(rng.integers(0, 60)))
    return datetime.combine(day, clock, tzinfo=SAMPLE_ZONE).astimezone(UTC)


def _day_in_week(week_end: date, weekday: int) -> date:
    """The day with that weekday inside the 7 days ending on ``week_end``."""
    return week_end - timedelta(days=(week_end.weekday() - weekday) % 7)


def sample_runner_runs(end_date: date | None = None) -> list[SyntheticRun]:
    """The sample runner's 16 weeks, the last ending on ``end_date`` (default ``DEFAULT_END_DATE``).

    Each run draws from its own seed (week, slot), so moving ``end_date`` moves the dates but keeps
    every run's shape; the result is sorted by start time.
    """
    end = end_date or DEFAULT_END_DATE
    runs: list[SyntheticRun] = []
    long_km: list[tuple[date, float]] = []
    for week in range(1, SAMPLE_WEEKS + 1):
        week_end = end - timedelta(days=7 * (SAMPLE_WEEKS - week))
        vo2max = _RUNNER.vo2max_start + _RUNNER.vo2max_gain * (week - 1) / (SAMPLE_WEEKS - 1)
        sunday = _day_in_week(week_end, 6)
        planned = _LONG_KM[week - 1]
        if planned is None:  # the spike: double the longest run of the 30 days before
            planned = 2.0 * max(km for day, km in long_km if (sunday - day).days <= 30)
        long_km.append((sunday, planned))
        slots = [(day, False) for day in _EASY_DAYS[_RUNS_PER_WEEK[week - 1]]] + [(6, True)]
        if week == _WALK[0]:
            slots.append((_WALK[1], False))
        for slot, (weekday, is_long) in enumerate(slots):
            rng = np.random.default_rng([_SEED, week, slot])
            day = _day_in_week(week_end, weekday)
            walking = week == _WALK[0] and weekday == _WALK[1]
            indoor = week in _TREADMILL_WEEKS and weekday == 3
            if walking:
                route, km, pace = _ROLLING, rng.uniform(4.5, 6.0), rng.uniform(660.0, 720.0)
            elif is_long:
                route, km, pace = _TRAIL if week % 3 == 0 else _FLAT, planned, rng.uniform(370.0, 390.0)
            else:
                tempo = weekday == 3 and week % 2 == 0  # an honest effort every other Thursday
                route = None if indoor else _ROUTES[int(rng.integers(0, 3))]
                km = rng.uniform(5.0, 8.0)
                pace = rng.uniform(330.0, 345.0) if tempo else rng.uniform(350.0, 385.0)
            runs.append(_simulate(
                rng, _start(rng, day), route, pace, target_m=round(km, 1) * 1000.0, walking=walking,
                vo2max=vo2max, fade=0.12 if planned > 20.0 and is_long else 0.04,
            ))  # fmt: skip
    return sorted(runs, key=lambda run: run.start_utc)


def _file_name(run: SyntheticRun, taken: set[str]) -> str:
    local_day = (run.start_utc + timedelta(seconds=run.utc_offset_s)).date()
    stem = f"{local_day.isoformat()}-{'walk' if run.sport == 'walking' else 'run'}"
    name, n = f"{stem}.fit", 2
    while name in taken:  # never happens with this schedule, but never overwrite a file silently
        name, n = f"{stem}-{n}.fit", n + 1
    taken.add(name)
    return name


def write_sample_runner(directory: Path, end_date: date | None = None) -> list[Path]:
    """Write the sample runner's FIT files (``2026-08-02-run.fit``, ...) into ``directory``; return them
    in start order."""
    directory.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    paths = []
    for run in sample_runner_runs(end_date):
        path = directory / _file_name(run, taken)
        path.write_bytes(encode_fit(run))
        paths.append(path)
    return paths


def one_hour_synthetic_run(index: int) -> SyntheticRun:
    """The ``index``-th distinct one-hour outdoor run (3,600 samples) for import benchmarks: one per day
    from 2021 onwards, so no two share a start and none overlaps the sample runner's history."""
    rng = np.random.default_rng([_SEED, 1_000_000 + index])
    day = date(2021, 1, 4) + timedelta(days=index)
    return _simulate(rng, _start(rng, day), _ROUTES[index % len(_ROUTES)], rng.uniform(330.0, 390.0),
                     duration_s=3600, vo2max=rng.uniform(46.0, 53.0))  # fmt: skip


def one_hour_run(index: int) -> bytes:
    """FIT bytes of :func:`one_hour_synthetic_run`; a top-level function so a process pool can map it."""
    return encode_fit(one_hour_synthetic_run(index))
