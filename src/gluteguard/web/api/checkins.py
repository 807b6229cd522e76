"""Daily check-ins: list, read, save (validated whole; 422 names the first bad field), delete; and the day's
questions with whether the warning-sign screen and the weekly function check are due."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import HTTPException, Response

from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.checkins import delete_checkin, get_checkin, last_screen, list_checkins, save_checkin
from gluteguard.services.selftests import function_check_due
from gluteguard.symptoms.questions import questions
from gluteguard.symptoms.triage import screen_due
from gluteguard.web.api.common import Ctx, Day, PathDay, api_router
from gluteguard.web.deps import WebContext
from gluteguard.web.schemas import CheckInIn, CheckInOut

router = api_router("check-ins")


def _today(ctx: WebContext):
    return today_in(ZoneInfo(get_profile(ctx.db, ctx.athlete_id).timezone))


@router.get("/checkins/questions", summary="The check-in's questions, and which extra ones are due on a day")
def get_questions(ctx: Ctx, date: Day | None = None) -> dict:
    day = date or _today(ctx)
    last = last_screen(ctx.db, ctx.athlete_id, day)
    return {
        "date": day.isoformat(),
        "questions": questions(),
        "last_screen": last.isoformat() if last else None,
        # Due weekly and at onboarding; an answer calling for it (pain ≥ 6, groin…) triggers it at once too.
        "screen_due": screen_due(last, day),
        "function_check_due": function_check_due(ctx.db, ctx.athlete_id, day),
    }


@router.get("/checkins", response_model=list[CheckInOut], summary="Check-ins, oldest first (like checkins --json)")
def get_checkins(ctx: Ctx, since: Day | None = None, until: Day | None = None) -> list[dict]:
    return [c.as_dict() for c in list_checkins(ctx.db, ctx.athlete_id, since=since, until=until)]


@router.get("/checkins/{day}", response_model=CheckInOut, summary="One day's check-in")
def get_one_checkin(ctx: Ctx, day: PathDay) -> dict:
    found = get_checkin(ctx.db, ctx.athlete_id, day)
    if found is None:
        raise HTTPException(404, f"no check-in on {day}")
    return found.as_dict()


@router.post("/checkins", response_model=CheckInOut, summary="Save a day's check-in (merged with that day's)")
def post_checkin(ctx: Ctx, body: CheckInIn, response: Response) -> dict:
    answers = body.model_dump(exclude_unset=True)
    answers["date"] = (body.date or _today(ctx)).isoformat()
    checkin, created = save_checkin(ctx.db, ctx.athlete_id, answers)
    response.status_code = 201 if created else 200
    out = checkin.as_dict()
    out["created"] = created
    out["flags_raised"] = list(checkin.flags_raised)
    out["function_check_due"] = function_check_due(ctx.db, ctx.athlete_id, checkin.date)
    return out


@router.delete("/checkins/{day}", status_code=204, summary="Delete a day's check-in")
def remove_checkin(ctx: Ctx, day: PathDay) -> Response:
    if not delete_checkin(ctx.db, ctx.athlete_id, day):
        raise HTTPException(404, f"no check-in on {day}")
    return Response(status_code=204)
