"""Rendering a page: the Jinja2 environment, the navigation, and the CSRF token every form carries."""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from gluteguard.symptoms.model import DayOutOfRange, check_day
from gluteguard.web.security import CSRF_FIELD, csrf_token, set_csrf_cookie
from gluteguard.wording import cited, plain

TEMPLATES = Jinja2Templates(directory=str(resources.files("gluteguard.web") / "templates"))
# plotly.js, served offline from the installed plotly package (``assets.py``).
PLOTLY_JS_URL = "/assets/plotly.min.js"


def km(metres: float | None, digits: int = 1) -> str:
    """Metres as kilometres for display ("12.3 km"; "—" when unknown)."""
    return "—" if metres is None else f"{metres / 1000:.{digits}f} km"


def day_label(value: str | date, pattern: str = "%a %d %b") -> str:
    """An ISO day as a short label ("Mon 23 Nov")."""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return day.strftime(pattern)


def words(value: str | None) -> str:
    """A snake_case code in words ("lateral_hip" → "lateral hip")."""
    return "" if value is None else value.replace("_", " ")


TEMPLATES.env.filters.update(km=km, day_label=day_label, words=words, cited=cited, plain=plain)

# (key, path, label): the order of the navigation bar; templates highlight ``active``.
NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("today", "/", "Today"),
    ("checkin", "/checkin", "Check-in"),
    ("plan", "/plan", "Plan"),
    ("load", "/load", "Load"),
    ("stride", "/stride", "Stride"),
    ("activities", "/activities", "Activities"),
    ("import", "/import", "Import"),
    ("sitting", "/sitting", "Sitting"),
    ("profile", "/profile", "Profile"),
    ("about", "/about", "About"),
)


# A shared server adds the account's own pages: a clinician's roster first, everyone's account last.
ROSTER_LINK = ("roster", "/roster", "Athletes")
ACCOUNT_LINK = ("account", "/account", "Account")
CARE_LINK = ("care", "/care", "Notes & orders")  # a clinician's own page for the athlete they opened


def _navigation(request: Request) -> tuple[tuple[str, str, str], ...]:
    if not getattr(request.app.state, "multi_user", False):
        return NAVIGATION
    from gluteguard.accounts.rules import Role
    from gluteguard.web.deps import NotLoggedIn, current_principal

    try:
        viewer = current_principal(request)
    except NotLoggedIn:
        return ()
    if viewer.role is Role.ADMIN:
        return (ACCOUNT_LINK,)
    if viewer.role is Role.CLINICIAN:
        opened = getattr(request.state, "viewing", None) is not None
        return (ROSTER_LINK, *((CARE_LINK, *NAVIGATION) if opened else ()), ACCOUNT_LINK)
    return (*NAVIGATION, ACCOUNT_LINK)


def page(request: Request, template: str, active: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the navigation, the CSRF token (also set as a cookie) and ``context``."""
    token = csrf_token(request)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "navigation": _navigation(request),
            "active": active,
            "csrf_token": token,
            "csrf_field": CSRF_FIELD,
            "viewing": getattr(request.state, "viewing", None),
            "viewer": getattr(request.state, "principal", None),
            # What the viewer may do to this athlete (accounts.policy.may): write controls show only for these.
            "allowed": frozenset(action.value for action in getattr(request.state, "allowed", frozenset())),
            **context,
        },
        status_code=status_code,
    )
    set_csrf_cookie(response, token)
    return response


def parse_day(value: str | None) -> tuple[date | None, str | None]:
    """A ``?date=`` value as a day, or (None, a one-line error) when it is not one; None when absent."""
    if not value:
        return None, None
    try:
        return check_day(date.fromisoformat(value)), None
    except DayOutOfRange as exc:
        return None, f"{exc}; showing today"
    except ValueError:
        return None, f"date: '{value}' is not a date like 2026-03-01; showing today"


def safe_next(target: str | None, default: str = "/") -> str:
    """A same-site path to go back to after a form post (never another host: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def see_other(target: str) -> RedirectResponse:
    """Post/redirect/get: a 303 to a page, so reloading it never posts twice."""
    return RedirectResponse(target, status_code=303)
