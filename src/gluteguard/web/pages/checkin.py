"""The daily check-in (``/checkin``), built to take a minute on a phone: ran or not, three pain sliders, where it
hurts and Save on one screen, everything else folded. The warning-sign questions get their own short page
(``/checkin/warning-signs``) on the days they are due; the single-leg stance self-test (``/checkin/selftest``) and
the weekly function check (``/checkin/function``) have their own pages, linked from the check-in."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from gluteguard.services.athletes import local_today
from gluteguard.services.checkins import get_checkin, last_screen, save_checkin
from gluteguard.services.coach import decision_on
from gluteguard.services.selftests import function_check_due, function_checks, record_function_check, record_stance
from gluteguard.symptoms.model import PAIN_FIELDS, PAIN_LOCATIONS, RED_FLAGS, CheckIn, CheckInError
from gluteguard.symptoms.questions import questions
from gluteguard.symptoms.selftests import (
    SelfTestError,
    function_check_items,
    self_test_instructions,
    stance_side,
    stance_test_safe,
)
from gluteguard.symptoms.triage import screen_due, screen_triggered, triage_rules
from gluteguard.web.deps import WebContext, context
from gluteguard.web.pages.render import page, see_other
from gluteguard.web.security import CSRF_FIELD, verify_csrf

router = APIRouter()
Ctx = Annotated[WebContext, Depends(context)]

RUN_PAIN = ("pain_during_run", "pain_after_run")
# Three sliders fit on the first phone screen: on a run day the pain-monitoring trio (during, right after, the next
# morning); on other days this morning, at rest and at night. The two a run day leaves over sit under "More".
REST_PAIN = ("pain_at_rest", "night_pain")
# Short slider labels: the group's legend carries "pain in the side of your hip, 0 none – 10 worst", so each slider
# needs only its moment (the long questions would push Save off the screen).
PAIN_LABELS = {
    "pain_during_run": "During your last run",
    "pain_after_run": "Right after that run",
    "pain_next_morning": "This morning",
    "pain_at_rest": "At rest today",
    "night_pain": "At night",
}
SIDES = ("left", "right")
# The warning signs in a few short groups, so the screen reads as four questions rather than sixteen. A sign not
# listed here still shows, under "Anything else": no question may drop off the screen.
FLAG_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Numbness and weakness", ("saddle_numbness_or_bladder_bowel_change", "both_legs_weak_or_numb",
                               "numbness_tingling_below_knee", "foot_drop_or_leg_weakness")),
    ("Illness or injury", ("fever_or_unwell", "hot_swollen_joint", "trauma_or_fall", "cancer_history_or_weight_loss")),
    ("Walking, landing and nights", ("cannot_bear_weight", "limp", "pain_on_hopping", "constant_night_pain",
                                     "groin_pain_worse_with_running")),
    ("Running, eating and past injuries", ("recent_big_volume_increase", "low_energy_availability_or_missed_periods",
                                           "previous_stress_fracture")),
)  # fmt: skip
# Reasons a stopped day already says in its headline or that only matter on a calm day (as on Today).
QUIET_REASONS = frozenset({"within_safe_zone", "no_recent_checkin", "carried_checkin"})


def flag_groups() -> list[tuple[str, list[str]]]:
    """The warning signs by group, every sign once, in RED_FLAGS order within a group."""
    groups = [(title, [flag for flag in RED_FLAGS if flag in members]) for title, members in FLAG_GROUPS]
    grouped = {flag for _title, members in FLAG_GROUPS for flag in members}
    rest = [flag for flag in RED_FLAGS if flag not in grouped]
    return [(title, flags) for title, flags in [*groups, ("Anything else", rest)] if flags]


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


def _triggered(checkin: CheckIn | None, status: str | None = None) -> bool:
    """Whether today's saved answers call for the warning-sign questions now (the core's rule)."""
    if checkin is None:
        return False
    pains = [getattr(checkin, name) for name in PAIN_FIELDS]
    return screen_triggered(pains, checkin.pain_locations, flag_raised=bool(checkin.flags_raised), status=status)


def warning_signs_due(ctx: WebContext, day: date, checkin: CheckIn | None, status: str | None = None) -> bool:
    """The full warning-sign questions are due today: at the first check-in, a week after the last day they were
    all answered, or at once on a trigger (``checkin`` is today's answers, None before the first save)."""
    before = last_screen(ctx.db, ctx.athlete_id, day - timedelta(days=1))
    return screen_due(before, day, triggered=_triggered(checkin, status))


def _stance_allowed(stored: CheckIn | None, report_allows: bool) -> tuple[bool, str | None]:
    """Whether the stance test is safe today, and why not in plain words."""
    safe, reason = stance_test_safe(stored)
    if not report_allows:
        safe = False
        reason = reason or self_test_instructions()["single_leg_stance"]["skip_if"]
    return safe, reason.replace("_", " ") if reason else None  # the sign's key in words ("cannot bear weight")


def _checkin_page(
    request: Request, ctx: WebContext, *, values: dict | None = None, error: str | None = None, saved: str | None = None
) -> HTMLResponse:
    day = local_today(ctx.db, ctx.athlete_id)
    stored = get_checkin(ctx.db, ctx.athlete_id, day)
    if values is None:
        values = stored.as_dict() if stored else {}
        values["ran"] = any(values.get(name) is not None for name in RUN_PAIN)
    decision = decision_on(ctx.db, ctx.athlete_id, day)
    report = decision.report
    stance_safe, _reason = _stance_allowed(stored, report is None or report.self_tests_allowed)
    history = function_checks(ctx.db, ctx.athlete_id)
    function_due = function_check_due(ctx.db, ctx.athlete_id, day)
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
        decision=decision,
        report=report,
        quiet_reasons=QUIET_REASONS,
        labels=PAIN_LABELS,
        questions=questions(),
        run_pain=RUN_PAIN,
        rest_pain=REST_PAIN,
        locations=PAIN_LOCATIONS,
        flag_groups=flag_groups(),
        screen_due=not (stored and stored.screened) and warning_signs_due(ctx, day, stored, decision.status),
        stance_name=self_test_instructions()["single_leg_stance"]["name"],
        stance_safe=stance_safe,
        function_due=function_due,
        function_last=history[-1] if history else None,
        function_next=history[-1][0] + timedelta(days=function_check_items()["every_days"]) if history else None,
    )


