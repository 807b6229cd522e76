"""Is this running? The check before any stride metric: synthetic runs, walks, jumps, standing and slow motion;
every real motion-capture trial in ../shared/data/gait; the real Sports2D demo video (nobody runs in it); and the
same answer on the command line, the API and the web page, with no cadence, no verdict and nothing saved."""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gluteguard.cli.app import app as cli_app
from gluteguard.gait.analysis import analyze
from gluteguard.gait.inputs import read_input
from gluteguard.gait.model import KeypointError, KeypointSeries, at_capture_rate
from gluteguard.gait.movement import KINDS, check_movement
from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text
from gluteguard.gait.readers.openpose import BODY_25_TO_BLAZEPOSE
from gluteguard.samples.gait_synth import synthetic_run
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.gait import NothingToSave, StrideOptions, analyze_stride, gait_history, save_stride
from gluteguard.store.db import Database
from gluteguard.web.app import create_app

runner = CliRunner()


def _slow_motion(series: KeypointSeries, factor: int) -> KeypointSeries:
    """A real-time series played back ``factor`` times slower, as a phone's slow-motion clip is."""
    return replace(series, fps=series.fps / factor, time_s=series.time_s * factor)


def _jumping(series: KeypointSeries) -> KeypointSeries:
    """Both legs moving together: the right leg's heights copied from the left leg's."""
    xyz = series.xyz.copy()
    for part in ("hip", "knee", "ankle", "heel", "foot_index"):
        left, right = series.names.index(f"left_{part}"), series.names.index(f"right_{part}")
        xyz[:, right, 1] = xyz[:, left, 1]
    return replace(series, xyz=xyz)


def _standing(series: KeypointSeries) -> KeypointSeries:
    still = np.repeat(series.xyz[:1], series.frames, axis=0)
    return replace(series, xyz=still + np.random.default_rng(0).normal(0.0, 1.0, still.shape))


@pytest.mark.parametrize("view", ["rear", "side"])
def test_running_walking_jumping_standing(view: str) -> None:
    run = analyze(synthetic_run(view, seconds=12, fps=60, cadence_spm=170, noise_px=2), view)
    assert run.movement.kind == "running" and run.running
    assert run.movement.step_rate_spm == pytest.approx(170, abs=3) and run.cadence_spm == pytest.approx(170, abs=2)

    walk = analyze(synthetic_run(view, seconds=20, fps=60, cadence_spm=110, contact_time_s=0.7, noise_px=2), view)
    assert walk.movement.kind == "walking" and "no running found" in walk.movement.message
    assert walk.cadence_spm is None and walk.metrics == {} and walk.findings == ()

    base = synthetic_run(view, seconds=12, fps=60, noise_px=1)
    assert analyze(_jumping(base), view).movement.kind == "jumping"
    assert analyze(_standing(base), view).movement.kind == "standing"


@pytest.mark.parametrize("view", ["rear", "side"])
def test_slow_motion_is_flagged_and_the_capture_rate_gives_the_true_cadence(view: str) -> None:
    real_time = synthetic_run(view, seconds=25, fps=240, cadence_spm=172, noise_px=1)
    slow = _slow_motion(real_time, 8)  # 240 fps played at 30: a step every 2.8 s of video
    flagged = analyze(slow, view)
    assert flagged.movement.kind == "slow_motion" and flagged.movement.suggested_capture_fps == 240
    assert flagged.cadence_spm is None and flagged.findings == () and "slow motion" in flagged.warnings[0]
    fixed = analyze(at_capture_rate(slow, 240), view)
    assert fixed.running and fixed.cadence_spm == pytest.approx(172, abs=2)
    assert fixed.fps == 240 and fixed.frames == slow.frames


def test_capture_rate_keeps_variable_frame_spacing_and_refuses_nonsense() -> None:
    series = synthetic_run("rear", seconds=2, fps=30)
    jittered = replace(series, time_s=series.time_s + np.r_[0, np.full(series.frames - 1, 0.004)])
    retimed = at_capture_rate(jittered, 240)
    assert np.allclose(np.diff(retimed.time_s), np.diff(jittered.time_s) / 8)
    assert retimed.meta["playback_fps"] == 30 and retimed.meta["capture_fps"] == 240
    with pytest.raises(KeypointError, match="capture frame rate"):
        at_capture_rate(series, 0.0)


