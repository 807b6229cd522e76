"""The profile (``/profile``): the settings ``gluteguard athlete set`` takes, with errors in one line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from gluteguard.services.athletes import EQUIPMENT, SEXES, UNITS, WEEKDAYS, ProfileError, get_profile, update_profile
from gluteguard.web.deps import WebContext, context
from gluteguard.web.pages.render import page, see_other
from gluteguard.web.security import CSRF_FIELD, verify_csrf

router = APIRouter()
Ctx = Annotated[WebContext, Depends(context)]

NUMBERS = ("birth_year", "max_hr", "resting_hr")
DECIMALS = ("weight_kg",)
TEXTS = ("sex", "units", "timezone", "long_run_day", "work_start", "work_end")
LISTS = ("running_days", "work_days", "equipment")


def changes_from_form(form: FormData) -> dict:
    """The profile fields of the form as ``update_profile`` takes them (empty numbers and choices clear a field)."""
    changes: dict = {}
    for name in NUMBERS:
        text = str(form.get(name) or "").strip()
        if text and not text.isdigit():
            raise ProfileError(f"{name}: '{text}' is not a whole number")
        changes[name] = int(text) if text else None
    for name in DECIMALS:
        text = str(form.get(name) or "").strip().replace(",", ".")
        try:
            changes[name] = float(text) if text else None
        except ValueError:
            raise ProfileError(f"{name}: '{text}' is not a number") from None
    for name in TEXTS:
        changes[name] = str(form.get(name) or "").strip() or None
    for name in ("units", "timezone"):  # never empty: keep the stored value when the field is left blank
        if changes[name] is None:
            del changes[name]
    for name in LISTS:
        changes[name] = tuple(str(v) for v in form.getlist(name))
    return changes


def _profile_page(request: Request, values: dict, *, error: str | None = None, saved: bool = False) -> HTMLResponse:
    return page(
        request,
        "profile.html",
        "profile",
        status_code=422 if error else 200,
        values=values,
        error=error,
        saved=saved,
        weekdays=WEEKDAYS,
        sexes=SEXES,
        units=UNITS,
        equipment=EQUIPMENT,
    )


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, ctx: Ctx, saved: bool = False) -> HTMLResponse:
    """The profile form, filled with the stored settings."""
    return _profile_page(request, get_profile(ctx.db, ctx.athlete_id).as_dict(), saved=saved)


@router.post("/profile", response_model=None)
async def profile_submit(request: Request, ctx: Ctx) -> Response:
    """Save the profile (all or nothing); an invalid field comes back as one line with the form as it was sent."""
    form = await request.form()
    verify_csrf(request, str(form.get(CSRF_FIELD) or "") or None)
    try:
        update_profile(ctx.db, ctx.athlete_id, changes_from_form(form))
    except ProfileError as exc:
        values = {**get_profile(ctx.db, ctx.athlete_id).as_dict(), **{k: v for k, v in form.items() if k in
                  (*NUMBERS, *DECIMALS, *TEXTS)}, **{k: form.getlist(k) for k in LISTS}}  # fmt: skip
        return _profile_page(request, values, error=f"Profile not saved: {exc}")
    return see_other("/profile?saved=true")
