"""Motion-capture readers, virtual joint centres, the virtual camera and the 3D truth, on the real shared files.

Facts checked come from shared/data/gait/MANIFEST.md (cadence, belt speeds, obliquity ranges, the Dorn C3D frame).
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from gluteguard.gait import camera, mocap, mocap_truth
from gluteguard.gait.model import KeypointError, KeypointSeries
from gluteguard.gait.readers.c3d import read_c3d
from gluteguard.gait.readers.rbds import read_rbds_forces, read_rbds_markers, read_rbds_trial
from gluteguard.gait.readers.trc import read_keypoint_trc, read_marker_trc, read_trc

needs_ezc3d = pytest.mark.skipif(importlib.util.find_spec("ezc3d") is None, reason="C3D reading needs ezc3d")


@pytest.fixture(scope="module")
def gait(shared_data: Path) -> Path:
    folder = shared_data / "gait"
    if not folder.is_dir():
        pytest.skip(f"no gait data at {folder}")
    return folder


@pytest.fixture(scope="module")
def rbds(gait: Path) -> Path:
    return gait / "fukuchi-bmc-rbds"


@pytest.fixture(scope="module")
def rbds001(rbds: Path) -> tuple[mocap.MarkerTrial, mocap.MarkerTrial]:
    trial = read_rbds_trial(rbds / "RBDS001runT25markers.txt", rbds / "RBDS001runT25forces.txt")
    return trial, read_rbds_markers(rbds / "RBDS001static.txt")


@pytest.fixture(scope="module")
def rbds001_truth(rbds001) -> dict:
    return mocap_truth.truth(*rbds001)


# --- readers -------------------------------------------------------------------------------------------------------


def test_every_trc_reads_as_markers_in_the_lab_frame(gait: Path) -> None:
    files = sorted(gait.rglob("*.trc"))
    assert len(files) == 10
    for path in files:
        trial = read_trc(path)
        assert isinstance(trial, mocap.MarkerTrial), path
        assert trial.meta["axis_map"] == "X=+Xfile, Y=+Yfile, Z=+Zfile", path  # MANIFEST: all TRCs are OpenSim-style
        pelvis = mocap.pelvis(trial)
        assert 0.18 < pelvis.width_m < 0.32, path  # metres, whatever the file's units
        # Right ASIS on +Z, pelvis above the feet.
        assert np.nanmedian(pelvis.asis["right"][:, 2] - pelvis.asis["left"][:, 2]) > 0.1
        assert np.nanmedian(pelvis.asis["right"][:, 1]) > 0.7


def test_rbds_markers_rate_units_and_quirks(rbds: Path) -> None:
    trial = read_rbds_markers(rbds / "RBDS0041runT452.txt")
    assert trial.rate_hz == 150.0 and trial.frames == 4500
    assert trial.time_s[1] == pytest.approx(1 / 150)  # not the rounded 0.007 of the file
    assert "R.Knee" in trial.meta["empty_markers"] and not trial.has("R.Knee")  # static-only columns dropped
    assert trial.has("R.ASY")  # the odd column is kept as it is
    gaps = np.isnan(trial.marker("R.ASIS")[:, 0]).mean()
    assert 0.03 < gaps < 0.07  # R.ASIS has 4–5 % gaps; they stay NaN in the trial ...
    assert np.isfinite(mocap.pelvis(trial).hip_centre["right"]).all()  # ... and are filled rigidly for the pelvis
    static = read_rbds_markers(rbds / "RBDS0041static.txt")
    assert static.frames == 1500 and static.has("L.Knee.Medial")


def test_rbds_forces(rbds: Path) -> None:
    forces = read_rbds_forces(rbds / "RBDS001runT25forces.txt")
    assert forces.rate_hz == 300.0 and len(forces.vertical_n) == 9000
    assert forces.time_s[0] == 0.0 and forces.time_s[-1] == pytest.approx(8999 / 300)
    assert forces.vertical_n.max() == pytest.approx(1429, abs=5)  # MANIFEST peak Fy


@needs_ezc3d
def test_c3d_rbds_forces_use_the_calibration_matrix(rbds: Path) -> None:
    trial = read_c3d(rbds / "RBDS001runT35.c3d")
    assert trial.frames == 4500 and len(trial.names) == 32 and trial.rate_hz == 150.0
    assert trial.meta["axis_map"] == "X=+Xfile, Y=+Yfile, Z=+Zfile"
    # Raw analogs peak at ~1.6 (volts); the type-4 plate's 1000 N/V makes that ~1.6 kN ≈ 2.6 BW for 62 kg.
    assert 1400 < trial.forces.vertical_n.max() < 1800
    truth = mocap_truth.truth(trial, read_rbds_markers(rbds / "RBDS001static.txt"))
    assert truth["contacts_from"] == "forces"
    assert truth["speed_mps"] == pytest.approx(3.49, abs=0.1)


@needs_ezc3d
def test_dorn_c3d_is_normalised_to_its_trc_sibling(gait: Path) -> None:
    c3d = read_c3d(gait / "dorn2012-sprinter" / "JA1Gait35.c3d")
    trc = read_marker_trc(gait / "dorn2012-sprinter" / "run0900cms.trc")
    assert c3d.meta["axis_map"] == "X=+Yfile, Y=+Zfile, Z=+Xfile"  # Vicon +X right, +Y forward, +Z up
    assert c3d.time_s[0] == pytest.approx(832 / 250)
    for name in ("RASI", "LHEEL", "C7"):
        # TRC row i is C3D frame i + 1 (MANIFEST).
        np.testing.assert_allclose(trc.marker(name), c3d.marker(name)[1:], atol=1e-5)
    strikes = [e.time_s for e in c3d.events if e.side == "right" and e.kind == "foot_strike"]
    assert strikes == pytest.approx([3.680, 4.140, 4.600], abs=1e-3)


def test_files_that_are_not_markers_fail_in_one_line(gait: Path, rbds: Path, tmp_path: Path) -> None:
    cases = [
        (read_trc, gait / "dorn2012-sprinter" / "run0350cms.mot", "not a TRC file"),
        (read_trc, gait / "biomac-fau" / "IntroductionExamples" / "running_3D.mat", "binary data"),
        (read_c3d, rbds / "RBDSinfo.txt", "not a C3D file"),
        (read_rbds_markers, rbds / "RBDSinfo.txt", "not an RBDS table"),
        (read_rbds_forces, rbds / "RBDS001runT25markers.txt", "no Fy column"),
        (read_rbds_markers, tmp_path / "missing.txt", "cannot read the file"),
        (read_trc, b"PathFileType\t4\n", "header is incomplete"),
    ]
    for reader, source, reason in cases:
        with pytest.raises(KeypointError) as caught:
            reader(source)
        message = str(caught.value)
        assert reason in message and "\n" not in message
        assert message.startswith(source.name if isinstance(source, Path) else "<bytes>")


def test_pose_tool_trc_maps_to_blazepose_names() -> None:
    names = ["Hip", "RHip", "RKnee", "RAnkle", "RBigToe", "RHeel", "LHip", "LKnee", "LAnkle", "LBigToe", "LHeel"]
    rows = [
        "\t".join([str(i + 1), f"{i / 30:.4f}"] + [f"{100 + 10 * j}\t{-(400 + 20 * j)}\t0" for j in range(len(names))])
        for i in range(3)
    ]
    text = "\n".join(
        [
            "PathFileType\t4\t(X/Y/Z)\trun_px.trc",
            "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
            f"30\t30\t3\t{len(names)}\tpx\t30\t0\t3",
            "Frame#\tTime\t" + "\t\t\t".join(names),
            "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(names) + 1)),
            "",
            *rows,
        ]
    )
    series = read_keypoint_trc(text.encode(), "run_px.trc")
    assert isinstance(series, KeypointSeries) and series.units == "px" and series.fps == 30
    assert "Hip" not in series.names and series.names[0] == "left_hip"
    assert set(series.names) >= {"right_foot_index", "left_heel", "right_knee"}
    assert (series.point("right_hip")[:, 1] > 0).all()  # negated rows restored: y points down
    with pytest.raises(KeypointError, match="pose keypoints"):
        read_marker_trc(text.encode(), "run_px.trc")


# --- truth ---------------------------------------------------------------------------------------------------------


def test_rbds001_truth_matches_the_manifest(rbds001_truth: dict) -> None:
    truth = rbds001_truth
    assert truth["contacts_from"] == "forces"
    assert truth["steps"] in (76, 77, 78)  # 78 contacts in 30 s, minus those cut by the recording's ends
    assert truth["cadence_spm"] == pytest.approx(156, abs=1.5)
    assert truth["speed_mps"] == pytest.approx(2.49, abs=0.1)
    sides = [s for s in ("left", "right") for _ in truth["stances"][s]]
    assert abs(sides.count("left") - sides.count("right")) <= 1
    obliquity = truth["obliquity_deg"]["asis"]
    assert obliquity["p5"] == pytest.approx(-6, abs=1.5) and obliquity["p95"] == pytest.approx(2, abs=1.5)
    drop = truth["pelvic_drop_deg"]["hjc"]
    assert all(0 < drop[s]["mean"] < 12 and drop[s]["n"] >= 35 for s in ("left", "right"))
    assert truth["asis_vs_hjc_gap_deg"]["per_frame_mean_abs"] == pytest.approx(0, abs=1e-6)
    assert all(0 < truth["hip_adduction_deg"][s]["mean"] < 20 for s in ("left", "right"))
    assert 0 <= truth["step_width"]["per_hip_width"] < 1.5


def test_kinematic_contacts_agree_with_the_forces(rbds001) -> None:
    trial, _ = rbds001
    from_forces, _ = mocap_truth.stances(trial)
    from_feet, source = mocap_truth.stances(dataclasses.replace(trial, forces=None))
    assert source == "kinematics" and len(from_feet) == len(from_forces)
    onset_gap = np.median([abs(a.on_s - b.on_s) for a, b in zip(from_forces, from_feet, strict=True)])
    assert onset_gap < 0.04
    assert [s.side for s in from_feet] == [s.side for s in from_forces]


def test_speed_series_0041(rbds: Path) -> None:
    static = read_rbds_markers(rbds / "RBDS0041static.txt")
    speeds, cadences = [], []
    for name in ("RBDS0041runT252.txt", "RBDS0041runT452.txt"):
        truth = mocap_truth.truth(read_rbds_markers(rbds / name), static)
        speeds.append(truth["speed_mps"])
        cadences.append(truth["cadence_spm"])
        assert truth["obliquity_deg"]["asis"]["p95"] > 5  # 0041 swings widely (−9…+10° at 4.5 m/s)
    assert speeds == pytest.approx([2.50, 4.52], abs=0.12)
    assert cadences[0] == pytest.approx(156, abs=3)  # 78 contacts in 30 s
    assert cadences[1] == pytest.approx(172, abs=4)  # "about 172"; the pelvis bounce says 174


@needs_ezc3d
def test_overground_dorn_truth(gait: Path) -> None:
    truth = mocap_truth.truth(read_marker_trc(gait / "dorn2012-sprinter" / "run0350cms.trc"))
    assert not truth["treadmill"] and truth["speed_mps"] == pytest.approx(3.53, abs=0.05)
    assert truth["steps"] >= 7 and 140 < truth["cadence_spm"] < 190
    sprint = mocap_truth.truth(read_c3d(gait / "dorn2012-sprinter" / "JA1Gait35.c3d"))
    assert sprint["speed_mps"] == pytest.approx(9.47, abs=0.1)


def test_joint_centre_methods_per_marker_set(gait: Path, rbds001) -> None:
    assert set(mocap.landmarks(*rbds001).meta["methods"].values()) == {"static trial + cluster"}
    hamner = mocap.landmarks(read_marker_trc(gait / "hamner2013-treadmill/subject04/run300/markers.trc"))
    assert set(hamner.meta["methods"].values()) == {"functional (clusters)"}
    knee, hip = hamner.point("right_knee"), hamner.point("right_hip")
    thigh = np.linalg.norm(hip - knee, axis=1)
    assert 0.33 < np.nanmedian(thigh) < 0.50 and np.nanstd(thigh) < 0.02  # a rigid, thigh-long femur


# --- the virtual camera --------------------------------------------------------------------------------------------


def test_rear_projection_invariants(rbds001) -> None:
    rear = camera.project(rbds001[0], "rear", static=rbds001[1])
    assert rear.units == "px" and rear.frame_size == (1920, 1080) and rear.fps == 150.0
    assert np.isnan(rear.xyz[..., 2]).all() and (rear.confidence == 1.0).all()
    left, right = rear.point("left_hip"), rear.point("right_hip")
    assert (left[:, 0] < right[:, 0]).all()  # runner's left on the image's left
    for side in ("left", "right"):
        assert (rear.point(f"{side}_heel")[:, 1] > rear.point(f"{side}_hip")[:, 1]).all()  # y down
    inside = (rear.xyz[..., 0] >= 0) & (rear.xyz[..., 0] < 1920) & (rear.xyz[..., 1] >= 0) & (rear.xyz[..., 1] < 1080)
    assert inside.all()
    # Hips are at nearly one depth: the image obliquity equals the 3D HJC obliquity within a few hundredths.
    image = np.degrees(np.arctan2(-(right[:, 1] - left[:, 1]), right[:, 0] - left[:, 0]))
    frame = mocap.pelvis(rbds001[0])
    world = mocap_truth.obliquity_deg(frame.hip_centre["right"], frame.hip_centre["left"])
    assert np.max(np.abs(image - world)) < 0.2


def test_side_projection_and_phone_rate(rbds001) -> None:
    side = camera.project(rbds001[0], "side", static=rbds001[1], fps=60)
    assert side.fps == 60 and side.frames == pytest.approx(30 * 60, abs=2)
    assert np.diff(side.time_s) == pytest.approx(1 / 60)
    # Seen from the right, travel (+X) goes to the image right: toes lead heels in stance.
    toe, heel = side.point("right_foot_index"), side.point("right_heel")
    assert np.median(toe[:, 0] - heel[:, 0]) > 0


def test_overground_camera_follows_the_runner(gait: Path) -> None:
    rear = camera.project(read_marker_trc(gait / "dorn2012-sprinter" / "run0350cms.trc"), "rear", fps=30)
    hip_width = np.abs(rear.point("right_hip")[:, 0] - rear.point("left_hip")[:, 0])
    assert hip_width.max() / hip_width.min() < 1.3  # no shrinking into the distance over a 12 m run


# --- the pipeline on a virtual clip --------------------------------------------------------------------------------


needs_analysis = pytest.mark.skipif(
    importlib.util.find_spec("gluteguard.gait.analysis") is None, reason="gluteguard.gait.analysis not built yet"
)


@pytest.fixture(scope="module")
def rear_clip_result(rbds001) -> dict:
    from gluteguard.gait.analysis import analyze

    clip = camera.project(rbds001[0], "rear", static=rbds001[1], fps=60)
    return analyze(clip, "rear").as_dict()


@needs_analysis
def test_pipeline_cadence_on_the_virtual_rear_clip(rear_clip_result: dict, rbds001_truth: dict) -> None:
    assert rear_clip_result["cadence_spm"] == pytest.approx(rbds001_truth["cadence_spm"], abs=1.0)


@needs_analysis
def test_pipeline_pelvic_drop_on_the_virtual_rear_clip(rear_clip_result: dict, rbds001_truth: dict) -> None:
    for side in ("left", "right"):
        measured = rear_clip_result["metrics"]["pelvic_drop_deg"][side]["mean"]
        assert measured == pytest.approx(rbds001_truth["pelvic_drop_deg"]["hjc"][side]["mean"], abs=1.0)


@needs_analysis
@pytest.mark.parametrize(
    ("markers", "forces", "static"),
    [
        ("RBDS0041runT252.txt", "RBDS0041runT252forces.txt", "RBDS0041static.txt"),  # was 2.05° low before the fix
        ("RBDS032runT35markers.txt", None, "RBDS032static.txt"),
    ],
)
def test_rbds_rear_targets_cadence_and_pelvic_drop(rbds: Path, markers: str, forces: str | None, static: str) -> None:
    """Product targets on 30-s treadmill trials filmed by a virtual phone (60 fps, rear, pinhole at 3.5 m):
    cadence within 1 step/min and pelvic drop within 1° of the 3D hip-joint-centre truth, per side."""
    from gluteguard.gait.analysis import analyze

    trial = read_rbds_trial(rbds / markers, rbds / forces if forces else None)
    static_trial = read_rbds_markers(rbds / static)
    truth = mocap_truth.truth(trial, static_trial)
    result = analyze(camera.project(trial, "rear", static=static_trial, fps=60), "rear")
    assert min(result.steps.values()) >= 7 and not result.warnings
    assert result.cadence_spm == pytest.approx(truth["cadence_spm"], abs=1.0)
    for side in ("left", "right"):
        measured = result.metrics["pelvic_drop_deg"].by_side[side].mean
        assert measured == pytest.approx(truth["pelvic_drop_deg"]["hjc"][side]["mean"], abs=1.0)
