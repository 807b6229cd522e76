"""3D ground truth of a motion-capture running trial: stances (from the force plate, events or the feet),
cadence, pelvic obliquity and contralateral drop per stance, hip adduction, step width — the numbers the 2D
pipeline is compared with (shared/research/gait.md §4)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.ndimage import minimum_filter1d

from gluteguard.gait.camera import linear_track
from gluteguard.gait.mocap import (
    CONTACT_THRESHOLD_N,
    FOOT_CONTACT_HEIGHT_M,
    MIN_CONTACT_S,
    SIDES,
    MarkerTrial,
    Pelvis,
    heel_point,
    joint_centre,
    marker_role,
    pelvis,
    toe_point,
    unit_vectors,
)


@dataclass(frozen=True)
class Stance:
    side: Literal["left", "right"]
    on_s: float
    off_s: float


def _intervals(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of runs of True; stop is exclusive."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _foot_height(trial: MarkerTrial, side: str) -> np.ndarray:
    """Height of the lowest foot marker above that marker's own lowest level (m): ≈0 while the foot is down."""
    heights = []
    for role in ("heel", "toe", "mt1", "mt5"):
        marker = marker_role(trial, role, side)
        if marker is not None and np.isfinite(marker[:, 1]).any():
            heights.append(marker[:, 1] - np.nanpercentile(marker[:, 1], 1))
    if not heights:
        raise ValueError(f"{trial.source}: no {side} foot markers")
    with np.errstate(all="ignore"):
        return np.nanmin(np.stack(heights, axis=1), axis=1)


def _stances_from_forces(trial: MarkerTrial) -> list[Stance]:
    forces = trial.forces
    assert forces is not None
    heights = {side: _foot_height(trial, side) for side in SIDES}
    stances = []
    for start, stop in _intervals(forces.vertical_n > CONTACT_THRESHOLD_N):
        if start == 0 or stop == len(forces.vertical_n):
            continue  # a contact cut by the start or end of the recording has no true onset or offset
        on_s, off_s = float(forces.time_s[start]), float(forces.time_s[stop - 1])
        if off_s - on_s < MIN_CONTACT_S:
            continue
        window = (trial.time_s >= on_s) & (trial.time_s <= off_s)
        if forces.left_n is not None and forces.right_n is not None:
            segment = slice(start, stop)
            side = "left" if np.nanmean(forces.left_n[segment]) > np.nanmean(forces.right_n[segment]) else "right"
        else:
            # One plate under both feet: the foot that is down is the one whose markers are at floor level.
            left, right = np.nanmean(heights["left"][window]), np.nanmean(heights["right"][window])
            side = "left" if left < right else "right"
        stances.append(Stance(side, on_s, off_s))
    return stances


def _stances_from_events(trial: MarkerTrial) -> list[Stance]:
    stances = []
    for side in SIDES:
        strikes = sorted(e.time_s for e in trial.events if e.side == side and e.kind == "foot_strike")
        offs = sorted(e.time_s for e in trial.events if e.side == side and e.kind == "foot_off")
        for strike in strikes:
            later = [t for t in offs if t > strike]
            if later:
                stances.append(Stance(side, strike, later[0]))
    return sorted(stances, key=lambda s: s.on_s)


def _stances_from_kinematics(trial: MarkerTrial) -> list[Stance]:
    """Contacts where the lowest foot marker is within 2 cm of the local floor.

    The floor is the lowest foot level within ±0.3 s (one step either way), not one level for the whole trial,
    because overground runways are not perfectly level (the Dorn runway differs by ~4 cm from end to end).
    """
    window = max(3, round(0.6 * trial.rate_hz) | 1)
    stances = []
    for side in SIDES:
        height = _foot_height(trial, side)
        local_floor = minimum_filter1d(np.where(np.isfinite(height), height, np.inf), window, mode="nearest")
        down = (height - local_floor < FOOT_CONTACT_HEIGHT_M) & (local_floor < 3 * FOOT_CONTACT_HEIGHT_M)
        for start, stop in _intervals(down):
            if start == 0 or stop == trial.frames:
                continue
            on_s, off_s = float(trial.time_s[start]), float(trial.time_s[stop - 1])
            if off_s - on_s >= MIN_CONTACT_S:
                stances.append(Stance(side, on_s, off_s))
    return sorted(stances, key=lambda s: s.on_s)


def stances(trial: MarkerTrial) -> tuple[list[Stance], str]:
    """Foot contacts and where they came from: forces, labelled events, or foot-marker heights."""
    if trial.forces is not None:
        found = _stances_from_forces(trial)
        if len(found) >= 2:
            return found, "forces"
    if sum(e.kind == "foot_strike" for e in trial.events) >= 2:
        return _stances_from_events(trial), "events"
    return _stances_from_kinematics(trial), "kinematics"


