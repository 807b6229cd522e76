"""Sessions → one row per local calendar day (pure, NumPy columns)."""

from __future__ import annotations

from dataclasses import dataclass, field
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

    local_date: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Stored once: the engine asks for it for every session on every recompute.
        object.__setattr__(self, "local_date", self.local_start.date())

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
    origin = start.toordinal()
    index = np.fromiter((s.local_date.toordinal() - origin for s in sessions), dtype=np.int64, count=len(sessions))
    distance = np.fromiter((s.distance_m for s in sessions), dtype=np.float64, count=len(sessions))
    sports = [s.sport for s in sessions]
    is_run = np.fromiter((sport == "run" for sport in sports), dtype=bool, count=len(sessions))
    is_walk = np.fromiter((sport in WALK_SPORTS for sport in sports), dtype=bool, count=len(sessions))
    inside = (index >= 0) & (index < n)

    def total(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(index[inside & mask], weights=values[inside & mask], minlength=n)[:n]

    everyone = np.ones(len(sessions), dtype=bool)
    longest = np.zeros(n)
    run_inside = inside & is_run
    np.maximum.at(longest, index[run_inside], distance[run_inside])
    active = np.zeros(n, dtype=bool)
    active[index[inside]] = True
    return DailySeries(
        first_day=start,
        run_distance_m=total(distance, is_run),
        run_time_s=total(np.fromiter((s.duration_s for s in sessions), np.float64, len(sessions)), is_run),
        walk_distance_m=total(distance, is_walk),
        ascent_m=total(np.fromiter((s.ascent_m for s in sessions), np.float64, len(sessions)), everyone),
        runs=total(np.ones(len(sessions)), is_run),
        longest_run_m=longest,
        trimp=total(np.fromiter((s.trimp or 0.0 for s in sessions), np.float64, len(sessions)), everyone),
        srpe=total(np.fromiter((s.srpe or 0.0 for s in sessions), np.float64, len(sessions)), everyone),
        active=active,
        no_data=_no_data_mask(active, load_rules().no_data_min_gap_days),
    )


def rolling_max_before(values: np.ndarray, window: int) -> np.ndarray:
    """For each day i, the maximum of ``values`` over days i−window … i−1 (0 where none)."""
    n = values.shape[0]
    padded = np.concatenate((np.zeros(window), values))
    if n == 0:
        return np.zeros(0)
    windows = np.lib.stride_tricks.sliding_window_view(padded[:-1], window)
    return windows.max(axis=1)[:n]


EXPONENTIAL_BLOCK_DAYS = 128  # keeps decay^-k within float range (0.75^-128 ≈ e^37) for every τ we use


def _exponential(load: np.ndarray, gain: float) -> np.ndarray:
    """y_t = y_{t−1} + (x_t − y_{t−1})·gain from y = 0, vectorised per block.

    Inside a block, y_k = d^(k+1)·y_before + gain·d^k·Σ_{j≤k} x_j·d^(−j) with d = 1 − gain: the same
    recursion in a few NumPy calls per 128 days (scipy.signal.lfilter would do it too, but importing
    scipy.signal costs over a second at every start of the command line).
    """
    decay = 1.0 - gain
    out = np.empty(load.shape[0])
    state = 0.0
    for start in range(0, load.shape[0], EXPONENTIAL_BLOCK_DAYS):
        block = load[start : start + EXPONENTIAL_BLOCK_DAYS].astype(np.float64)
        powers = decay ** np.arange(block.shape[0], dtype=np.float64)
        values = decay * powers * state + gain * powers * np.cumsum(block / powers)
        out[start : start + block.shape[0]] = values
        state = float(values[-1])
    return out


def pmc(load: np.ndarray, ctl_days: int, atl_days: int) -> tuple[np.ndarray, np.ndarray]:
    """CTL and ATL after each day: x_t = x_{t−1} + (load_t − x_{t−1})(1 − e^{−1/τ}) (GoldenCheetah)."""
    return _exponential(load, 1 - np.exp(-1 / ctl_days)), _exponential(load, 1 - np.exp(-1 / atl_days))


def ewma(load: np.ndarray, days: int) -> np.ndarray:
    """EWMA with λ = 2/(N+1) (Williams et al. 2017): the same recursion with gain λ."""
    return _exponential(load, 2.0 / (days + 1))
