"""Video → keypoints edge: the real Sports2D demo clip end to end, bad files, the backend registry, the model file.

The clip (shared/data/video/sports2d_demo.mp4, 1768×994, 30 fps, 230 frames) has a man doing jumping jacks on a
utility box in the upper half of the picture and a woman walking right to left across the lower half from about
frame 45 to 200, in side view. BlazePose follows one person, so the walking checks crop to the lower 55 %.
Tests that decode or run the pose model skip when the ``video`` extra (OpenCV + MediaPipe) is not installed;
the registry and model-file checks run everywhere.
"""

from __future__ import annotations

import hashlib
import importlib.util
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from gluteguard.gait.model import BLAZEPOSE_LANDMARKS, KeypointError, KeypointSeries
from gluteguard.gait.pose import (
    PoseBackendMissing,
    backend_names,
    estimate_video,
    get_backend,
    register_backend,
    unregister_backend,
)

MODELS_DIR = Path(__file__).resolve().parents[1] / "src" / "gluteguard" / "gait" / "pose" / "models"
HAVE_VIDEO_EXTRA = all(importlib.util.find_spec(name) is not None for name in ("cv2", "mediapipe"))
needs_video = pytest.mark.skipif(
    not HAVE_VIDEO_EXTRA, reason="video extra not installed (pip install 'gluteguard[video]'; Python ≤ 3.12)"
)
LOWER_PART = (0.0, 0.45, 1.0, 1.0)  # the walker's half of the demo clip
WALK = slice(50, 195)  # frames where the woman is fully in view


@pytest.fixture(scope="session")
def clip(shared_data: Path) -> Path:
    path = shared_data / "video" / "sports2d_demo.mp4"
    if not path.is_file():
        pytest.skip(f"demo clip missing at {path}")
    return path


@pytest.fixture(scope="session")
def start_series(clip: Path) -> tuple[KeypointSeries, list[tuple[int, int | None]]]:
    """The first 3 s of the whole picture, lite model, with every progress call recorded."""
    if not HAVE_VIDEO_EXTRA:
        pytest.skip("video extra not installed")
    calls: list[tuple[int, int | None]] = []
    series = estimate_video(
        clip, model="lite", max_seconds=3.0, on_progress=lambda done, total: calls.append((done, total))
    )
    return series, calls


@pytest.fixture(scope="session")
def walker_series(clip: Path) -> KeypointSeries:
    """The whole clip, lower part only: the walking woman."""
    if not HAVE_VIDEO_EXTRA:
        pytest.skip("video extra not installed")
    return estimate_video(clip, model="lite", crop=LOWER_PART)


def _one_line_naming(error: BaseException, path: Path) -> None:
    message = str(error)
    assert "\n" not in message
    assert path.name in message


# --- the real clip ------------------------------------------------------------------------------------------------


@needs_video
def test_probe_reads_the_clip_facts(clip: Path) -> None:
    from gluteguard.gait.pose.video import probe

    info = probe(clip)
    assert (info.width, info.height) == (1768, 994)
    assert info.fps == pytest.approx(30.0)
    assert info.frame_count == 230
    assert info.rotation_deg == 0
    assert info.codec == "VP90"
    assert info.frames_to_read(step=2, max_seconds=3.0) == 46


@needs_video
def test_pose_finds_a_person_in_most_frames_and_stays_inside_the_picture(start_series) -> None:
    series, _ = start_series
    assert series.frames == 91  # frames 0..90 = 0–3.0 s
    assert series.names == BLAZEPOSE_LANDMARKS
    assert series.units == "px" and series.frame_size == (1768, 994)
    assert series.fps == pytest.approx(30.0)
    assert np.all(np.diff(series.time_s) > 0)
    assert series.time_s[-1] == pytest.approx(3.0, abs=1e-6)
    found = np.isfinite(series.xyz[:, :, 0]).all(axis=1)
    assert series.meta["frames_with_person"] == int(found.sum())
    assert found.mean() >= 0.8
    assert np.isnan(series.xyz[~found]).all() and (series.confidence[~found] == 0).all()
    assert np.isnan(series.xyz[:, :, 2]).all()  # 2D source: no z unless asked for
    confident = series.confidence >= 0.5
    x, y = series.xyz[:, :, 0][confident], series.xyz[:, :, 1][confident]
    width, height = series.frame_size
    assert x.size > 0.5 * confident.size
    assert ((x > -0.02 * width) & (x < 1.02 * width) & (y > -0.02 * height) & (y < 1.02 * height)).all()
    meta = series.meta
    assert meta["backend"] == "blazepose" and meta["model"] == "lite"
    assert meta["video"]["codec"] == "VP90" and meta["frame_index"] == list(range(91))


@needs_video
def test_progress_is_reported_for_every_frame(start_series) -> None:
    series, calls = start_series
    assert [done for done, _ in calls] == list(range(1, series.frames + 1))
    assert {total for _, total in calls} == {series.frames}


