"""Clinical vignettes (written from shared/research/clinical.md §3–§5) run through triage + status, and the red-flag
override as a property: a stop-running triage means no running whatever the pain answers say."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gluteguard.coach.decide import decide, decide_week
from gluteguard.coach.history import AthleteHistory, PlanProfile
from gluteguard.load.series import Session
from gluteguard.symptoms.model import PAIN_FIELDS, PAIN_LOCATIONS, RED_FLAGS, CheckIn, parse_checkin
from gluteguard.symptoms.selftests import StanceSide
from gluteguard.symptoms.status import StatusReport, cap_adjustment, status_report
from gluteguard.symptoms.triage import (
    NO_RUNNING_ACTIONS,
    SelfTests,
    TriageContext,
    TriageInput,
    screen_due,
    triage,
    triage_rules,
)

DAY = date(2026, 3, 16)


@dataclass(frozen=True)
class Vignette:
    story: str
    answers: dict[str, Any]  # the day's check-in, as ``gluteguard checkin --from-json`` takes it
    action: str
    status: str
    context: dict[str, Any] = field(default_factory=dict)  # TriageContext fields; "tests" → SelfTests
    earlier: tuple[tuple[int, dict[str, Any]], ...] = ()  # (days before DAY, answers)
    baseline: int | None = None
    codes: tuple[str, ...] = ()  # reason codes that must be among the reasons


def flags(*names: str) -> dict[str, bool]:
    return dict.fromkeys(names, True)


def self_tests(stance: dict[str, tuple[float | None, int]] | None = None, palpation: dict[str, bool] | None = None):
    sides = {side: StanceSide(side, seconds, nrs) for side, (seconds, nrs) in (stance or {}).items()}
    return SelfTests(stance=sides, palpation=palpation or {}, tested_on=DAY - timedelta(days=1))


LATERAL = {"pain_locations": ["lateral_hip"], "side": "right"}
QUIET = {"pain_next_morning": 0, "night_pain": 0, "pain_at_rest": 0}

VIGNETTES = [
    # ---- emergency (§4.1): whatever the pain says, the status is red
    Vignette("cauda equina: saddle numbness and a new bladder change with back pain",
             {"pain_during_run": 2, "pain_locations": ["lower_back"],
              "red_flags": flags("saddle_numbness_or_bladder_bowel_change")}, "emergency", "red",
             codes=("cauda_equina_signs", "red_flag_override")),
    Vignette("cauda equina: pins and needles and weakness in both legs", {"red_flags": flags("both_legs_weak_or_numb")},
             "emergency", "red", codes=("cauda_equina_signs",)),
    Vignette("cauda equina signs on a pain-free day", {"pain_during_run": 0, "pain_after_run": 0, **QUIET,
             "red_flags": flags("saddle_numbness_or_bladder_bowel_change")}, "emergency", "red"),
    Vignette("septic arthritis pattern: fever and a hot swollen hip",
             {"pain_at_rest": 6, "red_flags": flags("fever_or_unwell", "hot_swollen_joint")}, "emergency", "red",
             codes=("possible_joint_infection", "hot_swollen_joint", "fever_with_hip_pain")),
    Vignette("infection pattern: feeling unwell and unable to take weight",
             {"red_flags": flags("fever_or_unwell", "cannot_bear_weight")}, "emergency", "red"),
    Vignette("fracture pattern: slipped on ice, cannot walk four steps",
             {"pain_at_rest": 8, "red_flags": flags("trauma_or_fall", "cannot_bear_weight")}, "emergency", "red",
             codes=("possible_fracture_after_fall", "cannot_bear_weight")),
    Vignette("emergency flag outranks a see-a-clinician context", {"red_flags": flags("both_legs_weak_or_numb")},
             "emergency", "red", context={"weeks_self_managed": 12, "adherent": True, "improved_meaningfully": False},
             codes=("cauda_equina_signs", "no_improvement_after_self_management")),
    # ---- urgent (§4.1): stop running, see a clinician within days
    Vignette("marathoner: groin pain worse with running after a mileage jump",
             {"pain_during_run": 4, "pain_locations": ["groin"],
              "red_flags": flags("groin_pain_worse_with_running", "recent_big_volume_increase")}, "urgent", "red",
             codes=("femoral_neck_stress_fracture_risk", "groin_pain_with_running", "pain_mainly_elsewhere")),
    Vignette("groin pain worse with running and missed periods",
             {"pain_during_run": 3, "red_flags": flags("groin_pain_worse_with_running",
                                                       "low_energy_availability_or_missed_periods")},
             "urgent", "red", codes=("femoral_neck_stress_fracture_risk", "low_energy_availability")),
    Vignette("groin pain worse with running after an earlier stress fracture",
             {"red_flags": flags("groin_pain_worse_with_running", "previous_stress_fracture")}, "urgent", "red"),
    Vignette("groin pain worse with running and a limp", {"red_flags": flags("groin_pain_worse_with_running", "limp")},
             "urgent", "red", codes=("femoral_neck_stress_fracture_risk", "limp_stops_running")),
    Vignette("groin pain worse with running and constant night pain",
             {"red_flags": flags("groin_pain_worse_with_running", "constant_night_pain")}, "urgent", "red"),
    Vignette("limp after a big mileage increase, no groin pain",
             {"pain_during_run": 3, **LATERAL, "red_flags": flags("limp", "recent_big_volume_increase")}, "urgent",
             "red", codes=("bone_stress_signs",)),
    Vignette("pain when landing on the leg in an under-fuelled runner",
             {"red_flags": flags("pain_on_hopping", "low_energy_availability_or_missed_periods")}, "urgent", "red",
             codes=("bone_stress_signs",)),
    Vignette("constant night pain with a history of cancer", {"night_pain": 6, "red_flags": flags(
             "constant_night_pain", "cancer_history_or_weight_loss")}, "urgent", "red",
             codes=("night_pain_with_cancer_or_weight_loss",)),
    Vignette("cannot bear weight, no fall, no fever", {"red_flags": flags("cannot_bear_weight")}, "urgent", "red"),
    Vignette("hot swollen hip without fever", {"pain_during_run": 2, "red_flags": flags("hot_swollen_joint")},
             "urgent", "red"),
    Vignette("feeling feverish with hip pain", {"pain_at_rest": 3, "red_flags": flags("fever_or_unwell")}, "urgent",
             "red"),
    Vignette("foot slapping on the road", {"pain_during_run": 2, "red_flags": flags("foot_drop_or_leg_weakness")},
             "urgent", "red", codes=("leg_weakness_or_foot_drop",)),
    Vignette("adult with a limp and nothing else", {"pain_during_run": 3, **LATERAL, "red_flags": flags("limp")},
             "urgent", "red", context={"age_years": 42, "weekly_run_km": 25.0}, codes=("limp_stops_running",)),
    Vignette("a limp with no age and no pain answers", {"red_flags": flags("limp")}, "urgent", "red",
             codes=("limp_stops_running",)),
    # ---- young runners (§4.3): a limp or pain on weight bearing with hip, groin, thigh or knee pain → same day
    Vignette("15-year-old with groin and thigh pain and a limp",
             {"pain_at_rest": 3, "pain_locations": ["groin", "thigh"], "side": "left", "red_flags": flags("limp")},
             "urgent", "red", context={"age_years": 15},
             codes=("young_runner_limp_or_weight_bearing_pain", "limp_stops_running", "pain_mainly_elsewhere")),
    Vignette("16-year-old with knee pain only and a limp",
             {"pain_at_rest": 2, "pain_locations": ["knee"], "side": "right", "red_flags": flags("limp")},
             "urgent", "red", context={"age_years": 16},
             codes=("young_runner_limp_or_weight_bearing_pain", "pain_mainly_elsewhere")),
    Vignette("14-year-old with front-of-thigh pain when landing on the leg, no limp",
             {"pain_during_run": 2, "pain_locations": ["thigh"], "red_flags": flags("pain_on_hopping")},
             "urgent", "red", context={"age_years": 14}, codes=("young_runner_limp_or_weight_bearing_pain",)),
    Vignette("17-year-old with outer-thigh pain who cannot bear weight",
             {"pain_locations": ["outer_thigh"], "red_flags": flags("cannot_bear_weight")}, "urgent", "red",
             context={"age_years": 17}, codes=("young_runner_limp_or_weight_bearing_pain", "cannot_bear_weight")),
    Vignette("below-knee tingling with weakness getting worse",
             {"red_flags": flags("numbness_tingling_below_knee")}, "urgent", "red",
             context={"progressive_weakness": True}, codes=("progressive_weakness", "below_knee_nerve_symptoms")),
    # ---- see a clinician (§4.1 routine rows, §4.2): the status still follows the pain
    Vignette("pins and needles below the knee, light running pain",
             {"pain_during_run": 2, "pain_locations": ["lateral_hip", "below_knee"],
              "red_flags": flags("numbness_tingling_below_knee")}, "see_clinician", "green"),
    Vignette("groin pain worse with running, no risk factor", {"pain_during_run": 4, "pain_locations": ["groin"],
             "red_flags": flags("groin_pain_worse_with_running")}, "see_clinician", "amber",
             codes=("groin_pain_with_running",)),
    Vignette("pain when landing on the leg in daily life, nothing else",
             {"pain_during_run": 3, **LATERAL, "red_flags": flags("pain_on_hopping")}, "see_clinician", "green",
             context={"age_years": 44}, codes=("limp_or_pain_on_hopping",)),
    Vignette("missed periods, quiet hip", {"pain_during_run": 1, **LATERAL,
             "red_flags": flags("low_energy_availability_or_missed_periods")}, "see_clinician", "green"),
    Vignette("constant night pain that does not ease with position", {"night_pain": 4,
             "red_flags": flags("constant_night_pain")}, "see_clinician", "green", codes=("constant_night_pain",)),
    Vignette("history of cancer, lateral hip pain on the run", {"pain_during_run": 3, **LATERAL,
             "red_flags": flags("cancer_history_or_weight_loss")}, "see_clinician", "green"),
    Vignette("a fall last week, walking fine", {"pain_during_run": 2, "red_flags": flags("trauma_or_fall")},
             "see_clinician", "green", codes=("fall_or_knock",)),
    Vignette("ten adherent weeks without meaningful improvement", {"pain_during_run": 4, **LATERAL},
             "see_clinician", "amber",
             context={"weeks_self_managed": 10, "adherent": True, "improved_meaningfully": False},
             codes=("no_improvement_after_self_management",)),
    Vignette("negative palpation with pain only in the groin",
             {"pain_during_run": 3, "pain_locations": ["groin"], "side": "left"}, "see_clinician", "green",
             context={"tests": self_tests(palpation={"left": False})},
             codes=("negative_palpation", "pain_mainly_elsewhere")),
    Vignette("negative palpation on both sides, lateral hip pain 4", {"pain_during_run": 4, **LATERAL | {"side": None}},
             "see_clinician", "amber", context={"tests": self_tests(palpation={"left": False, "right": False})},
             codes=("negative_palpation",)),
    Vignette("pain only in the buttock and lower back", {"pain_during_run": 2,
             "pain_locations": ["buttock", "lower_back"]}, "see_clinician", "green", codes=("pain_mainly_elsewhere",)),
    Vignette("pain at rest 8/10", {"pain_at_rest": 8, **LATERAL}, "see_clinician", "red",
             codes=("severe_rest_pain", "rest_pain_red")),
    Vignette("woken by the hip on 5 of the last 7 nights", {"pain_during_run": 2, **LATERAL}, "see_clinician",
             "green", context={"nights_woken_7d": 5}, codes=("night_pain_most_nights",)),
    Vignette("worse despite cutting the running back", {"pain_during_run": 3, **LATERAL}, "see_clinician", "green",
             context={"worsening_despite_load_reduction": True}),
    Vignette("15-year-old with side-of-hip pain, no limp", {"pain_during_run": 2, **LATERAL,
             "red_flags": {"limp": False, "pain_on_hopping": False}}, "see_clinician", "green",
             context={"age_years": 15},
             codes=("young_runner_side_of_hip_pain",)),
    Vignette("30-year-old high-volume runner with side-of-hip pain", {"pain_during_run": 3, **LATERAL},
             "see_clinician", "green", context={"age_years": 30, "weekly_run_km": 55.0},
             codes=("under_35_high_volume_side_of_hip_pain",)),
    Vignette("34-year-old at exactly 40 km a week with outer-thigh pain",
             {"pain_during_run": 2, "pain_locations": ["outer_thigh"]}, "see_clinician", "green",
             context={"age_years": 34, "weekly_run_km": 40.0}, codes=("under_35_high_volume_side_of_hip_pain",)),
    Vignette("pain only in the front of the thigh", {"pain_during_run": 2, "pain_locations": ["thigh"]},
             "see_clinician", "green", context={"age_years": 40}, codes=("pain_mainly_elsewhere",)),
    Vignette("pain only in the knee", {"pain_during_run": 2, "pain_locations": ["knee"]}, "see_clinician", "green",
             context={"age_years": 40}, codes=("pain_mainly_elsewhere",)),
    # ---- self-management (§5.1 pain-monitoring model)
    Vignette("58-year-old woman with pain only lying on her side",
             {"pain_at_rest": 0, "night_pain": 2, "wakes_lying_on_side": True, "pain_locations": ["lateral_hip"],
              "side": "left", "red_flags": {"limp": False}}, "self_manage", "green",
             context={"age_years": 58, "weekly_run_km": 30.0}),
    Vignette("18-year-old with side-of-hip pain: adult rules", {"pain_during_run": 2, **LATERAL}, "self_manage",
             "green", context={"age_years": 18, "weekly_run_km": 20.0}),
    Vignette("30-year-old low-volume runner with side-of-hip pain", {"pain_during_run": 3, **LATERAL},
             "self_manage", "green", context={"age_years": 30, "weekly_run_km": 39.0}),
    Vignette("35-year-old high-volume runner with side-of-hip pain", {"pain_during_run": 3, **LATERAL},
             "self_manage", "green", context={"age_years": 35, "weekly_run_km": 70.0}),
    Vignette("high-volume runner of unknown age with side-of-hip pain", {"pain_during_run": 3, **LATERAL},
             "self_manage", "green", context={"weekly_run_km": 70.0}),
    Vignette("young runner with unknown volume and side-of-hip pain", {"pain_during_run": 3, **LATERAL},
             "self_manage", "green", context={"age_years": 25}),
    Vignette("side of the hip and the knee: the tendon is still in the picture",
             {"pain_during_run": 2, "pain_locations": ["lateral_hip", "knee"]}, "self_manage", "green",
             context={"age_years": 50}),
    Vignette("first check-in: morning 1/10, nothing else", {"pain_next_morning": 1}, "self_manage", "green",
             codes=("within_safe_zone",)),
    Vignette("first check-in: morning 5/10 judged by the zone", {"pain_next_morning": 5, **LATERAL}, "self_manage",
             "amber", codes=("morning_high_first_days",)),
    Vignette("first check-in: morning 7/10 judged by the zone", {"pain_next_morning": 7, **LATERAL}, "self_manage",
             "red", codes=("morning_very_high_first_days",)),
    Vignette("three quiet mornings make a usual level: 1/10 above a usual 0",
             {"pain_next_morning": 1, **LATERAL}, "self_manage", "amber",
             earlier=((1, {"pain_next_morning": 0}), (2, {"pain_next_morning": 0}), (3, {"pain_next_morning": 0})),
             codes=("morning_above_baseline",)),
    Vignette("quiet run", {"pain_during_run": 2, "pain_after_run": 1, "pain_next_morning": 0, **LATERAL},
             "self_manage", "green", codes=("within_safe_zone",)),
    Vignette("nothing hurts", {"pain_during_run": 0, "pain_after_run": 0, **QUIET}, "self_manage", "green"),
    Vignette("run pain 4/10", {"pain_during_run": 4, **LATERAL}, "self_manage", "amber",
             codes=("pain_during_amber",)),
    Vignette("run and after-run pain 5/10", {"pain_during_run": 5, "pain_after_run": 5, **LATERAL}, "self_manage",
             "amber", codes=("pain_during_amber", "pain_after_amber")),
    Vignette("run pain 7/10", {"pain_during_run": 7, **LATERAL}, "self_manage", "red", codes=("pain_during_red",)),
    Vignette("after-run pain 6/10", {"pain_during_run": 3, "pain_after_run": 6}, "self_manage", "red",
             codes=("pain_after_red",)),
    Vignette("morning 2 above a usual 0", {"pain_next_morning": 2, **LATERAL}, "self_manage", "amber", baseline=0,
             codes=("morning_above_baseline",)),
    Vignette("morning 4 above a usual 0: not settled", {"pain_next_morning": 4, **LATERAL}, "self_manage", "red",
             baseline=0, codes=("morning_not_settled",)),
    Vignette("morning 3 against a usual 2", {"pain_next_morning": 3, **LATERAL}, "self_manage", "amber", baseline=2),
    Vignette("morning 2 against a usual 2: settled", {"pain_next_morning": 2, **LATERAL}, "self_manage", "green",
             baseline=2),
    Vignette("pattern fits: lateral hip, stance pain at 12 s, tender bony point",
             {"pain_during_run": 3, **LATERAL}, "self_manage", "green",
             context={"tests": self_tests({"right": (12.0, 4)}, {"right": True})}),
    Vignette("mileage jump alone (the load engine's business)", {"pain_during_run": 3, **LATERAL,
             "red_flags": flags("recent_big_volume_increase")}, "self_manage", "green"),
    Vignette("earlier stress fracture alone", {"pain_during_run": 2, **LATERAL,
             "red_flags": flags("previous_stress_fracture")}, "self_manage", "green"),
    Vignette("recovered: painless press with pain 1/10", {"pain_during_run": 1, **LATERAL}, "self_manage", "green",
             context={"tests": self_tests(palpation={"right": False})}),
    Vignette("six adherent weeks without improvement: too early", {"pain_during_run": 3, **LATERAL},
             "self_manage", "green",
             context={"weeks_self_managed": 6, "adherent": True, "improved_meaningfully": False}),
    Vignette("twelve weeks but the exercises were not done", {"pain_during_run": 3, **LATERAL}, "self_manage",
             "green", context={"weeks_self_managed": 12, "adherent": False, "improved_meaningfully": False}),
    Vignette("nine adherent weeks, meaningfully better", {"pain_during_run": 2, **LATERAL}, "self_manage", "green",
             context={"weeks_self_managed": 9, "adherent": True, "improved_meaningfully": True}),
    Vignette("night pain rising from a quiet week", {"night_pain": 3, **LATERAL}, "self_manage", "red",
             earlier=((1, QUIET), (3, QUIET), (5, QUIET)), codes=("night_pain_rising",)),
    Vignette("worst daily pain up week on week",
             {"pain_during_run": 3, **LATERAL}, "self_manage", "red",
             earlier=((2, {"pain_during_run": 3}), (4, {"pain_during_run": 3}),
                      (8, {"pain_during_run": 1}), (10, {"pain_during_run": 1}), (12, {"pain_during_run": 0})),
             codes=("week_on_week_rise",)),
    Vignette("red run two days ago, no check-in since", {}, "self_manage", "red",
             earlier=((2, {"pain_during_run": 6}),), codes=("pain_during_red", "carried_checkin")),
]  # fmt: skip


def _history(v: Vignette) -> list[CheckIn]:
    earlier = [parse_checkin({"date": DAY - timedelta(days=back), **answers}) for back, answers in v.earlier]
    today = [parse_checkin({"date": DAY, **v.answers})] if v.answers else []
    return earlier + today


def _typed(v: Vignette) -> StatusReport:
    context = {("self_tests" if key == "tests" else key): value for key, value in v.context.items()}
    return status_report(_history(v), DAY, TriageContext(**context), baseline_morning_pain=v.baseline)


def _report(v: Vignette) -> dict[str, Any]:
    return _typed(v).as_dict()


def test_there_are_at_least_forty_vignettes() -> None:
    assert len(VIGNETTES) >= 40
    assert len({v.story for v in VIGNETTES}) == len(VIGNETTES)


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[re.sub(r"\W+", "-", v.story)[:60] for v in VIGNETTES])
def test_vignette(vignette: Vignette) -> None:
    typed = _typed(vignette)
    report = typed.as_dict()
    assert (report["action"], report["status"]) == (vignette.action, vignette.status)
    codes = [reason["code"] for reason in report["reasons"]]
    assert set(vignette.codes) <= set(codes), codes
    assert all(reason["message"].strip() and reason["source"].strip() for reason in report["reasons"])
    assert not any("you have" in reason["message"].lower() for reason in report["reasons"])
    assert report["running_allowed"] is (vignette.action not in NO_RUNNING_ACTIONS and vignette.status != "red")
    stop = vignette.action in NO_RUNNING_ACTIONS or vignette.status == "red"
    assert (cap_adjustment(typed)[0] == 0.0) is stop


def test_the_pattern_vignette_fits_and_says_it_is_not_a_diagnosis() -> None:
    report = _report(next(v for v in VIGNETTES if v.story.startswith("pattern fits")))
    assert report["pattern"]["fits"] and report["pattern"]["side"] == "right"
    assert "fit the pattern of gluteal tendinopathy" in report["pattern"]["wording"]
    assert "not a diagnosis" in report["pattern"]["wording"]


def test_stress_fracture_signs_stop_the_self_tests() -> None:
    report = _report(next(v for v in VIGNETTES if v.story.startswith("marathoner")))
    assert report["pattern"]["self_tests_allowed"] is False
    message = next(r["message"] for r in report["reasons"] if r["code"] == "femoral_neck_stress_fracture_risk")
    assert "hopping" in message and "Stop running" in message


def test_a_young_runner_with_a_limp_is_told_to_be_seen_the_same_day_and_to_skip_the_self_tests() -> None:
    report = _typed(next(v for v in VIGNETTES if v.story.startswith("16-year-old with knee pain only")))
    assert report.self_tests_allowed is False and report.running_allowed is False
    assert report.stop_reason is not None and report.stop_reason.code == "young_runner_limp_or_weight_bearing_pain"
    message = report.stop_reason.message
    assert "today" in message and "Stop running" in message and "fits the pattern of" in message
    assert "slipped capital femoral epiphysis" in report.stop_reason.source.lower()
    # the same answers in an adult: a limp still stops running, but the growth-plate reason is not given
    adult = status_report(_history(next(v for v in VIGNETTES if v.story.startswith("16-year-old"))), DAY,
                          TriageContext(age_years=40))  # fmt: skip
    assert adult.action == "urgent" and adult.stop_reason is not None
    assert not any(r.code.startswith("young_runner") for r in adult.reasons)


def test_pain_on_landing_alone_is_not_urgent_in_an_adult_but_is_under_18() -> None:
    answers = {"pain_during_run": 2, "pain_locations": ["knee"], "red_flags": flags("pain_on_hopping")}
    history = [parse_checkin({"date": DAY, **answers})]
    assert status_report(history, DAY, TriageContext(age_years=40)).action == "see_clinician"
    assert status_report(history, DAY, TriageContext(age_years=17)).action == "urgent"
    assert status_report(history, DAY, TriageContext()).action == "see_clinician"  # age unknown: adult rules


def test_the_landing_question_never_asks_the_runner_to_hop() -> None:
    from gluteguard.symptoms.questions import questions

    question = questions()["red_flags"]["pain_on_hopping"].lower()
    assert "land" in question and ("kerb" in question or "stairs" in question)
    assert not re.search(r"\bdoes hopping\b|\bwhen you hop\b|\bhop on\b", question)
    # no message, cue or source reports hopping as something the runner did ("pain on hopping")
    texts = [text for rule in triage_rules().rules for text in (rule.message, rule.source)]
    texts += [text for group in questions().values() for text in group.values()]
    assert not [text for text in texts if re.search(r"(pain|hurts?) (on|when|while) hopping|hopping again", text)]


def test_locations_are_offered_and_validated_everywhere_with_knee_and_thigh() -> None:
    from gluteguard.symptoms.questions import questions

    assert {"knee", "thigh"} <= set(PAIN_LOCATIONS)
    assert parse_checkin({"date": DAY, "pain_locations": "knee,thigh"}).pain_locations == ("knee", "thigh")
    assert set(questions()["locations"]) == set(PAIN_LOCATIONS)
    # The command line offers every place by number from that list, in its plain words (test_checkins).
    prompt = questions()["other"]["pain_locations"]
    assert "numbers above" in prompt and not any(f"{place}," in prompt for place in PAIN_LOCATIONS)


# ---- the context the coach fills: age from the profile's birth year, weekly km from the recorded runs


def _runner(birth_year: int | None, weekly_km: float, weeks: int = 6, **answers: Any) -> AthleteHistory:
    """Four equal runs a week for ``weeks`` weeks before DAY, and DAY's check-in."""
    runs = [
        Session(i, datetime.combine(DAY - timedelta(days=back), time(7)), "run", weekly_km / 4 * 1000, 3600.0)
        for i, back in enumerate(back for back in range(1, weeks * 7 + 1) if back % 7 in (1, 3, 5, 6))
    ]
    return AthleteHistory(
        profile=PlanProfile(birth_year=birth_year),
        sessions=tuple(sorted(runs, key=lambda run: run.local_start)),
        checkins=(parse_checkin({"date": DAY, **answers}),),
    )


