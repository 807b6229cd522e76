"""The athlete profile: read it, change some fields (validated as a whole, all or nothing)."""

from __future__ import annotations

from gluteguard.services.athletes import get_profile, update_profile
from gluteguard.web.api.common import Ctx, api_router
from gluteguard.web.schemas import ProfileIn, ProfileOut

router = api_router("profile")


@router.get("/profile", response_model=ProfileOut, summary="The athlete profile")
def read_profile(ctx: Ctx) -> dict:
    return get_profile(ctx.db, ctx.athlete_id).as_dict()


@router.put("/profile", response_model=ProfileOut, summary="Change profile fields (others kept); 422 names the bad one")
def write_profile(ctx: Ctx, body: ProfileIn) -> dict:
    changes = body.model_dump(exclude_unset=True)
    return update_profile(ctx.db, ctx.athlete_id, changes).as_dict()
