"""The plan: the week as a calendar (``/plan``), its calendar file (``/plan.ics``), its workouts for a watch
(``/plan/workouts.zip``), a print and Markdown view
(``/plan/print``), and marking an item done or skipped (``POST /plan/log``, a form or JSON)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gluteguard.plan.adherence import monday_of
from gluteguard.plan.library import load_library
from gluteguard.plan.workouts import easy_heart_rate
from gluteguard.reports.plan_export import plan_to_ics, plan_to_markdown
from gluteguard.services.athletes import get_profile, local_today
from gluteguard.services.coach import week_audit, week_plan
from gluteguard.services.plan import PlanItemError, log_item
from gluteguard.web.deps import WebContext, context
from gluteguard.web.pages.render import page, parse_day, safe_next, see_other
from gluteguard.web.security import CSRF_FIELD, verify_csrf

router = APIRouter()
Ctx = Annotated[WebContext, Depends(context)]

OUTCOMES = {"done": "done", "skip": "skipped", "skipped": "skipped"}


def _week(ctx: WebContext, week_of: str | None) -> tuple[date, str | None]:
    """The Monday of the asked week (this week when absent or unreadable) and a one-line error, if any."""
    day, error = parse_day(week_of)
    if error:
        error = error.replace("date:", "week_of:").replace("showing today", "showing this week")
    return monday_of(day or local_today(ctx.db, ctx.athlete_id)), error


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request, ctx: Ctx, week_of: str | None = None) -> HTMLResponse:
    """The week's plan as a calendar, each item expandable, with the four-week outline."""
    monday, error = _week(ctx, week_of)
    plan = week_plan(ctx.db, ctx.athlete_id, monday).as_dict()
    return page(
        request,
        "plan.html",
        "plan",
        status_code=400 if error else 200,
        plan=plan,
        error=error,
        today=local_today(ctx.db, ctx.athlete_id).isoformat(),
        outcomes=plan["logged"],
        library=load_library(),
        easy_heart_rate=easy_heart_rate(get_profile(ctx.db, ctx.athlete_id).max_hr),  # the watch workouts' target
        previous_week=(monday - timedelta(weeks=1)).isoformat(),
        next_week=(monday + timedelta(weeks=1)).isoformat(),
        next_url=f"/plan?week_of={monday.isoformat()}",
    )


@router.get("/plan/explain", response_class=HTMLResponse)
def plan_explain(request: Request, ctx: Ctx, week_of: str | None = None) -> HTMLResponse:
    """Why the week holds each item and exercise, and what was left out (the web's ``plan --explain``)."""
    monday, error = _week(ctx, week_of)
    audit = week_audit(ctx.db, ctx.athlete_id, monday).as_dict()
    return page(request, "plan_explain.html", "plan", status_code=400 if error else 200, audit=audit, error=error)


@router.get("/plan.ics")
def plan_ics(ctx: Ctx, week_of: str | None = None) -> Response:
    """The week's runs and strength sessions as an iCalendar file (a download)."""
    monday, error = _week(ctx, week_of)
    if error:
        return Response(error.replace("; showing this week", "") + "\n", status_code=400, media_type="text/plain")
    plan = week_plan(ctx.db, ctx.athlete_id, monday).as_dict()
    name = f"gluteguard-week-{monday.isoformat()}.ics"
    return Response(
        plan_to_ics(plan, datetime.now(UTC)),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


WATCH_README = """The week's runs and strength sessions as FIT workouts, one file each (gluteguard plan --fit).

To put them on a Garmin watch: plug it in over USB, copy the .fit files into its GARMIN/NewFiles folder and unplug
it; they are then under Training > Workouts. Runs aim at your easy heart-rate range when your profile has your
maximum heart rate.
"""


@router.get("/plan/workouts.zip")
def plan_workouts_zip(ctx: Ctx, week_of: str | None = None, target: str = "easy") -> Response:
    """The week's sessions as FIT workout files in one zip (``target=open``: runs without a heart-rate target)."""
    import io
    import zipfile

    from gluteguard.reports.fit_workouts import workout_to_fit
    from gluteguard.services.workouts import plan_workouts

    monday, error = _week(ctx, week_of)
    if error:
        return Response(error.replace("; showing this week", "") + "\n", status_code=400, media_type="text/plain")
    workouts = plan_workouts(ctx.db, ctx.athlete_id, monday, heart_rate_target=target != "open")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", WATCH_README)
        for workout in workouts:
            archive.writestr(workout.file_name, workout_to_fit(workout))
    name = f"gluteguard-workouts-{monday.isoformat()}.zip"
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.get("/plan/print", response_class=HTMLResponse)
def plan_print(request: Request, ctx: Ctx, week_of: str | None = None, format: str = "html") -> Response:
    """The week to print (HTML) or as Markdown (``format=md``)."""
    monday, error = _week(ctx, week_of)
    if error:
        return Response(error.replace("; showing this week", "") + "\n", status_code=400, media_type="text/plain")
    plan = week_plan(ctx.db, ctx.athlete_id, monday).as_dict()
    if format == "md":
        return Response(plan_to_markdown(plan), media_type="text/markdown; charset=utf-8")
    return page(request, "plan_print.html", "plan", plan=plan)


@router.post("/plan/log", response_model=None)
async def plan_log(request: Request, ctx: Ctx) -> Response:
    """Mark a plan item done or skipped. A form post (CSRF field) goes back to the page it came from; a JSON post
    (``{"item_id", "outcome"}``, CSRF header) gets the logged entry as JSON."""
    wants_json = request.headers.get("content-type", "").startswith("application/json")
    if wants_json:
        body = await request.json()
        verify_csrf(request, None)
        fields = body if isinstance(body, dict) else {}
    else:
        form = await request.form()
        verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
        fields = {key: str(value) for key, value in form.items()}
    item_id = str(fields.get("item_id") or "")
    outcome = OUTCOMES.get(str(fields.get("outcome") or ""), "")
    try:
        entry = log_item(ctx.db, ctx.athlete_id, item_id, outcome)
    except PlanItemError as exc:
        if wants_json:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return page(request, "partials/message.html", "plan", status_code=422, heading="Not saved", message=str(exc),
                    back=safe_next(fields.get("next"), "/plan"))  # fmt: skip
    if wants_json:
        return JSONResponse(entry)
    return see_other(f"{safe_next(fields.get('next'), '/plan')}#item-{item_id}")
