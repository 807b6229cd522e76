"""Daily check-ins: one per athlete and local day, validated whole before anything is stored."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime

from sqlalchemy import select

from gluteguard.services.athletes import local_today
from gluteguard.services.cache import VersionedCache, scoped
from gluteguard.services.versions import version_columns
from gluteguard.store.db import Database
from gluteguard.store.models import CheckInRow
from gluteguard.store.timeutil import as_utc
from gluteguard.symptoms.model import CheckIn, CheckInError, parse_checkin


def save_checkin(db: Database, athlete_id: int, answers: dict, *, merge: bool = True) -> tuple[CheckIn, bool]:
    """Store a day's check-in; returns (check-in, created). With ``merge`` an existing day's answers are
    kept where the new ones say nothing (editing one answer keeps the rest). Raises CheckInError before
    writing anything when a value is invalid."""
    day = parse_checkin({"date": answers.get("date")}).date if "date" in answers else None
    if day is None:
        raise ValueError("date is required")
    today = local_today(db, athlete_id)
    if day > today:  # a day ahead has not happened: its answers would decide days that have not been lived
        raise CheckInError(f"date: {day.isoformat()} is after today ({today.isoformat()}) where you live")
    with db.session() as session:
        row = session.scalar(select(CheckInRow).where(CheckInRow.athlete_id == athlete_id, CheckInRow.day == day))
        combined = dict(answers)
        if row is not None and merge:
            previous = dict(row.answers)
            for key, value in answers.items():
                if key == "red_flags":
                    previous["red_flags"] = {**previous.get("red_flags", {}), **(value or {})}
                elif value is not None:
                    previous[key] = value
            combined = previous
        checkin = parse_checkin(combined)  # validate the whole day before writing
        now = datetime.now(UTC)
        if row is None:
            session.add(
                CheckInRow(
                    athlete_id=athlete_id,
                    day=day,
                    answers=checkin.as_dict(),
                    created_at=now,
                    updated_at=now,
                    flags_raised_at=now if checkin.flags_raised else None,
                )
            )
            return checkin, True
        before = parse_checkin(row.answers).flags_raised
        if set(checkin.flags_raised) - set(before):  # a flag newly answered "yes": a new sign from now
            row.flags_raised_at = now
        row.answers = checkin.as_dict()
        row.updated_at = now
        return checkin, False


def last_screen(db: Database, athlete_id: int, before: date) -> date | None:
    """The last day on or before ``before`` when every red-flag question was answered."""
    screened = [c.date for c in list_checkins(db, athlete_id, until=before) if c.screened]
    return screened[-1] if screened else None


def get_checkin(db: Database, athlete_id: int, day: date) -> CheckIn | None:
    with db.session() as session:
        row = session.scalar(select(CheckInRow).where(CheckInRow.athlete_id == athlete_id, CheckInRow.day == day))
        return parse_checkin(row.answers) if row else None


_HISTORY = VersionedCache()


def checkins_version(db: Database, athlete_id: int) -> tuple:
    """Changes whenever a check-in is added, edited or deleted (for caches)."""
    query = select(*version_columns("checkins")).where(CheckInRow.athlete_id == athlete_id)

    def ask() -> tuple:
        with db.session() as session:
            return tuple(session.execute(query).one())

    return scoped(("checkins", db.url, athlete_id), ask)


_PARSED: dict[tuple[str, int], dict[date, tuple[datetime, CheckIn]]] = {}  # (url, athlete) → day → (updated, parsed)


def _history(db: Database, athlete_id: int) -> tuple[list[CheckIn], list[date]]:
    """Every check-in of the athlete, parsed, oldest first, with their days; rebuilt only after a write, and then
    only the days whose row changed are read and parsed again (ten years of daily check-ins stay cheap)."""
    version = checkins_version(db, athlete_id)

    def load() -> tuple[list[CheckIn], list[date]]:
        known = _PARSED.get((db.url, athlete_id), {})
        fresh: dict[date, CheckIn] = {}
        if not known:  # the first read in this process (every CLI command): every row at once, in one query
            everything = select(CheckInRow.day, CheckInRow.updated_at, CheckInRow.answers).where(
                CheckInRow.athlete_id == athlete_id
            )
            with db.session() as session:
                found = session.connection().execute(everything).all()
            rows = sorted((day, updated) for day, updated, _ in found)
            for _, _, answers in found:
                checkin = parse_checkin(answers)
                fresh[checkin.date] = checkin
        else:  # after a write: the rows' stamps, then only the days whose row changed
            stamps = select(CheckInRow.day, CheckInRow.updated_at).where(CheckInRow.athlete_id == athlete_id)
            with db.session() as session:
                rows = sorted(session.execute(stamps).all())
                stale = [day for day, updated in rows if day not in known or known[day][0] != updated]
                for start in range(0, len(stale), 500):  # bounded IN lists
                    query = select(CheckInRow.answers).where(
                        CheckInRow.athlete_id == athlete_id, CheckInRow.day.in_(stale[start : start + 500])
                    )
                    for answers in session.scalars(query):
                        checkin = parse_checkin(answers)
                        fresh[checkin.date] = checkin
        parsed = {day: (updated, fresh[day] if day in fresh else known[day][1]) for day, updated in rows}
        _PARSED[(db.url, athlete_id)] = parsed
        checkins = [parsed[day][1] for day, _ in rows]
        return checkins, [c.date for c in checkins]

    return _HISTORY.get((db.url, athlete_id), version, load)


def checkin_saved_times(db: Database, athlete_id: int) -> dict[date, datetime]:
    """When each day's red-flag answers last turned to "yes" (UTC), for the days with one: a clearance lifts
    only the signs raised before it was recorded."""
    query = select(CheckInRow.day, CheckInRow.flags_raised_at).where(
        CheckInRow.athlete_id == athlete_id, CheckInRow.flags_raised_at.is_not(None)
    )
    with db.session() as session:
        return {day: as_utc(raised) for day, raised in session.execute(query)}


def list_checkins(db: Database, athlete_id: int, since: date | None = None, until: date | None = None) -> list[CheckIn]:
    checkins, days = _history(db, athlete_id)
    start = 0 if since is None else bisect_left(days, since)
    end = len(days) if until is None else bisect_right(days, until)
    return checkins[start:end]


def delete_checkin(db: Database, athlete_id: int, day: date) -> bool:
    with db.session() as session:
        row = session.scalar(select(CheckInRow).where(CheckInRow.athlete_id == athlete_id, CheckInRow.day == day))
        if row is None:
            return False
        session.delete(row)
        return True
