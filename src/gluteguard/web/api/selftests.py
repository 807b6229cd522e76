"""Home self-tests (single-leg stance, palpation) and the weekly function check: instructions, history, recording,
and whether the check is due."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from fastapi import HTTPException

from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.checkins import get_checkin
from gluteguard.services.selftests import (
    function_check_due,
    function_checks,
    record_function_check,
    record_palpation,
    record_stance,
    self_test_history,
)
from gluteguard.symptoms.selftests import function_check_items, self_test_instructions, stance_side, stance_test_safe
from gluteguard.web.api.common import Ctx, Day, api_router
from gluteguard.web.deps import WebContext
from gluteguard.web.schemas import FunctionCheckIn, PalpationIn, StanceIn

router = api_router("self-tests")


def _day(ctx: WebContext, day: date | None) -> date:
    return day or today_in(ZoneInfo(get_profile(ctx.db, ctx.athlete_id).timezone))


def _history(ctx: WebContext) -> list[dict]:
    return [
        {
            "date": d.day.isoformat(),
            "stance": {
                s: {"seconds_to_pain": v.seconds_to_pain, "pain_nrs": v.pain_nrs, "positive": v.positive}
                for s, v in d.stance.items()
            },
            "palpation": d.palpation,
        }
        for d in self_test_history(ctx.db, ctx.athlete_id)
    ]


@router.get("/selftests", summary="Instructions, today's safety for the stance test, and the history")
def get_selftests(ctx: Ctx, date: Day | None = None) -> dict:
    day = _day(ctx, date)
    safe, reason = stance_test_safe(get_checkin(ctx.db, ctx.athlete_id, day))
    return {
        "date": day.isoformat(),
        "instructions": self_test_instructions(),
        "stance_safe": safe,
        "stance_unsafe_reason": reason,
        "history": _history(ctx),
    }


@router.post("/selftests/stance", summary="Record the 30-second single-leg stance test (one or both sides)")
def post_stance(ctx: Ctx, body: StanceIn) -> dict:
    day = _day(ctx, body.date)
    safe, reason = stance_test_safe(get_checkin(ctx.db, ctx.athlete_id, day))
    if not safe:
        raise HTTPException(422, f"not today: {reason}")
    given = {"left": body.left, "right": body.right}
    sides = [stance_side(s, v.seconds_to_pain, v.pain_nrs) for s, v in given.items() if v is not None]
    if not sides:
        raise HTTPException(422, "give left and/or right")
    record_stance(ctx.db, ctx.athlete_id, day, sides)
    return {
        "date": day.isoformat(),
        "stance": {s.side: {"seconds_to_pain": s.seconds_to_pain, "pain_nrs": s.pain_nrs, "positive": s.positive}
                   for s in sides},
    }  # fmt: skip


@router.post("/selftests/palpation", summary="Record whether pressing the side of each hip reproduces the pain")
def post_palpation(ctx: Ctx, body: PalpationIn) -> dict:
    day = _day(ctx, body.date)
    tender = {side: value for side, value in (("left", body.left), ("right", body.right)) if value is not None}
    if not tender:
        raise HTTPException(422, "give left and/or right")
    record_palpation(ctx.db, ctx.athlete_id, day, tender)
    return {"date": day.isoformat(), "palpation": tender}


def _function_history(ctx: WebContext) -> list[dict]:
    return [{"date": d.isoformat(), "score": c.score} for d, c in function_checks(ctx.db, ctx.athlete_id)]


@router.get("/function-check", summary="The weekly function check: its questions, whether it is due, the scores")
def get_function_check(ctx: Ctx, date: Day | None = None) -> dict:
    day = _day(ctx, date)
    return {
        "date": day.isoformat(),
        "items": function_check_items(),
        "due": function_check_due(ctx.db, ctx.athlete_id, day),
        "history": _function_history(ctx),
    }


@router.post("/function-check", summary="Record the weekly function check (like function-check --json)")
def post_function_check(ctx: Ctx, body: FunctionCheckIn) -> dict:
    day = _day(ctx, body.date)
    check = record_function_check(ctx.db, ctx.athlete_id, day, body.answers, body.global_change, body.visa_g)
    return {"date": day.isoformat(), "score": check.score, "answers": check.answers,
            "global_change": check.global_change, "visa_g": check.visa_g,
            "history": _function_history(ctx)}  # fmt: skip
