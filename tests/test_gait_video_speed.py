"""The tracked pose path (issue 15, "Speed" and "Phone reality"): PyAV decoding of rotated and variable-frame-rate
clips, windows around the runner, a small runner in a 4K frame, the two-worker split, frames per second for the
progress displays.

No timing here: the speed figures are ``benchmarks/gait_speed.py``'s. Clips are made in the tests (OpenCV's mp4v
writer, or PyAV's H.264 encoder where exact time stamps matter); the real one is the shared Sports2D demo clip.
"""

from __future__ import annotations

import importlib.util
import struct
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gluteguard.gait.model import BLAZEPOSE_LANDMARKS

HAVE_DECODERS = all(importlib.util.find_spec(name) is not None for name in ("cv2", "av"))
HAVE_POSE = HAVE_DECODERS and importlib.util.find_spec("mediapipe") is not None
needs_decoders = pytest.mark.skipif(not HAVE_DECODERS, reason="video extra not installed (OpenCV and PyAV)")
needs_pose = pytest.mark.skipif(not HAVE_POSE, reason="video extra not installed (OpenCV, PyAV and MediaPipe)")
LOWER_PART = (0.0, 0.45, 1.0, 1.0)  # the walker's half of the demo clip (as in test_gait_video.py)

# The display matrices of an MP4 track turned 90°, 180° and 270° clockwise (16.16 fixed point; 2.30 for w).
ROTATION_MATRICES = {
    90: (0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30),
    180: (-(1 << 16), 0, 0, 0, -(1 << 16), 0, 0, 0, 1 << 30),
    270: (0, -(1 << 16), 0, 1 << 16, 0, 0, 0, 0, 1 << 30),
}


@pytest.fixture(scope="session")
def clip(shared_data: Path) -> Path:
    path = shared_data / "video" / "sports2d_demo.mp4"
    if not path.is_file():
        pytest.skip(f"demo clip missing at {path}")
    return path


