"""Axis normalisation for motion-capture readers: find up, travel and right from the markers, so every file
comes out in one lab frame (+X anterior, +Y up, +Z right, metres)."""

from __future__ import annotations

import re

import numpy as np

from gluteguard.gait.mocap import MarkerTrial, heel_point, marker_role, sacrum_point, toe_point

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

    front = median_of(marker_role(probe, "asis", "right"), marker_role(probe, "asis", "left"))
    back = median_of(marker_role(probe, "psis", "right"), marker_role(probe, "psis", "left"))
    if back is None:
        back = median_of(sacrum_point(probe))
    if front is None or back is None:
        front = median_of(toe_point(probe, "right"), toe_point(probe, "left"))
        back = median_of(heel_point(probe, "right"), heel_point(probe, "left"))
    if front is None or back is None:
        raise ValueError("cannot tell the direction of travel: no ASIS/PSIS and no heel/toe markers")
    anterior = _signed_axis(front - back, level)
    right = np.cross(anterior, up)
    note = ""
    right_asis, left_asis = (
        median_of(marker_role(probe, "asis", "right")),
        median_of(marker_role(probe, "asis", "left")),
    )
    if right_asis is not None and left_asis is not None and float(np.dot(right_asis - left_asis, right)) < 0:
        right, note = -right, " (mirrored capture: right axis flipped to match the R/L marker names)"
    matrix = np.stack([anterior, up, right])
    letters = "XYZ"
    description = ", ".join(
        f"{lab}={'+' if row[np.argmax(np.abs(row))] > 0 else '-'}{letters[int(np.argmax(np.abs(row)))]}file"
        for lab, row in zip(letters, matrix, strict=True)
    )
    return matrix, description + note
