"""Where to look in the next frame: a window around the runner found so far (the tracked pose path, ``tracked.py``).

BlazePose's legacy graph already cuts its 256×256 model input around the person it tracks (a square 1.25 times the
body's reach around the hips, from the last frame's landmarks), so the window is not about the model's input size:
the graph costs about the same for a 1080×1920 picture as for a quarter of it (measured: 14.8 and 14.1 ms). It is
about two other things:

* finding a small runner: the person detector sees the whole picture squeezed into 224×224, where a runner a tenth
  of a 4K frame's height is about 20 px tall and is missed (the whole-frame path found nobody in a 4K test clip).
  Tiles of the frame, and then a window around the runner, make them big enough to be found and followed;
* the rest of the work: only the window is converted from YUV, turned upright and copied into the graph.

The graph remembers the runner's square as fractions of the picture it was given. So a window is used only for a
runner small in the frame (``shrink_below``) for half a second, and is left alone while the square the graph needs
stays inside it: the graph then sees the very pixels the whole frame would show it and gives the same landmarks. When
the window must move or change size it does so a little per frame (:func:`steer`), within what the graph's square can
be off by and still find the runner, so the graph is never made to detect the runner again (a fresh detection can
pick someone else, or miss a runner in an unusual pose). A runner big in the frame keeps the whole area: on the demo
clip the tracked path gives the whole-frame landmarks bit for bit (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gluteguard.gait.model import BLAZEPOSE_LANDMARKS

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) in full-frame pixels, x1 and y1 exclusive

_HIPS = (BLAZEPOSE_LANDMARKS.index("left_hip"), BLAZEPOSE_LANDMARKS.index("right_hip"))
_SHOULDERS = (BLAZEPOSE_LANDMARKS.index("left_shoulder"), BLAZEPOSE_LANDMARKS.index("right_shoulder"))


@dataclass(frozen=True)
class WindowPolicy:
    """How generous windows are and how the frame is searched for a runner nobody has found."""

    roi_scale: float = 1.25  # the graph's own ROI: 1.25 × the body's reach around the hips (its RectTransformation)
    motion_margin: float = 1.25  # room for the body to move or grow before the next frame, and for the graph's
    # own estimate of the body's reach being longer than the landmarks show
    window_scale: float = 1.6  # a new window is this × the square the graph needs: it then moves rarely
    shrink_below: float = 0.25  # a window is used when one around the runner has under this share of the area's
    # pixels (a small runner): a bigger one would save little conversion and no model time
    settle_s: float = 0.5  # … for this long in a row
    max_shift_share: float = 0.06  # a step of the window moves the graph's square by this share of its side at most
    max_scale_step: float = 0.06  # … and changes its size by this share at most
    tile_share: float = 0.5  # search tiles are this × the searched area's short side …
    tile_overlap: float = 0.25  # … and overlap by this share, so a runner on a tile's edge is whole in another
    min_search_side_px: int = 960  # areas smaller than this are not cut into tiles (the detector sees enough)
    search_every_s: float = 0.5  # while nobody is found, tiles are searched this often (seconds of video)
    # A runner lost for less than this is looked for only around where they were last seen, not in the tiles,
    # where someone else may be found first (a bystander, a second runner)
    tiles_after_lost_s: float = 2.0
    # … but only for a runner small in the area (the square the graph cut, last seen, under this share of the area's
    # short side) or never seen yet: a big runner lost is found again by the graph's own detector, as in the whole
    # frame, and tiles could hand it someone else
    search_below_share: float = 0.5
    follow: bool = True  # False: the whole area only, no window, no search (the uncropped path, for comparison)
    # Pictures go to the graph at half size while the square it cuts is at least this many pixels wide (its model
    # sees 256×256: a 768 px square halved still has 1.5 pixels per model pixel); None: never halved.
    halve_from_px: int | None = 768
    halve_until_px: int = 640  # … and back to full size under this (a gap, so it does not flip every frame)


DEFAULT_POLICY = WindowPolicy()


def roi_side(xyz: np.ndarray, policy: WindowPolicy = DEFAULT_POLICY) -> float | None:
    """About how wide the square the graph cuts around this pose is, in the landmarks' pixels."""
    points = np.asarray(xyz, dtype=float)[:, :2]
    finite = np.isfinite(points).all(axis=1)
    if finite.sum() < 3:
        return None
    hips = points[list(_HIPS)]
    centre = hips.mean(axis=0) if np.isfinite(hips).all() else points[finite].mean(axis=0)
    return 2.0 * policy.roi_scale * float(np.max(np.linalg.norm(points[finite] - centre, axis=1)))


