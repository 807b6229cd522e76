"""The daily check-in (``/checkin``): pain sliders, body side, the day's questions, the warning-sign questions
when due, then the resulting status; the 30-second single-leg stance self-test with a timer; the weekly function
check when it is due."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from gluteguard.services.athletes import local_today
from gluteguard.services.checkins import get_checkin, last_screen, save_checkin
from gluteguard.services.selftests import function_check_due, function_checks, record_function_check, record_stance
from gluteguard.services.symptoms import symptom_report
from gluteguard.symptoms.model import PAIN_FIELDS, PAIN_LOCATIONS, RED_FLAGS, CheckInError
from gluteguard.symptoms.questions import questions
from gluteguard.symptoms.selftests import (
    SelfTestError,
    function_check_items,
    self_test_instructions,
    stance_side,
    stance_test_safe,
)
from gluteguard.symptoms.triage import screen_due, triage_rules
from gluteguard.web.deps import WebContext, context
from gluteguard.web.pages.render import page, see_other
from gluteguard.web.security import CSRF_FIELD, verify_csrf

router = APIRouter()
Ctx = Annotated[WebContext, Depends(context)]

RUN_PAIN = ("pain_during_run", "pain_after_run")
SIDES = ("left", "right")


def answers_from_form(form: FormData, day: date) -> dict:
    """The check-in answers of the form as ``save_checkin`` takes them (an empty field clears its answer; the run
    questions count only when the runner says they ran)."""
    ran = form.get("ran") == "yes"
    answers: dict = {"date": day.isoformat()}
    for name in PAIN_FIELDS:
        if name in RUN_PAIN and not ran:
            continue
        answers[name] = str(form.get(name) or "")
    for name in ("wakes_lying_on_side", "brisk_walk_pain_free", "side", "morning_stiffness_min", "sitting_hours",
                 "session_rpe", "note"):  # fmt: skip
        answers[name] = str(form.get(name) or "")
    answers["pain_locations"] = [str(v) for v in form.getlist("pain_locations")]
    answers["tender_on_pressing"] = [str(v) for v in form.getlist("tender_on_pressing")]
    checked = {str(v) for v in form.getlist("red_flags")}
    if form.get("screen") == "1":  # every warning-sign question was on the page: unticked means "no"
        answers["red_flags"] = {flag: flag in checked for flag in RED_FLAGS}
    elif checked:
        answers["red_flags"] = {flag: True for flag in checked}
    return answers


def _checkin_page(
    request: Request, ctx: WebContext, *, values: dict | None = None, error: str | None = None, saved: str | None = None
) -> HTMLResponse:
    day = local_today(ctx.db, ctx.athlete_id)
    stored = get_checkin(ctx.db, ctx.athlete_id, day)
    if values is None:
        values = stored.as_dict() if stored else {}
        values["ran"] = any(values.get(name) is not None for name in RUN_PAIN)
    report = symptom_report(ctx.db, ctx.athlete_id, day)
    triggered = bool(stored and stored.flags_raised)
    stance_safe, stance_reason = stance_test_safe(stored)
    if report is not None and not report.self_tests_allowed:
        stance_safe = False
        stance_reason = stance_reason or self_test_instructions()["single_leg_stance"]["skip_if"]
    history = function_checks(ctx.db, ctx.athlete_id)
    return page(
        request,
        "checkin.html",
        "checkin",
        status_code=422 if error else 200,
        day=day,
        values=values,
        error=error,
        saved=saved,
        stored=stored,
        report=report,
        action_text=triage_rules().action_messages.get(report.action) if report else None,
        questions=questions(),
        pain_fields=PAIN_FIELDS,
        run_pain=RUN_PAIN,
        locations=PAIN_LOCATIONS,
        red_flags=RED_FLAGS,
        screen_due=screen_due(last_screen(ctx.db, ctx.athlete_id, day), day, triggered=triggered),
        screen_source=triage_rules().screen_source,
        stance=self_test_instructions()["single_leg_stance"],
        stance_safe=stance_safe,
        stance_reason=stance_reason,
        function_due=function_check_due(ctx.db, ctx.athlete_id, day),
        function_items=function_check_items(),
        function_last=history[-1] if history else None,
    )


@router.get("/checkin", response_class=HTMLResponse)
def checkin_page(request: Request, ctx: Ctx, saved: str | None = None) -> HTMLResponse:
    """Today's check-in form (filled with today's answers when there are some), the self-test and the weekly check."""
    return _checkin_page(request, ctx, saved=saved)


@router.post("/checkin", response_model=None)
async def checkin_submit(request: Request, ctx: Ctx) -> Response:
    """Save today's check-in, then show the status it gives; an invalid answer comes back as one line."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    answers = answers_from_form(form, local_today(ctx.db, ctx.athlete_id))
    try:
        save_checkin(ctx.db, ctx.athlete_id, answers)
    except CheckInError as exc:
        values = {**answers, "ran": form.get("ran") == "yes", "red_flags": answers.get("red_flags", {})}
        return _checkin_page(request, ctx, values=values, error=f"Check-in not saved: {exc}")
    return see_other("/checkin?saved=checkin#result")


def _seconds(form: FormData, side: str) -> float | None:
    text = str(form.get(f"{side}_seconds") or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise SelfTestError(f"{side} side: seconds to pain as a number, or empty when no pain came in 30 s") from None


@router.post("/checkin/stance", response_model=None)
async def stance_submit(request: Request, ctx: Ctx) -> Response:
    """Save the single-leg stance test of the sides that were tested (refused when today's answers make it unsafe)."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    day = local_today(ctx.db, ctx.athlete_id)
    safe, reason = stance_test_safe(get_checkin(ctx.db, ctx.athlete_id, day))
    try:
        if not safe:
            raise SelfTestError(f"not today: {reason}")
        sides = []
        for side in SIDES:
            if form.get(f"{side}_tested"):
                pain = str(form.get(f"{side}_pain") or "0")
                sides.append(stance_side(side, _seconds(form, side), int(pain) if pain.isdigit() else -1))
        if not sides:
            raise SelfTestError("tick the side(s) you tested")
    except SelfTestError as exc:
        return _checkin_page(request, ctx, error=f"Self-test not saved: {exc}")
    record_stance(ctx.db, ctx.athlete_id, day, sides)
    return see_other("/checkin?saved=stance#selftest")


@router.post("/checkin/function", response_model=None)
async def function_submit(request: Request, ctx: Ctx) -> Response:
    """Save the weekly function check (six items 0–10 and the global change)."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    day = local_today(ctx.db, ctx.athlete_id)
    try:
        answers = {}
        for item in function_check_items()["items"]:
            text = str(form.get(item["id"]) or "")
            if not text.isdigit():
                raise SelfTestError(f"function check {item['id']}: a whole number 0–10")
            answers[item["id"]] = int(text)
        record_function_check(ctx.db, ctx.athlete_id, day, answers, str(form.get("global_change") or "") or None, None)
    except SelfTestError as exc:
        return _checkin_page(request, ctx, error=f"Function check not saved: {exc}")
    return see_other("/checkin?saved=function#function")
