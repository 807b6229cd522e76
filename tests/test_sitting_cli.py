"""Sitting from the store and the reminder commands: figures from stored wearable samples, the check-in
fallback, breaks logged from reminders counting for the day and the plan, the service file."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.ingest.wearable import StepSample, WearableData
from gluteguard.services.athletes import ensure_athlete, update_profile
from gluteguard.services.checkins import save_checkin
from gluteguard.services.wearables import store_wearable_rows
from gluteguard.store.db import Database

runner = CliRunner()
BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 24)  # a Tuesday


def _profile(db: Database) -> int:
    athlete = ensure_athlete(db)
    profile = {"timezone": "Europe/Berlin", "work_days": "mon,tue,wed,thu,fri", "work_start": "09:00",
               "work_end": "17:00", "running_days": "tue,thu,sat"}  # fmt: skip
    update_profile(db, athlete, profile)
    return athlete


def _desk_day(db: Database, athlete: int) -> None:
    """Walk in at 09:00, sit 09:05–11:05, a 5-minute walk, sit till 13:00, lunch walk, sit till 17:00."""

    def at(hour: int, minute: int) -> datetime:
        return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=BERLIN).astimezone(UTC)

    walks = [(at(9, 0), at(9, 5), 400), (at(11, 5), at(11, 10), 450), (at(13, 0), at(13, 20), 1800)]
    samples = [StepSample(start, end, steps, "Apple Watch") for start, end, steps in walks]
    # The phone counted the same lunch walk: the figures must not count it twice.
    samples.append(StepSample(at(13, 0), at(13, 20), 1750, "iPhone"))
    # The watch was worn all day: still minutes with zero steps are data too (sitting).
    start = at(9, 5)
    while start < at(17, 0):
        end = start + timedelta(minutes=5)
        if not any(s <= start < e for s, e, _ in walks):
            samples.append(StepSample(start, end, 0, "Apple Watch"))
        start = end
    with db.session() as session:
        store_wearable_rows(session, athlete, WearableData("test", tuple(samples)))


def test_sitting_day_from_stored_samples_and_the_fallback(db: Database) -> None:
    athlete = _profile(db)
    _desk_day(db, athlete)
    result = runner.invoke(app, ["--db", db.url, "sitting", "--date", DAY.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data)[:6] == ["date", "sitting_min", "longest_bout_min", "breaks", "active_hours", "source"]
    assert data["source"] == "wearable" and data["longest_bout_min"] == 220  # 13:20–17:00
    assert 440 <= data["sitting_min"] <= 455 and data["breaks"] == 2  # the 09:00 walk-in is no break
    # Importing the same samples again adds nothing (a newer export holds the old samples too).
    _desk_day(db, athlete)
    assert (
        json.loads(runner.invoke(app, ["--db", db.url, "sitting", "--date", DAY.isoformat(), "--json"]).output)[
            "sitting_min"
        ]
        == data["sitting_min"]
    )
    # A day without wearable data falls back to the check-in's sitting hours.
    other = DAY - timedelta(days=1)
    save_checkin(db, athlete, {"date": other.isoformat(), "sitting_hours": 6})
    fallback = json.loads(runner.invoke(app, ["--db", db.url, "sitting", "--date", other.isoformat(), "--json"]).output)
    assert fallback["source"] == "self_reported" and fallback["sitting_min"] == 360
    assert fallback["longest_bout_min"] is None
    history = runner.invoke(app, ["--db", db.url, "sitting", "--date", DAY.isoformat(), "--history", "--days", "3"])
    assert history.exit_code == 0 and "your check-in" in history.output and "your wearable" in history.output
    assert "self_reported" not in history.output  # plain words for the runner; the codes stay in the JSON


def test_history_chart_is_offline(sqlite_db: Database, tmp_path: Path) -> None:
    athlete = _profile(sqlite_db)
    _desk_day(sqlite_db, athlete)
    chart = tmp_path / "sitting.html"
    result = runner.invoke(app, ["--db", sqlite_db.url, "sitting", "--date", DAY.isoformat(), "--history",
                                 "--chart", str(chart)])  # fmt: skip
    assert result.exit_code == 0, result.output
    page = chart.read_text()
    assert "longest sitting spell" in page and '<script src="http' not in page


def test_a_break_done_counts_for_the_day_and_the_plan(db: Database) -> None:
    athlete = _profile(db)
    _desk_day(db, athlete)
    before = json.loads(runner.invoke(app, ["--db", db.url, "sitting", "--date", DAY.isoformat(), "--json"]).output)
    at = datetime(DAY.year, DAY.month, DAY.day, 15, 0, tzinfo=BERLIN).isoformat()
    done = runner.invoke(app, ["--db", db.url, "remind", "--done", "--now", at])
    assert done.exit_code == 0 and "sitting-breaks plan item" in done.output, done.output
    after = json.loads(runner.invoke(app, ["--db", db.url, "sitting", "--date", DAY.isoformat(), "--json"]).output)
    assert after["logged_breaks"] == before["logged_breaks"] + 1
    from gluteguard.services.plan import adherence

    assert adherence(db, athlete, DAY, DAY)["sitting_breaks"]["done"] == 1


def test_remind_once_prompts_in_work_hours_and_stays_quiet_outside(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")  # no session bus: the prompt goes to the terminal
    _profile(sqlite_db)
    inside = datetime(2026, 11, 24, 10, 30, tzinfo=BERLIN).isoformat()
    result = runner.invoke(app, ["--db", sqlite_db.url, "remind", "--once", "--now", inside, "--wait-s", "0"])
    assert result.exit_code == 0, result.output
    assert "Time to get up" in result.output and "Source:" in result.output
    evening = datetime(2026, 11, 24, 20, 0, tzinfo=BERLIN).isoformat()
    quiet = runner.invoke(app, ["--db", sqlite_db.url, "remind", "--once", "--now", evening, "--wait-s", "0"])
    assert quiet.exit_code == 0 and "Time to get up" not in quiet.output


def test_service_install_and_remove_write_the_unit(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    if sys.platform not in ("linux", "darwin"):
        pytest.skip("user services exist for systemd (Linux) and launchd (macOS) only")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", "/nonexistent")  # systemctl/launchctl not found: the file is written, the run fails
    installed = runner.invoke(app, ["--db", sqlite_db.url, "remind", "--install-service"])
    assert installed.exit_code == 0, installed.output
    unit = next(tmp_path.rglob("gluteguard-remind.service"), None) or next(tmp_path.rglob("*.plist"))
    assert "remind" in unit.read_text() and sqlite_db.url.removeprefix("sqlite:///") in unit.read_text()
    removed = runner.invoke(app, ["--db", sqlite_db.url, "remind", "--remove-service"])
    assert removed.exit_code == 0 and not unit.exists()
