"""The documented keypoint CSV: one row per landmark per frame.

Columns ``frame, time_s, landmark, x, y, z, confidence`` (header required, any order; ``z`` and ``confidence`` may
be left empty or left out). Landmark names are BlazePose's in snake case; x/y are image pixels with y pointing
down; z is empty for 2D. Every problem becomes a one-line :class:`KeypointError` naming the file.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from gluteguard.gait.model import BLAZEPOSE_LANDMARKS, REQUIRED_LANDMARKS, KeypointError, KeypointSeries

MAX_BYTES = 200 * 1024 * 1024  # ~10 min of 60 fps × 33 landmarks is ~60 MB; anything far bigger is not ours
MIN_FRAMES = 10
REQUIRED_COLUMNS = ("frame", "time_s", "landmark", "x", "y")
OPTIONAL_COLUMNS = ("z", "confidence")
_LANDMARK_INDEX = {name: i for i, name in enumerate(BLAZEPOSE_LANDMARKS)}


def _number(text: str, column: str, line: int, where: str, allow_empty: bool) -> float:
    text = text.strip()
    if not text:
        if allow_empty:
            return math.nan
        raise KeypointError(f"{where}: line {line}: empty {column}")
    try:
        value = float(text)
    except ValueError:
        raise KeypointError(f"{where}: line {line}: {column} {text[:30]!r} is not a number") from None
    if math.isinf(value):
        raise KeypointError(f"{where}: line {line}: {column} is infinite")
    return value


def read_keypoints_csv(path: str | Path, fps: float | None = None) -> KeypointSeries:
    """Read the documented keypoint CSV. ``fps`` overrides the rate derived from ``time_s``."""
    path = Path(path)
    where = path.name
    try:
        size = path.stat().st_size
    except OSError as error:
        raise KeypointError(f"{where}: cannot read ({error.strerror or error})") from None
    if size > MAX_BYTES:
        raise KeypointError(f"{where}: {size / 1e6:.0f} MB is larger than the {MAX_BYTES / 1e6:.0f} MB limit")
    frame_ids: list[int] = []
    times: list[float] = []
    landmark_ids: list[int] = []
    values: list[tuple[float, float, float, float]] = []
    unknown: set[str] = set()
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise KeypointError(f"{where}: the file is empty")
            columns = {name.strip().lower(): i for i, name in enumerate(header)}
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise KeypointError(
                    f"{where}: missing columns {', '.join(missing)}"
                    f" (expected {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})"
                )
            index = {c: columns.get(c) for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
            width = max(i for i in index.values() if i is not None) + 1
            for line, row in enumerate(reader, start=2):
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) < width:
                    row = row + [""] * (width - len(row))
                name = row[index["landmark"]].strip().lower()
                if name not in _LANDMARK_INDEX:
                    unknown.add(name)
                    continue
                frame = _number(row[index["frame"]], "frame", line, where, allow_empty=False)
                if frame != int(frame) or frame < 0:
                    raise KeypointError(f"{where}: line {line}: frame {frame:g} is not a non-negative whole number")
                optional = {c: row[i] if i is not None else "" for c, i in index.items() if c in OPTIONAL_COLUMNS}
                frame_ids.append(int(frame))
                times.append(_number(row[index["time_s"]], "time_s", line, where, allow_empty=False))
                landmark_ids.append(_LANDMARK_INDEX[name])
                values.append(
                    (
                        _number(row[index["x"]], "x", line, where, allow_empty=True),
                        _number(row[index["y"]], "y", line, where, allow_empty=True),
                        _number(optional["z"], "z", line, where, allow_empty=True),
                        _number(optional["confidence"], "confidence", line, where, allow_empty=True),
                    )
                )
    except UnicodeDecodeError:
        raise KeypointError(f"{where}: not a UTF-8 text file") from None
    except csv.Error as error:
        raise KeypointError(f"{where}: not a readable CSV ({error})") from None
    if unknown:
        listed = ", ".join(sorted(repr(u) for u in unknown)[:8])
        raise KeypointError(f"{where}: unknown landmarks {listed} (use BlazePose snake-case names)")
    return _assemble(where, np.array(frame_ids), np.array(times), np.array(landmark_ids), np.array(values), fps)


def _assemble(
    where: str,
    frame_ids: np.ndarray,
    times: np.ndarray,
    landmark_ids: np.ndarray,
    values: np.ndarray,
    fps: float | None,
) -> KeypointSeries:
    if frame_ids.size == 0:
        raise KeypointError(f"{where}: no keypoint rows")
    unique_frames, frame_index = np.unique(frame_ids, return_inverse=True)
    frames = unique_frames.size
    if frames < MIN_FRAMES:
        raise KeypointError(f"{where}: only {frames} frames; at least {MIN_FRAMES} are needed")
    present = np.unique(landmark_ids)
    names = tuple(BLAZEPOSE_LANDMARKS[i] for i in present)
    missing = [name for name in REQUIRED_LANDMARKS if name not in names]
    if missing:
        raise KeypointError(f"{where}: missing required landmarks {', '.join(missing)}")
    column = np.searchsorted(present, landmark_ids)
    cell = frame_index * len(names) + column
    if np.unique(cell).size != cell.size:
        raise KeypointError(f"{where}: a landmark appears twice in the same frame")
    xyz = np.full((frames, len(names), 3), np.nan)
    confidence = np.full((frames, len(names)), np.nan)
    xyz[frame_index, column] = values[:, :3]
    confidence[frame_index, column] = values[:, 3]
    time_s = np.full(frames, np.nan)
    time_s[frame_index] = times  # every row of a frame should carry the same time; the last one wins
    if np.any(np.diff(time_s) <= 0):
        raise KeypointError(f"{where}: time_s does not increase with frame")
    if fps is None:
        step = float(np.median(np.diff(time_s)))
        fps = 1.0 / step
    if not (math.isfinite(fps) and fps > 0):
        raise KeypointError(f"{where}: cannot tell the frame rate; pass fps")
    return KeypointSeries(
        fps=float(fps),
        time_s=time_s - time_s[0],
        names=names,
        xyz=xyz,
        confidence=confidence,
        units="px",
        source=f"keypoint CSV {where}",
        meta={"frame_numbers": unique_frames.tolist()[:1] + unique_frames.tolist()[-1:]},
    )


def _cell(value: float, digits: int) -> str:
    return "" if not math.isfinite(value) else f"{value:.{digits}f}"


def keypoints_csv_text(series: KeypointSeries) -> str:
    """A series as the documented CSV (what ``read_keypoints_csv`` reads back): keeps a video's pose stage so the
    clip can be re-analysed, or shared, without running the pose model again."""
    lines = ["frame,time_s,landmark,x,y,z,confidence\n"]
    for f in range(series.frames):
        time_s = f"{series.time_s[f]:.6f}"
        for i, name in enumerate(series.names):
            x, y, z = series.xyz[f, i]
            confidence = series.confidence[f, i]
            lines.append(f"{f},{time_s},{name},{_cell(x, 3)},{_cell(y, 3)},{_cell(z, 3)},{_cell(confidence, 3)}\n")
    return "".join(lines)
