"""The HTML pages (Jinja2 templates), on the same service layer as the API (no logic here)."""

from __future__ import annotations

from fastapi import APIRouter

from gluteguard.web.pages import about, assets, care, checkin, data, load, plan, profile, today, welcome

router = APIRouter()
router.include_router(assets.router)
router.include_router(today.router)
router.include_router(checkin.router)
router.include_router(plan.router)
router.include_router(load.router)
router.include_router(profile.router)
router.include_router(about.router)
router.include_router(welcome.router)
router.include_router(data.router)
router.include_router(care.router)

from gluteguard.web.pages import more  # noqa: E402 - Activities + Import, Stride, Sitting

router.include_router(more.router)

from gluteguard.web.pages import strava  # noqa: E402 - the Import page's Strava card

router.include_router(strava.router)
