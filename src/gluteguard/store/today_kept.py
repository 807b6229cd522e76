"""The coming days' summaries as decided after the last write, read back with the standard library only.

``gluteguard today`` is what a runner types most, and on ten years of history deciding the day means importing the
database layer and numpy and reading every run again (~0.8 s). Every write (a check-in, an import, done/skip, a
profile change…) already ends with the data as it will stay until the next write, so the writer
(``services/today_kept.py``) decides the next days then and keeps each one's ``today --json`` in ``kept_day`` with
two versions: the data's (the aggregates below, one row per table the summary reads) and the code's (the package's
files). A kept day is shown only on that very day and only while both versions are what they were; anything else
(another day asked for, a write since, an upgrade, another database than SQLite) is decided afresh as before, so a
kept day can be missing but never out of date.

The version queries are the SQL of ``services/versions.py``'s definitions as SQLAlchemy compiles them for SQLite;
``tests/test_today_kept.py`` compiles those definitions again and fails when the two differ.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PACKAGE_DIR = Path(__file__).resolve().parents[1]

# The athlete row (the profile: time zone, running and work days, equipment…) and, per table the day's summary
# reads, its aggregate version (services/versions.py: decision_sources, then sitting_sources).
ATHLETE_QUERY = "SELECT * FROM athlete WHERE athlete.id = ?"
VERSION_QUERIES: dict[str, str] = {
    "activities": "SELECT count(*) AS count_1, max(activity.id) AS max_1, max(activity.updated_at) AS max_2 \n"
    "FROM activity \nWHERE activity.athlete_id = ?",
    "checkins": "SELECT count(*) AS count_1, max(checkin.updated_at) AS max_1 \nFROM checkin \n"
    "WHERE checkin.athlete_id = ?",
    "self_tests": "SELECT count(self_test.id) AS count_1, max(self_test.created_at) AS max_1 \nFROM self_test \n"
    "WHERE self_test.athlete_id = ?",
    "plan_log": "SELECT count(plan_log.id) AS count_1, max(plan_log.logged_at) AS max_1 \nFROM plan_log \n"
    "WHERE plan_log.athlete_id = ?",
    "stride": "SELECT count(gait_session.id) AS count_1, max(gait_session.id) AS max_1 \nFROM gait_session \n"
    "WHERE gait_session.athlete_id = ?",
    "visits": "SELECT count(clinician_visit.id) AS count_1, max(clinician_visit.id) AS max_1 \n"
    "FROM clinician_visit \nWHERE clinician_visit.athlete_id = ?",
    "orders": "SELECT count(clinician_order.id) AS count_1, max(clinician_order.id) AS max_1, "
    "count(clinician_order.revoked_at) AS count_2 \nFROM clinician_order \nWHERE clinician_order.athlete_id = ?",
    "steps": "SELECT max(wearable_step.id) AS max_1 \nFROM wearable_step \nWHERE wearable_step.athlete_id = ?",
    "stand_hours": "SELECT max(stand_hour.id) AS max_1 \nFROM stand_hour \nWHERE stand_hour.athlete_id = ?",
    "sedentary_days": "SELECT max(sedentary_day.id) AS max_1 \nFROM sedentary_day \nWHERE sedentary_day.athlete_id = ?",
    "breaks": "SELECT count(sitting_break.id) AS count_1, max(sitting_break.id) AS max_1 \nFROM sitting_break \n"
    "WHERE sitting_break.athlete_id = ?",
}
KEPT_QUERY = "SELECT version, code, summary, runs_imported FROM kept_day WHERE athlete_id = ? AND day = ?"
ATHLETE_BY_NAME = "SELECT id, timezone FROM athlete WHERE name = ? ORDER BY id LIMIT 1"


@dataclass(frozen=True)
class KeptToday:
    """A kept day that is still true: the summary as ``today --json`` prints it, and whether any run is imported
    (``today`` then says how to start)."""

    payload: dict
    runs_imported: bool


def data_version(connection: sqlite3.Connection, athlete_id: int) -> str:
    """A digest of everything the day's summary reads for this athlete (one query per table, each on an index)."""
    digest = hashlib.sha256()
    for query in (ATHLETE_QUERY, *VERSION_QUERIES.values()):
        digest.update(repr(connection.execute(query, (athlete_id,)).fetchall()).encode())
    return digest.hexdigest()


def code_version() -> str:
    """A digest of the package's code and rule files (name, size, time written): an upgrade or an edited rule
    decides again."""
    digest = hashlib.sha256()
    for root, _directories, files in sorted(os.walk(PACKAGE_DIR)):
        for name in sorted(files):
            if name.endswith((".py", ".toml")):
                info = os.stat(os.path.join(root, name))
                digest.update(f"{os.path.relpath(os.path.join(root, name), PACKAGE_DIR)}:{info.st_size}:"
                              f"{info.st_mtime_ns}\n".encode())  # fmt: skip
    return digest.hexdigest()


# Taken when the process starts, before any rule is read: a server upgraded under a running process keeps deciding
# with the code it loaded, and stamps what it keeps with that code's digest, not the new one's.
CODE_VERSION = code_version()


def local_day(zone: str) -> date:
    """Today where the athlete lives (``services.athletes.today_in``)."""
    return datetime.now(ZoneInfo(zone)).date()


def kept_today(database: Path, athlete_name: str, day: date | None = None) -> KeptToday | None:
    """Today's kept summary for the athlete of this name in this SQLite file, or None when there is none that is
    still true (or ``day`` is another day than today). Never writes, never creates the file."""
    if not database.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return None
    with closing(connection):
        try:
            connection.execute("BEGIN")  # one read snapshot: the kept row and the versions it is checked against
            found = connection.execute(ATHLETE_BY_NAME, (athlete_name,)).fetchone()
            if found is None:
                return None
            athlete_id, zone = found
            today = local_day(zone)
            if day is not None and day != today:
                return None
            kept = connection.execute(KEPT_QUERY, (athlete_id, today.isoformat())).fetchone()
            if kept is None:
                return None
            version, code, summary, runs_imported = kept
            if code != CODE_VERSION or version != data_version(connection, athlete_id):
                return None
            return KeptToday(json.loads(summary), bool(runs_imported))
        except (sqlite3.Error, ValueError, KeyError, TypeError):  # an older schema, an unknown zone, a damaged row
            return None
