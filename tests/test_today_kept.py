"""The kept days behind a fast ``gluteguard today`` (issue 16 item 10): a kept day is exactly what deciding the day
afresh gives — on the day it was kept for and on a later day it was kept ahead for — and is shown only while the
data and the code are unchanged. Every write a runner makes moves the data version; the reader never writes; the
command line and the web app keep the days after a write. No timing here: that is ``benchmarks/cli_startup.py``'s."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, event, select
from sqlalchemy.dialects import sqlite
from typer.testing import CliRunner

from gluteguard.cli.app import app as cli_app
from gluteguard.services import athletes as athletes_service
from gluteguard.services.athletes import ensure_athlete, get_profile, update_profile
from gluteguard.services.coach import today_summary
from gluteguard.services.demo import build_demo
from gluteguard.services.today_kept import KEEP_DAYS, keep_coming_days, kept_is_current
from gluteguard.services.versions import decision_sources, sitting_sources
from gluteguard.store import today_kept
from gluteguard.store.db import Database
from gluteguard.store.today_kept import VERSION_QUERIES, kept_today

DEMO_END = date(2026, 11, 22)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _as_json(summary: object) -> dict:
    return json.loads(json.dumps(summary, default=str))


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Make ``day`` today, for the services and for the reader alike."""

    def set_today(day: date) -> None:
        monkeypatch.setattr(athletes_service, "today_in", lambda _zone: day)
        monkeypatch.setattr(today_kept, "local_day", lambda _zone: day)

    return set_today


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo runner (runs, check-ins, a stride analysis, logged items), built once for the module."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    db = Database(f"sqlite:///{path}")
    try:
        build_demo(db, end_date=DEMO_END)
    finally:
        db.dispose()
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path, on_day: Callable[[date], None]) -> Iterator[tuple[Database, Path, int]]:
    """A copy of the demo runner's database, with today the demo's last day."""
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_file, path)
    db = Database(f"sqlite:///{path}")
    on_day(DEMO_END)
    try:
        yield db, path, ensure_athlete(db)
    finally:
        db.dispose()


def test_the_version_queries_are_the_sql_of_the_version_definitions() -> None:
    sources = {**decision_sources(), **sitting_sources()}
    assert set(VERSION_QUERIES) == set(sources)
    for name, (table, columns) in sources.items():
        compiled = select(*columns).where(table.athlete_id == bindparam("athlete")).compile(dialect=sqlite.dialect())
        assert VERSION_QUERIES[name] == str(compiled), name


