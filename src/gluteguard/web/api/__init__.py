"""The JSON API under /api/v1: one router per domain, all on the service layer (no logic here)."""

from __future__ import annotations

from fastapi import APIRouter

from gluteguard.web.api import (
    about,
    activities,
    checkins,
    importing,
    load,
    plan,
    profile,
    selftests,
    sitting,
    stride,
    today,
)

router = APIRouter()
for module in (today, checkins, selftests, load, plan, activities, importing, stride, sitting, profile, about):
    router.include_router(module.router)
