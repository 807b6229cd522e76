"""The tracked pose path: decode with PyAV, look only around the runner, and use both cores on one clip.

``estimate_video`` takes this path for a backend that supports it (BlazePose). For each frame:

1. the decoder, a thread ahead (``video.prefetch``), hands over the frame still in YUV (``decode.py``);
2. the window to look in (``window.WindowTracker``: the whole area, or a window around a small runner) is cut from
   it, turned upright and converted to RGB, at half size when the square the graph cuts is 768 px or more (its
   model sees 256×256 anyway);
3. the pose graph tracks the runner in that picture, and the landmarks go back to full-frame pixels as the
   window's corner plus the fraction of its size: exact, because the window is cut at whole pixels.

**Two workers.** The pose graph costs ~15 ms of CPU a frame with lite on this 2-core laptop, so one graph cannot
keep up with a 60 fps clip. A clip of at least :data:`MIN_SPLIT_FRAMES` frames is cut in two: worker A from the
start, worker B from the middle, each with its own decoder and graph, in threads (the graph and the decoder release
the GIL). B starts with the person nearest to where A first saw the runner (with several people in view: the one the
people search chose, found again by their clothes at a keyframe near the middle, ``candidates.py``); its first
frames are its warm-up. A goes
on past the middle until its pose and B's agree in :data:`AGREE_FRAMES` frames running (the same person: hips within
:data:`SAME_PERSON_SHARE` of the body's height; the same pose: the landmarks' median gap within :data:`AGREE_SHARE`
of it), and the series takes A's rows before those frames and B's from them: every frame once, in order, and the
same series on every run (A waits for B's row rather than racing it). If B followed someone else, they never agree
and A finishes the clip alone: slower, never a different person mid-clip. After the seam the rows are B's, which
equal a single pass in which the runner was detected afresh at the middle: the same person, the model's own noise.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from gluteguard.gait.model import BLAZEPOSE_LANDMARKS, KeypointSeries
from gluteguard.gait.pose.decode import Box, ClipDecoder, ClipIndex, IndexMismatch, Picture, Upright, index_clip
from gluteguard.gait.pose.motion import MotionMeter
from gluteguard.gait.pose.video import TRUNCATION_TOLERANCE, VideoError, VideoInfo, crop_box, prefetch
from gluteguard.gait.pose.window import (
    DEFAULT_POLICY,
    Seed,
    WindowPolicy,
    WindowTracker,
    clip_box,
    cover,
    needed_square,
    search_tiles,
)

# Below this many frames to analyse, the second graph's start-up and warm-up are not worth it.
MIN_SPLIT_FRAMES = 120
# The seam: A and B must agree in this many frames in a row: hips within SAME_PERSON_SHARE of the body's height and
# the landmarks' median gap within AGREE_SHARE of it. Two trackers of the same runner do not converge to the same
# pixels (each one's crop depends on its own history; measured gaps: a median of 2–7 % of the body's height), so
# "agree" means the same person in the same pose, not the same numbers.
AGREE_FRAMES = 3
AGREE_SHARE = 0.08
SAME_PERSON_SHARE = 0.15
_HIPS = (BLAZEPOSE_LANDMARKS.index("left_hip"), BLAZEPOSE_LANDMARKS.index("right_hip"))

ProgressCallback = Callable[[int, "int | None"], None]


class TrackingEstimator(Protocol):
    """What the tracked path needs from a backend (``BlazePoseEstimator`` has it)."""

    landmark_names: tuple[str, ...]

    def landmarks(self, image_rgb: np.ndarray, time_s: float | None = None) -> tuple[np.ndarray, np.ndarray] | None: ...

    def clone(self) -> TrackingEstimator: ...

    def close(self) -> None: ...

    def describe(self) -> dict[str, Any]: ...


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


@dataclass
class WorkerLog:
    """One worker's rows (in frame order) and where its time went."""

    name: str
    index: list[int] = field(default_factory=list)
    time_s: list[float] = field(default_factory=list)
    xyz: list[np.ndarray | None] = field(default_factory=list)
    confidence: list[np.ndarray | None] = field(default_factory=list)
    row_of: dict[int, int] = field(default_factory=dict)  # frame number → row, read by the other worker
    pose_s: float = 0.0  # inside the pose graph
    convert_s: float = 0.0  # cutting, converting and turning the window upright
    wall_s: float = 0.0
    decode_s: float = 0.0  # inside the decoder (its own thread)
    window_steps: int = 0  # frames after which the window moved or changed size
    searches: int = 0
    window_frames: int = 0  # frames looked at through a window smaller than the whole area
    halved_frames: int = 0  # pictures given to the graph at half size
    motion_of: dict[int, float] = field(default_factory=dict)  # frame number → frame motion (pose/motion.py)

    def add(self, index: int, time_s: float, found: tuple[np.ndarray, np.ndarray] | None) -> None:
        self.index.append(index)
        self.time_s.append(time_s)
        self.xyz.append(None if found is None else found[0])
        self.confidence.append(None if found is None else found[1])
        self.row_of[index] = len(self.index) - 1  # last: the other worker reads the row once it is listed here


