"""Which exercises each item of a plan day holds — the warm-up, the stretches, the strength session, the daily
hip routine, the isometric holds, the sitting breaks — from the runner's state (symptoms in the last 14 days, the
phase, the equipment, the stage) through the slots of ``selection.toml`` (pure)."""

from __future__ import annotations

from datetime import timedelta

from gluteguard.plan.inputs import (
    EQUIPMENT_PROVIDES,
    NO_RUN_PHASES,
    SYMPTOMATIC_PHASES,
    WEEKDAYS,
    PlanInputs,
    week_rules,
)
from gluteguard.plan.library import Exercise, glute_stage, load_library
from gluteguard.plan.progression import progression_rules
from gluteguard.plan.select import Choice, SelectionState, choose_all, glute_choice, refusal


def _dosage(exercise: Exercise) -> str:
    d = exercise.dosage
    amount = f"{d.reps} reps" if d.reps else f"{d.hold_s} s hold" if d.hold_s else f"{d.duration_min:g} min"
    if d.reps and d.hold_s:
        amount = f"{d.reps} × {d.hold_s} s holds"
    side = " each side" if d.each_side else ""
    often = f", {d.frequency}" if d.frequency else ""
    return f"{d.sets} × {amount}{side}, {d.effort}{often}"


def routine(exercises: list[Exercise]) -> tuple[dict, ...]:
    return tuple({"id": e.id, "name": e.name, "dosage": _dosage(e)} for e in exercises)


def _available(inputs: PlanInputs) -> set[str]:
    kit = {"none", "wall", "chair"}
    for item in inputs.equipment:
        kit |= EQUIPMENT_PROVIDES.get(item, set())
    return kit


def symptomatic(inputs: PlanInputs) -> bool:
    """Whether compression and adduction positions stay out: a symptomatic phase, or side-of-hip pain in the last
    14 days even in a green week."""
    return inputs.phase.phase in SYMPTOMATIC_PHASES or inputs.lateral_hip_pain_recent


def _conditions(inputs: PlanInputs) -> set[str]:
    conditions = {"symptomatic"} if symptomatic(inputs) else set()
    if inputs.phase.phase == "settle":
        conditions.add("red_status")
    if inputs.tender_hip_bone:
        conditions.add("tender_hip_bone")
    if "gym" not in inputs.equipment:
        conditions.add("no_gym")
    return conditions


def selection_state(inputs: PlanInputs) -> SelectionState:
    excluded = tuple((e.exercise_id, e.why) for e in inputs.exclusions)
    return SelectionState(frozenset(_conditions(inputs)), frozenset(_available(inputs)), excluded)


def stage_of(inputs: PlanInputs) -> int:
    """The glute stage the inputs ask for, kept within LEAP's stages (progression.toml [stage] first–last)."""
    rules = progression_rules()["stage"]
    return max(rules["first"], min(inputs.stage, rules["last"]))


def _week_number(inputs: PlanInputs) -> int:
    return inputs.week_of.toordinal() // 7


def _glute(inputs: PlanInputs, stage: int) -> Choice:
    rules = week_rules()["strength"]
    return glute_choice(glute_stage(stage), stage, selection_state(inputs), rules["daily_why"], rules["daily_source"])


def _stride_emphasis(inputs: PlanInputs, stage: int) -> Choice:
    """Exercises a stride finding asks for, when they fit the stage and the kit (the stride analysis issue)."""
    library, state = load_library(), selection_state(inputs)
    wanted = [library[i] for cue in inputs.stride_cues for i in cue.exercises if i in library]
    wanted = list(dict.fromkeys(wanted))
    chosen = [e for e in wanted if 1 <= e.stage <= stage and refusal(e, state) is None]
    left_out = [
        (e.id, refusal(e, state) or f"belongs to hip stage {e.stage}, later than this week's {stage}")
        for e in wanted
        if e not in chosen
    ]
    sources = "; ".join(dict.fromkeys(cue.source for cue in inputs.stride_cues if cue.exercises))
    return Choice("stride_emphasis", "strength", "what your stride analysis asks for", tuple(chosen),
                  tuple(left_out), "Exercises your saved stride findings point to.", sources)  # fmt: skip


def strength_choices(inputs: PlanInputs, session: int) -> tuple[Choice, ...]:
    """A twice-weekly strength session: the LEAP stage's hip work, what the stride asks for, then quads,
    hamstrings, calves (three foot positions) and hip flexors, rotating through the library session by session."""
    stage = stage_of(inputs)
    occasion = _week_number(inputs) * week_rules()["strength"]["sessions_per_week"] + session
    emphasis = (_stride_emphasis(inputs, stage),) if inputs.stride_cues else ()
    return (_glute(inputs, stage), *emphasis, *choose_all("strength", selection_state(inputs), occasion))


def _occasion(inputs: PlanInputs, index: int, per_week: int) -> int:
    """The number of the ``index``-th occurrence of an item in this week, counted over the weeks."""
    return _week_number(inputs) * per_week + index


def day_choices(
    inputs: PlanInputs, weekday: int, runs: list[int], strength_days: dict[int, int | None]
) -> dict[str, tuple[Choice, ...]]:
    """The exercises of each item of the day, by the item's id, with what was left out and why."""
    phase, state = inputs.phase.phase, selection_state(inputs)
    choices: dict[str, tuple[Choice, ...]] = {}
    if phase == "blocked":
        return choices
    if weekday in runs and phase not in NO_RUN_PHASES:
        occasion = _occasion(inputs, runs.index(weekday), max(len(runs), 1))
        choices["warmup"] = choose_all("warmup", state, occasion)
        choices["stretch"] = choose_all("stretch", state, occasion)
    stage = stage_of(inputs)
    if weekday in strength_days:
        choices["strength"] = strength_choices(inputs, sorted(strength_days).index(weekday))
    elif stage > progression_rules()["stage"]["first"]:
        choices["hip-programme"] = (_glute(inputs, stage),)  # LEAP's home programme is daily (clinical.md §1.4)
    if stage == progression_rules()["stage"]["first"] or symptomatic(inputs):
        choices["isometrics"] = (_glute(inputs, progression_rules()["stage"]["first"]),)
    if WEEKDAYS[weekday] in inputs.work_days:
        working_day = (inputs.week_of + timedelta(days=weekday)).toordinal()
        choices["sitting-breaks"] = choose_all("sitting_breaks", state, working_day)
    return choices