def test_the_coach_fills_age_and_weekly_km_for_the_triage() -> None:
    side = {"pain_during_run": 3, **LATERAL}
    young = decide(_runner(DAY.year - 30, 56.0, **side), DAY)
    assert young.action == "see_clinician" and young.running_allowed
    assert "under_35_high_volume_side_of_hip_pain" in {r.code for r in young.reasons}
    context = young.report.triage.matched if young.report and young.report.triage else ()
    assert any(rule.code == "under_35_high_volume_side_of_hip_pain" for rule in context)
    assert decide(_runner(DAY.year - 40, 56.0, **side), DAY).action == "self_manage"  # 40: adult rules
    assert decide(_runner(DAY.year - 30, 30.0, **side), DAY).action == "self_manage"  # not high volume
    assert decide(_runner(None, 56.0, **side), DAY).action == "self_manage"  # no birth year: unknown
    no_runs = _runner(DAY.year - 30, 56.0, weeks=0, **side)
    # no runs recorded: the volume is unknown, not 0 km
    assert not no_runs.sessions and decide(no_runs, DAY).action == "self_manage"
    # two weeks of record at 50 km a week counts as 50, not as 25 over four weeks
    assert decide(_runner(DAY.year - 30, 50.0, weeks=2, **side), DAY).action == "see_clinician"


