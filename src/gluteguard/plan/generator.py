"""A day's plan items from its phase, cap, profile and stage, and the week's layout they sit in: which days hold
a run or a strength session, the ladder step of a run, the ids an earlier calendar holds (pure, deterministic).

Same inputs, same items: no clock, no randomness. Rules and wording with sources: ``week_rules.toml``,
``phases.toml``, and the exercise library ``exercises.toml``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from gluteguard.plan.inputs import (
    NO_RUN_PHASES,
    SYMPTOMATIC_PHASES,
    WEEKDAYS,
    Plan,
    PlanDay,
    PlanInputs,
    PlanItem,
    ShoeUse,
    StrideCue,
    week_rules,
)
from gluteguard.plan.library import load_library, return_to_run_ladder
from gluteguard.plan.progression import progression_rules
from gluteguard.plan.routines import day_choices, routine, stage_of
from gluteguard.plan.select import Choice, chosen_exercises


def _run_days(inputs: PlanInputs) -> list[int]:
    days = [WEEKDAYS.index(d) for d in inputs.running_days] or [1, 3, 5]
    if inputs.phase.phase == "return":  # rest days between runs (progression.toml [ladder], clinical.md §5.2)
        rest_days = progression_rules()["ladder"]["rest_days_between_runs"]
        spaced: list[int] = []
        for day in sorted(days):
            if not spaced or day - spaced[-1] > rest_days:
                spaced.append(day)
        # Across the week boundary too: this week's first run keeps its rest day from last week's last one (the
        # same usual days, or a run actually done on the Sunday before).
        if len(spaced) > 1 and spaced[0] + 7 - spaced[-1] <= rest_days:
            spaced.pop()
        if spaced and spaced[0] == 0 and inputs.ran_day_before_week:
            spaced.pop(0)
        return spaced
    return sorted(days)


def ladder_step_on(inputs: PlanInputs, run_index: int) -> int:
    """The walk/run ladder step of the week's run number ``run_index`` (0-based): each step is run twice, and
    while the return criteria are not met the ladder stays at its first step."""
    if inputs.phase.first_step_only:
        return 1
    step = inputs.ladder_step + run_index // progression_rules()["ladder"]["runs_per_step"]
    return min(step, len(return_to_run_ladder()))


def _cadence_cue(inputs: PlanInputs) -> tuple[str, str]:
    """The stride findings' running cues, joined, with their sources ('' when there are none)."""
    cues = [cue for cue in inputs.stride_cues if cue.cue]
    return " ".join(dict.fromkeys(c.cue for c in cues)), "; ".join(dict.fromkeys(c.source for c in cues))


def _run_item(inputs: PlanInputs, index: int, weekday: int, runs: list[int]) -> PlanItem:
    rules, phase = week_rules()["runs"], inputs.phase.phase
    cap = inputs.cap_m
    cue, cue_source = _cadence_cue(inputs)
    cue_text = f" Stride cue: {cue}" if cue else ""
    if phase == "return":
        step = return_to_run_ladder()[ladder_step_on(inputs, index) - 1]
        return PlanItem(
            f"run-{index}",
            "run",
            step.name,
            step.session.rstrip(".") + "." + cue_text,
            rules["return_why"],
            "; ".join([*step.sources, *([cue_source] if cue else [])]),
            # Ladder steps are set by time, not distance: the load cap would only mislead here.
            distance_cap_m=None,
            session_kind=step.session_kind,
            ladder_step=step.ladder_step,
        )
    long_run = inputs.long_run_day is not None and WEEKDAYS[weekday] == inputs.long_run_day
    if cap is None:  # no 30-day history: short and easy until there is one
        distance = None
        title, details = "Easy run", inputs.no_cap_details or rules["no_cap_details"]
    else:
        budget = inputs.last_7_days_m * (rules["manage_keep"] if phase == "manage" else 1.0)
        share = budget / max(len(runs), 1)
        easy = min(cap * rules["easy_share_of_cap"], share or cap, cap)
        # The long run's limit is the cap itself: the evidence-based ceiling, not a target.
        distance = cap if long_run and phase == "prevent" else easy
        title = "Long run" if long_run and phase == "prevent" else "Easy run"
        details = f"Up to {distance / 1000:.1f} km" + (", flat, no speed work" if phase == "manage" else "")
    why = rules["manage_why"] if phase == "manage" else rules["prevent_why"]
    source = rules["source"] + (f"; {cue_source}" if cue else "")
    return PlanItem(
        f"run-{index}",
        "run",
        title,
        details.rstrip(".") + "." + cue_text,
        why,
        source,
        distance_cap_m=distance,
        session_kind="run",
    )


