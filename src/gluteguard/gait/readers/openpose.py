"""OpenPose JSON folders: one ``*_keypoints.json`` per frame, ``people[i].pose_keypoints_2d`` = [x, y, c] × N.

Only the BODY_25 model has heels and toes, which the gait pipeline needs; COCO-18 output is refused with a clear
reason. OpenPose writes no frame rate, so ``fps`` is a required argument. Every person is followed from frame to
frame (``gait.people.track_people``) and the one who runs is kept (``pick_runner``: a running gait first, then the
steadiest stride, then the most seen), so a bystander nearer the camera is not analysed instead. Undetected
keypoints (OpenPose writes 0, 0, 0) become NaN.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from gluteguard.gait.model import KeypointError, KeypointSeries
from gluteguard.gait.people import pick_runner, track_people

MAX_FILE_BYTES = 2 * 1024 * 1024  # one frame's JSON is a few kB even with many people
MAX_FILES = 200_000  # ~55 min at 60 fps
MIN_FRAMES = 10
MIN_KEYPOINT_CONFIDENCE = 0.05  # OpenPose reports 0 for undetected points

# BODY_25 index → BlazePose landmark name (OpenPose output documentation, BODY_25 keypoint order).
BODY_25_TO_BLAZEPOSE: dict[int, str] = {
    0: "nose",
    2: "right_shoulder",
    3: "right_elbow",
    4: "right_wrist",
    5: "left_shoulder",
    6: "left_elbow",
    7: "left_wrist",
    9: "right_hip",
    10: "right_knee",
    11: "right_ankle",
    12: "left_hip",
    13: "left_knee",
    14: "left_ankle",
    15: "right_eye",
    16: "left_eye",
    17: "right_ear",
    18: "left_ear",
    19: "left_foot_index",  # LBigToe
    21: "left_heel",
    22: "right_foot_index",  # RBigToe
    24: "right_heel",
}
BODY_25_POINTS = 25
COCO_18_POINTS = 18
_NAMES = tuple(BODY_25_TO_BLAZEPOSE.values())
_COLUMNS = np.array(list(BODY_25_TO_BLAZEPOSE.keys()))
_FRAME_NUMBER = re.compile(r"(\d+)_keypoints\.json$")


def _frame_number(path: Path) -> tuple[int, str]:
    match = _FRAME_NUMBER.search(path.name)
    return (int(match.group(1)) if match else -1, path.name)


def _people(path: Path) -> list[np.ndarray]:
    """Every person in one frame as a (25, 3) array (x, y, c) with undetected points as NaN."""
    where = f"{path.parent.name}/{path.name}"
    if path.stat().st_size > MAX_FILE_BYTES:
        raise KeypointError(f"{where}: larger than {MAX_FILE_BYTES // 1024} kB, not an OpenPose frame")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KeypointError(f"{where}: not valid JSON ({error.__class__.__name__})") from None
    if not isinstance(document, dict) or not isinstance(document.get("people", []), list):
        raise KeypointError(f"{where}: no 'people' list (not OpenPose keypoint JSON)")
    people = []
    for person in document.get("people", []):
        flat = person.get("pose_keypoints_2d") if isinstance(person, dict) else None
        if not isinstance(flat, list) or not flat:
            continue
        if len(flat) == COCO_18_POINTS * 3:
            raise KeypointError(f"{where}: COCO-18 keypoints have no heels or toes; run OpenPose with BODY_25")
        if len(flat) != BODY_25_POINTS * 3:
            raise KeypointError(f"{where}: pose_keypoints_2d has {len(flat)} values, expected 75 (BODY_25)")
        try:
            points = np.array(flat, dtype=float).reshape(BODY_25_POINTS, 3)
        except (TypeError, ValueError):
            raise KeypointError(f"{where}: pose_keypoints_2d holds non-numeric values") from None
        if not np.isfinite(points).all():
            raise KeypointError(f"{where}: pose_keypoints_2d holds non-finite values")
        points[points[:, 2] < MIN_KEYPOINT_CONFIDENCE] = np.nan
        people.append(points)
    return people


def read_openpose_folder(folder: str | Path, fps: float | None) -> KeypointSeries:
    """Read a folder of OpenPose ``*_keypoints.json`` files (BODY_25) as one runner's keypoints."""
    folder = Path(folder)
    where = folder.name or str(folder)
    if fps is None or not (isinstance(fps, int | float) and math.isfinite(fps) and fps > 0):
        raise KeypointError(f"{where}: OpenPose JSON carries no frame rate; pass the video's fps (e.g. --fps 60)")
    if not folder.is_dir():
        raise KeypointError(f"{where}: not a folder of OpenPose *_keypoints.json files")
    files = sorted(folder.glob("*_keypoints.json"), key=_frame_number)
    if len(files) > MAX_FILES:
        raise KeypointError(f"{where}: {len(files)} frames is more than the {MAX_FILES} limit")
    if len(files) < MIN_FRAMES:
        raise KeypointError(f"{where}: only {len(files)} *_keypoints.json frames; at least {MIN_FRAMES} are needed")
    per_frame: list[list[np.ndarray]] = []
    for path in files:
        per_frame.append(_people(path))
    people_seen = max(len(people) for people in per_frame)
    tracks = track_people(per_frame, BODY_25_POINTS)
    if not tracks:
        raise KeypointError(f"{where}: no person found in enough of the frames")
    candidates = [_series(track, float(fps), where) for track in tracks]
    pick = pick_runner(candidates) if len(candidates) > 1 else None
    chosen = candidates[pick.index if pick else 0]
    meta = {"files": len(files), "max_people_in_a_frame": people_seen, **(pick.as_meta() if pick else {})}
    return replace(chosen, meta=meta)


def _series(track: np.ndarray, fps: float, where: str) -> KeypointSeries:
    """One followed person's BODY_25 track as BlazePose-named keypoints."""
    frames = len(track)
    xy = track[:, _COLUMNS, :2]
    xyz = np.concatenate([xy, np.full((frames, len(_NAMES), 1), np.nan)], axis=2)
    confidence = track[:, _COLUMNS, 2]
    return KeypointSeries(
        fps=float(fps),
        time_s=np.arange(frames) / float(fps),
        names=_NAMES,
        xyz=xyz,
        confidence=confidence,
        units="px",
        source=f"OpenPose BODY_25 {where}",
    )
