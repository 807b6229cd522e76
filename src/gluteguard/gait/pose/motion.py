"""Frame motion: one number per analysed frame that uses no landmark, for a pose-free check of the cadence.

The picture the pose model looks at (the window around the runner, or the whole frame) is shrunk to a 32×32
grey thumbnail; the frame's motion is the mean absolute difference from the previous frame's thumbnail, in grey
levels (0–255). A runner's limbs swing once per step, so it rises and falls at the step rate
(``gait.cadence_check`` reads it). It is NaN for the first frame and whenever the window moved since the previous
frame: the two thumbnails would then show different parts of the picture.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from gluteguard.gait.pose.video import Frame

THUMBNAIL_PX = 32  # own choice: enough to see limbs swing in a body-sized window, and cheap to make


def thumbnail(image: np.ndarray) -> np.ndarray:
    """32×32 grey levels (float32) of an RGB or BGR uint8 image, by area averaging over a regular sample of its
    pixels (any channel order: the three channels are averaged with equal weight)."""
    import cv2  # the video extra; this module is only used where it is installed

    # Every k-th pixel first (still ≥ 4 per thumbnail pixel), then area averaging: 0.3 ms instead of 6.7 ms for a
    # 1080p frame (measured here), which matters beside a pose model taking ~15 ms.
    k = max(1, min(image.shape[0], image.shape[1]) // (4 * THUMBNAIL_PX))
    small = cv2.resize(image[::k, ::k], (THUMBNAIL_PX, THUMBNAIL_PX), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32).mean(axis=2) if small.ndim == 3 else small.astype(np.float32)


class MotionMeter:
    """Frame motion for one pass over a clip: ``offer`` each picture looked at (only a frame's first counts: later
    looks are searches elsewhere), then ``take`` the frame's value once the frame is done."""

    def __init__(self) -> None:
        self._previous: tuple[Any, np.ndarray] | None = None  # (where, thumbnail) of the last frame taken
        self._offered: tuple[Any, np.ndarray] | None = None

    def offer(self, image: np.ndarray, where: Any = None) -> None:
        if self._offered is None:
            self._offered = (where, thumbnail(image))

    def take(self) -> float:
        offered, self._offered = self._offered, None
        if offered is None:
            return float("nan")
        previous, self._previous = self._previous, offered
        if previous is None or previous[0] != offered[0]:
            return float("nan")
        return float(np.mean(np.abs(offered[1] - previous[1])))


def watch(frames: Iterable[Frame], into: list[float]) -> Iterator[Frame]:
    """Pass ``frames`` through unchanged, appending each one's motion to ``into`` (the whole-frame path: every
    frame is looked at where it was cut, so a frame's place is its crop's corner and size)."""
    meter = MotionMeter()
    for frame in frames:
        meter.offer(frame.image, (frame.origin, frame.image.shape[:2]))
        into.append(meter.take())
        yield frame
