"""A coach's or physio's orders in the pure planning core (issue 17): a held stage never advances, a lowered stage
is used, an excluded exercise never appears and is replaced by the next that fits; the one decision carries the
words with the clinician's name; the past keeps what was decided then."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gluteguard.coach.decide import decide, decide_week
from gluteguard.coach.history import AthleteHistory, first_difference
from gluteguard.plan.inputs import PlanInputs
from gluteguard.plan.library import load_library
from gluteguard.plan.orders import ClinicianOrder, OrderKind, exclusions, in_force, notices
from gluteguard.plan.progression import Progress, WeekOutcome, next_progress, replay
from gluteguard.plan.routines import selection_state, stage_of
from gluteguard.plan.select import SelectionState, refusal
from gluteguard.plan.week import weekly_plan
from gluteguard.symptoms.model import CheckIn
from test_plan_generator import MONDAY, inputs_strategy

CLEO = "Cleo Physio"
GREEN_WEEK = WeekOutcome(MONDAY, "prevent", "green", 2, 2, 0)
CHOSEN_KINDS = ("warmup", "foam_roll", "strength", "stretch", "sitting_break")
EXCLUDABLE = sorted(e.id for e in load_library().values() if e.kind in CHOSEN_KINDS)


def _order(kind: OrderKind, starts_on: date = MONDAY, **fields: object) -> ClinicianOrder:
    return ClinicianOrder(fields.pop("id", 1), kind, CLEO, starts_on, **fields)  # type: ignore[arg-type]


def _exercise_ids(inputs: PlanInputs) -> set[str]:
    return {e["id"] for day in weekly_plan(inputs).days for item in day.items for e in item.exercises}


# --- which orders bind a day --------------------------------------------------------------------------------------


def test_an_order_binds_from_its_day_until_lifted_or_run_out() -> None:
    order = _order(OrderKind.STAGE_HOLD, stage=2, ends_on=MONDAY + timedelta(days=9))
    assert not order.in_force(MONDAY - timedelta(days=1), MONDAY - timedelta(days=1))
    assert order.in_force(MONDAY, MONDAY)
    assert order.in_force(MONDAY + timedelta(days=9), MONDAY)  # a day ahead, decided today
    assert not order.in_force(MONDAY + timedelta(days=10), MONDAY)  # its last day has passed
    lifted = replace(order, revoked_on=MONDAY + timedelta(days=3))
    assert lifted.in_force(MONDAY + timedelta(days=2), MONDAY + timedelta(days=2))  # the past keeps it
    assert not lifted.in_force(MONDAY + timedelta(days=3), MONDAY + timedelta(days=3))  # lifted today: gone today
    assert not lifted.in_force(MONDAY + timedelta(days=5), MONDAY + timedelta(days=3))


def test_the_lowest_stage_order_binds_and_each_exclusion_names_its_clinician() -> None:
    orders = (
        _order(OrderKind.STAGE_HOLD, id=1, stage=3),
        _order(OrderKind.STAGE_LOWER, id=2, stage=1),
        _order(OrderKind.EXCLUDE_EXERCISE, id=3, exercise_id="side_steps"),
    )
    live = in_force(orders, MONDAY, MONDAY)
    assert live.stage_ceiling == 1 and live.stage is orders[1]
    assert [(e.exercise_id, e.by) for e in exclusions(live)] == [("side_steps", CLEO)]
    words = [n.message for n in notices(live, 1, {"side_steps": "Side steps"})]
    assert words[0].startswith("Lowered to stage 1 by Cleo Physio")
    assert words[1].startswith("Side steps left out by Cleo Physio")


def test_notice_words_say_at_most_when_the_pain_keeps_the_stage_lower() -> None:
    live = in_force([_order(OrderKind.STAGE_HOLD, stage=3, reason="scan next week")], MONDAY, MONDAY)
    (bites,) = notices(live, 3, {})
    (below,) = notices(live, 1, {})
    assert bites.message.startswith("Held at stage 3 by Cleo Physio:") and "scan next week" in bites.message
    assert "at most" in below.message and "stage 1" in below.message
    assert "you have" not in bites.message.lower() + below.message.lower()


# --- progression -----------------------------------------------------------------------------------------------


def test_a_held_stage_never_advances_and_resumes_from_where_it_was() -> None:
    start = Progress(stage=2, weeks_at_stage=5)
    assert next_progress(start, GREEN_WEEK, "prevent").stage == 3  # without the order: one stage up
    held = replay([GREEN_WEEK] * 6, "prevent", start, ceilings=[2] * 6)
    assert held.stage == 2 and "order" in held.why
    lifted = replay([GREEN_WEEK] * 6, "prevent", start, ceilings=[2] * 5 + [None])
    assert lifted.stage == 3  # one step from the held stage when lifted, never a jump to where it would have been


def test_a_lowered_stage_is_used_even_below_the_phase_floor() -> None:
    # prevent's floor is stage 2 (progression.toml): a clinician's lower order to 1 still wins
    lowered = next_progress(Progress(stage=3), GREEN_WEEK, "prevent", ceiling=1)
    assert lowered.stage == 1 and lowered.weeks_at_stage == 0


# --- the week: exclusions never appear, a replacement takes their place -------------------------------------------


@settings(max_examples=300, deadline=None)
@given(inputs_strategy, st.lists(st.sampled_from(EXCLUDABLE), min_size=1, max_size=4, unique=True))
def test_an_excluded_exercise_never_appears_in_any_generated_week(inputs: PlanInputs, excluded: list[str]) -> None:
    orders = [_order(OrderKind.EXCLUDE_EXERCISE, id=n, exercise_id=eid) for n, eid in enumerate(excluded)]
    ordered = replace(inputs, exclusions=exclusions(in_force(orders, MONDAY, MONDAY)))
    assert not _exercise_ids(ordered) & set(excluded)


@settings(max_examples=200, deadline=None)
@given(inputs_strategy, st.integers(1, 4))
def test_a_stage_ceiling_is_never_passed(inputs: PlanInputs, ceiling: int) -> None:
    plan = weekly_plan(replace(inputs, stage=min(inputs.stage, ceiling), stage_ceiling=ceiling))
    assert plan.stage <= ceiling
    assert all(week["stage"] is None or week["stage"] <= ceiling for week in plan.outline)


def _strength_day(inputs: PlanInputs) -> list[str]:
    for day in weekly_plan(inputs).days:
        for item in day.items:
            if item.id.endswith("-strength"):
                return [e["id"] for e in item.exercises]
    raise AssertionError("no strength session this week")


def test_an_excluded_glute_exercise_is_replaced_by_its_easier_version() -> None:
    base = weekly_plan_inputs(stage=3)
    before = _strength_day(base)
    assert "bridge_offset" in before and "bridge_double_leg" not in before
    live = in_force([_order(OrderKind.EXCLUDE_EXERCISE, exercise_id="bridge_offset")], MONDAY, MONDAY)
    after = _strength_day(replace(base, exclusions=exclusions(live)))
    assert "bridge_offset" not in after and "bridge_double_leg" in after  # its regression, exercises.toml
    state_reason = refusal(load_library()["bridge_offset"], _state(replace(base, exclusions=exclusions(live))))
    assert state_reason == "left out by Cleo Physio (a clinician's order)"


def test_an_excluded_slot_exercise_is_replaced_by_the_next_candidate() -> None:
    base = weekly_plan_inputs(stage=2)
    first_warmups = {e for e in _exercise_ids(base) if e in ("foam_roll_hip_flexor", "walking_lunge")}
    assert first_warmups == {"walking_lunge"}  # no foam roller in the profile
    live = in_force([_order(OrderKind.EXCLUDE_EXERCISE, exercise_id="walking_lunge")], MONDAY, MONDAY)
    ordered = replace(base, equipment=("foam_roller",), exclusions=exclusions(live))
    assert "foam_roll_hip_flexor" in _exercise_ids(ordered) and "walking_lunge" not in _exercise_ids(ordered)


def weekly_plan_inputs(stage: int) -> PlanInputs:
    from test_plan_generator import phase_for

    return PlanInputs(week_of=MONDAY, phase=phase_for("green"), cap_m=10_000, last_7_days_m=20_000, stage=stage)


def _state(inputs: PlanInputs) -> SelectionState:
    return selection_state(inputs)


# --- the one decision -------------------------------------------------------------------------------------------


def _green_history(orders: tuple[ClinicianOrder, ...] = ()) -> AthleteHistory:
    """Ten green weeks of check-ins with the strength sessions done: the stage climbs to 4 without orders."""
    checkins = tuple(CheckIn(date=MONDAY - timedelta(days=k), pain_during_run=0, pain_after_run=0)
                     for k in range(70, 0, -1))  # fmt: skip
    return AthleteHistory(checkins=checkins, orders=orders)


def test_the_decision_holds_the_stage_and_says_who_held_it() -> None:
    free = decide(_green_history(), MONDAY)
    assert free.stage >= 3
    hold = _order(OrderKind.STAGE_HOLD, MONDAY - timedelta(weeks=6), stage=2)
    held = decide(_green_history((hold,)), MONDAY)
    assert held.stage == 2 and stage_of(held.plan_inputs) == 2  # type: ignore[arg-type]
    assert held.orders[0].message.startswith("Held at stage 2 by Cleo Physio")
    assert held.as_dict()["orders"][0]["by"] == CLEO
    strength = [i for d in decide_week(_green_history((hold,)), MONDAY, MONDAY).days for i in d.items
                if i.kind == "strength" and "stage" in i.title]  # fmt: skip
    assert strength and all("stage 2" in item.title for item in strength)


def test_an_order_set_mid_week_binds_from_its_day_and_the_past_keeps_its_plan() -> None:
    wednesday = MONDAY + timedelta(days=2)
    lower = _order(OrderKind.STAGE_LOWER, wednesday, stage=1)
    history = _green_history((lower,)).until(wednesday)
    week = decide_week(history, MONDAY, wednesday)
    assert week.days[1].stage >= 3 and not week.days[1].orders  # Tuesday, decided before the order
    assert all(day.stage == 1 for day in week.days[2:])  # from Wednesday on, and the days ahead
    assert week.days[3].orders[0].message.startswith("Lowered to stage 1 by Cleo Physio")
    assert week.lead.progress_why == "A clinician's order keeps the strength stage at 1 at most."


def test_excluded_exercises_leave_every_day_of_the_decided_week() -> None:
    everyone = {e["id"] for d in decide_week(_green_history(), MONDAY, MONDAY).as_dict()["days"]
                for i in d["items"] for e in i.get("exercises", [])}  # fmt: skip
    gone = sorted(everyone & set(EXCLUDABLE))[:3]
    orders = tuple(_order(OrderKind.EXCLUDE_EXERCISE, MONDAY - timedelta(days=1), id=n, exercise_id=eid)
                   for n, eid in enumerate(gone))  # fmt: skip
    week = decide_week(_green_history(orders), MONDAY, MONDAY).as_dict()
    left = {e["id"] for d in week["days"] for i in d["items"] for e in i.get("exercises", [])}
    assert not left & set(gone)
    assert len(week["orders"]) == len(gone) and all(CLEO in n["message"] for n in week["orders"])


def test_an_order_is_a_change_the_decision_cache_sees() -> None:
    old = _green_history()
    new = _green_history((_order(OrderKind.EXCLUDE_EXERCISE, MONDAY, exercise_id="side_steps"),))
    assert first_difference(old, new) == MONDAY
