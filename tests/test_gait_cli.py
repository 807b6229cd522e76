"""Stride analysis end to end: any input through the CLI, the report, saving, history, and the plan acting on it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text
from gluteguard.samples.gait_synth import synthetic_run
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.coach import week_plan as plan_for_week
from gluteguard.services.gait import gait_history, latest_findings
from gluteguard.store.db import Database

runner = CliRunner()


@pytest.fixture
def asymmetric_csv(tmp_path: Path) -> Path:
    """20 s from behind, the left pelvis dropping much more while standing on the right foot (labelled synthetic)."""
    series = synthetic_run("rear", seconds=20, fps=60, cadence_spm=165, pelvic_drop_deg=(3.0, 9.0), noise_px=0.5)
    path = tmp_path / "rear.csv"
    path.write_text(keypoints_csv_text(series), encoding="utf-8")
    return path


def test_analyze_json_contract_report_and_keypoints(asymmetric_csv: Path, tmp_path: Path) -> None:
    report, keypoints = tmp_path / "report.html", tmp_path / "again.csv"
    result = runner.invoke(
        app,
        ["--db", str(tmp_path / "g.sqlite"), "gait", "analyze", str(asymmetric_csv), "--json",
         "--report", str(report), "--keypoints", str(keypoints)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"view", "fps", "steps", "cadence_spm", "metrics", "quality", "findings"} <= set(data)
    assert data["view"] == "rear" and data["fps"] == pytest.approx(60, abs=0.01)
    assert data["cadence_spm"] == pytest.approx(165, abs=1.5) and min(data["steps"].values()) >= 7
    drop = data["metrics"]["pelvic_drop_deg"]
    assert drop["right"]["mean"] == pytest.approx(9.0, abs=1.0) and drop["left"]["mean"] == pytest.approx(3.0, abs=1.0)
    assert {"mean", "sd", "n"} <= set(drop["left"])
    finding = next(f for f in data["findings"] if f["code"] == "pelvic_drop_asymmetric")
    assert finding["exercises"] and finding["cue"] and finding["source"] and "fits the pattern" in finding["message"]
    page = report.read_text()
    assert "<svg" in page and "Findings and what to do" in page and '<script src="http' not in page  # offline
    again = runner.invoke(app, ["--db", str(tmp_path / "g.sqlite"), "gait", "analyze", str(keypoints), "--json"])
    assert json.loads(again.output)["metrics"]["pelvic_drop_deg"]["right"]["mean"] == pytest.approx(
        drop["right"]["mean"], abs=0.05
    )  # the written keypoints read back to the same analysis


def test_saved_findings_reach_history_and_the_plan(db: Database, asymmetric_csv: Path) -> None:
    athlete = ensure_athlete(db)
    saved = runner.invoke(
        app,
        ["--db", db.url, "gait", "analyze", str(asymmetric_csv), "--save", "--date", "2026-11-10", "--view", "rear"],
    )
    assert saved.exit_code == 0, saved.output
    history = gait_history(db, athlete)
    assert len(history) == 1 and history[0]["input_kind"] == "keypoints_csv" and history[0]["view"] == "rear"
    assert "steps_detail" not in history[0]["summary"]
    assert latest_findings(db, athlete, date(2026, 11, 10)) == []  # only analyses before the plan's week count
    plan = plan_for_week(db, athlete, date(2026, 11, 16))
    runs = [i for d in plan.days for i in d.items if i.kind == "run"]
    assert runs and all("Stride cue" in r.details for r in runs)
    strength = next(i for d in plan.days for i in d.items if i.id.endswith("-strength"))
    assert "Heiderscheit" in strength.source or "Bramah" in strength.source
    table = runner.invoke(app, ["--db", db.url, "gait", "history"])
    assert table.exit_code == 0 and "pelvic_drop_asymmetric" in table.output


def test_motion_capture_input_carries_the_3d_truth(shared_data: Path, tmp_path: Path) -> None:
    trial = shared_data / "gait" / "fukuchi-bmc-rbds" / "RBDS001runT25markers.txt"
    result = runner.invoke(app, ["--db", str(tmp_path / "m.sqlite"), "gait", "analyze", str(trial), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["view"] == "rear" and data["truth_3d"]["cadence_spm"] == pytest.approx(156.8, abs=0.5)
    assert data["cadence_spm"] == pytest.approx(data["truth_3d"]["cadence_spm"], abs=1.0)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.txt", b"hello", "not a stride input"),
        ("clip.mp4", b"this is not a video", "clip.mp4"),
        ("empty.csv", b"", "empty.csv"),
        ("markers.trc", b"PathFileType\t4\n", "markers.trc"),
    ],
)
def test_bad_inputs_give_one_line_errors(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(app, ["--db", str(tmp_path / "b.sqlite"), "gait", "analyze", str(path)])
    assert result.exit_code == 1
    assert reason in result.output and "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1


def test_option_errors(tmp_path: Path, asymmetric_csv: Path) -> None:
    base = ["--db", str(tmp_path / "o.sqlite"), "gait", "analyze", str(asymmetric_csv)]
    assert "use rear or side" in runner.invoke(app, [*base, "--view", "front"]).output
    assert "--crop" in runner.invoke(app, [*base, "--crop", "1,0,0,1"]).output
    assert "--date" in runner.invoke(app, [*base, "--date", "soon"]).output


def test_a_later_analysis_is_judged_against_the_previous_one(tmp_path: Path) -> None:
    database = str(tmp_path / "baseline.sqlite")
    clips = {}
    for name, drop in (("before", (4.0, 4.0)), ("after", (8.0, 8.0))):  # symmetric: only the rise can fire
        series = synthetic_run("rear", seconds=20, fps=60, cadence_spm=165, pelvic_drop_deg=drop, seed=3)
        clips[name] = tmp_path / f"{name}.csv"
        clips[name].write_text(keypoints_csv_text(series), encoding="utf-8")
    first = runner.invoke(app, ["--db", database, "gait", "analyze", str(clips["before"]), "--save", "--date",
                                "2026-10-01", "--json"])  # fmt: skip
    assert first.exit_code == 0 and json.loads(first.output)["findings"] == []
    second = json.loads(
        runner.invoke(
            app, ["--db", database, "gait", "analyze", str(clips["after"]), "--date", "2026-11-01", "--json"]
        ).output
    )
    assert second["compared_with"]["recorded_on"] == "2026-10-01"
    assert "pelvic_drop_increased" in {f["code"] for f in second["findings"]}
    earlier = json.loads(
        runner.invoke(
            app, ["--db", database, "gait", "analyze", str(clips["after"]), "--date", "2026-09-01", "--json"]
        ).output
    )
    assert "compared_with" not in earlier  # nothing saved before that day to compare with
