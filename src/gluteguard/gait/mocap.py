"""Motion-capture trials → virtual joint centres (the trial model and the landmarks a pose model would give).

The virtual phone camera is in ``gait/camera.py``, the 3D ground truth in ``gait/mocap_truth.py`` and the readers'
axis normalisation in ``gait/readers/axes.py``.

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

import math
import re
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from gluteguard.gait.model import KeypointSeries
from gluteguard.gait.signal import nanmean_or_nan

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


def marker_role(trial: MarkerTrial, role: str, side: str) -> np.ndarray | None:
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


def sacrum_point(trial: MarkerTrial) -> np.ndarray | None:
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


def unit_vectors(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return vectors / norm


def pelvis(trial: MarkerTrial) -> Pelvis:
    """ASIS (gaps filled rigidly), pelvis axes and Harrington 2007 hip joint centres.

    Raises ``ValueError`` when the trial has no ASIS pair or nothing behind them (PSIS or sacrum).
    """
    asis_r, asis_l = marker_role(trial, "asis", "right"), marker_role(trial, "asis", "left")
    psis_r, psis_l = marker_role(trial, "psis", "right"), marker_role(trial, "psis", "left")
    sacrum = sacrum_point(trial)
    if asis_r is None or asis_l is None:
        raise ValueError(f"{trial.source}: no left/right ASIS markers")
    if (psis_r is None or psis_l is None) and sacrum is None:
        raise ValueError(f"{trial.source}: no PSIS or sacrum marker for the pelvis depth")
    body = [asis_r, asis_l]
    body += [psis_r, psis_l] if psis_r is not None and psis_l is not None else [sacrum]
    body += [m for m in (marker_role(trial, "crest", "right"), marker_role(trial, "crest", "left")) if m is not None]
    filled = fill_rigid_gaps(np.stack(body, axis=1))
    asis_r, asis_l = filled[:, 0], filled[:, 1]
    back = filled[:, 2:4].mean(axis=1) if psis_r is not None and psis_l is not None else filled[:, 2]
    mid_asis = (asis_r + asis_l) / 2
    right = unit_vectors(asis_r - asis_l)
    backward_to_front = mid_asis - back
    anterior = unit_vectors(backward_to_front - np.sum(backward_to_front * right, axis=1, keepdims=True) * right)
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
    lat, med = marker_role(static, lateral, side), marker_role(static, medial, side)
    if lat is None or med is None:
        return None
    cluster = np.stack([static.marker(n) for n in names], axis=1)
    good = np.isfinite(cluster).all(axis=(1, 2)) & np.isfinite(lat).all(axis=1) & np.isfinite(med).all(axis=1)
    if good.sum() < 5:
        return None
    return np.median(cluster[good], axis=0), np.median((lat[good] + med[good]) / 2, axis=0)


def joint_centre(
    trial: MarkerTrial,
    static: MarkerTrial | None,
    side: str,
    joint: Literal["knee", "ankle"],
    pelvis_frame: Pelvis,
) -> tuple[np.ndarray, str]:
    """One knee or ankle centre and the method used (see the module docstring for the order)."""
    lateral, medial = f"{joint}_lat", f"{joint}_med"
    segment = "thigh" if joint == "knee" else "shank"
    lat, med = marker_role(trial, lateral, side), marker_role(trial, medial, side)
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
        prior = (nanmean_or_nan(cluster_a, axis=1) + nanmean_or_nan(cluster_b, axis=1)) / 2 + 0.04 * medial_direction
        return _functional_centre(cluster_a, cluster_b, prior), "functional (clusters)"
    if joint == "ankle":
        heel, toe = heel_point(trial, side), toe_point(trial, side)
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


def heel_point(trial: MarkerTrial, side: str) -> np.ndarray | None:
    return marker_role(trial, "heel", side)


def toe_point(trial: MarkerTrial, side: str) -> np.ndarray | None:
    toe = marker_role(trial, "toe", side)
    if toe is not None:
        return toe
    mt1, mt5 = marker_role(trial, "mt1", side), marker_role(trial, "mt5", side)
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
        points[f"{side}_knee"], methods[f"{side}_knee"] = joint_centre(trial, static, side, "knee", frame)
        points[f"{side}_ankle"], methods[f"{side}_ankle"] = joint_centre(trial, static, side, "ankle", frame)
        for name, found in (("heel", heel_point(trial, side)), ("foot_index", toe_point(trial, side))):
            points[f"{side}_{name}"] = found if found is not None else np.full((trial.frames, 3), np.nan)
        shoulder = marker_role(trial, "shoulder", side)
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


def with_forces(trial: MarkerTrial, forces: GroundForces) -> MarkerTrial:
    """The trial with its force recording attached (both must start together, as the RBDS pairs do)."""
    return replace(trial, forces=forces)
