"""The FastAPI application: ``create_app`` wires the database, the API, the pages and the static files."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gluteguard.services.load import backfill_hr_histograms
from gluteguard.services.today_kept import ComingDaysKeeper
from gluteguard.store.db import Database
from gluteguard.store.location import resolve_database_url
from gluteguard.web.security import (
    BodyLimitMiddleware,
    KeepAfterWrites,
    SameOriginMiddleware,
    TrustedHostMiddleware,
)

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


class ServerModeError(ValueError):
    """The app cannot run in the mode asked for; one line for the person starting it."""


MULTI_USER_NEEDS_POSTGRESQL = (
    "--multi-user needs a PostgreSQL database (--db postgresql://USER@HOST/DB): SQLite serves one runner on one "
    "machine; see the README's 'Running a server for a clinic'"
)


def create_app(
    db_url: str | None = None,
    *,
    athlete_name: str = "me",
    allowed_hosts: Sequence[str] = (),
    multi_user: bool = False,
) -> FastAPI:
    """The app for one database (``db_url`` as ``--db`` takes it: a URL or a SQLite path; None = the default).
    It answers to IP addresses, ``localhost`` and the host names in ``allowed_hosts``, nothing else.

    ``multi_user``: a shared server (PostgreSQL only) where everyone logs in and sees only what their role and
    links allow (``web.deps``, ``accounts.policy``); without it, the local app for one runner with no login."""
    url = resolve_database_url(db_url)
    if multi_user and not url.startswith("postgresql"):
        raise ServerModeError(MULTI_USER_NEEDS_POSTGRESQL)
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
    app.state.db = Database(url)
    backfill_hr_histograms(app.state.db)  # data the schema gained later, filled at start, never in a GET
    app.state.athlete_name = athlete_name
    app.state.athlete_id = None
    app.state.multi_user = multi_user
    app.add_middleware(SameOriginMiddleware)
    if not multi_user and url.startswith("sqlite"):
        app.state.keeper = ComingDaysKeeper(lambda: app.state.db, athlete_name)
        app.add_middleware(KeepAfterWrites, keeper=app.state.keeper)
    app.add_middleware(BodyLimitMiddleware, limits=upload_limits(), default=SMALL_BODY_BYTES)
    if multi_user:
        _add_accounts(app)
    app.add_middleware(TrustedHostMiddleware, allowed_names=tuple(allowed_hosts))  # added last: runs first
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return app


def _add_accounts(app: FastAPI) -> None:
    """Logging in, the account pages and the roster; the gate before every route; the answers to a session that
    no longer holds (log in again) and to a clinician who has not opened an athlete (the roster)."""
    from fastapi import Request
    from fastapi.responses import JSONResponse, RedirectResponse, Response

    from gluteguard.accounts.rules import Role, account_rules
    from gluteguard.services.accounts import session_secret
    from gluteguard.web.deps import NoAthleteChosen, NotLoggedIn
    from gluteguard.web.pages import account
    from gluteguard.web.sessions import SessionGate, SessionSigner, clear_session_cookie, login_redirect

    signer = SessionSigner(session_secret(app.state.db), account_rules().session_max_age_days * 86400)
    app.state.signer = signer
    app.add_middleware(SessionGate, signer=signer)
    app.include_router(account.router)

    @app.exception_handler(NotLoggedIn)
    def _not_logged_in(request: Request, _exc: NotLoggedIn) -> Response:
        response: Response
        if request.url.path.startswith("/api/"):
            response = JSONResponse({"detail": "your session has ended: log in again"}, status_code=401)
        else:
            response = login_redirect(request.url.path, request.url.query)
        clear_session_cookie(response)
        return response

    @app.exception_handler(NoAthleteChosen)
    def _no_athlete(request: Request, exc: NoAthleteChosen) -> Response:
        if request.url.path.startswith("/api/"):
            detail = "name the athlete: ?athlete=ID (see your roster)" if exc.principal.role is Role.CLINICIAN \
                else "an admin account sees no athlete's data"  # fmt: skip
            return JSONResponse({"detail": detail}, status_code=400 if exc.principal.role is Role.CLINICIAN else 403)
        return RedirectResponse("/roster" if exc.principal.role is Role.CLINICIAN else "/account", status_code=303)
