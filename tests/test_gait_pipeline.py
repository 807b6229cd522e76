"""Stride-analysis pipeline on synthetic runs whose true values are known (gluteguard.samples.gait_synth)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gluteguard.gait.analysis import GaitAnalysis, analyze
from gluteguard.gait.findings import load_raw, load_rules, validate_rules
from gluteguard.gait.model import KeypointError, KeypointSeries
from gluteguard.gait.signal import fill_short_gaps, hampel, lowpass
from gluteguard.gait.view import detect_view
from gluteguard.plan.library import load_library
from gluteguard.samples.gait_synth import SYNTHETIC_SOURCE, synthetic_run


def _mean(analysis: GaitAnalysis, metric: str, side: str) -> float:
    return analysis.metrics[metric].by_side[side].mean


def _mirrored(series: KeypointSeries) -> KeypointSeries:
    """The same clip flipped left↔right in the image, with left/right labels swapped (a mirror-image runner)."""
    width = series.frame_size[0]
    swapped = tuple(
        n.replace("left_", "TMP_").replace("right_", "left_").replace("TMP_", "right_") for n in series.names
    )
    order = [swapped.index(name) for name in series.names]
    xyz = series.xyz[:, order, :].copy()
    xyz[:, :, 0] = width - xyz[:, :, 0]
    return KeypointSeries(
        fps=series.fps,
        time_s=series.time_s,
        names=series.names,
        xyz=xyz,
        confidence=series.confidence[:, order],
        source="mirrored",
        frame_size=series.frame_size,
    )


# ----------------------------------------------------------------------------------------------- signal stage


def test_short_gaps_are_bridged_and_long_ones_kept() -> None:
    values = np.arange(20, dtype=float)
    values[3:5] = np.nan  # 2 frames
    values[10:16] = np.nan  # 6 frames
    filled, mask = fill_short_gaps(values, max_gap_frames=3)
    assert filled[3] == pytest.approx(3.0) and filled[4] == pytest.approx(4.0)
    assert np.isnan(filled[10:16]).all()
    assert mask.sum() == 2


def test_hampel_removes_a_spike_but_not_a_smooth_peak() -> None:
    t = np.linspace(0, 2, 121)
    smooth = np.sin(2 * np.pi * 1.4 * t)
    spiked = smooth.copy()
    spiked[50] += 5.0
    cleaned, replaced = hampel(spiked)
    assert replaced >= 1
    assert abs(cleaned[50] - smooth[50]) < 0.1
    untouched, replaced_smooth = hampel(smooth)
    assert replaced_smooth == 0
    assert np.allclose(untouched, smooth)


def test_lowpass_guards_low_fps_and_short_runs() -> None:
    values = np.random.default_rng(0).normal(size=(50, 2))
    same, applied = lowpass(values, cutoff_hz=10.0, fps=15.0)  # cut-off above 0.9 · Nyquist: not applied
    assert not applied and np.array_equal(same, values)
    short = np.array([1.0, 2.0, 3.0, np.nan, 5.0, 6.0])  # runs shorter than the filter padding are kept
    kept, applied = lowpass(short, cutoff_hz=6.0, fps=60.0)
    assert applied and np.array_equal(kept[:3], short[:3]) and np.isnan(kept[3])


# ----------------------------------------------------------------------------------------------- rear view


@pytest.fixture(scope="module")
def rear_asymmetric() -> tuple[KeypointSeries, GaitAnalysis]:
    series = synthetic_run(view="rear", seconds=10, fps=60, cadence_spm=172, pelvic_drop_deg=(3.0, 9.0), seed=1)
    return series, analyze(series, "rear")


def test_rear_view_recovers_truth(rear_asymmetric: tuple[KeypointSeries, GaitAnalysis]) -> None:
    series, analysis = rear_asymmetric
    truth = series.meta["truth"]
    assert series.source == SYNTHETIC_SOURCE
    assert analysis.cadence_spm == pytest.approx(172, abs=1.0)
    for side in ("left", "right"):
        assert _mean(analysis, "pelvic_drop_deg", side) == pytest.approx(truth["pelvic_drop_deg"][side], abs=1.0)
        assert _mean(analysis, "hip_adduction_deg", side) == pytest.approx(truth["hip_adduction_deg"][side], abs=1.0)
        assert _mean(analysis, "knee_fppa_deg", side) == pytest.approx(truth["knee_fppa_deg"][side], abs=1.5)
        assert _mean(analysis, "step_width_norm", side) == pytest.approx(0.5, abs=0.05)
        assert _mean(analysis, "crossover_pct", side) == 0.0
        assert analysis.steps[side] >= 7
    assert "overstride_norm" not in analysis.metrics  # a rear view cannot see it


def test_pelvic_drop_sign_and_side_convention(rear_asymmetric: tuple[KeypointSeries, GaitAnalysis]) -> None:
    """Set: the left pelvis drops 9° while standing on the right foot → reported under right, positive."""
    _, analysis = rear_asymmetric
    right, left = _mean(analysis, "pelvic_drop_deg", "right"), _mean(analysis, "pelvic_drop_deg", "left")
    assert right > 7.5 and 1.5 < left < 4.5
    assert analysis.asymmetry["pelvic_drop_deg"]["left_minus_right"] < -4
    assert analysis.asymmetry["pelvic_drop_deg"]["notable"]
    # Peak frames fall in the first half of each right stance.
    for step in analysis.steps_detail:
        if step.side == "right" and "pelvic_drop_deg" in step.key_frames:
            middle = step.strike_frame + (step.toe_off_frame - step.strike_frame) / 2
            assert step.strike_frame <= step.key_frames["pelvic_drop_deg"] <= middle


def test_asymmetric_drop_gives_glute_finding_with_sources(rear_asymmetric: tuple[KeypointSeries, GaitAnalysis]) -> None:
    _, analysis = rear_asymmetric
    codes = {f.code: f for f in analysis.findings}
    assert "pelvic_drop_asymmetric" in codes
    finding = codes["pelvic_drop_asymmetric"]
    assert finding.side == "right"
    assert "fits the pattern" in finding.message and "you have" not in finding.message.lower()
    assert "hip_hitch_hold" in finding.exercises
    assert "Bramah" in finding.source and "Dingenen" in finding.source
    cadence = analysis.cadence_spm
    assert str(round(cadence * 1.05)) in finding.cue and str(round(cadence * 1.10)) in finding.cue


def test_symmetric_runner_gives_no_finding() -> None:
    analysis = analyze(synthetic_run(view="rear", seconds=8, pelvic_drop_deg=(6, 6), seed=2), "rear")
    assert analysis.findings == ()
    assert analysis.warnings == ()


def test_crossover_is_detected_and_cued() -> None:
    series = synthetic_run(view="rear", seconds=8, step_width_norm=-0.2, seed=5)
    analysis = analyze(series, "rear")
    for side in ("left", "right"):
        assert _mean(analysis, "crossover_pct", side) == 100.0
        assert _mean(analysis, "step_width_norm", side) == pytest.approx(-0.2, abs=0.05)
    crossover = [f for f in analysis.findings if f.code == "crossover"]
    assert crossover and "wider" in crossover[0].cue
    assert set(crossover[0].exercises) == {"side_steps", "band_side_slides"}


def test_noise_and_dropouts_still_recover_rear_values() -> None:
    series = synthetic_run(view="rear", seconds=12, fps=60, noise_px=1.5, dropout=0.03, pelvic_drop_deg=(4, 7), seed=11)
    analysis = analyze(series)
    truth = series.meta["truth"]
    assert analysis.view == "rear"
    assert analysis.cadence_spm == pytest.approx(170, abs=1.0)
    for side in ("left", "right"):
        assert _mean(analysis, "pelvic_drop_deg", side) == pytest.approx(truth["pelvic_drop_deg"][side], abs=1.0)
        assert _mean(analysis, "hip_adduction_deg", side) == pytest.approx(truth["hip_adduction_deg"][side], abs=1.5)
        assert _mean(analysis, "step_width_norm", side) == pytest.approx(0.5, abs=0.08)
    assert analysis.quality["interpolated_fraction"] > 0
    assert 0.5 < analysis.quality["score"] <= 1.0


def test_mirroring_swaps_pelvic_drop_sides(rear_asymmetric: tuple[KeypointSeries, GaitAnalysis]) -> None:
    series, analysis = rear_asymmetric
    mirrored = analyze(_mirrored(series), "rear")
    for side, other in (("left", "right"), ("right", "left")):
        assert _mean(mirrored, "pelvic_drop_deg", side) == pytest.approx(
            _mean(analysis, "pelvic_drop_deg", other), abs=0.3
        )


# ----------------------------------------------------------------------------------------------- side view


@pytest.mark.parametrize(("direction", "treadmill"), [("right", True), ("left", True), ("left", False)])
def test_side_view_recovers_truth_in_either_direction(direction: str, treadmill: bool) -> None:
    series = synthetic_run(
        view="side", seconds=8, fps=60, cadence_spm=165, direction=direction, treadmill=treadmill, seed=4
    )
    analysis = analyze(series, "side")
    truth = series.meta["truth"]
    assert analysis.cadence_spm == pytest.approx(165, abs=1.0)
    assert analysis.quality["facing"] == direction
    assert analysis.quality["near_leg"] == direction  # facing image right shows the runner's right side
    for side in ("left", "right"):
        assert _mean(analysis, "overstride_norm", side) == pytest.approx(truth["overstride_norm"], abs=0.04)
        assert _mean(analysis, "shank_angle_ic_deg", side) == pytest.approx(truth["shank_angle_ic_deg"][side], abs=3)
        assert _mean(analysis, "knee_flexion_ic_deg", side) == pytest.approx(truth["knee_flexion_ic_deg"][side], abs=3)
        assert _mean(analysis, "trunk_lean_deg", side) == pytest.approx(truth["trunk_lean_deg"], abs=1.0)
        assert _mean(analysis, "vertical_oscillation_norm", side) == pytest.approx(0.08, abs=0.01)
    assert "pelvic_drop_deg" not in analysis.metrics


def test_larger_overstride_reads_larger_and_cues_cadence() -> None:
    small = analyze(synthetic_run(view="side", seconds=8, overstride_norm=0.1, seed=6), "side")
    large = analyze(synthetic_run(view="side", seconds=8, overstride_norm=0.3, speed_mps=2.4, seed=6), "side")
    for side in ("left", "right"):
        assert _mean(large, "overstride_norm", side) - _mean(small, "overstride_norm", side) > 0.15
        assert _mean(large, "shank_angle_ic_deg", side) > _mean(small, "shank_angle_ic_deg", side) + 4.8
    overstride = [f for f in large.findings if f.code == "overstride"]
    assert overstride and "cadence" in overstride[0].cue
    assert not [f for f in small.findings if f.code == "overstride"]


def test_side_view_without_shoulders_has_no_trunk_lean() -> None:
    analysis = analyze(synthetic_run(view="side", seconds=6, with_shoulders=False, seed=8), "side")
    assert "trunk_lean_deg" not in analysis.metrics
    assert any("trunk lean" in note for note in analysis.quality["not_measurable"])


def test_noisy_side_view_at_30_fps() -> None:
    series = synthetic_run(view="side", seconds=12, fps=30, noise_px=1.5, dropout=0.02, seed=9)
    analysis = analyze(series)
    assert analysis.view == "side"
    assert analysis.cadence_spm == pytest.approx(170, abs=1.0)
    near = analysis.quality["near_leg"]
    assert _mean(analysis, "overstride_norm", near) == pytest.approx(0.2, abs=0.08)


# ----------------------------------------------------------------------------------------------- view, gating


@pytest.mark.parametrize(
    ("view", "kwargs"),
    [
        ("rear", {}),
        ("rear", {"noise_px": 3.0, "dropout": 0.05}),
        ("side", {}),
        ("side", {"direction": "left", "treadmill": False, "noise_px": 3.0}),
    ],
)
def test_view_detection(view: str, kwargs: dict) -> None:
    detected, confidence = detect_view(synthetic_run(view=view, seconds=5, seed=3, **kwargs))
    assert detected == view
    assert confidence > 0.6


def test_too_few_steps_warns_and_gives_no_findings() -> None:
    series = synthetic_run(view="rear", seconds=2.5, pelvic_drop_deg=(2, 10), seed=1)
    analysis = analyze(series, "rear")
    assert all(n < 7 for n in analysis.steps.values())
    assert any("at least 7 per side" in w for w in analysis.warnings)
    assert analysis.findings == ()
    assert "pelvic_drop_deg" in analysis.metrics  # the numbers are still shown, just no verdict


def test_missing_landmark_is_a_keypoint_error() -> None:
    series = synthetic_run(view="rear", seconds=2)
    keep = [i for i, n in enumerate(series.names) if n != "left_heel"]
    cut = KeypointSeries(
        fps=series.fps,
        time_s=series.time_s,
        names=tuple(series.names[i] for i in keep),
        xyz=series.xyz[:, keep],
        confidence=series.confidence[:, keep],
    )
    with pytest.raises(KeypointError, match="left_heel"):
        analyze(cut)
    with pytest.raises(ValueError, match="view"):
        analyze(series, "front-ish")


def test_as_dict_contract_and_event_frames(rear_asymmetric: tuple[KeypointSeries, GaitAnalysis]) -> None:
    series, analysis = rear_asymmetric
    d = analysis.as_dict()
    for key in ("view", "view_confidence", "fps", "steps", "cadence_spm", "metrics", "asymmetry", "quality"):
        assert key in d
    assert d["warnings"] == [] and isinstance(d["findings"], list)
    for finding in d["findings"]:
        assert set(finding) >= {"code", "message", "exercises", "cue", "source"}
    drop = d["metrics"]["pelvic_drop_deg"]
    assert set(drop["right"]) == {"mean", "sd", "n"}
    assert drop["unit"] == "deg" and drop["smallest_change"] == 2.8 and drop["meaning"]
    assert d["metrics"]["step_width_norm"]["smallest_change_basis"] == "from_data"
    truth_strikes = np.array(series.meta["truth"]["foot_strike_s"]["right"])
    found = np.array(d["events"]["right"]["foot_strike_times_s"])
    nearest = np.abs(found[:, None] - truth_strikes[None, :]).min(axis=1)
    assert np.all(nearest < 0.02)  # within about one frame at 60 fps
    assert len(d["events"]["right"]["toe_offs"]) == len(d["events"]["right"]["foot_strikes"])
    assert d["events"]["peak_pelvic_drop_frames"]["right"]
    assert any(step["values"].get("pelvic_drop_deg") for step in d["steps_detail"])


def test_pipeline_is_fast() -> None:
    series = synthetic_run(view="rear", seconds=30, fps=30, noise_px=1.0, dropout=0.01, seed=2)
    analyze(series)  # warm caches (rules file, scipy)
    analysis = analyze(series)
    assert analysis.timings_s["total_s"] < 0.5  # generous for a loaded CI box; typically ~0.05 s here


# ----------------------------------------------------------------------------------------------- findings TOML


def test_findings_toml_is_valid_and_uses_existing_exercises() -> None:
    ids = set(load_library())
    assert validate_rules(load_raw(), exercise_ids=ids) == []
    rules = load_rules()
    assert rules.min_clean_steps_per_side == 7
    for rule in rules.findings:
        assert set(rule.exercises) <= ids
        assert rule.source
    for name, info in rules.metrics.items():
        assert info.source, name


def test_findings_validator_lists_every_problem() -> None:
    raw = load_raw()
    broken = {**raw, "finding": [dict(raw["finding"][0])]}
    broken["finding"][0].update(
        message="You have gluteal tendinopathy.", exercises=["no_such_exercise"], kind="vibes", source=""
    )
    problems = validate_rules(broken, exercise_ids=set(load_library()))
    text = " | ".join(problems)
    assert "asserts a condition" in text
    assert "unknown exercise ids" in text
    assert "kind must be" in text
    assert "source missing" in text


def test_increase_against_baseline() -> None:
    from gluteguard.gait.findings import derive_findings

    now = {"pelvic_drop_deg": {"left": 8.0, "right": 8.5}}
    before = {"pelvic_drop_deg": {"left": 4.5, "right": 8.0}}
    codes = {f.code: f for f in derive_findings(now, 170.0, baseline_means=before)}
    assert "pelvic_drop_increased" in codes and codes["pelvic_drop_increased"].side == "left"
    assert "pelvic_drop_increased" not in {f.code for f in derive_findings(now, 170.0)}


# ----------------------------------------------------------------------------------------------- properties


def _finite_or_absent(analysis: GaitAnalysis) -> None:
    for metric in analysis.metrics.values():
        for summary in metric.by_side.values():
            assert math.isfinite(summary.mean) and summary.n >= 2
            assert summary.sd is None or math.isfinite(summary.sd)
    assert analysis.cadence_spm is None or 60 < analysis.cadence_spm < 300


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seconds=st.floats(0.05, 4.0),
    fps=st.sampled_from([15.0, 24.0, 30.0, 60.0]),
    holes=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 40), st.integers(0, 12)), max_size=6),
    view=st.sampled_from([None, "rear", "side"]),
    seed=st.integers(0, 1000),
)
def test_analyze_never_crashes_on_holes_and_short_clips(
    seconds: float, fps: float, holes: list[tuple[float, int, int]], view: str | None, seed: int
) -> None:
    series = synthetic_run(view=view or "rear", seconds=seconds, fps=fps, noise_px=1.0, seed=seed)
    xyz = series.xyz.copy()
    for start_share, length, landmark in holes:
        start = int(start_share * series.frames)
        xyz[start : start + length, landmark] = np.nan
    holed = KeypointSeries(
        fps=series.fps, time_s=series.time_s, names=series.names, xyz=xyz, confidence=series.confidence
    )
    analysis = analyze(holed, view)
    _finite_or_absent(analysis)
    assert analysis.view in ("rear", "side")
    assert 0.0 <= analysis.view_confidence <= 1.0
    analysis.as_dict()


@settings(max_examples=10, deadline=None)
@given(left=st.floats(1.0, 10.0), right=st.floats(1.0, 10.0), seed=st.integers(0, 100))
def test_mirroring_swaps_sides_for_any_drop(left: float, right: float, seed: int) -> None:
    series = synthetic_run(view="rear", seconds=6, pelvic_drop_deg=(left, right), seed=seed)
    original, mirrored = analyze(series, "rear"), analyze(_mirrored(series), "rear")
    assert _mean(mirrored, "pelvic_drop_deg", "left") == pytest.approx(
        _mean(original, "pelvic_drop_deg", "right"), abs=0.3
    )
    assert _mean(mirrored, "pelvic_drop_deg", "right") == pytest.approx(
        _mean(original, "pelvic_drop_deg", "left"), abs=0.3
    )


def test_rear_view_through_a_perspective_camera() -> None:
    """A pinhole camera 3 m behind: the planted foot slides down the image, strikes come late, drop still holds."""
    series = synthetic_run(view="rear", seconds=10, camera_distance_m=3.0, pelvic_drop_deg=(3.0, 9.0), seed=1)
    analysis = analyze(series, "rear")
    truth = series.meta["truth"]
    assert analysis.cadence_spm == pytest.approx(170, abs=2.0)  # known limit: ~1 spm low here
    for side in ("left", "right"):
        assert _mean(analysis, "pelvic_drop_deg", side) == pytest.approx(truth["pelvic_drop_deg"][side], abs=1.0)
        assert _mean(analysis, "step_width_norm", side) == pytest.approx(0.5, abs=0.05)


def test_walking_contacts_get_a_warning_and_no_verdict() -> None:
    # 120 steps/min with 0.6 s on the ground: each foot down 60 % of its 1 s stride, double support: walking.
    walking = synthetic_run("rear", seconds=20, fps=60, cadence_spm=120, contact_time_s=0.6, pelvic_drop_deg=(3, 9))
    result = analyze(walking, "rear")
    assert any("looks like walking" in w for w in result.warnings)
    assert result.findings == ()
    running = analyze(synthetic_run("rear", seconds=20, fps=60, cadence_spm=170, pelvic_drop_deg=(3, 9)), "rear")
    assert not any("walking" in w for w in running.warnings) and running.findings
