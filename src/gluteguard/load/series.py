"""Sessions → one row per local calendar day (pure, NumPy columns)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from gluteguard.load.rules import load_rules

WALK_SPORTS = frozenset({"walk", "hike"})


@dataclass(frozen=True)
class Session:
    """One activity as the load engine sees it. ``local_date`` is the runner's calendar day where they were
    (the file's own UTC offset when it had one, else the profile's time zone, DST-aware)."""

    activity_id: int
    local_start: datetime
    sport: str
    distance_m: float
    duration_s: float
    ascent_m: float = 0.0
    trimp: float | None = None
    rpe: float | None = None

    @property
    def local_date(self) -> date:
        return self.local_start.date()

    @property
    def is_run(self) -> bool:
        return self.sport == "run"

    @property
    def srpe(self) -> float | None:
        """Session-RPE load (Foster 2001): minutes × RPE, when an RPE was logged."""
        return None if self.rpe is None else self.duration_s / 60.0 * self.rpe


@dataclass(frozen=True)
class DailySeries:
    """Columns indexed by day offset from ``first_day``; days without activities are zeros."""

    first_day: date
    run_distance_m: np.ndarray
    run_time_s: np.ndarray
    walk_distance_m: np.ndarray
    ascent_m: np.ndarray
    runs: np.ndarray
    longest_run_m: np.ndarray
    trimp: np.ndarray
    srpe: np.ndarray
    active: np.ndarray  # any activity of any sport that day
    no_data: np.ndarray  # inside a long stretch without any activity: unknown, not rest

    def __len__(self) -> int:
        return int(self.run_distance_m.shape[0])

    def index(self, day: date) -> int:
        return (day - self.first_day).days

    def day(self, index: int) -> date:
        return self.first_day + timedelta(days=index)


def _no_data_mask(active: np.ndarray, min_gap: int) -> np.ndarray:
    """True on every day of a run of ≥ ``min_gap`` consecutive days without any activity."""
    mask = np.zeros(active.shape[0], dtype=bool)
    padded = np.concatenate(([True], active, [True])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))  # alternating starts/ends of inactive stretches
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start >= min_gap:
            mask[start:end] = True
    return mask


def daily_series(sessions: list[Session], last_day: date, first_day: date | None = None) -> DailySeries:
    """One row per day from the first session's day (or ``first_day``) through ``last_day``."""
    start = first_day or min((s.local_date for s in sessions), default=last_day)
    n = max((last_day - start).days + 1, 0)
    columns = {
        name: np.zeros(n)
        for name in ("run_distance_m", "run_time_s", "walk_distance_m", "ascent_m", "runs", "longest_run_m")
    }
    trimp, srpe, active = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    for session in sessions:
        i = (session.local_date - start).days
        if not 0 <= i < n:
            continue
        active[i] = True
        columns["ascent_m"][i] += session.ascent_m
        trimp[i] += session.trimp or 0.0
        srpe[i] += session.srpe or 0.0
        if session.is_run:
            columns["run_distance_m"][i] += session.distance_m
            columns["run_time_s"][i] += session.duration_s
            columns["runs"][i] += 1
            columns["longest_run_m"][i] = max(columns["longest_run_m"][i], session.distance_m)
        elif session.sport in WALK_SPORTS:
            columns["walk_distance_m"][i] += session.distance_m
    return DailySeries(
        first_day=start,
        trimp=trimp,
        srpe=srpe,
        active=active,
        no_data=_no_data_mask(active, load_rules().no_data_min_gap_days),
        **columns,
    )


def rolling_max_before(values: np.ndarray, window: int) -> np.ndarray:
    """For each day i, the maximum of ``values`` over days i−window … i−1 (0 where none)."""
    n = values.shape[0]
    padded = np.concatenate((np.zeros(window), values))
    if n == 0:
        return np.zeros(0)
    windows = np.lib.stride_tricks.sliding_window_view(padded[:-1], window)
    return windows.max(axis=1)[:n]


def pmc(load: np.ndarray, ctl_days: int, atl_days: int) -> tuple[np.ndarray, np.ndarray]:
    """CTL and ATL after each day: x_t = x_{t−1} + (load_t − x_{t−1})(1 − e^{−1/τ}) (GoldenCheetah)."""
    k_ctl, k_atl = 1 - np.exp(-1 / ctl_days), 1 - np.exp(-1 / atl_days)
    ctl, atl = np.zeros(load.shape[0]), np.zeros(load.shape[0])
    c = a = 0.0
    for i, value in enumerate(load.tolist()):
        c += (value - c) * k_ctl
        a += (value - a) * k_atl
        ctl[i], atl[i] = c, a
    return ctl, atl


def ewma(load: np.ndarray, days: int) -> np.ndarray:
    """EWMA with λ = 2/(N+1) (Williams et al. 2017)."""
    weight = 2.0 / (days + 1)
    out = np.zeros(load.shape[0])
    value = 0.0
    for i, x in enumerate(load.tolist()):
        value = x * weight + (1 - weight) * value
        out[i] = value
    return out
