"""Sitting in work hours: a day's figures (``sitting --json``), the history, breaks logged from a reminder, and
the reminder settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Query

from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.coach import desk_note
from gluteguard.services.sitting import record_break, sitting_history, sitting_on, todays_breaks
from gluteguard.sitting.model import BreakLog
from gluteguard.sitting.rules import load_rules
from gluteguard.web.api.common import FIRST_DAY, LAST_DAY, Ctx, Day, api_router
from gluteguard.web.schemas import BreakIn

router = api_router("sitting")


@router.get("/sitting", summary="A day's sitting figures in work hours, with the desk-day note")
def get_sitting(ctx: Ctx, date: Day | None = None) -> dict:
    today = today_in(ZoneInfo(get_profile(ctx.db, ctx.athlete_id).timezone))
    day = date or today
    figures = sitting_on(ctx.db, ctx.athlete_id, day)
    note = desk_note(ctx.db, ctx.athlete_id, day, today=max(day, today))
    return {**figures.as_json(), "note": note}


@router.get("/sitting/history", summary="The days up to a day (sitting --history --json)")
def get_sitting_history(ctx: Ctx, date: Day | None = None, days: Annotated[int, Query(ge=1, le=366)] = 14) -> list:
    until = date or today_in(ZoneInfo(get_profile(ctx.db, ctx.athlete_id).timezone))
    return [row.as_json() for row in sitting_history(ctx.db, ctx.athlete_id, until, days)]


@router.get("/sitting/breaks", summary="Today's logged breaks and snoozes")
def get_breaks(ctx: Ctx) -> list[dict]:
    return [
        {"at": entry.at.isoformat(), "outcome": entry.outcome, "move_id": entry.move_id}
        for entry in todays_breaks(ctx.db, ctx.athlete_id, datetime.now(UTC))
    ]


@router.post("/sitting/breaks", status_code=201, summary="Log a reminder's answer: done, snoozed or skipped")
def post_break(ctx: Ctx, body: BreakIn) -> dict:
    at = body.at or datetime.now(UTC)
    if not FIRST_DAY <= at.date() <= LAST_DAY:
        raise HTTPException(422, f"at: {at.date()} is outside {FIRST_DAY}–{LAST_DAY}")
    at = at.astimezone(UTC)
    return record_break(ctx.db, ctx.athlete_id, BreakLog(at, body.outcome, body.move_id))


@router.get("/sitting/reminders", summary="Reminder settings: interval, snooze, work hours, and their sources")
def get_reminders(ctx: Ctx) -> dict:
    rules, profile = load_rules(), get_profile(ctx.db, ctx.athlete_id)
    return {
        "interval_min": rules.interval_min,
        "interval_range_min": [5, 240],
        "interval_source": rules.interval_source,
        "snooze_min": rules.snooze_min,
        "snooze_source": rules.snooze_source,
        "quiet_outside_work_hours": rules.quiet_outside_work_hours,
        "work_days": list(profile.work_days),
        "work_start": profile.work_start,
        "work_end": profile.work_end,
        "why": rules.why,
        "why_source": rules.why_source,
    }