needs_gait_data = pytest.mark.skipif(
    not (Path(__file__).resolve().parents[2] / "shared" / "data" / "gait").is_dir(),
    reason="motion-capture trials not present beside the repository (../shared/data/gait)",
)

# Every running trial of the shared data (RBDS 2.5–4.5 m/s, Hamner 2–5 m/s, Dorn 3.5–9 m/s sprints) and the
# standing calibration trials.
RUNNING_TRIALS = [
    "fukuchi-bmc-rbds/RBDS001runT25markers.txt",
    "fukuchi-bmc-rbds/RBDS001runT35.c3d",
    "fukuchi-bmc-rbds/RBDS0041runT452.txt",
    "fukuchi-bmc-rbds/RBDS032runT35markers.txt",
    "hamner2013-treadmill/subject01/run200.trc",
    "hamner2013-treadmill/subject04/run200/markers.trc",
    "hamner2013-treadmill/subject04/run500/markers.trc",
    "dorn2012-sprinter/run0350cms.trc",
    "dorn2012-sprinter/run0900cms.trc",
]


@needs_gait_data
@pytest.mark.parametrize("trial", RUNNING_TRIALS)
@pytest.mark.parametrize("view", ["rear", "side"])
def test_every_motion_capture_run_is_running(shared_data: Path, trial: str, view: str) -> None:
    found = read_input(shared_data / "gait" / trial, view=view)
    analysis = analyze(found.series, view)
    assert analysis.movement.kind == "running", analysis.movement.message
    assert analysis.cadence_spm == pytest.approx(analysis.movement.step_rate_spm, rel=0.05)  # two ways agree


@needs_gait_data
def test_standing_calibration_trials_are_standing(shared_data: Path) -> None:
    for trial in ("fukuchi-bmc-rbds/RBDS001static.txt", "fukuchi-bmc-rbds/RBDS032static.txt"):
        found = read_input(shared_data / "gait" / trial, view="rear")
        assert analyze(found.series, "rear").movement.kind == "standing"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frames=st.integers(0, 400),
    fps=st.sampled_from([24.0, 30.0, 60.0, 240.0]),
    seed=st.integers(0, 2**16),
    holes=st.floats(0.0, 1.0),
)
def test_any_tracks_give_one_of_the_kinds(frames: int, fps: float, seed: int, holes: float) -> None:
    rng = np.random.default_rng(seed)
    names = ("left_hip", "right_hip", "left_heel", "right_heel", "left_foot_index", "right_foot_index")
    tracks = {name: rng.normal(500, rng.uniform(0, 200), (frames, 2)) for name in names}
    for track in tracks.values():
        track[rng.random(frames) < holes] = np.nan
    leg = np.full(frames, rng.uniform(-10, 400))
    check = check_movement(tracks, leg, fps, rng.choice([None, 0.3, 0.7]))
    assert check.kind in KINDS and check.message and (check.kind == "running") == check.running


# --- every edge says it, and nothing is kept --------------------------------------------------------------------


@pytest.fixture
def walking_csv(tmp_path: Path) -> Path:
    walk = synthetic_run("rear", seconds=20, fps=60, cadence_spm=110, contact_time_s=0.7, noise_px=1)
    path = tmp_path / "walk.csv"
    path.write_text(keypoints_csv_text(walk), encoding="utf-8")
    return path


@pytest.fixture
def slow_motion_csv(tmp_path: Path) -> Path:
    slow = _slow_motion(synthetic_run("rear", seconds=25, fps=240, cadence_spm=168, noise_px=1), 8)
    path = tmp_path / "slowmo.csv"
    path.write_text(keypoints_csv_text(slow), encoding="utf-8")
    return path


def test_cli_says_no_running_and_saves_nothing(walking_csv: Path, slow_motion_csv: Path, tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'g.sqlite'}"]
    text = runner.invoke(cli_app, [*db, "gait", "analyze", str(walking_csv), "--save"])
    assert text.exit_code == 1
    assert re.search(r"no running found: at 11[01] steps a minute it looks like walking", text.output)
    assert "not saved" in text.output and "cadence" not in text.output
    data = json.loads(runner.invoke(cli_app, [*db, "gait", "analyze", str(walking_csv), "--json"]).output)
    assert data["movement"]["kind"] == "walking" and data["movement"]["running"] is False
    assert data["cadence_spm"] is None and data["metrics"] == {} and data["findings"] == []
    slow = runner.invoke(cli_app, [*db, "gait", "analyze", str(slow_motion_csv)])
    assert "slow motion" in slow.output and "--capture-fps 240" in slow.output
    fixed = runner.invoke(cli_app, [*db, "gait", "analyze", str(slow_motion_csv), "--capture-fps", "240", "--json"])
    assert json.loads(fixed.output)["cadence_spm"] == pytest.approx(168, abs=2)
    assert runner.invoke(cli_app, [*db, "gait", "history", "--json"]).output.strip() == "[]"


