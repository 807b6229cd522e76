"""From one week to the next: the strength stage and the walk/run ladder step (pure; rules in progression.toml).

The week's pain response (its worst daily status) says progress, hold or regress; adherence gates progress:
strength sessions missed are not made up by doubling up, the stage simply waits for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gluteguard.rules_data import Table, rules_data


def progression_rules() -> Table:
    return rules_data("gluteguard.plan", "progression.toml")


@dataclass(frozen=True)
class WeekOutcome:
    """What happened in one planned week."""

    week_of: date
    phase: str
    worst_status: str | None  # green | amber | red; None without check-ins
    strength_planned: int = 0
    strength_done: int = 0
    strength_skipped: int = 0
    runs_completed: int = 0  # runs logged done, or runs imported on run days when nothing was logged
    ladder_ceiling: int | None = None  # the week was held at this ladder step (return criteria not met)

    @property
    def strength_logged(self) -> bool:
        return self.strength_done + self.strength_skipped > 0


@dataclass(frozen=True)
class Progress:
    """Where the runner stands at the start of a week."""

    stage: int = 2
    ladder_step: int = 1
    weeks_at_stage: int = 0
    why: str = ""


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def stage_bounds(phase: str) -> tuple[int, int]:
    rules = progression_rules()["stage"]
    return rules["floor_by_phase"][phase], rules["ceiling_by_phase"][phase]


def next_progress(current: Progress, week: WeekOutcome, next_phase: str, ceiling: int | None = None) -> Progress:
    """The progress at the start of the week after ``week``, when that week's phase is ``next_phase``; ``ceiling``
    is the highest stage a clinician's order allows that week (a hold never advances, a lowered stage is used)."""
    rules = progression_rules()
    stage_rules, response = rules["stage"], rules["pain_response"].get(week.worst_status or "green", "progress")
    stage, weeks_at_stage, why = current.stage, current.weeks_at_stage + 1, []
    if response == "regress":
        stage, weeks_at_stage = stage - 1, 0
        why.append("Last week was red: the strength stage goes one step back.")
    elif response == "hold" or week.phase in stage_rules["hold_in"]:
        why.append("Last week was amber or irritable: the strength stage is held.")
    elif week.strength_logged and week.strength_done < stage_rules["sessions_done_to_progress"]:
        weeks_at_stage = current.weeks_at_stage  # a missed week does not count toward the time at a stage
        why.append(rules["adherence"]["why_low"])
    elif weeks_at_stage >= stage_rules["min_weeks_per_stage"]:
        stage, weeks_at_stage = stage + 1, 0
        done = " with the sessions done" if week.strength_logged else ""
        why.append(f"Last week was green{done}: one stage up.")
    else:
        weeks = stage_rules["min_weeks_per_stage"]
        why.append(f"Last week was green: stage {stage} is kept for at least {weeks} weeks.")
    if not week.strength_logged and response == "progress":
        why.append(rules["adherence"]["why_unknown"])
    low, high = stage_bounds(next_phase)
    bounded = _clamp(stage, low, high)
    if bounded != stage:
        weeks_at_stage = 0
    if ceiling is not None and bounded > ceiling:
        # Held where it was: the time at the stage goes on; lowered: a new start at the lower stage.
        weeks_at_stage = current.weeks_at_stage + 1 if ceiling == current.stage else 0
        bounded = ceiling
        why = [rules["stage"]["ordered_why"].format(stage=ceiling)]
    ladder = _next_ladder_step(current.ladder_step, week, response, next_phase)
    return Progress(bounded, ladder, weeks_at_stage, " ".join(why))


def _next_ladder_step(step: int, week: WeekOutcome, response: str, next_phase: str) -> int:
    from gluteguard.plan.library import return_to_run_ladder  # the ladder's length lives in the exercise library

    rules, last = progression_rules()["ladder"], len(return_to_run_ladder())
    if week.ladder_ceiling is not None:  # held at a step: at most one step up from it, once the criteria are met
        step = min(step, week.ladder_ceiling)
        if response != "progress":
            return step
        return _clamp(step + min(week.runs_completed // rules["runs_per_step"], 1), 1, last)
    if response == "regress" or week.phase == "settle":
        return _clamp(step - rules["regress_steps"], 1, last)
    if week.phase != "return" or response == "hold":
        return step
    return _clamp(step + week.runs_completed // rules["runs_per_step"], 1, last)


def replay(
    weeks: list[WeekOutcome],
    next_phase: str,
    start: Progress | None = None,
    ceilings: Sequence[int | None] = (),
) -> Progress:
    """The progress at the start of the week after the last of ``weeks`` (oldest first). ``ceilings[i]``, when
    given, is the highest stage a clinician's order allows in the week after ``weeks[i]``."""
    if not weeks:
        low, high = stage_bounds(next_phase)
        progress = start or Progress(stage=low)
        return Progress(_clamp(progress.stage, low, high), progress.ladder_step, 0, progress.why)
    progress = start or Progress(stage=stage_bounds(weeks[0].phase)[0])
    following = [w.phase for w in weeks[1:]] + [next_phase]
    limits = list(ceilings) + [None] * (len(weeks) - len(ceilings))
    for week, next_week_phase, ceiling in zip(weeks, following, limits, strict=True):
        progress = next_progress(progress, week, next_week_phase, ceiling)
    return progress


def adherent(weeks: list[WeekOutcome]) -> bool | None:
    """Most logged weeks had their strength sessions done; None when nothing was logged."""
    logged = [w for w in weeks if w.strength_logged and w.phase != "blocked"]
    if not logged:
        return None
    needed = progression_rules()["stage"]["sessions_done_to_progress"]
    share = sum(w.strength_done >= min(needed, w.strength_planned or needed) for w in logged) / len(logged)
    return share >= progression_rules()["adherence"]["adherent_week_share"]
