"""Several people in a video (issue 15, "find the person who is running"): everyone in view is found in a few
sampled frames, each is followed briefly, the one ``pick_runner`` prefers is analysed, and the result says so.

The core (linking, hiding, the choice, the wording) is tested with synthetic poses. The shell runs the real pose
model on clips made here from the shared Sports2D demo (a man doing jumping jacks on a utility box; a woman walking
across in side view; nobody runs): the man's part of the picture and the woman's part, side by side at different
scales and time offsets, so that the model really sees two people, the non-walker nearer and larger.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from gluteguard.cli.app import app as cli_app
from gluteguard.gait.model import BLAZEPOSE_LANDMARKS, KeypointSeries
from gluteguard.gait.people import (
    Pick,
    box_overlap,
    candidates_from_samples,
    hide_box,
    is_new_person,
    people_budget,
    people_in_view,
    people_sentence,
    person_box,
    pick_runner,
    plausible_person,
    same_clothes,
)
from gluteguard.gait.readers.openpose import BODY_25_TO_BLAZEPOSE
from gluteguard.samples.gait_synth import synthetic_run

HAVE_POSE = all(importlib.util.find_spec(name) is not None for name in ("cv2", "av", "mediapipe"))
needs_pose = pytest.mark.skipif(not HAVE_POSE, reason="video extra not installed (OpenCV, PyAV and MediaPipe)")
runner = CliRunner()

# The two-person clip: 1920×720, 30 fps. On the left the man on the box (demo x 420–980, y 0–480, ×1.25: about
# 450 px tall); on the right the lower part of the demo (y 477–994, ×0.68) from frame 50 on, where the woman walks
# right to left (about 260 px tall).
SIZE = (1920, 720)
FRAMES = 150  # 5 s: long enough for the two-worker split (tracked.MIN_SPLIT_FRAMES = 120)
RIGHT_PART_X = 710  # the woman's part starts here


# --- the core: synthetic people -------------------------------------------------------------------------------------


def _moved(series: KeypointSeries, scale: float, shift_x: float) -> KeypointSeries:
    xyz = series.xyz.copy()
    xyz[..., :2] *= scale
    xyz[..., 0] += shift_x
    return replace(series, xyz=xyz)


def _still(series: KeypointSeries) -> KeypointSeries:
    still = np.repeat(series.xyz[:1], series.frames, axis=0)
    return replace(series, xyz=still + np.random.default_rng(0).normal(0.0, 1.0, still.shape))


@pytest.mark.parametrize("view", ["rear", "side"])
@pytest.mark.parametrize("other", ["walking", "standing"])
def test_a_short_look_picks_the_runner_over_a_larger_bystander_listed_first(view: str, other: str) -> None:
    """Three seconds at 30 frames/s, as each person is followed: the bystander is larger (nearer the camera) and
    comes first, so only the gait can choose the runner."""
    run = _moved(synthetic_run(view, seconds=3, fps=30, cadence_spm=166, noise_px=1, seed=4), 0.8, 0.0)
    walk = _moved(synthetic_run(view, seconds=3, fps=30, cadence_spm=110, contact_time_s=0.7, noise_px=1, seed=5),
                  1.4, 900.0)  # fmt: skip
    bystander = walk if other == "walking" else _still(walk)
    pick = pick_runner([bystander, run])
    assert pick.index == 1 and pick.why == "running"
    assert [None if m is None else m.kind for m in pick.movements] == [other, "running"]
    meta = pick.as_meta()
    assert meta == {"people_followed": 2, "picked": 1, "people": [other, "running"], "why": "running"}
    assert people_sentence(2, meta) == "2 people in view; analysed the one running"
    # Listed the other way round, the same person wins: the order of finding decides nothing.
    assert pick_runner([run, bystander]).index == 0


def test_with_nobody_running_the_steadiest_stride_is_analysed_and_the_words_say_why() -> None:
    walk = synthetic_run("side", seconds=3, fps=30, cadence_spm=110, contact_time_s=0.7, noise_px=1, seed=5)
    still = _still(_moved(walk, 1.5, 800.0))
    pick = pick_runner([still, walk])
    assert (pick.index, pick.why) == (1, "steadiest_stride")
    assert people_sentence(3, pick.as_meta()) == (
        "3 people in view; analysed the one with the steadiest stride; nobody was seen running"
    )
    both_run = {"people_followed": 2, "picked": 0, "people": ["running", "running"], "why": "steadiest_stride"}
    assert people_sentence(2, both_run) == "2 people in view; analysed the one running (steadiest stride)"


def _pose(centre_x: float, scale: float = 1.0) -> np.ndarray:
    """An upright person from the synthetic side-view run as BlazePose's 33 landmarks (NaN for those the synthetic
    runner has not), hips at (centre_x, 500), scaled."""
    series = synthetic_run("side", seconds=1, fps=30, noise_px=0, seed=1)
    pose = np.full((len(BLAZEPOSE_LANDMARKS), 3), np.nan)
    for column, name in enumerate(series.names):
        pose[BLAZEPOSE_LANDMARKS.index(name)] = series.xyz[0, column]
    hips = pose[[BLAZEPOSE_LANDMARKS.index("left_hip"), BLAZEPOSE_LANDMARKS.index("right_hip")], :2].mean(axis=0)
    pose[:, :2] = (pose[:, :2] - hips) * scale + np.array([centre_x, 500.0])
    return pose


def _at(pose: np.ndarray, dx: float) -> np.ndarray:
    moved = pose.copy()
    moved[:, 0] += dx
    return moved


def test_findings_in_sampled_frames_become_the_people_to_follow() -> None:
    budget = people_budget()
    big, small = _pose(400.0, 1.4), _pose(1500.0, 0.7)
    box = person_box(big)
    assert box is not None and box[3] - box[1] > 300
    # The same person found twice (a second look at a partly hidden body) is not someone new; a neighbour is.
    assert not is_new_person(_at(big, 3.0), [big], budget.same_person_overlap)
    assert is_new_person(small, [big], budget.same_person_overlap)
    # What is hidden covers the whole body with room to spare, and stays in the frame.
    hidden = hide_box(big, budget.hide_margin, (0, 0, 1920, 1080))
    assert hidden is not None and hidden[0] < box[0] and hidden[3] > box[3] and hidden[1] >= 0
    assert box_overlap(box, hidden) == pytest.approx((box[2] - box[0]) * (box[3] - box[1]) /
                                                     ((hidden[2] - hidden[0]) * (hidden[3] - hidden[1])))  # fmt: skip
    # Upright people count; a person-like finding lying on its side or a few pixels tall does not.
    assert plausible_person(big, 1080, budget) and plausible_person(small, 1080, budget)
    lying = big.copy()
    lying[:, [0, 1]] = big[:, [1, 0]]
    assert not plausible_person(lying, 1080, budget)
    assert not plausible_person(_pose(900.0, 0.05), 1080, budget)
    # Four samples: the big one in all, the small one walking left in three (missed once), a passer-by once.
    samples = [
        [big, small],
        [_at(big, 10.0), _at(small, -120.0), _pose(3000.0, 1.0)],
        [_at(big, 20.0)],
        [_at(small, -360.0), _at(big, 30.0)],
    ]
    people = candidates_from_samples(samples, budget)
    assert [(p.first, p.seen) for p in people] == [(0, 4), (0, 3)]
    assert people[0].size > people[1].size
    np.testing.assert_array_equal(people[1].pose, small)
    assert np.isnan(people[1].track[2]).all()  # not found in the third sample


def test_the_same_clothes_find_the_chosen_person_again_unless_two_look_alike() -> None:
    budget = people_budget()
    green, brown, grey = np.zeros(96), np.zeros(96), np.zeros(96)
    green[[10, 60]], brown[[3, 70]], grey[[40, 41, 88]] = 0.5, 0.5, 1 / 3
    faded_green = 0.8 * green + 0.2 * grey  # the same shirt in other light, partly hidden
    assert same_clothes(green, [brown, faded_green], budget) == 1
    assert same_clothes(green, [brown, grey], budget) is None  # nobody dressed alike: no guess
    twin = 0.85 * green + 0.15 * grey
    assert same_clothes(green, [faded_green, twin], budget) is None  # two about as alike: no guess either
    assert same_clothes(green, [], budget) is None


def test_a_crowded_tracker_looks_where_the_runner_was_and_holds_a_seed() -> None:
    from gluteguard.gait.pose.window import WindowTracker, cover

    area = (0, 0, 3840, 2160)
    small = _pose(3000.0, 0.4)
    for crowded, expected in ((False, area), (True, "last seen")):
        tracker = WindowTracker(area, 30.0, crowded=crowded)
        for _ in range(20):
            tracker.update(small)
        tracker.update(None)
        assert tracker.window == (tracker.last_seen if expected == "last seen" else area)
        for _ in range(tracker.tiles_after):
            tracker.update(None)
        assert tracker.window == area  # lost for long: the whole area again
    seeded = WindowTracker(area, 30.0, crowded=True)
    seeded.hold((2500, 800, 3500, 1800), 5)
    for _ in range(4):
        seeded.update(None)
        assert seeded.window == (2500, 800, 3500, 1800)  # not seen yet: still looked for where they were chosen
    seeded.update(None)
    assert seeded.window == area
    picture = np.zeros((100, 200, 3), np.uint8)
    cover(picture, (1000, 500, 1400, 700), [(1100, 550, 1200, 600)])  # the picture is the box at half size
    assert (picture[25:50, 50:100] == 128).all() and picture.sum() == 25 * 50 * 3 * 128


def test_the_result_says_who_was_analysed_for_video_and_openpose_meta() -> None:
    pick = {"people_followed": 2, "picked": 1, "people": ["walking", "running"], "why": "running"}
    video = {"people_in_view": {"people_seen": 2, "pick": pick}}
    told = people_in_view(video)
    assert told is not None and told["people_seen"] == 2
    assert told["person_analysed"]["picked"] == 1
    assert told["person_analysed"]["message"] == "2 people in view; analysed the one running"
    assert people_in_view({"people_in_view": {"people_seen": 1, "pick": None}}) == {"people_seen": 1}
    assert people_in_view({"fps": 30}) is None  # a one-person keypoint file says nothing
    openpose = {"max_people_in_a_frame": 3, **Pick(0, (None, None), "most_seen").as_meta()}
    assert people_in_view(openpose)["person_analysed"]["message"] == (  # type: ignore[index]
        "3 people in view; analysed the one seen longest; nobody was seen running"
    )


def _body25(series: KeypointSeries, frame: int, shift_x: float, scale: float) -> list[float]:
    flat = [0.0] * 75
    for index, name in BODY_25_TO_BLAZEPOSE.items():
        if series.has(name):
            x, y, _ = series.point(name)[frame]
            if np.isfinite(x):
                flat[3 * index : 3 * index + 3] = [float(x * scale + shift_x), float(y * scale), 0.8]
    return flat


def test_the_cli_and_its_json_say_when_others_were_in_view(tmp_path: Path) -> None:
    """Through the CLI (an OpenPose folder with a larger walking bystander listed first): the words and the JSON."""
    run = synthetic_run("rear", seconds=12, fps=60, cadence_spm=166, seed=4)
    walk = synthetic_run("rear", seconds=12, fps=60, cadence_spm=110, contact_time_s=0.7, seed=5)
    folder = tmp_path / "two-people"
    folder.mkdir()
    for frame in range(run.frames):
        people = [{"pose_keypoints_2d": _body25(walk, frame, 1400.0, 1.4)},
                  {"pose_keypoints_2d": _body25(run, frame, 0.0, 0.8)}]  # fmt: skip
        (folder / f"clip_{frame:012d}_keypoints.json").write_text(json.dumps({"people": people}))
    db = ["--db", f"sqlite:///{tmp_path / 'g.sqlite'}"]
    report = tmp_path / "report.html"
    shown = runner.invoke(cli_app, [*db, "gait", "analyze", str(folder), "--fps", "60", "--report", str(report)],
                          terminal_width=200)  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "2 people in view; analysed the one running." in shown.output
    assert "<p>2 people in view; analysed the one running.</p>" in report.read_text()
    as_json = runner.invoke(cli_app, [*db, "gait", "analyze", str(folder), "--fps", "60", "--json"])
    out = json.loads(as_json.output)
    assert out["people_seen"] == 2 and out["person_analysed"]["people"] == ["walking", "running"]
    assert out["person_analysed"]["why"] == "running" and out["movement"]["running"]


# --- the shell: the real pose model on clips made from the demo -------------------------------------------------------


def _demo_frames(clip: Path, first: int, count: int) -> list[np.ndarray]:
    import cv2

    capture = cv2.VideoCapture(str(clip))
    frames = []
    for index in range(first + count):
        ok, image = capture.read()
        assert ok
        if index >= first:
            frames.append(image)
    capture.release()
    return frames


def _write(path: Path, pictures: list[np.ndarray], fps: int = 30) -> Path:
    """H.264 with a keyframe a second, as a phone writes (the people search samples the keyframes)."""
    import av

    height, width = pictures[0].shape[:2]
    container = av.open(str(path), "w")
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    stream = container.add_stream(codec, rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.codec_context.gop_size = fps
    if codec == "libx264":
        stream.options = {"preset": "veryfast", "x264-params": f"keyint={fps}:bframes=0"}
    for picture in pictures:
        for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="bgr24")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return path


def _man(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(image[0:480, 420:980], (700, 600), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def demo(shared_data: Path) -> Path:
    path = shared_data / "video" / "sports2d_demo.mp4"
    if not path.is_file():
        pytest.skip(f"demo clip missing at {path}")
    return path


@pytest.fixture(scope="module")
def two_people(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The man (jumping jacks, larger, left) and the woman (walking, smaller, right, 50 frames later in the demo)."""
    import cv2

    if not HAVE_POSE:
        pytest.skip("video extra not installed")
    width, height = SIZE
    pictures = []
    for left, right in zip(_demo_frames(demo, 0, FRAMES), _demo_frames(demo, 50, FRAMES), strict=True):
        canvas = np.full((height, width, 3), 90, np.uint8)
        canvas[height - 600 :, :700] = _man(left)
        walker = cv2.resize(right[477:994], (1202, 352), interpolation=cv2.INTER_AREA)
        canvas[height - 352 :, RIGHT_PART_X : RIGHT_PART_X + 1202] = walker
        pictures.append(canvas)
    return _write(tmp_path_factory.mktemp("people") / "two_people.mp4", pictures)


