"""What the day's decision reads, table by table, as the aggregate columns whose change means it must be decided
again: one definition for the per-athlete versions that key the decision cache (``services/coach.py`` and the
services it calls) and for the roster's versions of hundreds of athletes at once (``services/roster.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func

from gluteguard.store.models import (
    Activity,
    CheckInRow,
    ClinicianOrderRow,
    ClinicianVisitRow,
    GaitSessionRow,
    PlanLogRow,
    SedentaryDayRow,
    SelfTestRow,
    SittingBreakRow,
    StandHourRow,
    StepRow,
)


def decision_sources() -> dict[str, tuple[Any, tuple[Any, ...]]]:
    """Name → (table, aggregate columns). Built on each call: a column expression belongs to one statement."""
    return {
        # added, removed, or changed (re-derived, a histogram filled in, reviewed as a possible duplicate): all from
        # the index ix_activity_athlete_updated, as the check-ins' from ix_checkin_athlete_updated (count(*), not
        # count(id): the id is not in that index)
        "activities": (Activity, (func.count(), func.max(Activity.id), func.max(Activity.updated_at))),
        "checkins": (CheckInRow, (func.count(), func.max(CheckInRow.updated_at))),
        "self_tests": (SelfTestRow, (func.count(SelfTestRow.id), func.max(SelfTestRow.created_at))),
        "plan_log": (PlanLogRow, (func.count(PlanLogRow.id), func.max(PlanLogRow.logged_at))),
        "stride": (GaitSessionRow, (func.count(GaitSessionRow.id), func.max(GaitSessionRow.id))),
        "visits": (ClinicianVisitRow, (func.count(ClinicianVisitRow.id), func.max(ClinicianVisitRow.id))),
        "orders": (ClinicianOrderRow, (func.count(ClinicianOrderRow.id), func.max(ClinicianOrderRow.id),
                                       func.count(ClinicianOrderRow.revoked_at))),
    }  # fmt: skip


def sitting_sources() -> dict[str, tuple[Any, tuple[Any, ...]]]:
    """What the day's summary reads beside the decision: yesterday's sitting (wearables, logged breaks). The
    wearable tables only gain rows (an import adds what is new) and lose them only with the athlete, so the newest
    id says it all (a count would walk years of minute-by-minute steps)."""
    return {
        "steps": (StepRow, (func.max(StepRow.id),)),
        "stand_hours": (StandHourRow, (func.max(StandHourRow.id),)),
        "sedentary_days": (SedentaryDayRow, (func.max(SedentaryDayRow.id),)),
        "breaks": (SittingBreakRow, (func.count(SittingBreakRow.id), func.max(SittingBreakRow.id))),
    }


def version_columns(name: str) -> tuple[Any, ...]:
    return decision_sources()[name][1]