def needed_square(xyz: np.ndarray, policy: WindowPolicy = DEFAULT_POLICY) -> Box | None:
    """The upright square that holds the ROI the graph will cut around this pose in the next frame, with room for
    motion, in the landmarks' pixels; None when the pose has no usable points."""
    points = np.asarray(xyz, dtype=float)[:, :2]
    finite = np.isfinite(points).all(axis=1)
    if finite.sum() < 3:
        return None
    hips = points[list(_HIPS)]
    centre = hips.mean(axis=0) if np.isfinite(hips).all() else points[finite].mean(axis=0)
    reach = float(np.max(np.linalg.norm(points[finite] - centre, axis=1)))
    # The ROI is turned to the torso's lean; its upright bounding square is wider by |cos| + |sin| of that angle.
    shoulders = points[list(_SHOULDERS)]
    if np.isfinite(shoulders).all() and np.isfinite(hips).all():
        dx, dy = shoulders.mean(axis=0) - hips.mean(axis=0)
        lean = math.atan2(dx, -dy)
        widen = abs(math.cos(lean)) + abs(math.sin(lean))
    else:
        widen = math.sqrt(2.0)
    half = max(8.0, reach * policy.roi_scale * widen * policy.motion_margin)
    cx, cy = float(centre[0]), float(centre[1])
    return (math.floor(cx - half), math.floor(cy - half), math.ceil(cx + half), math.ceil(cy + half))


