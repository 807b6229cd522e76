"""Where to look in the next frame: a window around the runner found so far (the tracked pose path, ``tracked.py``).

BlazePose's legacy graph already cuts its 256×256 model input around the person it tracks (a square 1.25 times the
body's reach around the hips, from the last frame's landmarks), so the window is not about the model's input size:
the model costs the same for a 1080×1920 frame as for a quarter of it (measured: 14.8 and 14.1 ms a frame). It is
about two other things:

* the rest of the work: only the window is converted from YUV, turned upright and copied into the graph (for a
  4K frame with a small runner, a tenth of the pixels);
* finding a small runner: the person detector sees the whole picture squeezed into 224×224, where a runner a tenth
  of a 4K frame's height is about 20 px tall and is missed. Looking at tiles of the frame (and then at the window
  around the last place the runner was seen) makes them big enough to be found.

A window is kept as long as the square the graph will cut next (with room for the body to move) stays inside it,
so the graph's tracking sees exactly the pixels it would see in the whole frame and gives the same landmarks
(tested on the real demo clip). When the window must move, the graph forgets the person and finds them again inside
the new window: one detection, so windows are made generous and move rarely.
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
    shrink_below: float = 0.25  # a window is remade when one around the runner would have under this share of its
    # pixels (the whole frame right after a detection, or the runner got smaller)
    tile_share: float = 0.5  # search tiles are this × the searched area's short side …
    tile_overlap: float = 0.25  # … and overlap by this share, so a runner on a tile's edge is whole in another
    min_search_side_px: int = 960  # areas smaller than this are not cut into tiles (the detector sees enough)
    search_every_s: float = 0.5  # while nobody is found, tiles are searched this often (seconds of video)
    # … but only for a runner small in the area (the square the graph cut, last seen, under this share of the area's
    # short side) or never seen yet: a big runner lost is found again by the graph's own detector, as in the whole
    # frame, and tiles could hand it someone else
    search_below_share: float = 0.5
    follow: bool = True  # False: track in the whole area, never in a window (the uncropped path, for comparison)
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


class WindowTracker:
    """The window to look in for each frame of one worker, from the poses found so far.

    Lost (or never found): the whole ``area``, where the graph runs its detector as it would on the whole frame,
    and every ``search_every_s`` the last window the runner was seen in and then the tiles of the area.
    """

    def __init__(self, area: Box, fps: float, policy: WindowPolicy = DEFAULT_POLICY) -> None:
        self.area = area
        self.policy = policy
        self.window: Box = area
        self.last_seen: Box | None = None  # the window around the last pose found
        self.search_every = max(1, round(policy.search_every_s * fps))
        self._since_search = self.search_every  # search at the first frame where nobody is found
        self._seen_last_frame = False
        self.windows_made = 0
        self.searches = 0
        self.halve = False  # give the graph the next picture at half size
        self.last_roi_side: float | None = None  # the graph's square around the runner when last seen, pixels

    def update(self, xyz: np.ndarray | None) -> None:
        """Take the pose found in this frame (full-frame pixels) or None; sets :attr:`window` for the next one."""
        self._since_search += 1
        side = None if xyz is None else roi_side(xyz, self.policy)
        if side is not None:
            self.last_roi_side = side
        limit = self.policy.halve_until_px if self.halve else self.policy.halve_from_px
        self.halve = side is not None and limit is not None and side >= limit
        needed = None if xyz is None else needed_square(xyz, self.policy)
        if needed is None:
            if self._seen_last_frame:
                # Just lost: if the whole area shows nobody in the next frame, search (around the last place
                # first) at once, since a small runner is found again only that way.
                self._since_search = self.search_every
            self._seen_last_frame = False
            self.window = self.area  # look everywhere, as the graph itself would on the whole frame
            return
        self._since_search = 0
        self._seen_last_frame = True
        if not self.policy.follow:
            return
        around = window_around(needed, self.area, self.policy)
        self.last_seen = around
        inside = clip_box(needed, self.area)
        if inside is None:
            self.window = self.area
            return
        # A window half the size of the one in use is worth the graph's one detection to move into, but only for a
        # runner wholly in the picture: one half out of it is not found again by a detection.
        smaller = inside == needed and _pixels(around) < self.policy.shrink_below * _pixels(self.window)
        if not contains(self.window, inside) or smaller:
            if around != self.window:
                self.windows_made += 1
            self.window = around

    def tight_window(self, xyz: np.ndarray) -> Box | None:
        """The square the graph needs around this pose, inside the area: the smallest window it can track in."""
        needed = needed_square(xyz, self.policy) if self.policy.follow else None
        return None if needed is None else clip_box(needed, self.area)

    def search_due(self) -> bool:
        if self.last_roi_side is not None:
            short_side = min(self.area[2] - self.area[0], self.area[3] - self.area[1])
            if self.last_roi_side >= self.policy.search_below_share * short_side:
                return False
        return self._since_search >= self.search_every

    def search_windows(self) -> list[Box]:
        """Where to look when the whole area showed nobody: around the last place seen, then the tiles."""
        self._since_search = 0
        self.searches += 1
        found_before = [self.last_seen] if self.last_seen is not None and self.last_seen != self.area else []
        return found_before + [tile for tile in search_tiles(self.area, self.policy) if tile not in found_before]
