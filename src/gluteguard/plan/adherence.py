"""What the runner logged of their plans (done/skip), per week: feeds progression and the triage (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from gluteguard.plan.progression import WeekOutcome, adherent


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class PlanLogEntry:
    """One logged plan item: its id (``2026-11-24-run-0``), day, kind and outcome (done | skipped)."""

    item_id: str
    day: date
    kind: str
    outcome: str


@dataclass
class WeekLog:
    """Logged plan items of one week (Monday-based)."""

    strength_done: int = 0
    strength_skipped: int = 0
    runs_done: int = 0
    runs_skipped: int = 0
    skipped_ids: set[str] = field(default_factory=set)


def week_logs(entries: Iterable[PlanLogEntry], until: date) -> dict[date, WeekLog]:
    """Every logged item up to ``until``, grouped by the Monday of its day. Only the two weekly strength
    sessions count as strength here; the daily isometric holds are extra and do not make up for them."""
    weeks: dict[date, WeekLog] = defaultdict(WeekLog)
    for entry in entries:
        if entry.day > until:
            continue
        week = weeks[monday_of(entry.day)]
        if entry.outcome == "skipped":
            week.skipped_ids.add(entry.item_id)
        if entry.item_id.endswith("-strength"):
            if entry.outcome == "done":
                week.strength_done += 1
            else:
                week.strength_skipped += 1
        elif entry.kind == "run":
            if entry.outcome == "done":
                week.runs_done += 1
            else:
                week.runs_skipped += 1
    return dict(weeks)


def self_management_from(logs: dict[date, WeekLog], day: date) -> tuple[float, bool | None]:
    """(weeks since the first logged strength session, whether most logged weeks were adherent) on ``day``:
    the context of the triage's "no improvement after 8–12 weeks of adherent self-management" rule."""
    logged = sorted(m for m, log in logs.items() if log.strength_done + log.strength_skipped and m <= day)
    if not logged:
        return 0.0, None
    weeks = (day - logged[0]).days / 7.0
    outcomes = [
        WeekOutcome(m, "logged", None, 2, logs[m].strength_done, logs[m].strength_skipped)
        for m in logged
        if m + timedelta(days=6) <= day  # only finished weeks say whether the week was adherent
    ]
    return weeks, adherent(outcomes)


def recent_adherence(logs: dict[date, WeekLog], day: date, weeks: int) -> bool | None:
    """Whether the strength sessions were mostly done in the last ``weeks`` finished weeks before ``day`` (the same
    rule as :func:`self_management_from`); None when none of those weeks has a logged strength session."""
    first = monday_of(day) - timedelta(weeks=weeks)
    outcomes = [
        WeekOutcome(m, "logged", None, 2, log.strength_done, log.strength_skipped)
        for m, log in sorted(logs.items())
        if first <= m and m + timedelta(days=6) < day and log.strength_done + log.strength_skipped
    ]
    return adherent(outcomes)
