"""Training load (``/load``): the interactive weekly charts (offline plotly.js) and the day's load state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from gluteguard.load.rules import load_rules
from gluteguard.load.weeks import category_labels
from gluteguard.reports.load_panels import load_panels
from gluteguard.services.cache import VersionedCache
from gluteguard.services.coach import load_history, load_on
from gluteguard.services.load import activities_version, weekly_details
from gluteguard.web.deps import WebContext, context
from gluteguard.web.pages.assets import plotly_version
from gluteguard.web.pages.render import PLOTLY_JS_URL, page, parse_day

router = APIRouter()
Ctx = Annotated[WebContext, Depends(context)]


_CHARTS = VersionedCache(size=8)


def _charts(ctx: WebContext, rows: list) -> list[dict]:
    """Each chart as the page shows it: heading, figure HTML, legend and the caption written for this runner."""
    if not rows:
        return []
    panels = load_panels(rows, weekly_details(ctx.db, ctx.athlete_id, rows))
    return [
        {"id": p.id, "title": p.title, "caption": p.caption, "legend": p.legend, "html": p.html()} for p in panels
    ]


@router.get("/load", response_class=HTMLResponse)
def load_page(
    request: Request, ctx: Ctx, weeks: Annotated[int, Query(ge=4, le=104)] = 16, date: str | None = None
) -> HTMLResponse:
    """The load state (cap, last run, week, warnings) and the weekly charts with the runs behind each bar."""
    day, error = parse_day(date)
    view = load_on(ctx.db, ctx.athlete_id, day)
    rows = load_history(ctx.db, ctx.athlete_id, weeks)
    # Building a Plotly figure takes ~0.1–0.3 s; the chart only changes with the activities, so it is kept.
    version = (activities_version(ctx.db, ctx.athlete_id), tuple(rows))
    charts = _CHARTS.get((ctx.db.url, ctx.athlete_id, weeks), version, lambda: _charts(ctx, rows))
    rules = load_rules()
    return page(
        request,
        "load.html",
        "load",
        status_code=400 if error else 200,
        error=error,
        state=view.state,
        decision=view.decision,
        rows=rows,
        weeks=weeks,
        charts=charts,
        labels=category_labels(rules),
        rules=rules,
        plotly_src=f"{PLOTLY_JS_URL}?v={plotly_version()}",
    )
