"""Today (``/``): the symptom status and any warning-sign action first, the next-run cap, today's plan items with
done/skip, load warnings with why and source, and yesterday's desk note."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from gluteguard.plan.library import load_library
from gluteguard.services.load import state_on
from gluteguard.services.plan import item_outcomes, plan_for_week
from gluteguard.services.sitting import desk_note
from gluteguard.services.symptoms import symptom_report
from gluteguard.services.today import local_today
from gluteguard.sitting.day import SittingError
from gluteguard.symptoms.triage import NO_RUNNING_ACTIONS, triage_rules
from gluteguard.web.deps import WebContext, context
from gluteguard.web.pages.render import page

router = APIRouter()
Ctx = Annotated[WebContext, Depends(context)]


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request, ctx: Ctx) -> HTMLResponse:
    """Today at a glance (the services ``gluteguard today`` uses, with the full reasons and sources)."""
    day = local_today(ctx.db, ctx.athlete_id)
    report = symptom_report(ctx.db, ctx.athlete_id, day)
    plan = plan_for_week(ctx.db, ctx.athlete_id, day).as_dict()
    try:  # yesterday's desk time next to today's run: context, not a verdict
        note = desk_note(ctx.db, ctx.athlete_id, day - timedelta(days=1), today=day)
    except SittingError:
        note = None
    action = report["action"] if report else None
    summary = {
        "date": day,
        "report": report,
        "action": action,
        "action_text": triage_rules().action_messages.get(action) if action else None,
        "stop_running": bool(report) and (action in NO_RUNNING_ACTIONS or not report["running_allowed"]),
        "phase": plan["phase"],
        "phase_why": plan["phase_why"],
        "ladder_step": plan.get("ladder_step"),
        "load": state_on(ctx.db, ctx.athlete_id, day),
        "items": next((d["items"] for d in plan["days"] if d["date"] == day.isoformat()), []),
        "outcomes": item_outcomes(ctx.db, ctx.athlete_id, day, day),
        "sitting_note": note,
    }
    return page(request, "today.html", "today", today=summary, library=load_library(), next_url="/")
