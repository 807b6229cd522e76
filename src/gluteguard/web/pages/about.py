"""About (``/about``): what the app is and is not, when to see a clinician, and every source it cites."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gluteguard.services.sources import cited_sources
from gluteguard.symptoms.triage import triage_rules
from gluteguard.web.pages.render import page

router = APIRouter()


@router.get("/about", response_class=HTMLResponse)
def about_page(request: Request) -> HTMLResponse:
    """The disclaimer, the action levels, and the sources."""
    rules = triage_rules()
    return page(
        request,
        "about.html",
        "about",
        sources=cited_sources(),
        actions=[(action, rules.action_messages[action]) for action in rules.actions],
        version=version("gluteguard"),
    )
