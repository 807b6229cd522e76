"""Activities: the list with filters (``activities --json``), one activity, its samples as chart columns, and
the review of possible duplicates."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query

from gluteguard.services.activities import (
    ActivityError,
    get_activity,
    list_activities,
    load_streams,
    resolve_duplicate,
    stream_columns,
)
from gluteguard.web.api.common import ActivityId, Ctx, Day, api_router
from gluteguard.web.schemas import ResolveIn

router = api_router("activities")


def _not_found(exc: ActivityError) -> HTTPException:
    return HTTPException(404 if str(exc).startswith("no activity") else 422, str(exc))


@router.get("/activities", summary="Activities, oldest first, optionally filtered")
def get_activities(
    ctx: Ctx,
    since: Day | None = None,
    sport: Annotated[str | None, Query(max_length=40, description="run, walk, ride… or a sub-sport")] = None,
    duplicates: Annotated[bool, Query(description="Only possible duplicates awaiting review")] = False,
) -> list[dict]:
    rows = list_activities(ctx.db, ctx.athlete_id, since=since, sport=sport, duplicates_only=duplicates)
    return [row.as_dict() for row in rows]


@router.get("/activities/{activity_id}", summary="One activity")
def get_one_activity(ctx: Ctx, activity_id: ActivityId) -> dict:
    try:
        return get_activity(ctx.db, ctx.athlete_id, activity_id).as_dict()
    except ActivityError as exc:
        raise _not_found(exc) from None


@router.get("/activities/{activity_id}/streams", summary="The activity's samples as columns, pace derived")
def get_streams(
    ctx: Ctx,
    activity_id: ActivityId,
    max_points: Annotated[int | None, Query(ge=2, le=1_000_000, description="Thin evenly to at most this")] = None,
) -> dict:
    try:
        streams = load_streams(ctx.db, ctx.athlete_id, activity_id)
    except ActivityError as exc:
        raise _not_found(exc) from None
    return {"activity_id": activity_id, **stream_columns(streams, max_points)}


@router.post("/activities/{activity_id}/resolve", summary="Keep or drop a possible duplicate")
def post_resolve(ctx: Ctx, activity_id: ActivityId, body: ResolveIn) -> dict:
    try:
        message = resolve_duplicate(ctx.db, ctx.athlete_id, activity_id, body.decision)
    except ActivityError as exc:
        raise _not_found(exc) from None
    return {"id": activity_id, "decision": body.decision, "message": message}