def _track(
    estimator: TrackingEstimator,
    pictures: Iterator[Picture],
    upright: Upright,
    tracker: WindowTracker,
    log: WorkerLog,
    keep_going: Callable[[int], bool],
    start_near: np.ndarray | None = None,
    seed: Seed | None = None,
) -> None:
    """Run one worker over ``pictures`` until they end or ``keep_going(frame number)`` says stop.

    ``seed``: the person to follow, chosen among several in view (frames before ``seed.frame`` are not looked at;
    in that frame the worker looks in ``seed.box`` with the others hidden, then holds that window until found).

    ``start_near``: a pose (full-frame pixels) the runner was seen in elsewhere in the clip; in the first frame the
    worker starts with the person nearest to it (see :func:`_pick_near`) rather than the most prominent one, and
    stops at once when nobody is near it.
    """
    whole = upright.snap(tracker.area)
    meter = MotionMeter()  # the frame's motion in the window first looked at (pose-free cadence check)

    def look(
        picture: Picture, box: Box, halve: bool = False, hide: tuple[Box, ...] = ()
    ) -> tuple[np.ndarray, np.ndarray] | None:
        tick = time.perf_counter()
        image, covered = upright.picture(picture.frame, box, halve=halve)
        meter.offer(image, box)
        if hide:
            image = cover(image.copy(), covered, hide)  # a copy: the motion meter keeps the picture it was offered
        after = time.perf_counter()
        found = estimator.landmarks(image, picture.time_s)
        log.pose_s += time.perf_counter() - after
        log.convert_s += after - tick
        log.halved_frames += halve
        if found is None:
            return None
        # Back to full-frame pixels: the corner of the part shown plus the fraction of its size (a halved picture
        # covers the same box, up to 2 px at one edge, so the graph's memory still fits the next one).
        xyz = found[0]
        height, width = image.shape[:2]
        xyz[:, 0] = covered[0] + xyz[:, 0] * ((covered[2] - covered[0]) / width)
        xyz[:, 1] = covered[1] + xyz[:, 1] * ((covered[3] - covered[1]) / height)
        return xyz, found[1]

    try:
        for picture in pictures:
            box = upright.snap(tracker.window)
            if seed is not None and picture.index < seed.frame:
                log.add(picture.index, picture.time_s, None)  # before the chosen person was found: not looked at
                if not keep_going(picture.index):
                    break
                continue
            if seed is not None:
                box = upright.snap(seed.box)
                found = look(picture, box, hide=seed.hide)
                tracker.hold(box, tracker.tiles_after)
                seed = None
            elif start_near is not None:
                found, box = _pick_near(estimator, look, picture, upright, tracker, start_near, log)
                start_near = None
                if found is None:
                    break  # the runner is not where A first saw them: this worker could only follow someone else
            else:
                found = look(picture, box, halve=tracker.halve)
            if found is None and tracker.window == tracker.area and tracker.search_due():
                for candidate in tracker.search_windows():
                    box = upright.snap(candidate)
                    found = look(picture, box)  # the graph holds nobody: each look is a fresh detection
                    if found is not None:
                        tracker.adopt(box)
                        break
            if found is not None and box != whole:
                log.window_frames += 1
            tracker.update(None if found is None else found[0])
            log.motion_of[picture.index] = meter.take()
            log.add(picture.index, picture.time_s, found)
            if not keep_going(picture.index):
                break
    finally:
        close = getattr(pictures, "close", None)
        if close is not None:
            close()
        log.window_steps, log.searches = tracker.steps, tracker.searches


