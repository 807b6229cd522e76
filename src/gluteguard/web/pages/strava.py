"""The Strava card of the Import page: link your own Strava application, sync new activities, unlink.

Routes only orchestrate (``services/strava.py`` does the work). Strava's approval page sends the runner back to
``/strava/callback`` with a code and the ``state`` this server gave when the link was begun; a redirect whose
state does not match links nothing.

Sync now runs as a background job (the app's job runner: a thread of this process for one runner, the workers on a
shared server), since Strava's rate limit can make it wait up to a quarter of an hour: the button answers at once
with the Import page following that job (``/import?strava_job=ID``), which updates itself until the job ends and
then shows what came in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from gluteguard.services.jobs import JobKind, JobRequest, JobView, TooBusy
from gluteguard.services.strava import (
    StravaError,
    authorization_url,
    begin_link,
    disconnect,
    finish_link,
    strava_status,
)
from gluteguard.web.deps import WebContext, context
from gluteguard.web.jobs import job_of, jobs_of
from gluteguard.web.security import verify_csrf

router = APIRouter()

MESSAGES = {
    "linked": "Linked to Strava. Sync brings in the runs you record from now on.",
    "refused": "Strava did not link: approve gluteguard on Strava's page to sync.",
    "unlinked": "Unlinked from Strava; the activities already synced stay.",
}


def strava_card(ctx: WebContext, job: JobView | None = None, **extra: object) -> dict:
    """What the Import page's Strava card shows; with ``job`` (a sync), its progress or, once it ended, its
    summary or its error."""
    card: dict = {"status": strava_status(ctx.db, ctx.athlete_id), "summary": None, "error": None, "message": None,
                  "job": None}  # fmt: skip
    if job is not None:
        if job.running:
            card["job"] = job
        elif job.status == "done":
            card["summary"] = job.result
        else:
            card["error"] = job.error
    return {**card, **extra}


def sync_job(request: Request, ctx: WebContext, job_id: str) -> JobView | None:
    """This athlete's Strava sync job ``job_id`` (None for anyone else's, another kind, or none at all)."""
    return job_of(request, ctx.athlete_id, job_id, JobKind.STRAVA_SYNC)


def _back(request: Request, ctx: WebContext, status_code: int, **card: object) -> Response:
    from gluteguard.web.pages.activities import import_page_with

    return import_page_with(request, status_code=status_code, strava=strava_card(ctx, **card))


@router.post("/strava/connect", response_model=None)
def strava_connect(
    request: Request,
    ctx: Annotated[WebContext, Depends(context)],
    client_id: Annotated[str, Form()] = "",
    client_secret: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Keep the application's keys, then off to Strava's approval page."""
    verify_csrf(request, csrf_token)
    try:
        number = int(client_id.strip())
        state = begin_link(ctx.db, ctx.athlete_id, number, client_secret)
    except ValueError:
        return _back(request, ctx, 400, error="The Client ID is the number on your Strava application's page.")
    except StravaError as error:
        return _back(request, ctx, 400, error=str(error))
    redirect = str(request.url_for("strava_callback"))
    return RedirectResponse(authorization_url(number, redirect, state), status_code=303)


@router.get("/strava/callback", name="strava_callback", response_model=None)
def strava_callback(
    request: Request,
    ctx: Annotated[WebContext, Depends(context)],
    code: str = "",
    scope: str = "",
    state: str = "",
    error: str = "",
) -> Response:
    """Where Strava sends the runner back: exchange the code (only for the state this server gave)."""
    if error or not code:
        return RedirectResponse("/import?strava=refused#strava", status_code=303)
    try:
        finish_link(ctx.db, ctx.athlete_id, state, code, scope)
    except StravaError as problem:
        return _back(request, ctx, 400, error=str(problem))
    return RedirectResponse("/import?strava=linked#strava", status_code=303)


@router.post("/strava/sync", response_model=None)
def strava_sync(
    request: Request, ctx: Annotated[WebContext, Depends(context)], csrf_token: Annotated[str, Form()] = ""
) -> Response:
    """Start bringing in what is new on Strava (a few new runs take seconds; a long history is better imported from
    Strava's bulk export first, which the guide above explains) and follow it on the Import page."""
    verify_csrf(request, csrf_token)
    if not strava_status(ctx.db, ctx.athlete_id).connected:
        return _back(request, ctx, 400, error="Not linked to Strava yet: link it below first.")
    try:
        job = jobs_of(request).submit(JobRequest(JobKind.STRAVA_SYNC, ctx.athlete_id, "Strava sync"))
    except TooBusy as busy:
        return _back(request, ctx, 429, error=str(busy))
    return RedirectResponse(f"/import?strava_job={job.id}#strava", status_code=303)


@router.post("/strava/disconnect", response_model=None)
def strava_disconnect(
    request: Request, ctx: Annotated[WebContext, Depends(context)], csrf_token: Annotated[str, Form()] = ""
) -> Response:
    verify_csrf(request, csrf_token)
    disconnect(ctx.db, ctx.athlete_id)
    return RedirectResponse("/import?strava=unlinked#strava", status_code=303)
