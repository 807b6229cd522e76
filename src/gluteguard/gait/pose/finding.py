"""Finding everyone in view in a few frames sampled from the first seconds (step 1 of ``candidates.py``).

The pose model looks at the whole frame, then again with everyone found so far hidden under flat grey, until
nobody new is found; the first sampled frames are also searched in tiles, later ones around where people were
found before (``people.toml`` [sample]). Each finding keeps the colours the person wears (:func:`clothes_colours`),
which find them again where their place cannot.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gluteguard.gait.model import BLAZEPOSE_LANDMARKS
from gluteguard.gait.people import (
    PeopleBudget,
    box_overlap,
    hidden_share,
    hide_box,
    is_new_person,
    person_box,
    plausible_person,
)
from gluteguard.gait.pose.decode import Box, ClipDecoder, ClipIndex, Picture, Upright
from gluteguard.gait.pose.tracked import (
    TrackingEstimator,
)
from gluteguard.gait.pose.video import VideoInfo
from gluteguard.gait.pose.window import (
    DEFAULT_POLICY,
    Seed,
    WindowPolicy,
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
    (:func:`clothes_colours`), which find them again where their place cannot (the middle of a long clip)."""

    xyz: np.ndarray
    confidence: np.ndarray
    colours: np.ndarray


AS_IS = WindowPolicy(window_scale=1.0)  # ``window_around`` without widening: only the sliding inside the area
# A window around where someone was is at most this share of the frame's long side: the detector then sees them at
# least 1.6 times bigger than in the whole frame (a window about the frame's size would show it nothing new).
NEAR_MAX_SHARE = 0.6


class StaticFinder:
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


def sampled_pictures(
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


def people_in(
    finder: StaticFinder,
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
            found.append(Finding(xyz, confidence, clothes_colours(canvas, covered, xyz)))  # before they are hidden
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


def clothes_colours(canvas: np.ndarray, covered: Box, xyz: np.ndarray) -> np.ndarray:
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


def window_near(pose: np.ndarray, area: Box, budget: PeopleBudget) -> Box | None:
    """A square ``budget.near_heights`` times the person's height (at most :data:`NEAR_MAX_SHARE` of the frame)
    around where they were found, inside ``area``: where to look for them in the next sampled frame."""
    box = person_box(pose)
    if box is None:
        return None
    longest = max(area[2] - area[0], area[3] - area[1])
    half = min(budget.near_heights * (box[3] - box[1]), NEAR_MAX_SHARE * longest) / 2
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    square = (math.floor(cx - half), math.floor(cy - half), math.ceil(cx + half), math.ceil(cy + half))
    return window_around(square, area, AS_IS)


def near_others(pose: np.ndarray, others: list[np.ndarray], jump_sizes: float) -> bool:
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
    finder: StaticFinder,
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
        windows = [window for window in (window_near(pose, area, budget) for pose in known) if window is not None]
        if number < budget.tile_frames:
            windows += tiles
        found = people_in(finder, picture, upright, area, budget, windows)
        per_sample.append(found)
        poses = [finding.xyz for finding in found]
        known = poses + [pose for pose in known if not near_others(pose, poses, budget.max_jump_sizes)]
    return per_sample


# --- 3. following each one briefly ------------------------------------------------------------------------------


def seed_on(pose: np.ndarray, found: list[np.ndarray], frame: int, area: Box, budget: PeopleBudget,
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