def clip_box(box: Box, area: Box) -> Box | None:
    x0, y0 = max(box[0], area[0]), max(box[1], area[1])
    x1, y1 = min(box[2], area[2]), min(box[3], area[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def contains(outer: Box, inner: Box) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _span(centre: float, size: int, low: int, high: int) -> tuple[int, int]:
    """An interval of ``size`` around ``centre``, slid (not cut) to fit in [low, high); the whole range if larger."""
    if size >= high - low:
        return low, high
    start = round(centre - size / 2)
    start = min(max(start, low), high - size)
    return start, start + size


def _pixels(box: Box) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def window_around(needed: Box, area: Box, policy: WindowPolicy = DEFAULT_POLICY) -> Box:
    """A square window ``policy.window_scale`` times the needed square, centred on it, slid inside ``area``."""
    side = math.ceil(max(needed[2] - needed[0], needed[3] - needed[1]) * policy.window_scale)
    x0, x1 = _span((needed[0] + needed[2]) / 2, side, area[0], area[2])
    y0, y1 = _span((needed[1] + needed[3]) / 2, side, area[1], area[3])
    return (x0, y0, x1, y1)


def search_tiles(area: Box, policy: WindowPolicy = DEFAULT_POLICY) -> list[Box]:
    """Overlapping square tiles covering ``area``, or none when the area is small enough for the detector."""
    width, height = area[2] - area[0], area[3] - area[1]
    if max(width, height) < policy.min_search_side_px:
        return []
    side = max(64, round(policy.tile_share * min(width, height)))
    stride = max(1, round(side * (1.0 - policy.tile_overlap)))

    def starts(length: int, low: int) -> list[int]:
        if side >= length:
            return [low]
        count = math.ceil((length - side) / stride) + 1
        return [low + round(i * (length - side) / (count - 1)) for i in range(count)]

    return [
        (x, y, min(x + side, area[2]), min(y + side, area[3]))
        for y in starts(height, area[1])
        for x in starts(width, area[0])
    ]


def _lerp(a: Box, b: Box, t: float) -> tuple[float, float, float, float]:
    return tuple(x + (y - x) * t for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def steer(
    current: Box, goal: Box, centre: tuple[float, float], roi: float, policy: WindowPolicy = DEFAULT_POLICY
) -> Box:
    """The furthest step from ``current`` toward ``goal`` (both inside the area) after which the graph's memory
    still fits: it keeps the runner's square as fractions of the picture, so in the new window the square's centre
    lands ``roi × policy.max_shift_share`` pixels off at most, and its size is off by ``policy.max_scale_step`` at
    most. The landmark model finds the runner in a square that far off, and the next square comes from the new
    landmarks: no detection, so nobody else can be picked up on the way."""
    cx, cy = centre
    width, height = current[2] - current[0], current[3] - current[1]
    fx, fy = (cx - current[0]) / width, (cy - current[1]) / height  # the runner's place, as the graph keeps it
    limit = policy.max_shift_share * roi

    def fits(t: float) -> bool:
        x0, y0, x1, y1 = _lerp(current, goal, t)
        off = max(abs(x0 + fx * (x1 - x0) - cx), abs(y0 + fy * (y1 - y0) - cy))
        scale = max((x1 - x0) / width, width / (x1 - x0), (y1 - y0) / height, height / (y1 - y0))
        return off <= limit and scale <= 1.0 + policy.max_scale_step

    if fits(1.0):
        return goal
    low, high = 0.0, 1.0  # the largest step that fits: both limits grow with the step
    for _ in range(16):
        middle = (low + high) / 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    x0, y0, x1, y1 = _lerp(current, goal, low)
    return (round(x0), round(y0), round(x1), round(y1))


HIDE_GREY = 128  # the flat colour people are hidden under: no edge or texture for the detector to find


def cover(image: np.ndarray, covered: Box, boxes: tuple[Box, ...] | list[Box]) -> np.ndarray:
    """``image`` (the picture of the full-frame box ``covered``, at any scale) with ``boxes`` (full-frame pixels)
    filled with flat grey, in place; the image is returned."""
    height, width = image.shape[:2]
    sx = width / max(covered[2] - covered[0], 1)
    sy = height / max(covered[3] - covered[1], 1)
    for x0, y0, x1, y1 in boxes:
        left, right = max(0, math.floor((x0 - covered[0]) * sx)), min(width, math.ceil((x1 - covered[0]) * sx))
        top, bottom = max(0, math.floor((y0 - covered[1]) * sy)), min(height, math.ceil((y1 - covered[1]) * sy))
        if right > left and bottom > top:
            image[top:bottom, left:right] = HIDE_GREY
    return image


@dataclass(frozen=True)
class Seed:
    """Whom a worker follows from the start, when several people are in view (``candidates.py`` chose them): the
    person found in frame ``frame`` inside ``box``, the window looked in first (frames before it are not looked
    at). ``hide``: the other people's boxes in that frame, covered in that first look, so that the detector, which
    takes the most prominent person in a picture, cannot take one of them instead."""

    frame: int
    box: Box
    hide: tuple[Box, ...] = ()


class WindowTracker:
    """The window to look in for each frame of one worker, from the poses found so far.

    * Runner found and small (a window around them would have under ``shrink_below`` of the area's pixels): the
      window is steered toward one ``window_scale`` times the square the graph needs, a little each frame
      (:func:`steer`), and left alone while that square stays inside it, so the graph is never asked to detect
      the runner again. A runner big in the picture keeps the whole area: the whole-frame path, bit for bit.
    * Runner lost: the whole area, where the graph runs its own detector as it does on the whole frame; and, for a
      runner small in the area or never seen, every ``search_every_s`` a search: the window where they were last
      seen, and (never seen, or lost for ``tiles_after_lost_s``) the tiles of the area. A window where the search
      finds them becomes the window.
    * ``crowded`` (others are in view): a runner just lost is looked for around where they were last seen for
      ``tiles_after_lost_s``, not in the whole area, whose detector would take the most prominent person, perhaps
      someone else. A runner never seen yet is looked for in the window given to :meth:`hold`.
    """

    def __init__(self, area: Box, fps: float, policy: WindowPolicy = DEFAULT_POLICY, *, crowded: bool = False) -> None:
        self.area = area
        self.policy = policy
        self.crowded = crowded
        self.window: Box = area
        self._held: Box | None = None  # where to look until the runner is first seen (:meth:`hold`)
        self._hold_left = 0
        self.last_seen: Box | None = None  # a window around the last pose found
        self.search_every = max(1, round(policy.search_every_s * fps))
        self.tiles_after = max(1, round(policy.tiles_after_lost_s * fps))
        self.settle = max(1, round(policy.settle_s * fps))
        self._small_for = 0  # frames in a row the runner has been small in the area
        self._since_search = self.search_every  # search at the first frame where nobody is found
        self._lost_for: int | None = None  # frames since the runner was last seen (None: never seen)
        self.steps = 0  # frames after which the window moved or changed size
        self.searches = 0
        self.halve = False  # give the graph the next picture at half size
        self.last_roi_side: float | None = None  # the graph's square around the runner when last seen, pixels

    def update(self, xyz: np.ndarray | None) -> None:
        """Take the pose found in this frame (full-frame pixels) or None; sets :attr:`window` for the next one."""
        side = None if xyz is None else roi_side(xyz, self.policy)
        needed = None if xyz is None else needed_square(xyz, self.policy)
        limit = self.policy.halve_until_px if self.halve else self.policy.halve_from_px
        self.halve = side is not None and limit is not None and side >= limit
        if side is None or needed is None or xyz is None:
            if self._lost_for == 0:
                # Just lost: if the whole area shows nobody in the next frame, search around the last place at once.
                self._since_search = self.search_every
            else:
                self._since_search += 1
            if self._lost_for is not None:
                self._lost_for += 1
            self.window = self.area  # the graph holds nobody now: the window can jump
            if self._held is not None and self._lost_for is None and self.policy.follow:
                self._hold_left -= 1
                if self._hold_left > 0:
                    self.window = self._held
            elif self.crowded and self.policy.follow and self.last_seen is not None and self._lost_for is not None:
                self.window = self.last_seen if self._lost_for < self.tiles_after else self.area
            return
        self._held = None
        self._since_search, self._lost_for, self.last_roi_side = 0, 0, side
        around = window_around(needed, self.area, self.policy)
        self.last_seen = around
        if not self.policy.follow:
            return
        # Into a window only for a runner small for a while (``settle_s``) and wholly in the picture: a crouch or a
        # runner leaving the frame is not a small runner, and a big runner keeps the whole area, where the graph
        # does exactly what it does on the whole frame.
        small = _pixels(around) < self.policy.shrink_below * _pixels(self.area) and contains(self.area, needed)
        self._small_for = self._small_for + 1 if small else 0
        goal = around if small and (self.window != self.area or self._small_for >= self.settle) else self.area
        inside = clip_box(needed, self.area) or needed
        too_big = _pixels(self.window) > 2.5 * _pixels(goal)
        if contains(self.window, inside) and not too_big:
            return  # the graph's square fits: leave the window alone (and the graph's memory exact)
        centre = (needed[0] + needed[2]) / 2, (needed[1] + needed[3]) / 2
        stepped = steer(self.window, goal, centre, side, self.policy)
        if stepped != self.window:
            self.steps += 1
            self.window = stepped

    def adopt(self, box: Box) -> None:
        """Look in ``box`` next (the graph holds nobody, or holds the runner found in it by a search)."""
        if self.policy.follow:
            self.window = box

    def hold(self, box: Box, frames: int) -> None:
        """Look in ``box`` next, and go on looking there (not in the whole area) for up to ``frames`` frames while
        the runner has not been seen yet: where a chosen person was found (:class:`Seed`)."""
        if self.policy.follow:
            self.window = self._held = box
            self._hold_left = max(1, frames)

    def search_due(self) -> bool:
        if not self.policy.follow:
            return False
        if self.last_roi_side is not None:
            short_side = min(self.area[2] - self.area[0], self.area[3] - self.area[1])
            if self.last_roi_side >= self.policy.search_below_share * short_side:
                return False
        return self._since_search >= self.search_every

    def search_windows(self) -> list[Box]:
        """Where to look when the whole area showed nobody: around the last place seen, then (for a runner never
        seen, or lost for ``tiles_after_lost_s``) the tiles."""
        self._since_search = 0
        self.searches += 1
        found_before = [self.last_seen] if self.last_seen is not None and self.last_seen != self.area else []
        if self._lost_for is not None and self._lost_for < self.tiles_after:
            return found_before
        return found_before + [tile for tile in search_tiles(self.area, self.policy) if tile not in found_before]
