"""plotly.js served offline from the installed ``plotly`` package: no CDN, no copy in the repository."""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.metadata import version
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

router = APIRouter()

# A year: the file only changes with the plotly package, and the URL's ``?v=`` names that version.
LONG_CACHE = "public, max-age=31536000, immutable"


@cache
def plotly_js_path() -> Path | None:
    """Where the installed plotly package keeps its bundled plotly.min.js, or None when it is missing."""
    path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    return path if path.is_file() else None


def plotly_version() -> str:
    """The installed plotly package's version, for cache-busting the script URL."""
    return version("plotly")


@router.get("/assets/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    """The plotly.js bundle, with a long cache lifetime."""
    path = plotly_js_path()
    if path is None:
        raise HTTPException(status_code=404, detail="plotly.min.js is not in the installed plotly package")
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": LONG_CACHE})
