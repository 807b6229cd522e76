"""Host names, cross-site request forgery and upload safety for the local app.

* Only known host names are answered: a request whose ``Host`` is a name other than ``localhost`` or one given with
  ``--allowed-host`` is refused before any route runs. That stops DNS rebinding, where a page on another site
  rebinds its own name to 127.0.0.1 and then reads the app as "same origin". A ``Host`` that is an IP address is
  fine: a browser only sends one when the user typed that address.
* Every unsafe request (POST, PUT, PATCH, DELETE) whose ``Origin`` (or, without it, ``Referer``) names another
  host is refused: browsers always send one of them on a cross-site request, scripts (curl, Python) send none
  and stay allowed (OWASP's "verify origin with standard headers").
* HTML forms also carry a double-submit token: a random value in a ``SameSite=Strict`` cookie and in a hidden
  field, compared in constant time.
* Uploads are streamed to a temporary file named by the server (only a checked suffix survives from the
  client's name), with a size cap: no path from the client ever reaches the file system.
"""

from __future__ import annotations

import contextlib
import hmac
import html
import ipaddress
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, UploadFile
from starlette.datastructures import Headers
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gluteguard.services.cache import read_only_scope

if TYPE_CHECKING:
    from gluteguard.services.today_kept import ComingDaysKeeper

CSRF_COOKIE = "gg_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UPLOAD_CHUNK = 1 << 20


LOCAL_NAMES = frozenset({"localhost"})


def host_name(host_header: str) -> str:
    """The name or address of a ``Host`` header without its port, lower case (``[::1]:8000`` → ``::1``)."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0].rstrip(".") if value.count(":") == 1 else value.rstrip(".")


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class TrustedHostMiddleware:
    """Refuse requests addressed to a host name the server does not know (DNS rebinding), before every route."""

    def __init__(self, app: ASGIApp, allowed_names: Iterable[str] = ()) -> None:
        self.app = app
        names = {host_name(name) for name in allowed_names if name}
        self.allowed = LOCAL_NAMES | {name for name in names if not _is_address(name)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            name = host_name(Headers(scope=scope).get("host", ""))
            if not (_is_address(name) or name in self.allowed):
                known = ", ".join(sorted(self.allowed))
                detail = (f"unknown host name {name[:80]!r}: this server answers to its IP addresses and {known} "
                          "(add a name with gluteguard serve --allowed-host NAME)")  # fmt: skip
                await JSONResponse({"detail": detail}, status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _host_of(url: str) -> str | None:
    parts = urlsplit(url)
    return parts.netloc.lower() or None


class SameOriginMiddleware(BaseHTTPMiddleware):
    """Refuse unsafe requests that a browser sent from another site."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method in UNSAFE_METHODS:
            claimed = request.headers.get("origin") or request.headers.get("referer")
            host = request.headers.get("host", "").lower()
            if claimed is not None and (claimed == "null" or _host_of(claimed) != host):
                return JSONResponse({"detail": "cross-site request refused"}, status_code=403)
            return await call_next(request)
        with read_only_scope():  # a GET only reads: each version/profile question is asked once per request
            return await call_next(request)


def csrf_token(request: Request) -> str:
    """The token for this browser: the cookie's when it has one, else a new one (set it with ``set_csrf_cookie``)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and len(existing) >= 32:
        return existing
    return secrets.token_urlsafe(32)


def set_csrf_cookie(response: Response, token: str) -> None:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=7 * 24 * 3600)


def verify_csrf(request: Request, submitted: str | None) -> None:
    """Raise 403 unless the submitted token (form field or header) equals the cookie's."""
    cookie = request.cookies.get(CSRF_COOKIE)
    candidate = submitted or request.headers.get(CSRF_HEADER)
    if not cookie or not candidate or not hmac.compare_digest(cookie, candidate):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token: reload the page and try again")


class KeepAfterWrites:
    """The single-user app: after a request that may have written (any but GET, HEAD, OPTIONS), the coming days are
    kept again in the background (``services.today_kept.ComingDaysKeeper``), once the response is sent."""

    def __init__(self, app: ASGIApp, keeper: ComingDaysKeeper) -> None:
        self.app = app
        self.keeper = keeper

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:  # a write that failed half-way was rolled back, but one that failed after its commit was not
            if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
                self.keeper.soon()


class UploadRefused(ValueError):
    """An upload that is too large, empty or of a type this endpoint does not take: one line for the user, and
    ``status``, the HTTP status that says which (413, 422, 415)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


async def save_upload(upload: UploadFile, folder: Path, *, max_bytes: int, suffixes: tuple[str, ...]) -> Path:
    """Stream an upload into ``folder`` under a server-chosen name; only a known suffix is kept from the client's
    file name. Raises ``UploadRefused`` (wrong type, too large, empty)."""
    name = (upload.filename or "").lower()
    suffix = next((s for s in sorted(suffixes, key=len, reverse=True) if name.endswith(s)), None)
    if suffix is None:
        raise UploadRefused(f"'{upload.filename}': not a file type this takes ({', '.join(suffixes)})", 415)
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", suffix=suffix, delete=False)  # noqa: SIM115
    written = 0
    try:
        with handle:
            while chunk := await upload.read(UPLOAD_CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise UploadRefused(f"'{upload.filename}': larger than {max_bytes // (1 << 20)} MB", 413)
                handle.write(chunk)
        if written == 0:
            raise UploadRefused(f"'{upload.filename}': the file is empty", 422)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return Path(handle.name)


class BodyTooLarge(Exception):
    """Raised inside a request's ``receive`` once its body passes the route's cap."""


class BodyLimitMiddleware:
    """Cap every request body while it streams in, before any parser spools it to disk: the upload routes get
    their own caps (``limits``: path → bytes), everything else ``default`` bytes. A declared Content-Length over
    the cap is refused before reading; a chunked body is cut off at the cap. Either way: 413 with the limit."""

    def __init__(self, app: ASGIApp, limits: dict[str, int], default: int) -> None:
        self.app = app
        self.limits = limits
        self.default = default

    def _refusal(self, scope: Scope, limit: int) -> Response:
        size = f"{limit / (1 << 20):,.0f} MB" if limit >= 1 << 20 else f"{limit / 1024:,.0f} kB"
        words = f"the upload is larger than the {size} this accepts at a time"
        if scope["path"].startswith("/api/"):
            return JSONResponse({"detail": words}, status_code=413)
        back = html.escape(scope["path"])
        return HTMLResponse(f"<!doctype html><title>Too large</title><p role='alert'>{words.capitalize()}.</p>"
                            f"<p><a href='{back}'>Back</a></p>", status_code=413)  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refusal(scope, limit)(scope, receive, send)
            return
        received = 0
        started = exceeded = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app answers to a body cut off at the cap (FastAPI: a 400), the 413 replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counted, watched_send)
        if exceeded and not started:
            await self._refusal(scope, limit)(scope, receive, send)