def follow_person(
    estimator: TrackingEstimator, pictures: Iterator[Picture], upright: Upright, tracker: WindowTracker, seed: Seed
) -> WorkerLog:
    """One person's poses over ``pictures`` from ``seed`` on, with a fresh graph: the people search's short look at
    each person in view (``candidates.py``), the same tracking as a worker's."""
    log = WorkerLog("follow")
    estimator.close()
    try:
        _track(estimator, pictures, upright, tracker, log, lambda _frame: True, seed=seed)
    finally:
        estimator.close()
    return log


def _pick_near(
    estimator: TrackingEstimator,
    look: Callable[[Picture, Box], tuple[np.ndarray, np.ndarray] | None],
    picture: Picture,
    upright: Upright,
    tracker: WindowTracker,
    near: np.ndarray,
    log: WorkerLog,
) -> tuple[tuple[np.ndarray, np.ndarray] | None, Box]:
    """The first frame of worker B: the person nearest to where A first saw the runner, or (None, area).

    Looked for in the square the graph needed around A's pose (a runner on a treadmill or filmed from a tripod is
    still there), then in the whole area, then in its tiles; the first person found within a body's height of A's
    hips is taken. Nobody that close: B stops, since whoever it followed would never agree with A, and its half
    would only take CPU from A (measured on a clip with two people: 12.6 s against 10.7 s for one worker).
    """
    hips_then = near[list(_HIPS), :2].mean(axis=0)
    height = max(float(np.nanmax(near[:, 1]) - np.nanmin(near[:, 1])), 1.0)
    needed = needed_square(near, tracker.policy)
    tight = None if needed is None else clip_box(needed, tracker.area)
    candidates = ([tight] if tight is not None else []) + [tracker.area] + search_tiles(tracker.area, tracker.policy)
    holding = False  # the graph holds someone from the previous look: a fresh graph for the next one
    for candidate in candidates:
        if holding:
            estimator.close()
        box = upright.snap(candidate)
        found = look(picture, box)
        holding = found is not None
        if found is not None and np.linalg.norm(found[0][list(_HIPS), :2].mean(axis=0) - hips_then) <= height:
            tracker.adopt(box)
            return found, box
    log.searches += 1
    return None, upright.snap(tracker.area)


