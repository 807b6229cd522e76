"""The week's plan (``plan --json``), marking items done or skipped, adherence, and the week as a calendar
(.ics) or Markdown download."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Path, Response

from gluteguard.plan.adherence import monday_of
from gluteguard.reports.plan_export import plan_to_ics, plan_to_markdown
from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.coach import week_audit, week_plan
from gluteguard.services.plan import adherence, log_item
from gluteguard.web.api.common import Ctx, Day, api_router, jsonable
from gluteguard.web.deps import WebContext
from gluteguard.web.schemas import PlanLogIn, PlanLogOut

router = api_router("plan")

ItemId = Annotated[str, Path(min_length=1, max_length=80, description="A plan item's id, e.g. 2026-11-23-run-0")]


def _plan(ctx: WebContext, week_of: date | None) -> dict:
    return jsonable(week_plan(ctx.db, ctx.athlete_id, week_of).as_dict())


@router.get("/plan", summary="The plan of the week (like plan --json), with what was logged of it")
def get_plan(ctx: Ctx, week_of: Day | None = None) -> dict:
    return _plan(ctx, week_of)


@router.get("/plan/explain", summary="Why the week holds each item and exercise, and what was left out")
def get_plan_explain(ctx: Ctx, week_of: Day | None = None) -> dict:
    return jsonable(week_audit(ctx.db, ctx.athlete_id, week_of).as_dict())


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get(
    "/plan.ics",
    summary="The week's runs and strength sessions as an iCalendar file",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def get_plan_ics(ctx: Ctx, week_of: Day | None = None) -> Response:
    plan = _plan(ctx, week_of)
    return _download(plan_to_ics(plan, datetime.now(UTC)), "text/calendar; charset=utf-8",
                     f"gluteguard-plan-{plan['week_of']}.ics")  # fmt: skip


@router.get(
    "/plan.md",
    summary="The week as Markdown (to read or print)",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}}}},
)
def get_plan_markdown(ctx: Ctx, week_of: Day | None = None) -> Response:
    plan = _plan(ctx, week_of)
    return _download(plan_to_markdown(plan).encode("utf-8"), "text/markdown; charset=utf-8",
                     f"gluteguard-plan-{plan['week_of']}.md")  # fmt: skip


@router.post("/plan/items/{item_id}", response_model=PlanLogOut, summary="Mark a plan item done or skipped")
def post_plan_item(ctx: Ctx, item_id: ItemId, body: PlanLogIn) -> dict:
    return log_item(ctx.db, ctx.athlete_id, item_id, body.outcome)


@router.get("/plan/adherence", summary="Done and skipped items by kind between two days (default: the week)")
def get_adherence(ctx: Ctx, since: Day | None = None, until: Day | None = None, week_of: Day | None = None) -> dict:
    if since is None or until is None:
        monday = monday_of(week_of or today_in(ZoneInfo(get_profile(ctx.db, ctx.athlete_id).timezone)))
        since, until = since or monday, until or monday + timedelta(days=6)
    return {"since": since.isoformat(), "until": until.isoformat(),
            "by_kind": adherence(ctx.db, ctx.athlete_id, since, until)}  # fmt: skip
