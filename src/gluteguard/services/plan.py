"""Marking plan items done or skipped, and reading back what was logged. The plan itself is the days'
decisions (``services.coach.week_plan``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from gluteguard.coach.decide import decide
from gluteguard.services.athletes import local_today
from gluteguard.services.coach import athlete_history
from gluteguard.store.db import Database
from gluteguard.store.models import PlanLogRow


class PlanItemError(ValueError):
    """An item id that is not in the plan of its day; one line for the user."""


def log_item(db: Database, athlete_id: int, item_id: str, outcome: str) -> dict:
    """Mark a plan item done or skipped (again: the latest answer wins). The id must be in its day's plan."""
    if outcome not in ("done", "skipped"):
        raise PlanItemError("outcome must be done or skipped")
    try:
        day = date.fromisoformat(item_id[:10])
    except ValueError:
        raise PlanItemError(f"'{item_id}' is not a plan item id like 2026-11-23-run-0 (see gluteguard plan)") from None
    today = local_today(db, athlete_id)
    if day > today:  # a day ahead has not happened: logging it now would count before it does
        raise PlanItemError(f"'{item_id}' is on {day}, after today ({today}): mark it done or skipped on the day")
    history = athlete_history(db, athlete_id)
    # The day as decided, and as it was planned the evening before (a run that hurt turns the day red
    # afterwards, yet the runner ran it and logs it).
    items = {item.id: item for item in decide(history.until(day - timedelta(days=1)), day).items}
    items.update({item.id: item for item in decide(history, day).items})
    if item_id not in items:
        raise PlanItemError(f"no item '{item_id}' in the plan of {day} (see gluteguard plan --week-of {day})")
    with db.session() as session:
        row = session.scalar(
            select(PlanLogRow).where(PlanLogRow.athlete_id == athlete_id, PlanLogRow.item_id == item_id)
        )
        if row is None:
            row = PlanLogRow(athlete_id=athlete_id, item_id=item_id, day=day, kind=items[item_id].kind)
            session.add(row)
        row.outcome, row.logged_at = outcome, datetime.now(UTC)
    return {"item_id": item_id, "date": day.isoformat(), "kind": items[item_id].kind, "outcome": outcome}


def adherence(db: Database, athlete_id: int, since: date, until: date) -> dict:
    """Done and skipped items by kind between two days (what later weeks progress or hold on)."""
    query = select(PlanLogRow.kind, PlanLogRow.outcome).where(
        PlanLogRow.athlete_id == athlete_id, PlanLogRow.day >= since, PlanLogRow.day <= until
    )
    counts: dict[str, dict[str, int]] = {}
    with db.session() as session:
        for kind, outcome in session.execute(query):
            counts.setdefault(kind, {"done": 0, "skipped": 0})[outcome] += 1
    return counts
