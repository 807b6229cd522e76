"""The first-run page (``/welcome``): four skippable steps from an empty database to a plan — about you, your
runs (with how to get a Strava, Garmin or Apple Health export), the first check-in, the week's plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from gluteguard.services.onboarding import setup_progress
from gluteguard.web.deps import WebContext, context
from gluteguard.web.pages.activities import IMPORT_SUFFIXES, MAX_ARCHIVE_BYTES, MAX_TOTAL_BYTES
from gluteguard.web.pages.render import page

router = APIRouter()


@router.get("/welcome", response_class=HTMLResponse)
def welcome(request: Request, ctx: Annotated[WebContext, Depends(context)]) -> HTMLResponse:
    return page(
        request,
        "welcome.html",
        "welcome",
        progress=setup_progress(ctx.db, ctx.athlete_id),
        suffixes=IMPORT_SUFFIXES,
        limits={"archive_mb": MAX_ARCHIVE_BYTES >> 20, "total_mb": MAX_TOTAL_BYTES >> 20},
    )
