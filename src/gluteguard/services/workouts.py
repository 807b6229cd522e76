"""The week's sessions as watch workouts for one athlete (``gluteguard plan --fit``, the Plan page's download)."""

from __future__ import annotations

from datetime import date

from gluteguard.plan.workouts import SessionDay, Workout, week_workouts
from gluteguard.services.athletes import get_profile
from gluteguard.services.coach import week_plan
from gluteguard.store.db import Database


def plan_workouts(
    db: Database, athlete_id: int, any_day: date | None = None, *, heart_rate_target: bool = True
) -> tuple[Workout, ...]:
    """The workouts of the week of ``any_day`` (default this week), each day as decided (the same sessions the
    calendar export holds). Runs aim at the easy heart-rate range from the profile's maximum when
    ``heart_rate_target`` and one is set."""
    week = week_plan(db, athlete_id, any_day)
    days = [SessionDay(day.date, day.running_allowed, day.items) for day in week.days]
    return week_workouts(days, get_profile(db, athlete_id).max_hr, heart_rate_target=heart_rate_target)
