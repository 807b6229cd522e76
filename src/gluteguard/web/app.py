"""The FastAPI application: ``create_app`` wires the database, the API, the pages and the static files."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gluteguard.services.load import backfill_hr_histograms
from gluteguard.store.db import Database, resolve_database_url
from gluteguard.web.security import BodyLimitMiddleware, SameOriginMiddleware, TrustedHostMiddleware

STATIC_DIR = resources.files("gluteguard.web") / "static"
# A check-in, profile or log form or JSON body is a few kB; anything but an upload route gets at most this.
SMALL_BODY_BYTES = 1 << 20


def upload_limits() -> dict[str, int]:
    """Each upload route's cap on the whole request body: its files' cap plus the multipart framing."""
    from gluteguard.web import uploads
    from gluteguard.web.api import importing, stride
    from gluteguard.web.pages import activities
    from gluteguard.web.pages import stride as stride_page

    slack = uploads.MULTIPART_SLACK
    return {
        "/api/v1/import": importing.MAX_TOTAL_BYTES + slack,
        "/import": activities.MAX_TOTAL_BYTES + slack,
        "/api/v1/stride": max(stride.MAX_VIDEO_BYTES, stride.MAX_KEYPOINT_BYTES) + slack,
        "/stride": max(stride_page.MAX_VIDEO_BYTES, stride_page.MAX_DATA_BYTES) + slack,
    }


def create_app(db_url: str | None = None, *, athlete_name: str = "me", allowed_hosts: Sequence[str] = ()) -> FastAPI:
    """The app for one database (``db_url`` as ``--db`` takes it: a URL or a SQLite path; None = the default).
    It answers to IP addresses, ``localhost`` and the host names in ``allowed_hosts``, nothing else."""
    from gluteguard.web.api import router as api_router
    from gluteguard.web.pages import router as pages_router

    app = FastAPI(
        title="gluteguard",
        version=version("gluteguard"),
        description="Pace your running, listen to your hip, analyse your stride, get off your butt. "
        "Information, never a diagnosis.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.db = Database(resolve_database_url(db_url))
    backfill_hr_histograms(app.state.db)  # data the schema gained later, filled at start, never in a GET
    app.state.athlete_name = athlete_name
    app.state.athlete_id = None
    app.add_middleware(SameOriginMiddleware)
    app.add_middleware(BodyLimitMiddleware, limits=upload_limits(), default=SMALL_BODY_BYTES)
    app.add_middleware(TrustedHostMiddleware, allowed_names=tuple(allowed_hosts))  # added last: runs first
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app
