"""A fast ``today`` (issue 16 item 10) decides exactly what the plain way decides: the activities and check-ins read
the quicker way (plain rows, one query, the offset's tzinfo made once, the collector paused while ten years of rows
become objects) are equal, field by field, to the straightforward reading, and every decision and ``today --json``
built on them is the same — on ten years of history and on the demo runner. A ``today`` only reads: the database
file is byte for byte the same after it. No timing here: that is ``benchmarks/cli_startup.py``'s job."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import or_, select, update

from gluteguard.coach.decide import decide
from gluteguard.coach.history import AthleteHistory, PlanProfile
from gluteguard.load.series import Session
from gluteguard.load.trimp import HISTOGRAM_MAX_BPM, trimp_from_histogram, trimp_weights
from gluteguard.services import checkins as checkin_service
from gluteguard.services import coach as coach_service
from gluteguard.services import load as load_service
from gluteguard.services.activities import local_start
from gluteguard.services.adherence import plan_log
from gluteguard.services.athletes import get_profile
from gluteguard.services.checkins import checkin_saved_times, list_checkins
from gluteguard.services.clinician import list_visits
from gluteguard.services.demo import build_demo
from gluteguard.services.selftests import self_test_history
from gluteguard.store.codec import decode_histogram
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, CheckInRow
from gluteguard.symptoms.model import parse_checkin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from web_bench import build_database  # noqa: E402  (the benchmark's ten-year history, the same one it times)

LONG_LAST_DAY = date(2026, 11, 22)  # load_bench.LAST_DAY
DEMO_END = date(2026, 11, 22)


def _forget(db: Database) -> None:
    """Empty the process caches, as a fresh CLI process starts."""
    load_service._SESSIONS._entries.clear()
    checkin_service._HISTORY._entries.clear()
    checkin_service._PARSED.clear()
    coach_service._HISTORIES._entries.clear()
    coach_service._LAST_BUILT.clear()


def reference_sessions(db: Database, athlete_id: int) -> tuple[Session, ...]:
    """The activities as the load engine sees them, read the straightforward way (ORM rows, numpy's clip)."""
    profile = get_profile(db, athlete_id)
    zone = ZoneInfo(profile.timezone)
    weights = trimp_weights(profile.resting_hr, profile.max_hr, profile.sex)
    query = select(Activity).where(
        Activity.athlete_id == athlete_id,
        or_(Activity.duplicate_status.is_(None), Activity.duplicate_status != "possible"),
    )
    sessions = []
    with db.session() as session:
        for row in session.scalars(query):
            duration = row.moving_s or row.elapsed_s or 0.0
            if row.hr_histogram is not None:
                trimp = trimp_from_histogram(decode_histogram(row.hr_histogram), weights)
            elif row.avg_hr:
                bin_ = int(np.clip(round(row.avg_hr), 0, HISTOGRAM_MAX_BPM))
                trimp = float(weights[bin_] * (duration / 60.0))
            else:
                trimp = None
            start = local_start(row.start_utc, row.utc_offset_s, zone).replace(tzinfo=None)
            sessions.append(Session(row.id, start, row.sport, row.distance_m or 0.0, duration, row.ascent_m or 0.0,
                                    trimp, row.rpe))  # fmt: skip
    return tuple(sorted(sessions, key=lambda s: s.local_start))


def reference_checkins(db: Database, athlete_id: int) -> tuple:
    with db.session() as session:
        rows = session.execute(
            select(CheckInRow.answers).where(CheckInRow.athlete_id == athlete_id).order_by(CheckInRow.day)
        ).all()
    return tuple(parse_checkin(answers) for (answers,) in rows)


def reference_history(db: Database, athlete_id: int) -> AthleteHistory:
    profile = get_profile(db, athlete_id)
    days, work, equipment = tuple(profile.running_days), tuple(profile.work_days), tuple(profile.equipment)
    return AthleteHistory(
        profile=PlanProfile(days, profile.long_run_day, work, equipment, profile.birth_year),
        sessions=reference_sessions(db, athlete_id),
        checkins=reference_checkins(db, athlete_id),
        checkin_saved=checkin_saved_times(db, athlete_id),
        self_tests=tuple(self_test_history(db, athlete_id)),
        plan_log=plan_log(db, athlete_id),
        visits=list_visits(db, athlete_id),
        stride=coach_service._stride(db, athlete_id),
        gear=coach_service._gear(db, athlete_id, profile),
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _today_json(url: str, day: date) -> dict:
    """``gluteguard today --json`` in a fresh process, as the runner runs it."""
    env = {k: v for k, v in os.environ.items() if k != "GLUTEGUARD_DB"}
    code = "import sys; from gluteguard.cli.app import main; sys.argv[0] = 'gluteguard'; main()"
    done = subprocess.run([sys.executable, "-c", code, "--db", url, "today", "--date", day.isoformat(), "--json"],
                          capture_output=True, text=True, env=env, check=True)  # fmt: skip
    return json.loads(done.stdout)


def _as_json(value: object) -> object:
    return json.loads(json.dumps(value, default=str))


@pytest.fixture(scope="module")
def long_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten years of daily check-ins and ~500 activities a year; a third of them without a UTC offset of their own
    (the profile's time zone places them, DST and all) and some without a heart rate, so every branch is read."""
    path = tmp_path_factory.mktemp("long") / "long.sqlite"
    url, activities, checkins = build_database(path, 10, 20261122)
    assert activities > 4000 and checkins > 3600
    db = Database(url)
    with db.session() as session:
        session.execute(update(Activity).where(Activity.id % 3 == 0).values(utc_offset_s=None))
        session.execute(update(Activity).where(Activity.id % 7 == 0).values(avg_hr=None))
        session.execute(update(Activity).where(Activity.id % 11 == 0).values(avg_hr=251.4))  # above the last bin
    db.dispose()
    return path


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    database = Database(f"sqlite:///{path}")
    build_demo(database, end_date=DEMO_END, workers=2)
    database.dispose()
    return path


@pytest.mark.parametrize(("which", "last_day"), [("long_db", LONG_LAST_DAY), ("demo_db", DEMO_END)])
def test_the_quick_reading_is_the_plain_reading(which: str, last_day: date, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(which)
    db = Database(f"sqlite:///{path}")
    _forget(db)
    sessions, _ = load_service.athlete_sessions(db, 1)
    assert tuple(sessions) == reference_sessions(db, 1)
    assert [s.trimp for s in sessions] == [s.trimp for s in reference_sessions(db, 1)]  # to the last bit
    assert tuple(list_checkins(db, 1)) == reference_checkins(db, 1)
    assert gc.isenabled()  # the collector paused for the reading only
    db.dispose()


@pytest.mark.parametrize(("which", "last_day"), [("long_db", LONG_LAST_DAY), ("demo_db", DEMO_END)])
def test_every_decision_is_the_one_the_plain_reading_gives(
    which: str, last_day: date, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(which)
    db = Database(f"sqlite:///{path}")
    _forget(db)
    plain = reference_history(db, 1)
    days = [last_day - timedelta(days=k) for k in (0, 1, 2, 3, 5, 8, 13, 27, 60, 200)]
    for day in days:
        quick = coach_service.decision_on(db, 1, day)
        assert quick.as_dict() == decide(plain.until(coach_service.local_today(db, 1)), day).as_dict(), day
    db.dispose()


@pytest.mark.parametrize(("which", "last_day"), [("long_db", LONG_LAST_DAY), ("demo_db", DEMO_END)])
def test_today_json_in_a_fresh_process_is_the_plain_decision_and_writes_nothing(
    which: str, last_day: date, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(which)
    url = f"sqlite:///{path}"
    db = Database(url)
    plain = reference_history(db, 1)
    today = coach_service.local_today(db, 1)
    db.dispose()
    before = _sha(path)
    for day in (last_day, last_day - timedelta(days=4)):
        shown = _today_json(url, day)
        expected = _as_json(decide(plain.until(today), day).as_dict())
        assert isinstance(expected, dict)
        for key, value in expected.items():
            if key == "items":  # today adds what was logged of each item
                assert [{k: v for k, v in item.items() if k != "outcome"} for item in shown["items"]] == value
            else:
                assert shown[key] == value, key
    assert _sha(path) == before, "today wrote to the database"
