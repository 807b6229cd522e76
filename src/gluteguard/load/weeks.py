"""The weekly load history as plain rows: what ``services.load`` computes per Monday-to-Sunday week and the
charts and pages show (pure data, no store)."""

from __future__ import annotations

from dataclasses import dataclass

# Spike categories from least to most worrying (``no_history``: no 30-day longest run to compare with).
SPIKE_ORDER = ("no_history", "none", "small", "moderate", "large")


@dataclass(frozen=True)
class WeekRow:
    week_start: str
    run_distance_m: float
    runs: int
    longest_run_m: float
    worst_spike: str  # the largest spike category of the week's runs
    cap_at_end_m: float | None
    ctl: float
    atl: float
    tsb: float
    no_data_days: int


@dataclass(frozen=True)
class WeekRun:
    date: str
    distance_m: float
    spike_category: str
    activity_id: int | None = None  # for a chart's hover and a link to the run


@dataclass(frozen=True)
class WeekDetail:
    """What a weekly chart point is made of: the week's runs, and the monotony of its seven days."""

    runs: tuple[WeekRun, ...]
    monotony: float | None  # mean / SD of the week's daily running km (Foster), as the load engine computes it
