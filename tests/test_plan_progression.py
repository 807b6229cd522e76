"""Week-to-week progression: the pain response and adherence move the strength stage and the walk/run ladder."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gluteguard.plan.library import return_to_run_ladder
from gluteguard.plan.progression import Progress, WeekOutcome, adherent, next_progress, replay, stage_bounds

MONDAY = date(2026, 11, 2)
PHASES = ["prevent", "manage", "settle", "return", "blocked"]


def week(status: str | None, phase: str = "prevent", done: int = 2, skipped: int = 0, runs: int = 0) -> WeekOutcome:
    return WeekOutcome(MONDAY, phase, status, 2, done, skipped, runs)


def test_green_weeks_with_sessions_done_move_up_one_stage_every_two_weeks() -> None:
    progress = Progress(stage=2)
    stages = []
    for _ in range(6):
        progress = next_progress(progress, week("green"), "prevent")
        stages.append(progress.stage)
    assert stages == [2, 3, 3, 4, 4, 4]  # at least 2 weeks per stage, never past stage 4


def test_amber_holds_red_regresses() -> None:
    start = Progress(stage=3, weeks_at_stage=5)
    assert next_progress(start, week("amber", "manage"), "manage").stage == 3
    assert "held" in next_progress(start, week("amber", "manage"), "manage").why
    red = next_progress(start, week("red", "manage"), "manage")
    assert red.stage == 2 and "back" in red.why
    assert next_progress(start, week("red", "settle"), "settle").stage == 1  # settle allows isometrics only


def test_missed_sessions_hold_the_stage_instead_of_doubling_up() -> None:
    start = Progress(stage=2, weeks_at_stage=3)
    held = next_progress(start, week("green", done=1, skipped=1), "prevent")
    assert held.stage == 2 and "Fewer than 2" in held.why
    assert next_progress(start, week("green", done=2), "prevent").stage == 3
    unknown = next_progress(start, week("green", done=0, skipped=0), "prevent")
    assert unknown.stage == 3 and "Mark plan items" in unknown.why  # the pain response alone decides


def test_ladder_moves_by_completed_steps_holds_on_amber_and_goes_back_after_red() -> None:
    progress = Progress(stage=1, ladder_step=1)
    progress = next_progress(progress, week("green", "return", runs=4), "return")
    assert progress.ladder_step == 3  # two steps, each done twice
    assert next_progress(progress, week("amber", "return", runs=4), "return").ladder_step == 3
    assert next_progress(progress, week("red", "settle"), "return").ladder_step == 2
    top = Progress(stage=1, ladder_step=len(return_to_run_ladder()))
    assert next_progress(top, week("green", "return", runs=6), "return").ladder_step == len(return_to_run_ladder())


def test_replay_and_adherence() -> None:
    weeks = [WeekOutcome(MONDAY + timedelta(weeks=i), "prevent", "green", 2, 2, 0) for i in range(4)]
    assert replay(weeks, "prevent").stage == 4
    assert replay([], "manage").stage == stage_bounds("manage")[0]
    assert adherent(weeks) is True
    assert adherent([week("green", done=0, skipped=2), week("green", done=2)]) is False
    assert adherent([week("green", done=0, skipped=0)]) is None


@settings(max_examples=2000, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 10),
    st.integers(0, 6),
    st.sampled_from(["green", "amber", "red", None]),
    st.sampled_from(PHASES),
    st.sampled_from(PHASES),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 7),
)
def test_progress_stays_within_the_bounds_of_the_next_phase(
    stage: int, step: int, weeks_at: int, status, phase: str, following: str, done: int, skipped: int, runs: int
) -> None:
    before = Progress(stage, step, weeks_at)
    after = next_progress(before, WeekOutcome(MONDAY, phase, status, 2, done, skipped, runs), following)
    low, high = stage_bounds(following)
    assert low <= after.stage <= high
    assert 1 <= after.ladder_step <= len(return_to_run_ladder())
    if status in ("amber", "red") or phase == "manage":
        assert after.stage <= max(stage, low)  # never up on a bad or held week
    if status == "red":
        assert after.ladder_step <= step
    assert after.why