def test_a_16_year_old_with_knee_pain_and_a_limp_gets_no_running_from_the_coach() -> None:
    history = _runner(DAY.year - 16, 20.0, pain_at_rest=2, pain_locations=["knee"], red_flags=flags("limp"))
    week = decide_week(history, DAY, today=DAY)
    for day in week.days:
        assert day.action == "urgent" and not day.running_allowed, day.date
        assert not [item for item in day.items if item.kind == "run"], day.date
    today = decide(history, DAY)
    assert today.report is not None and today.report.stop_reason is not None
    assert today.report.stop_reason.code == "young_runner_limp_or_weight_bearing_pain"
    assert "today" in today.headline.message or "today" in today.report.stop_reason.message


# ---- a stop-running action never lists a reason that says the running goes on (issue 13 point 6)

RUNNING_ON = re.compile(r"may progress|progressing|repeat the (same|last)|hold the (running )?load|cut back", re.I)


def _says_running_goes_on(report: StatusReport) -> list[str]:
    return [r.code for r in report.reasons if r.code == "within_safe_zone" or RUNNING_ON.search(r.message)]


@pytest.mark.parametrize(
    "answers",
    [
        {"pain_during_run": 2, "pain_after_run": 1, "pain_next_morning": 0, **LATERAL},  # the all-clear
        {"pain_during_run": 4, "pain_after_run": 5, **LATERAL},  # amber: "repeat the same run"
        {"pain_during_run": 7, "pain_at_rest": 4, **LATERAL},  # red: "cut back"
        {"pain_next_morning": 5},  # first morning, amber by the zone
    ],
)
@pytest.mark.parametrize("raised", [flags("limp"), flags("saddle_numbness_or_bladder_bowel_change")])
def test_urgent_and_emergency_reasons_carry_no_progression_reason(answers: dict, raised: dict) -> None:
    plain = status_report([parse_checkin({"date": DAY, **answers})], DAY)
    assert plain.action == "self_manage" and _says_running_goes_on(plain)  # the advice is there on an ordinary day
    stopped = status_report([parse_checkin({"date": DAY, **answers, "red_flags": raised})], DAY)
    assert stopped.action in NO_RUNNING_ACTIONS
    assert _says_running_goes_on(stopped) == []
    codes = [r.code for r in stopped.reasons]
    # every warning stays: the signs, the override, and each pain finding (without its load advice)
    assert {r.code for r in stopped.triage.matched} <= set(codes) and "red_flag_override" in codes
    pain_findings = {r.code for r in plain.reasons} - {"within_safe_zone"}
    assert pain_findings <= set(codes)


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