def cadence_spm(onsets_s: list[float]) -> float | None:
    """Steps per minute from all foot-contact onsets (both feet): (n − 1) steps over the first-to-last span."""
    ordered = sorted(onsets_s)
    if len(ordered) < 2 or ordered[-1] <= ordered[0]:
        return None
    return 60.0 * (len(ordered) - 1) / (ordered[-1] - ordered[0])


def obliquity_deg(right_point: np.ndarray, left_point: np.ndarray) -> np.ndarray:
    """Angle of the left→right line to the horizontal plane, degrees; positive when the right end is higher.

    Measured against the horizontal plane (not in a lab plane), so pelvic rotation does not change it.
    """
    line = right_point - left_point
    with np.errstate(invalid="ignore"):
        return np.degrees(np.arcsin(np.clip(line[:, 1] / np.linalg.norm(line, axis=1), -1.0, 1.0)))


def _window_values(time_s: np.ndarray, series: np.ndarray, start: float, stop: float) -> np.ndarray:
    inside = (time_s >= start) & (time_s <= stop)
    return series[inside][np.isfinite(series[inside])]


def pelvic_drop_per_stance(time_s: np.ndarray, obliquity: np.ndarray, contacts: list[Stance]) -> dict[str, list]:
    """Peak contralateral drop in the first half of each stance, listed under the stance leg.

    ``right`` = how far the left (swing) side is below the right while standing on the right foot; positive =
    the swing side drops. ``obliquity`` is positive when the right side is higher.
    """
    drops: dict[str, list[float]] = {"left": [], "right": []}
    for stance in contacts:
        values = _window_values(time_s, obliquity, stance.on_s, (stance.on_s + stance.off_s) / 2)
        if values.size:
            sign = 1.0 if stance.side == "right" else -1.0
            drops[stance.side].append(float(np.max(sign * values)))
    return drops


