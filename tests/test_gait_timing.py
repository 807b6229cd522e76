"""The clip's clock: a variable frame rate (phones) is put on an even clock before anything is measured, and a clip
that slows down part-way (an iPhone slow-motion video shared from Photos) is refused with what to do.

Real running: the RBDS001 2.5 m/s treadmill trial (../shared/data/gait, 150 Hz, 30 s) filmed by the virtual phone
camera (gait/camera.py), then re-timed: frames taken at a phone's uneven clock, or a middle third slowed ×8.
"""

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
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gluteguard.cli.app import app as cli_app
from gluteguard.gait.analysis import GaitAnalysis, analyze
from gluteguard.gait.inputs import read_input
from gluteguard.gait.model import KeypointSeries
from gluteguard.gait.movement import check_movement, movement_rules, speed_change
from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text
from gluteguard.gait.signal import MAX_GAP_S
from gluteguard.gait.timing import even_frame_clock, frame_clock, resample
from gluteguard.samples.gait_synth import synthetic_run
from gluteguard.web.app import create_app

runner = CliRunner()
TRIAL = "fukuchi-bmc-rbds/RBDS001runT25markers.txt"  # 156 steps a minute on its force plate (MANIFEST)
SIDES = ("left", "right")
FEET = ("left_heel", "right_heel", "left_foot_index", "right_foot_index")
_filmed_views: dict[str, KeypointSeries] = {}


@pytest.fixture
def real_time(shared_data: Path):
    """The trial filmed by the virtual phone from ``view``, at the markers' 150 Hz (read once per view)."""

    def film(view: str) -> KeypointSeries:
        if view not in _filmed_views:
            _filmed_views[view] = read_input(shared_data / "gait" / TRIAL, view=view).series
        return _filmed_views[view]

    return film


def _at(real: KeypointSeries, times: np.ndarray, fps: float) -> KeypointSeries:
    """The real-time series as a camera whose frames came at ``times`` would have filmed it, labelled ``fps``."""
    return replace(real, fps=fps, time_s=times, xyz=resample(real.time_s, real.xyz, times),
                   confidence=resample(real.time_s, real.confidence, times))  # fmt: skip


def _phone_clock(duration_s: float, seed: int) -> np.ndarray:
    """A phone's variable frame rate: spells of 1.5–4 s at 24, 30 or 60 frames/s (the light decides), 5 % of the
    frames dropped, 2 ms of jitter on every stamp."""
    rng = np.random.default_rng(seed)
    times: list[float] = []
    now = 0.0
    while now < duration_s:
        rate, until = float(rng.choice([24.0, 30.0, 60.0])), now + rng.uniform(1.5, 4.0)
        while now < min(until, duration_s):
            times.append(now)
            now += 1.0 / rate
    stamps = np.array(times)
    kept = rng.random(stamps.size) > 0.05
    kept[0] = kept[-1] = True
    stamps = stamps[kept]
    return np.sort(stamps + np.r_[0.0, rng.normal(0.0, 0.002, stamps.size - 1)])


def _contact_s(analysis: GaitAnalysis) -> float:
    """Median contact time of the clean steps."""
    return float(np.median([s.toe_off_time_s - s.strike_time_s for s in analysis.steps_detail if s.clean]))


# --- the frame clock -------------------------------------------------------------------------------------------


def test_a_steady_clock_is_left_alone_and_an_uneven_one_is_evened() -> None:
    steady = synthetic_run("rear", seconds=4, fps=240)
    assert even_frame_clock(steady) is steady
    assert frame_clock(steady)["variable_frame_rate"] is False
    # 240 frames/s stamped in whole milliseconds (WebM, Matroska): up to 0.12 of a frame off, still steady.
    rounded = replace(steady, time_s=np.round(steady.time_s, 3))
    assert even_frame_clock(rounded) is rounded
    # One dropped frame shifts every later stamp by a whole frame: not steady any more.
    dropped = np.delete(np.arange(steady.frames), 300)
    gapped = replace(steady, time_s=steady.time_s[dropped], xyz=steady.xyz[dropped],
                     confidence=steady.confidence[dropped])  # fmt: skip
    evened = even_frame_clock(gapped)
    clock = evened.meta["frame_clock"]
    assert clock["variable_frame_rate"] and clock["evened"] and clock["frames_filmed"] == steady.frames - 1
    assert clock["max_interval_s"] == pytest.approx(2 / 240, abs=1e-6)
    assert clock["min_interval_s"] == clock["median_interval_s"] == pytest.approx(1 / 240, abs=1e-6)
    assert evened.frames == steady.frames and evened.fps == pytest.approx(240)
    assert np.allclose(np.diff(evened.time_s), 1 / 240)
    # The dropped frame is filled in between its neighbours: the steady clip's landmarks come back.
    assert np.allclose(evened.xyz, steady.xyz, atol=2.0, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), hole_s=st.floats(0.2, 1.0))