def test_the_versions_cover_every_table_the_day_reads(demo) -> None:
    """Every table deciding and summing up a day reads (seen in the SQL it sends) has its version in the digest:
    a table added to the decision without a version fails here."""
    db, _path, athlete_id = demo
    read: set[str] = set()

    def seen(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        read.update(re.findall(r"\b(?:FROM|JOIN)\s+\"?(\w+)", statement))

    _forget_caches()
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for offset in range(KEEP_DAYS):
            day = DEMO_END + timedelta(days=offset)
            today_summary(db, athlete_id, day, as_of=day)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    versioned = {"athlete"} | {re.search(r"FROM (\w+)", sql).group(1) for sql in VERSION_QUERIES.values()}
    assert read and read <= versioned, read - versioned


def _forget_caches() -> None:
    """Empty the process caches, as a fresh process starts (else the history is not read again)."""
    from gluteguard.services import checkins as checkin_service
    from gluteguard.services import coach as coach_service
    from gluteguard.services import load as load_service

    load_service._SESSIONS._entries.clear()
    checkin_service._HISTORY._entries.clear()
    checkin_service._PARSED.clear()
    coach_service._HISTORIES._entries.clear()
    coach_service._LAST_BUILT.clear()


def test_a_kept_day_is_the_day_decided_afresh_then_and_later(demo, on_day) -> None:
    db, path, athlete_id = demo
    assert keep_coming_days(db, athlete_id) == KEEP_DAYS
    for offset in (0, 1, 3, KEEP_DAYS - 1):
        day = DEMO_END + timedelta(days=offset)
        on_day(day)  # nothing written since: the day has come
        kept = kept_today(path, "me")
        assert kept is not None, day
        assert kept.payload == _as_json(today_summary(db, athlete_id).as_dict()), day
        assert kept.payload["date"] == day.isoformat() and kept.runs_imported
    on_day(DEMO_END + timedelta(days=KEEP_DAYS))
    assert kept_today(path, "me") is None  # beyond what was kept: decided afresh


def test_only_today_is_shown_and_only_while_the_code_is_the_same(demo, monkeypatch) -> None:
    db, path, athlete_id = demo
    keep_coming_days(db, athlete_id)
    assert kept_today(path, "me", DEMO_END) is not None
    assert kept_today(path, "me", DEMO_END - timedelta(days=1)) is None  # another day asked for
    assert kept_today(path, "me", DEMO_END + timedelta(days=1)) is None  # a day ahead is projected, not kept
    assert kept_today(path, "someone else") is None
    monkeypatch.setattr(today_kept, "CODE_VERSION", "0" * 64)  # an upgrade, an edited rule file
    assert kept_today(path, "me") is None


def _check_in(db: Database, athlete_id: int) -> None:
    from gluteguard.services.checkins import save_checkin

    save_checkin(db, athlete_id, {"date": DEMO_END.isoformat(), "pain_at_rest": 3})


def _log_item(db: Database, athlete_id: int) -> None:
    from gluteguard.services.plan import log_item

    item = today_summary(db, athlete_id).decision.items[0]
    log_item(db, athlete_id, item.id, "skipped")


def _profile(db: Database, athlete_id: int) -> None:
    update_profile(db, athlete_id, {"birth_year": (get_profile(db, athlete_id).birth_year or 1980) + 1})


def _import(db: Database, athlete_id: int) -> None:
    from gluteguard.samples.fitwriter import encode_fit
    from gluteguard.samples.runner import one_hour_synthetic_run
    from gluteguard.services.importer import import_paths

    folder = Path(db.url.split("///", 1)[1]).parent
    run = folder / "new.fit"
    run.write_bytes(encode_fit(one_hour_synthetic_run(5)))
    assert import_paths(db, athlete_id, [run], workers=1).as_json()["imported"] == 1


def _clearance(db: Database, athlete_id: int) -> None:
    from gluteguard.services.clinician import record_visit

    record_visit(db, athlete_id, "cleared", DEMO_END, DEMO_END, by="Dr Test")


def _sitting_break(db: Database, athlete_id: int) -> None:
    from gluteguard.services.sitting import record_break
    from gluteguard.sitting.reminders import BreakLog

    record_break(db, athlete_id, BreakLog(datetime(2026, 11, 21, 10, tzinfo=UTC), "done", None))


WRITES = [_check_in, _log_item, _profile, _import, _clearance, _sitting_break]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__.strip("_"))
def test_every_write_a_runner_makes_retires_the_kept_days(demo, write) -> None:
    db, path, athlete_id = demo
    keep_coming_days(db, athlete_id)
    assert kept_is_current(db, athlete_id) and kept_today(path, "me") is not None
    write(db, athlete_id)
    assert not kept_is_current(db, athlete_id)
    assert kept_today(path, "me") is None
    keep_coming_days(db, athlete_id)
    kept = kept_today(path, "me")
    assert kept is not None and kept.payload == _as_json(today_summary(db, athlete_id).as_dict())


def test_reading_a_kept_day_never_writes(demo, tmp_path) -> None:
    db, path, athlete_id = demo
    keep_coming_days(db, athlete_id)
    db.dispose()
    before = _sha(path)
    assert kept_today(path, "me") is not None
    assert _sha(path) == before
    missing = tmp_path / "nothing-here.sqlite"
    assert kept_today(missing, "me") is None and not missing.exists()
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"not a database" * 100)
    assert kept_today(damaged, "me") is None


def test_another_database_keeps_nothing(db: Database) -> None:
    athlete_id = ensure_athlete(db)
    kept = keep_coming_days(db, athlete_id)
    assert kept == (KEEP_DAYS if db.url.startswith("sqlite") else 0)