@pytest.fixture(scope="module")
def two_people_series(two_people: Path) -> KeypointSeries:
    from gluteguard.gait.pose import estimate_video

    return estimate_video(two_people, model="lite", workers=2)


def _hips_x(series: KeypointSeries) -> np.ndarray:
    hips = [series.names.index("left_hip"), series.names.index("right_hip")]
    return np.nanmean(series.xyz[:, hips, 0], axis=1)


@needs_pose
def test_both_people_are_found_and_the_one_pick_runner_prefers_is_analysed(
    two_people_series: KeypointSeries,
) -> None:
    people: dict[str, Any] = two_people_series.meta["people_in_view"]
    assert people["people_seen"] == 2 and people["sampled_frames"] == [0, 30, 60, 90]  # the keyframes of 3 s
    followed = people["followed"]
    assert len(followed) == 2
    sides = sorted("right" if entry["box"][0] >= RIGHT_PART_X else "left" for entry in followed)
    assert sides == ["left", "right"]  # one each side: the man and the woman, each found by the model
    man = next(entry for entry in followed if entry["box"][0] < RIGHT_PART_X)
    woman = next(entry for entry in followed if entry["box"][0] >= RIGHT_PART_X)
    assert man["box"][3] - man["box"][1] > woman["box"][3] - woman["box"][1]  # the man is the larger
    pick = people["pick"]
    kinds = dict(zip(["man" if entry is man else "woman" for entry in followed], pick["people"], strict=True))
    assert kinds == {"man": "jumping", "woman": "walking"}
    # Nobody runs: the steadier stride (the woman's walk) wins over the larger man's jumping jacks.
    assert followed[pick["picked"]] is woman and pick["why"] == "steadiest_stride"
    # The analysis followed her for the whole clip, never the man.
    x = _hips_x(two_people_series)
    assert np.isfinite(x).mean() >= 0.9
    assert (x[np.isfinite(x)] > RIGHT_PART_X).all()
    assert np.nanmax(x[:20]) - np.nanmin(x[-40:]) > 300  # walking right to left across her part
    assert people["seed_frame"] == woman["first_frame"]
    # The second worker started on her too, at the keyframe nearest the middle (found by her clothes), and the two
    # workers agreed: the series switches from the first to the second there.
    tracking = two_people_series.meta["tracking"]
    assert people["middle_seed_frame"] in (60, 90) and tracking["workers"] == 2
    assert tracking["frames_per_worker"][1] == FRAMES - people["middle_seed_frame"]
    assert tracking["seam_frame"] is not None and tracking["seam_frame"] >= people["middle_seed_frame"]
    assert two_people_series.meta["frame_index"] == list(range(FRAMES))


