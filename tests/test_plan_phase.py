"""The plan phase of a day: red flags block, red settles, amber manages, the ladder after settling."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gluteguard.plan.phase import DayState, ReturnCriteria, choose_phase, phase_rules

TODAY = date(2026, 11, 20)
READY = ReturnCriteria(brisk_walk_pain_free=True, stance_test_positive=False)


def day(offset: int, status: str, action: str = "self_manage") -> DayState:
    return DayState(TODAY + timedelta(days=offset), status, action)


@pytest.mark.parametrize(
    ("today", "recent", "criteria", "phase"),
    [
        (None, [], None, "prevent"),
        (day(0, "green"), [], None, "prevent"),
        (day(0, "amber"), [], None, "manage"),
        (day(0, "red"), [], None, "settle"),
        (day(0, "red", "urgent"), [], READY, "blocked"),
        (day(0, "green", "emergency"), [], READY, "blocked"),
        (day(0, "amber", "see_clinician"), [], None, "manage"),  # seeing a clinician soon does not stop the plan
        (day(0, "green"), [day(-5, "red")], READY, "return"),
        (day(0, "amber"), [day(-5, "red")], READY, "return"),
        # criteria not met after a red spell: still the ladder, held at its first step (a brisk walk, no running)
        (day(0, "green"), [day(-5, "red")], ReturnCriteria(True, True), "return-held"),  # stance still positive
        (day(0, "green"), [day(-5, "red")], ReturnCriteria(None, False), "return-held"),  # walk not known pain-free
        (day(0, "green"), [day(-5, "red")], ReturnCriteria(False, True), "return-held"),  # the walk still hurts
        (day(0, "green"), [day(-5, "red")], None, "return-held"),
        (day(0, "green"), [], ReturnCriteria(False, None), "return-held"),  # a walk that hurts: no running at all
        (day(0, "green"), [day(-40, "red")], ReturnCriteria(False, False), "return-held"),  # whatever the window
        (day(0, "green"), [day(-29, "red")], None, "prevent"),  # the red spell is older than the window
        (day(0, "green"), [day(3, "red")], None, "prevent"),  # a later day never counts (no hindsight)
    ],
)
def test_phase_table(today, recent, criteria, phase) -> None:
    decision = choose_phase(today, recent, criteria)
    assert decision.phase == phase.removesuffix("-held")
    assert decision.first_step_only is phase.endswith("-held")
    assert decision.why and decision.source


@pytest.mark.parametrize(
    ("criteria", "asks_walk", "asks_stance"),
    [(None, True, True), (ReturnCriteria(True, None), False, True), (ReturnCriteria(None, True), True, False),
     (ReturnCriteria(True, True), False, False)],
)  # fmt: skip
def test_a_held_ladder_says_what_is_not_known_yet_and_where_to_tell_it(criteria, asks_walk, asks_stance) -> None:
    decision = choose_phase(day(0, "green"), [day(-5, "red")], criteria)
    assert decision.first_step_only
    assert ("answer it in the daily check-in" in decision.why) is asks_walk
    assert ("Self-test page" in decision.why) is asks_stance


def test_every_phase_has_words_and_a_source() -> None:
    rules = phase_rules()
    assert set(rules) == {"blocked", "settle", "return", "manage", "prevent"}
    for rule in rules.values():
        assert rule["why"] and rule["source"] and "you have" not in rule["why"].lower()


@given(
    st.sampled_from(["green", "amber", "red"]),
    st.sampled_from(["emergency", "urgent"]),
    st.lists(st.tuples(st.integers(-40, -1), st.sampled_from(["green", "amber", "red"])), max_size=10),
)
def test_a_stop_running_red_flag_always_blocks(status, action, history) -> None:
    recent = [day(offset, s) for offset, s in history]
    assert choose_phase(day(0, status, action), recent, READY).phase == "blocked"
