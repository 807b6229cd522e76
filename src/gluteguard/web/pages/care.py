"""The clinician's page for one athlete (roster → athlete → Notes and orders, ``/care``): their own notes about the
athlete, and the orders on the athlete's plan — hold or lower the strength stage, leave an exercise out, lift an
order. Each handler parses the form, makes one service call (``services.care``) and renders; who may do what is
``accounts.policy.may`` (``notes``, ``plan_orders``), and each write's audit line is the service's.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from gluteguard.accounts.rules import Action
from gluteguard.plan.orders import OrderKind, order_words
from gluteguard.plan.progression import progression_rules
from gluteguard.services import care
from gluteguard.services.athletes import local_today
from gluteguard.services.coach import decision_on
from gluteguard.web.api.common import CLINICIAN_MAY_WRITE, MAX_ID
from gluteguard.web.deps import WebContext, care_order_context, context
from gluteguard.web.pages.render import page, see_other
from gluteguard.web.security import CSRF_FIELD, verify_csrf

router = APIRouter()
Ctx = Annotated[WebContext, Depends(context)]
OrderCtx = Annotated[WebContext, Depends(care_order_context)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]

SAVED = {
    "note": "Note saved. Only you and the athlete's other coaches or physios see it.",
    "withdrawn": "Note withdrawn.",
    "order": "Order saved: the athlete's plan shows it with your name.",
    "lifted": "Order lifted: the plan follows the athlete's progress again.",
}
NOT_FOR_YOU = "This page is for a coach or physio linked to this athlete."


def _care_page(request: Request, ctx: WebContext, error: str | None = None, saved: str | None = None,
               status: int = 200) -> HTMLResponse:  # fmt: skip
    allowed = getattr(request.state, "allowed", frozenset())
    if Action.NOTES not in allowed and Action.PLAN_ORDERS not in allowed:
        return page(request, "care.html", "care", status_code=403, refused=NOT_FOR_YOU, error=None, saved=None)
    today = local_today(ctx.db, ctx.athlete_id)
    decision = decision_on(ctx.db, ctx.athlete_id, today)
    records = care.order_records(ctx.db, ctx.athlete_id)
    rules = progression_rules()["stage"]
    notes = care.list_notes(ctx.db, ctx.principal, ctx.athlete_id) if Action.NOTES in allowed else []
    return page(
        request,
        "care.html",
        "care",
        status_code=status,
        refused=None,
        error=error,
        saved=SAVED.get(saved or ""),
        decision=decision,
        current=[r for r in records if r.active_on(today)],
        past=[r for r in records if not r.active_on(today)],
        notes=notes,
        exercises=care.excludable_exercises(),
        lower_stages=list(range(rules["first"], decision.stage)),
        kinds=order_words()["kinds"],
        today_date=today,
    )


@router.get("/care", response_class=HTMLResponse)
def care_page(request: Request, ctx: Ctx, saved: str | None = None) -> HTMLResponse:
    """A linked clinician's notes about the athlete and the orders on the athlete's plan, with the forms."""
    return _care_page(request, ctx, saved=saved)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


def _refused(request: Request, ctx: WebContext, exc: care.CareError) -> HTMLResponse:
    status = 403 if isinstance(exc, care.CareRefused) else 422
    if status == 403:
        return page(request, "care.html", "care", status_code=403, refused=str(exc), error=None, saved=None)
    return _care_page(request, ctx, error=str(exc), status=status)


def _day(raw: str, field: str) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise care.CareError(f"{field}: '{raw.strip()[:20]}' is not a date like 2026-03-01") from None


@router.post("/care/notes", response_model=None, openapi_extra=CLINICIAN_MAY_WRITE)
async def add_note(request: Request, ctx: OrderCtx) -> Response:
    """Write a note about the athlete (the clinician's own record: never shown to the athlete)."""
    form = await _form(request)
    try:
        care.add_note(ctx.db, ctx.principal, ctx.athlete_id, form.get("text", ""))
    except care.CareError as exc:
        return _refused(request, ctx, exc)
    return see_other("/care?saved=note#notes")


@router.post("/care/notes/{note_id}/withdraw", response_model=None, openapi_extra=CLINICIAN_MAY_WRITE)
async def withdraw_note(request: Request, note_id: RowId, ctx: OrderCtx) -> Response:
    """Withdraw one of one's own notes."""
    await _form(request)
    try:
        care.withdraw_note(ctx.db, ctx.principal, ctx.athlete_id, note_id)
    except care.CareError as exc:
        return _refused(request, ctx, exc)
    return see_other("/care?saved=withdrawn#notes")


@router.post("/care/orders", response_model=None, openapi_extra=CLINICIAN_MAY_WRITE)
async def set_order(request: Request, ctx: OrderCtx) -> Response:
    """Hold or lower the athlete's strength stage, or leave an exercise out of their plan, in the clinician's name."""
    form = await _form(request)
    try:
        raw_stage = form.get("stage", "").strip()
        if raw_stage and not raw_stage.isdigit():
            raise care.CareError(f"stage: '{raw_stage[:10]}' is not a whole number")
        kind = form.get("kind", "")
        care.set_order(
            ctx.db,
            ctx.principal,
            ctx.athlete_id,
            kind,
            stage=int(raw_stage) if raw_stage and kind == OrderKind.STAGE_LOWER else None,
            exercise_id=form.get("exercise_id") if kind == OrderKind.EXCLUDE_EXERCISE else None,
            until=_day(form.get("until", ""), "until"),
            reason=form.get("reason"),
        )
    except care.CareError as exc:
        return _refused(request, ctx, exc)
    return see_other("/care?saved=order#orders")


@router.post("/care/orders/{order_id}/lift", response_model=None, openapi_extra=CLINICIAN_MAY_WRITE)
async def lift_order(request: Request, order_id: RowId, ctx: OrderCtx) -> Response:
    """Lift an order on the athlete's plan."""
    await _form(request)
    try:
        care.lift_order(ctx.db, ctx.principal, ctx.athlete_id, order_id)
    except care.CareError as exc:
        return _refused(request, ctx, exc)
    return see_other("/care?saved=lifted#orders")
