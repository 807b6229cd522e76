"""What the runner logged of their plans (gluteguard done/skip), read from the store as plain entries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gluteguard.plan.adherence import PlanLogEntry
from gluteguard.store.db import Database
from gluteguard.store.models import PlanLogRow


def plan_log(db: Database, athlete_id: int, until: date | None = None) -> tuple[PlanLogEntry, ...]:
    """Every logged item (up to ``until``), oldest day first."""
    query = select(PlanLogRow.item_id, PlanLogRow.day, PlanLogRow.kind, PlanLogRow.outcome).where(
        PlanLogRow.athlete_id == athlete_id
    )
    if until is not None:
        query = query.where(PlanLogRow.day <= until)
    with db.session() as session:
        rows = session.execute(query.order_by(PlanLogRow.day, PlanLogRow.item_id)).all()
    return tuple(PlanLogEntry(item_id, day, kind, outcome) for item_id, day, kind, outcome in rows)