def _agree(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Same person in the same pose: hips within :data:`SAME_PERSON_SHARE` of the body's height of each other and
    the landmarks' median gap within :data:`AGREE_SHARE` of it."""
    if a is None or b is None:
        return False
    both = np.isfinite(a[:, :2]).all(axis=1) & np.isfinite(b[:, :2]).all(axis=1)
    if both.sum() < 10 or not both[list(_HIPS)].all():
        return False
    height = max(float(np.ptp(a[both, 1])), 1.0)
    hips_apart = float(np.linalg.norm(a[list(_HIPS), :2].mean(axis=0) - b[list(_HIPS), :2].mean(axis=0)))
    gap = float(np.median(np.linalg.norm(a[both, :2] - b[both, :2], axis=1)))
    return hips_apart <= SAME_PERSON_SHARE * height and gap <= AGREE_SHARE * height


@dataclass
class _Run:
    """Shared state of one clip's analysis: progress events and the request to stop."""

    on_progress: ProgressCallback | None
    total: int | None
    events: queue.Queue[tuple[str, Any]] = field(default_factory=queue.Queue)
    stop: threading.Event = field(default_factory=threading.Event)


def estimate_tracked(
    estimator: TrackingEstimator,
    path: str | Path,
    info: VideoInfo,
    *,
    step: int = 1,
    max_seconds: float | None = None,
    crop: tuple[float, float, float, float] | None = None,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
    policy: WindowPolicy = DEFAULT_POLICY,
    source: str = "",
    seed: Seed | None = None,
    middle_seed: Seed | None = None,
    crowded: bool = False,
) -> KeypointSeries:
    """Keypoints of ``path`` in full-frame upright pixels, as ``estimate_video`` returns them (see the module
    docstring). ``workers`` = graphs run at once (None: one per core, at most 2). ``seed``: follow this person
    (worker A from ``seed.frame``); ``middle_seed``: the same person where worker B starts (B then starts at its
    frame, else near where A first saw the runner); ``crowded``: others are in view, so a runner lost is looked for
    where they were last seen (``WindowTracker``)."""
    if step < 1:
        raise ValueError(f"step must be ≥ 1, got {step}")
    area: Box = crop_box(crop, info.width, info.height) if crop is not None else (0, 0, info.width, info.height)
    workers = min(2, available_cores()) if workers is None else max(1, workers)
    total = info.frames_to_read(step=step, max_seconds=max_seconds)
    started = time.perf_counter()
    with _silenced(estimator):
        logs, seam, decode_s = None, None, 0.0
        if workers > 1 and (total is None or total >= MIN_SPLIT_FRAMES):
            index = index_clip(path, info)
            if index is not None:
                expected = info.frames_to_read(1, max_seconds)
                if expected is not None and index.frames < TRUNCATION_TOLERANCE * expected:
                    raise VideoError(
                        f"{Path(path).name}: decoding stopped after {index.frames} of {expected} frames"
                        " (truncated or corrupt file)"
                    )
                selected = index.selected(step, max_seconds)
                if len(selected) >= MIN_SPLIT_FRAMES:
                    try:
                        logs, seam, decode_s = _split(estimator, path, info, index, selected, area, step,
                                                      max_seconds, policy, on_progress, len(selected),
                                                      seed, crowded, middle_seed)  # fmt: skip
                    except IndexMismatch:
                        logs = None  # the packet list and the decoder disagree: count frames, one worker
        if logs is None:
            logs, decode_s = _sequential(estimator, path, info, area, step, max_seconds, policy, on_progress, total,
                                         seed, crowded)  # fmt: skip
            seam = None
    rows = _stitch(logs, seam)
    wall = time.perf_counter() - started
    return _series(estimator, rows, logs, seam, info, step, wall, decode_s, source)


def _silenced(estimator: TrackingEstimator) -> contextlib.AbstractContextManager[Any]:
    """The backend's silencing of native chatter on stderr, when it has one, around the whole run (workers too)."""
    make = getattr(estimator, "silenced", None)
    return make() if make is not None else contextlib.nullcontext()


def _sequential(
    estimator: TrackingEstimator,
    path: str | Path,
    info: VideoInfo,
    area: Box,
    step: int,
    max_seconds: float | None,
    policy: WindowPolicy,
    on_progress: ProgressCallback | None,
    total: int | None,
    seed: Seed | None = None,
    crowded: bool = False,
) -> tuple[list[WorkerLog], float]:
    """One worker in this thread, its decoder a thread ahead; progress after every frame."""
    decoder = ClipDecoder(path, info, step=step, max_seconds=max_seconds)
    log = WorkerLog("A")
    tracker = WindowTracker(area, info.fps / step, policy, crowded=crowded)
    done = 0

    def progress(_index: int) -> bool:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, total)
        return True

    started = time.perf_counter()
    estimator.close()  # a fresh graph per clip: tracking must not carry over from another clip
    try:
        _track(estimator, prefetch(decoder.pictures()), Upright(info), tracker, log, progress, seed=seed)
    finally:
        estimator.close()
    log.wall_s = time.perf_counter() - started
    log.decode_s = decoder.stats.seconds
    return [log], decoder.stats.seconds


