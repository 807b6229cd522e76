"""A context note next to running (pure): a desk-heavy day right before a run, in the words of ``rules.toml``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gluteguard.sitting.day import SittingDay
from gluteguard.sitting.minutes import duration_words
from gluteguard.sitting.rules import SittingRules, load_rules


@dataclass(frozen=True)
class UpcomingRun:
    """The next planned or recorded run, as much as the desk-day note needs."""

    day: date
    long_run: bool = False
    distance_km: float | None = None


def desk_day_note(
    day: SittingDay, next_run: UpcomingRun | None, rules: SittingRules | None = None, today: date | None = None
) -> str | None:
    """A one-paragraph context note when a desk-heavy day comes right before a run, else None.

    Desk-heavy: sitting ≥ the threshold (> 7 h/day group of the hip-extension study) or a sitting spell ≥ 2 h.
    The note is context, not a verdict, and says why and where that comes from (wording in ``rules.toml``).
    """
    rules = rules or load_rules()
    if next_run is None or day.sitting_min is None:
        return None
    gap = (next_run.day - day.date).days
    if not 0 <= gap <= rules.desk_lookahead_days:
        return None
    heavy = day.sitting_min >= rules.desk_heavy_sitting_min
    long_bout = day.longest_bout_min is not None and day.longest_bout_min >= rules.desk_long_bout_min
    if not (heavy or long_bout):
        return None
    today = today or day.date
    when = "today" if day.date == today else "yesterday" if (today - day.date).days == 1 else f"on {day.date:%a %d %b}"
    kind = "long run" if next_run.long_run else "run"
    if next_run.distance_km:
        kind = f"{round(next_run.distance_km, 1):g} km {kind}"  # 4.4 km, not 4.41603
    run = (
        f"today's {kind}"
        if next_run.day == today
        else f"tomorrow's {kind}"
        if (next_run.day - today).days == 1
        else f"the {kind} on {next_run.day:%a %d %b}"
    )
    bout_part = rules.desk_bout_part.format(bout=duration_words(day.longest_bout_min)) if day.longest_bout_min else ""
    sitting = duration_words(day.sitting_min)
    if day.source == "self_reported":
        sitting += " by the check-in"
    return rules.desk_note.format(when=when, sitting=sitting, bout_part=bout_part, run=run)
