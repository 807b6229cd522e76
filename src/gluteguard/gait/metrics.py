"""Per-frame angles and per-stance gait metrics from cleaned image-space tracks (pure, numpy-vectorised).

Angles are computed for every frame at once; each stance then only slices them. Sign conventions (gait.md §6 and
the stride issue): image y points down; contralateral pelvic drop is positive when the swing side is lower and is
reported under the stance leg; hip adduction and the knee frontal-plane projection angle are positive toward the
midline; overstride, shank angle and trunk lean are positive forward (in the runner's direction of travel).
Everything that depends on which way is "lateral" uses the hips' own left/right order, so a front view (runner
facing the camera) gives the same numbers as a rear view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d

from gluteguard.gait.events import Contact

SIDES = ("left", "right")
OTHER = {"left": "right", "right": "left"}

REAR_METRICS = ("pelvic_drop_deg", "hip_adduction_deg", "knee_fppa_deg", "step_width_norm", "crossover_pct")
SIDE_METRICS = (
    "overstride_norm",
    "shank_angle_ic_deg",
    "knee_flexion_ic_deg",
    "trunk_lean_deg",
    "vertical_oscillation_norm",
)
BOTH_VIEW_METRICS = ("contact_time_ms",)
# Metrics located at a frame inside the stance (for key-frame pictures).
PEAK_METRICS = ("pelvic_drop_deg", "hip_adduction_deg", "knee_fppa_deg")
SCALE_WINDOW_S = 2.0  # rolling window for leg length / hip width in pixels (follows an overground zoom change)
LATERAL_CONTACT_POINT = "heel"  # rear view: the heel is the best-seen part of the foot at contact


@dataclass(frozen=True)
class FrameSignals:
    """Per-frame signals the stance metrics are sliced from."""

    signals: dict[str, np.ndarray]  # e.g. "pelvic_drop_deg:right" → (frames,)
    leg_px: np.ndarray
    hip_width_px: np.ndarray
    notes: list[str] = field(default_factory=list)


def _angle_deg(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.degrees(np.arctan2(y, x))


def _rolling_median(values: np.ndarray, window: int) -> np.ndarray:
    finite = np.isfinite(values)
    if finite.sum() == 0:
        return values.copy()
    bridged = np.interp(np.arange(values.size), np.flatnonzero(finite), values[finite])
    return median_filter(bridged, size=max(1, min(window, values.size)), mode="nearest")


def _interior_angle(a: np.ndarray, vertex: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle a-vertex-b in degrees (0-180) for every frame."""
    u, v = a - vertex, b - vertex
    cross = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    dot = (u * v).sum(axis=1)
    return np.abs(_angle_deg(cross, dot))


def leg_length_px(tracks: Mapping[str, np.ndarray], fps: float) -> np.ndarray:
    """Thigh + shank length in pixels per frame (rolling median of both legs)."""
    per_side = []
    for side in SIDES:
        hip, knee, ankle = tracks[f"{side}_hip"], tracks[f"{side}_knee"], tracks[f"{side}_ankle"]
        per_side.append(np.linalg.norm(knee - hip, axis=1) + np.linalg.norm(ankle - knee, axis=1))
    both = np.fmax(per_side[0], per_side[1])  # the longer leg: foreshortening only ever shortens
    return _rolling_median(both, round(SCALE_WINDOW_S * fps))