@needs_video
def test_walking_heels_rise_and_fall_and_events_are_found(walker_series: KeypointSeries) -> None:
    from scipy.signal import find_peaks

    series = walker_series
    assert series.meta["frames_with_person"] >= 0.6 * series.frames
    hip_x = series.point("left_hip")[WALK, 0]
    assert np.isfinite(hip_x).mean() > 0.9
    assert np.nanmax(hip_x) - np.nanmin(hip_x) > 1000  # she crosses most of the 1768 px frame
    assert hip_x[np.isfinite(hip_x)][0] > hip_x[np.isfinite(hip_x)][-1]  # right to left
    for side in ("left", "right"):
        heel_y = series.point(f"{side}_heel")[WALK, 1]
        finite = np.isfinite(heel_y)
        filled = np.interp(np.arange(heel_y.size), np.flatnonzero(finite), heel_y[finite])
        # y points down: a foot on the ground is a local maximum of heel y.
        contacts, _ = find_peaks(filled, distance=round(0.4 * series.fps), prominence=8)
        assert 3 <= len(contacts) <= 12, f"{side} heel: {len(contacts)} ground contacts in 4.8 s of walking"

    try:
        from gluteguard.gait.events import bridge_for_events, detect_events
        from gluteguard.gait.metrics import leg_length_px
    except ImportError:
        return  # the event detector is another module's; the heel check above stands on its own
    tracks = {}
    for side in ("left", "right"):
        for part in ("hip", "knee", "ankle", "heel", "foot_index"):
            xy = np.array(series.point(f"{side}_{part}")[WALK, :2])
            xy[series.score(f"{side}_{part}")[WALK] < 0.3] = np.nan
            tracks[f"{side}_{part}"] = bridge_for_events(xy, series.fps)
    events, _ = detect_events(
        {side: tracks[f"{side}_heel"] for side in ("left", "right")},
        {side: tracks[f"{side}_foot_index"] for side in ("left", "right")},
        leg_length_px(tracks, series.fps),
        series.fps,
    )
    assert all(len(events.contacts[side]) >= 2 for side in ("left", "right"))
    assert events.cadence_spm is not None and 60 <= events.cadence_spm <= 180


@needs_video
def test_step_and_full_model(clip: Path) -> None:
    series = estimate_video(clip, model="full", step=3, max_seconds=1.0)
    assert series.frames == 11 and series.fps == pytest.approx(10.0)
    assert series.meta["frame_index"] == list(range(0, 31, 3))
    assert series.meta["model"] == "full" and series.meta["frames_with_person"] >= 8


@needs_video
def test_key_frames_are_drawn_and_encoded(clip: Path, start_series) -> None:
    from gluteguard.gait.pose.video import draw_skeleton, encode_jpeg, encode_png, read_frames

    series, _ = start_series
    frames = read_frames(clip, [60, 10])
    assert sorted(frames) == [10, 60] and frames[60].shape == (994, 1768, 3)
    drawn = draw_skeleton(
        frames[60], series.xyz[60], series.confidence[60], highlight=("left_hip", "right_hip"), pelvic_drop_deg=4.2
    )
    assert drawn.shape == frames[60].shape and not np.array_equal(drawn, frames[60])
    assert (drawn != frames[60]).any(axis=2).mean() < 0.2  # lines, not a repaint
    jpeg, png = encode_jpeg(drawn), encode_png(drawn, max_side_px=400)
    assert jpeg[:3] == b"\xff\xd8\xff" and png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(KeypointError) as caught:
        read_frames(clip, [5000])
    _one_line_naming(caught.value, clip)


@needs_video
def test_rotated_phone_clip_comes_out_upright(tmp_path: Path) -> None:
    import cv2

    from gluteguard.gait.pose.video import iter_frames, probe

    path = tmp_path / "portrait.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (160, 96))
    for _ in range(10):
        image = np.zeros((96, 160, 3), np.uint8)
        image[:20, :40] = (0, 0, 255)  # a red mark in the stored top-left corner
        writer.write(image)
    writer.release()
    # Tag the track "rotate 90°" like a phone held upright: the display matrix in the tkhd box.
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    matrix = at + 4 + 4 + (20 if data[at + 4] == 0 else 32) + 16
    assert struct.unpack(">9i", data[matrix : matrix + 36])[0] == 1 << 16  # identity before
    data[matrix : matrix + 36] = struct.pack(">9i", 0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))

    info = probe(path)
    assert info.rotation_deg == 90 and (info.width, info.height) == (96, 160)
    first = next(iter(iter_frames(path)))
    assert first.image.shape == (160, 96, 3)
    red = np.argwhere(first.image[:, :, 2] > 200)
    assert red[:, 0].max() < 50 and red[:, 1].min() > 40  # the mark turned to the top-right: rotated clockwise


# --- bad input ----------------------------------------------------------------------------------------------------


