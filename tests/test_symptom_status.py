"""The daily symptom status against hand-computed days: zones, the 24-hour response, night pain, the weekly trend,
meaningful change, the pattern screen and what the load engine's cap becomes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from gluteguard.load.metrics import load_state
from gluteguard.load.rules import load_rules
from gluteguard.load.series import Session, daily_series
from gluteguard.symptoms.model import CheckIn
from gluteguard.symptoms.selftests import StanceSide
from gluteguard.symptoms.status import cap_adjustment, day_status, is_meaningful, status_report, usual_morning_pain
from gluteguard.symptoms.triage import SelfTests, TriageContext

DAY = date(2026, 5, 31)


def ci(back: int, **answers) -> CheckIn:
    """A check-in ``back`` days before DAY."""
    return CheckIn(date=DAY - timedelta(days=back), **answers)


def codes(status) -> set[str]:
    return {reason.code for reason in status.reasons}


# ---- zones (clinical.md §5.1: ≤ 3 green, 4–5 amber, > 5 red)


@pytest.mark.parametrize(
    ("answers", "expected", "code"),
    [
        ({"pain_during_run": 3, "pain_after_run": 3, "pain_next_morning": 0}, "green", "within_safe_zone"),
        ({"pain_during_run": 4}, "amber", "pain_during_amber"),
        ({"pain_during_run": 5}, "amber", "pain_during_amber"),
        ({"pain_during_run": 6}, "red", "pain_during_red"),
        ({"pain_during_run": 2, "pain_after_run": 5}, "amber", "pain_after_amber"),
        ({"pain_during_run": 2, "pain_after_run": 6}, "red", "pain_after_red"),
        ({"pain_at_rest": 4}, "amber", "rest_pain_amber"),
        ({"pain_at_rest": 6}, "red", "rest_pain_red"),
        ({"pain_during_run": 4, "pain_after_run": 7}, "red", "pain_after_red"),  # the worst zone wins
    ],
)
def test_zones(answers: dict, expected: str, code: str) -> None:
    status = day_status([ci(0, **answers)], DAY, baseline_morning_pain=0)
    assert status.status == expected and code in codes(status)
    assert status.reasons[0].code == code  # most severe first


def test_zone_messages_carry_the_value_and_a_source() -> None:
    reason = day_status([ci(0, pain_during_run=5)], DAY).reasons[0]
    assert "5/10" in reason.message and "Silbernagel" in reason.source


# ---- the 24-hour response: next-morning pain against the usual morning


def test_settled_by_next_morning_is_green_not_settled_is_red() -> None:
    run_day = ci(1, pain_during_run=3, pain_after_run=5)
    assert day_status([run_day], DAY - timedelta(days=1)).status == "amber"
    settled = day_status([run_day, ci(0, pain_next_morning=0)], DAY, baseline_morning_pain=0)
    assert settled.status == "green"
    not_settled = day_status([run_day, ci(0, pain_next_morning=3)], DAY, baseline_morning_pain=0)
    assert not_settled.status == "red" and "morning_not_settled" in codes(not_settled)
    one_above = day_status([run_day, ci(0, pain_next_morning=1)], DAY, baseline_morning_pain=0)
    assert one_above.status == "amber" and "morning_above_baseline" in codes(one_above)


def test_usual_morning_pain_is_the_median_of_quiet_mornings_rounded_down() -> None:
    history = [
        ci(2, pain_next_morning=2),
        ci(4, pain_next_morning=1),
        ci(6, pain_next_morning=1, pain_during_run=3),
        ci(8, pain_next_morning=3),
        ci(10, pain_next_morning=6, pain_during_run=6),  # a loud day: not "usual"
        ci(40, pain_next_morning=9),  # outside the 28 days
    ]
    assert usual_morning_pain(history, DAY) == 1  # median_low of 1, 1, 2, 3
    assert usual_morning_pain(history[:2], DAY) is None  # fewer than 3 quiet mornings: no usual level yet
    # with that baseline a morning of 3 is 2 above: amber, not red
    status = day_status([*history, ci(0, pain_next_morning=3)], DAY)
    assert status.baseline_morning_pain == 1 and status.status == "amber"


def test_the_first_check_in_has_no_usual_morning_to_be_above() -> None:
    # Issue 13: the very first check-in compared a mild 1/10 morning with "your usual morning level (0/10)".
    first = day_status([ci(0, pain_next_morning=1)], DAY)
    assert first.baseline_morning_pain is None
    assert first.status == "green" and not codes(first) & {"morning_above_baseline", "morning_not_settled"}
    assert status_report([ci(0, pain_next_morning=1)], DAY).status == "green"
    assert day_status([ci(0, pain_next_morning=3)], DAY).status == "green"  # 0–3 is the safe zone itself
    # two earlier mornings are still not a usual level; three quiet ones are
    two = [ci(1, pain_next_morning=0), ci(2, pain_next_morning=0)]
    assert day_status([*two, ci(0, pain_next_morning=1)], DAY).status == "green"
    three = [*two, ci(3, pain_next_morning=0)]
    usual = day_status([*three, ci(0, pain_next_morning=1)], DAY)
    assert usual.baseline_morning_pain == 0 and usual.status == "amber" and "morning_above_baseline" in codes(usual)


@pytest.mark.parametrize(("morning", "expected", "code"), [(4, "amber", "morning_high_first_days"),
                                                           (5, "amber", "morning_high_first_days"),
                                                           (6, "red", "morning_very_high_first_days")])  # fmt: skip
def test_without_a_usual_level_a_high_morning_is_judged_by_the_zones(morning: int, expected: str, code: str) -> None:
    status = day_status([ci(0, pain_next_morning=morning)], DAY)
    assert status.status == expected and code in codes(status) and f"{morning}/10" in status.reasons[0].message
    # with a usual level the absolute rules stay quiet and the comparison decides
    assert code not in codes(day_status([ci(0, pain_next_morning=morning)], DAY, baseline_morning_pain=morning))


def test_an_explicit_baseline_wins() -> None:
    assert day_status([ci(0, pain_next_morning=3)], DAY, baseline_morning_pain=3).status == "green"
    assert day_status([ci(0, pain_next_morning=3)], DAY, baseline_morning_pain=0).status == "red"


# ---- night pain and the week-on-week trend


def test_night_pain_rising() -> None:
    week = [ci(1, night_pain=0), ci(3, night_pain=1), ci(5, night_pain=1), ci(7, night_pain=0)]  # mean 0.5
    rising = day_status([*week, ci(0, night_pain=3)], DAY)
    assert rising.trend.night_rise == pytest.approx(2.5) and rising.trend.night_rising
    assert rising.status == "red" and "night_pain_rising" in codes(rising)
    steady = day_status([*week, ci(0, night_pain=2)], DAY)  # 1.5 above: not a rise yet
    assert steady.trend.night_rise == pytest.approx(1.5) and steady.status == "green"
    too_few = day_status([ci(2, night_pain=0), ci(0, night_pain=5)], DAY)  # one night before: no comparison
    assert too_few.trend.night_rise is None and too_few.status == "green"


def test_week_on_week_rise() -> None:
    last_week = [ci(8, pain_during_run=1), ci(10, pain_during_run=1), ci(12, pain_during_run=1)]
    rising = day_status([*last_week, ci(0, pain_during_run=3), ci(2, pain_during_run=3), ci(4, pain_during_run=3)], DAY)
    assert rising.trend.worst_pain_7d == pytest.approx(3.0) and rising.trend.worst_pain_prev_7d == 1.0
    assert rising.trend.rising and rising.status == "red" and "week_on_week_rise" in codes(rising)
    slight = day_status([*last_week, ci(0, pain_during_run=2), ci(2, pain_during_run=3), ci(4, pain_during_run=3)], DAY)
    assert slight.trend.week_rise == pytest.approx(5 / 3) and not slight.trend.rising and slight.status == "green"
    sparse = day_status([*last_week, ci(0, pain_during_run=3), ci(2, pain_during_run=3)], DAY)  # 2 days this week
    assert sparse.trend.worst_pain_7d is None and sparse.trend.week_rise is None


def test_the_worst_answer_of_the_day_counts_and_later_days_are_ignored() -> None:
    history = [ci(0, pain_during_run=1, night_pain=4), ci(-1, pain_during_run=9)]  # the second is tomorrow
    status = day_status(history, DAY)
    assert status.trend.worst_pain_7d is None  # one day only
    assert status.status == "green" and status.checkin == history[0]


def test_nights_woken() -> None:
    history = [ci(0, wakes_lying_on_side=True), ci(1, night_pain=4), ci(2, night_pain=3), ci(8, night_pain=9)]
    assert day_status(history, DAY).trend.nights_woken_7d == 2  # side-lying waking, or night pain ≥ 4, this week


# ---- meaningful change (≥ 2 points or ≥ 30 %, first week vs last week)


@pytest.mark.parametrize(
    ("start", "change", "meaningful"),
    [(6.0, -2.0, True), (6.0, -1.5, False), (5.0, -1.5, True), (10.0, -3.0, True), (10.0, -2.9, True),
     (9.0, -1.9, False), (3.0, 1.0, True), (0.0, 1.5, False), (None, -3.0, False)],
)  # fmt: skip
def test_meaningful_thresholds(start, change, meaningful) -> None:
    assert is_meaningful(start, change) is meaningful


def _weeks(first: list[int], last: list[int]) -> list[CheckIn]:
    """Worst daily pain for 3 days of the first week (from day −27) and 3 days of the last week."""
    return [ci(27 - 2 * i, pain_during_run=p) for i, p in enumerate(first)] + [
        ci(2 * i, pain_during_run=p) for i, p in enumerate(last)
    ]


def test_meaningful_change_against_the_first_week() -> None:
    better = day_status(_weeks([6, 6, 6], [4, 4, 4]), DAY)
    assert better.trend.start_mean == 6.0 and better.trend.change_since_start == pytest.approx(-2.0)
    assert better.meaningful_change and better.trend.direction == "better"
    assert better.trend.change_percent == pytest.approx(-100 / 3)
    small = day_status(_weeks([6, 6, 6], [5, 5, 4]), DAY)  # −1.33 points, 22 %
    assert not small.meaningful_change and small.trend.direction == "better"
    worse = day_status(_weeks([2, 2, 2], [3, 3, 3]), DAY)  # +1 point = +50 %
    assert worse.meaningful_change and worse.trend.direction == "worse"


def test_no_change_is_judged_while_the_weeks_overlap() -> None:
    status = day_status([ci(10, pain_during_run=6), ci(0, pain_during_run=1)], DAY)
    assert status.trend.start_mean is None and status.trend.direction is None and not status.meaningful_change


def test_the_report_fills_improvement_for_the_no_improvement_rule() -> None:
    context = TriageContext(weeks_self_managed=9, adherent=True)
    stuck = status_report(_weeks([5, 5, 5], [5, 4, 5]), DAY, context)
    assert stuck.action == "see_clinician" and not stuck.meaningful_change
    assert stuck.reasons[0].code == "no_improvement_after_self_management"
    assert status_report(_weeks([6, 6, 6], [3, 3, 3]), DAY, context).action == "self_manage"


# ---- the pattern screen (lateral hip pain + positive 30-s stance + tenderness, same side)


def selftests_on(side: str, seconds: float | None, nrs: int, tender: bool | None, back: int = 1) -> SelfTests:
    palpation = {} if tender is None else {side: tender}
    return SelfTests({side: StanceSide(side, seconds, nrs)}, palpation, DAY - timedelta(days=back))


def test_pattern_fits_with_all_three() -> None:
    today = [ci(0, pain_during_run=2, pain_locations=("lateral_hip",), side="right")]
    screen = day_status(today, DAY, self_tests=selftests_on("right", 14.0, 4, True)).pattern
    assert screen.fits and screen.side == "right" and screen.missing == ()
    assert "fit the pattern of gluteal tendinopathy" in screen.wording and "Grimaldi" in screen.source


@pytest.mark.parametrize(
    ("locations", "tests", "missing"),
    [
        (("groin",), selftests_on("right", 14.0, 4, True), ("lateral_hip_pain",)),
        (("lateral_hip",), selftests_on("right", None, 0, True), ("stance_positive",)),  # no pain within 30 s
        (("lateral_hip",), selftests_on("right", 14.0, 1, True), ("stance_positive",)),  # 1/10 is below the 2/10 rule
        (("lateral_hip",), selftests_on("right", 14.0, 4, False), ("tender",)),
        (("lateral_hip",), selftests_on("left", 14.0, 4, True), ("stance_positive", "tender")),  # the other side
        (("lateral_hip",), None, ("stance_positive", "tender")),
    ],
)
def test_pattern_off(locations, tests, missing) -> None:
    today = [ci(0, pain_during_run=2, pain_locations=locations, side="right")]
    screen = day_status(today, DAY, self_tests=tests).pattern
    assert not screen.fits and screen.missing == missing and "do not fit" in screen.wording


def test_tenderness_from_the_check_in_and_side_found_from_the_tests() -> None:
    today = [ci(0, pain_locations=("lateral_hip",), tender_on_pressing=("left",))]
    screen = day_status(today, DAY, self_tests=selftests_on("left", 20.0, 3, None)).pattern
    assert screen.fits and screen.side == "left"


def test_old_self_tests_are_ignored_by_the_report() -> None:
    today = [ci(0, pain_during_run=2, pain_locations=("lateral_hip",), side="right")]
    fresh = status_report(today, DAY, TriageContext(self_tests=selftests_on("right", 14.0, 4, True, back=3)))
    stale = status_report(today, DAY, TriageContext(self_tests=selftests_on("right", 14.0, 4, True, back=30)))
    assert fresh.pattern.fits and not stale.pattern.fits


# ---- carried check-ins, the report shape, the override and the cap


def test_a_check_in_counts_for_three_days() -> None:
    red = [ci(2, pain_during_run=7)]
    carried = day_status(red, DAY)
    assert carried.status == "red" and "carried_checkin" in codes(carried)
    gone = day_status([ci(3, pain_during_run=2)], DAY)
    assert gone.status == "green" and "no_recent_checkin" in codes(gone) and gone.checkin is None


def test_a_red_day_holds_until_the_next_check_in() -> None:
    # Silence does not say the hip settled: with no check-in since a red day, the status stays red.
    held = day_status([ci(3, pain_during_run=7)], DAY)
    assert held.status == "red" and held.reasons[0].code == "red_held" and held.checkin is None
    months_later = day_status([ci(60, pain_during_run=7)], DAY)
    assert months_later.status == "red"
    settled = day_status([ci(5, pain_during_run=7), ci(4, pain_during_run=2, pain_next_morning=0)], DAY)
    assert settled.status == "green"


def test_report_shape_and_override() -> None:
    report = status_report([ci(0, pain_during_run=1, red_flags={"hot_swollen_joint": True})], DAY).as_dict()
    assert set(report) == {
        "date", "status", "action", "reasons", "pattern", "trend", "meaningful_change", "running_allowed",
        "pain_status", "holds", "checkin_date",
    }  # fmt: skip
    assert report["date"] == DAY.isoformat() and report["action"] == "urgent"
    assert report["status"] == "red" and report["running_allowed"] is False
    assert [r["code"] for r in report["reasons"]][:2] == ["hot_swollen_joint", "red_flag_override"]
    assert all(set(r) == {"code", "message", "source"} for r in report["reasons"])
    assert {"fits", "met", "missing", "wording", "source", "side", "self_tests_allowed"} <= set(report["pattern"])


def test_cap_adjustments() -> None:
    green = status_report([ci(0, pain_during_run=2)], DAY)
    amber = status_report([ci(0, pain_during_run=4)], DAY)
    red = status_report([ci(0, pain_during_run=6)], DAY)
    urgent = status_report([ci(0, pain_during_run=0, red_flags={"foot_drop_or_leg_weakness": True})], DAY)
    see = status_report([ci(0, pain_during_run=2, red_flags={"pain_on_hopping": True})], DAY)
    assert cap_adjustment(green) == (1.0, None)
    assert cap_adjustment(see) == (1.0, None)  # see a clinician soon: the pain still says green
    factor, reason = cap_adjustment(amber)
    assert factor == pytest.approx(1 / 1.10) and factor * load_rules().cap_factor == pytest.approx(1.0)
    assert "amber" in reason and "§5.1" in reason
    for report in (red, urgent):
        factor, reason = cap_adjustment(report)
        assert factor == 0.0 and reason and "no running" in reason


def test_the_load_engine_shows_the_decided_cap() -> None:
    start = datetime(2026, 5, 20, 7)
    sessions = [Session(1, start, "run", 10_000.0, 3600.0)]
    amber = status_report([ci(0, pain_during_run=5)], DAY)
    factor, reason = cap_adjustment(amber)
    cap = 10_000.0 * load_rules().cap_factor * factor
    state = load_state(sessions, daily_series(sessions, DAY), DAY, next_run=(cap, reason))
    assert state.next_run_cap_m == pytest.approx(10_000.0) and "amber" in state.cap_reason
    plain = load_state(sessions, daily_series(sessions, DAY), DAY)
    assert plain.next_run_cap_m == pytest.approx(11_000.0)