def frame_signals(
    angle_tracks: Mapping[str, np.ndarray], event_tracks: Mapping[str, np.ndarray], view: str, fps: float, facing: float
) -> FrameSignals:
    """Every per-frame signal the chosen view supports."""
    leg_px = leg_length_px(angle_tracks, fps)
    left_hip, right_hip = angle_tracks["left_hip"], angle_tracks["right_hip"]
    across = right_hip - left_hip
    hip_width_px = _rolling_median(np.linalg.norm(across, axis=1), round(SCALE_WINDOW_S * fps))
    signals: dict[str, np.ndarray] = {}
    notes: list[str] = []
    mid_hip = (left_hip + right_hip) / 2
    if view == "rear":
        horizontal = np.abs(across[:, 0])
        # y down: the left side is lower when its y is larger.
        signals["pelvic_drop_deg:right"] = _angle_deg(left_hip[:, 1] - right_hip[:, 1], horizontal)
        signals["pelvic_drop_deg:left"] = _angle_deg(right_hip[:, 1] - left_hip[:, 1], horizontal)
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = across / np.linalg.norm(across, axis=1, keepdims=True)  # toward the runner's right
        normal = np.stack([-unit[:, 1], unit[:, 0]], axis=1)
        normal *= np.where(normal[:, 1] < 0, -1.0, 1.0)[:, None]  # the pelvis normal points down the image
        for side in SIDES:
            hip, knee, ankle = (angle_tracks[f"{side}_{part}"] for part in ("hip", "knee", "ankle"))
            medial = unit if side == "left" else -unit
            femur = knee - hip
            signals[f"hip_adduction_deg:{side}"] = _angle_deg(
                (femur * medial).sum(axis=1), (femur * normal).sum(axis=1)
            )
            # FPPA: 180° minus the hip-knee-ankle angle, + when the knee sits medial to the hip-ankle line.
            line = ankle - hip
            with np.errstate(invalid="ignore", divide="ignore"):
                along = ((femur * line).sum(axis=1) / (line * line).sum(axis=1))[:, None]
            medial_offset = ((femur - along * line) * medial).sum(axis=1)
            signals[f"knee_fppa_deg:{side}"] = np.sign(medial_offset) * (180.0 - _interior_angle(hip, knee, ankle))
        signals["lateral_sign"] = np.sign(across[:, 0])  # +1 when the runner's right is the image right
        stride_frames = max(1, round(0.7 * fps))  # about one running stride: the line of progression
        mid_x = mid_hip[:, 0]
        finite = np.isfinite(mid_x)
        if finite.any():
            bridged = np.interp(np.arange(mid_x.size), np.flatnonzero(finite), mid_x[finite])
            signals["midline_x"] = np.where(finite, uniform_filter1d(bridged, stride_frames, mode="nearest"), np.nan)
        else:
            signals["midline_x"] = mid_x
    else:
        for side in SIDES:
            # Values at initial contact come from the 10 Hz tracks: the knee is near a sharp minimum of flexion
            # there, which the 6 Hz angle filter would round off upward.
            hip, knee, ankle = (event_tracks[f"{side}_{part}"] for part in ("hip", "knee", "ankle"))
            signals[f"knee_flexion_deg:{side}"] = 180.0 - _interior_angle(hip, knee, ankle)
            shank = ankle - knee
            signals[f"shank_angle_deg:{side}"] = _angle_deg(facing * shank[:, 0], shank[:, 1])
        shoulders = [angle_tracks.get(f"{side}_shoulder") for side in SIDES]
        if all(s is not None for s in shoulders) and np.isfinite(shoulders[0]).any():
            mid_shoulder = (shoulders[0] + shoulders[1]) / 2
            trunk = mid_shoulder - mid_hip
            signals["trunk_lean_deg"] = _angle_deg(facing * trunk[:, 0], -trunk[:, 1])
        else:
            notes.append("trunk lean not measurable: no shoulder landmarks")
        event_mid_hip = (event_tracks["left_hip"] + event_tracks["right_hip"]) / 2
        signals["hip_height_px"] = -event_mid_hip[:, 1]  # 10 Hz track keeps the step-frequency bob unattenuated
    return FrameSignals(signals=signals, leg_px=leg_px, hip_width_px=hip_width_px, notes=notes)


def _at(signal: np.ndarray, time_s: float, fps: float) -> float:
    """Value at a sub-frame time by linear interpolation (NaN when either neighbour is missing)."""
    position = time_s * fps
    low = int(np.floor(position))
    high = min(low + 1, signal.size - 1)
    low = max(0, min(low, signal.size - 1))
    fraction = position - low
    return float(signal[low] * (1 - fraction) + signal[high] * fraction) if high != low else float(signal[low])


def signal_frames(signals: Mapping[str, np.ndarray]) -> int:
    """Number of frames of the per-frame signals."""
    return next(iter(signals.values())).size


def _peak(signal: np.ndarray, first: int, last: int) -> tuple[float, int] | None:
    """Largest value in frames first..last, refined with a parabola through its neighbours."""
    window = signal[first : last + 1]
    if window.size == 0 or not np.isfinite(window).any():
        return None
    best = first + int(np.nanargmax(window))
    value = float(signal[best])
    if first < best < last:
        before, after = signal[best - 1], signal[best + 1]
        curvature = before - 2 * value + after
        if np.isfinite(before) and np.isfinite(after) and curvature < 0:
            value = value - (after - before) ** 2 / (8 * curvature)
    return value, best


