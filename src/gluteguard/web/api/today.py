"""Today at a glance and the symptom status (``gluteguard today --json``, ``gluteguard status --json``)."""

from __future__ import annotations

from typing import Any

from gluteguard.services.symptoms import symptom_report
from gluteguard.services.today import today_summary
from gluteguard.web.api.common import Ctx, Day, api_router, jsonable
from gluteguard.web.schemas import TodayOut

router = api_router("today")


@router.get("/today", response_model=TodayOut, summary="Status, action, phase, cap, warnings, today's items")
def get_today(ctx: Ctx, date: Day | None = None) -> Any:
    return jsonable(today_summary(ctx.db, ctx.athlete_id, date))


@router.get("/status", summary="The symptom status of a day (null before the first check-in)")
def get_status(ctx: Ctx, date: Day | None = None) -> dict | None:
    return jsonable(symptom_report(ctx.db, ctx.athlete_id, date))
