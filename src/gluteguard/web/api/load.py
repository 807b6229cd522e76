"""Training load: the state at the end of a day (``load --json``) and the weekly history (``load --history
--json``) with each week's monotony and runs (ids, for a chart's hover)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import Query

from gluteguard.services.coach import load_history, load_on
from gluteguard.services.load import weekly_details
from gluteguard.web.api.common import Ctx, Day, api_router, jsonable

router = api_router("load")


@router.get("/load", summary="The load state at the end of a day: cap, last run's spike, week, PMC, warnings")
def get_load(ctx: Ctx, date: Day | None = None) -> dict:
    return jsonable(load_on(ctx.db, ctx.athlete_id, date).as_dict())


@router.get("/load/history", summary="Weekly history: distance, spikes, cap, PMC, monotony and each week's runs")
def get_load_history(ctx: Ctx, date: Day | None = None, weeks: Annotated[int, Query(ge=1, le=1000)] = 16) -> list[dict]:
    rows = load_history(ctx.db, ctx.athlete_id, weeks, date)
    details = weekly_details(ctx.db, ctx.athlete_id, rows)
    out = []
    for row in rows:
        detail = details.get(row.week_start)
        runs = [asdict(run) for run in detail.runs] if detail else []
        out.append({**row.__dict__, "monotony": detail.monotony if detail else None, "runs_detail": runs})
    return jsonable(out)
