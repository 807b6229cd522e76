"""The weekly load history as plain rows: what ``services.load`` computes per Monday-to-Sunday week and the
charts and pages show (pure data, no store)."""

from __future__ import annotations

from dataclasses import dataclass

from gluteguard.load.rules import LoadRules

# Spike categories from least to most worrying (``no_history``: no 30-day longest run to compare with).
SPIKE_ORDER = ("no_history", "none", "small", "moderate", "large")
NO_RUNS = ""  # WeekRow.worst_spike of a week without runs


def category_labels(rules: LoadRules) -> dict[str, str]:
    """Each spike category in words, with the thresholds read from rules.toml (never restated here): the charts'
    legend, the pages and the command line."""
    labels = {"no_history": "no 30-day history to compare with", NO_RUNS: "no runs"}
    bounds = [None, *(c.max_ratio - 1 for c in rules.spike_categories)]  # run / 30-day longest, minus 1
    for c, lo, hi in zip(rules.spike_categories, bounds, bounds[1:], strict=False):
        span = f"≤ +{hi:.0%}" if lo is None else f"> +{lo:.0%}" if hi == float("inf") else f"+{lo:.0%} to +{hi:.0%}"
        labels[c.name] = f"{'no' if lo is None else c.name} spike ({span})"
    return labels


def short_label(category: str) -> str:
    """A spike category in a table cell: "no history", "none", "small", … (the legend says what each means)."""
    return category.replace("_", " ")


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
