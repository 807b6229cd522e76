"""The JSON API under /api/v1: one router per domain, all on the service layer (no logic here)."""

from __future__ import annotations

from fastapi import APIRouter

from gluteguard.web.api import (
    about,
    activities,
    care,
    checkins,
    importing,
    jobs,
    load,
    plan,
    profile,
    selftests,
    sitting,
    stride,
    today,
)

router = APIRouter()
ROUTERS = (today, checkins, selftests, load, plan, care, activities, importing, stride, jobs, sitting, profile, about)
for module in ROUTERS:
    router.include_router(module.router)
