"""Who is in view, and which of them runs (issue 15): the video side of ``gait/people.py``.

MediaPipe's legacy pose graph reports one person per picture, the most prominent one its detector finds, and then
tracks them. With a big bystander near the camera and a runner further back, the tracked path (``tracked.py``)
would follow the bystander and find no running. So before it runs:

1. **Find the people** in a few frames sampled from the first seconds (``people.toml`` [sample]): the pose model
   looks at the whole frame, then again with everyone found so far hidden under flat grey, until nobody new is
   found; the first sampled frames are also searched in tiles (a person too small for the detector's 224 px view of
   the whole frame), later ones around where people were found before. A graph in static mode does it: a fresh
   detection in every picture.
2. **Link** the findings across samples into people (``people.candidates_from_samples``).
3. With two or more: **follow each** for a few seconds at about 30 frames a second (``people.toml`` [follow]) with
   the tracked path's own tracking, started on that person with the others hidden, and **pick the runner** from
   those short series (``people.pick_runner``: running first, then the steadiest stride, the most seen, the
   largest). The followers share one decoder and run in their own threads (the graph releases the GIL).
4. The full analysis follows the chosen person from the frame they were first found in (``window.Seed``); a runner
   lost is looked for where they were last seen rather than in the whole frame (``WindowTracker(crowded=True)``).
   A clip long enough for two workers has the second one start at a keyframe near the middle, on the person there
   who wears the chosen one's colours (``people.same_clothes``; its place says little seconds later), so that the
   two agree and the split pays off; nobody clearly alike: it starts as without the search.

With one person found, or none, the full analysis runs exactly as it would without this step: the only cost is the
sampled frames. A crop the runner gave wins: they chose the area, and nobody is searched for.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gluteguard.gait.model import BLAZEPOSE_LANDMARKS, KeypointSeries
from gluteguard.gait.people import (
    Candidate,
    PeopleBudget,
    Pick,
    box_overlap,
    candidates_from_samples,
    hidden_share,
    hide_box,
    is_new_person,
    people_budget,
    people_seen,
    person_box,
    pick_runner,
    plausible_person,
    same_clothes,
)
from gluteguard.gait.pose.decode import Box, ClipDecoder, ClipIndex, IndexMismatch, Picture, Upright, index_clip
from gluteguard.gait.pose.tracked import (
    MIN_SPLIT_FRAMES,
    ProgressCallback,
    TrackingEstimator,
    WorkerLog,
    available_cores,
    estimate_tracked,
    follow_person,
)
from gluteguard.gait.pose.video import VideoInfo, prefetch
from gluteguard.gait.pose.window import (
    DEFAULT_POLICY,
    Seed,
    WindowPolicy,
    WindowTracker,
    clip_box,
    cover,
    needed_square,
    search_tiles,
    window_around,
)

Pose = tuple[np.ndarray, np.ndarray]  # landmarks (full-frame pixels) and their confidences


@dataclass(frozen=True)
class Finding:
    """One person found in one frame: landmarks (full-frame pixels), their confidences, and the colours they wear
    (:func:`_colours`), which find them again where their place cannot (the middle of a long clip)."""

    xyz: np.ndarray
    confidence: np.ndarray
    colours: np.ndarray


_AS_IS = WindowPolicy(window_scale=1.0)  # ``window_around`` without widening: only the sliding inside the area
# A window around where someone was is at most this share of the frame's long side: the detector then sees them at
# least 1.6 times bigger than in the whole frame (a window about the frame's size would show it nothing new).
NEAR_MAX_SHARE = 0.6


@dataclass(frozen=True)
class PeopleFound:
    """What the search saw and chose; :meth:`as_meta` goes into ``series.meta["people_in_view"]``."""

    sampled_frames: tuple[int, ...]
    found: tuple[tuple[np.ndarray, ...], ...]  # the poses found in each sampled frame
    candidates: tuple[Candidate, ...]  # the people followed (none when fewer than two were found)
    pick: Pick | None
    seed: Seed | None  # whom the full analysis follows; None: as without the search
    middle_seed: Seed | None  # the same person where the second worker starts; None: as without the search
    seconds: float
    looks: int  # pictures given to the pose model
    follow_seconds: float = 0.0  # of ``seconds``, following each person briefly

    def as_meta(self) -> dict[str, Any]:
        return {
            "people_seen": people_seen(self.found),
            "sampled_frames": list(self.sampled_frames),
            "found_per_frame": [len(poses) for poses in self.found],
            "followed": [
                {"first_frame": self.sampled_frames[c.first], "box": [round(v) for v in person_box(c.pose) or ()]}
                for c in self.candidates
            ],
            "pick": None if self.pick is None else self.pick.as_meta(),
            "seed_frame": None if self.seed is None else self.seed.frame,
            "middle_seed_frame": None if self.middle_seed is None else self.middle_seed.frame,
            "seconds": round(self.seconds, 3),
            "follow_seconds": round(self.follow_seconds, 3),
            "looks": self.looks,
        }


class _Fresh:
    """A pose graph that detects afresh in every picture: BlazePose in static mode, or any other backend closed
    (its tracking forgotten) before each look."""

    def __init__(self, estimator: TrackingEstimator) -> None:
        self.static = hasattr(estimator, "static")
        clone: Any = estimator.clone
        self.graph: TrackingEstimator = clone(static=True) if self.static else clone()
        self.looks = 0

    def landmarks(self, image: np.ndarray) -> Pose | None:
        if not self.static:
            self.graph.close()
        self.looks += 1
        return self.graph.landmarks(np.ascontiguousarray(image), None)

    def close(self) -> None:
        self.graph.close()


# --- 1. the sampled frames --------------------------------------------------------------------------------------


def sample_frames(
    index: ClipIndex | None, info: VideoInfo, max_seconds: float | None, budget: PeopleBudget
) -> tuple[list[int], bool]:
    """The frame numbers to look at for people, and whether they are all keyframes (each then decoded on its own
    after a seek; otherwise all frames up to the last one are decoded in order)."""
    span = budget.sample_span_s if max_seconds is None else min(budget.sample_span_s, max_seconds)
    count = max(1, budget.sample_frames)
    if index is not None:
        keys = np.searchsorted(index.pts, index.keyframe_pts)
        keys = [int(k) for k in keys if k < index.frames and index.times_s[k] <= span + 1e-9]
        if len(keys) >= budget.min_keyframes:
            chosen = sorted({keys[round(i)] for i in np.linspace(0, len(keys) - 1, min(count, len(keys)))})
            return chosen, True
        last = int(np.searchsorted(index.times_s, span + 1e-9, side="right")) - 1
    else:
        last = round(span * info.fps)
        if info.frame_count is not None:
            last = min(last, info.frame_count - 1)
    last = max(last, 0)
    return sorted({round(f) for f in np.linspace(0, last, min(count, last + 1))}), False


def _sampled_pictures(
    path: str | Path, info: VideoInfo, index: ClipIndex | None, frames: list[int], keyframes: bool
) -> Iterator[Picture]:
    if index is not None and keyframes:
        for frame in frames:
            yield from ClipDecoder(path, info, index=index, threads=1).pictures(first=frame, stop=frame + 1)
        return
    wanted = set(frames)
    for picture in ClipDecoder(path, info, index=index).pictures(0, max(frames) + 1):
        if picture.index in wanted:
            yield picture


def _people_in(
    finder: _Fresh,
    picture: Picture,
    upright: Upright,
    area: Box,
    budget: PeopleBudget,
    windows: list[Box],
) -> list[Finding]:
    """Everyone the pose model finds in one frame: the whole area, again and again with those found hidden, then
    each of ``windows`` (places people were before, tiles) that is not mostly hidden already. A finding that is no
    one to follow (``people.plausible_person``) is hidden too, so that the model can look past it."""
    covered = upright.snap(area)
    canvas, covered = upright.picture(picture.frame, covered)  # a fresh array: painted on below
    short_side = min(covered[2] - covered[0], covered[3] - covered[1])
    found: list[Finding] = []
    hidden: list[Box] = []

    def look_in(box: Box) -> bool:
        """True when someone (or something person-like) was found in ``box`` and hidden: look there again."""
        x0, y0 = box[0] - covered[0], box[1] - covered[1]
        result = finder.landmarks(canvas[y0 : box[3] - covered[1], x0 : box[2] - covered[0]])
        if result is None:
            return False
        xyz, confidence = result
        xyz[:, 0] += box[0]
        xyz[:, 1] += box[1]
        if not is_new_person(xyz, [finding.xyz for finding in found], budget.same_person_overlap):
            return False  # someone hidden found again (the cover missed part of them): nobody new here
        if plausible_person(xyz, short_side, budget):
            found.append(Finding(xyz, confidence, _colours(canvas, covered, xyz)))  # before they are hidden
        box_hidden = hide_box(xyz, budget.hide_margin, covered)
        if box_hidden is None or box_hidden in hidden:
            return False
        hidden.append(box_hidden)
        cover(canvas, covered, [box_hidden])
        return True

    for window in [covered, *windows]:
        inside = clip_box(window, covered)
        if inside is None or (window is not covered and hidden_share(inside, hidden) > 0.5):
            continue  # outside, or mostly people found already
        # Again in the same window after each finding (two people in it), up to ``max_people`` findings there.
        for _ in range(budget.max_people):
            if len(found) >= budget.max_people or not look_in(inside):
                break
    return found


_UPPER = (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"))
_LOWER = (("left_hip", "right_hip"), ("left_knee", "right_knee"))


def _colours(canvas: np.ndarray, covered: Box, xyz: np.ndarray) -> np.ndarray:
    """Hue and saturation (12 × 4 bins) of the torso and of the thighs, each the middle two thirds across and four
    fifths down between their joints; the two halves together sum to 1 (all zeros where nothing is seen)."""
    import cv2

    names = BLAZEPOSE_LANDMARKS
    parts = []
    for top, bottom in (_UPPER, _LOWER):
        points = xyz[[names.index(n) for n in (*top, *bottom)], :2] - np.array(covered[:2])
        histogram = np.zeros(48)
        if np.isfinite(points).all():
            (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
            centre, width = (x0 + x1) / 2, max(x1 - x0, 0.25 * (y1 - y0))
            left, right = int(max(centre - width / 3, 0)), int(max(centre + width / 3, 0))
            upper, lower = int(max(y0 + 0.1 * (y1 - y0), 0)), int(max(y1 - 0.1 * (y1 - y0), 0))
            patch = canvas[upper:lower, left:right]
            if patch.size:
                hsv = cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_RGB2HSV)
                counts = cv2.calcHist([hsv], [0, 1], None, [12, 4], [0, 180, 0, 256]).ravel()
                histogram = counts / max(float(counts.sum()), 1.0)
        parts.append(histogram / 2)
    return np.concatenate(parts)


def _around(pose: np.ndarray, area: Box, budget: PeopleBudget) -> Box | None:
    """A square ``budget.near_heights`` times the person's height (at most :data:`NEAR_MAX_SHARE` of the frame)
    around where they were found, inside ``area``: where to look for them in the next sampled frame."""
    box = person_box(pose)
    if box is None:
        return None
    longest = max(area[2] - area[0], area[3] - area[1])
    half = min(budget.near_heights * (box[3] - box[1]), NEAR_MAX_SHARE * longest) / 2
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    square = (math.floor(cx - half), math.floor(cy - half), math.ceil(cx + half), math.ceil(cy + half))
    return window_around(square, area, _AS_IS)


def _near(pose: np.ndarray, others: list[np.ndarray], jump_sizes: float) -> bool:
    box = person_box(pose)
    if box is None:
        return False
    centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
    size = float(np.hypot(box[2] - box[0], box[3] - box[1]))
    for other in others:
        theirs = person_box(other)
        if theirs is not None:
            gap = np.hypot((theirs[0] + theirs[2]) / 2 - centre[0], (theirs[1] + theirs[3]) / 2 - centre[1])
            if gap <= jump_sizes * max(size, 1.0):
                return True
    return False


def find_people(
    finder: _Fresh,
    pictures: Iterator[Picture],
    upright: Upright,
    area: Box,
    budget: PeopleBudget,
    policy: WindowPolicy = DEFAULT_POLICY,
) -> list[list[Finding]]:
    """Each sampled picture's people. A person found before and not found again whole-frame is looked for in a
    window around where they were last found (as the tracked path would, and far cheaper than the tiles)."""
    tiles = search_tiles(area, policy)
    known: list[np.ndarray] = []  # each person's last pose found, in full-frame pixels
    per_sample: list[list[Finding]] = []
    for number, picture in enumerate(pictures):
        windows = [window for window in (_around(pose, area, budget) for pose in known) if window is not None]
        if number < budget.tile_frames:
            windows += tiles
        found = _people_in(finder, picture, upright, area, budget, windows)
        per_sample.append(found)
        poses = [finding.xyz for finding in found]
        known = poses + [pose for pose in known if not _near(pose, poses, budget.max_jump_sizes)]
    return per_sample


# --- 3. following each one briefly ------------------------------------------------------------------------------


def _seed(pose: np.ndarray, found: list[np.ndarray], frame: int, area: Box, budget: PeopleBudget,
          policy: WindowPolicy) -> Seed:  # fmt: skip
    """Where to start following the person found in ``frame`` with ``pose`` (one of ``found``): a window around
    them, everyone else found there hidden."""
    needed = needed_square(pose, policy)
    own = person_box(pose)
    box = area if needed is None else window_around(needed, area, policy)
    hide = []
    for pose in found:
        theirs = person_box(pose)
        if own is not None and theirs is not None and box_overlap(own, theirs) > 0.99:
            continue  # the person's own finding
        hidden = hide_box(pose, budget.hide_margin, area)
        if hidden is not None:
            hide.append(hidden)
    return Seed(frame=frame, box=box, hide=tuple(hide))


def _follow_all(
    estimator: TrackingEstimator,
    path: str | Path,
    info: VideoInfo,
    index: ClipIndex | None,
    seeds: list[Seed],
    area: Box,
    step: int,
    max_seconds: float | None,
    budget: PeopleBudget,
    policy: WindowPolicy,
) -> list[WorkerLog]:
    """Each seed's person followed for ``budget.follow_s`` seconds from their frame, at about ``follow_fps``: one
    decoder hands every picture to the followers that want it, each in its own thread with its own graph."""
    every = step * max(1, round(info.fps / step / budget.follow_fps))
    length = round(budget.follow_s * info.fps)
    first = min(seed.frame for seed in seeds) if index is not None else 0
    last = max(seed.frame for seed in seeds) + length
    decoder = ClipDecoder(path, info, index=index, step=every, max_seconds=max_seconds)
    upright = Upright(info)
    inboxes: list[queue.Queue[Picture | None]] = [queue.Queue(maxsize=4) for _ in seeds]
    logs: list[WorkerLog | None] = [None] * len(seeds)
    errors: list[BaseException] = []
    stop = threading.Event()

    ended = [False] * len(seeds)

    def drain(number: int) -> Iterator[Picture]:
        while (picture := inboxes[number].get()) is not None:
            yield picture
        ended[number] = True

    def work(number: int, seed: Seed) -> None:
        graph = estimator.clone()
        try:
            tracker = WindowTracker(area, info.fps / every, policy, crowded=True)
            logs[number] = follow_person(graph, drain(number), upright, tracker, seed)
        except BaseException as error:  # handed to the caller's thread, which re-raises it
            errors.append(error)
            stop.set()
        finally:
            graph.close()
            while not ended[number] and inboxes[number].get() is not None:  # the dispatcher never waits on us
                pass

    threads = [threading.Thread(target=work, args=(n, seed), name=f"gluteguard-follow-{n}")
               for n, seed in enumerate(seeds)]  # fmt: skip
    for thread in threads:
        thread.start()
    try:
        for picture in prefetch(decoder.pictures(first=first, stop=last + 1)):
            if stop.is_set():
                break
            for seed, inbox in zip(seeds, inboxes, strict=True):
                if seed.frame <= picture.index <= seed.frame + length:
                    inbox.put(picture)
    finally:
        for inbox in inboxes:
            inbox.put(None)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return [log for log in logs if log is not None]


def _short_series(log: WorkerLog, seed: Seed, estimator: TrackingEstimator, fps: float, info: VideoInfo
                  ) -> KeypointSeries:  # fmt: skip
    """One follower's rows from its person's first frame, as the series ``pick_runner`` judges."""
    rows = [row for row, frame in enumerate(log.index) if frame >= seed.frame]
    names = estimator.landmark_names
    xyz = np.full((len(rows), len(names), 3), np.nan)
    confidence = np.zeros((len(rows), len(names)))
    for out, row in enumerate(rows):
        if log.xyz[row] is not None:
            xyz[out] = log.xyz[row]
            confidence[out] = log.confidence[row]
    return KeypointSeries(
        fps=fps,
        time_s=np.asarray([log.time_s[row] for row in rows], dtype=float),
        names=names,
        xyz=xyz,
        confidence=confidence,
        units="px",
        frame_size=(info.width, info.height),
    )


# --- the whole step -------------------------------------------------------------------------------------------------


def _middle_frame(index: ClipIndex | None, step: int, max_seconds: float | None, workers: int | None) -> int | None:
    """Where the second worker will start when the clip is split (``tracked._split``; None when it will not be): the
    keyframe nearest the middle, within its middle third, so that it and the search below decode one frame there;
    else the middle itself."""
    if index is None or (available_cores() if workers is None else workers) < 2:
        return None
    selected = index.selected(step, max_seconds)
    if len(selected) < MIN_SPLIT_FRAMES:
        return None
    middle = selected[len(selected) // 2]
    low, high = selected[len(selected) // 3], selected[2 * len(selected) // 3]
    keys = [int(k) for k in np.searchsorted(index.pts, index.keyframe_pts) if low <= k <= high and k % step == 0]
    return min(keys, key=lambda key: abs(key - middle)) if keys else middle


def _clothes(candidate: Candidate, per_sample: list[list[Finding]]) -> np.ndarray:
    """The colours a candidate wears, averaged over the sampled frames they were found in (one frame can show them
    partly hidden, behind a tree or at the frame's edge)."""
    seen = [
        finding.colours
        for row, found in enumerate(per_sample)
        for finding in found
        if np.array_equal(finding.xyz, candidate.track[row], equal_nan=True)
    ]
    return np.mean(seen, axis=0) if seen else np.zeros(96)  # zeros: alike nobody


def _found_again(
    finder: _Fresh,
    path: str | Path,
    info: VideoInfo,
    index: ClipIndex,
    frame: int,
    colours: np.ndarray,
    area: Box,
    budget: PeopleBudget,
    policy: WindowPolicy,
) -> Seed | None:
    """The chosen person in ``frame`` (the second worker's first), by the colours they wear: everyone is found
    there (whole frame and tiles), and the one dressed alike (``people.same_clothes``) is the seed; None when
    nobody, or more than one, is."""
    picture = next(iter(ClipDecoder(path, info, index=index, threads=1).pictures(first=frame, stop=frame + 1)), None)
    if picture is None:
        return None
    found = _people_in(finder, picture, Upright(info), area, budget, search_tiles(area, policy))
    which = same_clothes(colours, [finding.colours for finding in found], budget)
    if which is None:
        return None
    return _seed(found[which].xyz, [finding.xyz for finding in found], frame, area, budget, policy)


def choose_runner(
    estimator: TrackingEstimator,
    path: str | Path,
    info: VideoInfo,
    *,
    step: int = 1,
    max_seconds: float | None = None,
    workers: int | None = None,
    budget: PeopleBudget | None = None,
    policy: WindowPolicy = DEFAULT_POLICY,
) -> PeopleFound:
    """Find the people in the first seconds and, when there are several, the one who runs (module docstring); for
    a clip that will be split, find them again where the second worker starts."""
    budget = budget or people_budget()
    started = time.perf_counter()
    area: Box = (0, 0, info.width, info.height)
    index = index_clip(path, info)
    frames, keyframes = sample_frames(index, info, max_seconds, budget)
    upright = Upright(info)
    finder = _Fresh(estimator)
    try:
        pictures = prefetch(_sampled_pictures(path, info, index, frames, keyframes), depth=2)
        per_sample = find_people(finder, pictures, upright, area, budget, policy)
        frames = frames[: len(per_sample)]
        poses = [[finding.xyz for finding in found] for found in per_sample]
        candidates = candidates_from_samples(poses, budget)[: max(1, budget.follow_people)]
        pick, seed, middle_seed = None, None, None
        follow_started = time.perf_counter()
        if len(candidates) >= 2:
            seeds = [_seed(c.pose, poses[c.first], frames[c.first], area, budget, policy) for c in candidates]
            every = step * max(1, round(info.fps / step / budget.follow_fps))
            logs = _follow_all(estimator, path, info, index, seeds, area, step, max_seconds, budget, policy)
            fps = info.fps / every
            series = [_short_series(log, s, estimator, fps, info) for log, s in zip(logs, seeds, strict=True)]
            pick = pick_runner(series)
            seed = seeds[pick.index]
            follow_seconds = time.perf_counter() - follow_started
            finder.looks += sum(len(log.index) for log in logs)
            chosen = candidates[pick.index]
            middle = _middle_frame(index, step, max_seconds, workers)
            if middle is not None and index is not None:
                colours = _clothes(chosen, per_sample)
                middle_seed = _found_again(finder, path, info, index, middle, colours, area, budget, policy)
        else:
            candidates, follow_seconds = [], 0.0
    finally:
        finder.close()
    return PeopleFound(
        sampled_frames=tuple(frames),
        found=tuple(tuple(p) for p in poses),
        candidates=tuple(candidates),
        pick=pick,
        seed=seed,
        middle_seed=middle_seed,
        seconds=time.perf_counter() - started,
        looks=finder.looks,
        follow_seconds=follow_seconds,
    )


def estimate_with_people(
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
) -> KeypointSeries:
    """``tracked.estimate_tracked`` after :func:`choose_runner` (none with a ``crop``: the runner chose the area);
    ``series.meta["people_in_view"]`` says what was seen and chosen."""
    options: dict[str, Any] = {"step": step, "max_seconds": max_seconds, "crop": crop, "workers": workers,
                               "on_progress": on_progress, "policy": policy, "source": source}  # fmt: skip
    if crop is not None:
        return estimate_tracked(estimator, path, info, **options)
    silenced = getattr(estimator, "silenced", None)
    try:
        with silenced() if silenced is not None else contextlib.nullcontext():
            people = choose_runner(estimator, path, info, step=step, max_seconds=max_seconds, workers=workers,
                                   policy=policy)  # fmt: skip
    except IndexMismatch:
        people = None  # the packet list and the decoder disagree: no sampling by frame number, no search
    seed = None if people is None else people.seed
    middle_seed = None if people is None else people.middle_seed
    series = estimate_tracked(estimator, path, info, seed=seed, middle_seed=middle_seed, crowded=seed is not None,
                              **options)  # fmt: skip
    if people is not None:
        series.meta["people_in_view"] = people.as_meta()
    return series
