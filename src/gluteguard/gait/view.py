"""Which camera view a clip was filmed from (rear vs side), and which way a side-view runner faces.

Seen from behind, the two hips are a hip-width apart and keep their left/right order, while the feet hardly move
sideways relative to the pelvis. Seen from the side, the hips overlap and the feet sweep forward and back by most
of a leg length. The ratio of the two separates the views robustly, and its distance from the decision line
gives the confidence.
"""

from __future__ import annotations

import warnings

import numpy as np

from gluteguard.gait.model import KeypointSeries
from gluteguard.gait.signal import MIN_CONFIDENCE

REAR_SCORE_THRESHOLD = 0.3  # hip width / (hip width + foot sweep); rear ≈ 0.6-0.9, side ≈ 0-0.1
CONFIDENCE_SPAN = 0.25  # distance from the threshold that earns full confidence


def _xy(series: KeypointSeries, name: str) -> np.ndarray:
    """(frames, 2) image x/y of a landmark with unsure samples masked as NaN."""
    if not series.has(name):
        return np.full((series.frames, 2), np.nan)
    xy = np.array(series.point(name)[:, :2], dtype=float)
    score = series.score(name)
    with np.errstate(invalid="ignore"):
        xy[~(np.nan_to_num(score, nan=1.0) >= MIN_CONFIDENCE)] = np.nan
    return xy


def _nanmedian(values: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmedian(values)) if values.size else float("nan")


def _spread(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    if finite.size < 3:
        return float("nan")
    return float(np.percentile(finite, 95) - np.percentile(finite, 5))


def view_features(series: KeypointSeries) -> dict[str, float]:
    """The numbers the view decision rests on (all in leg lengths except the ordering share)."""
    hips = {side: _xy(series, f"{side}_hip") for side in ("left", "right")}
    ankles = {side: _xy(series, f"{side}_ankle") for side in ("left", "right")}
    heels = {side: _xy(series, f"{side}_heel") for side in ("left", "right")}
    leg = _nanmedian(np.concatenate([np.linalg.norm(ankles[s] - hips[s], axis=1) for s in ("left", "right")]))
    mid_hip_x = (hips["left"][:, 0] + hips["right"][:, 0]) / 2
    separation = hips["right"][:, 0] - hips["left"][:, 0]
    signs = np.sign(separation[np.isfinite(separation)])
    ordering = float(max((signs > 0).mean(), (signs < 0).mean())) if signs.size else float("nan")
    sweeps = [_spread(heels[s][:, 0] - mid_hip_x) for s in ("left", "right")]
    sweep = float(np.nanmax(sweeps)) if np.isfinite(sweeps).any() else float("nan")
    return {
        "hip_width_leg": abs(_nanmedian(separation)) / leg if leg > 0 else float("nan"),
        "foot_sweep_leg": sweep / leg if leg > 0 else float("nan"),
        "left_right_order_stability": ordering,
        "left_on_image_left": float((signs > 0).mean()) if signs.size else float("nan"),
    }


def detect_view(series: KeypointSeries) -> tuple[str, float]:
    """("rear" | "side", confidence 0-1) from the keypoints alone; confidence 0 when nothing can be said."""
    features = view_features(series)
    hip_width, sweep = features["hip_width_leg"], features["foot_sweep_leg"]
    if not (np.isfinite(hip_width) and np.isfinite(sweep)) or hip_width + sweep <= 0:
        return "rear", 0.0
    score = hip_width / (hip_width + sweep)
    confidence = float(np.clip(abs(score - REAR_SCORE_THRESHOLD) / CONFIDENCE_SPAN, 0.0, 1.0))
    if score >= REAR_SCORE_THRESHOLD:
        # From behind (or in front) the hips keep their order; flipping order means the view is in doubt.
        stability = features["left_right_order_stability"]
        return "rear", confidence * (stability if np.isfinite(stability) else 0.5)
    return "side", confidence


def facing_sign(series_heel: np.ndarray, series_toe: np.ndarray, mid_hip_x: np.ndarray) -> tuple[float, float]:
    """+1 when a side-view runner faces image right, -1 when left; with the share of frames that agree.

    The toe points forward of the heel (treadmill and overground); the hip travel decides when the feet disagree.
    """
    toe_ahead = np.sign(series_toe[:, 0] - series_heel[:, 0])
    toe_ahead = toe_ahead[np.isfinite(toe_ahead) & (toe_ahead != 0)]
    if toe_ahead.size:
        share_right = float((toe_ahead > 0).mean())
        if abs(share_right - 0.5) > 0.1:
            return (1.0, share_right) if share_right > 0.5 else (-1.0, 1 - share_right)
    finite = np.flatnonzero(np.isfinite(mid_hip_x))
    if finite.size >= 2:
        travel = mid_hip_x[finite[-1]] - mid_hip_x[finite[0]]
        if travel != 0:
            return float(np.sign(travel)), 0.5
    return 1.0, 0.0
