"""The Activities + Import, Stride and Sitting pages in one router (plotly.js itself is served by ``assets``)."""

from __future__ import annotations

from fastapi import APIRouter

from gluteguard.web.pages import activities, sitting, stride

router = APIRouter()
router.include_router(activities.router)
router.include_router(stride.router)
router.include_router(sitting.router)