@router.get("/checkin", response_class=HTMLResponse)
def checkin_page(request: Request, ctx: Ctx, saved: str | None = None) -> HTMLResponse:
    """Today's check-in form (filled with today's answers when there are some), then the status it gave."""
    return _checkin_page(request, ctx, saved=saved)


@router.post("/checkin", response_model=None)
async def checkin_submit(request: Request, ctx: Ctx) -> Response:
    """Save today's check-in; then the warning-sign questions when they are due, else the status it gives. An
    invalid answer comes back as one line."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    day = local_today(ctx.db, ctx.athlete_id)
    screened_before = bool((earlier := get_checkin(ctx.db, ctx.athlete_id, day)) and earlier.screened)
    answers = answers_from_form(form, day)
    try:
        checkin, _created = save_checkin(ctx.db, ctx.athlete_id, answers)
    except CheckInError as exc:
        values = {**answers, "ran": form.get("ran") == "yes", "red_flags": answers.get("red_flags", {})}
        return _checkin_page(request, ctx, values=values, error=f"Check-in not saved: {exc}")
    # Asked once a day at most: not again when today's answers already hold the whole screen (from this form's
    # script-posted ``screen=1`` or an earlier visit to the warning-sign page).
    asked = screened_before or set(answers.get("red_flags") or {}) >= set(RED_FLAGS)
    if not asked and warning_signs_due(ctx, day, checkin, decision_on(ctx.db, ctx.athlete_id, day).status):
        return see_other("/checkin/warning-signs")
    return see_other("/checkin?saved=checkin#result")


# ------------------------------------------------------------------------------------------------ warning signs


def _warning_signs_page(request: Request, ctx: WebContext, error: str | None = None) -> HTMLResponse:
    day = local_today(ctx.db, ctx.athlete_id)
    stored = get_checkin(ctx.db, ctx.athlete_id, day)
    before = last_screen(ctx.db, ctx.athlete_id, day - timedelta(days=1))
    return page(
        request,
        "warning_signs.html",
        "checkin",
        status_code=422 if error else 200,
        day=day,
        error=error,
        values={"red_flags": dict(stored.red_flags) if stored else {}},
        first=before is None,
        questions=questions(),
        flag_groups=flag_groups(),
        screen_source=triage_rules().screen_source,
        interval_days=triage_rules().screen_interval_days,
    )


@router.get("/checkin/warning-signs", response_class=HTMLResponse)
def warning_signs_page(request: Request, ctx: Ctx) -> HTMLResponse:
    """Every warning-sign question on one short page (an unticked box means "no")."""
    return _warning_signs_page(request, ctx)


@router.post("/checkin/warning-signs", response_model=None)
async def warning_signs_submit(request: Request, ctx: Ctx) -> Response:
    """Save the answers to every warning-sign question into today's check-in, then show the status."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    day = local_today(ctx.db, ctx.athlete_id)
    checked = {str(v) for v in form.getlist("red_flags")}
    answers = {"date": day.isoformat(), "red_flags": {flag: flag in checked for flag in RED_FLAGS}, "screened": True}
    try:
        save_checkin(ctx.db, ctx.athlete_id, answers)  # merged: today's other answers stay as they are
    except CheckInError as exc:
        return _warning_signs_page(request, ctx, error=f"Answers not saved: {exc}")
    return see_other("/checkin?saved=checkin#result")


