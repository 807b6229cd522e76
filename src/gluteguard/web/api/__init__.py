"""The JSON API under /api/v1: one router per domain, all on the service layer (no logic here)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