@pytest.mark.parametrize("name", ["triage_rules.toml", "status_rules.toml"])
def test_rule_files_never_say_you_have_and_every_rule_has_message_and_source(name: str) -> None:
    with resources.files("gluteguard.symptoms").joinpath(name).open("rb") as handle:
        raw = tomllib.load(handle)
    assert not [s for s in _strings(raw) if re.search(r"\byou(\s+have|'ve)\b", s, re.IGNORECASE)]
    for rule in raw["rule"]:
        assert rule["code"] and rule["message"].strip() and rule["source"].strip(), rule
    assert len({rule["code"] for rule in raw["rule"]}) == len(raw["rule"])


def test_every_flag_is_handled_by_some_rule_or_is_a_risk_factor() -> None:
    used = {flag for rule in triage_rules().rules for flag in rule.all_flags + sum(rule.any_groups, ())}
    # Risk factors on their own are the load engine's and the plan's business, not a reason to see a clinician.
    assert set(RED_FLAGS) - used == set()
    rules = triage_rules().rules
    alone = {flag for rule in rules if len(rule.any_groups) == 1 and not rule.all_flags for flag in rule.any_groups[0]}
    assert set(RED_FLAGS) - alone == {"recent_big_volume_increase", "previous_stress_fracture"}


def test_screening_is_due_at_onboarding_weekly_and_on_a_trigger() -> None:
    assert screen_due(None, DAY)
    assert not screen_due(DAY - timedelta(days=6), DAY)
    assert screen_due(DAY - timedelta(days=7), DAY)
    assert screen_due(DAY - timedelta(days=1), DAY, triggered=True)


