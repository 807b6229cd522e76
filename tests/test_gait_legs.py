"""Which leg is which (gait/legs.py): frames whose leg labels the pose model traded are put back, crossings and
clean frames are left alone, the analysis of a clip with traded frames matches the clean clip's, and on a real
treadmill video (tests/data/video, MIT) the cadence lands within 2 steps a minute of the one its author measured
without a pose model, with the near leg named as the camera sees it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gluteguard.gait.analysis import analyze
from gluteguard.gait.legs import LEG_POINTS, untangle_legs
from gluteguard.gait.model import KeypointSeries
from gluteguard.samples.gait_synth import synthetic_run

REAL_CLIP = Path(__file__).parent / "data" / "video" / "treadmill_side_male_zzzhushi.mp4"
REAL_TRUTH = Path(__file__).parent / "data" / "video" / "treadmill_side_male_zzzhushi.groundtruth.json"


def _traded(series: KeypointSeries, frames: list[int]) -> KeypointSeries:
    """The series with the leg labels traded in ``frames``, as the pose model does now and then."""
    xyz, confidence = series.xyz.copy(), series.confidence.copy()
    for point in LEG_POINTS:
        left, right = series.names.index(f"left_{point}"), series.names.index(f"right_{point}")
        xyz[frames, left], xyz[frames, right] = series.xyz[frames, right], series.xyz[frames, left]
        confidence[frames, left], confidence[frames, right] = (series.confidence[frames, right],
                                                               series.confidence[frames, left])  # fmt: skip
    return KeypointSeries(fps=series.fps, time_s=series.time_s, names=series.names, xyz=xyz, confidence=confidence,
                          units=series.units, source=series.source, frame_size=series.frame_size)  # fmt: skip


@pytest.mark.parametrize("direction", ["left", "right"])
def test_traded_frames_are_found_and_put_back(direction: str) -> None:
    series = synthetic_run(view="side", seconds=8, fps=30, cadence_spm=168, direction=direction, noise_px=2.0,
                           seed=3)  # fmt: skip
    chosen = [17, 38, 39, 90, 121, 122, 123, 180]  # single frames and runs of two and three
    result = untangle_legs(_traded(series, chosen).xyz, series.confidence, series.names)
    assert sorted(np.flatnonzero(result.swapped).tolist()) == chosen
    assert np.allclose(result.xyz, series.xyz, equal_nan=True)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), fps=st.sampled_from([30.0, 50.0, 60.0]), cadence=st.floats(150, 190),
       direction=st.sampled_from(["left", "right"]), noise=st.floats(0.0, 3.0))  # fmt: skip
def test_a_clean_clip_keeps_every_label(seed: int, fps: float, cadence: float, direction: str, noise: float) -> None:
    """The legs cross twice a stride and the feet turn sharply at landing and toe-off: none of it is a trade."""
    series = synthetic_run(view="side", seconds=6, fps=fps, cadence_spm=cadence, direction=direction,
                           noise_px=noise, seed=seed)  # fmt: skip
    assert untangle_legs(series.xyz, series.confidence, series.names).swapped_frames == 0


def test_the_analysis_of_a_clip_with_traded_frames_matches_the_clean_one() -> None:
    series = synthetic_run(view="side", seconds=10, fps=30, cadence_spm=168, direction="left", noise_px=1.5, seed=11)
    clean = analyze(series, "side")
    once_a_stride = list(range(9, series.frames - 2, 21))  # the model's habit on the real clip: one a stride
    traded = analyze(_traded(series, once_a_stride), "side")
    assert traded.quality["leg_labels_traded_back"] == len(once_a_stride)
    assert traded.cadence_spm == pytest.approx(clean.cadence_spm, abs=0.5)
    assert traded.steps == clean.steps
    assert traded.quality["near_leg"] == "left"


@pytest.mark.skipif(not REAL_CLIP.exists(), reason="the real treadmill clip is not in tests/data/video")
def test_a_real_treadmill_run_reads_its_cadence_and_its_near_leg() -> None:
    pytest.importorskip("mediapipe", reason="stride analysis from video needs the video extra (make installs it)")
    from gluteguard.gait.pose import estimate_video

    truth = json.loads(REAL_TRUTH.read_text())
    true_cadence = 168.9  # the author's pixel-only measurement (groundtruth.json), checked by counting frames
    assert "168.9" in json.dumps(truth)
    series = estimate_video(REAL_CLIP, model="lite")
    analysis = analyze(series)
    assert analysis.view == "side" and analysis.movement is not None and analysis.movement.running
    assert analysis.cadence_spm == pytest.approx(true_cadence, abs=2.0)
    assert analysis.cadence_check is not None and analysis.cadence_check.agrees
    assert analysis.cadence_check.pose_free_spm == pytest.approx(true_cadence, abs=1.0)
    assert analysis.quality["facing"] == "left" and analysis.quality["near_leg"] == "left"
    assert analysis.quality["leg_labels_traded_back"] > 0
    assert analysis.steps["left"] >= 14  # the near leg: about one clean step a stride