def _item(item_id: str, kind: str, title: str, details: str, rule: dict, why_key: str = "why") -> PlanItem:
    """An item whose why and source come from one table of week_rules.toml."""
    return PlanItem(item_id, kind, title, details, rule[why_key], rule["source"])


def _shoe_item(inputs: PlanInputs) -> PlanItem:
    rules = week_rules()["shoes"]
    used = [s for s in inputs.shoes if s.recent_m >= rules["counts_as_used_m"]]
    if not inputs.shoes:
        details = rules["no_gear"]
    else:
        mileage = ", ".join(f"{s.name}: {s.total_m / 1000:.0f} km" for s in sorted(inputs.shoes, key=lambda s: s.name))
        lead = rules["one_pair"] if len(used) < 2 else rules["rotating"]
        details = f"{lead} Distance per pair so far: {mileage}."
    return _item("shoes", "tip", "Shoes", details, rules)


def _day_items(
    inputs: PlanInputs, weekday: int, runs: list[int], strength_days: dict[int, int | None], tip_index: int
) -> list[PlanItem]:
    rules, phase = week_rules(), inputs.phase.phase
    if phase == "blocked":
        return [
            PlanItem(
                "clinician",
                "clinician",
                "Get seen before any exercise",
                inputs.phase.why,
                rules["clinician"]["blocked_why"],
                inputs.phase.source,
            )
        ]
    choices = day_choices(inputs, weekday, runs, strength_days)

    def exercises_of(item_id: str) -> tuple[dict, ...]:
        return routine(chosen_exercises(choices[item_id]))

    items: list[PlanItem] = []
    if weekday in runs and phase not in NO_RUN_PHASES:
        run = _run_item(inputs, runs.index(weekday), weekday, runs)
        # A walk or hop step of the way back to running is not called a run (week_rules.toml [session_words]).
        session = rules["session_words"]["run" if run.holds_running else run.session_kind or "run"]
        items.append(
            PlanItem(
                "warmup",
                "warmup",
                f"Warm-up before the {session}",
                "Walk first, then loosen the hip flexors.",
                rules["warmup"]["why"],
                rules["warmup"]["source"],
                exercises=exercises_of("warmup"),
            )
        )
        items.append(run)
        items.append(
            PlanItem(
                "stretch",
                "stretch",
                f"Stretch after the {session}",
                "Hold each stretch gently, no bouncing.",
                rules["stretch"]["why"],
                rules["stretch"]["source"],
                exercises=exercises_of("stretch"),
            )
        )
        if phase in SYMPTOMATIC_PHASES:
            rest = rules["rest"]
            items.append(_item("rest", "rest", f"If the hip aches after the {session}", rest["after_run"], rest))
        if weekday == runs[0]:
            items.append(_shoe_item(inputs))
    elif weekday in runs:
        items.append(
            PlanItem(
                "rest",
                "rest",
                "No run: walk or cycle as tolerated",
                rules["rest"]["settle"],
                inputs.phase.why,
                inputs.phase.source,
            )
        )
    strength = rules["strength"]
    if "strength" in choices:
        moved_from = strength_days[weekday]
        moved = f" (moved from {WEEKDAYS[moved_from].capitalize()})" if moved_from is not None else ""
        items.append(
            PlanItem(
                "strength",
                "strength",
                f"Strength, stage {stage_of(inputs)}{moved}",
                strength["details"] + (" Missed sessions move to a later day, never two on one day." if moved else ""),
                strength["why"] + (f" {inputs.progress_why}" if inputs.progress_why else ""),
                strength["source"] + "".join(f"; {cue.source}" for cue in inputs.stride_cues if cue.exercises),
                exercises=exercises_of("strength"),
            )
        )
    if "hip-programme" in choices:
        items.append(
            PlanItem(
                "hip-programme",
                "strength",
                f"Hip stabiliser routine, stage {stage_of(inputs)} (daily)",
                strength["daily_details"],
                strength["daily_why"],
                strength["daily_source"],
                exercises=exercises_of("hip-programme"),
            )
        )
    if "isometrics" in choices:
        items.append(
            PlanItem(
                "isometrics",
                "strength",
                "Isometric hip holds (twice daily)",
                strength["isometric_details"],
                strength["isometric_why"],
                strength["isometric_source"],
                exercises=exercises_of("isometrics"),
            )
        )
    if "sitting-breaks" in choices:
        sitting = rules["sitting"]
        items.append(
            PlanItem(
                "sitting-breaks",
                "sitting_breaks",
                f"Break from sitting every {sitting['every_min']} min",
                "Pick one move each break.",
                sitting["why"],
                sitting["source"],
                exercises=exercises_of("sitting-breaks"),
            )
        )
    items.extend(_clinician_items(inputs, weekday))
    tip = rules["tips"][tip_index % len(rules["tips"])]
    items.append(
        PlanItem(
            "tip",
            "tip",
            "Today's tip",
            tip["text"],
            "Small daily habits cut the compressive load on the tendon.",
            tip["source"],
        )
    )
    return items


