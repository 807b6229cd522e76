"""Daily check-ins: one per athlete and local day, validated whole before anything is stored."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from gluteguard.store.db import Database
from gluteguard.store.models import CheckInRow
from gluteguard.symptoms.model import CheckIn, parse_checkin


def save_checkin(db: Database, athlete_id: int, answers: dict, *, merge: bool = True) -> tuple[CheckIn, bool]:
    """Store a day's check-in; returns (check-in, created). With ``merge`` an existing day's answers are
    kept where the new ones say nothing (editing one answer keeps the rest). Raises CheckInError before
    writing anything when a value is invalid."""
    day = parse_checkin({"date": answers.get("date")}).date if "date" in answers else None
    if day is None:
        raise ValueError("date is required")
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
                CheckInRow(athlete_id=athlete_id, day=day, answers=checkin.as_dict(), created_at=now, updated_at=now)
            )
            return checkin, True
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


def list_checkins(db: Database, athlete_id: int, since: date | None = None, until: date | None = None) -> list[CheckIn]:
    query = select(CheckInRow.answers).where(CheckInRow.athlete_id == athlete_id).order_by(CheckInRow.day)
    if since is not None:
        query = query.where(CheckInRow.day >= since)
    if until is not None:
        query = query.where(CheckInRow.day <= until)
    with db.session() as session:
        return [parse_checkin(answers) for answers in session.scalars(query)]


def delete_checkin(db: Database, athlete_id: int, day: date) -> bool:
    with db.session() as session:
        row = session.scalar(select(CheckInRow).where(CheckInRow.athlete_id == athlete_id, CheckInRow.day == day))
        if row is None:
            return False
        session.delete(row)
        return True
