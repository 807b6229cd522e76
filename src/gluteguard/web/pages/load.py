"""Training load (``/load``): the interactive weekly charts (offline plotly.js) and the day's load state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from gluteguard.load.rules import load_rules
from gluteguard.reports.load_chart import build_figure, category_labels, wrap_titles
from gluteguard.services.cache import VersionedCache
from gluteguard.services.coach import load_history, load_on
from gluteguard.services.load import activities_version, weekly_details
from gluteguard.web.deps import WebContext, context
from gluteguard.web.pages.assets import plotly_version
from gluteguard.web.pages.render import PLOTLY_JS_URL, page, parse_day

router = APIRouter()
Ctx = Annotated[WebContext, Depends(context)]


_CHARTS = VersionedCache(size=8)


def _chart(ctx: WebContext, rows: list) -> str | None:
    if not rows:
        return None
    figure = wrap_titles(build_figure(rows, details=weekly_details(ctx.db, ctx.athlete_id, rows)))
    figure.update_layout(title=None, legend={"orientation": "h", "y": -0.08}, margin={"l": 48, "r": 16, "t": 40})
    return figure.to_html(
        include_plotlyjs=False, full_html=False, div_id="load-chart", config={"displaylogo": False, "responsive": True}
    )


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
    chart = _CHARTS.get((ctx.db.url, ctx.athlete_id, weeks), version, lambda: _chart(ctx, rows))
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
        chart=chart,
        labels=category_labels(rules),
        rules=rules,
        plotly_src=f"{PLOTLY_JS_URL}?v={plotly_version()}",
    )
