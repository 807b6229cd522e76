"""A plan never pretends: what it took for granted because the profile does not say it (the running days) is said,
in the decision every view renders, until the runner sets it."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from gluteguard.services.athletes import ensure_athlete, update_profile
from gluteguard.services.coach import week_plan
from gluteguard.store.db import Database
from gluteguard.web.app import create_app


def test_default_running_days_are_said_until_the_profile_sets_them(db: Database, db_url: str) -> None:
    athlete = ensure_athlete(db)
    plan = week_plan(db, athlete, date(2026, 11, 30))
    assert plan.lead.assumed and "Tue, Thu and Sat" in plan.lead.assumed[0]
    runs = {d.date.strftime("%a") for d in plan.days for item in d.items if item.kind == "run"}
    assert runs <= {"Tue", "Thu", "Sat"} and runs
    assert plan.lead.as_dict()["assumed"] == list(plan.lead.assumed)
    with TestClient(create_app(db_url, allowed_hosts=("testserver",))) as client:
        assert "Your running days are not set in your profile yet" in client.get("/plan?week_of=2026-11-30").text
    update_profile(db, athlete, {"running_days": ("mon", "wed", "fri")})
    again = week_plan(db, athlete, date(2026, 11, 30))
    assert again.lead.assumed == ()
    runs = {d.date.strftime("%a") for d in again.days for item in d.items if item.kind == "run"}
    assert runs and runs <= {"Mon", "Wed", "Fri"}