# ---- the override as a property

STOP_RULES = [
    rule
    for rule in triage_rules().rules
    if rule.action in NO_RUNNING_ACTIONS and not rule.context and (rule.all_flags or rule.any_groups)
]
PAIN = st.one_of(st.none(), st.integers(0, 10))


@st.composite
def stop_checkins(draw: st.DrawFn) -> tuple[CheckIn, str]:
    rule = draw(st.sampled_from(STOP_RULES))
    raised = {**draw(st.dictionaries(st.sampled_from(RED_FLAGS), st.booleans())), **flags(*rule.all_flags)}
    raised.update(flags(*(draw(st.sampled_from(group)) for group in rule.any_groups)))
    checkin = CheckIn(
        date=DAY,
        **{name: draw(PAIN) for name in PAIN_FIELDS},
        pain_locations=tuple(draw(st.lists(st.sampled_from(PAIN_LOCATIONS), unique=True, max_size=3))),
        side=draw(st.sampled_from([None, "left", "right", "both"])),
        tender_on_pressing=tuple(draw(st.lists(st.sampled_from(["left", "right"]), unique=True))),
        wakes_lying_on_side=draw(st.sampled_from([None, True, False])),
        red_flags=raised,
    )
    return checkin, rule.action


CONTEXTS = st.builds(
    TriageContext,
    weeks_self_managed=st.floats(0, 30),
    adherent=st.sampled_from([None, True, False]),
    improved_meaningfully=st.sampled_from([None, True, False]),
    progressive_weakness=st.booleans(),
    worsening_despite_load_reduction=st.booleans(),
    nights_woken_7d=st.sampled_from([None, 0, 3, 7]),
    self_tests=st.sampled_from([None, self_tests({"right": (10.0, 5)}, {"right": True, "left": False})]),
)
EARLIER = st.lists(st.tuples(st.integers(1, 20), PAIN, PAIN, PAIN), max_size=8)


