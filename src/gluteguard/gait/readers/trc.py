"""OpenSim TRC files: motion-capture markers → ``MarkerTrial``; Sports2D/Pose2Sim keypoints → ``KeypointSeries``.

Layout (tab-separated): line 1 ``PathFileType``, line 2 header keys (``DataRate … Units …``), line 3 their values,
line 4 ``Frame# Time`` then one name per marker (each followed by two empty cells), line 5 ``X1 Y1 Z1 …``, data
from line 6 (some writers leave a blank line first). Empty cells are gaps.

Which kind a file is follows from its marker names: HALPE_26 / BODY_25 keypoint names (``RHip``, ``LKnee``,
``RBigToe``…) mean a pose tool wrote it; anything else is treated as mocap markers. Marker files are normalised to
the lab frame of :mod:`gluteguard.gait.mocap` (+X anterior, +Y up, +Z right, metres), detected from the markers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gluteguard.gait.mocap import MarkerTrial
from gluteguard.gait.model import BLAZEPOSE_LANDMARKS, KeypointError, KeypointSeries
from gluteguard.gait.readers.axes import lab_rotation

# Pose-tool keypoint names (HALPE_26, BODY_25, COCO_133 body part) → BlazePose names.
POSE_TOOL_TO_BLAZEPOSE: dict[str, str] = {
    "Nose": "nose",
    "LEye": "left_eye",
    "REye": "right_eye",
    "LEar": "left_ear",
    "REar": "right_ear",
    "LShoulder": "left_shoulder",
    "RShoulder": "right_shoulder",
    "LElbow": "left_elbow",
    "RElbow": "right_elbow",
    "LWrist": "left_wrist",
    "RWrist": "right_wrist",
    "LHip": "left_hip",
    "RHip": "right_hip",
    "LKnee": "left_knee",
    "RKnee": "right_knee",
    "LAnkle": "left_ankle",
    "RAnkle": "right_ankle",
    "LHeel": "left_heel",
    "RHeel": "right_heel",
    "LBigToe": "left_foot_index",
    "RBigToe": "right_foot_index",
}
_KEYPOINT_EVIDENCE = {"LHip", "RHip", "LKnee", "RKnee", "LAnkle", "RAnkle"}
UNIT_TO_METRES = {"mm": 0.001, "cm": 0.01, "m": 1.0}


def source_bytes(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    """The raw bytes of a path or of given bytes, and the label used in error messages."""
    if isinstance(source, bytes):
        return source, name or "<bytes>"
    path = Path(source)
    label = name or path.name
    try:
        return path.read_bytes(), label
    except OSError as error:
        raise KeypointError(f"{label}: cannot read the file ({error.strerror or error})") from None


def decode_text(raw: bytes, label: str) -> str:
    if b"\x00" in raw[:4096]:
        raise KeypointError(f"{label}: binary data, not a text table")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def numeric_table(rows: list[list[str]], width: int, label: str) -> np.ndarray:
    """Rows of text cells → float array (rows, width); empty or missing cells become NaN."""
    cells = np.array([(row + [""] * width)[:width] for row in rows])
    cells = np.char.strip(cells)
    cells[cells == ""] = "nan"
    try:
        return cells.astype(float)
    except ValueError as error:
        bad = str(error).split(":")[-1].strip()
        raise KeypointError(f"{label}: non-numeric value {bad} in the data") from None


def _parse(text: str, label: str) -> tuple[dict[str, str], list[str], np.ndarray, np.ndarray]:
    """(header, marker names, time (frames,), positions (frames, markers, 3)) in the file's own units."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("PathFileType"):
        raise KeypointError(f"{label}: not a TRC file (no PathFileType line)")
    if len(lines) < 6:
        raise KeypointError(f"{label}: TRC header is incomplete ({len(lines)} lines)")
    keys, values = lines[1].split("\t"), lines[2].split("\t")
    header = {k.strip(): v.strip() for k, v in zip(keys, values, strict=False) if k.strip()}
    name_cells = lines[3].split("\t")
    if len(name_cells) < 3 or not name_cells[0].startswith("Frame"):
        raise KeypointError(f"{label}: line 4 does not name the markers (Frame#, Time, …)")
    names = [cell.strip() for cell in name_cells[2:] if cell.strip()]
    if not names:
        raise KeypointError(f"{label}: no marker names on line 4")
    rows = [line.split("\t") for line in lines[5:] if line.strip()]
    if not rows:
        raise KeypointError(f"{label}: no data rows")
    table = numeric_table(rows, 2 + 3 * len(names), label)
    return header, names, table[:, 1], table[:, 2:].reshape(len(rows), len(names), 3)