def hip_adduction_deg(frame: Pelvis, knee: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """3D hip adduction per side: the femur (knee → hip centre) against the pelvis sagittal plane, degrees.

    Positive = adduction (knee towards the midline). It is the angle between the femur axis and the pelvis'
    sagittal plane, i.e. the ab/adduction of a flexion-first joint coordinate system.
    """
    angles = {}
    for side, sign in (("right", 1.0), ("left", -1.0)):
        femur = unit_vectors(frame.hip_centre[side] - knee[side])
        along_right = np.sum(femur * frame.right, axis=1)
        with np.errstate(invalid="ignore"):
            angles[side] = np.degrees(np.arcsin(np.clip(sign * along_right, -1.0, 1.0)))
    return angles


def _summary(values: list[float]) -> dict:
    if not values:
        return {"mean": None, "sd": None, "n": 0}
    array = np.asarray(values)
    return {"mean": round(float(array.mean()), 3), "sd": round(float(array.std()), 3), "n": len(values)}


def _speed(trial: MarkerTrial, contacts: list[Stance], pelvis_x: np.ndarray) -> tuple[float | None, bool]:
    """Running speed (m/s) and whether it was a treadmill (pelvis nearly still along the travel axis)."""
    span = float(np.nanmax(pelvis_x) - np.nanmin(pelvis_x))
    duration = float(trial.time_s[-1] - trial.time_s[0])
    if span > 0.25 * duration + 1.0:  # overground: the pelvis travels metres
        return abs(float(np.polyfit(trial.time_s, pelvis_x, 1)[0])), False
    belt = []
    for stance in contacts:
        # Mid-stance (middle third): the planted foot rides the belt backwards at belt speed.
        third = (stance.off_s - stance.on_s) / 3
        inside = (trial.time_s >= stance.on_s + third) & (trial.time_s <= stance.off_s - third)
        foot = toe_point(trial, stance.side)
        if foot is None or inside.sum() < 3:
            continue
        x = foot[inside, 0]
        good = np.isfinite(x)
        if good.sum() >= 3:
            belt.append(-np.polyfit(trial.time_s[inside][good], x[good], 1)[0])
    return (float(np.median(belt)) if belt else None), True


def truth(trial: MarkerTrial, static: MarkerTrial | None = None) -> dict:
    """3D ground truth of one running trial as a JSON-ready dict.

    Keys: ``cadence_spm``, ``contacts_from``, ``stances`` ({side: [[on, off], …]}), ``speed_mps``, ``treadmill``,
    ``obliquity_deg`` (5th/50th/95th percentile per pelvic line), ``pelvic_drop_deg`` (per line, per stance leg:
    mean/sd/n of the peak drop in the first half of stance; ``hjc`` is the like-for-like truth for keypoint hips),
    ``asis_vs_hjc_gap_deg`` and ``crest_vs_hjc_gap_deg`` (mean |difference| of the per-frame obliquity and of the
    per-side mean drop), ``hip_adduction_deg`` (peak in stance, per leg), ``step_width`` (m and per hip width).
    """
    frame = pelvis(trial)
    contacts, contacts_from = stances(trial)
    lines = {
        "asis": obliquity_deg(frame.asis["right"], frame.asis["left"]),
        "hjc": obliquity_deg(frame.hip_centre["right"], frame.hip_centre["left"]),
    }
    for name, role in (("crest", "crest"), ("psis", "psis")):
        right, left = marker_role(trial, role, "right"), marker_role(trial, role, "left")
        if right is not None and left is not None:
            lines[name] = obliquity_deg(right, left)
    drops = {name: pelvic_drop_per_stance(trial.time_s, series, contacts) for name, series in lines.items()}

    knee = {
        side: joint_centre(trial, static, side, "knee", frame)[0]
        for side in SIDES  # the femur needs the knee centre only
    }
    adduction = hip_adduction_deg(frame, knee)
    peak_adduction: dict[str, list[float]] = {"left": [], "right": []}
    for stance in contacts:
        values = _window_values(trial.time_s, adduction[stance.side], stance.on_s, stance.off_s)
        if values.size:
            peak_adduction[stance.side].append(float(values.max()))

    hip_centre_mid = (frame.hip_centre["left"] + frame.hip_centre["right"]) / 2
    hip_width = float(np.nanmedian(np.linalg.norm(frame.hip_centre["right"] - frame.hip_centre["left"], axis=1)))
    lateral_trend = linear_track(trial.time_s, hip_centre_mid[:, 2])
    foot_lateral = []
    for stance in contacts:
        heel, toe = heel_point(trial, stance.side), toe_point(trial, stance.side)
        inside = (trial.time_s >= stance.on_s) & (trial.time_s <= stance.off_s)
        feet = [m[inside, 2] - lateral_trend[inside] for m in (heel, toe) if m is not None]
        foot_lateral.append((stance.side, float(np.nanmedian(np.concatenate(feet))) if feet else math.nan))
    widths = [
        abs(b[1] - a[1]) for a, b in itertools.pairwise(foot_lateral) if a[0] != b[0]
    ]  # consecutive opposite feet only
    widths = [w for w in widths if math.isfinite(w)]
    speed, treadmill = _speed(trial, contacts, hip_centre_mid[:, 0])

    def percentiles(series: np.ndarray) -> dict:
        p5, p50, p95 = np.nanpercentile(series, [5, 50, 95])
        return {"p5": round(float(p5), 3), "p50": round(float(p50), 3), "p95": round(float(p95), 3)}

    def gap(name: str) -> dict | None:
        if name not in lines:
            return None
        per_side = [
            abs(_summary(drops[name][s])["mean"] - _summary(drops["hjc"][s])["mean"])
            for s in SIDES
            if drops[name][s] and drops["hjc"][s]
        ]
        return {
            "per_frame_mean_abs": round(float(np.nanmean(np.abs(lines[name] - lines["hjc"]))), 3),
            "drop_mean_abs": round(float(np.mean(per_side)), 3) if per_side else None,
        }

    return {
        "source": trial.source,
        "duration_s": round(float(trial.time_s[-1] - trial.time_s[0]), 3),
        "contacts_from": contacts_from,
        "steps": len(contacts),
        "cadence_spm": _round(cadence_spm([s.on_s for s in contacts])),
        "stances": {side: [[s.on_s, s.off_s] for s in contacts if s.side == side] for side in SIDES},
        "speed_mps": _round(speed),
        "treadmill": treadmill,
        "obliquity_deg": {name: percentiles(series) for name, series in lines.items()},
        "pelvic_drop_deg": {name: {side: _summary(d[side]) for side in SIDES} for name, d in drops.items()},
        "asis_vs_hjc_gap_deg": gap("asis"),
        "crest_vs_hjc_gap_deg": gap("crest"),
        "hip_adduction_deg": {side: _summary(peak_adduction[side]) for side in SIDES},
        "step_width": {
            "m": _round(float(np.mean(widths)) if widths else None),
            "per_hip_width": _round(float(np.mean(widths)) / hip_width if widths else None),
            "hip_width_m": _round(hip_width),
        },
        "pelvis": {"asis_width_m": _round(frame.width_m), "depth_m": _round(frame.depth_m)},
        # Standing obliquity of the same line (marker placement and posture); drops above are not corrected for it.
        "static_obliquity_deg": _round(_static_obliquity(static)),
    }


def _static_obliquity(static: MarkerTrial | None) -> float | None:
    if static is None:
        return None
    try:
        frame = pelvis(static)
    except ValueError:
        return None
    return float(np.nanmedian(obliquity_deg(frame.hip_centre["right"], frame.hip_centre["left"])))


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)
