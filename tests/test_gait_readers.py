"""Keypoint readers: the documented CSV and OpenPose BODY_25 JSON folders, including bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gluteguard.gait.analysis import analyze
from gluteguard.gait.model import REQUIRED_LANDMARKS, KeypointError, KeypointSeries
from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text, read_keypoints_csv
from gluteguard.gait.readers.openpose import BODY_25_TO_BLAZEPOSE, read_openpose_folder
from gluteguard.samples.gait_synth import synthetic_run

HEADER = "frame,time_s,landmark,x,y,z,confidence\n"


def _write_csv(path: Path, series: KeypointSeries) -> Path:
    path.write_text(keypoints_csv_text(series), encoding="utf-8")
    return path


def _one_line_error(excinfo: pytest.ExceptionInfo[KeypointError], file_name: str) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    assert file_name in message
    return message


# ----------------------------------------------------------------------------------------------- CSV


def test_csv_round_trip_and_analysis(tmp_path: Path) -> None:
    series = synthetic_run(view="rear", seconds=6, fps=50, pelvic_drop_deg=(3, 8), dropout=0.01, seed=2)
    loaded = read_keypoints_csv(_write_csv(tmp_path / "run.csv", series))
    assert loaded.fps == pytest.approx(50, rel=1e-3)
    assert loaded.frames == series.frames
    assert set(loaded.names) == set(series.names)
    index = loaded.names.index("left_hip")
    original = series.names.index("left_hip")
    assert np.allclose(loaded.xyz[:, index, :2], series.xyz[:, original, :2], atol=1e-3, equal_nan=True)
    assert np.isnan(loaded.xyz[:, :, 2]).all()  # 2D: z empty
    analysis = analyze(loaded, "rear")
    assert analysis.metrics["pelvic_drop_deg"].by_side["right"].mean == pytest.approx(
        series.meta["truth"]["pelvic_drop_deg"]["right"], abs=1.0
    )


def test_csv_fps_override_and_column_order(tmp_path: Path) -> None:
    series = synthetic_run(view="rear", seconds=1, fps=30)
    path = _write_csv(tmp_path / "k.csv", series)
    rows = path.read_text().splitlines()
    # Reorder columns: landmark first, confidence dropped.
    reordered = ["landmark,frame,time_s,x,y,z"] + [
        ",".join([r.split(",")[2], *r.split(",")[:2], *r.split(",")[3:6]]) for r in rows[1:]
    ]
    path.write_text("\n".join(reordered) + "\n")
    loaded = read_keypoints_csv(path, fps=29.97)
    assert loaded.fps == 29.97
    assert np.isnan(loaded.confidence).all()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "empty"),
        ("frame,time_s,x,y\n0,0,1,2\n", "missing columns landmark"),
        (HEADER + "0,0,left_hip,abc,1,,0.9\n", "line 2: x 'abc' is not a number"),
        (
            HEADER + "0,0,left_hip,1,2,,0.9\n0,0,left_tail,1,2,,0.9\n0,0,wing,1,2,,0.9\n",
            "unknown landmarks 'left_tail', 'wing'",
        ),
        (HEADER + "0.5,0,left_hip,1,2,,0.9\n", "frame 0.5 is not a non-negative whole number"),
        (HEADER + "".join(f"{f},{f / 30},left_hip,1,2,,0.9\n" for f in range(3)), "only 3 frames"),
        (HEADER + "".join(f"{f},{f / 30},left_hip,1,2,,0.9\n" for f in range(20)), "missing required landmarks"),
    ],
)
def test_csv_bad_files_give_one_line_errors(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad_keypoints.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KeypointError) as excinfo:
        read_keypoints_csv(path)
    assert expected in _one_line_error(excinfo, "bad_keypoints.csv")


def test_csv_time_must_increase_and_missing_file(tmp_path: Path) -> None:
    rows = [HEADER]
    for f in range(12):
        for name in REQUIRED_LANDMARKS:
            rows.append(f"{f},{0.5 if f == 5 else f / 30},{name},1,2,,0.9\n")
    path = tmp_path / "backwards.csv"
    path.write_text("".join(rows))
    with pytest.raises(KeypointError) as excinfo:
        read_keypoints_csv(path)
    assert "time_s does not increase" in _one_line_error(excinfo, "backwards.csv")
    with pytest.raises(KeypointError) as excinfo:
        read_keypoints_csv(tmp_path / "nowhere.csv")
    _one_line_error(excinfo, "nowhere.csv")


def test_csv_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "video.csv"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    with pytest.raises(KeypointError) as excinfo:
        read_keypoints_csv(path)
    _one_line_error(excinfo, "video.csv")


# ----------------------------------------------------------------------------------------------- OpenPose

_BLAZE_TO_BODY25 = {name: index for index, name in BODY_25_TO_BLAZEPOSE.items()}


def _person(series: KeypointSeries, frame: int, shift_x: float = 0.0, scale: float = 1.0) -> list[float]:
    flat = [0.0] * 75
    for name, index in _BLAZE_TO_BODY25.items():
        if not series.has(name):
            continue
        x, y, _ = series.point(name)[frame]
        if np.isnan(x):
            continue
        flat[3 * index : 3 * index + 3] = [float(x * scale + shift_x), float(y * scale), 0.8]
    return flat


def _write_openpose(folder: Path, series: KeypointSeries, bystander: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(series.frames):
        people = [{"person_id": [-1], "pose_keypoints_2d": _person(series, f)}]
        if bystander:
            # A smaller person far to the side, listed first so the reader must choose by size and tracking.
            people.insert(0, {"person_id": [-1], "pose_keypoints_2d": _person(series, f, shift_x=900.0, scale=0.4)})
        (folder / f"clip_{f:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": people}))
    return folder


def test_openpose_body25_folder_follows_the_runner(tmp_path: Path) -> None:
    series = synthetic_run(view="side", seconds=6, fps=60, seed=3)
    folder = _write_openpose(tmp_path / "op", series, bystander=True)
    loaded = read_openpose_folder(folder, fps=60)
    assert loaded.frames == series.frames
    assert set(REQUIRED_LANDMARKS) <= set(loaded.names)
    heel = loaded.point("left_heel")[:, :2]
    assert np.allclose(heel, series.point("left_heel")[:, :2], atol=1e-6)  # the runner, never the bystander
    analysis = analyze(loaded)
    assert analysis.view == "side"
    assert analysis.cadence_spm == pytest.approx(170, abs=1.0)


def test_openpose_needs_fps(tmp_path: Path) -> None:
    folder = _write_openpose(tmp_path / "op", synthetic_run(view="rear", seconds=0.5, fps=30))
    with pytest.raises(KeypointError) as excinfo:
        read_openpose_folder(folder, fps=None)
    assert "fps" in _one_line_error(excinfo, "op")


def test_openpose_bad_frames(tmp_path: Path) -> None:
    series = synthetic_run(view="rear", seconds=0.5, fps=30)
    folder = _write_openpose(tmp_path / "op", series)
    broken = folder / "clip_000000000003_keypoints.json"
    broken.write_text("{not json")
    with pytest.raises(KeypointError) as excinfo:
        read_openpose_folder(folder, fps=30)
    assert "not valid JSON" in _one_line_error(excinfo, "clip_000000000003_keypoints.json")
    broken.write_text(json.dumps({"people": [{"pose_keypoints_2d": [1.0] * 54}]}))
    with pytest.raises(KeypointError) as excinfo:
        read_openpose_folder(folder, fps=30)
    assert "BODY_25" in _one_line_error(excinfo, "clip_000000000003_keypoints.json")
    broken.write_text(json.dumps({"people": [{"pose_keypoints_2d": ["a"] * 75}]}))
    with pytest.raises(KeypointError) as excinfo:
        read_openpose_folder(folder, fps=30)
    assert "non-numeric" in _one_line_error(excinfo, "clip_000000000003_keypoints.json")


def test_openpose_too_few_or_empty_frames(tmp_path: Path) -> None:
    folder = tmp_path / "few"
    folder.mkdir()
    (folder / "a_000000000000_keypoints.json").write_text(json.dumps({"people": []}))
    with pytest.raises(KeypointError) as excinfo:
        read_openpose_folder(folder, fps=30)
    assert "only 1" in _one_line_error(excinfo, "few")
    empty = tmp_path / "empty"
    empty.mkdir()
    for f in range(12):
        (empty / f"a_{f:012d}_keypoints.json").write_text(json.dumps({"people": []}))
    with pytest.raises(KeypointError) as excinfo:
        read_openpose_folder(empty, fps=30)
    assert "no person" in _one_line_error(excinfo, "empty")