def test_evening_keeps_rows_aligned_and_leaves_long_holes_empty(seed: int, hole_s: float) -> None:
    real = synthetic_run("side", seconds=8, fps=240, noise_px=1, seed=seed % 7)
    times = _phone_clock(real.time_s[-1], seed)
    times = times[(times < 3.0) | (times > 3.0 + hole_s)]  # the phone stopped filming for a moment
    clip = replace(_at(real, times, 30.0), frame_motion=np.sin(times), meta={"frame_index": list(range(times.size))})
    evened = even_frame_clock(clip)
    assert evened.frames == len(evened.frame_motion) == len(evened.meta["frame_index"]) == evened.xyz.shape[0]
    assert np.allclose(np.diff(evened.time_s), 1 / evened.fps)
    assert even_frame_clock(evened) is evened  # evening an evened clip changes nothing
    inside = (evened.time_s > 3.0 + 0.05) & (evened.time_s < 3.0 + hole_s - 0.05)
    assert inside.any() and np.isnan(evened.xyz[inside]).all() and np.isnan(evened.frame_motion[inside]).all()
    # Elsewhere a row is filled in when the frames around it are at most MAX_GAP_S apart (what the cleaning
    # bridges too), and holds the value at its time.
    after = np.clip(np.searchsorted(times, evened.time_s, side="right"), 1, times.size - 1)
    gap = times[after] - times[after - 1]
    on_a_frame = evened.time_s == times[after - 1]  # exactly: a row 23 µs past a frame before a hole is in the hole
    assert np.array_equal(np.isfinite(evened.frame_motion), (gap <= MAX_GAP_S) | on_a_frame)
    filled = np.isfinite(evened.frame_motion)
    assert np.allclose(evened.frame_motion[filled], np.sin(evened.time_s[filled]), atol=0.01)
    # Each even row is shown as the filmed frame nearest to it.
    nearest = np.abs(times[None, :] - evened.time_s[:, None]).argmin(axis=1)
    assert evened.meta["frame_index"] == nearest.tolist()


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("view", ["side", "rear"])
def test_a_variable_frame_rate_gives_the_cadence_and_contact_times_of_a_steady_clock(
    real_time, view: str, seed: int
) -> None:
    real = real_time(view)
    times = _phone_clock(real.time_s[-1], seed)
    nominal = times.size / times[-1]  # the rate a container reports for such a clip: frames over duration
    phone = _at(real, times, nominal)
    analysed = analyze(phone, view)
    clock = analysed.as_dict()["frame_clock"]
    assert clock["variable_frame_rate"] is True and clock["evened"] is True
    assert clock["min_interval_s"] < 0.02 and clock["max_interval_s"] > 0.06  # 60 frames/s spells, dropped frames
    # The same run filmed at a steady clock of the evened rate.
    steady = analyze(_at(real, np.arange(0.0, times[-1], 1 / analysed.fps), analysed.fps), view)
    assert analysed.running and steady.running
    assert analysed.cadence_spm == pytest.approx(steady.cadence_spm, abs=1.0)
    assert analysed.cadence_spm == pytest.approx(156, abs=2)  # the force plate's 78 contacts in 30 s
    assert _contact_s(analysed) == pytest.approx(_contact_s(steady), abs=0.020)
    # Before the clock was evened, times were frame number / nominal rate: the run was not even found.
    counted = analyze(replace(phone, time_s=np.arange(phone.frames) / nominal), view)
    assert not counted.running or abs(counted.cadence_spm - steady.cadence_spm) > 5


def test_a_variable_frame_rate_keypoint_file_is_evened_on_the_command_line(real_time, tmp_path: Path) -> None:
    real = real_time("rear")
    times = _phone_clock(real.time_s[-1], 3)
    path = tmp_path / "phone.csv"
    path.write_text(keypoints_csv_text(_at(real, times, 30.0)), encoding="utf-8")
    db = ["--db", f"sqlite:///{tmp_path / 'g.sqlite'}"]
    data = json.loads(runner.invoke(cli_app, [*db, "gait", "analyze", str(path), "--json"]).output)
    assert data["frame_clock"]["variable_frame_rate"] is True and data["cadence_spm"] == pytest.approx(156, abs=2)
    shown = runner.invoke(cli_app, [*db, "gait", "analyze", str(path)], terminal_width=200).output
    assert "The phone's frame rate varied" in shown and "even clock" in shown


# --- a clip that slows down part-way ------------------------------------------------------------------------------


def _slowed_middle(real: KeypointSeries, factor: int, playback_fps: float = 30.0) -> KeypointSeries:
    """An iPhone slow-motion clip as Photos shares it: real speed for the first and last thirds, the middle third
    filmed ``factor`` times faster than it plays, all played at ``playback_fps`` with no tag."""
    third = real.time_s[-1] / 3
    normal = np.arange(0.0, real.time_s[-1], 1 / playback_fps)
    slowed = np.arange(third, 2 * third, 1 / (playback_fps * factor))
    filmed = np.r_[normal[normal < third], slowed, normal[normal >= 2 * third]]
    clip = _at(real, filmed, playback_fps)
    return replace(clip, time_s=np.arange(filmed.size) / playback_fps)


