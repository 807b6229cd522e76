"""Clinician clearances and booked visits: recorded by the runner, they lift the warning signs that hold."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from gluteguard.services.cache import scoped
from gluteguard.services.versions import version_columns
from gluteguard.store.db import Database
from gluteguard.store.models import ClinicianVisitRow
from gluteguard.store.timeutil import as_utc
from gluteguard.symptoms.holds import VISIT_KINDS, ClinicianVisit
from gluteguard.symptoms.model import FIRST_DAY

MAX_BY, MAX_NOTE = 200, 2000


class VisitError(ValueError):
    """A clearance or booking that cannot be recorded; one line naming the field."""


def record_visit(
    db: Database, athlete_id: int, kind: str, day: date, today: date, by: str | None = None, note: str | None = None
) -> ClinicianVisit:
    """Store a clearance (``by`` names who cleared) or a booked visit, validated before anything is written."""
    if kind not in VISIT_KINDS:
        raise VisitError(f"kind: use one of {', '.join(VISIT_KINDS)}")
    by = (by or "").strip() or None
    note = (note or "").strip() or None
    if kind == "cleared" and by is None:
        raise VisitError("by: say who cleared you to run (a clinician's name or role)")
    if by is not None and len(by) > MAX_BY:
        raise VisitError(f"by: at most {MAX_BY} characters")
    if note is not None and len(note) > MAX_NOTE:
        raise VisitError(f"note: at most {MAX_NOTE} characters")
    if not FIRST_DAY <= day <= today:
        what = "a clearance" if kind == "cleared" else "a booking"
        raise VisitError(f"date: {what} is dated between {FIRST_DAY.isoformat()} and today ({today.isoformat()})")
    now = datetime.now(UTC)
    with db.session() as session:
        session.add(ClinicianVisitRow(athlete_id=athlete_id, day=day, kind=kind, by=by, note=note, recorded_at=now))
    return ClinicianVisit(day, kind, by, note, now)


def list_visits(db: Database, athlete_id: int) -> tuple[ClinicianVisit, ...]:
    """Every clearance and booking, oldest day first."""
    query = (
        select(
            ClinicianVisitRow.day,
            ClinicianVisitRow.kind,
            ClinicianVisitRow.by,
            ClinicianVisitRow.note,
            ClinicianVisitRow.recorded_at,
        )
        .where(ClinicianVisitRow.athlete_id == athlete_id)
        .order_by(ClinicianVisitRow.day, ClinicianVisitRow.id)
    )
    with db.session() as session:
        rows = session.execute(query).all()
    return tuple(ClinicianVisit(day, kind, by, note, as_utc(at)) for day, kind, by, note, at in rows)


def visits_version(db: Database, athlete_id: int) -> tuple:
    query = select(*version_columns("visits")).where(ClinicianVisitRow.athlete_id == athlete_id)

    def ask() -> tuple:
        with db.session() as session:
            return tuple(session.execute(query).one())

    return scoped(("visits", db.url, athlete_id), ask)
