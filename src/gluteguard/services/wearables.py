"""Storing what wearables say about moving and sitting, and reading it back for a day's sitting figures.

Exports overlap (a newer Apple Health export holds everything the last one did), so rows are inserted with
"on conflict do nothing" on their natural keys: importing again adds only what is new.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from gluteguard.ingest.wearable import SedentaryDay, StandHour, StepSample, WearableData
from gluteguard.sitting.model import BreakLog
from gluteguard.store.db import Database
from gluteguard.store.models import SedentaryDayRow, SittingBreakRow, StandHourRow, StepRow
from gluteguard.store.timeutil import as_utc

CHUNK_ROWS = 5000  # rows per INSERT: few round trips, bounded memory and parameter counts


def _chunks(rows: Iterable[dict], size: int = CHUNK_ROWS) -> Iterator[list[dict]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _insert_new(session: Session, table, rows: Iterable[dict]) -> int:
    """Insert rows, skipping those whose natural key is already stored; returns how many were new."""
    # The PostgreSQL dialect module costs ~20 ms to import: only an import of wearable data pays for it.
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    added = 0
    for chunk in _chunks(rows):
        # RETURNING lists only the rows really inserted (rowcount is -1 for this statement under psycopg).
        statement = dialect.insert(table).values(chunk).on_conflict_do_nothing().returning(table.c.id)
        added += len(session.execute(statement).all())
    return added


def store_wearable_rows(session: Session, athlete_id: int, data: WearableData) -> dict[str, int]:
    """Add a wearable export's samples inside the caller's transaction; counts of new rows by kind."""
    steps = (
        {"athlete_id": athlete_id, "source": s.source[:120], "start_utc": s.start, "end_utc": s.end,
         "steps": float(s.steps), "level": s.level}
        for s in data.steps
    )  # fmt: skip
    stands = (
        {"athlete_id": athlete_id, "source": h.source[:120], "hour_start_utc": h.hour_start, "stood": h.stood}
        for h in data.stand_hours
    )  # fmt: skip
    days = (
        {"athlete_id": athlete_id, "source": d.source[:120], "day": date.fromisoformat(d.day),
         "sedentary_min": float(d.sedentary_min)}
        for d in data.sedentary_days
    )  # fmt: skip
    return {
        "steps": _insert_new(session, StepRow.__table__, steps),
        "stand_hours": _insert_new(session, StandHourRow.__table__, stands),
        "sedentary_days": _insert_new(session, SedentaryDayRow.__table__, days),
    }


def wearable_between(db: Database, athlete_id: int, start: datetime, end: datetime) -> WearableData:
    """Samples overlapping [start, end) and the sedentary day totals of those days (for the day's figures)."""
    with db.session() as session:
        steps = tuple(
            StepSample(as_utc(row.start_utc), as_utc(row.end_utc), row.steps, row.source, row.level)
            for row in session.scalars(
                select(StepRow)
                .where(StepRow.athlete_id == athlete_id, StepRow.start_utc < end, StepRow.end_utc > start)
                .order_by(StepRow.start_utc)
            )
        )
        stands = tuple(
            StandHour(as_utc(row.hour_start_utc), row.stood, row.source)
            for row in session.scalars(
                select(StandHourRow).where(
                    StandHourRow.athlete_id == athlete_id,
                    StandHourRow.hour_start_utc >= start,
                    StandHourRow.hour_start_utc < end,
                )
            )
        )
        days = tuple(
            SedentaryDay(row.day.isoformat(), row.sedentary_min, row.source)
            for row in session.scalars(
                select(SedentaryDayRow).where(
                    SedentaryDayRow.athlete_id == athlete_id,
                    SedentaryDayRow.day >= start.date(),
                    SedentaryDayRow.day <= end.date(),
                )
            )
        )
    return WearableData("stored", steps, stands, days)


def log_break(db: Database, athlete_id: int, entry: BreakLog) -> int:
    with db.session() as session:
        row = SittingBreakRow(athlete_id=athlete_id, at_utc=entry.at, outcome=entry.outcome, move_id=entry.move_id)
        session.add(row)
        session.flush()
        return row.id


def breaks_between(db: Database, athlete_id: int, start: datetime, end: datetime) -> list[BreakLog]:
    query = (
        select(SittingBreakRow)
        .where(SittingBreakRow.athlete_id == athlete_id, SittingBreakRow.at_utc >= start, SittingBreakRow.at_utc < end)
        .order_by(SittingBreakRow.at_utc)
    )
    with db.session() as session:
        return [BreakLog(as_utc(row.at_utc), row.outcome, row.move_id) for row in session.scalars(query)]