def stance_values(
    contact: Contact,
    contacts: Mapping[str, tuple[Contact, ...]],
    frame: FrameSignals,
    event_tracks: Mapping[str, np.ndarray],
    view: str,
    fps: float,
    facing: float,
) -> tuple[dict[str, float], dict[str, int]]:
    """Metric values of one stance and the frames where the peak metrics occurred."""
    side = contact.side
    s = frame.signals
    values: dict[str, float] = {}
    key_frames: dict[str, int] = {}
    first, last = contact.strike_frame, max(contact.strike_frame, contact.toe_off_frame)
    values["contact_time_ms"] = 1000.0 * (contact.toe_off_time_s - contact.strike_time_s)
    if view == "rear":
        # Windows hold the frames whose times fall inside [strike, end] (as the 3D truth in mocap.py does):
        # CPD in the first half of stance, the other peaks over the whole stance.
        start = min(signal_frames(s), int(np.ceil(contact.strike_time_s * fps - 1e-9)))
        half = (contact.strike_time_s + contact.toe_off_time_s) / 2
        whole_end = min(signal_frames(s) - 1, int(np.floor(contact.toe_off_time_s * fps + 1e-9)))
        windows = {
            "pelvic_drop_deg": min(whole_end, int(np.floor(half * fps + 1e-9))),
            "hip_adduction_deg": whole_end,
            "knee_fppa_deg": whole_end,
        }
        for metric, end in windows.items():
            peak = _peak(s[f"{metric}:{side}"], start, end)
            if peak is not None:
                values[metric], key_frames[metric] = peak
        hip_width = _at(frame.hip_width_px, contact.strike_time_s, fps)
        lateral = _at(s["lateral_sign"], contact.strike_time_s, fps)
        heel_x = _at(event_tracks[f"{side}_{LATERAL_CONTACT_POINT}"][:, 0], contact.strike_time_s, fps)
        midline = _at(s["midline_x"], contact.strike_time_s, fps)
        outward = (1.0 if side == "right" else -1.0) * np.sign(lateral)
        if hip_width > 0 and np.isfinite(heel_x) and np.isfinite(midline) and outward != 0:
            offset = outward * (heel_x - midline) / hip_width
            values["foot_midline_offset_norm"] = float(offset)
            values["crossover_pct"] = 100.0 if offset <= 0 else 0.0
            previous = [c for c in contacts[OTHER[side]] if c.strike_time_s < contact.strike_time_s]
            if previous and contact.strike_time_s - previous[-1].strike_time_s < 1.0:
                other_x = _at(
                    event_tracks[f"{OTHER[side]}_{LATERAL_CONTACT_POINT}"][:, 0], previous[-1].strike_time_s, fps
                )
                if np.isfinite(other_x):
                    values["step_width_norm"] = float(outward * (heel_x - other_x) / hip_width)
    else:
        leg = _at(frame.leg_px, contact.strike_time_s, fps)
        hips = (event_tracks["left_hip"] + event_tracks["right_hip"]) / 2
        heel_x = _at(event_tracks[f"{side}_heel"][:, 0], contact.strike_time_s, fps)
        hip_x = _at(hips[:, 0], contact.strike_time_s, fps)
        if leg > 0 and np.isfinite(heel_x) and np.isfinite(hip_x):
            values["overstride_norm"] = float(facing * (heel_x - hip_x) / leg)
        values["shank_angle_ic_deg"] = _at(s[f"shank_angle_deg:{side}"], contact.strike_time_s, fps)
        values["knee_flexion_ic_deg"] = _at(s[f"knee_flexion_deg:{side}"], contact.strike_time_s, fps)
        if "trunk_lean_deg" in s:
            stance = s["trunk_lean_deg"][first : last + 1]
            if np.isfinite(stance).any():
                values["trunk_lean_deg"] = float(np.nanmean(stance))
        following = [c for c in contacts[OTHER[side]] if c.strike_time_s > contact.strike_time_s]
        if following and leg > 0:
            step_end = following[0].strike_frame
            height = s["hip_height_px"][first : step_end + 1]
            if height.size >= 3 and np.isfinite(height).all():
                values["vertical_oscillation_norm"] = float((height.max() - height.min()) / leg)
    return {k: v for k, v in values.items() if np.isfinite(v)}, key_frames


@dataclass(frozen=True)
class Summary:
    mean: float
    sd: float | None
    n: int


def summarise(values: list[float]) -> Summary | None:
    """Mean, sample SD and count of finite per-step values (None when fewer than two)."""
    finite = np.array([v for v in values if np.isfinite(v)], dtype=float)
    if finite.size < 2:
        return None
    return Summary(mean=float(finite.mean()), sd=float(finite.std(ddof=1)), n=int(finite.size))
