"""The exercise library data file validates, covers the article and LEAP stages, and the validator catches breakage."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from gluteguard.plan import library
from gluteguard.plan.library import (
    KINDS,
    Exercise,
    LibraryError,
    allowed,
    by_kind,
    glute_stage,
    load_library,
    load_raw,
    return_to_run_ladder,
    validate_library,
)

# Named in the seed article (warm-up, gym strength, calf raises in three foot positions, stretching after).
ARTICLE_IDS = [
    "foam_roll_hip_flexor",
    "leg_swing_front_back",
    "butt_kicks",
    "walking_high_knees",
    "walk_before_run",
    "hamstring_curl_machine",
    "leg_extension_machine",
    "deadlift",
    "romanian_deadlift",
    "leg_press",
    "calf_raise_toes_in",
    "calf_raise_neutral",
    "calf_raise_toes_out",
    "standing_band_march",
    "kneeling_hip_flexor_stretch",
    "hamstring_stretch_step",
    "calf_stretch_wall",
]


@pytest.fixture()
def raw() -> dict[str, Any]:
    return copy.deepcopy(load_raw())


def _entry(raw: dict[str, Any], eid: str) -> dict[str, Any]:
    return next(e for e in raw["exercise"] if e["id"] == eid)


def test_real_file_is_valid_and_large_enough() -> None:
    assert validate_library(load_raw()) == []
    lib = load_library()
    assert len(lib) >= 45
    assert {e.kind for e in lib.values()} == KINDS


def test_load_library_returns_a_fresh_dict_of_frozen_entries() -> None:
    first = load_library()
    first.clear()
    assert len(load_library()) >= 45
    entry = load_library()["bridge_double_leg"]
    with pytest.raises(AttributeError):
        entry.stage = 3  # type: ignore[misc]


@pytest.mark.parametrize("eid", ARTICLE_IDS)
def test_article_exercises_exist(eid: str) -> None:
    assert eid in load_library()


def test_each_leap_stage_has_glute_entries_in_order() -> None:
    assert {e.id for e in glute_stage(1)} >= {"iso_abduction_supine", "iso_abduction_standing"}
    assert {e.id for e in glute_stage(2)} >= {"bridge_double_leg", "squat_double_leg", "side_steps"}
    assert {e.id for e in glute_stage(3)} >= {"bridge_offset", "squat_offset", "band_side_slides"}
    assert {e.id for e in glute_stage(4)} >= {"single_leg_squat", "step_up", "hip_hitch_swing"}
    lib = load_library()
    # A progression never goes down a stage within the glute programme.
    for e in lib.values():
        if e.is_glute_stage and e.progression and lib[e.progression].is_glute_stage:
            assert lib[e.progression].stage >= e.stage, e.id
    with pytest.raises(ValueError):
        glute_stage(5)


def test_return_to_run_ladder_is_consecutive_and_linked() -> None:
    ladder = return_to_run_ladder()
    assert 10 <= len(ladder) <= 14
    assert [e.ladder_step for e in ladder] == list(range(1, len(ladder) + 1))
    assert "walk" in ladder[0].session and "run" not in ladder[0].session.replace("no running", "")
    assert "continuous" in ladder[-1].session
    # The plyometric bridge (two-leg, then single-leg hops) sits between the brisk walk and the first running step
    # (clinical.md §5.2), and no running is in it.
    hops = ladder[1:3]
    assert "two-leg hops" in hops[0].session and "single-leg hops" in hops[1].session
    assert not any(" run" in e.session for e in hops)
    assert all(e.dosage.duration_min == 30 for e in ladder if e not in hops)
    for low, high in itertools.pairwise(ladder):
        assert low.progression == high.id and high.regression == low.id
    assert all(any("§5.2" in s for s in e.sources) for e in ladder)


def test_no_entry_text_says_you_have() -> None:
    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return []

    for text in strings(load_raw()):
        assert "you have" not in text.lower(), text


def test_no_stretch_allowed_while_symptomatic_is_adduction() -> None:
    stretches = by_kind("stretch")
    everything = {"none", "band", "foam_roller", "gym_machine", "barbell", "dumbbell", "step", "wall", "chair"}
    allowed_now = [e for e in stretches if allowed(e, {"symptomatic"}, everything)]
    assert allowed_now, "some stretches should remain while symptomatic"
    assert not [e.id for e in allowed_now if e.adduction]
    # The cross-body stretches exist only so they can be filtered out.
    assert {"itb_cross_body_stretch", "figure_four_glute_stretch"} <= {e.id for e in stretches if e.adduction}
    leg_swing = load_library()["leg_swing_front_back"]
    assert not leg_swing.adduction


def test_foam_rolling_stays_off_a_tender_hip_bone() -> None:
    rolls = [e for e in by_kind("foam_roll") if allowed(e, {"tender_hip_bone"}, {"foam_roller"})]
    assert "foam_roll_hip_flexor" in {e.id for e in rolls}
    assert "foam_roll_outer_thigh" not in {e.id for e in rolls}


def test_allowed_checks_equipment_and_conditions() -> None:
    lib = load_library()
    assert allowed(lib["bridge_double_leg"], set(), set())  # "none" needs nothing
    assert not allowed(lib["band_side_slides"], set(), set())
    assert allowed(lib["band_side_slides"], set(), {"band"})
    assert not allowed(lib["leg_press"], {"no_gym"}, {"gym_machine"})
    assert not allowed(lib["rtr_step_02"], {"sls_painful"}, set())
    assert allowed(lib["rtr_step_01"], {"sls_painful"}, set())


def test_allowed_drops_adduction_when_symptomatic_even_if_untagged() -> None:
    base = load_library()["itb_cross_body_stretch"]
    untagged = Exercise(**{**base.__dict__, "avoid_when": frozenset()})
    assert not allowed(untagged, {"symptomatic"}, {"wall"})
    assert allowed(untagged, set(), {"wall"})


def test_every_entry_has_dosage_cues_and_sources() -> None:
    for e in load_library().values():
        assert e.sources and e.cues, e.id
        assert e.dosage.reps or e.dosage.hold_s or e.dosage.duration_min, e.id


# --- the validator on broken copies -------------------------------------------------------------------------


def _problems_mention(problems: list[str], *words: str) -> bool:
    return any(all(w in p for w in words) for p in problems)


def test_catches_duplicate_id(raw: dict[str, Any]) -> None:
    raw["exercise"].append(copy.deepcopy(_entry(raw, "step_up")))
    assert _problems_mention(validate_library(raw), "step_up", "duplicate id")


def test_catches_non_snake_case_id(raw: dict[str, Any]) -> None:
    _entry(raw, "step_up")["id"] = "StepUp"
    assert _problems_mention(validate_library(raw), "snake_case")


def test_catches_dangling_link(raw: dict[str, Any]) -> None:
    _entry(raw, "bridge_double_leg")["progression"] = "bridge_on_a_unicycle"
    assert _problems_mention(validate_library(raw), "bridge_on_a_unicycle", "does not exist")


def test_catches_self_link(raw: dict[str, Any]) -> None:
    _entry(raw, "side_steps")["regression"] = "side_steps"
    assert _problems_mention(validate_library(raw), "side_steps", "itself")


def test_catches_progression_cycle(raw: dict[str, Any]) -> None:
    _entry(raw, "single_leg_squat")["progression"] = "squat_offset"  # squat_offset → single_leg_squat already
    problems = validate_library(raw)
    assert _problems_mention(problems, "cycle", "squat_offset", "single_leg_squat")
    assert sum("cycle" in p for p in problems) == 1


def test_catches_missing_source(raw: dict[str, Any]) -> None:
    _entry(raw, "leg_press")["sources"] = []
    _entry(raw, "deadlift")["sources"] = ["  "]
    problems = validate_library(raw)
    assert _problems_mention(problems, "leg_press", "no source")
    assert _problems_mention(problems, "deadlift", "no source")


def test_catches_adduction_without_symptomatic(raw: dict[str, Any]) -> None:
    _entry(raw, "figure_four_glute_stretch")["avoid_when"] = ["tender_hip_bone"]
    assert _problems_mention(validate_library(raw), "figure_four_glute_stretch", "symptomatic")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("kind", "yoga", ("kind", "vocabulary")),
        ("equipment", ["kettlebell"], ("kettlebell", "vocabulary")),
        ("avoid_when", ["mondays"], ("mondays", "vocabulary")),
        ("stage", 5, ("stage",)),
        ("cues", [], ("no cues",)),
        ("dosage", {"sets": 1, "effort": "light"}, ("reps, hold_s or duration_min",)),
    ],
)
def test_catches_bad_values(raw: dict[str, Any], field: str, value: Any, words: tuple[str, ...]) -> None:
    _entry(raw, "side_steps")[field] = value
    assert _problems_mention(validate_library(raw), "side_steps", *words)


def test_catches_thin_glute_stage_and_ladder_gap(raw: dict[str, Any]) -> None:
    raw["exercise"] = [e for e in raw["exercise"] if not (e["stage"] == 4 and e["id"] != "step_up")]
    _entry(raw, "rtr_step_05")["ladder_step"] = 12
    problems = validate_library(raw)
    assert _problems_mention(problems, "glute stage 4")
    assert _problems_mention(problems, "ladder steps")


def test_catches_you_have_wording(raw: dict[str, Any]) -> None:
    _entry(raw, "side_steps")["purpose"] = "Because you have weak hips."
    assert _problems_mention(validate_library(raw), "you have")


def test_reports_every_problem_at_once(raw: dict[str, Any]) -> None:
    _entry(raw, "leg_press")["sources"] = []
    _entry(raw, "side_steps")["kind"] = "yoga"
    _entry(raw, "step_up")["progression"] = "nowhere"
    assert len(validate_library(raw)) >= 3


def test_library_error_lists_problems() -> None:
    err = LibraryError(["a: no source", "b: duplicate id"])
    assert "a: no source" in str(err) and "b: duplicate id" in str(err)
    assert err.problems == ["a: no source", "b: duplicate id"]


def test_load_library_raises_listing_every_problem(raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    _entry(raw, "leg_press")["sources"] = []
    _entry(raw, "step_up")["progression"] = "nowhere"
    monkeypatch.setattr(library, "load_raw", lambda: raw)
    library._library.cache_clear()
    try:
        with pytest.raises(LibraryError) as caught:
            load_library()
        assert len(caught.value.problems) == 2
        assert "leg_press: no source" in str(caught.value) and "nowhere" in str(caught.value)
    finally:
        library._library.cache_clear()  # the next caller re-reads the real file


def test_selection_slots_name_real_exercises_and_always_have_a_fallback() -> None:
    from gluteguard.plan.select import EVERYWHERE, slots

    lib = load_library()
    found = slots()
    assert {s.item for s in found} == {"warmup", "stretch", "strength", "sitting_breaks"}
    for slot in found:
        assert slot.why and slot.source, slot.id
        assert all(eid in lib for eid in slot.candidates), slot.id
        kinds = {lib[eid].kind for eid in slot.candidates}
        assert kinds <= {"warmup", "foam_roll", "strength", "stretch", "sitting_break"}, slot.id
        # whatever the equipment and however sore the hip, the slot can still be filled
        fallback = [
            eid
            for eid in slot.candidates
            if set(lib[eid].equipment) <= EVERYWHERE and not lib[eid].avoid_when and not lib[eid].adduction
        ]
        assert fallback, f"{slot.id} has no candidate for a sore runner with no equipment"
    ladder_ids = {e.id for e in return_to_run_ladder()}
    assert not ladder_ids & {eid for s in found for eid in s.candidates}
