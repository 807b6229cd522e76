"""What every route needs: the database and the athlete it acts on — the one place where a request is scoped.

Single-user (the local app): the one athlete, no login, exactly as before.

Multi-user (``serve --multi-user``): the session gate has checked the cookie's signature; here the account is read
afresh (a disabled account or an outdated session stops at once), the athlete is chosen (an athlete's own; for a
clinician the one named by ``?athlete=`` or opened from the roster), and ``accounts.policy.may`` decides. A route
cannot reach athlete data without an ``athlete_id`` from here, so it cannot forget the check. A clinician's every
request on an athlete is written to that athlete's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request

from gluteguard.services.athletes import ensure_athlete
from gluteguard.store.db import Database

if TYPE_CHECKING:
    from gluteguard.accounts.policy import Principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotLoggedIn(Exception):
    """The session names an account that is gone, disabled or logged out everywhere since."""


class NoAthleteChosen(Exception):
    """A clinician (or admin) asked for an athlete's page without choosing an athlete."""

    def __init__(self, principal: Principal) -> None:
        super().__init__("choose an athlete first")
        self.principal = principal


@dataclass
class WebContext:
    db: Database
    athlete_id: int
    principal: Principal | None = None  # None in the single-user app

    @property
    def acting_clinician(self) -> str | None:
        """The clinician's name when a clinician (not the athlete) is acting."""
        from gluteguard.accounts.rules import Role

        if self.principal is not None and self.principal.role is Role.CLINICIAN:
            return self.principal.name
        return None


def _single_user(request: Request) -> WebContext:
    from gluteguard.accounts.policy import Principal, allowed
    from gluteguard.accounts.rules import Role

    state = request.app.state
    if state.athlete_id is None:
        state.athlete_id = ensure_athlete(state.db, state.athlete_name)
    # The local app's one user is the athlete: what a page offers them is what an athlete may do.
    request.state.allowed = allowed(Principal(0, "", "", Role.ATHLETE, state.athlete_id), state.athlete_id)
    return WebContext(state.db, state.athlete_id)


def current_principal(request: Request) -> Principal:
    """The logged-in account of a multi-user request (NotLoggedIn when the session no longer holds)."""
    from gluteguard.services.accounts import principal_for_session

    found = getattr(request.state, "principal", None)
    if found is not None:
        return found
    claim = getattr(request.state, "session_claim", None)
    principal = None if claim is None else principal_for_session(request.app.state.db, claim.user_id, claim.epoch)
    if principal is None:
        raise NotLoggedIn
    request.state.principal = principal
    return principal


def _chosen_athlete(request: Request, principal: Principal) -> int | None:
    asked = request.query_params.get("athlete")
    if asked is not None:
        if not asked.isdigit() or len(asked) > 12:
            raise HTTPException(status_code=404, detail="no such athlete")
        return int(asked)
    if principal.athlete_id is not None:
        return principal.athlete_id
    claim = getattr(request.state, "session_claim", None)
    return claim.athlete_id if claim is not None else None


def _scoped(request: Request, *, care: bool, audit_writes: bool = True) -> WebContext:
    from gluteguard.accounts.policy import allowed, audit_words, may
    from gluteguard.accounts.rules import Action, Role
    from gluteguard.services.accounts import record_audit

    state = request.app.state
    if not getattr(state, "multi_user", False):
        return _single_user(request)
    principal = current_principal(request)
    athlete_id = _chosen_athlete(request, principal)
    if athlete_id is None:
        raise NoAthleteChosen(principal)
    reading = request.method in SAFE_METHODS
    if reading:
        action = Action.READ
    elif care and principal.role is Role.CLINICIAN:
        action = Action.CLINICIAN_WRITE
    else:
        action = Action.ATHLETE_WRITE
    if not may(principal, action, athlete_id):
        if not may(principal, Action.READ, athlete_id):
            # The same answer whether the athlete exists or not: nobody learns who else is on the server.
            raise HTTPException(status_code=404, detail="no such athlete")
        raise HTTPException(status_code=403, detail="a coach or physio can see this but not change it")
    request.state.allowed = allowed(principal, athlete_id)  # the controls a page shows this person
    if principal.role is Role.CLINICIAN:
        from gluteguard.services.athletes import get_profile

        request.state.viewing = get_profile(state.db, athlete_id).name
        if reading or audit_writes:
            what = audit_words(request.url.path, reading)
            record_audit(state.db, principal, athlete_id, "read" if reading else "write", what)
    return WebContext(state.db, athlete_id, principal)


def context(request: Request) -> WebContext:
    """The request's database and athlete (a FastAPI dependency: ``ctx: WebContext = Depends(context)``). Writes
    are the athlete's own."""
    return _scoped(request, care=False)


def care_context(request: Request) -> WebContext:
    """Like :func:`context`, for the writes a linked clinician may also make (a clearance, a note)."""
    return _scoped(request, care=True)


def care_order_context(request: Request) -> WebContext:
    """Like :func:`care_context`, for a clinician's order or note: its service writes the audit line itself, with
    the change and in the words of what was done ("lowered your strength stage to 1"), so a write adds no
    request-level line here (a read still does)."""
    return _scoped(request, care=True, audit_writes=False)
