"""What every route needs: the database and the athlete, from the app's state (set once by ``create_app``)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from gluteguard.services.athletes import ensure_athlete
from gluteguard.store.db import Database


@dataclass
class WebContext:
    db: Database
    athlete_id: int


def context(request: Request) -> WebContext:
    """The request's database and athlete (a FastAPI dependency: ``ctx: WebContext = Depends(context)``)."""
    state = request.app.state
    if state.athlete_id is None:
        state.athlete_id = ensure_athlete(state.db, state.athlete_name)
    return WebContext(state.db, state.athlete_id)