def _tag_rotation(path: Path, degrees: int) -> None:
    """Write a phone's "rotate" display matrix into the track header, as a phone held upright does."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    matrix = at + 4 + 4 + (20 if data[at + 4] == 0 else 32) + 16
    assert struct.unpack(">9i", data[matrix : matrix + 36])[0] == 1 << 16  # identity before
    data[matrix : matrix + 36] = struct.pack(">9i", *ROTATION_MATRICES[degrees])
    path.write_bytes(bytes(data))


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


def _write_mp4v(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    import cv2

    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for image in frames:
        writer.write(image)
    writer.release()
    return path


# --- decoding: upright pictures, boxes, time stamps ---------------------------------------------------------------


@needs_decoders
@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_boxes_map_between_the_stored_and_the_upright_picture(rotation: int) -> None:
    from gluteguard.gait.pose.decode import Upright
    from gluteguard.gait.pose.video import VideoInfo

    turned = rotation in (90, 270)
    width, height = (1080, 1920) if turned else (1920, 1080)
    info = VideoInfo("x.mp4", width, height, 60.0, 600, 10.0, rotation, "h264", 1)
    upright = Upright(info)
    assert (upright.stored_width, upright.stored_height) == (1920, 1080)
    for box in [(0, 0, width, height), (101, 203, 601, 999), (7, 11, 333, 777)]:
        stored = upright.to_stored(box)
        assert upright.to_upright(stored) == box
        assert 0 <= stored[0] < stored[2] <= 1920 and 0 <= stored[1] < stored[3] <= 1080
        snapped = upright.snap(box)
        assert all(v % 2 == 0 for v in upright.to_stored(snapped))  # whole 4:2:0 colour samples
        assert snapped[0] <= box[0] and snapped[1] <= box[1] and snapped[2] >= box[2] and snapped[3] >= box[3]
        assert snapped[2] - box[2] <= 1 and box[0] - snapped[0] <= 1


@needs_decoders
@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_rotated_phone_clip_is_cut_and_turned_upright_like_opencv_does(tmp_path: Path, rotation: int) -> None:
    """The tracked decoder cuts windows from the stored picture and turns only them: the result must be the
    window of OpenCV's upright frame (up to a colour conversion's rounding), for every phone rotation."""
    from gluteguard.gait.pose.decode import ClipDecoder, Upright
    from gluteguard.gait.pose.video import iter_frames, probe

    frames = []
    for index in range(6):
        image = np.zeros((96, 160, 3), np.uint8)
        image[:, :, 1] = np.linspace(0, 255, 160, dtype=np.uint8)[None, :]  # a left-to-right ramp
        image[:, :, 0] = np.linspace(0, 255, 96, dtype=np.uint8)[:, None]  # and a top-to-bottom one
        image[:20, :40] = (0, 0, 255)  # a red mark in the stored top-left corner
        image[70:, 150:] = (255, 255, 255) if index % 2 else (0, 0, 0)
        frames.append(image)
    path = _write_mp4v(tmp_path / f"phone_{rotation}.mp4", frames)
    _tag_rotation(path, rotation)

    info = probe(path)
    assert info.rotation_deg == rotation
    assert (info.width, info.height) == ((96, 160) if rotation in (90, 270) else (160, 96))
    upright = Upright(info)
    reference = [frame.rgb() for frame in iter_frames(path, info=info)]
    pictures = list(ClipDecoder(path, info).pictures())
    assert [p.index for p in pictures] == list(range(6))
    for picture, expected in zip(pictures, reference, strict=True):
        for box in (upright.whole, upright.snap((10, 14, info.width - 20, info.height - 6))):
            x0, y0, x1, y1 = box
            got = upright.rgb(picture.frame, box)
            assert got.shape == (y1 - y0, x1 - x0, 3) and got.flags.c_contiguous
            gap = np.abs(got.astype(int) - expected[y0:y1, x0:x1].astype(int))
            assert gap.mean() < 2.0 and np.percentile(gap, 99) <= 8
    red = np.argwhere(upright.rgb(pictures[0].frame, upright.whole)[:, :, 0] > 200)
    corner = {90: "top-right", 180: "bottom-right", 270: "bottom-left"}[rotation]
    rows_top = red[:, 0].max() < info.height / 2
    cols_left = red[:, 1].max() < info.width / 2
    assert corner == f"{'top' if rows_top else 'bottom'}-{'left' if cols_left else 'right'}"


def _numbered_clip(path: Path, count: int = 150, fps: int = 30) -> tuple[Path, list[float]]:
    """A small H.264 clip whose frames show their own number in 10 big black-and-white blocks, with uneven time
    stamps (a phone's variable frame rate), B-frames and a keyframe every 25 frames (seeking must land right).
    Returns the path and each frame's time in seconds."""
    import av

    container = av.open(str(path), "w")
    stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=fps)
    stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
    stream.time_base = stream.codec_context.time_base = Fraction(1, 90_000)  # else the stamps are rounded to 1/30 s
    stream.codec_context.gop_size = 25
    if stream.codec_context.name == "libx264":
        stream.options = {"preset": "veryfast", "x264-params": "keyint=25:min-keyint=25:bframes=2:scenecut=0"}
    times = []
    for index in range(count):
        image = np.full((240, 320, 3), 128, np.uint8)
        for bit in range(10):
            image[:48, bit * 32 : bit * 32 + 32] = 255 if (index >> bit) & 1 else 0
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        seconds = index / fps + 0.004 * (index % 3)  # 0, 4 or 8 ms late: uneven, still in order
        frame.pts = round(seconds * 90_000)
        frame.time_base = stream.time_base
        times.append(frame.pts / 90_000)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return path, [t - times[0] for t in times]


