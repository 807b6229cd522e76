"""Symptoms from the store: the status report, the CLI, the cap it feeds to the load engine, the demo story."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.samples.checkins import spike_day
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.checkins import save_checkin
from gluteguard.services.coach import athlete_history, load_on
from gluteguard.services.demo import build_demo
from gluteguard.services.load import state_on
from gluteguard.services.selftests import record_palpation, record_stance
from gluteguard.services.symptoms import symptom_report
from gluteguard.store.db import Database
from gluteguard.symptoms.selftests import stance_side

END = date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}")
    build_demo(database, end_date=END, workers=2)
    return database


def test_report_shape_and_no_checkins(db: Database) -> None:
    athlete = ensure_athlete(db)
    assert symptom_report(db, athlete, date(2026, 11, 2)) is None
    save_checkin(db, athlete, {"date": "2026-11-02", "pain_during_run": 2, "pain_next_morning": 0})
    report = symptom_report(db, athlete, date(2026, 11, 2)).as_dict()
    assert {"date", "status", "action", "reasons", "pattern", "trend", "meaningful_change"} <= set(report)
    assert report["status"] == "green" and report["action"] == "self_manage"


def test_latest_self_tests_per_side(db: Database) -> None:
    athlete = ensure_athlete(db)
    record_stance(db, athlete, date(2026, 11, 1), [stance_side("left", 9, 3), stance_side("right", None, 0)])
    record_stance(db, athlete, date(2026, 11, 5), [stance_side("left", None, 0)])
    record_palpation(db, athlete, date(2026, 11, 5), {"left": False})
    history = athlete_history(db, athlete)
    tests = history.self_tests_on(date(2026, 11, 6))
    assert tests.stance["left"].seconds_to_pain is None and tests.stance["right"].seconds_to_pain is None
    assert tests.palpation == {"left": False} and tests.tested_on == date(2026, 11, 5)
    assert history.self_tests_on(date(2026, 11, 2)).stance["left"].positive


def test_red_flag_stops_running_in_the_load_cap(demo_db: Database) -> None:
    day = END + timedelta(days=1)
    save_checkin(demo_db, 1, {"date": day.isoformat(), "red_flags": {"saddle_numbness_or_bladder_bowel_change": True}})
    report = symptom_report(demo_db, 1, day)
    assert report.action == "emergency" and report.status == "red"
    load = load_on(demo_db, 1, day).state
    assert load.next_run_cap_m == 0.0 and load.cap_reason.startswith("No running today")
    assert state_on(demo_db, 1, day).next_run_cap_m > 0  # the load engine alone


def test_demo_story_amber_after_the_spike_then_settling(demo_db: Database) -> None:
    spike = spike_day(END)
    after = symptom_report(demo_db, 1, spike + timedelta(days=1))
    assert after.status == "amber" and after.action == "self_manage"
    view = load_on(demo_db, 1, spike + timedelta(days=1))
    # amber: at most 100 % of the longest run the hip tolerated before the spike — never the spike itself
    tolerated = view.decision.next_run.longest_tolerated_m
    assert view.state.next_run_cap_m == pytest.approx(tolerated) and tolerated < view.state.longest_run_30d_m
    assert "amber" in view.state.cap_reason
    assert symptom_report(demo_db, 1, spike + timedelta(days=2)).pattern.fits
    later = symptom_report(demo_db, 1, spike + timedelta(days=19))
    assert later.status == "green"


def test_status_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--db", str(tmp_path / "s.sqlite")]
    none_yet = runner.invoke(app, [*base, "status"])
    assert none_yet.exit_code == 1 and "no check-ins" in none_yet.output
    runner.invoke(app, [*base, "checkin", "--date", "2026-11-02", "--pain-during-run", "7"])
    result = runner.invoke(app, [*base, "status", "--date", "2026-11-02", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "red" and all({"code", "message", "source"} <= set(r) for r in report["reasons"])
    text = runner.invoke(app, [*base, "status", "--date", "2026-11-02"])
    assert "RED" in text.output and "not a diagnosis" in text.output
    urgent = runner.invoke(app, [*base, "checkin", "--date", "2026-11-03", "--red-flag", "cannot_bear_weight"])
    assert urgent.exit_code == 0
    shown = runner.invoke(app, [*base, "status", "--date", "2026-11-03"])
    assert "running today: no" in shown.output
