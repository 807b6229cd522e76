"""The one place the day's decision is made for an athlete in the store: read the history once, decide in the
pure core (``gluteguard.coach``), hand the typed result to the views.

The history is cached with the versions of everything it is read from, so a write (check-in, import, done/skip,
clearance, profile, stride analysis) re-decides, and reads in between share one set of decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from gluteguard.coach.decide import decide, decide_week
from gluteguard.coach.decision import DayDecision, WeekPlan
from gluteguard.coach.history import AthleteHistory, GearRun, PlanProfile, StrideAnalysis, inherit_memo
from gluteguard.ingest.model import Sport
from gluteguard.load.metrics import LoadState
from gluteguard.plan.inputs import StrideCue
from gluteguard.services.activities import local_start
from gluteguard.services.adherence import plan_log
from gluteguard.services.athletes import Profile, get_profile, local_today
from gluteguard.services.cache import VersionedCache, collector_paused, scoped
from gluteguard.services.care import list_orders, orders_version
from gluteguard.services.checkins import checkin_saved_times, checkins_version, list_checkins
from gluteguard.services.clinician import list_visits, visits_version
from gluteguard.services.load import WeekRow, activities_version, athlete_sessions, state_on, weekly_history
from gluteguard.services.selftests import self_test_history
from gluteguard.services.sitting import sitting_on
from gluteguard.services.versions import decision_sources
from gluteguard.sitting.desk_note import UpcomingRun, desk_day_note
from gluteguard.sitting.model import SittingError
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, GaitSessionRow

if TYPE_CHECKING:
    from gluteguard.coach.explain import WeekAudit

_HISTORIES = VersionedCache(size=8)
_LAST_BUILT: dict[tuple[str, int], AthleteHistory] = {}  # the latest history built per athlete, to inherit from
SITTING_KEYS = ("date", "sitting_min", "longest_bout_min", "breaks", "active_hours", "source")


def _records_version(db: Database, athlete_id: int) -> tuple:
    """Self-tests, the plan log and saved stride analyses: what else the decisions read."""
    queries = tuple(
        select(*columns).where(table.athlete_id == athlete_id)
        for table, columns in (decision_sources()[name] for name in ("self_tests", "plan_log", "stride"))
    )

    def ask() -> tuple:
        with db.session() as session:
            return tuple(tuple(session.execute(query).one()) for query in queries)

    return scoped(("records", db.url, athlete_id), ask)


def _gear(db: Database, athlete_id: int, profile: Profile) -> tuple[GearRun, ...]:
    query = select(Activity.shoes, Activity.distance_m, Activity.start_utc, Activity.utc_offset_s).where(
        Activity.athlete_id == athlete_id,
        Activity.shoes.is_not(None),
        Activity.sport == Sport.RUN.value,  # trail, treadmill and track are sub-sports of run
        or_(Activity.duplicate_status.is_(None), Activity.duplicate_status != "possible"),
    )
    zone = ZoneInfo(profile.timezone)
    with db.session() as session:
        rows = session.execute(query).all()
    runs = [
        GearRun(local_start(start, offset, zone).date(), shoes, distance or 0.0)
        for shoes, distance, start, offset in rows
    ]
    return tuple(sorted(runs, key=lambda run: run.day))


def _stride(db: Database, athlete_id: int) -> tuple[StrideAnalysis, ...]:
    query = (
        select(GaitSessionRow.recorded_on, GaitSessionRow.view, GaitSessionRow.findings)
        .where(GaitSessionRow.athlete_id == athlete_id)
        .order_by(GaitSessionRow.recorded_on, GaitSessionRow.id)
    )
    with db.session() as session:
        rows = session.execute(query).all()
    return tuple(
        StrideAnalysis(
            day,
            view,
            tuple(
                StrideCue(f["code"], f.get("cue") or "", tuple(f.get("exercises") or ()), f["source"])
                for f in findings or []
            ),
        )
        for day, view, findings in rows
    )


def athlete_history(db: Database, athlete_id: int) -> AthleteHistory:
    """Everything the decisions read, loaded once per data version."""
    profile = get_profile(db, athlete_id)
    version = (
        profile,
        activities_version(db, athlete_id),
        checkins_version(db, athlete_id),
        _records_version(db, athlete_id),
        visits_version(db, athlete_id),
        orders_version(db, athlete_id),
    )

    def load() -> AthleteHistory:
        with collector_paused():  # ten years of rows become objects here
            return _load(db, athlete_id, profile)

    return _HISTORIES.get((db.url, athlete_id), version, load)


def _load(db: Database, athlete_id: int, profile: Profile) -> AthleteHistory:
    sessions, _ = athlete_sessions(db, athlete_id)
    history = AthleteHistory(
        profile=PlanProfile(
            running_days=tuple(profile.running_days),
            long_run_day=profile.long_run_day,
            work_days=tuple(profile.work_days),
            equipment=tuple(profile.equipment),
            birth_year=profile.birth_year,
        ),
        sessions=tuple(sessions),
        checkins=tuple(list_checkins(db, athlete_id)),
        checkin_saved=checkin_saved_times(db, athlete_id),
        self_tests=tuple(self_test_history(db, athlete_id)),
        plan_log=plan_log(db, athlete_id),
        visits=list_visits(db, athlete_id),
        stride=_stride(db, athlete_id),
        gear=_gear(db, athlete_id, profile),
        orders=list_orders(db, athlete_id),
    )
    previous = _LAST_BUILT.get((db.url, athlete_id))
    if previous is not None:  # what rests only on days before the first change is still true
        inherit_memo(history, previous)
    _LAST_BUILT[(db.url, athlete_id)] = history
    return history


def known_history(db: Database, athlete_id: int, as_of: date | None = None) -> AthleteHistory:
    """The history as known today where the athlete lives (or at the end of ``as_of``): a day ahead is decided
    from it (``projected``)."""
    return athlete_history(db, athlete_id).until(as_of or local_today(db, athlete_id))


def decision_on(db: Database, athlete_id: int, day: date | None = None, as_of: date | None = None) -> DayDecision:
    """The decision of ``day`` (default today where the athlete lives) as known today, or as it will be known on
    ``as_of`` when nothing is written before then (``services/today_kept.py`` keeps the coming days so)."""
    return decide(known_history(db, athlete_id, as_of), day or as_of or local_today(db, athlete_id))


def week_plan(db: Database, athlete_id: int, any_day: date | None = None) -> WeekPlan:
    """The week of ``any_day`` (default this week) as the decisions of its days."""
    today = local_today(db, athlete_id)
    return decide_week(known_history(db, athlete_id), any_day or today, today)


def week_audit(db: Database, athlete_id: int, any_day: date | None = None) -> WeekAudit:
    """Why the week's plan holds each item and exercise, and what was left out (``plan --explain``)."""
    from gluteguard.coach.explain import explain_week  # only the audit needs it, not every decision

    return explain_week(week_plan(db, athlete_id, any_day))