def _read_number(image_rgb: np.ndarray) -> int:
    blocks = [image_rgb[4:44, bit * 32 + 4 : bit * 32 + 28].mean() > 128 for bit in range(10)]
    return sum(1 << bit for bit, on in enumerate(blocks) if on)


@needs_decoders
def test_the_tracked_decoder_numbers_and_times_frames_like_opencv_even_after_a_seek(tmp_path: Path) -> None:
    from gluteguard.gait.pose.decode import ClipDecoder, Upright, index_clip
    from gluteguard.gait.pose.video import iter_frames, probe

    path, times = _numbered_clip(tmp_path / "vfr.mp4")
    info = probe(path)
    index = index_clip(path, info)
    assert index is not None and index.frames == 150 and len(index.keyframe_pts) >= 6
    np.testing.assert_allclose(index.times_s, times, atol=1e-4)  # the stamps, not index / fps
    opencv = [(frame.index, frame.time_s) for frame in iter_frames(path, info=info)]
    upright = Upright(info)
    decoded = [(p.index, p.time_s, _read_number(upright.rgb(p.frame, upright.whole))) for p in
               ClipDecoder(path, info).pictures()]  # fmt: skip
    assert [i for i, _, _ in decoded] == [i for i, _ in opencv] == list(range(150))
    assert [n for _, _, n in decoded] == list(range(150))  # frame i shows number i
    np.testing.assert_allclose([t for _, t, _ in decoded], [t for _, t in opencv], atol=1e-3)
    # From the middle of a GOP, with step 2 and a stop: exactly the frames asked for, and the right pictures.
    middle = ClipDecoder(path, info, index=index, step=2).pictures(first=62, stop=100)
    got = [(p.index, _read_number(upright.rgb(p.frame, upright.whole))) for p in middle]
    assert got == [(i, i) for i in range(62, 100, 2)]


# --- the two-worker split, with a stand-in pose model that reads the frame number -------------------------------


