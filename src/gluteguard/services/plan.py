"""The runner's plan for a week: profile + load cap + symptom history → the pure generator."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gluteguard.plan.generator import Plan, PlanInputs, week_rules, weekly_plan
from gluteguard.plan.phase import DayState, PhaseDecision, ReturnCriteria, choose_phase, phase_rules
from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.checkins import list_checkins
from gluteguard.services.load import state_on
from gluteguard.services.symptoms import latest_self_tests, symptom_report
from gluteguard.store.db import Database
from gluteguard.store.models import PlanLogRow


def phase_on(db: Database, athlete_id: int, day: date) -> PhaseDecision:
    """The plan phase for ``day`` from the symptom reports of the days with check-ins before it."""
    window = phase_rules()["return"]["return_window_days"]
    checkin_days = [c.date for c in list_checkins(db, athlete_id, since=day - timedelta(days=window), until=day)]
    reports = {d: symptom_report(db, athlete_id, d) for d in checkin_days}
    states = [DayState(d, r["status"], r["action"]) for d, r in reports.items() if r is not None]
    today_report = symptom_report(db, athlete_id, day)
    today = DayState(day, today_report["status"], today_report["action"]) if today_report else None
    tests = latest_self_tests(db, athlete_id, day)
    stance_positive = None
    if tests is not None and tests.stance:
        stance_positive = any(side.positive for side in tests.stance.values())
    # The latest answer of the last 7 days about a pain-free brisk walk (clinical.md §5.2's first criterion).
    walks = [c.brisk_walk_pain_free for c in list_checkins(db, athlete_id, since=day - timedelta(days=6), until=day)]
    walk_ok = next((answer for answer in reversed(walks) if answer is not None), None)
    return choose_phase(today, [s for s in states if s.day < day], ReturnCriteria(walk_ok, stance_positive))


def plan_for_week(db: Database, athlete_id: int, week_of: date | None = None) -> Plan:
    """The plan of the week starting on the Monday of ``week_of`` (default: this week)."""
    profile = get_profile(db, athlete_id)
    day = week_of or today_in(ZoneInfo(profile.timezone))
    monday = day - timedelta(days=day.weekday())
    decided_on = monday - timedelta(days=1)  # the plan is made from what was known at the end of Sunday
    phase = phase_on(db, athlete_id, decided_on)
    load = state_on(db, athlete_id, decided_on)
    inputs = PlanInputs(
        week_of=monday,
        phase=phase,
        cap_m=load.next_run_cap_m,
        last_7_days_m=load.week["distance_m"],
        running_days=tuple(profile.running_days) or ("tue", "thu", "sat"),
        long_run_day=profile.long_run_day,
        work_days=tuple(profile.work_days),
        equipment=tuple(profile.equipment),
        stage=week_rules()["strength"]["stage_by_phase"][phase.phase],
    )
    return weekly_plan(inputs)


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
    plan = plan_for_week(db, athlete_id, day)
    items = {item.id: item for plan_day in plan.days for item in plan_day.items}
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