@pytest.mark.parametrize("view", ["rear", "side"])
def test_a_clip_that_slows_down_part_way_is_refused_with_what_to_do(real_time, view: str) -> None:
    real = real_time(view)
    ramped = analyze(_slowed_middle(real, 8), view)
    assert ramped.movement.kind == "speed_ramp" and not ramped.running
    assert ramped.movement.speed_ratio == pytest.approx(8, rel=0.1)
    assert ramped.movement.message.startswith("this clip slows down part-way, like an iPhone slow-motion video")
    assert "drag the slow-motion bar's ends together" in ramped.movement.message
    assert ramped.cadence_spm is None and ramped.metrics == {} and ramped.findings == ()
    assert ramped.warnings[0] == ramped.movement.message
    data = ramped.as_dict()
    assert data["movement"]["kind"] == "speed_ramp" and data["movement"]["suggested_capture_fps"] is None
    # A 4× slow-down (120 frames/s played at 30) is a ramp too; the same run at one speed is not.
    assert analyze(_slowed_middle(real, 4), view).movement.kind == "speed_ramp"
    steady = analyze(_at(real, np.arange(0.0, real.time_s[-1], 1 / 30), 30.0), view)
    assert steady.running and steady.movement.speed_ratio is None
    # The check itself, on the clip's raw tracks: with it the ramp is found; without it (a ratio no clip reaches)
    # the clip read as something else, with the wrong advice.
    clip = _slowed_middle(real, 8)
    names = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")
    tracks = {name: clip.point(name)[:, :2] for name in names + FEET}
    leg = np.linalg.norm(tracks["left_hip"] - tracks["left_knee"], axis=1) + np.linalg.norm(
        tracks["left_knee"] - tracks["left_ankle"], axis=1
    )
    assert check_movement(tracks, leg, 30.0, None).kind == "speed_ramp"
    without = check_movement(tracks, leg, 30.0, None, replace(movement_rules(), ramp_min_ratio=float("inf")))
    assert without.kind in ("slow_motion", "unclear"), without.message


def test_the_speed_check_sees_no_change_in_a_steady_clip_or_a_whole_slow_motion_one() -> None:
    rules = movement_rules()
    for cadence in (150, 170, 200):
        run = synthetic_run("rear", seconds=30, fps=240, cadence_spm=cadence, noise_px=2)
        lowest = {s: np.fmax(run.point(f"{s}_heel")[:, 1], run.point(f"{s}_foot_index")[:, 1]) for s in SIDES}
        difference = lowest["right"] - lowest["left"]  # image rows grow downwards: left height minus right
        assert speed_change(difference, 240.0, rules) is None  # steady, in real time
        assert speed_change(difference, 30.0, rules) is None  # slowed ×8 throughout: slow motion, not a ramp
    whole_slow = synthetic_run("rear", seconds=25, fps=240, cadence_spm=172, noise_px=1)
    slowed = replace(whole_slow, fps=30.0, time_s=whole_slow.time_s * 8)
    assert analyze(slowed, "rear").movement.kind == "slow_motion"


def test_a_ramp_is_said_on_the_command_line_and_nothing_is_saved(real_time, tmp_path: Path) -> None:
    path = tmp_path / "iphone.csv"
    path.write_text(keypoints_csv_text(_slowed_middle(real_time("rear"), 8)), encoding="utf-8")
    db = ["--db", f"sqlite:///{tmp_path / 'g.sqlite'}"]
    shown = runner.invoke(cli_app, [*db, "gait", "analyze", str(path), "--save"], terminal_width=200)
    assert shown.exit_code == 1 and "this clip slows down part-way" in shown.output and "not saved" in shown.output
    data = json.loads(runner.invoke(cli_app, [*db, "gait", "analyze", str(path), "--json"]).output)
    assert data["movement"]["kind"] == "speed_ramp" and data["cadence_spm"] is None
    assert runner.invoke(cli_app, [*db, "gait", "history", "--json"]).output.strip() == "[]"


@pytest.fixture
def client(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    app = create_app(db_url, allowed_hosts=("testserver",))
    with TestClient(app) as test_client:
        yield test_client
    app.state.db.dispose()


def _job_page(client: TestClient, name: str, content: bytes, done: str) -> str:
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/stride").text)
    assert token is not None
    started = client.post("/stride", data={"csrf_token": token.group(1), "view": "auto"},
                          files={"files": (name, content)})  # fmt: skip
    page = started.text
    for _ in range(300):  # the job page, once the analysis (a second or two) is done
        if done in page:
            return page
        time.sleep(0.1)
        page = client.get(str(started.url)).text
    raise AssertionError(re.sub(r"\s+", " ", page)[-2000:])


def test_the_web_page_says_the_clip_changed_speed_or_was_evened(real_time, client: TestClient) -> None:
    real = real_time("rear")
    ramp = keypoints_csv_text(_slowed_middle(real, 8)).encode()
    page = _job_page(client, "iphone.csv", ramp, "This clip changes speed")
    assert "slows down part-way" in page and "Save this analysis" not in page
    phone = keypoints_csv_text(_at(real, _phone_clock(real.time_s[-1], 4), 30.0)).encode()
    page = _job_page(client, "phone.csv", phone, "Stride analysis:")
    assert "The phone&#39;s frame rate varied" in page and "an even clock of" in page
