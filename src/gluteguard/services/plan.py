"""The runner's plan for a week: profile + load cap + symptom history → the pure generator."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from gluteguard.ingest.model import Sport
from gluteguard.plan.generator import Plan, PlanInputs, ShoeUse, StrideCue, week_rules, weekly_plan
from gluteguard.plan.phase import DayState, PhaseDecision, ReturnCriteria, choose_phase, phase_rules
from gluteguard.plan.progression import Progress, WeekOutcome, replay
from gluteguard.services.adherence import WeekLog, monday_of, week_logs
from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.load import athlete_sessions, state_on
from gluteguard.services.symptoms import SymptomTimeline
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, PlanLogRow

# How far back the stage and ladder are replayed: long enough for LEAP's ~8 weeks and a return after it.
PROGRESS_WEEKS = 16
_STATUS_ORDER = {"green": 0, "amber": 1, "red": 2}


def phase_on(db: Database, athlete_id: int, day: date, timeline: SymptomTimeline | None = None) -> PhaseDecision:
    """The plan phase for ``day`` from the symptom reports of the days with check-ins before it."""
    timeline = timeline or SymptomTimeline(db, athlete_id, day)
    window = phase_rules()["return"]["return_window_days"]
    recent = timeline.checkins_between(day - timedelta(days=window), day)
    reports = {c.date: timeline.report(c.date) for c in recent}
    states = [DayState(d, r["status"], r["action"]) for d, r in reports.items() if r is not None]
    today_report = timeline.report(day)
    today = DayState(day, today_report["status"], today_report["action"]) if today_report else None
    tests = timeline.self_tests(day)
    stance_positive = None
    if tests is not None and tests.stance:
        stance_positive = any(side.positive for side in tests.stance.values())
    # The latest answer of the last 7 days about a pain-free brisk walk (clinical.md §5.2's first criterion).
    walks = [c.brisk_walk_pain_free for c in timeline.checkins_between(day - timedelta(days=6), day)]
    walk_ok = next((answer for answer in reversed(walks) if answer is not None), None)
    return choose_phase(today, [s for s in states if s.day < day], ReturnCriteria(walk_ok, stance_positive))


def _worst_status(timeline: SymptomTimeline, monday: date) -> str | None:
    reports = [timeline.report(c.date) for c in timeline.checkins_between(monday, monday + timedelta(days=6))]
    statuses = [r["status"] for r in reports if r is not None]
    return max(statuses, key=_STATUS_ORDER.__getitem__) if statuses else None


def _week_outcome(
    monday: date, phase: str, timeline: SymptomTimeline, log: WeekLog, run_days: set[date]
) -> WeekOutcome:
    week_days = {monday + timedelta(days=i) for i in range(7)}
    logged_runs = log.runs_done + log.runs_skipped
    runs = log.runs_done if logged_runs else len(run_days & week_days)  # nothing logged: what was imported
    sessions = 0 if phase == "blocked" else week_rules()["strength"]["sessions_per_week"]
    return WeekOutcome(
        monday, phase, _worst_status(timeline, monday), sessions, log.strength_done, log.strength_skipped, runs
    )


def progress_for_week(
    db: Database, athlete_id: int, monday: date, timeline: SymptomTimeline | None = None
) -> tuple[PhaseDecision, Progress]:
    """The phase and the stage/ladder step a week starts with, replayed from the weeks before it."""
    timeline = timeline or SymptomTimeline(db, athlete_id, monday - timedelta(days=1))
    logs = week_logs(db, athlete_id, monday - timedelta(days=1))
    first_checkin = timeline.checkins[0].date if timeline.checkins else None
    starts = [d for d in (first_checkin, min(logs, default=None)) if d is not None]
    phase = phase_on(db, athlete_id, monday - timedelta(days=1), timeline)
    if not starts:
        return phase, replay([], phase.phase)
    first = max(monday_of(min(starts)), monday - timedelta(weeks=PROGRESS_WEEKS))
    sessions, _ = athlete_sessions(db, athlete_id)
    run_days = {s.local_date for s in sessions if s.sport == Sport.RUN and s.local_date >= first}
    weeks = []
    week = first
    while week < monday:
        week_phase = phase_on(db, athlete_id, week - timedelta(days=1), timeline).phase
        weeks.append(_week_outcome(week, week_phase, timeline, logs.get(week, WeekLog()), run_days))
        week += timedelta(weeks=1)
    return phase, replay(weeks, phase.phase)


def shoe_use(db: Database, athlete_id: int, before: date) -> tuple[ShoeUse, ...]:
    """Running distance per named pair of shoes (Strava gear), in all and in the shoe window before ``before``."""
    window = timedelta(days=week_rules()["shoes"]["window_days"])
    query = select(Activity.shoes, Activity.distance_m, Activity.start_utc).where(
        Activity.athlete_id == athlete_id,
        Activity.shoes.is_not(None),
        Activity.sport == Sport.RUN.value,  # trail, treadmill and track are sub-sports of run
        or_(Activity.duplicate_status.is_(None), Activity.duplicate_status != "possible"),
    )
    totals: dict[str, list[float]] = {}
    with db.session() as session:
        for name, distance, start in session.execute(query):
            day = start.date()
            if day >= before:
                continue
            entry = totals.setdefault(name.strip(), [0.0, 0.0])
            entry[0] += distance or 0.0
            if day >= before - window:
                entry[1] += distance or 0.0
    return tuple(ShoeUse(name, total, recent) for name, (total, recent) in sorted(totals.items()) if name)


def stride_cues(db: Database, athlete_id: int, before: date) -> tuple[StrideCue, ...]:
    """Cues from the latest stored stride analysis before ``before`` (none until one is saved)."""
    from gluteguard.services.gait import latest_findings  # the stride domain is optional at plan time

    return tuple(
        StrideCue(f["code"], f.get("cue") or "", tuple(f.get("exercises") or ()), f["source"])
        for f in latest_findings(db, athlete_id, before)
    )


def plan_for_week(db: Database, athlete_id: int, week_of: date | None = None) -> Plan:
    """The plan of the week starting on the Monday of ``week_of`` (default: this week)."""
    profile = get_profile(db, athlete_id)
    day = week_of or today_in(ZoneInfo(profile.timezone))
    monday = monday_of(day)
    decided_on = monday - timedelta(days=1)  # the plan is made from what was known at the end of Sunday
    timeline = SymptomTimeline(db, athlete_id, decided_on)
    phase, progress = progress_for_week(db, athlete_id, monday, timeline)
    load = state_on(db, athlete_id, decided_on)
    report = timeline.report(decided_on)
    this_week = week_logs(db, athlete_id, monday + timedelta(days=6)).get(monday, WeekLog())
    inputs = PlanInputs(
        week_of=monday,
        phase=phase,
        cap_m=load.next_run_cap_m,
        last_7_days_m=load.week["distance_m"],
        running_days=tuple(profile.running_days) or ("tue", "thu", "sat"),
        long_run_day=profile.long_run_day,
        work_days=tuple(profile.work_days),
        equipment=tuple(profile.equipment),
        stage=progress.stage,
        ladder_step=progress.ladder_step,
        progress_why=progress.why,
        weeks_at_stage=progress.weeks_at_stage,
        skipped_item_ids=frozenset(this_week.skipped_ids),
        symptom_action=report["action"] if report else None,
        stride_cues=stride_cues(db, athlete_id, monday),
        shoes=shoe_use(db, athlete_id, monday),
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


def item_outcomes(db: Database, athlete_id: int, since: date, until: date) -> dict[str, str]:
    """The logged outcome ("done" or "skipped") of each plan item whose day is between two days, by item id."""
    query = select(PlanLogRow.item_id, PlanLogRow.outcome).where(
        PlanLogRow.athlete_id == athlete_id, PlanLogRow.day >= since, PlanLogRow.day <= until
    )
    with db.session() as session:
        return {item_id: outcome for item_id, outcome in session.execute(query)}