class _NumberReader:
    """A stand-in for the pose graph: the 'pose' spans the picture and its z is the frame number drawn in it.

    A clone's fresh graph (after ``close``) can start on "someone else" (``detour``: a pose shifted a whole picture
    to the right, as a real detection can pick another person in view), or find the runner and then lose the pose
    for ``wobble`` frames (shifted by 30 % of its height) before it settles.
    """

    landmark_names = BLAZEPOSE_LANDMARKS

    def __init__(self, detour: int = 0, wobble: int = 0, clones: tuple[int, int] = (0, 0)) -> None:
        self.detour, self.wobble, self.clones = detour, wobble, clones
        self.close()

    def landmarks(self, image_rgb: np.ndarray, time_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        height, width = image_rgb.shape[:2]
        spots = np.linspace(0.1, 0.9, len(self.landmark_names))
        xyz = np.stack([spots * width, spots[::-1] * height, np.full(len(spots), float(_read_number(image_rgb)))], 1)
        self._frames += 1
        if self._frames <= self.detour:
            xyz[:, 0] += width
        elif 1 < self._frames <= 1 + self.wobble:
            xyz[:, 0] += 0.3 * height
        return xyz, np.ones(len(spots))

    def clone(self) -> _NumberReader:
        return _NumberReader(*self.clones)

    def close(self) -> None:
        self._frames = 0  # frames seen by this graph

    def describe(self) -> dict[str, Any]:
        return {"backend": "number-reader"}


@needs_decoders
@pytest.mark.parametrize(
    ("detour", "wobble", "seam", "second_rows"), [(0, 0, 75, 75), (0, 6, 82, 75), (10_000, 0, None, 0)]
)
def test_the_split_gives_every_frame_once_in_order(
    tmp_path: Path, detour: int, wobble: int, seam: int | None, second_rows: int
) -> None:
    """Worker B starts in the middle (frame 75 of 150); A goes on until both agree for 3 frames and the series
    switches to B there. Each row must hold its own frame's pose (z = the number drawn in that frame), with no
    frame twice or missing at the seam. When B finds only someone else where A first saw the runner, it stops at
    once and every row is A's."""
    from gluteguard.gait.pose.tracked import estimate_tracked
    from gluteguard.gait.pose.video import probe

    path, times = _numbered_clip(tmp_path / "numbered.mp4")
    info = probe(path)
    reader = _NumberReader(clones=(detour, wobble))
    calls: list[tuple[int, int | None]] = []
    series = estimate_tracked(reader, path, info, workers=2, on_progress=lambda d, t: calls.append((d, t)))

    tracking = series.meta["tracking"]
    assert tracking["workers"] == 2 and tracking["seam_frame"] == seam
    assert series.meta["frame_index"] == list(range(150))
    np.testing.assert_array_equal(series.xyz[:, 0, 2], np.arange(150))  # each row is its own frame's
    np.testing.assert_allclose(series.time_s, times, atol=1e-4)
    spots = np.linspace(0.1, 0.9, len(BLAZEPOSE_LANDMARKS)) * 320
    np.testing.assert_array_equal(series.xyz[:, :, 0], np.tile(spots, (150, 1)))  # nobody else's, no wobble
    assert tracking["frames_per_worker"] == [150 if seam is None else seam + 3, second_rows]
    done = [d for d, _ in calls]
    assert done == sorted(set(done)) and calls[-1] == (150, 150) and {t for _, t in calls} == {150}


@needs_decoders
def test_a_short_clip_or_one_core_is_one_worker_with_progress_for_every_frame(tmp_path: Path) -> None:
    from gluteguard.gait.pose.tracked import estimate_tracked
    from gluteguard.gait.pose.video import probe

    path, _ = _numbered_clip(tmp_path / "numbered.mp4", count=60)
    info = probe(path)
    for workers, step in ((2, 1), (1, 3)):
        calls: list[tuple[int, int | None]] = []
        series = estimate_tracked(_NumberReader(), path, info, workers=workers, step=step,
                                  on_progress=lambda d, t, calls=calls: calls.append((d, t)))  # fmt: skip
        assert series.meta["tracking"]["workers"] == 1
        expected = list(range(0, 60, step))
        assert series.meta["frame_index"] == expected and list(series.xyz[:, 0, 2]) == expected
        assert calls == [(i, len(expected)) for i in range(1, len(expected) + 1)]
        assert series.fps == pytest.approx(info.fps / step)


# --- the real pose model on the real clip ---------------------------------------------------------------------------


@needs_pose
def test_windows_give_the_whole_frame_landmarks_on_the_demo_clip(tmp_path: Path, clip: Path) -> None:
    """Landmarks found in a window and put back in full-frame pixels, against the same decoder and graph given the
    whole picture (``follow=False``).

    On the demo clip as it is, both people are too big for a window: the tracked path must be the whole-frame one,
    bit for bit. Scaled up to 1920×1080, the first frame's whole picture shows the detector nobody, the tiles find
    the man, and he is followed in a window from then on. The two paths then start from different detections and
    the graph's crop follows each one's own history, so they differ by the model's own noise; a mapping error
    would show as an offset of the window's corner or half a pixel: there is none.
    """
    import cv2

    from gluteguard.gait.pose import get_backend
    from gluteguard.gait.pose.tracked import estimate_tracked
    from gluteguard.gait.pose.video import probe
    from gluteguard.gait.pose.window import WindowPolicy

    estimator = get_backend("blazepose", model="lite")
    whole_frame = WindowPolicy(follow=False)
    info = probe(clip)
    whole = estimate_tracked(estimator, clip, info, workers=1, policy=whole_frame)
    tracked = estimate_tracked(estimator, clip, info, workers=1)
    assert tracked.meta["tracking"]["window_frames"] == 0 and tracked.meta["frames_with_person"] >= 220
    np.testing.assert_array_equal(tracked.xyz, whole.xyz)

    big = [cv2.resize(f, (1920, 1080), interpolation=cv2.INTER_CUBIC) for f in _demo_frames(clip, 0, 120)]
    path = _write_mp4v(tmp_path / "demo_1080p.mp4", big)
    info = probe(path)
    whole = estimate_tracked(estimator, path, info, workers=1, policy=whole_frame)
    windowed = estimate_tracked(estimator, path, info, workers=1)
    assert whole.meta["tracking"]["window_frames"] == 0
    assert windowed.meta["tracking"]["window_frames"] >= 100
    both = np.isfinite(whole.xyz[:, :, 0]).all(axis=1) & np.isfinite(windowed.xyz[:, :, 0]).all(axis=1)
    assert both.sum() >= 100
    signed = windowed.xyz[both, :, :2] - whole.xyz[both, :, :2]
    assert np.abs(np.median(signed.reshape(-1, 2), axis=0)).max() <= 0.25  # no offset
    assert np.median(np.linalg.norm(signed, axis=2)) <= 2.0
    hips = [BLAZEPOSE_LANDMARKS.index(n) for n in ("left_hip", "right_hip")]
    apart = np.linalg.norm(signed[:, hips].mean(axis=1), axis=1) / np.ptp(whole.xyz[both, :, 1], axis=1)
    assert np.mean(apart < 0.15) >= 0.95  # the same person


@needs_pose
def test_a_small_runner_in_a_4k_frame_is_found_and_put_back_in_place(tmp_path: Path, clip: Path) -> None:
    """The demo's first 40 frames (the man on the box alone) at 60 % size in a corner of a 3840×2160 picture:
    the whole-frame path finds nobody (the detector sees him ~30 px tall); the tracked path finds him in tiles,
    follows him in a window, and his landmarks land where the unpadded clip puts them, moved by the offset."""
    import cv2

    from gluteguard.gait.pose import estimate_video

    frames = _demo_frames(clip, 0, 40)
    height, width = frames[0].shape[:2]
    small = [cv2.resize(f, (round(width * 0.6), round(height * 0.6)), interpolation=cv2.INTER_AREA) for f in frames]
    small_h, small_w = small[0].shape[:2]
    left, top = 2500, 1400
    canvases = []
    for image in small:
        canvas = np.full((2160, 3840, 3), 90, np.uint8)
        canvas[top : top + small_h, left : left + small_w] = image
        canvases.append(canvas)
    big_path = _write_mp4v(tmp_path / "small_runner_4k.mp4", canvases)
    alone_path = _write_mp4v(tmp_path / "alone.mp4", small)

    whole_frame = estimate_video(big_path, model="lite", track=False)
    tracked = estimate_video(big_path, model="lite")
    alone = estimate_video(alone_path, model="lite")
    assert whole_frame.meta["frames_with_person"] <= 4  # why the tiles are needed
    assert tracked.meta["frames_with_person"] >= 32 and tracked.meta["tracking"]["window_frames"] >= 30
    found = np.isfinite(tracked.xyz[:, :, 0]).all(axis=1) & np.isfinite(alone.xyz[:, :, 0]).all(axis=1)
    hips = [BLAZEPOSE_LANDMARKS.index(n) for n in ("left_hip", "right_hip")]
    in_4k = tracked.xyz[found][:, hips, :2].mean(axis=1)
    expected = alone.xyz[found][:, hips, :2].mean(axis=1) + np.array([left, top])
    body = np.ptp(alone.xyz[found][:, :, 1], axis=1)
    assert np.median(np.linalg.norm(in_4k - expected, axis=1) / body) <= 0.05
    assert (in_4k[:, 0] > left).all() and (in_4k[:, 1] > top).all()


@needs_pose
@pytest.mark.parametrize("workers", [1, 2])
def test_a_truncated_clip_is_reported_by_the_tracked_path_too(tmp_path: Path, clip: Path, workers: int) -> None:
    from gluteguard.gait.pose import estimate_video
    from gluteguard.gait.pose.video import VideoError

    path = tmp_path / "half.mp4"
    data = clip.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # header intact, second half of the frames gone
    with pytest.raises(VideoError, match=r"^half\.mp4: decoding stopped after \d+ of 230 frames") as caught:
        estimate_video(path, model="lite", workers=workers)
    assert "\n" not in str(caught.value)


@needs_pose
def test_the_split_on_the_real_clip_keeps_one_person_and_every_frame(clip: Path) -> None:
    """The demo has two people: worker B, starting in the middle, may pick the other one. Whatever it picks, the
    series has every frame once and follows the person the single pass follows."""
    from gluteguard.gait.pose import estimate_video

    one = estimate_video(clip, model="lite", workers=1)
    two = estimate_video(clip, model="lite", workers=2)
    assert two.meta["tracking"]["workers"] == 2
    assert two.meta["frame_index"] == one.meta["frame_index"] == list(range(230))
    np.testing.assert_array_equal(two.time_s, one.time_s)
    hips = [BLAZEPOSE_LANDMARKS.index(n) for n in ("left_hip", "right_hip")]
    both = np.isfinite(one.xyz[:, :, 0]).all(axis=1) & np.isfinite(two.xyz[:, :, 0]).all(axis=1)
    apart = np.linalg.norm(one.xyz[both][:, hips, :2].mean(axis=1) - two.xyz[both][:, hips, :2].mean(axis=1), axis=1)
    body = np.ptp(one.xyz[both][:, :, 1], axis=1)
    assert np.mean(apart / body < 0.15) >= 0.95  # the same person, frame by frame


# --- frames per second for the progress displays --------------------------------------------------------------------


def test_frame_rate_text_and_the_cli_column() -> None:
    from rich.progress import Progress

    from gluteguard.gait.pose.progress import FrameRateColumn, frame_rate_text

    assert frame_rate_text(47.6) == "48 frames/s"
    assert frame_rate_text(7.25) == "7.2 frames/s"
    assert frame_rate_text(None) == "" and frame_rate_text(0.0) == ""
    now = [100.0]  # Rich's clock, moved by hand
    progress = Progress(FrameRateColumn(), auto_refresh=False, disable=True, get_time=lambda: now[0])
    task_id = progress.add_task("pose", total=600)
    assert str(FrameRateColumn().render(progress.tasks[0])) == ""  # no rate before any frame
    progress.update(task_id, completed=12)
    now[0] = 100.5
    progress.update(task_id, completed=36)  # 24 more frames half a second later
    assert str(FrameRateColumn().render(progress.tasks[0])) == "48 frames/s"


def test_the_web_job_page_says_frames_per_second() -> None:
    """Without JavaScript the page refreshes itself: its text carries the rate so far (more.js then keeps it to
    the last few seconds of polls)."""
    import re
    import time

    from gluteguard.services.jobs import JobState
    from gluteguard.web.pages.render import TEMPLATES

    template = TEMPLATES.env.get_template("stride_report.html")
    job = JobState(id="abc", kind="stride", label="run.mp4", status="running", done=412, total=600)
    job.created = time.time() - 8.6  # 412 frames in 8.6 s
    html = template.render(job=job, running=True, request=None, csrf_field="csrf", csrf_token="token")
    assert re.search(r"<span data-job-text[^>]*>412 of 600 frames · 48 frames/s</span>", html)
    job.done, job.total = 0, 0
    html = template.render(job=job, running=True, request=None, csrf_field="csrf", csrf_token="token")
    assert re.search(r"<span data-job-text[^>]*>Reading the file…</span>", html)
    script = (Path(__file__).resolve().parents[1] / "src" / "gluteguard" / "web" / "static" / "more.js").read_text()
    assert '" frames/s"' in script and "frameRate(samples, job.done)" in script