def _clinician_items(inputs: PlanInputs, weekday: int) -> list[PlanItem]:
    """Every day while the triage says to see a clinician (until a visit is booked); otherwise once a week
    (Monday): see a physiotherapist when pain is not settling, physio and massage while the hip is irritable."""
    rules, phase = week_rules()["clinician"], inputs.phase.phase
    if inputs.symptom_action == "see_clinician":
        return [_item("clinician", "clinician", "Book a visit with a GP or physiotherapist", rules["triage_details"],
                      rules, "triage_why")]  # fmt: skip
    if weekday != 0:
        return []
    if phase == "settle":
        return [_item("clinician", "clinician", "See a physiotherapist if this does not settle",
                      rules["settle_details"], rules, "settle_why")]  # fmt: skip
    if phase in ("manage", "return"):
        return [_item("clinician", "clinician", "Physiotherapy and massage can help", rules["manage_details"],
                      rules, "manage_why")]  # fmt: skip
    return []


def _strength_days(runs: list[int], long_day: int | None, count: int) -> list[int]:
    """Non-consecutive days, away from the long run where possible, deterministic."""
    chosen: list[int] = []
    for candidate in sorted(range(7), key=lambda d: (d == long_day, d in runs, d)):
        if all(abs(candidate - other) >= 2 for other in chosen):
            chosen.append(candidate)
        if len(chosen) == count:
            break
    return sorted(chosen)


def _reschedule(inputs: PlanInputs, planned: list[int], long_day: int | None) -> dict[int, int | None]:
    """Strength days → the day a session was moved from (None when it was planned there).

    A skipped session moves to the next free later day of the week, a day with no strength session next to it if
    possible; never two on one day. The skipped one stays on its day so the log keeps its item.
    """
    sessions: dict[int, int | None] = dict.fromkeys(planned)
    queue = sorted(planned)
    while queue:
        day = queue.pop(0)
        if f"{(inputs.week_of + timedelta(days=day)).isoformat()}-strength" not in inputs.skipped_item_ids:
            continue
        free = [d for d in range(day + 1, 7) if d not in sessions]
        spaced = [d for d in free if d - 1 not in sessions and d + 1 not in sessions and d != long_day]
        target = (spaced or free or [None])[0]
        if target is not None:
            sessions[target] = sessions[day] if sessions[day] is not None else day
            queue = sorted([*queue, target])
    return dict(sorted(sessions.items()))


