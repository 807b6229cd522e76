"""Today at a glance, the symptom status and the clinician's clearances (``gluteguard today --json``,
``status --json``, ``cleared``/``booked``/``clearances``): renderers of the day's decision."""

from __future__ import annotations

from typing import Any

from gluteguard.services.athletes import local_today
from gluteguard.services.clinician import list_visits, record_visit
from gluteguard.services.coach import decision_on, today_summary
from gluteguard.web.api.common import CLINICIAN_MAY_WRITE, CareCtx, Ctx, Day, api_router, jsonable
from gluteguard.web.schemas import ClinicianVisitIn, ClinicianVisitOut, TodayOut

router = api_router("today")


@router.get("/today", response_model=TodayOut, summary="The day's decision: status, action, next run, items")
def get_today(ctx: Ctx, date: Day | None = None) -> Any:
    return jsonable(today_summary(ctx.db, ctx.athlete_id, date).as_dict())


@router.get("/status", summary="The symptom status of a day (null before the first check-in)")
def get_status(ctx: Ctx, date: Day | None = None) -> dict | None:
    return jsonable(decision_on(ctx.db, ctx.athlete_id, date).status_dict())


@router.get("/decision", summary="The day's whole decision, as every view renders it")
def get_decision(ctx: Ctx, date: Day | None = None) -> dict:
    return jsonable(decision_on(ctx.db, ctx.athlete_id, date).as_dict())


@router.get("/clearances", response_model=list[ClinicianVisitOut], summary="Recorded clearances and booked visits")
def get_clearances(ctx: Ctx) -> list[dict]:
    return [visit.as_dict() for visit in list_visits(ctx.db, ctx.athlete_id)]


@router.post("/clearances", response_model=ClinicianVisitOut, status_code=201,
             summary="Record a clinician's clearance (kind cleared, by required) or a booked visit",
             openapi_extra=CLINICIAN_MAY_WRITE)  # fmt: skip
def post_clearance(ctx: CareCtx, body: ClinicianVisitIn) -> dict:
    today = local_today(ctx.db, ctx.athlete_id)
    by = ctx.acting_clinician or body.by  # a clinician's own account records in their own name
    visit = record_visit(ctx.db, ctx.athlete_id, body.kind, body.date or today, today, by=by, note=body.note)
    return visit.as_dict()
