"""Logging in on a shared server (``serve --multi-user``): the signed session cookie and the gate before every route.

The cookie holds the account's id, its session epoch and the athlete a clinician is looking at, signed with the
database's secret (itsdangerous, HMAC-SHA1 over the payload and a timestamp; it is not encrypted and holds no
health data). It is HttpOnly and SameSite=Lax, and Secure when the request came over HTTPS (behind a TLS proxy,
run uvicorn with the proxy's address trusted so the scheme is known). Bumping the account's epoch (log out
everywhere, a new password, disabling) ends every cookie signed before.

The gate answers every request of a multi-user app that has no valid cookie, except the few open paths, before
any route runs: pages go to ``/login``, the API gets 401. Which athlete a request may touch is decided later, in
``deps.context``, from the account read fresh from the database on each request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

SESSION_COOKIE = "gg_session"
# Reachable without logging in: the login form itself, the style sheets and pictures, and the API's description.
OPEN_PATHS = ("/login", "/static/", "/assets/", "/favicon.ico", "/api/v1/openapi.json", "/api/v1/docs")


@dataclass(frozen=True)
class SessionClaim:
    """What a valid cookie says: who (``user_id`` at ``epoch``) and, for a clinician, which athlete is open."""

    user_id: int
    epoch: int
    athlete_id: int | None = None


class SessionSigner:
    def __init__(self, secret: str, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="gluteguard-session")
        self.max_age_s = max_age_s

    def sign(self, claim: SessionClaim) -> str:
        return self._serializer.dumps({"u": claim.user_id, "e": claim.epoch, "a": claim.athlete_id})

    def read(self, cookie: str | None) -> SessionClaim | None:
        if not cookie:
            return None
        try:
            data: Any = self._serializer.loads(cookie, max_age=self.max_age_s)
            athlete = data.get("a")
            return SessionClaim(int(data["u"]), int(data["e"]), int(athlete) if athlete is not None else None)
        except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
            return None


def set_session_cookie(response: Response, request: HTTPConnection, signer: SessionSigner, claim: SessionClaim) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        signer.sign(claim),
        max_age=signer.max_age_s,
        httponly=True,
        samesite="lax",  # Lax: a link from an e-mail still opens the app logged in; forms need the CSRF token anyway
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def _is_open(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in OPEN_PATHS)


def login_redirect(path: str, query: str = "") -> RedirectResponse:
    target = path + (f"?{query}" if query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


class SessionGate:
    """Before every route of a multi-user app: no valid signed cookie, no way in (open paths excepted)."""

    def __init__(self, app: ASGIApp, signer: SessionSigner) -> None:
        self.app = app
        self.signer = signer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        claim = self.signer.read(connection.cookies.get(SESSION_COOKIE))
        if claim is None:
            response: Response
            if scope["path"].startswith("/api/"):
                response = JSONResponse({"detail": "log in first (POST /login)"}, status_code=401)
            elif scope["method"] in ("GET", "HEAD"):
                response = login_redirect(scope["path"], scope.get("query_string", b"").decode("latin-1"))
            else:
                response = RedirectResponse("/login", status_code=303)
            if Headers(scope=scope).get("cookie", "").find(SESSION_COOKIE) >= 0:
                clear_session_cookie(response)  # an outdated or forged cookie: drop it
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["session_claim"] = claim
        await self.app(scope, receive, send)
