"""The athlete profile: validation rules and storage."""

from __future__ import annotations

import pytest

from gluteguard.services.athletes import (
    Profile,
    ProfileError,
    ensure_athlete,
    get_profile,
    update_profile,
    validate,
)
from gluteguard.store.db import Database


def test_profile_round_trip(db: Database) -> None:
    athlete = ensure_athlete(db)
    assert ensure_athlete(db) == athlete  # one "me", not a new athlete each time
    profile = update_profile(
        db,
        athlete,
        {
            "birth_year": 1985,
            "sex": "male",
            "max_hr": 185,
            "resting_hr": 50,
            "timezone": "America/New_York",
            "running_days": "sun, tue,Thu",
            "long_run_day": "sun",
            "work_start": "09:00",
            "work_end": "18:00",
            "equipment": "gym,band",
            "units": "mi",
        },
    )
    assert profile.running_days == ("tue", "thu", "sun")
    assert profile.equipment == ("band", "gym")
    assert get_profile(db, athlete) == profile
    update_profile(db, athlete, {"max_hr": 190})
    assert get_profile(db, athlete).resting_hr == 50  # fields not given are kept


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"birth_year": 1800}, "birth_year"),
        ({"max_hr": 60}, "max_hr"),
        ({"max_hr": 150, "resting_hr": 150}, "resting_hr"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"running_days": "mon,funday"}, "running_days"),
        ({"running_days": "sunshine"}, "running_days"),
        ({"running_days": "mon,wed", "long_run_day": "sun"}, "long_run_day"),
        ({"work_start": "18:00", "work_end": "09:00"}, "work_start"),
        ({"work_start": "9am"}, "work_start"),
        ({"equipment": "rowing_machine"}, "equipment"),
        ({"units": "furlongs"}, "units"),
        ({"sex": "x"}, "sex"),
        ({"shoe_size": 44}, "unknown profile field"),
    ],
)
def test_invalid_values_name_the_field_and_change_nothing(db: Database, changes: dict, field: str) -> None:
    athlete = ensure_athlete(db)
    before = get_profile(db, athlete)
    with pytest.raises(ProfileError, match=field):
        update_profile(db, athlete, changes)
    assert get_profile(db, athlete) == before


def test_validate_is_pure() -> None:
    assert validate(Profile(birth_year=2000), this_year=2026).birth_year == 2000
    with pytest.raises(ProfileError):
        validate(Profile(birth_year=2020), this_year=2026)