def load_history(db: Database, athlete_id: int, weeks: int, day: date | None = None) -> list[WeekRow]:
    """The weekly history whose cap is the decided one: each week's ``cap_at_end_m`` is the next run's cap as the
    Monday after it decided it (the day itself, in its own week) — 0 when running was off, never a spike's 110 %."""
    day = day or local_today(db, athlete_id)
    history = known_history(db, athlete_id)
    rows = weekly_history(db, athlete_id, weeks, day)
    return [
        replace(row, cap_at_end_m=decide(history, min(date.fromisoformat(row.week_start) + timedelta(days=7), day))
                .next_run_cap_m)
        for row in rows
    ]  # fmt: skip


@dataclass(frozen=True)
class LoadView:
    """The day's load state, whose cap and reason are the day's decided next run."""

    decision: DayDecision
    state: LoadState

    def as_dict(self) -> dict:
        """``load --json``: the load state with the decision's answer beside it."""
        return {
            **self.state.as_dict(),
            "running_allowed": self.decision.running_allowed,
            "running_today": self.decision.running_today,
            "phase": self.decision.phase,
            "next_run": self.decision.next_run.as_dict(),
        }


def load_on(db: Database, athlete_id: int, day: date | None = None, as_of: date | None = None) -> LoadView:
    """The day's decision and the load state whose cap and reason are that decision's next run."""
    decision = decision_on(db, athlete_id, day, as_of)
    next_run = decision.next_run
    reason = next_run.summary + " " + next_run.basis
    return LoadView(decision, state_on(db, athlete_id, decision.date, next_run=(decision.next_run_cap_m, reason)))


def desk_note(
    db: Database, athlete_id: int, day: date, today: date | None = None, as_of: date | None = None
) -> str | None:
    """The context note when ``day`` was desk-heavy and a run is decided on it or the next day; ``today`` (default
    ``day``) is when the note is read, for its wording ("yesterday", "today")."""
    figures = sitting_on(db, athlete_id, day)
    if figures.sitting_min is None:
        return None
    for candidate in (d for d in (day, day + timedelta(days=1)) if d >= (today or day)):  # runs still ahead
        # A walk or hop step of the way back to running is no run: the note is about sitting before running.
        run = next((i for i in decision_on(db, athlete_id, candidate, as_of).items if i.holds_running), None)
        if run is not None:
            long_run = run.title.startswith("Long")
            distance = run.distance_cap_m / 1000 if run.distance_cap_m else None
            return desk_day_note(figures, UpcomingRun(candidate, long_run, distance), today=today or day)
    return None


@dataclass(frozen=True)
class TodaySummary:
    """Today at a glance: the decision, the load behind it, and yesterday's desk time beside it."""

    decision: DayDecision
    load: LoadState
    sitting_yesterday: dict | None
    sitting_note: str | None
    outcomes: dict[str, str]

    def as_dict(self) -> dict:
        """``today --json``: the day's decision, each item with what was logged of it, the load warnings and
        yesterday's sitting beside it."""
        decided = self.decision.as_dict()
        items = [{**item, **({"outcome": self.outcomes[item["id"]]} if item["id"] in self.outcomes else {})}
                 for item in decided["items"]]  # fmt: skip
        return {
            **decided,
            "items": items,
            "warnings": [w.__dict__ for w in self.load.warnings],
            "sitting_yesterday": self.sitting_yesterday,
            "sitting_note": self.sitting_note,
        }


def today_summary(
    db: Database, athlete_id: int, day: date | None = None, as_of: date | None = None
) -> TodaySummary:
    """The day's summary (default: today where the athlete lives); with ``as_of``, as that day will show it."""
    view = load_on(db, athlete_id, day, as_of)
    decision, load = view.decision, view.state
    day = decision.date
    history = athlete_history(db, athlete_id)
    try:  # yesterday's desk time next to today's run: context, not a verdict
        sitting = sitting_on(db, athlete_id, day - timedelta(days=1))
        yesterday = {k: v for k, v in sitting.as_json().items() if k in SITTING_KEYS}
        note = desk_note(db, athlete_id, day - timedelta(days=1), today=day, as_of=as_of)
    except SittingError:
        yesterday, note = None, None
    return TodaySummary(decision, load, yesterday, note, history.logged(day, day))
