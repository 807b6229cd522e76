"""Any stride input a runner or a lab has → the keypoint series the pipeline reads.

Videos go through a pose backend (``gait.pose``); keypoint files (our CSV, OpenPose JSON folders, Sports2D/Pose2Sim
TRC) are read as they are; motion-capture markers (TRC, C3D, RBDS text) are turned into joint centres and filmed
by a virtual camera for the chosen view, which also gives the 3D truth to compare with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gluteguard.gait.model import KeypointError, KeypointSeries

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".m4v", ".mkv", ".webm"})


@dataclass(frozen=True)
class GaitInput:
    series: KeypointSeries
    kind: str  # video | keypoints_csv | openpose | keypoints_trc | mocap
    view_hint: str | None = None  # what the source itself says (motion capture is filmed for a chosen view)
    truth: dict | None = None  # 3D ground truth, for motion capture
    extras: dict = field(default_factory=dict)


def _is_rbds_text(path: Path) -> bool:
    """RBDS marker tables are tab-separated text whose header names columns like ``R.ASISX``."""
    if path.suffix.lower() != ".txt":
        return False
    with path.open("rb") as handle:
        head = handle.read(4096)
    return b"\t" in head and b"ASIS" in head


def _mocap(trial, view: str | None, path: Path) -> GaitInput:
    from gluteguard.gait import camera, mocap_truth

    chosen = view or "rear"  # a rear view gives the hip metrics this tool is about
    try:
        series = camera.project(trial, chosen)
        truth = mocap_truth.truth(trial)
    except (ValueError, KeyError) as exc:
        raise KeypointError(f"{path.name}: cannot derive joint centres from these markers ({exc})") from None
    return GaitInput(series, "mocap", chosen, truth)


def read_input(
    path: Path,
    *,
    view: str | None = None,
    fps: float | None = None,
    model: str = "lite",
    crop: tuple[float, float, float, float] | None = None,
    max_seconds: float | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> GaitInput:
    """Read one stride input by its content and name; a one-line ``KeypointError`` when it cannot be used."""
    path = Path(path)
    if not path.exists():
        raise KeypointError(f"{path}: no such file or folder")
    if path.is_dir():
        if any(path.glob("*_keypoints.json")):
            from gluteguard.gait.readers.openpose import read_openpose_folder

            return GaitInput(read_openpose_folder(path, fps), "openpose")
        raise KeypointError(f"{path}: a folder, but not one of OpenPose *_keypoints.json files")
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        from gluteguard.gait.pose import estimate_video
        from gluteguard.gait.pose.capture_rate import read_capture_rate

        series = estimate_video(path, model=model, crop=crop, max_seconds=max_seconds, on_progress=on_progress)
        return GaitInput(series, "video", extras={"tagged_capture_fps": read_capture_rate(path)})
    if suffix == ".csv":
        from gluteguard.gait.readers.csv_keypoints import read_keypoints_csv

        return GaitInput(read_keypoints_csv(path, fps), "keypoints_csv")
    if suffix == ".trc":
        from gluteguard.gait.readers.trc import read_trc

        found = read_trc(path)
        if isinstance(found, KeypointSeries):
            return GaitInput(found, "keypoints_trc")
        return _mocap(found, view, path)
    if suffix == ".c3d":
        from gluteguard.gait.readers.c3d import read_c3d

        return _mocap(read_c3d(path), view, path)
    if _is_rbds_text(path):
        from gluteguard.gait.readers.rbds import read_rbds_trial

        forces = path.with_name(path.name.replace("markers", "forces"))
        if forces == path or not forces.exists():
            stem_forces = path.with_name(path.stem + "forces.txt")
            forces = stem_forces if stem_forces.exists() else None
        return _mocap(read_rbds_trial(path, forces), view, path)
    raise KeypointError(
        f"{path.name}: not a stride input gluteguard reads (a video {', '.join(sorted(VIDEO_SUFFIXES))}; keypoints "
        ".csv, .trc or an OpenPose folder; motion capture .trc, .c3d or RBDS .txt)"
    )