def test_service_refuses_to_save_a_clip_without_running(db: Database, walking_csv: Path) -> None:
    athlete = ensure_athlete(db)
    result = analyze_stride(db, athlete, walking_csv, StrideOptions(save=True))
    assert result.saved_id is None and result.not_saved and "walking" in result.not_saved
    with pytest.raises(NothingToSave):
        save_stride(db, athlete, result)
    assert gait_history(db, athlete) == []


@pytest.fixture
def client(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    app = create_app(db_url, allowed_hosts=("testserver",))
    with TestClient(app) as test_client:
        yield test_client
    app.state.db.dispose()


def test_api_and_page_say_no_running_and_take_the_capture_rate(
    client: TestClient, walking_csv: Path, slow_motion_csv: Path
) -> None:
    walk = client.post("/api/v1/stride", files={"file": ("walk.csv", walking_csv.read_bytes())}, data={"save": "true"})
    assert walk.status_code == 200, walk.text
    result = walk.json()["result"]
    assert result["movement"]["kind"] == "walking" and result["cadence_spm"] is None and "saved_id" not in result
    assert "walking" in result["not_saved"]
    slow = client.post("/api/v1/stride", files={"file": ("s.csv", slow_motion_csv.read_bytes())},
                       data={"capture_fps": "240"})  # fmt: skip
    assert slow.json()["result"]["cadence_spm"] == pytest.approx(168, abs=2)

    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/stride").text)
    assert token is not None
    started = client.post("/stride", data={"csrf_token": token.group(1), "view": "auto"},
                          files={"files": ("slowmo.csv", slow_motion_csv.read_bytes())})  # fmt: skip
    page = started.text
    for _ in range(300):  # the job page, once the analysis (a second or two) is done
        if "This looks like slow motion" in page or "Stride analysis:" in page:
            break
        time.sleep(0.1)
        page = client.get(str(started.url)).text
    assert "This looks like slow motion" in page and "Save this analysis" not in page, re.sub(r"\s+", " ", page)[-3000:]
    assert 'href="/stride?capture_fps=240"' in page
    stride_page = client.get("/stride?capture_fps=240").text
    assert 'value="240"' in stride_page and "How to film" in stride_page and "/static/filming-guide.svg" in stride_page
    picture = client.get("/static/filming-guide.svg")
    assert picture.status_code == 200 and "<title" in picture.text and "3–5 m" in picture.text


def test_the_filming_guide_is_in_the_command_help() -> None:
    shown = runner.invoke(cli_app, ["gait", "analyze", "--help"], terminal_width=200).output
    assert "How to film" in shown and "hip height" in shown and "--capture-fps" in shown


@pytest.fixture(scope="module")
def demo_clip() -> Path:
    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "video" / "sports2d_demo.mp4"
    if not path.exists():
        pytest.skip(f"the Sports2D demo clip is not present at {path}")
    pytest.importorskip("mediapipe", reason="the video extra (MediaPipe) is not installed")
    return path


def test_the_demo_video_has_no_running_in_it(demo_clip: Path, tmp_path: Path) -> None:
    """A man doing jumping jacks and a woman walking: no cadence, no verdict, nothing to save."""
    done = runner.invoke(
        cli_app, ["--db", f"sqlite:///{tmp_path / 'd.sqlite'}", "gait", "analyze", str(demo_clip), "--json"]
    )
    data = json.loads(done.output)
    assert data["movement"]["running"] is False and data["movement"]["kind"] in ("jumping", "walking", "unclear")
    assert data["cadence_spm"] is None and data["findings"] == [] and data["metrics"] == {}
    assert data["warnings"][0].startswith("no running found")


# --- several people: the one who runs is analysed ----------------------------------------------------------------


def _body25(series: KeypointSeries, frame: int, shift_x: float, scale: float) -> list[float]:
    flat = [0.0] * 75
    for index, name in BODY_25_TO_BLAZEPOSE.items():
        if not series.has(name):
            continue
        x, y, _ = series.point(name)[frame]
        if np.isfinite(x):
            flat[3 * index : 3 * index + 3] = [float(x * scale + shift_x), float(y * scale), 0.8]
    return flat


@pytest.mark.parametrize("other", ["walking", "standing", "jumping"])
def test_the_person_picker_chooses_the_runner_over_a_larger_bystander(tmp_path: Path, other: str) -> None:
    """The bystander is nearer the camera (larger) and listed first in every frame: only the gait says who runs."""
    runner_series = synthetic_run("rear", seconds=12, fps=60, cadence_spm=166, pelvic_drop_deg=(3, 8), seed=4)
    base = synthetic_run("rear", seconds=12, fps=60, cadence_spm=110, contact_time_s=0.7, seed=5)
    bystander = {"walking": base, "standing": _standing(base), "jumping": _jumping(runner_series)}[other]
    folder = tmp_path / "two-people"
    folder.mkdir()
    for frame in range(runner_series.frames):
        people = [
            {"pose_keypoints_2d": _body25(bystander, frame, shift_x=1400.0, scale=1.4)},
            {"pose_keypoints_2d": _body25(runner_series, frame, shift_x=0.0, scale=0.8)},
        ]
        (folder / f"clip_{frame:012d}_keypoints.json").write_text(json.dumps({"people": people}))
    found = read_input(folder, fps=60)
    assert (
        found.series.meta["people_followed"] == 2
        and found.series.meta["people"][found.series.meta["picked"]] == "running"
    )
    heel = found.series.point("left_heel")[:, :2]
    assert np.allclose(heel, runner_series.point("left_heel")[:, :2] * 0.8, atol=1e-6)
    analysis = analyze(found.series)
    assert analysis.running and analysis.cadence_spm == pytest.approx(166, abs=2)


def test_feet_out_of_the_picture_and_a_short_clip_say_what_to_do() -> None:
    series = synthetic_run("rear", seconds=10, fps=60, noise_px=1)
    xyz, confidence = series.xyz.copy(), series.confidence.copy()
    for name in ("left_heel", "right_heel", "left_foot_index", "right_foot_index", "left_ankle", "right_ankle"):
        xyz[:, series.names.index(name)] = np.nan
        confidence[:, series.names.index(name)] = 0.0
    cut = analyze(replace(series, xyz=xyz, confidence=confidence), "rear")
    assert cut.movement.kind == "unclear" and "feet are out of the picture" in cut.movement.message
    assert "cadence" in cut.movement.message and cut.cadence_spm is None
    short = analyze(synthetic_run("rear", seconds=3, fps=60, noise_px=1), "rear")
    assert short.running and any(re.search(r"clean left steps.*film about \d+ s more", w) for w in short.warnings)


# --- the capture rate a phone writes into a slow-motion clip ---------------------------------------------------------


def _tagged_clip(path: Path, capture_fps: str | None, frames: int = 24) -> Path:
    """A small MP4 at 30 frames/s, with Android's slow-motion tag when ``capture_fps`` is given (written by
    FFmpeg's own muxer through PyAV, as ``mdta`` keys, the way the phone writes them)."""
    av = pytest.importorskip("av", reason="PyAV (the video extra) is not installed")
    with av.open(str(path), "w", options={"movflags": "use_metadata_tags"}) as container:
        if capture_fps is not None:
            container.metadata["com.android.capture.fps"] = capture_fps
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for index in range(frames):
            image = np.full((120, 160, 3), (index * 9) % 255, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_the_capture_rate_is_read_from_an_android_slow_motion_tag(tmp_path: Path) -> None:
    from gluteguard.gait.pose.capture_rate import read_capture_rate, tagged_capture_rate

    assert read_capture_rate(_tagged_clip(tmp_path / "slow.mp4", "240.000000")) == 240.0
    assert read_capture_rate(_tagged_clip(tmp_path / "plain.mp4", None)) is None
    assert read_capture_rate(_tagged_clip(tmp_path / "real-time.mp4", "30.000000")) is None  # plays in real time
    assert read_capture_rate(tmp_path / "missing.mp4") is None
    assert tagged_capture_rate({"com.android.capture.fps": "nonsense"}, 30.0) is None


def test_a_tagged_clip_is_analysed_in_real_seconds(db: Database, tmp_path: Path) -> None:
    """End to end through the service: the tag reaches the result (the clip holds nobody, so nothing is measured,
    but its timing is the phone's)."""
    pytest.importorskip("mediapipe", reason="the video extra (MediaPipe) is not installed")
    clip = _tagged_clip(tmp_path / "VID_slowmo.mp4", "240.000000", frames=40)
    result = analyze_stride(db, ensure_athlete(db), clip, StrideOptions())
    assert result.timing == {
        "playback_fps": 30.0,
        "capture_fps": 240.0,
        "capture_fps_from": "the clip's slow-motion tag",
    }
    assert result.analysis.fps == 240.0 and result.as_dict()["slow_motion"]["capture_fps"] == 240.0
    given = analyze_stride(db, ensure_athlete(db), clip, StrideOptions(capture_fps=120))
    assert given.timing["capture_fps"] == 120 and given.timing["capture_fps_from"] == "given"


# --- honest accuracy: the clip's own repeatability ------------------------------------------------------------------


def _joined(first: KeypointSeries, second: KeypointSeries) -> KeypointSeries:
    """Two clips of the same runner one after the other, as one clip."""
    step = 1.0 / first.fps
    time_s = np.concatenate([first.time_s, second.time_s + first.time_s[-1] + step])
    return replace(first, time_s=time_s, xyz=np.concatenate([first.xyz, second.xyz]),
                   confidence=np.concatenate([first.confidence, second.confidence]))  # fmt: skip


def test_a_metric_whose_halves_disagree_gets_no_verdict() -> None:
    steady = synthetic_run("rear", seconds=20, fps=60, noise_px=1, pelvic_drop_deg=(3, 9), seed=2)
    kept = analyze(steady, "rear")
    drop = kept.metrics["pelvic_drop_deg"]
    assert drop.repeatable and all(c["repeatable"] for c in drop.repeatability.values())
    assert "repeatable on this clip" in drop.on_this_clip and "confidence" in drop.on_this_clip
    assert any(f.code == "pelvic_drop_asymmetric" for f in kept.findings)

    # The right-stance drop is 9° in the first half and 4° in the second: the mean (6.5° against 3°) would still
    # read as asymmetric, but the clip does not measure it repeatably (5° apart; a real change is 2.8°).
    changing = _joined(
        synthetic_run("rear", seconds=12, fps=60, noise_px=1, pelvic_drop_deg=(3, 9), seed=2),
        synthetic_run("rear", seconds=12, fps=60, noise_px=1, pelvic_drop_deg=(3, 4), seed=3),
    )
    refused = analyze(changing, "rear")
    drop = refused.metrics["pelvic_drop_deg"]
    assert not drop.repeatable and drop.repeatability["right"]["repeatable"] is False
    assert drop.repeatability["right"]["difference"] > 2.8 and "NOT repeatable" in drop.on_this_clip
    assert not any(f.code.startswith("pelvic_drop") for f in refused.findings)
    assert any("Pelvic drop: the right steps" in w and "no verdict" in w for w in refused.warnings)


@needs_gait_data
def test_a_steady_motion_capture_run_is_repeatable(shared_data: Path) -> None:
    found = read_input(shared_data / "gait" / "fukuchi-bmc-rbds" / "RBDS001runT35.c3d", view="rear")
    analysis = analyze(found.series, "rear")
    for name in ("pelvic_drop_deg", "hip_adduction_deg"):
        metric = analysis.metrics[name]
        assert metric.repeatable and set(metric.repeatability) == {"left", "right"}, metric.on_this_clip


def test_metrics_carry_their_plain_names_into_every_view(tmp_path: Path) -> None:
    analysis = analyze(synthetic_run("rear", seconds=12, fps=60, noise_px=1), "rear")
    labels = {name: metric.label for name, metric in analysis.metrics.items()}
    assert (
        labels["pelvic_drop_deg"] == "Pelvic drop" and labels["knee_fppa_deg"] == "Knee drifting in, seen from behind"
    )
    assert all(label and "_" not in label for label in labels.values())
    csv = tmp_path / "rear.csv"
    csv.write_text(keypoints_csv_text(synthetic_run("rear", seconds=12, fps=60, noise_px=1)), encoding="utf-8")
    shown = runner.invoke(cli_app, ["--db", f"sqlite:///{tmp_path / 'g.sqlite'}", "gait", "analyze", str(csv),
                                    "--report", str(tmp_path / "r.html")], terminal_width=200).output  # fmt: skip
    assert "Pelvic drop" in shown and "knee_fppa_deg" not in shown
    report = (tmp_path / "r.html").read_text()
    assert "<th scope='row'>Pelvic drop</th>" in report and 'rel="icon"' in report
