"""Running dynamics from real watch files: per-run medians match the file read independently; notes and trends."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import fitdecode
import numpy as np
import pytest
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.gait.dynamics import RunDynamics, run_notes, summarise_run, trend_notes
from gluteguard.ingest.model import Streams
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.gait import running_dynamics
from gluteguard.services.importer import import_paths
from gluteguard.store.db import Database

WITH_DYNAMICS = [
    "GoldenCheetah-test-rides/Garmin920_withFirstbeat.fit",
    "thomaschampagne-elevate-specs/running/portland.fit",
    "thomaschampagne-elevate-specs/running/treadmill.fit",
    "thomaschampagne-elevate-specs/running/trosku.fit",
]


def _independent_medians(path: Path) -> dict[str, float]:
    """Medians of the running samples, read with fitdecode rather than the importer."""
    rows = []
    with fitdecode.FitReader(path, check_crc=fitdecode.CrcCheck.DISABLED) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                values = {f.name: f.value for f in frame.fields}
                cadence = values.get("cadence")
                fractional = values.get("fractional_cadence") or 0
                contact = values.get("stance_time")
                if cadence is None or contact in (None, 0):
                    continue
                spm = 2 * (cadence + fractional)
                if spm >= 130:
                    rows.append((spm, contact, values.get("stance_time_balance")))
    data = np.array([[np.nan if v is None else float(v) for v in row] for row in rows])
    return {"cadence_spm": float(np.median(data[:, 0])), "stance_time_ms": float(np.median(data[:, 1])),
            "stance_time_balance_pct": float(np.nanmedian(data[:, 2]))}  # fmt: skip


@pytest.fixture(scope="module")
def dynamics_db(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> tuple[Database, int]:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('dyn') / 'dyn.sqlite'}")
    athlete = ensure_athlete(db)
    import_paths(db, athlete, [shared_data / "fit" / name for name in WITH_DYNAMICS], workers=1)
    return db, athlete


def test_real_runs_match_an_independent_read(dynamics_db: tuple[Database, int], shared_data: Path) -> None:
    db, athlete = dynamics_db
    runs, _ = running_dynamics(db, athlete)
    assert len(runs) == len(WITH_DYNAMICS)
    by_samples = sorted(runs, key=lambda r: r.running_samples)
    expected = sorted(
        (_independent_medians(shared_data / "fit" / n) for n in WITH_DYNAMICS), key=lambda e: e["cadence_spm"]
    )
    for run in runs:
        assert 140 <= run.cadence_spm <= 200 and 150 <= run.stance_time_ms <= 350
        assert 45 <= run.stance_time_balance_pct <= 55 and run.vertical_ratio_pct and run.step_length_mm
    got = sorted(({"cadence_spm": r.cadence_spm, "stance_time_ms": r.stance_time_ms,
                   "stance_time_balance_pct": r.stance_time_balance_pct} for r in by_samples),
                 key=lambda e: e["cadence_spm"])  # fmt: skip
    for mine, theirs in zip(got, expected, strict=True):
        assert mine["cadence_spm"] == pytest.approx(theirs["cadence_spm"], abs=1.0)
        assert mine["stance_time_ms"] == pytest.approx(theirs["stance_time_ms"], abs=1.0)
        assert mine["stance_time_balance_pct"] == pytest.approx(theirs["stance_time_balance_pct"], abs=0.05)


def test_cli_prints_runs_and_notes(dynamics_db: tuple[Database, int]) -> None:
    db, _ = dynamics_db
    result = CliRunner().invoke(app, ["--db", db.url, "gait", "dynamics", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["runs"]) == len(WITH_DYNAMICS) and {"code", "severity", "message", "source"} <= set(
        data["notes"][0]
    )
    text = CliRunner().invoke(app, ["--db", db.url, "gait", "dynamics"])
    assert "balance L/R" in text.output


def _run(day: int, balance: float | None, cadence: float = 170.0) -> RunDynamics:
    return RunDynamics(day, date(2026, 1, 1) + timedelta(days=day), 600, cadence, 250.0, balance)


def test_balance_zones_follow_garmin_and_name_the_longer_foot() -> None:
    assert run_notes(_run(1, 50.5)) == []
    fair = run_notes(_run(1, 48.5))
    assert fair[0].code == "balance_fair" and "right foot 51.5 %" in fair[0].message
    poor = run_notes(_run(1, 53.0))
    assert poor[0].code == "balance_poor" and poor[0].severity == "watch" and "left foot 53.0 %" in poor[0].message


def test_a_poor_balance_streak_on_one_foot_is_a_pattern() -> None:
    today = date(2026, 1, 10)
    three_left = [_run(1, 53.0), _run(2, 53.5), _run(3, 52.9)]
    assert [n.code for n in trend_notes(three_left, today)] == ["balance_poor_repeated"]
    switching = [_run(1, 53.0), _run(2, 46.0), _run(3, 52.9)]
    assert trend_notes(switching, today) == []
    broken = [*three_left, _run(4, 50.0)]
    assert trend_notes(broken, today) == []


def test_cadence_trend_against_the_runners_own_baseline() -> None:
    today = date(2026, 6, 1)
    base = [RunDynamics(i, today - timedelta(days=40 + i), 600, 160.0) for i in range(4)]
    recent = [RunDynamics(10 + i, today - timedelta(days=i), 600, 170.0) for i in range(3)]
    notes = trend_notes(base + recent, today)
    assert [n.code for n in notes] == ["cadence_up"] and "160 → 170" in notes[0].message
    steady = [RunDynamics(10 + i, today - timedelta(days=i), 600, 163.0) for i in range(3)]
    assert trend_notes(base + steady, today) == []


def test_walks_and_files_without_dynamics_give_no_summary() -> None:
    walking = Streams({"time_s": np.arange(600.0), "cadence_spm": np.full(600, 110.0), "stance_time_ms": np.zeros(600)})
    assert summarise_run(1, date(2026, 1, 1), walking) is None
    no_dynamics = Streams({"time_s": np.arange(600.0), "cadence_spm": np.full(600, 170.0)})
    assert summarise_run(1, date(2026, 1, 1), no_dynamics) is None
