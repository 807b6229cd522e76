"""The plan from the store: the demo runner's weeks change phase across the spike; plan and today CLIs."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.samples.checkins import spike_day
from gluteguard.services.checkins import save_checkin
from gluteguard.services.demo import build_demo
from gluteguard.services.plan import phase_on, plan_for_week
from gluteguard.store.db import Database

END = date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "demo.sqlite"
    database = Database(f"sqlite:///{path}")
    build_demo(database, end_date=END, workers=2)
    database.dispose()
    return path


def test_phase_follows_the_demo_story(demo_path: Path) -> None:
    db = Database(f"sqlite:///{demo_path}")
    spike = spike_day(END)
    story = [phase_on(db, 1, spike + timedelta(days=offset)).phase for offset in (-7, 1, 5, 9, 17, 37)]
    # symptom-free → amber after the spike → red when pain rose week on week → back to managing → the walk/run
    # ladder once a brisk walk is pain-free and the stance test negative → prevention after the 28-day window
    assert story == ["prevent", "manage", "settle", "manage", "return", "prevent"]
    week = plan_for_week(db, 1, spike + timedelta(days=1))
    runs = [i for d in week.days for i in d.items if i.kind == "run"]
    assert week.phase == "manage" and runs
    assert all(run.distance_cap_m is None or run.distance_cap_m <= 23_001 for run in runs)
    db.dispose()


def test_a_red_flag_blocks_the_week(demo_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(demo_path.read_bytes())
    db = Database(f"sqlite:///{copy}")
    save_checkin(db, 1, {"date": "2026-11-22", "red_flags": {"cannot_bear_weight": True}})
    plan = plan_for_week(db, 1, date(2026, 11, 23))
    assert plan.phase == "blocked"
    assert {item.kind for day in plan.days for item in day.items} == {"clinician"}
    db.dispose()


def test_plan_and_today_cli(demo_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(demo_path), "plan", "--week-of", "2026-11-02", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert {"week_of", "phase", "days"} <= set(plan) and len(plan["days"]) == 7
    for day in plan["days"]:
        for item in day["items"]:
            assert {"id", "kind", "title", "details", "why", "source"} <= set(item)
            assert item["kind"] in {
                "run",
                "warmup",
                "strength",
                "stretch",
                "sitting_breaks",
                "tip",
                "rest",
                "clinician",
            }
    today = runner.invoke(app, ["--db", str(demo_path), "today", "--json"])
    assert today.exit_code == 0 and "items" in json.loads(today.output)
    bad = runner.invoke(app, ["--db", str(demo_path), "plan", "--week-of", "soon"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output


def test_done_and_skip_log_adherence(demo_path: Path, tmp_path: Path) -> None:
    from gluteguard.services.plan import PlanItemError, adherence, log_item

    copy = tmp_path / "adherence.sqlite"
    copy.write_bytes(demo_path.read_bytes())
    db = Database(f"sqlite:///{copy}")
    week = plan_for_week(db, 1, date(2026, 11, 16))
    strength = [i.id for d in week.days for i in d.items if i.id.endswith("-strength")]
    runs = [i.id for d in week.days for i in d.items if i.kind == "run"]
    log_item(db, 1, strength[0], "done")
    log_item(db, 1, strength[1], "skipped")
    log_item(db, 1, strength[1], "done")  # changed mind: the latest answer wins
    log_item(db, 1, runs[0], "skipped")
    counts = adherence(db, 1, date(2026, 11, 16), date(2026, 11, 22))
    assert counts["strength"] == {"done": 2, "skipped": 0} and counts["run"] == {"done": 0, "skipped": 1}
    with pytest.raises(PlanItemError):
        log_item(db, 1, "2026-11-16-run-7", "done")
    with pytest.raises(PlanItemError):
        log_item(db, 1, "yesterday-run", "done")
    cli = CliRunner().invoke(app, ["--db", str(copy), "skip", runs[1], "--json"])
    assert cli.exit_code == 0 and json.loads(cli.output)["outcome"] == "skipped"
    assert CliRunner().invoke(app, ["--db", str(copy), "done", "nonsense"]).exit_code == 1
    db.dispose()
