"""Motion-capture trials → virtual joint centres, a virtual phone camera, and 3D ground truth.

Why: there is no running video with mocap truth on this machine, so the 2D pipeline is validated by filming the
3D markers with a *virtual* phone (shared/research/gait.md §4): joint centres are derived from the markers,
projected through a pinhole camera behind or beside the runner, and what the pipeline reads from that picture is
compared with the same quantities computed in 3D.

One lab frame for everything here (readers normalise into it): **+X anterior (direction of travel), +Y up,
+Z to the runner's right**, metres. It is right-handed (X × Y = Z) and is the OpenSim convention the
shared data mostly already use.

Joint centres (all in the lab frame, per frame):

* hip: the Harrington et al. 2007 regression (J Biomech 40:595–602) from the ASIS and PSIS (or sacrum) markers.
  In a pelvis frame with its origin midway between the ASIS (x anterior, y up, z right), with PW the inter-ASIS
  width and PD the pelvis depth (mid-ASIS to mid-PSIS): x = −0.24·PD − 9.9 mm, y = −0.30·PW − 10.9 mm,
  z = ±(0.33·PW + 7.3 mm).
* knee and ankle, first match wins: (1) medial + lateral anatomical markers in the trial → their midpoint;
  (2) a static trial with those markers → the midpoint is fixed in the thigh (knee) or shank (ankle) cluster in
  the static pose and carried into the running trial by a least-squares rigid fit of the cluster (RBDS);
  (3) a lateral marker only → moved medially by half a typical joint width along the pelvis' left–right axis
  (Dorn); (4) clusters only → a functional joint centre: the point that moves least relative to both adjacent
  clusters (least squares over all frames, pulled weakly towards a prior just medial of the clusters; Hamner).
* heel: the lowest posterior heel marker; toe (BlazePose ``foot_index``): a toe marker or the midpoint of the
  first and fifth metatarsal heads.

Because the Harrington offsets are symmetric in the pelvis frame, the line through the two hip joint centres is
parallel to the inter-ASIS line by construction: in 3D both read the same obliquity, and a projected camera can
only differ by perspective. What the like-for-like truth for keypoints is and how far other pelvic lines (iliac
crest, PSIS) sit from it is reported by :func:`truth`.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from scipy.ndimage import minimum_filter1d

from gluteguard.gait.model import KeypointSeries

LAB_AXES = "+X anterior (travel), +Y up, +Z right; metres"
SIDES = ("left", "right")
CONTACT_THRESHOLD_N = 50.0  # vertical GRF above this = a foot on the ground (MANIFEST; usual 20–50 N)
MIN_CONTACT_S = 0.05  # shorter force blips are noise, not steps
FOOT_CONTACT_HEIGHT_M = 0.02  # kinematic contact: lowest foot marker within 2 cm of its own lowest level
# Half widths used only when a joint has a lateral marker and nothing else (assumed typical adult sizes).
HALF_KNEE_WIDTH_M = 0.05
HALF_ANKLE_WIDTH_M = 0.035


@dataclass(frozen=True)
class GroundForces:
    """Vertical ground reaction force; ``left_n``/``right_n`` only when the plates split the feet."""

    rate_hz: float
    time_s: np.ndarray
    vertical_n: np.ndarray
    left_n: np.ndarray | None = None
    right_n: np.ndarray | None = None
    source: str = ""


@dataclass(frozen=True)
class GaitEvent:
    """A labelled event from the capture software (C3D ``EVENT`` group)."""

    side: Literal["left", "right"]
    kind: Literal["foot_strike", "foot_off"]
    time_s: float


@dataclass(frozen=True)
class MarkerTrial:
    """Marker positions of one capture, already in the lab frame of this module (metres).

    ``xyz`` has shape (frames, markers, 3), NaN where a marker was not seen. ``meta["axis_map"]`` says how the
    file's axes were turned into the lab axes.
    """

    rate_hz: float
    time_s: np.ndarray
    names: tuple[str, ...]
    xyz: np.ndarray
    axes: str = LAB_AXES
    source: str = ""
    forces: GroundForces | None = None
    events: tuple[GaitEvent, ...] = ()
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.xyz.shape != (len(self.time_s), len(self.names), 3):
            raise ValueError(f"xyz has shape {self.xyz.shape}, expected ({len(self.time_s)}, {len(self.names)}, 3)")

    @property
    def frames(self) -> int:
        return len(self.time_s)

    def has(self, name: str) -> bool:
        return name.lower() in (n.lower() for n in self.names)

    def marker(self, name: str) -> np.ndarray:
        """(frames, 3) positions of one marker (case-insensitive name)."""
        lowered = [n.lower() for n in self.names]
        return self.xyz[:, lowered.index(name.lower()), :]


# ---------------------------------------------------------------------------------------------------------------
# Marker roles: the same anatomical point has a different name in each lab.

_ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "asis": ("{R}.ASIS", "{R}ASI", "{R}ASIS"),
    "psis": ("{R}.PSIS", "{R}PSI", "{R}PSIS"),
    "crest": ("{R}.Iliac.Crest", "{R}ICR", "{R}IC"),
    "heel": ("{R}.Heel.Bottom", "{R}HEEL", "{R}CAL", "{R}Hee", "{R}.Heel.Top", "{R}HEE"),
    "toe": ("{R}TOE", "{R}Toe2", "{R}.MT2"),
    "mt1": ("{R}.MT1", "{R}P1MT", "{R}ToeM", "{R}MT1"),
    "mt5": ("{R}.MT5", "{R}P5MT", "{R}ToeL", "{R}MT5"),
    "knee_lat": ("{R}.Knee", "{R}LEPI", "{R}KneL", "{R}KNE", "{R}LFE"),
    "knee_med": ("{R}.Knee.Medial", "{R}MEPI", "{R}KneM", "{R}MFE"),
    "ankle_lat": ("{R}.Ankle", "{R}LMAL", "{R}AnkL", "{R}ANK", "{R}LM"),
    "ankle_med": ("{R}.Ankle.Medial", "{R}MMAL", "{R}AnkM", "{R}MM"),
    "shoulder": ("{R}SH", "{R}ACR", "{R}Sho", "{R}SHO", "{R}.Shoulder"),
}
_SACRUM_NAMES = ("SACR", "Sacr", "SACRUM")
_CLUSTER_PATTERNS: dict[str, tuple[str, ...]] = {
    # Rigid marker plates/clusters (RBDS plates, Hamner TH1–3/TB1–3, Dorn THLP/THAD…, TIAP/TILAT…).
    "thigh": (r"{R}\.Thigh\..+", r"{R}TH\d+", r"{R}TH[LA][PD]"),
    "shank": (r"{R}\.Shank\..+", r"{R}TB\d+", r"{R}TI(?:AP|AD|LAT)"),
}
_SIDE_PREFIX = {"left": ("L", "l"), "right": ("R", "r")}


def _role(trial: MarkerTrial, role: str, side: str) -> np.ndarray | None:
    """(frames, 3) of the first marker name that plays ``role`` on ``side``, or None."""
    for pattern in _ROLE_NAMES[role]:
        for letter in _SIDE_PREFIX[side]:
            name = pattern.format(R=letter)
            if trial.has(name):
                return trial.marker(name)
    return None


def _cluster_names(trial: MarkerTrial, segment: str, side: str) -> list[str]:
    """Names of the ≥3 markers of one segment's cluster, or an empty list."""
    letter = _SIDE_PREFIX[side][0]
    for pattern in _CLUSTER_PATTERNS[segment]:
        members = [n for n in trial.names if re.fullmatch(pattern.format(R=letter), n)]
        if len(members) >= 3:
            return members
    return []