def _split(
    estimator: TrackingEstimator,
    path: str | Path,
    info: VideoInfo,
    index: ClipIndex,
    selected: list[int],
    area: Box,
    step: int,
    max_seconds: float | None,
    policy: WindowPolicy,
    on_progress: ProgressCallback | None,
    total: int,
    seed: Seed | None = None,
    crowded: bool = False,
    middle_seed: Seed | None = None,
) -> tuple[list[WorkerLog], int | None, float]:
    """Worker A from the start, worker B from the middle (``middle_seed.frame`` when given), in two threads; this
    thread reports progress."""
    middle = selected[len(selected) // 2] if middle_seed is None else middle_seed.frame
    run = _Run(on_progress, total)
    first_log, second_log = WorkerLog("A"), WorkerLog("B")
    # One decoding thread each: two decoders and two graphs already fill two cores, and FFmpeg's frame threads
    # cost ~10 % more CPU per frame (2.9 against 3.2 s for 600 1080p frames).
    decoders = [ClipDecoder(path, info, index=index, step=step, max_seconds=max_seconds, threads=1) for _ in range(2)]
    seam: list[int] = []  # the first frame taken from B, once found
    second_done = threading.Event()
    agreeing = 0
    fps = info.fps / step
    # Where A first found the runner: B looks there first. A runner filmed on a treadmill or from a tripod is
    # still there in the middle of the clip, and B then follows the same person as A rather than whoever is the
    # most prominent at that moment (with two people in view, the agreement below would otherwise never come).
    hint: list[np.ndarray] = []
    hint_ready = threading.Event()
    # A's first second of frames (from the chosen person's first frame: A does not look before it)
    hint_within = max(1, round(fps)) + (sum(frame < seed.frame for frame in selected) if seed is not None else 0)

    def a_keeps_going(frame: int) -> bool:
        nonlocal agreeing
        run.events.put(("frame", "A"))
        if not hint_ready.is_set() and (first_log.xyz[-1] is not None or len(first_log.index) >= hint_within):
            pose = first_log.xyz[-1]
            if pose is not None and np.isfinite(pose[list(_HIPS), :2]).all():
                hint.append(pose.copy())
            hint_ready.set()
        if run.stop.is_set():
            return False
        if frame < middle:
            return True
        # Wait for B to reach this frame (it is normally far ahead): the seam then depends on the poses only,
        # never on which thread ran faster, and the same clip always gives the same series.
        while frame not in second_log.row_of and not second_done.is_set() and not run.stop.is_set():
            time.sleep(0.002)
        row = second_log.row_of.get(frame)
        mine = first_log.xyz[-1]
        if row is not None and _agree(mine, second_log.xyz[row]):
            agreeing += 1
            if agreeing >= AGREE_FRAMES:
                seam.append(frame - AGREE_FRAMES + 1)  # B from the first of the agreeing frames
                return False
        else:
            agreeing = 0
        return True

    def b_keeps_going(_frame: int) -> bool:
        run.events.put(("frame", "B"))
        return not run.stop.is_set()

    second = estimator.clone()

    def work(name: str, worker: TrackingEstimator, log: WorkerLog, decoder: ClipDecoder, first: int) -> None:
        started = time.perf_counter()
        keep = a_keeps_going if name == "A" else b_keeps_going
        try:
            worker.close()
            pictures = prefetch(decoder.pictures(first=first))
            start_near = None
            if name == "B" and policy.follow and middle_seed is None:
                hint_ready.wait(timeout=60)
                start_near = hint[0] if hint else None
            tracker = WindowTracker(area, fps, policy, crowded=crowded)
            own_seed = seed if name == "A" else middle_seed
            _track(worker, pictures, Upright(info), tracker, log, keep, start_near, own_seed)
        except BaseException as error:  # handed to the caller's thread, which re-raises it
            run.stop.set()
            run.events.put(("error", error))
        finally:
            worker.close()
            log.wall_s = time.perf_counter() - started
            log.decode_s = decoder.stats.seconds
            if name == "A":
                hint_ready.set()  # B never waits for an A that stopped
            else:
                second_done.set()
            run.events.put(("done", name))

    threads = [
        threading.Thread(target=work, args=("A", estimator, first_log, decoders[0], 0), name="gluteguard-pose-A"),
        threading.Thread(target=work, args=("B", second, second_log, decoders[1], middle), name="gluteguard-pose-B"),
    ]
    for thread in threads:
        thread.start()
    counts = {"A": 0, "B": 0}
    running, errors, shown = 2, [], 0
    try:
        while running:
            kind, what = run.events.get()
            if kind == "frame":
                counts[what] += 1
                # A's frames past the seam are real work but not rows: hold the bar just short of the end.
                done = min(counts["A"] + counts["B"], total - 1)
                if done > shown and on_progress is not None:
                    on_progress(done, total)
                shown = max(shown, done)
            elif kind == "error":
                errors.append(what)
            else:
                running -= 1
    finally:
        run.stop.set()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    if on_progress is not None:
        on_progress(total, total)
    return [first_log, second_log], (seam[0] if seam else None), sum(d.stats.seconds for d in decoders)


def _stitch(logs: list[WorkerLog], seam: int | None) -> list[tuple[int, float, np.ndarray | None, np.ndarray | None]]:
    """A's rows before the seam, B's from it (all of A's when there is no seam); every frame once, in order."""
    first = logs[0]
    rows = list(zip(first.index, first.time_s, first.xyz, first.confidence, strict=True))
    if seam is not None and len(logs) > 1:
        second = logs[1]
        cut_a = first.row_of[seam]
        cut_b = second.row_of[seam]
        tail = zip(second.index[cut_b:], second.time_s[cut_b:], second.xyz[cut_b:], second.confidence[cut_b:],
                   strict=True)  # fmt: skip
        rows = rows[:cut_a] + list(tail)
    numbers = [row[0] for row in rows]
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        raise AssertionError("stitched frames are not strictly in order")  # a bug, never a file's fault
    return rows


def _series(
    estimator: TrackingEstimator,
    rows: list[tuple[int, float, np.ndarray | None, np.ndarray | None]],
    logs: list[WorkerLog],
    seam: int | None,
    info: VideoInfo,
    step: int,
    wall: float,
    decode_s: float,
    source: str,
) -> KeypointSeries:
    names = estimator.landmark_names
    count = len(rows)
    xyz = np.full((count, len(names), 3), np.nan)
    confidence = np.zeros((count, len(names)))
    for row, (_, _, points, scores) in enumerate(rows):
        if points is not None and scores is not None:
            xyz[row] = points
            confidence[row] = scores
    with_person = sum(points is not None for _, _, points, _ in rows)
    fps = info.fps / step
    motion = dict(logs[0].motion_of)  # each row's motion from the worker whose row it is (A before the seam)
    if seam is not None and len(logs) > 1:
        motion.update({frame: value for frame, value in logs[1].motion_of.items() if frame >= seam})
    meta: dict[str, Any] = {
        **estimator.describe(),
        "fps": fps,
        "frames": count,
        "frames_with_person": with_person,
        "frame_index": [row[0] for row in rows],
        "pose_seconds": round(sum(log.pose_s for log in logs), 3),  # summed over workers (they run at once)
        "total_seconds": round(wall, 3),  # end to end
        "decode_seconds": round(decode_s, 3),  # inside the decoders, summed (each in its own thread)
        "convert_seconds": round(sum(log.convert_s for log in logs), 3),
        "tracking": {
            "workers": len(logs),
            "seam_frame": seam,
            "frames_per_worker": [len(log.index) for log in logs],
            "worker_seconds": [round(log.wall_s, 3) for log in logs],
            "window_steps": sum(log.window_steps for log in logs),
            "searches": sum(log.searches for log in logs),
            "window_frames": sum(log.window_frames for log in logs),
            "halved_frames": sum(log.halved_frames for log in logs),
        },
    }
    return KeypointSeries(
        fps=fps,
        time_s=np.asarray([row[1] for row in rows], dtype=float),
        names=names,
        xyz=xyz,
        confidence=confidence,
        units="px",
        source=source,
        frame_size=(info.width, info.height),
        meta=meta,
        frame_motion=np.asarray([motion.get(row[0], np.nan) for row in rows], dtype=float),
    )