@needs_pose
def test_the_stride_result_says_who_was_analysed(two_people_series: KeypointSeries) -> None:
    from gluteguard.gait.people import people_in_view as told

    said = told(two_people_series.meta)
    assert said is not None and said["people_seen"] == 2
    assert said["person_analysed"]["message"] == (
        "2 people in view; analysed the one with the steadiest stride; nobody was seen running"
    )


@needs_pose
def test_one_person_or_a_crop_gives_the_same_series_as_before(demo: Path, two_people: Path, tmp_path: Path) -> None:
    """The man alone: one person found, nothing seeded, the very series of the tracked path without the search.
    A crop the runner gave: no search at all, the same series as the tracked path with that crop."""
    from gluteguard.gait.pose import estimate_video, get_backend
    from gluteguard.gait.pose.tracked import estimate_tracked
    from gluteguard.gait.pose.video import probe

    alone = _write(tmp_path / "alone.mp4", [_man(image) for image in _demo_frames(demo, 0, 75)])
    ours = estimate_video(alone, model="lite")
    people = ours.meta["people_in_view"]
    assert people["people_seen"] == 1 and people["pick"] is None and people["seed_frame"] is None
    before = estimate_tracked(get_backend("blazepose", model="lite"), alone, probe(alone))
    assert ours.meta["frames_with_person"] == before.meta["frames_with_person"] >= 60
    np.testing.assert_array_equal(ours.xyz, before.xyz)
    np.testing.assert_array_equal(ours.confidence, before.confidence)

    crop = (0.0, 0.0, 0.36, 1.0)  # the man's part: the runner chose it
    cropped = estimate_video(two_people, model="lite", crop=crop)
    assert "people_in_view" not in cropped.meta
    before = estimate_tracked(get_backend("blazepose", model="lite"), two_people, probe(two_people), crop=crop)
    np.testing.assert_array_equal(cropped.xyz, before.xyz)
    assert (_hips_x(cropped)[np.isfinite(_hips_x(cropped))] < 0.36 * SIZE[0]).all()