def week_runs(inputs: PlanInputs) -> list[int]:
    """The weekdays (0 = Monday) with a run in this phase; in the no-run phases, the runner's usual run days."""
    if inputs.phase.phase in NO_RUN_PHASES:
        return [WEEKDAYS.index(d) for d in inputs.running_days]
    return _run_days(inputs)


def run_index_on(inputs: PlanInputs, day: date) -> int:
    """How many of the week's runs come before ``day``: the number of the day's run, or of the next one."""
    weekday = (day - inputs.week_of).days
    return sum(1 for run_day in week_runs(inputs) if run_day < weekday)


def usual_session_ids(inputs: PlanInputs, day: date) -> tuple[str, ...]:
    """The ids the day's run and weekly strength session have in the runner's usual week (``2026-11-24-run-1``,
    ``2026-11-24-strength``): what a calendar exported earlier may hold, so a later export can cancel them."""
    weekday = (day - inputs.week_of).days
    usual = sorted(WEEKDAYS.index(d) for d in inputs.running_days) or [1, 3, 5]
    long_day = WEEKDAYS.index(inputs.long_run_day) if inputs.long_run_day else None
    strength = _strength_days(usual, long_day, week_rules()["strength"]["sessions_per_week"])
    ids = [f"{day.isoformat()}-run-{usual.index(weekday)}"] if weekday in usual else []
    return tuple(ids + ([f"{day.isoformat()}-strength"] if weekday in strength else []))


def _strength_days_of(inputs: PlanInputs) -> dict[int, int | None]:
    usual_runs = sorted(WEEKDAYS.index(d) for d in inputs.running_days) or [1, 3, 5]
    long_day = WEEKDAYS.index(inputs.long_run_day) if inputs.long_run_day else None
    planned = _strength_days(usual_runs, long_day, week_rules()["strength"]["sessions_per_week"])
    return {} if inputs.phase.phase == "blocked" else _reschedule(inputs, planned, long_day)


def _weekday_in(inputs: PlanInputs, day: date) -> int:
    weekday = (day - inputs.week_of).days
    if not 0 <= weekday < 7:
        raise ValueError(f"{day} is not in the week of {inputs.week_of}")
    return weekday


def plan_day(inputs: PlanInputs, day: date) -> tuple[PlanItem, ...]:
    """The items of ``day`` (in the week of ``inputs.week_of``) in the phase the inputs give; every item says why
    and cites its source. Strength days follow the runner's usual run days, so they stay put when the phase
    changes within the week."""
    weekday = _weekday_in(inputs, day)
    items = _day_items(inputs, weekday, week_runs(inputs), _strength_days_of(inputs), tip_index=day.toordinal())
    return tuple(_numbered(items, day))


def explain_day(inputs: PlanInputs, day: date) -> dict[str, tuple[Choice, ...]]:
    """Which rule chose each exercise of the day's items and why the other candidates were left out, by the
    item's id (``2026-11-24-strength``): the same choices ``plan_day`` makes."""
    weekday = _weekday_in(inputs, day)
    choices = day_choices(inputs, weekday, week_runs(inputs), _strength_days_of(inputs))
    return {f"{day.isoformat()}-{item_id}": item_choices for item_id, item_choices in choices.items()}


def _numbered(items: list[PlanItem], day: date) -> list[PlanItem]:
    """Stable ids per day (``2026-11-23-run-0``) so ``done``/``skip`` can name an item."""
    return [replace(item, id=f"{day.isoformat()}-{item.id}") for item in items]


__all__ = [
    "Plan",
    "PlanDay",
    "PlanInputs",
    "PlanItem",
    "ShoeUse",
    "StrideCue",
    "explain_day",
    "ladder_step_on",
    "load_library",
    "plan_day",
    "run_index_on",
    "stage_of",
    "usual_session_ids",
    "week_runs",
]
