"""Synthetic running keypoints (labelled synthetic) with known true gait values, for tests and the demo.

A simple kinematic runner in a world frame (X = runner's right, Y = forward, Z = up, metres) is drawn by an
orthographic camera behind the runner (rear view: image x = X) or beside it (side view: image x = ±Y), in pixels
with y pointing down, exactly as a pose model would report it. The model is deliberately plain but physically
sensible: each foot has a stance phase (heel strike, foot flat, heel rise, toe-off) and a swing phase; the pelvis
bobs down in mid-stance and tilts so that the swing side drops in early stance; the knee is placed by two-link
inverse kinematics in the sagittal plane and by the wanted hip adduction in the frontal plane.

Conventions match the analysis: every (left, right) pair is reported under the *stance* leg, so
``pelvic_drop_deg=(4, 9)`` means the right pelvis drops 4° while standing on the left foot and the left pelvis
drops 9° while standing on the right foot. The true values (set and derived) are in ``series.meta["truth"]``.
"""

from __future__ import annotations

import math

import numpy as np

from gluteguard.gait.model import KeypointSeries

SYNTHETIC_SOURCE = "synthetic (gluteguard)"

# Body dimensions in metres (a ~1.75 m adult; hip width is between hip-joint centres, not the bony pelvis).
THIGH_M = 0.46
SHANK_M = 0.44
LEG_M = THIGH_M + SHANK_M  # the analysis normalises by thigh + shank length
HIP_WIDTH_M = 0.18
ANKLE_HEIGHT_M = 0.07
HEEL_BEHIND_ANKLE_M = 0.06
FOOT_LENGTH_M = 0.22  # heel to foot_index (toe)
PELVIS_HEIGHT_M = 0.91  # mean height of the hip-joint centres
TRUNK_M = 0.50  # hip centre to shoulder centre
SHOULDER_WIDTH_M = 0.36
STRIKE_PITCH_DEG = 15.0  # toes up at heel strike
TOE_OFF_PITCH_DEG = 25.0  # heel up at toe-off
PELVIS_SWAY_M = 0.015  # pelvis shifts toward the stance foot
BUMP_SHARPNESS = 2.0  # von Mises concentration of the pelvic-drop and adduction profiles (smooth, stride-periodic)
DROP_PEAK_STANCE_FRACTION = 0.4  # the swing side's drop peaks in the first half of stance
ADDUCTION_PEAK_STANCE_FRACTION = 0.45

LANDMARKS: tuple[str, ...] = (
    "nose",
    "left_shoulder",
    "right_shoulder",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)


def _bump(phase: np.ndarray, peak: float) -> np.ndarray:
    """A smooth stride-periodic bump of height 1 at ``peak`` (fraction of the stride)."""
    return np.exp(BUMP_SHARPNESS * (np.cos(2 * np.pi * (phase - peak)) - 1.0))


