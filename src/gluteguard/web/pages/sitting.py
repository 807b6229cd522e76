"""Sitting: the day's figures in work hours, the history with its chart, and break reminders in the browser.

The reminder schedule is the CLI's (``sitting.reminders``): the page asks ``/sitting/next-reminder`` when the next
prompt is due and what to say, shows it with the Notification API while the page is open, and posts the answer
(``/sitting/break``) so a break counts toward the day's figures and the plan.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.coach import desk_note
from gluteguard.services.sitting import record_break, reminder_tick, sitting_history, sitting_on
from gluteguard.sitting.model import BreakLog, SittingError
from gluteguard.web.deps import WebContext, context
from gluteguard.web.pages.render import page, parse_day
from gluteguard.web.security import verify_csrf

router = APIRouter()

HISTORY_DAYS = (7, 14, 28, 56)
OUTCOMES = {"done": "done", "snooze": "snoozed", "snoozed": "snoozed"}


def _minutes(value: int | None) -> str:
    """Minutes as people say them: 2 h 05, 45 min, or a dash when unknown."""
    if value is None:
        return "—"
    hours, minutes = divmod(int(value), 60)
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


def _dose(move) -> str:
    """The move's dose in a few words (the reminder's own wording)."""
    from gluteguard.sitting.reminders import move_dose as reminder_dose

    return reminder_dose(move)


@router.get("/sitting", response_class=HTMLResponse)
def sitting_page(
    request: Request,
    ctx: Annotated[WebContext, Depends(context)],
    day: Annotated[str, Query(alias="date")] = "",
    days: int = 14,
    logged: str = "",
) -> Response:
    """The chosen day (default today) in detail, and the days up to it."""
    from gluteguard.sitting.reminders import break_moves
    from gluteguard.sitting.rules import load_rules

    profile = get_profile(ctx.db, ctx.athlete_id)
    today = today_in(ZoneInfo(profile.timezone))
    parsed, error = parse_day(day)
    chosen = parsed or today
    days = days if days in HISTORY_DAYS else 14
    try:
        figures = sitting_on(ctx.db, ctx.athlete_id, chosen)
        note = desk_note(ctx.db, ctx.athlete_id, chosen, today=max(chosen, today))
        history = sitting_history(ctx.db, ctx.athlete_id, chosen, days)
    except SittingError as exc:
        figures, note, history, error = None, None, [], str(exc)
    rules = load_rules()
    zone = ZoneInfo(profile.timezone)
    return page(
        request,
        "sitting.html",
        "sitting",
        status_code=400 if error else 200,
        figures=figures,
        note=note,
        history=history,
        chosen=chosen,
        today=today,
        previous_day=(chosen - timedelta(days=1)).isoformat(),
        next_day=(chosen + timedelta(days=1)).isoformat() if chosen < today else None,
        days=days,
        day_choices=HISTORY_DAYS,
        error=error,
        logged=OUTCOMES.get(logged),
        minutes=_minutes,
        zone=zone,
        profile=profile,
        rules=rules,
        moves=[{"move": m, "dose": _dose(m)} for m in break_moves()],
    )


@router.get("/sitting/chart", response_class=HTMLResponse)
def sitting_chart(
    request: Request, ctx: Annotated[WebContext, Depends(context)], until: str = "", days: int = 14
) -> Response:
    """The history as the offline chart report (plotly.js inside), for the page's frame or on its own."""
    from gluteguard.reports.sitting_chart import render_sitting_chart

    profile = get_profile(ctx.db, ctx.athlete_id)
    parsed, error = parse_day(until)
    try:
        if error:
            raise ValueError(error.replace("; showing today", ""))
        last = parsed or today_in(ZoneInfo(profile.timezone))
        rows = sitting_history(ctx.db, ctx.athlete_id, last, days if days in HISTORY_DAYS else 14)
    except (ValueError, SittingError) as exc:
        return HTMLResponse(f"<!doctype html><title>no chart</title><p>{_escape(str(exc))}</p>", status_code=400)
    return HTMLResponse(render_sitting_chart(rows))


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def _moment(value: str) -> datetime | None:
    """A client-held time (ISO 8601 with a zone), or None when absent or unreadable; the future is ignored."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    moment = moment.astimezone(UTC)
    return moment if moment <= datetime.now(UTC) + timedelta(seconds=5) else None


@router.get("/sitting/next-reminder")
def next_reminder_json(
    request: Request, ctx: Annotated[WebContext, Depends(context)], since: str = "", last_prompt: str = ""
) -> JSONResponse:
    """When the next break prompt is due and what it says, by the CLI's schedule: ``since`` is when the page's
    reminders were turned on (the timer does not predate it), ``last_prompt`` the last prompt the page showed
    (unanswered prompts repeat one interval later)."""
    from gluteguard.sitting.reminders import pick_move, reminder_message

    profile = get_profile(ctx.db, ctx.athlete_id)
    now = datetime.now(UTC)
    try:
        tick = reminder_tick(ctx.db, ctx.athlete_id, now, started_at=_moment(since), shown_at=_moment(last_prompt))
    except ValueError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    state, schedule, rules, result, prompt = tick.state, tick.schedule, tick.rules, tick.result, tick.prompt
    message = prompt.message if prompt else reminder_message(pick_move(state.rotation), rules=rules)
    move = pick_move(state.rotation)
    return JSONResponse(
        {
            "now": now.isoformat(),
            "due_now": prompt is not None,
            "due_at": now.isoformat() if prompt else (result.wake_at.isoformat() if result.wake_at else None),
            "in_work_hours": bool(schedule and schedule.in_work_hours(now)),
            "work_hours": f"{profile.work_start}–{profile.work_end}" if schedule else None,
            "interval_min": rules.interval_min,
            "snooze_min": rules.snooze_min,
            "message": {
                "title": message.title,
                "body": message.body,
                "move_id": message.move_id,
                "move_name": move.name,
                "cues": list(move.cues),
            },
            "why": rules.why,
            "source": rules.why_source,
        }
    )


@router.post("/sitting/break", response_model=None)
def log_break_answer(
    request: Request,
    ctx: Annotated[WebContext, Depends(context)],
    outcome: Annotated[str, Form()] = "done",
    move_id: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """A break taken now ("done": counts for today's figures and the plan) or a snooze."""
    from gluteguard.sitting.reminders import break_moves

    verify_csrf(request, csrf_token)
    stored = OUTCOMES.get(outcome)
    if stored is None:
        return JSONResponse({"detail": "outcome: done or snooze"}, status_code=400)
    known = {m.id for m in break_moves()}
    entry = record_break(
        ctx.db, ctx.athlete_id, BreakLog(datetime.now(UTC), stored, move_id if move_id in known else None)
    )
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(entry)
    return RedirectResponse(f"/sitting?logged={stored}", status_code=303)