# ----------------------------------------------------------------------------------------- self-test, function


def _selftest_page(
    request: Request, ctx: WebContext, error: str | None = None, saved: str | None = None
) -> HTMLResponse:
    day = local_today(ctx.db, ctx.athlete_id)
    report = decision_on(ctx.db, ctx.athlete_id, day).report
    stored = get_checkin(ctx.db, ctx.athlete_id, day)
    safe, reason = _stance_allowed(stored, report is None or report.self_tests_allowed)
    return page(
        request,
        "selftest.html",
        "checkin",
        status_code=422 if error else 200,
        error=error,
        saved=saved == "stance",
        stance=self_test_instructions()["single_leg_stance"],
        stance_safe=safe,
        stance_reason=reason,
    )


@router.get("/checkin/selftest", response_class=HTMLResponse)
def selftest_page(request: Request, ctx: Ctx, saved: str | None = None) -> HTMLResponse:
    """The 30-second single-leg stance test with a timer per leg (or why not today)."""
    return _selftest_page(request, ctx, saved=saved)


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
        return _selftest_page(request, ctx, error=f"Self-test not saved: {str(exc).replace('_', ' ')}")
    record_stance(ctx.db, ctx.athlete_id, day, sides)
    return see_other("/checkin/selftest?saved=stance")


def _function_page(
    request: Request, ctx: WebContext, error: str | None = None, saved: str | None = None
) -> HTMLResponse:
    day = local_today(ctx.db, ctx.athlete_id)
    history = function_checks(ctx.db, ctx.athlete_id)
    return page(
        request,
        "function_check.html",
        "checkin",
        status_code=422 if error else 200,
        error=error,
        saved=saved == "function",
        due=function_check_due(ctx.db, ctx.athlete_id, day),
        items=function_check_items(),
        last=history[-1] if history else None,
    )


@router.get("/checkin/function", response_class=HTMLResponse)
def function_page(request: Request, ctx: Ctx, saved: str | None = None) -> HTMLResponse:
    """The weekly hip function check: six questions 0–10 and how the hip is since the start."""
    return _function_page(request, ctx, saved=saved)


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
        return _function_page(request, ctx, error=f"Function check not saved: {str(exc).replace('_', ' ')}")
    return see_other("/checkin/function?saved=function")