# --- as a runner uses it -----------------------------------------------------------------------------------------


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _kept_rows(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT day, version FROM kept_day ORDER BY day").fetchall()


def test_a_command_that_only_reads_keeps_nothing(tmp_path: Path) -> None:
    path = tmp_path / "reads.sqlite"
    db = str(path)
    for command in (["athlete", "show"], ["activities"], ["sitting"], ["load"], ["today"]):
        _cli("--db", db, *command)
    assert _kept_rows(path) == []


def test_a_check_in_on_the_command_line_keeps_the_days_and_today_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "cli.sqlite"
    db = str(path)
    assert "No runs imported yet" in _cli("--db", db, "today")
    assert _kept_rows(path) == []  # `today` only reads
    _cli("--db", db, "checkin", "--pain-at-rest", "2", "--pain-next-morning", "1")
    rows = _kept_rows(path)
    assert len(rows) == KEEP_DAYS and len({version for _, version in rows}) == 1
    kept_json, kept_text = _cli("--db", db, "today", "--json"), _cli("--db", db, "today")
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM kept_day")
    assert _cli("--db", db, "today", "--json") == kept_json  # decided afresh: the same words
    assert _cli("--db", db, "today") == kept_text
    assert "No runs imported yet" in kept_text


def test_today_from_a_kept_day_loads_no_database_layer(tmp_path: Path) -> None:
    """In its own process, as a runner types it: neither SQLAlchemy nor numpy is imported, and the JSON is the one
    decided afresh."""
    path = tmp_path / "fresh.sqlite"
    _cli("--db", str(path), "checkin", "--pain-at-rest", "1")
    assert _kept_rows(path)
    code = (
        "import json, sys\n"
        "from gluteguard.cli.app import main\n"
        f"sys.argv = ['gluteguard', '--db', {str(path)!r}, 'today', '--json']\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print(json.dumps([n for n in ('sqlalchemy', 'numpy') if n in sys.modules]), file=sys.stderr)\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "GLUTEGUARD_DB"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
    database = Database(f"sqlite:///{path}")
    try:
        expected = _as_json(today_summary(database, ensure_athlete(database)).as_dict())
    finally:
        database.dispose()
    assert json.loads(done.stdout) == expected


def test_a_check_in_in_the_web_app_keeps_the_days(tmp_path: Path) -> None:
    from gluteguard.web.app import create_app

    path = tmp_path / "web.sqlite"
    web = create_app(str(path))
    with TestClient(web, base_url="http://127.0.0.1") as client:
        page = client.get("/checkin")
        assert page.status_code == 200
        sent = client.post("/api/v1/checkins", json={"date": date.today().isoformat(), "pain_at_rest": 2})
        assert sent.status_code in (200, 201), sent.text
        assert web.state.keeper.wait_idle(60)
    rows = _kept_rows(path)
    assert len(rows) == KEEP_DAYS
    kept = kept_today(path, "me")
    assert kept is not None and kept.payload["status"] is not None
    assert kept_is_current(web.state.db, ensure_athlete(web.state.db))


def test_a_keeper_stops_promptly_whenever_it_is_stopped(sqlite_db: Database) -> None:
    """Stopped while a keep is due, settling, or idle: the thread ends (a Ctrl+C on the folder watch must not
    hang)."""
    from gluteguard.services.today_kept import ComingDaysKeeper

    ensure_athlete(sqlite_db)
    for pause in (0.0, 0.1, 0.5, 2.0):
        keeper = ComingDaysKeeper(sqlite_db, "me")
        keeper.soon()
        time.sleep(pause)
        started = time.monotonic()
        keeper.stop(timeout_s=10)
        assert not keeper._thread.is_alive() and time.monotonic() - started < 5, pause


def test_the_web_keeper_keeps_into_the_database_the_app_has_now(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A test (or a reload) may replace the app's database after the app is built: the keeper follows it and never
    reaches the replaced one (the schemathesis suite swaps an in-memory placeholder for its seeded file)."""
    from gluteguard.web.app import create_app

    web = create_app("sqlite://")
    placeholder, path = web.state.db, tmp_path / "swapped.sqlite"
    web.state.db, web.state.athlete_id = Database(f"sqlite:///{path}"), None
    placeholder.dispose()
    with (
        caplog.at_level("WARNING", logger="gluteguard.services.today_kept"),
        TestClient(web, base_url="http://127.0.0.1") as client,
    ):
        sent = client.post("/api/v1/checkins", json={"date": date.today().isoformat(), "pain_at_rest": 1})
        assert sent.status_code in (200, 201), sent.text
        assert web.state.keeper.wait_idle(60)
    assert not [r for r in caplog.records if "could not keep" in r.getMessage()]
    assert len(_kept_rows(path)) == KEEP_DAYS
    web.state.keeper.stop()
    web.state.db.dispose()