class _Runner:
    """The kinematic model; every method takes an array of times in seconds."""

    def __init__(
        self,
        cadence_spm: float,
        pelvic_drop_deg: tuple[float, float],
        hip_adduction_deg: tuple[float, float],
        step_width_norm: float,
        overstride_norm: float,
        trunk_lean_deg: float,
        vertical_oscillation_norm: float,
        speed_mps: float,
        contact_time_s: float,
        treadmill: bool,
        first_strike_s: float,
    ) -> None:
        self.stride_s = 120.0 / cadence_spm
        self.step_s = self.stride_s / 2
        self.duty = min(0.7, contact_time_s / self.stride_s)  # up to walking's double support
        self.drop = {"left": math.radians(pelvic_drop_deg[0]), "right": math.radians(pelvic_drop_deg[1])}
        self.adduction = {"left": math.radians(hip_adduction_deg[0]), "right": math.radians(hip_adduction_deg[1])}
        self.half_step_width = step_width_norm * HIP_WIDTH_M / 2
        self.overstride = overstride_norm * LEG_M
        self.trunk_lean = math.radians(trunk_lean_deg)
        self.oscillation = vertical_oscillation_norm * LEG_M
        self.speed = speed_mps
        self.treadmill = treadmill
        self.first_strike = {"right": first_strike_s, "left": first_strike_s + self.step_s}

    def phase(self, side: str, t: np.ndarray) -> np.ndarray:
        return np.mod((t - self.first_strike[side]) / self.stride_s, 1.0)

    def pelvis(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Centre (X, Y, Z) and obliquity θ (positive = left side lower)."""
        mid_stance_right = self.first_strike["right"] + self.duty * self.stride_s / 2
        z = PELVIS_HEIGHT_M - self.oscillation / 2 * np.cos(2 * np.pi * (t - mid_stance_right) / self.step_s)
        x = PELVIS_SWAY_M * np.cos(2 * np.pi * (t - mid_stance_right) / self.stride_s)
        y = np.zeros_like(t) if self.treadmill else self.speed * (t - t.mean() if t.size else t)
        peak = DROP_PEAK_STANCE_FRACTION * self.duty
        # Standing on the right foot the left side drops (θ > 0), and the reverse on the left foot.
        theta = self.drop["right"] * _bump(self.phase("right", t), peak) - self.drop["left"] * _bump(
            self.phase("left", t), peak
        )
        return x, y, z, theta

    def foot(self, side: str, t: np.ndarray, pelvis_y: np.ndarray) -> dict[str, np.ndarray]:
        """Heel, toe and ankle positions (n, 3) of one foot."""
        p = self.phase(side, t)
        duty = self.duty
        travel = self.speed * self.stride_s * duty  # how far the stance foot moves back relative to the pelvis
        toe_off_y = self.overstride - travel
        stance = p < duty
        s = np.clip((p - duty) / (1 - duty), 0.0, 1.0)  # swing progress 0 → 1
        stance_progress = np.clip(p / duty, 0.0, 1.0)
        # Swing: a cubic Hermite path that leaves and meets the ground moving back at belt speed, so the foot
        # reaches forward and retracts a little before landing (no kink at contact, as in real running).
        tangent = -self.speed * self.stride_s * (1 - duty)
        s2, s3 = s * s, s * s * s
        swing_y = (
            (2 * s3 - 3 * s2 + 1) * toe_off_y
            + (s3 - 2 * s2 + s) * tangent
            + (-2 * s3 + 3 * s2) * self.overstride
            + (s3 - s2) * tangent
        )
        heel_y_rel = np.where(stance, self.overstride - travel * stance_progress, swing_y)
        strike_pitch = math.radians(STRIKE_PITCH_DEG)
        toe_off_pitch = -math.radians(TOE_OFF_PITCH_DEG)
        early = np.clip(stance_progress / 0.2, 0.0, 1.0)
        late = np.clip((stance_progress - 0.6) / 0.4, 0.0, 1.0) ** 2
        pitch_stance = np.where(stance_progress < 0.2, strike_pitch * (1 - early), toe_off_pitch * late)
        smooth = s * s * (3 - 2 * s)
        pitch_swing = toe_off_pitch + (strike_pitch - toe_off_pitch) * smooth
        pitch = np.where(stance, pitch_stance, pitch_swing)
        heel_up_at_toe_off = FOOT_LENGTH_M * math.sin(-toe_off_pitch)
        heel_z_stance = np.where(pitch < 0, FOOT_LENGTH_M * np.sin(-pitch), 0.0)  # late stance: toe is the pivot
        # The heel kicks up early in swing and comes down with some speed at contact (~0.5 m/s), as in running.
        clearance = 0.30 * np.sin(np.pi * s**0.7) * (0.4 + 0.6 * (1 - s))
        heel_z_swing = heel_up_at_toe_off * (1 - smooth) + clearance
        heel_z = np.where(stance, heel_z_stance, heel_z_swing)
        lateral = self.half_step_width * (1.0 if side == "right" else -1.0)
        heel = np.stack([np.full_like(t, lateral), pelvis_y + heel_y_rel, heel_z], axis=1)
        toe = heel + np.stack([np.zeros_like(t), FOOT_LENGTH_M * np.cos(pitch), FOOT_LENGTH_M * np.sin(pitch)], axis=1)
        toe[:, 2] = np.maximum(toe[:, 2], 0.0)
        ankle_forward = HEEL_BEHIND_ANKLE_M * np.cos(pitch) - ANKLE_HEIGHT_M * np.sin(pitch)
        ankle_up = HEEL_BEHIND_ANKLE_M * np.sin(pitch) + ANKLE_HEIGHT_M * np.cos(pitch)
        ankle = heel + np.stack([np.zeros_like(t), ankle_forward, ankle_up], axis=1)
        return {"heel": heel, "foot_index": toe, "ankle": ankle}

    def pose(self, t: np.ndarray) -> dict[str, np.ndarray]:
        """Every landmark as (n, 3) world positions."""
        px, py, pz, theta = self.pelvis(t)
        half = HIP_WIDTH_M / 2
        hips = {
            "left": np.stack([px - half * np.cos(theta), py, pz - half * np.sin(theta)], axis=1),
            "right": np.stack([px + half * np.cos(theta), py, pz + half * np.sin(theta)], axis=1),
        }
        # Frontal-plane pelvis axes (X, Z): u from the left to the right hip, n its normal pointing down.
        u = np.stack([np.cos(theta), np.sin(theta)], axis=1)
        n = np.stack([np.sin(theta), -np.cos(theta)], axis=1)
        points: dict[str, np.ndarray] = {}
        for side in ("left", "right"):
            hip = hips[side]
            foot = self.foot(side, t, py)
            ankle = foot["ankle"]
            # Sagittal two-link IK: the knee sits forward of the hip-ankle line.
            d_y = ankle[:, 1] - hip[:, 1]
            d_z = ankle[:, 2] - hip[:, 2]
            reach = np.minimum(np.hypot(d_y, d_z), 0.999 * LEG_M)
            cos_alpha = np.clip((THIGH_M**2 + reach**2 - SHANK_M**2) / (2 * THIGH_M * reach), -1.0, 1.0)
            alpha = np.arccos(cos_alpha)
            direction = np.arctan2(d_z, d_y)
            knee_y = hip[:, 1] + THIGH_M * np.cos(direction + alpha)
            knee_z = hip[:, 2] + THIGH_M * np.sin(direction + alpha)
            # Frontal plane: the femur leaves the pelvis normal by the adduction angle, toward the midline.
            medial = u if side == "left" else -u
            stance_adduction = self.adduction[side] * _bump(
                self.phase(side, t), ADDUCTION_PEAK_STANCE_FRACTION * self.duty
            )
            femur = np.cos(stance_adduction)[:, None] * n + np.sin(stance_adduction)[:, None] * medial
            drop_below_hip = hip[:, 2] - knee_z
            knee_x = hip[:, 0] + femur[:, 0] * drop_below_hip / -femur[:, 1]
            points[f"{side}_hip"] = hip
            points[f"{side}_knee"] = np.stack([knee_x, knee_y, knee_z], axis=1)
            for part, values in foot.items():
                points[f"{side}_{part}"] = values
        centre = np.stack([px, py, pz], axis=1)
        shoulder_centre = centre + TRUNK_M * np.stack(
            [np.zeros_like(t), np.full_like(t, math.sin(self.trunk_lean)), np.full_like(t, math.cos(self.trunk_lean))],
            axis=1,
        )
        half_shoulders = np.array([SHOULDER_WIDTH_M / 2, 0.0, 0.0])
        points["left_shoulder"] = shoulder_centre - half_shoulders
        points["right_shoulder"] = shoulder_centre + half_shoulders
        points["nose"] = shoulder_centre + np.array([0.0, 0.10, 0.22])
        return points


def _angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0], (a * b).sum(axis=1)))


def _strike_times(runner: _Runner, side: str, seconds: float) -> np.ndarray:
    first = runner.first_strike[side]
    return first + runner.stride_s * np.arange(0, int((seconds - first) / runner.stride_s) + 1)


def synthetic_run(
    view: str = "rear",
    seconds: float = 10.0,
    fps: float = 60.0,
    cadence_spm: float = 170.0,
    pelvic_drop_deg: tuple[float, float] = (5.0, 5.0),
    hip_adduction_deg: tuple[float, float] = (8.0, 8.0),
    step_width_norm: float = 0.5,
    overstride_norm: float = 0.2,
    noise_px: float = 0.0,
    dropout: float = 0.0,
    seed: int = 0,
    treadmill: bool = True,
    direction: str = "right",
    trunk_lean_deg: float = 8.0,
    vertical_oscillation_norm: float = 0.08,
    speed_mps: float = 2.8,
    contact_time_s: float = 0.22,
    leg_px: float = 360.0,
    with_shoulders: bool = True,
    camera_distance_m: float | None = None,
) -> KeypointSeries:
    """A synthetic running clip as a :class:`KeypointSeries` (source "synthetic (gluteguard)").

    ``view``: "rear" (camera behind: the runner's left is the image left) or "side"; ``direction`` ("right" or
    "left") is where the runner faces in a side view; ``treadmill=False`` lets the hips travel across the image.
    ``camera_distance_m`` switches the rear view from orthographic to a pinhole camera at hip height that far
    behind the pelvis (the planted foot then slides down the image as it nears the lens). ``noise_px`` adds
    Gaussian pixel noise; ``dropout`` is the share of landmark samples lost in short bursts
    (NaN with confidence 0). Deterministic for a given ``seed``.
    """
    if view not in ("rear", "side"):
        raise ValueError(f"view must be 'rear' or 'side', got {view!r}")
    if direction not in ("left", "right"):
        raise ValueError(f"direction must be 'left' or 'right', got {direction!r}")
    rng = np.random.default_rng(seed)
    frames = max(1, round(seconds * fps))
    time_s = np.arange(frames) / fps
    runner = _Runner(
        cadence_spm,
        pelvic_drop_deg,
        hip_adduction_deg,
        step_width_norm,
        overstride_norm,
        trunk_lean_deg,
        vertical_oscillation_norm,
        speed_mps,
        contact_time_s,
        treadmill,
        first_strike_s=float(rng.uniform(0.05, 0.3)) * 120.0 / cadence_spm,
    )
    world = runner.pose(time_s)
    names = tuple(n for n in LANDMARKS if with_shoulders or "shoulder" not in n)
    scale = leg_px / LEG_M
    width, height = (1080, 1920) if view == "rear" else (1920, 1080)
    facing = 1.0 if direction == "right" else -1.0
    xyz = np.full((frames, len(names), 3), np.nan)
    for i, name in enumerate(names):
        point = world[name]
        if view == "rear" and camera_distance_m is not None:
            # Pinhole camera at hip height behind the pelvis, looking forward; scale holds at the pelvis depth.
            depth = camera_distance_m + point[:, 1] - world["left_hip"][:, 1]
            xyz[:, i, 0] = width / 2 + scale * camera_distance_m * point[:, 0] / depth
            xyz[:, i, 1] = (
                0.88 * height
                - scale * PELVIS_HEIGHT_M
                - scale * camera_distance_m * (point[:, 2] - PELVIS_HEIGHT_M) / depth
            )
            continue
        horizontal = point[:, 0] if view == "rear" else facing * point[:, 1]
        xyz[:, i, 0] = width / 2 + scale * horizontal
        xyz[:, i, 1] = 0.88 * height - scale * point[:, 2]
    confidence = np.clip(rng.normal(0.92, 0.03, size=(frames, len(names))), 0.0, 1.0)
    noise_scale = np.ones(len(names))
    if view == "side":
        # The far leg is partly hidden behind the near one: the pose model is less sure and noisier there. A runner
        # facing image right turns their right side to the camera, so the far leg is their left.
        far_side = "left" if direction == "right" else "right"
        for i, name in enumerate(names):
            if name.startswith(far_side):
                noise_scale[i] = 1.5
                confidence[:, i] = np.clip(rng.normal(0.65, 0.08, size=frames), 0.0, 1.0)
    if noise_px > 0:
        xyz[:, :, :2] += rng.normal(0.0, noise_px, size=(frames, len(names), 2)) * noise_scale[None, :, None]
    if dropout > 0:
        burst = 2  # mean burst length in frames
        starts = rng.random((frames, len(names))) < dropout / burst
        lost = starts.copy()
        for shift in range(1, burst + 1):
            extend = starts[:-shift] & (rng.random((frames - shift, len(names))) < 0.5)
            lost[shift:] |= extend
        xyz[lost] = np.nan
        confidence[lost] = 0.0
    truth = _truth(runner, world, time_s, seconds, view, direction, cadence_spm, pelvic_drop_deg, hip_adduction_deg)
    truth.update(
        step_width_norm=step_width_norm,
        overstride_norm=overstride_norm,
        trunk_lean_deg=trunk_lean_deg,
        vertical_oscillation_norm=vertical_oscillation_norm,
        crossover_pct={"left": 100.0 if step_width_norm <= 0 else 0.0, "right": 100.0 if step_width_norm <= 0 else 0.0},
    )
    return KeypointSeries(
        fps=float(fps),
        time_s=time_s,
        names=names,
        xyz=xyz,
        confidence=confidence,
        units="px",
        source=SYNTHETIC_SOURCE,
        frame_size=(width, height),
        meta={"synthetic": True, "view": view, "direction": direction, "treadmill": treadmill, "truth": truth},
    )


def _truth(
    runner: _Runner,
    world: dict[str, np.ndarray],
    time_s: np.ndarray,
    seconds: float,
    view: str,
    direction: str,
    cadence_spm: float,
    pelvic_drop_deg: tuple[float, float],
    hip_adduction_deg: tuple[float, float],
) -> dict:
    """True values: the set parameters plus the ones the geometry implies (evaluated without noise)."""
    truth: dict = {
        "cadence_spm": cadence_spm,
        "pelvic_drop_deg_set": {"left": pelvic_drop_deg[0], "right": pelvic_drop_deg[1]},
        "hip_adduction_deg_set": {"left": hip_adduction_deg[0], "right": hip_adduction_deg[1]},
        "pelvic_drop_deg": {},
        "hip_adduction_deg": {},
        "foot_strike_s": {},
        "toe_off_s": {},
        "knee_flexion_ic_deg": {},
        "shank_angle_ic_deg": {},
        "knee_fppa_deg": {},
    }
    for side in ("left", "right"):
        strikes = _strike_times(runner, side, seconds)
        strikes = strikes[(strikes >= 0) & (strikes <= seconds)]
        truth["foot_strike_s"][side] = strikes.tolist()
        truth["toe_off_s"][side] = (strikes + runner.duty * runner.stride_s).tolist()
        at_strike = runner.pose(strikes) if strikes.size else None
        if at_strike is None:
            continue

        def sagittal(name: str, pose: dict[str, np.ndarray] = at_strike, side: str = side) -> np.ndarray:
            return pose[f"{side}_{name}"][:, 1:]  # (Y, Z) of one landmark

        thigh = sagittal("hip") - sagittal("knee")
        shank = sagittal("ankle") - sagittal("knee")
        knee_angle = np.abs(_angle_between(thigh, shank))
        truth["knee_flexion_ic_deg"][side] = float(np.mean(180.0 - knee_angle))
        shank_down = sagittal("ankle") - sagittal("knee")
        truth["shank_angle_ic_deg"][side] = float(np.mean(np.degrees(np.arctan2(shank_down[:, 0], -shank_down[:, 1]))))
        # Peaks over each stance of a dense, noise-free sampling: knee frontal-plane projection angle, and the
        # pelvic drop / hip adduction the profiles actually reach (the other side's lobe trims them slightly).
        peaks = []
        drops, adductions = [], []
        for strike in strikes:
            t = np.linspace(strike, strike + runner.duty * runner.stride_s, 121)
            pose = runner.pose(t)
            _, _, _, theta = runner.pelvis(t)
            drop = np.degrees(theta if side == "right" else -theta)
            drops.append(float(drop[:61].max()))
            adductions.append(
                float(
                    np.degrees(runner.adduction[side])
                    * _bump(runner.phase(side, t), ADDUCTION_PEAK_STANCE_FRACTION * runner.duty).max()
                )
            )

            def frontal(name: str, pose: dict[str, np.ndarray] = pose, side: str = side) -> np.ndarray:
                return pose[f"{side}_{name}"][:, [0, 2]]  # (X, Z) of one landmark

            hip, knee, ankle = frontal("hip"), frontal("knee"), frontal("ankle")
            interior = np.abs(_angle_between(hip - knee, ankle - knee))
            # Sign: + when the knee lies toward the midline of the hip-ankle line (valgus-looking).
            line = ankle - hip
            offset = (knee - hip)[:, 0] - line[:, 0] * ((knee - hip) * line).sum(axis=1) / (line * line).sum(axis=1)
            medial_offset = -offset if side == "right" else offset
            fppa = np.sign(medial_offset) * (180.0 - interior)
            peaks.append(float(np.max(fppa)))
        truth["knee_fppa_deg"][side] = float(np.mean(peaks))
        truth["pelvic_drop_deg"][side] = float(np.mean(drops))
        truth["hip_adduction_deg"][side] = float(np.mean(adductions))
    return truth
