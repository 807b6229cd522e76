"""What the app is and every source it cites (gathered from the rule files)."""

from __future__ import annotations

from importlib.metadata import version

from gluteguard.services.sources import cited_sources
from gluteguard.web.api.common import api_router
from gluteguard.web.schemas import AboutOut

router = api_router("about")

DISCLAIMER = "Information, never a diagnosis: see a clinician about pain that does not settle or any warning sign."


@router.get("/about", response_model=AboutOut, summary="Version, disclaimer and every cited source")
def get_about() -> dict:
    sources = list(cited_sources())
    return {"name": "gluteguard", "version": version("gluteguard"), "disclaimer": DISCLAIMER,
            "source_count": len(sources), "sources": sources}  # fmt: skip
