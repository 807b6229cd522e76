"""What every API router shares: the route class that turns bad input into one-line errors, the documented error
responses, the request context, the bounded types of path and query values, and how an upload (saved and checked
by ``web.uploads``, the pipeline the pages use too) is refused: whole, with the first problem's status.

Every error of the API is ``{"detail": "one line"}``: FastAPI's validation errors (a list of objects) are
rewritten to the first problem in one line, and the service layer's own one-line errors (``ValueError``
subclasses such as ``ProfileError`` or ``CheckInError``) become 422 when a route did not map them itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.responses import Response

from gluteguard.gait.model import KeypointError
from gluteguard.services.activities import ActivityError
from gluteguard.services.athletes import ProfileError
from gluteguard.services.clinician import VisitError
from gluteguard.services.plan import PlanItemError
from gluteguard.sitting.model import SittingError
from gluteguard.symptoms.model import FIRST_DAY, LAST_DAY, CheckInError, DayOutOfRange
from gluteguard.symptoms.selftests import SelfTestError
from gluteguard.web.deps import WebContext, care_context, context
from gluteguard.web.uploads import MB, SavedUpload, SavedUploads, declared_over

# The service layer's one-line errors: bad input from the runner, never a server fault.
DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    ProfileError,
    CheckInError,
    PlanItemError,
    ActivityError,
    SelfTestError,
    SittingError,
    KeypointError,
    VisitError,
    DayOutOfRange,
)

# Row ids are 32-bit integers on PostgreSQL: larger numbers can name nothing, and would be a database error.
MAX_ID = 2**31 - 1


class ErrorOut(BaseModel):
    """Every error: one line that says what is wrong."""

    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (400, "Bad request"),
        (404, "Not found"),
        (422, "Invalid input (one line naming the field)"),
    )
}
UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    413: {"model": ErrorOut, "description": "Upload too large"},
    415: {"model": ErrorOut, "description": "Not a file type this endpoint takes"},
}


def one_line(errors: list[dict[str, Any]]) -> str:
    """The first validation problem as ``where: what`` (the location without FastAPI's body/query prefix)."""
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header"))
    message = str(first.get("msg", "invalid value")).replace("\n", " ")
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON"
    return f"{where}: {message}" if where else message


class ApiRoute(APIRoute):
    """A route whose validation errors and service errors are one-line ``{"detail": ...}`` responses."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def one_line_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return JSONResponse({"detail": one_line(list(exc.errors()))}, status_code=422)
            except DOMAIN_ERRORS as exc:
                return JSONResponse({"detail": str(exc).splitlines()[0] if str(exc) else "invalid"}, status_code=422)

        return one_line_errors


def api_router(tag: str) -> APIRouter:
    """A router of one domain: its OpenAPI tag, the one-line error route class, the documented errors."""
    return APIRouter(tags=[tag], route_class=ApiRoute, responses=ERRORS)


Ctx = Annotated[WebContext, Depends(context)]
# For the writes a linked coach or physio may make too (a clearance); ``ctx.acting_clinician`` names them.
CareCtx = Annotated[WebContext, Depends(care_context)]
# Marks such a route in the OpenAPI description (and the isolation test reads it from there).
CLINICIAN_MAY_WRITE = {"x-clinician-may-write": True}
Day = Annotated[date, Query(ge=FIRST_DAY, le=LAST_DAY, description="A local day, YYYY-MM-DD; default today.")]
PathDay = Annotated[date, Path(ge=FIRST_DAY, le=LAST_DAY, description="A local day, YYYY-MM-DD.")]
ActivityId = Annotated[int, Path(ge=1, le=MAX_ID, description="An activity's id.")]


def jsonable(value: Any) -> Any:
    """Service results as JSON values: dates as ISO text (as the CLI's ``default=str``), NaN as null, NumPy as
    Python numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float | np.floating):
        # JSON has no NaN or infinity (Starlette refuses them): a missing measurement is null.
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def check_declared_size(request: Request, max_total: int) -> None:
    """Refuse (413) an upload whose declared length passes the total cap, before its body is spooled to disk."""
    if declared_over(request, max_total) is not None:
        raise HTTPException(413, f"the upload is larger than {max_total // MB} MB in total")


def whole_upload(batch: SavedUploads) -> list[SavedUpload]:
    """The API takes an upload whole or not at all: the saved files, or the first refusal as the error."""
    if batch.refused:
        first = batch.refused[0]
        raise HTTPException(first.status, first.reason)
    return batch.saved
