"""A week in one phase (``weekly_plan``) and the 4-week outline ahead of a day's inputs (pure).

The coach builds the real week day by day (``coach.decide.decide_week``); ``weekly_plan`` lays out seven days in
one phase, and ``outline`` projects where the plan leads if every week stays green.
"""

from __future__ import annotations

from datetime import timedelta

from gluteguard.plan.generator import plan_day, week_runs
from gluteguard.plan.inputs import NO_RUN_PHASES, Plan, PlanDay, PlanInputs, week_rules
from gluteguard.plan.library import return_to_run_ladder
from gluteguard.plan.progression import Progress, WeekOutcome, next_progress, progression_rules
from gluteguard.plan.routines import stage_of


def outline(inputs: PlanInputs) -> tuple[dict, ...]:
    """This week and the next three if every week stays green (see ``_outline``)."""
    return tuple(_outline(inputs, len(week_runs(inputs))))


def weekly_plan(inputs: PlanInputs) -> Plan:
    """Seven days from ``week_of`` in one phase, and a 4-week outline (the coach builds a week day by day)."""
    days = tuple(PlanDay(day, plan_day(inputs, day)) for day in (inputs.week_of + timedelta(days=k) for k in range(7)))
    return Plan(
        inputs.week_of,
        inputs.phase.phase,
        inputs.phase.why,
        inputs.phase.source,
        days,
        stage=stage_of(inputs),
        ladder_step=inputs.ladder_step if inputs.phase.phase == "return" else None,
        progress_why=inputs.progress_why,
        outline=outline(inputs),
    )


_PROJECTED_NEXT_PHASE = {"prevent": "prevent", "manage": "prevent", "settle": "return", "blocked": "blocked"}


def _outline(inputs: PlanInputs, runs_per_week: int) -> list[dict]:
    """This week and the next three if every week stays green: a ceiling to grow into, never a target."""
    rules = progression_rules()["outline"]
    last_step = len(return_to_run_ladder())
    phase, progress = inputs.phase.phase, Progress(inputs.stage, inputs.ladder_step, inputs.weeks_at_stage)
    cap, weeks = inputs.cap_m, []
    for k in range(rules["weeks"]):
        week_of = inputs.week_of + timedelta(weeks=k)
        entry: dict = {
            "week_of": week_of.isoformat(),
            "phase": phase,
            "projection": k > 0,
            "strength_sessions": 0 if phase == "blocked" else week_rules()["strength"]["sessions_per_week"],
            "stage": None if phase == "blocked" else progress.stage,
            "runs": 0 if phase in NO_RUN_PHASES else runs_per_week,
            "long_run_cap_m": round(cap) if cap is not None and phase in ("prevent", "manage") else None,
            "ladder_step": progress.ladder_step if phase == "return" else None,
            "focus": week_rules()["outline_focus"][phase],
            "source": rules["source"],
        }
        weeks.append(entry)
        if phase == "return":
            following = "prevent" if progress.ladder_step >= last_step else "return"
        else:
            following = _PROJECTED_NEXT_PHASE[phase]
        outcome = WeekOutcome(week_of, phase, "green", runs_completed=runs_per_week if phase == "return" else 0)
        progress = next_progress(progress, outcome, following, inputs.stage_ceiling)  # an order is assumed to stay
        if cap is not None and phase == "prevent":
            cap *= rules["cap_growth"]
        phase = following
    return weeks
