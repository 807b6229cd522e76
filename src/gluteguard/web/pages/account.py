"""Accounts on a shared server (multi-user mode only): log in and out, the account page (who can see my data, the
audit log, accepting an invitation, a new password) and the clinician's roster (invite, open an athlete).

Each handler parses the form, makes one service call and renders; who may do what is ``accounts.policy``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from gluteguard.accounts.policy import AccountError, Principal
from gluteguard.accounts.rules import Role
from gluteguard.services import accounts
from gluteguard.services.roster import roster
from gluteguard.web.deps import current_principal
from gluteguard.web.pages.render import page, see_other
from gluteguard.web.security import CSRF_FIELD, verify_csrf
from gluteguard.web.sessions import SessionClaim, clear_session_cookie, set_session_cookie

router = APIRouter()
Viewer = Annotated[Principal, Depends(current_principal)]

HOME = {Role.ATHLETE: "/", Role.CLINICIAN: "/roster", Role.ADMIN: "/account"}


def _safe_next(target: str | None, fallback: str) -> str:
    """Only a path on this server (never ``//host`` or a scheme): no open redirect through the login form."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, error: str | None = None, next_url: str = "", status: int = 200,
                note: str | None = None) -> HTMLResponse:  # fmt: skip
    return page(request, "login.html", "login", status_code=status, error=error, next_url=next_url, note=note)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "", deleted: str = "") -> HTMLResponse:
    """The login form."""
    note = "Your account and all of its data have been deleted." if deleted else None
    return _login_page(request, next_url=_safe_next(next, ""), note=note)


@router.post("/login", response_model=None)
async def login(request: Request) -> Response:
    """Check the name and password; on success the signed session cookie, then the page asked for (or home)."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    next_url = str(form.get("next") or "")
    try:
        logged_in = accounts.authenticate(request.app.state.db, str(form.get("username") or ""),
                                          str(form.get("password") or ""), _address(request))  # fmt: skip
    except AccountError as exc:
        return _login_page(request, error=str(exc), next_url=_safe_next(next_url, ""), status=401)
    principal = logged_in.principal
    response = see_other(_safe_next(next_url, HOME[principal.role]))
    set_session_cookie(response, request, request.app.state.signer, SessionClaim(principal.user_id, logged_in.epoch))
    return response


@router.post("/logout", response_model=None)
async def logout(request: Request) -> Response:
    """End this browser's session."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    response = see_other("/login")
    clear_session_cookie(response)
    return response


@router.post("/logout-everywhere", response_model=None)
async def logout_everywhere(request: Request, viewer: Viewer) -> Response:
    """End every session of this account, on every device, this one included."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    accounts.log_out_everywhere(request.app.state.db, viewer.user_id)
    response = see_other("/login")
    clear_session_cookie(response)
    return response


def _account_page(request: Request, viewer: Principal, error: str | None = None, saved: str | None = None,
                  status: int = 200) -> HTMLResponse:  # fmt: skip
    db = request.app.state.db
    team = accounts.care_team(db, viewer.athlete_id) if viewer.athlete_id is not None else []
    audit = accounts.audit_log(db, viewer.athlete_id) if viewer.athlete_id is not None else []
    return page(request, "account.html", "account", status_code=status, viewer=viewer, team=team, audit=audit,
                error=error, saved=saved)  # fmt: skip


def account_error_page(request: Request, viewer: Principal, error: str) -> HTMLResponse:
    """The account page with a one-line reason (a refused deletion, a wrong password)."""
    return _account_page(request, viewer, error=error, status=422)


SAVED = {
    "accepted": "Done: they can now see your data. You can stop this at any time below.",
    "revoked": "Done: they can no longer see your data.",
    "password": "Password changed. Your other devices have been logged out.",
}


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, viewer: Viewer, saved: str = "") -> HTMLResponse:
    """Who I am, who can see my data (and stop them), what they looked at, a code from a coach, a new password."""
    return _account_page(request, viewer, saved=SAVED.get(saved))


@router.post("/account/accept", response_model=None)
async def accept_invite(request: Request, viewer: Viewer) -> Response:
    """Accept a coach's or physio's invitation code."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    try:
        accounts.accept_invite(request.app.state.db, viewer, str(form.get("code") or ""))
    except AccountError as exc:
        return _account_page(request, viewer, error=str(exc), status=422)
    return see_other("/account?saved=accepted")


@router.post("/account/links/{link_id}/revoke", response_model=None)
async def revoke_link(request: Request, link_id: int, viewer: Viewer) -> Response:
    """Stop a clinician seeing my data (or, for a clinician, let an athlete go)."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    try:
        accounts.revoke_link(request.app.state.db, viewer, link_id)
    except AccountError as exc:
        return _account_page(request, viewer, error=str(exc), status=404)
    return see_other("/roster" if viewer.role is Role.CLINICIAN else "/account?saved=revoked")


@router.post("/account/password", response_model=None)
async def change_password(request: Request, viewer: Viewer) -> Response:
    """A new password (the current one first); every other session ends, this one carries on."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    new = str(form.get("new_password") or "")
    if new != str(form.get("new_password_again") or ""):
        return _account_page(request, viewer, error="the two new passwords differ", status=422)
    db = request.app.state.db
    try:
        accounts.change_password(db, viewer.user_id, str(form.get("current_password") or ""), new)
    except AccountError as exc:
        return _account_page(request, viewer, error=str(exc), status=422)
    epoch = accounts.principal_epoch(db, viewer.user_id)
    response = see_other("/account?saved=password")
    set_session_cookie(response, request, request.app.state.signer, SessionClaim(viewer.user_id, epoch))
    return response


# --- the clinician's roster ---


def _roster_page(request: Request, viewer: Principal, code: tuple[str, str] | None = None,
                 error: str | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    if viewer.role is not Role.CLINICIAN:
        return page(request, "roster.html", "roster", status_code=403, viewer=viewer, entries=[], code=None,
                    links=[], error="The roster is for coach and physio accounts.")  # fmt: skip
    db = request.app.state.db
    return page(request, "roster.html", "roster", status_code=status, viewer=viewer, entries=roster(db, viewer),
                links={link.athlete_id: link for link in accounts.linked_athletes(db, viewer)}, code=code,
                error=error)  # fmt: skip


@router.get("/roster", response_class=HTMLResponse)
def roster_page(request: Request, viewer: Viewer) -> HTMLResponse:
    """Every linked athlete, the one who needs attention first at the top, each with their Today."""
    return _roster_page(request, viewer)


@router.post("/roster/invite", response_model=None)
async def invite(request: Request, viewer: Viewer) -> Response:
    """A new one-time code to hand an athlete (shown once)."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    try:
        code, expires = accounts.create_invite(request.app.state.db, viewer)
    except AccountError as exc:
        return _roster_page(request, viewer, error=str(exc), status=403)
    return _roster_page(request, viewer, code=(code, expires.strftime("%d %b %Y")))


@router.post("/roster/open/{athlete_id}", response_model=None)
async def open_athlete(request: Request, athlete_id: int, viewer: Viewer) -> Response:
    """Look at one linked athlete: their pages show their data until another is opened."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    if viewer.role is not Role.CLINICIAN or athlete_id not in viewer.linked:
        return _roster_page(request, viewer, error="no such athlete on your roster", status=404)
    claim = request.state.session_claim
    response = see_other("/")
    set_session_cookie(response, request, request.app.state.signer,
                       SessionClaim(viewer.user_id, claim.epoch, athlete_id))  # fmt: skip
    return response
