"""Rendering a page: the Jinja2 environment, the navigation, and the CSRF token every form carries."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gluteguard.web.security import CSRF_FIELD, csrf_token, set_csrf_cookie

TEMPLATES = Jinja2Templates(directory=str(resources.files("gluteguard.web") / "templates"))

# (key, path, label): the order of the navigation bar; templates highlight ``active``.
NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("today", "/", "Today"),
    ("checkin", "/checkin", "Check-in"),
    ("plan", "/plan", "Plan"),
    ("load", "/load", "Load"),
    ("stride", "/stride", "Stride"),
    ("activities", "/activities", "Activities"),
    ("sitting", "/sitting", "Sitting"),
    ("profile", "/profile", "Profile"),
    ("about", "/about", "About"),
)


def page(request: Request, template: str, active: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the navigation, the CSRF token (also set as a cookie) and ``context``."""
    token = csrf_token(request)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"navigation": NAVIGATION, "active": active, "csrf_token": token, "csrf_field": CSRF_FIELD, **context},
        status_code=status_code,
    )
    set_csrf_cookie(response, token)
    return response
