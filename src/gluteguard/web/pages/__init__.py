"""The HTML pages (Jinja2 templates), on the same service layer as the API (no logic here)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