def _rate(header: dict[str, str], time_s: np.ndarray, label: str) -> float:
    try:
        rate = float(header.get("DataRate", "nan"))
    except ValueError:
        rate = float("nan")
    if not rate > 0:
        steps = np.diff(time_s[np.isfinite(time_s)])
        rate = 1.0 / float(np.median(steps)) if steps.size and np.median(steps) > 0 else float("nan")
    if not rate > 0:
        raise KeypointError(f"{label}: no DataRate in the header and no usable Time column")
    return rate


def is_keypoint_trc(names: list[str] | tuple[str, ...]) -> bool:
    """A pose tool's TRC names hips, knees and ankles the HALPE/BODY_25 way."""
    return len(_KEYPOINT_EVIDENCE & set(names)) >= 4


def read_trc(source: str | Path | bytes, name: str | None = None) -> MarkerTrial | KeypointSeries:
    """Read any TRC: a keypoint series when a pose tool wrote it, else a marker trial."""
    raw, label = source_bytes(source, name)
    header, names, time_s, xyz = _parse(decode_text(raw, label), label)
    if is_keypoint_trc(names):
        return _keypoints(header, names, time_s, xyz, label)
    return _markers(header, names, time_s, xyz, label)


def read_marker_trc(source: str | Path | bytes, name: str | None = None) -> MarkerTrial:
    """Read a mocap TRC into the lab frame (metres); a keypoint TRC is an error here."""
    found = read_trc(source, name)
    if not isinstance(found, MarkerTrial):
        raise KeypointError(f"{found.source}: holds pose keypoints, not mocap markers")
    return found


def read_keypoint_trc(source: str | Path | bytes, name: str | None = None) -> KeypointSeries:
    """Read a Sports2D/Pose2Sim TRC as BlazePose-named keypoints; a mocap TRC is an error here."""
    found = read_trc(source, name)
    if not isinstance(found, KeypointSeries):
        raise KeypointError(f"{found.source}: holds mocap markers, not pose keypoints (use read_marker_trc)")
    return found


def _markers(header: dict[str, str], names: list[str], time_s: np.ndarray, xyz: np.ndarray, label: str) -> MarkerTrial:
    units = header.get("Units", "").lower()
    if units not in UNIT_TO_METRES:
        raise KeypointError(f"{label}: unknown marker units {header.get('Units', '')!r} (expected mm, cm or m)")
    rate = _rate(header, time_s, label)
    positions = xyz * UNIT_TO_METRES[units]
    try:
        rotation, description = lab_rotation(tuple(names), positions, label)
    except ValueError as error:
        raise KeypointError(f"{label}: {error}") from None
    if not np.isfinite(time_s).all():
        time_s = np.arange(len(time_s)) / rate
    return MarkerTrial(
        rate_hz=rate,
        time_s=time_s.astype(float),
        names=tuple(names),
        xyz=positions @ rotation.T,
        source=label,
        meta={"axis_map": description, "file_units": units, "format": "trc"},
    )


def _keypoints(
    header: dict[str, str], names: list[str], time_s: np.ndarray, xyz: np.ndarray, label: str
) -> KeypointSeries:
    rate = _rate(header, time_s, label)
    units = header.get("Units", "").lower()
    in_pixels = units == "px" or label.lower().endswith("_px.trc")
    if not in_pixels and units not in UNIT_TO_METRES:
        raise KeypointError(f"{label}: unknown keypoint units {header.get('Units', '')!r}")
    mapped = [(POSE_TOOL_TO_BLAZEPOSE[n], i) for i, n in enumerate(names) if n in POSE_TOOL_TO_BLAZEPOSE]
    mapped.sort(key=lambda pair: BLAZEPOSE_LANDMARKS.index(pair[0]))
    picked = xyz[:, [i for _, i in mapped], :].copy()
    if in_pixels:
        # Sports2D's pixel TRC may store rows negated (y up, for OpenSim); image rows are never negative.
        if np.nanmedian(picked[..., 1]) < 0:
            picked[..., 1] = -picked[..., 1]
        picked[..., 2] = np.nan
        out_units = "px"
    else:
        picked = picked * UNIT_TO_METRES[units]
        out_units = "m"
    if not np.isfinite(time_s).all():
        time_s = np.arange(len(time_s)) / rate
    return KeypointSeries(
        fps=rate,
        time_s=time_s.astype(float),
        names=tuple(name for name, _ in mapped),
        xyz=picked,
        confidence=np.full(picked.shape[:2], np.nan),  # TRC carries no scores
        units=out_units,
        source=label,
        meta={"format": "trc", "dropped": [n for n in names if n not in POSE_TOOL_TO_BLAZEPOSE]},
    )
