"""The runner's data rights on the web: download everything as one zip (both modes), and on a shared server
delete the account and every row of it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from gluteguard.services.athletes import get_profile, local_today
from gluteguard.services.coach import week_plan
from gluteguard.services.data_rights import export_file_name, write_export
from gluteguard.web.deps import WebContext, context
from gluteguard.web.pages.render import see_other
from gluteguard.web.security import CSRF_FIELD, verify_csrf

router = APIRouter()
Ctx = Annotated[WebContext, Depends(context)]


def _own_data(ctx: WebContext) -> None:
    """Data rights are the athlete's: a linked coach or physio reads the pages but does not take the archive."""
    from gluteguard.accounts.policy import may
    from gluteguard.accounts.rules import Action

    if ctx.principal is not None and not may(ctx.principal, Action.EXPORT, ctx.athlete_id):
        raise HTTPException(status_code=403, detail="only the athlete can download all of their data")


@router.get("/export/everything.zip", response_class=FileResponse, summary="Everything about you, as one zip")
def export_everything_zip(ctx: Ctx) -> FileResponse:
    """Every imported file as it was, every row about you as JSON, the activity samples and this week's plan."""
    _own_data(ctx)
    folder = Path(tempfile.mkdtemp(prefix="gluteguard-export-"))
    name = export_file_name(get_profile(ctx.db, ctx.athlete_id).name, local_today(ctx.db, ctx.athlete_id))
    try:
        write_export(ctx.db, ctx.athlete_id, folder / name, week=week_plan(ctx.db, ctx.athlete_id).as_dict())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(folder / name, media_type="application/zip", filename=name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))  # fmt: skip


@router.post("/account/delete", response_model=None)
async def delete_account(request: Request, ctx: Ctx) -> Response:
    """Delete the athlete's account and all of their data (shared server; the password and the word 'delete')."""
    from gluteguard.accounts.policy import AccountError
    from gluteguard.services.accounts import delete_own_account
    from gluteguard.web.pages.account import account_error_page
    from gluteguard.web.sessions import clear_session_cookie

    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    _own_data(ctx)
    if ctx.principal is None:
        raise HTTPException(status_code=404, detail="the local app has no account to delete: delete its database file")
    if str(form.get("confirm") or "").strip().lower() != "delete":
        return account_error_page(request, ctx.principal, "type the word delete to confirm")
    try:
        delete_own_account(ctx.db, ctx.principal, str(form.get("password") or ""))
    except AccountError as exc:
        return account_error_page(request, ctx.principal, str(exc))
    response = see_other("/login?deleted=1")
    clear_session_cookie(response)
    return response