@needs_video
@pytest.mark.parametrize("kind", ["text", "empty", "cut_header", "missing"])
def test_unreadable_files_give_one_line_naming_the_file(kind: str, tmp_path: Path, clip: Path) -> None:
    from gluteguard.gait.pose.video import VideoError, probe

    path = tmp_path / f"run_{kind}.mp4"
    if kind == "text":
        path.write_text("date,pace\n2026-11-20,5:10\n" * 50)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "cut_header":
        path.write_bytes(clip.read_bytes()[:2000])  # ends inside the moov box
    for attempt in (lambda: probe(path), lambda: estimate_video(path)):
        with pytest.raises(VideoError) as caught:
            attempt()
        _one_line_naming(caught.value, path)
        assert isinstance(caught.value, KeypointError)


@needs_video
def test_truncated_clip_is_reported_not_silently_shortened(tmp_path: Path, clip: Path) -> None:
    from gluteguard.gait.pose.video import VideoError, iter_frames

    path = tmp_path / "half.mp4"
    data = clip.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # header intact, second half of the frames gone
    with pytest.raises(VideoError) as caught:
        for _ in iter_frames(path):
            pass
    _one_line_naming(caught.value, path)
    assert "truncated" in str(caught.value)


@needs_video
def test_prefetch_hands_over_decoder_errors_and_stops_when_the_consumer_does(tmp_path: Path, clip: Path) -> None:
    import threading

    from gluteguard.gait.pose.video import VideoError, iter_frames, prefetch

    path = tmp_path / "half.mp4"
    data = clip.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match=r"half\.mp4: decoding stopped"):
        for _ in prefetch(iter_frames(path, step=4)):
            pass
    frames = prefetch(iter_frames(clip), depth=2)
    first = [next(frames).index for _ in range(3)]
    frames.close()  # what a consumer that breaks out of its loop does
    assert first == [0, 1, 2]
    assert not any(thread.name == "gluteguard-decode" for thread in threading.enumerate())


@needs_video
def test_limits_are_one_line_errors(clip: Path) -> None:
    from gluteguard.gait.pose.video import VideoError, VideoLimits, probe

    with pytest.raises(VideoError, match=r"sports2d_demo\.mp4: 8 s long, over the 5 s limit"):
        probe(clip, limits=VideoLimits(max_duration_s=5))
    assert probe(clip, limits=VideoLimits(max_duration_s=5), max_seconds=4).frame_count == 230
    with pytest.raises(VideoError, match="over the 1000 px limit"):
        probe(clip, limits=VideoLimits(max_side_px=1000))
    with pytest.raises(VideoError, match="GiB limit"):
        probe(clip, limits=VideoLimits(max_bytes=1000))


# --- registry and models (no video extra needed) --------------------------------------------------------------------


def test_backend_whose_package_is_missing_says_how_to_install() -> None:
    # A registered backend whose module really does not exist: the same ImportError path a machine without
    # MediaPipe takes, without pretending an installed package is missing.
    register_backend("ghost", "gluteguard.gait.pose._no_such_backend_module:Ghost", "test only")
    try:
        assert "ghost" in backend_names()
        with pytest.raises(PoseBackendMissing) as caught:
            get_backend("ghost")
    finally:
        unregister_backend("ghost")
    message = str(caught.value)
    assert "\n" not in message
    assert "pip install 'gluteguard[video]'" in message and "3.13" in message
    assert "_no_such_backend_module" in message


def test_unknown_backend_name_lists_the_registered_ones() -> None:
    with pytest.raises(PoseBackendMissing, match=r"no pose backend named 'openpose' \(registered: .*blazepose"):
        get_backend("openpose")
    with pytest.raises(PoseBackendMissing):
        estimate_video("anything.mp4", backend="openpose")


@needs_video
def test_unknown_or_absent_blazepose_model() -> None:
    with pytest.raises(PoseBackendMissing, match="choose one of: lite, full, heavy"):
        get_backend("blazepose", model="tiny")
    if not (MODELS_DIR / "pose_landmark_heavy.tflite").exists():
        with pytest.raises(PoseBackendMissing, match=r"fetch-pose-models\.sh"):
            get_backend("blazepose", model="heavy")


def test_shipped_lite_model_matches_its_recorded_sha256() -> None:
    with (MODELS_DIR / "models.toml").open("rb") as handle:
        recorded = tomllib.load(handle)["lite"]
    model = MODELS_DIR / recorded["file"]
    data = model.read_bytes()
    assert len(data) == recorded["bytes"] == 2_819_824
    assert hashlib.sha256(data).hexdigest() == recorded["sha256"]
    notice = (MODELS_DIR / "NOTICE.md").read_text()
    assert recorded["sha256"] in notice and "Apache" in notice
    assert (MODELS_DIR / "LICENSE-Apache-2.0.txt").read_text().lstrip().startswith("Apache License")


def test_importing_the_pose_package_loads_neither_opencv_nor_mediapipe() -> None:
    code = "import sys, gluteguard.gait.pose; print(sorted({'cv2', 'mediapipe'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
