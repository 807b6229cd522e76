"""Which leg is which, frame by frame (pure): in a side view the pose model now and then labels the near leg as the
far one for a frame or a few; a swapped frame reads as two extra foot strikes 10 frames apart and a stride half as
long. Users of video gait tools report exactly this on treadmill runs (Sports2D #35 and #39, research/gait.md §5).

A short run of frames (up to ``legs.toml`` max_frames) is traded back when its legs, traded, lie much closer to the
straight line between the frames on either side of it than as labelled: the knee, ankle, heel and toe of both
legs, in leg lengths, by more than the price per frame. The line between neighbours follows a foot through its
sharp turns at landing and toe-off, where a prediction from its last step would not, and two legs passing each
other fit it either way round, so a crossing is never mistaken for a trade. Longer runs stay as the model gave them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from gluteguard.rules_data import rules_data

LEG_POINTS = ("hip", "knee", "ankle", "heel", "foot_index")  # what trades with the leg
TRACKED_POINTS = ("knee", "ankle", "heel", "foot_index")  # what says where a leg is heading (the hips overlap)


@dataclass(frozen=True)
class Untangled:
    xyz: np.ndarray  # (frames, landmarks, 3) with the traded frames put back
    confidence: np.ndarray  # (frames, landmarks)
    swapped: np.ndarray  # (frames,) bool: the labels this frame had were the other leg's

    @property
    def swapped_frames(self) -> int:
        return int(self.swapped.sum())


@cache
def _rules() -> dict:
    return rules_data("gluteguard.gait", "legs.toml")


def _leg_length(xy: np.ndarray, names: tuple[str, ...]) -> float:
    """The median hip-to-ankle distance over the clip (pixels), the unit the costs are measured in."""
    lengths = []
    for side in ("left", "right"):
        hip, ankle = xy[:, names.index(f"{side}_hip")], xy[:, names.index(f"{side}_ankle")]
        lengths.append(np.linalg.norm(hip - ankle, axis=1))
    values = np.concatenate(lengths)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else 1.0


def _miss(observed: np.ndarray, predicted: np.ndarray) -> float:
    """Summed distance of the points both have; 0 when none is known (that frame says nothing)."""
    gaps = np.linalg.norm(observed - predicted, axis=-1)
    gaps = gaps[np.isfinite(gaps)]
    return float(gaps.sum()) if gaps.size else 0.0


def _points(xy: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(frames, 2 legs, points, 2): the tracked points of the left then the right leg."""
    legs = [[names.index(f"{side}_{point}") for point in TRACKED_POINTS] for side in ("left", "right")]
    return np.stack([xy[:, legs[0]], xy[:, legs[1]]], axis=1)


def untangle_legs(xyz: np.ndarray, confidence: np.ndarray, names: tuple[str, ...]) -> Untangled:
    """The series with short runs of traded leg labels put back (module docstring)."""
    frames = xyz.shape[0]
    swapped = np.zeros(frames, dtype=bool)
    if frames < 3 or any(f"{side}_{p}" not in names for side in ("left", "right") for p in LEG_POINTS):
        return Untangled(xyz, confidence, swapped)
    rules = _rules()["untangle"]
    price, longest = float(rules["trade_price_leg_lengths"]), int(rules["max_frames"])
    legs = _points(xyz[:, :, :2], names) / max(_leg_length(xyz[:, :, :2], names), 1.0)
    for _ in range(3):  # a trade put back can make its neighbour's stand out: look again, a few times at most
        changed = False
        for width in range(1, longest + 1):
            for start in range(1, frames - width):
                before, after = legs[start - 1], legs[start + width]
                if not (np.isfinite(before).any() and np.isfinite(after).any()):
                    continue
                keep = trade = 0.0
                for k in range(width):
                    share = (k + 1) / (width + 1)
                    expected = before + (after - before) * share
                    keep += _miss(legs[start + k], expected)
                    trade += _miss(legs[start + k][::-1], expected)
                if keep - trade > price * width:
                    legs[start : start + width] = legs[start : start + width, ::-1]
                    swapped[start : start + width] ^= True
                    changed = True
        if not changed:
            break
    if not swapped.any():
        return Untangled(xyz, confidence, swapped)
    fixed_xyz, fixed_conf = xyz.copy(), confidence.copy()
    for point in LEG_POINTS:
        li, ri = names.index(f"left_{point}"), names.index(f"right_{point}")
        fixed_xyz[swapped, li], fixed_xyz[swapped, ri] = xyz[swapped, ri], xyz[swapped, li]
        fixed_conf[swapped, li], fixed_conf[swapped, ri] = confidence[swapped, ri], confidence[swapped, li]
    return Untangled(fixed_xyz, fixed_conf, swapped)