@settings(max_examples=150, deadline=None)
@given(stop_checkins(), CONTEXTS, EARLIER)
def test_a_stop_running_flag_means_no_running_whatever_else(drawn, context, earlier) -> None:
    checkin, rule_action = drawn
    history = [CheckIn(date=DAY - timedelta(days=back), pain_during_run=a, pain_next_morning=b, night_pain=c)
               for back, a, b, c in earlier] + [checkin]  # fmt: skip
    typed = status_report(history, DAY, context)
    report = typed.as_dict()
    assert report["action"] in NO_RUNNING_ACTIONS
    if rule_action == "emergency":
        assert report["action"] == "emergency"
    assert report["status"] == "red" and report["running_allowed"] is False
    assert cap_adjustment(typed)[0] == 0.0
    assert _says_running_goes_on(typed) == []
    assert triage(TriageInput(checkin, context)).running_allowed is False


def test_the_warning_sign_trigger_is_one_rule_for_every_edge() -> None:
    from gluteguard.symptoms.triage import screen_triggered

    assert screen_triggered([2, 6, None], [])  # strong pain
    assert screen_triggered([1], ["lateral_hip", " Groin "])  # pain away from the side of the hip
    assert screen_triggered([], [], flag_raised=True) and screen_triggered([], [], status="red")
    assert not screen_triggered([5, None, 3], ["lateral_hip", "buttock"], status="amber")
