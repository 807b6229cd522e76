"""A coach's or physio's orders on an athlete's plan and their own notes about the athlete (``services.care``):
the orders are read by anyone who may read the athlete (they shape the athlete's plan, with the clinician's name);
setting and lifting them, and the notes, are a linked clinician's (``accounts.policy.may``: ``plan_orders``,
``notes``). Each write's audit line is written by the service, with the change."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path

from gluteguard.services import care
from gluteguard.services.athletes import local_today
from gluteguard.web.api.common import CLINICIAN_MAY_WRITE, MAX_ID, Ctx, api_router
from gluteguard.web.deps import WebContext, care_order_context
from gluteguard.web.schemas import NoteIn, NoteOut, OrderIn, OrderOut

router = api_router("care")
OrderCtx = Annotated[WebContext, Depends(care_order_context)]
OrderId = Annotated[int, Path(ge=1, le=MAX_ID, description="An order's id.")]
NoteId = Annotated[int, Path(ge=1, le=MAX_ID, description="A note's id.")]


def _refuse(exc: care.CareError) -> HTTPException:
    return HTTPException(403 if isinstance(exc, care.CareRefused) else 422, str(exc))


@router.get("/orders", response_model=list[OrderOut], summary="A coach or physio's orders on the plan, newest first")
def get_orders(ctx: Ctx) -> list[dict]:
    today = local_today(ctx.db, ctx.athlete_id)
    return [record.as_json(today) for record in care.order_records(ctx.db, ctx.athlete_id)]


@router.post("/orders", response_model=OrderOut, status_code=201, openapi_extra=CLINICIAN_MAY_WRITE,
             summary="Hold or lower the strength stage, or leave an exercise out (a linked clinician)")  # fmt: skip
def post_order(ctx: OrderCtx, body: OrderIn) -> dict:
    try:
        record = care.set_order(ctx.db, ctx.principal, ctx.athlete_id, body.kind, stage=body.stage,
                                exercise_id=body.exercise_id, until=body.until, reason=body.reason)  # fmt: skip
    except care.CareError as exc:
        raise _refuse(exc) from None
    return record.as_json(local_today(ctx.db, ctx.athlete_id))


@router.post("/orders/{order_id}/lift", response_model=OrderOut, openapi_extra=CLINICIAN_MAY_WRITE,
             summary="Lift an order on the plan (a linked clinician)")  # fmt: skip
def post_lift_order(ctx: OrderCtx, order_id: OrderId) -> dict:
    try:
        record = care.lift_order(ctx.db, ctx.principal, ctx.athlete_id, order_id)
    except care.CareError as exc:
        raise _refuse(exc) from None
    return record.as_json(local_today(ctx.db, ctx.athlete_id))


@router.get("/care/notes", response_model=list[NoteOut], summary="A linked clinician's notes about the athlete")
def get_notes(ctx: Ctx) -> list[dict]:
    try:
        return [note.as_json() for note in care.list_notes(ctx.db, ctx.principal, ctx.athlete_id)]
    except care.CareError as exc:
        raise _refuse(exc) from None


@router.post("/care/notes", response_model=NoteOut, status_code=201, openapi_extra=CLINICIAN_MAY_WRITE,
             summary="Write a note about the athlete (never shown to the athlete)")  # fmt: skip
def post_note(ctx: OrderCtx, body: NoteIn) -> dict:
    try:
        return care.add_note(ctx.db, ctx.principal, ctx.athlete_id, body.text).as_json()
    except care.CareError as exc:
        raise _refuse(exc) from None


@router.post("/care/notes/{note_id}/withdraw", status_code=204, openapi_extra=CLINICIAN_MAY_WRITE,
             summary="Withdraw one of one's own notes")  # fmt: skip
def post_withdraw_note(ctx: OrderCtx, note_id: NoteId) -> None:
    try:
        care.withdraw_note(ctx.db, ctx.principal, ctx.athlete_id, note_id)
    except care.CareError as exc:
        raise _refuse(exc) from None
