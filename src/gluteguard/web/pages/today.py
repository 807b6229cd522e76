"""Today (``/``): the day's decision — what to do first, the next run, today's plan items with done/skip — with
the load warnings and yesterday's desk note beside it; and recording a clinician's clearance or a booked visit
(``POST /clearance``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from gluteguard.plan.library import load_library
from gluteguard.services.athletes import local_today
from gluteguard.services.clinician import VisitError, list_visits, record_visit
from gluteguard.services.coach import today_summary
from gluteguard.services.onboarding import setup_progress
from gluteguard.web.api.common import CLINICIAN_MAY_WRITE
from gluteguard.web.deps import WebContext, care_context, context
from gluteguard.web.pages.render import page, parse_day, see_other
from gluteguard.web.security import CSRF_FIELD, verify_csrf

router = APIRouter()
Ctx = Annotated[WebContext, Depends(context)]
CareCtx = Annotated[WebContext, Depends(care_context)]


SAVED = {"cleared": "Clearance recorded.", "booked": "Booked visit recorded."}


def _today_page(
    request: Request, ctx: WebContext, error: str | None = None, day: date | None = None, saved: str | None = None
) -> HTMLResponse:
    summary = today_summary(ctx.db, ctx.athlete_id, day)
    return page(
        request,
        "today.html",
        "today",
        status_code=422 if error else 200,
        today=summary,
        decision=summary.decision,
        visits=list_visits(ctx.db, ctx.athlete_id)[-3:],
        error=error,
        saved=SAVED.get(saved or ""),
        today_date=local_today(ctx.db, ctx.athlete_id),
        library=load_library(),
        next_url="/",
        setup=setup_progress(ctx.db, ctx.athlete_id),
    )


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request, ctx: Ctx, date: str | None = None, saved: str | None = None) -> HTMLResponse:
    """Today at a glance: the decision ``gluteguard today`` prints, with the full reasons and sources
    (``?date=`` shows another day as it was, or as it is planned)."""
    day, error = parse_day(date)
    return _today_page(request, ctx, error=error, day=day, saved=saved)


@router.post("/clearance", response_model=None, openapi_extra=CLINICIAN_MAY_WRITE)
async def clearance(request: Request, ctx: CareCtx) -> Response:
    """Record a clinician's clearance (``kind=cleared``, who cleared required) or a booked visit."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    today = local_today(ctx.db, ctx.athlete_id)
    try:
        raw_day = str(form.get("date") or "")
        day = date.fromisoformat(raw_day) if raw_day else today
    except ValueError:
        return _today_page(request, ctx, error=f"date: '{form.get('date')}' is not a date like 2026-03-01")
    try:
        by = ctx.acting_clinician or str(form.get("by") or "")  # a clinician's own account records in their name
        record_visit(ctx.db, ctx.athlete_id, str(form.get("kind") or ""), day, today,
                     by=by, note=str(form.get("note") or ""))  # fmt: skip
    except VisitError as exc:
        return _today_page(request, ctx, error=str(exc))
    return see_other(f"/?saved={form.get('kind')}#next-run")