def _sacrum(trial: MarkerTrial) -> np.ndarray | None:
    for name in _SACRUM_NAMES:
        if trial.has(name):
            return trial.marker(name)
    return None


# ---------------------------------------------------------------------------------------------------------------
# Rigid-body geometry (batched Kabsch) for gaps and cluster tracking.


def _rigid_fit(reference: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotation (n,3,3) and translation (n,3) with current ≈ R·reference + t, least squares per frame.

    ``reference`` is (k,3), ``current`` (n,k,3), all finite, k ≥ 3.
    """
    ref_centre = reference.mean(axis=0)
    cur_centre = current.mean(axis=1)
    covariance = np.einsum("ki,nkj->nij", reference - ref_centre, current - cur_centre[:, None, :])
    u, _, vt = np.linalg.svd(covariance)
    v = np.transpose(vt, (0, 2, 1))
    ut = np.transpose(u, (0, 2, 1))
    reflection = np.sign(np.linalg.det(v @ ut))  # keep a proper rotation when the markers are near-coplanar
    correction = np.broadcast_to(np.eye(3), (len(current), 3, 3)).copy()
    correction[:, 2, 2] = reflection
    rotation = v @ correction @ ut
    translation = cur_centre - np.einsum("nij,j->ni", rotation, ref_centre)
    return rotation, translation


def _carry_points(reference: np.ndarray, points: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """Points fixed to a rigid cluster, carried from the reference pose into every frame.

    ``reference`` (k,3) is the cluster in the reference pose, ``points`` (m,3) the points in that pose, ``cluster``
    (n,k,3) the cluster per frame with NaN gaps. Frames with fewer than 3 visible cluster markers get NaN.
    """
    frames = cluster.shape[0]
    out = np.full((frames, points.shape[0], 3), np.nan)
    visible = np.isfinite(cluster).all(axis=2)
    patterns, inverse = np.unique(visible, axis=0, return_inverse=True)
    for pattern_index, pattern in enumerate(patterns):
        if pattern.sum() < 3:
            continue
        rows = np.flatnonzero(inverse.ravel() == pattern_index)
        rotation, translation = _rigid_fit(reference[pattern], cluster[rows][:, pattern, :])
        out[rows] = np.einsum("nij,mj->nmi", rotation, points) + translation[:, None, :]
    return out


def fill_rigid_gaps(cluster: np.ndarray) -> np.ndarray:
    """Fill NaN gaps of markers on one rigid body from the other visible markers (≥3) of that body.

    Why: R.ASIS has 4–5 % gaps in the BMC files; the pelvis is rigid enough that the missing ASIS follows from
    the other ASIS, the PSIS and the iliac crests. The reference pose is the complete frame nearest the median.
    """
    complete = np.isfinite(cluster).all(axis=(1, 2))
    if complete.all() or not complete.any():
        return cluster
    candidates = cluster[complete]
    median = np.median(candidates, axis=0)
    centred = candidates - candidates.mean(axis=1, keepdims=True)
    reference = candidates[np.argmin(np.linalg.norm(centred - (median - median.mean(axis=0)), axis=(1, 2)))]
    carried = _carry_points(reference, reference, cluster)
    return np.where(np.isfinite(cluster), cluster, carried)


def _functional_centre(cluster_a: np.ndarray, cluster_b: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """The point fixed in both segments (least squares over frames), pulled weakly towards ``prior`` (n,3).

    Why the prior: a knee is nearly a hinge, so the pure solution can slide along the flexion axis; the weak
    pull picks the point on that axis nearest the prior, which sits just medial of the clusters.
    """
    usable = np.isfinite(cluster_a).all(axis=(1, 2)) & np.isfinite(cluster_b).all(axis=(1, 2))
    usable &= np.isfinite(prior).all(axis=1)
    if usable.sum() < 10:
        return np.full_like(prior, np.nan)
    step = max(1, int(usable.sum() // 600))  # 600 frames pin the solution; more only costs time
    rows = np.flatnonzero(usable)[::step]
    ref_a, ref_b = cluster_a[rows[0]], cluster_b[rows[0]]
    rot_a, tr_a = _rigid_fit(ref_a, cluster_a[rows])
    rot_b, tr_b = _rigid_fit(ref_b, cluster_b[rows])
    # Unknowns: the point in A's reference pose (3) and in B's (3); R_a·p_a + t_a = R_b·p_b + t_b.
    design = np.concatenate([rot_a, -rot_b], axis=2).reshape(-1, 6)
    target = (tr_b - tr_a).reshape(-1)
    prior_a = np.einsum("nji,nj->ni", rot_a, prior[rows] - tr_a).mean(axis=0)
    prior_b = np.einsum("nji,nj->ni", rot_b, prior[rows] - tr_b).mean(axis=0)
    weight = math.sqrt(0.05 * len(rows))
    design = np.vstack([design, weight * np.eye(6)])
    target = np.concatenate([target, weight * np.concatenate([prior_a, prior_b])])
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    local_a = solution[:3]
    centre = _carry_points(ref_a, local_a[None, :], cluster_a)[:, 0, :]
    centre_b = _carry_points(ref_b, solution[3:][None, :], cluster_b)[:, 0, :]
    return np.where(np.isfinite(centre), centre, centre_b)


# ---------------------------------------------------------------------------------------------------------------
# Pelvis and joint centres.


@dataclass(frozen=True)
class Pelvis:
    """Per-frame pelvis: the ASIS, the hip joint centres and the pelvis axes (unit vectors), lab frame."""

    asis: dict[str, np.ndarray]
    hip_centre: dict[str, np.ndarray]
    anterior: np.ndarray
    up: np.ndarray
    right: np.ndarray
    width_m: float  # median inter-ASIS distance
    depth_m: float  # median mid-ASIS to mid-PSIS distance


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return vectors / norm


def pelvis(trial: MarkerTrial) -> Pelvis:
    """ASIS (gaps filled rigidly), pelvis axes and Harrington 2007 hip joint centres.

    Raises ``ValueError`` when the trial has no ASIS pair or nothing behind them (PSIS or sacrum).
    """
    asis_r, asis_l = _role(trial, "asis", "right"), _role(trial, "asis", "left")
    psis_r, psis_l = _role(trial, "psis", "right"), _role(trial, "psis", "left")
    sacrum = _sacrum(trial)
    if asis_r is None or asis_l is None:
        raise ValueError(f"{trial.source}: no left/right ASIS markers")
    if (psis_r is None or psis_l is None) and sacrum is None:
        raise ValueError(f"{trial.source}: no PSIS or sacrum marker for the pelvis depth")
    body = [asis_r, asis_l]
    body += [psis_r, psis_l] if psis_r is not None and psis_l is not None else [sacrum]
    body += [m for m in (_role(trial, "crest", "right"), _role(trial, "crest", "left")) if m is not None]
    filled = fill_rigid_gaps(np.stack(body, axis=1))
    asis_r, asis_l = filled[:, 0], filled[:, 1]
    back = filled[:, 2:4].mean(axis=1) if psis_r is not None and psis_l is not None else filled[:, 2]
    mid_asis = (asis_r + asis_l) / 2
    right = _unit(asis_r - asis_l)
    backward_to_front = mid_asis - back
    anterior = _unit(backward_to_front - np.sum(backward_to_front * right, axis=1, keepdims=True) * right)
    up = np.cross(right, anterior)  # z × x = y in a right-handed x-anterior, y-up, z-right frame
    width = float(np.nanmedian(np.linalg.norm(asis_r - asis_l, axis=1)))
    depth = float(np.nanmedian(np.linalg.norm(backward_to_front, axis=1)))
    # Harrington 2007 regression, in metres (the paper's offsets are in mm).
    along_x = -0.24 * depth - 0.0099
    along_y = -0.30 * width - 0.0109
    along_z = 0.33 * width + 0.0073
    centres = {
        side: mid_asis + along_x * anterior + along_y * up + sign * along_z * right
        for side, sign in (("right", 1.0), ("left", -1.0))
    }
    return Pelvis({"right": asis_r, "left": asis_l}, centres, anterior, up, right, width, depth)


def _static_local(static: MarkerTrial, names: list[str], lateral: str, medial: str, side: str):
    """Cluster shape and the lateral/medial midpoint in the static pose, or None when the static lacks them."""
    if not all(static.has(n) for n in names):
        return None
    lat, med = _role(static, lateral, side), _role(static, medial, side)
    if lat is None or med is None:
        return None
    cluster = np.stack([static.marker(n) for n in names], axis=1)
    good = np.isfinite(cluster).all(axis=(1, 2)) & np.isfinite(lat).all(axis=1) & np.isfinite(med).all(axis=1)
    if good.sum() < 5:
        return None
    return np.median(cluster[good], axis=0), np.median((lat[good] + med[good]) / 2, axis=0)


def _joint_centre(
    trial: MarkerTrial,
    static: MarkerTrial | None,
    side: str,
    joint: Literal["knee", "ankle"],
    pelvis_frame: Pelvis,
) -> tuple[np.ndarray, str]:
    """One knee or ankle centre and the method used (see the module docstring for the order)."""
    lateral, medial = f"{joint}_lat", f"{joint}_med"
    segment = "thigh" if joint == "knee" else "shank"
    lat, med = _role(trial, lateral, side), _role(trial, medial, side)
    if lat is not None and med is not None:
        return (lat + med) / 2, "anatomical markers"
    cluster_names = _cluster_names(trial, segment, side)
    if static is not None and cluster_names:
        found = _static_local(static, cluster_names, lateral, medial, side)
        if found is not None:
            reference, point = found
            cluster = np.stack([trial.marker(n) for n in cluster_names], axis=1)
            return _carry_points(reference, point[None, :], cluster)[:, 0, :], "static trial + cluster"
    medial_direction = -pelvis_frame.right if side == "right" else pelvis_frame.right
    if lat is not None:
        half = HALF_KNEE_WIDTH_M if joint == "knee" else HALF_ANKLE_WIDTH_M
        return lat + half * medial_direction, "lateral marker shifted medially"
    distal_segment = "shank" if joint == "knee" else None
    distal_names = _cluster_names(trial, distal_segment, side) if distal_segment else _foot_names(trial, side)
    if cluster_names and len(distal_names) >= 3:
        cluster_a = np.stack([trial.marker(n) for n in cluster_names], axis=1)
        cluster_b = np.stack([trial.marker(n) for n in distal_names], axis=1)
        prior = (np.nanmean(cluster_a, axis=1) + np.nanmean(cluster_b, axis=1)) / 2 + 0.04 * medial_direction
        return _functional_centre(cluster_a, cluster_b, prior), "functional (clusters)"
    if joint == "ankle":
        heel, toe = _heel(trial, side), _toe(trial, side)
        if heel is not None and toe is not None:
            # Last resort: a fixed point of the foot a quarter of the way to the toe, 6 cm above the heel marker.
            return heel + 0.25 * (toe - heel) + np.array([0.0, 0.06, 0.0]), "foot markers (approximate)"
    frames = trial.frames
    return np.full((frames, 3), np.nan), "missing"


def _foot_names(trial: MarkerTrial, side: str) -> list[str]:
    names = []
    for role in ("heel", "toe", "mt1", "mt5"):
        for pattern in _ROLE_NAMES[role]:
            name = pattern.format(R=_SIDE_PREFIX[side][0])
            if trial.has(name):
                names.append(trial.names[[n.lower() for n in trial.names].index(name.lower())])
                break
    return names


def _heel(trial: MarkerTrial, side: str) -> np.ndarray | None:
    return _role(trial, "heel", side)


def _toe(trial: MarkerTrial, side: str) -> np.ndarray | None:
    toe = _role(trial, "toe", side)
    if toe is not None:
        return toe
    mt1, mt5 = _role(trial, "mt1", side), _role(trial, "mt5", side)
    if mt1 is not None and mt5 is not None:
        return (mt1 + mt5) / 2
    return mt1 if mt1 is not None else mt5


def landmarks(trial: MarkerTrial, static: MarkerTrial | None = None) -> KeypointSeries:
    """Virtual BlazePose landmarks (joint centres, heels, toes, shoulders when marked) in the lab frame, metres.

    ``meta["methods"]`` records how each knee and ankle centre was obtained.
    """
    frame = pelvis(trial)
    points: dict[str, np.ndarray] = {}
    methods: dict[str, str] = {}
    for side in SIDES:
        points[f"{side}_hip"] = frame.hip_centre[side]
        points[f"{side}_knee"], methods[f"{side}_knee"] = _joint_centre(trial, static, side, "knee", frame)
        points[f"{side}_ankle"], methods[f"{side}_ankle"] = _joint_centre(trial, static, side, "ankle", frame)
        for name, found in (("heel", _heel(trial, side)), ("foot_index", _toe(trial, side))):
            points[f"{side}_{name}"] = found if found is not None else np.full((trial.frames, 3), np.nan)
        shoulder = _role(trial, "shoulder", side)
        if shoulder is not None:
            points[f"{side}_shoulder"] = shoulder
    order = [
        name
        for part in ("shoulder", "hip", "knee", "ankle", "heel", "foot_index")
        for name in (f"left_{part}", f"right_{part}")
        if name in points
    ]
    xyz = np.stack([points[n] for n in order], axis=1)
    confidence = np.where(np.isfinite(xyz).all(axis=2), 1.0, 0.0)
    return KeypointSeries(
        fps=trial.rate_hz,
        time_s=trial.time_s,
        names=tuple(order),
        xyz=xyz,
        confidence=confidence,
        units="m",
        source=trial.source,
        meta={"axes": LAB_AXES, "methods": methods, "hip_centre": "Harrington 2007"},
    )


# ---------------------------------------------------------------------------------------------------------------
# The virtual phone camera.


def _resample(time_s: np.ndarray, values: np.ndarray, new_time: np.ndarray) -> np.ndarray:
    """Linear interpolation along axis 0; a sample next to a NaN stays NaN (a phone would not see it either)."""
    upper = np.clip(np.searchsorted(time_s, new_time, side="right"), 1, len(time_s) - 1)
    lower = upper - 1
    span = time_s[upper] - time_s[lower]
    weight = np.clip((new_time - time_s[lower]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    weight = weight.reshape((-1,) + (1,) * (values.ndim - 1))
    return values[lower] * (1 - weight) + values[upper] * weight


def _linear_track(time_s: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares straight line through ``values`` over time (NaN ignored): where a following camera points."""
    good = np.isfinite(values)
    if good.sum() < 2:
        return np.full_like(values, np.nanmean(values) if good.any() else 0.0)
    slope, intercept = np.polyfit(time_s[good], values[good], 1)
    return slope * time_s + intercept


def project(
    source: MarkerTrial | KeypointSeries,
    view: Literal["rear", "side"],
    *,
    static: MarkerTrial | None = None,
    fps: float | None = None,
    image_size: tuple[int, int] = (1920, 1080),
    vertical_fov_deg: float = 40.0,
    distance_m: float = 3.5,
    camera: Literal["pinhole", "orthographic"] = "pinhole",
) -> KeypointSeries:
    """Film the virtual landmarks with a level phone camera at hip height; image pixels, y down.

    ``rear``: the camera stands ``distance_m`` behind the pelvis looking along +X, so the runner's left is on the
    image's left. ``side``: it stands on the runner's right looking along −Z, so travel goes to the image's right
    and the right leg is the near one. On a treadmill the camera stands still; overground it follows the
    pelvis along a straight line (a tracking shot), because a fixed phone would see a 12 m run shrink to a dot.

    Pinhole by default because that is what a phone is: the far leg is smaller and everything off the optical
    axis is seen at a slant; ``orthographic`` (the same scale at the pelvis depth, no perspective) is there to
    separate perspective effects from everything else. The default 1920×1080 frame with a 40° vertical field of
    view is a phone's main camera in landscape; at 3.5 m a 1.8 m runner, and a heel kicked back towards the lens,
    stay inside the frame.
    ``fps`` resamples to a phone-like frame rate (linear interpolation between mocap frames).
    """
    keypoints = source if isinstance(source, KeypointSeries) else landmarks(source, static)
    if keypoints.units not in ("m", "mm"):
        raise ValueError(f"{keypoints.source}: project needs lab coordinates, got units {keypoints.units!r}")
    scale = 0.001 if keypoints.units == "mm" else 1.0
    xyz = keypoints.xyz * scale
    time_s = keypoints.time_s
    hips = [n for n in ("left_hip", "right_hip") if keypoints.has(n)]
    centre = np.nanmean(np.stack([keypoints.point(n) * scale for n in hips], axis=1), axis=1)
    width, height = image_size
    focal = (height / 2) / math.tan(math.radians(vertical_fov_deg) / 2)
    camera_height = float(np.nanmean(centre[:, 1]))
    if view == "rear":
        track = _linear_track(time_s, centre[:, 0])
        depth = xyz[..., 0] - (track - distance_m)[:, None]
        across = xyz[..., 2] - float(np.nanmean(centre[:, 2]))
    elif view == "side":
        track = _linear_track(time_s, centre[:, 0])
        depth = (float(np.nanmean(centre[:, 2])) + distance_m) - xyz[..., 2]
        across = xyz[..., 0] - track[:, None]
    else:
        raise ValueError(f"view must be 'rear' or 'side', got {view!r}")
    if camera == "orthographic":
        depth = np.full_like(depth, distance_m)
    upward = xyz[..., 1] - camera_height
    with np.errstate(invalid="ignore", divide="ignore"):
        image_x = width / 2 + focal * across / depth
        image_y = height / 2 - focal * upward / depth  # image rows grow downwards
    image = np.stack([image_x, image_y, np.full_like(image_x, np.nan)], axis=2)
    confidence = np.where(np.isfinite(image[..., :2]).all(axis=2), 1.0, np.nan)
    rate = keypoints.fps
    if fps is not None and fps != keypoints.fps:
        new_time = np.arange(time_s[0], time_s[-1] + 1e-9, 1.0 / fps)
        image = _resample(time_s, image, new_time)
        confidence = np.where(np.isfinite(image[..., :2]).all(axis=2), 1.0, np.nan)
        time_s, rate = new_time, fps
    return KeypointSeries(
        fps=float(rate),
        time_s=time_s - time_s[0],
        names=keypoints.names,
        xyz=image,
        confidence=confidence,
        units="px",
        source=f"{keypoints.source} (virtual {view} camera)",
        frame_size=(width, height),
        meta={
            "view": view,
            "camera": camera,
            "distance_m": distance_m,
            "focal_px": focal,
            "vertical_fov_deg": vertical_fov_deg,
            "start_time_s": float(keypoints.time_s[0]),
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# 3D ground truth.


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
        marker = _role(trial, role, side)
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
        femur = _unit(frame.hip_centre[side] - knee[side])
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
        foot = _toe(trial, stance.side)
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
        right, left = _role(trial, role, "right"), _role(trial, role, "left")
        if right is not None and left is not None:
            lines[name] = obliquity_deg(right, left)
    drops = {name: pelvic_drop_per_stance(trial.time_s, series, contacts) for name, series in lines.items()}

    knee = {
        side: _joint_centre(trial, static, side, "knee", frame)[0]
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
    lateral_trend = _linear_track(trial.time_s, hip_centre_mid[:, 2])
    foot_lateral = []
    for stance in contacts:
        heel, toe = _heel(trial, stance.side), _toe(trial, stance.side)
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


def with_forces(trial: MarkerTrial, forces: GroundForces) -> MarkerTrial:
    """The trial with its force recording attached (both must start together, as the RBDS pairs do)."""
    return replace(trial, forces=forces)


# ---------------------------------------------------------------------------------------------------------------
# Axis normalisation for readers.

_UPPER_BODY = re.compile(r"ASI|PSI|SACR|Iliac|C7|CLAV|SH$|ACR|Sho", re.IGNORECASE)
_FEET = re.compile(r"HEE|CAL|Heel|TOE|MT\d|P\dMT", re.IGNORECASE)


def _signed_axis(vector: np.ndarray, allowed: list[int]) -> np.ndarray:
    """The signed unit lab axis (among ``allowed`` file axes) closest to ``vector``."""
    axis = max(allowed, key=lambda i: abs(vector[i]))
    out = np.zeros(3)
    out[axis] = 1.0 if vector[axis] >= 0 else -1.0
    return out


def lab_rotation(names: tuple[str, ...], xyz: np.ndarray, source: str = "") -> tuple[np.ndarray, str]:
    """Which file axes are anterior, up and right, detected from the markers; (3×3 matrix, description).

    lab = matrix @ file. Up: the axis along which pelvis/trunk markers sit furthest from the foot markers.
    Anterior: mid-ASIS minus mid-PSIS (or sacrum); failing that, heel → toe; failing that, the direction the
    pelvis travels. Right = anterior × up (right-handed), checked against the R/L marker names; a mirrored
    capture is flipped to match the names, which win. Axes are snapped to ± file axes (no tilt correction).
    """
    probe = MarkerTrial(1.0, np.arange(len(xyz), dtype=float), names, xyz, source=source)
    upper = [i for i, n in enumerate(names) if _UPPER_BODY.search(n)]
    lower = [i for i, n in enumerate(names) if _FEET.search(n)]
    if not upper or not lower:
        raise ValueError("cannot tell up from down: no pelvis/trunk or no foot markers")
    with np.errstate(all="ignore"):
        up_vector = np.nanmedian(xyz[:, upper].reshape(-1, 3), axis=0) - np.nanmedian(xyz[:, lower].reshape(-1, 3), 0)
    up = _signed_axis(up_vector, [0, 1, 2])
    level = [i for i in range(3) if up[i] == 0]

    def median_of(*markers: np.ndarray | None) -> np.ndarray | None:
        if any(m is None for m in markers):
            return None
        return np.nanmedian(np.mean(np.stack(markers, axis=1), axis=1), axis=0)

    front = median_of(_role(probe, "asis", "right"), _role(probe, "asis", "left"))
    back = median_of(_role(probe, "psis", "right"), _role(probe, "psis", "left"))
    if back is None:
        back = median_of(_sacrum(probe))
    if front is None or back is None:
        front = median_of(_toe(probe, "right"), _toe(probe, "left"))
        back = median_of(_heel(probe, "right"), _heel(probe, "left"))
    if front is None or back is None:
        raise ValueError("cannot tell the direction of travel: no ASIS/PSIS and no heel/toe markers")
    anterior = _signed_axis(front - back, level)
    right = np.cross(anterior, up)
    note = ""
    right_asis, left_asis = median_of(_role(probe, "asis", "right")), median_of(_role(probe, "asis", "left"))
    if right_asis is not None and left_asis is not None and float(np.dot(right_asis - left_asis, right)) < 0:
        right, note = -right, " (mirrored capture: right axis flipped to match the R/L marker names)"
    matrix = np.stack([anterior, up, right])
    letters = "XYZ"
    description = ", ".join(
        f"{lab}={'+' if row[np.argmax(np.abs(row))] > 0 else '-'}{letters[int(np.argmax(np.abs(row)))]}file"
        for lab, row in zip(letters, matrix, strict=True)
    )
    return matrix, description + note
