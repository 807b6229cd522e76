"""Keep the coming days' summaries after a write, for ``gluteguard today`` to show without deciding again
(``store/today_kept.py`` says why and reads them back).

Each kept day is ``today_summary(day, as_of=day)``: the day as it will be decided when it comes, if nothing is
written before then — what ``today`` would decide on that day, given the same data and code. SQLite only (the
runner's own database; the shared server decides per request and keeps the roster's summaries instead).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from gluteguard.services.athletes import local_today
from gluteguard.services.cache import read_only_scope
from gluteguard.services.coach import today_summary
from gluteguard.services.onboarding import setup_progress
from gluteguard.store.db import Database
from gluteguard.store.models import KeptDayRow
from gluteguard.store.today_kept import CODE_VERSION, data_version

logger = logging.getLogger(__name__)

# A runner who writes nothing for longer (no check-in, no import) gets the day decided afresh: slower, never wrong.
KEEP_DAYS = 28
KEPT_DAYS_QUERY = "SELECT day, version, code FROM kept_day WHERE athlete_id = ? AND day >= ? AND day < ?"


def keeps_days(db: Database) -> bool:
    """Whether this database keeps days: the runner's own SQLite file (not a shared server's PostgreSQL)."""
    return db.url.startswith("sqlite")


def _read(db: Database, read: Callable[[Any], Any]) -> Any:
    """``read(sqlite3 connection)`` in one read transaction on a connection of the pool: one snapshot of every
    table, as the reader takes it."""
    raw = db.engine.raw_connection()
    try:
        with closing(raw.cursor()) as cursor:
            cursor.execute("BEGIN")
            try:
                return read(cursor.connection)
            finally:
                cursor.execute("ROLLBACK")
    finally:
        raw.close()


def current_version(db: Database, athlete_id: int) -> str:
    """The digest of the data the day's summary reads (``store.today_kept.data_version``)."""
    return _read(db, lambda connection: data_version(connection, athlete_id))


def kept_is_current(db: Database, athlete_id: int) -> bool:
    """Whether today and the next days are all kept and still true (a write that changed nothing needs no keeping);
    on a database that keeps no days, nothing is missing."""
    if not keeps_days(db):
        return True
    today = local_today(db, athlete_id)

    def ask(connection: Any) -> bool:
        end = today + timedelta(days=KEEP_DAYS)
        kept = connection.execute(KEPT_DAYS_QUERY, (athlete_id, today.isoformat(), end.isoformat())).fetchall()
        version = data_version(connection, athlete_id)
        return len(kept) == KEEP_DAYS and all(row[1] == version and row[2] == CODE_VERSION for row in kept)

    return _read(db, ask)


class _ChangedMeanwhile(Exception):
    """A write came in while the days were being decided: they are not kept (that write keeps its own)."""


def keep_coming_days(db: Database, athlete_id: int, days: int = KEEP_DAYS) -> int:
    """Decide today and the next days as each will be decided when it comes, and keep them; the number kept
    (0 on a database that keeps no days, or when a write came in meanwhile)."""
    if not keeps_days(db):
        return 0
    before = current_version(db, athlete_id)
    today = local_today(db, athlete_id)
    with read_only_scope():
        summaries = [today_summary(db, athlete_id, day, as_of=day) for day in _days(today, days)]
        runs_imported = any(step.done for step in setup_progress(db, athlete_id).steps if step.key == "import")
    now = datetime.now(UTC)
    rows = [
        # ASCII JSON: a file name that is not valid UTF-8 (lone surrogates) is stored as \udcXX escapes
        {"athlete_id": athlete_id, "day": summary.decision.date, "version": before, "code": CODE_VERSION,
         "summary": json.dumps(summary.as_dict(), default=str), "runs_imported": runs_imported, "computed_at": now}
        for summary in summaries
    ]  # fmt: skip
    try:
        with db.session() as session:
            # The delete takes the database's write lock first: no write can come between the check and the keep.
            session.execute(delete(KeptDayRow).where(KeptDayRow.athlete_id == athlete_id))
            if data_version(_driver_connection(session), athlete_id) != before:
                raise _ChangedMeanwhile
            session.execute(insert(KeptDayRow), rows)
    except _ChangedMeanwhile:
        return 0
    return len(rows)


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=offset) for offset in range(count)]


def _driver_connection(session: Session) -> Any:
    return session.connection().connection.driver_connection


def keep_if_changed(db: Database, athlete_id: int, version_before: str) -> int:
    """After a command: keep the coming days when it changed the data; a command that only read keeps nothing (a
    read never writes, not even this cache)."""
    if not keeps_days(db) or current_version(db, athlete_id) == version_before or kept_is_current(db, athlete_id):
        return 0
    return keep_coming_days(db, athlete_id)


class ComingDaysKeeper:
    """A long-running process's keeper (the single-user web app, the folder watch): after a request or a job that
    may have written, the coming days are kept again in one background thread, a moment later (a burst of writes
    is kept once), so that a check-in made on the phone makes the next ``gluteguard today`` fast too. It costs a
    second of one core on ten years of history, and nothing when the kept days are still true."""

    SETTLE_S = 0.3

    def __init__(self, db: Database | Callable[[], Database], athlete_name: str) -> None:
        # A callable is asked each time: the web app's database may be replaced after the app is built (tests do).
        self._database = db if callable(db) else (lambda: db)
        self._athlete_name = athlete_name
        self._due = threading.Event()
        self._stopped = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()  # "nothing due" and "idle" change together
        self._thread = threading.Thread(target=self._loop, name="keep-coming-days", daemon=True)
        self._thread.start()

    def soon(self) -> None:
        with self._lock:
            self._idle.clear()
            self._due.set()

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Until every write asked for is kept (tests; a clean shutdown)."""
        return self._idle.wait(timeout_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        """End the thread after the keeping under way, if any."""
        self._stopped.set()
        self._due.set()
        self._thread.join(timeout_s)
        self._idle.set()

    def _loop(self) -> None:
        from gluteguard.services.athletes import find_athlete

        while not self._stopped.is_set():
            if not self._due.wait(timeout=1.0):  # a second at most to notice a stop, whatever it raced with
                continue
            if self._stopped.wait(self.SETTLE_S):
                return
            self._due.clear()
            try:
                database = self._database()
                athlete_id = find_athlete(database, self._athlete_name)
                if athlete_id is not None and not kept_is_current(database, athlete_id):
                    keep_coming_days(database, athlete_id)
            except Exception as error:  # a cache: the next `today` decides afresh; the app goes on
                # One line, the traceback only at debug level: formatting one on Python 3.11 parses source with
                # `ast`, which is not thread-safe there (CPython gh-106905) and broke a parse in the main thread.
                logger.warning("could not keep the coming days: %s: %s", type(error).__name__, error)
                logger.debug("could not keep the coming days", exc_info=True)
            with self._lock:
                if not self._due.is_set():
                    self._idle.set()
