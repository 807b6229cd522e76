"""The athlete profile: validation (pure) and storage."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gluteguard.services.cache import scoped

if TYPE_CHECKING:
    from gluteguard.store.db import Database
    from gluteguard.store.models import Athlete

# SQLAlchemy and the models are imported inside the functions that read or write: the CLI takes the field
# vocabularies (EQUIPMENT for `athlete set --help`) and the validation from here without paying for them.

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEXES = ("female", "male", "other")
UNITS = ("km", "mi")
WEIGHT_KG = (25, 300)  # a plausible adult runner's body weight, kg
EQUIPMENT = ("none", "band", "dumbbells", "gym", "foam_roller", "treadmill", "step")
DEFAULT_ATHLETE_NAME = "me"


class ProfileError(ValueError):
    """An invalid profile value; the message is one line naming the field."""


@dataclass(frozen=True)
class Profile:
    name: str = DEFAULT_ATHLETE_NAME
    birth_year: int | None = None
    sex: str | None = None
    weight_kg: float | None = None
    max_hr: int | None = None
    resting_hr: int | None = None
    units: str = "km"
    timezone: str = "UTC"
    running_days: tuple[str, ...] = ()
    long_run_day: str | None = None
    work_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    work_start: str | None = "09:00"
    work_end: str | None = "17:00"
    equipment: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}


def _days(value: str | list[str] | tuple[str, ...], field_name: str) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    full_names = {
        day + rest: day
        for day, rest in zip(WEEKDAYS, ("day", "sday", "nesday", "rsday", "day", "urday", "day"), strict=True)
    }
    words = [item.strip().lower() for item in items if item.strip()]
    days = [full_names.get(word, word) for word in words]
    bad = [d for d in days if d not in WEEKDAYS]
    if bad:
        raise ProfileError(f"{field_name}: unknown day(s) {', '.join(bad)}; use {', '.join(WEEKDAYS)}")
    return tuple(sorted(set(days), key=WEEKDAYS.index))


def _clock(value: str | None, field_name: str) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ProfileError(f"{field_name}: '{value}' is not a time like 08:30")
    return value


def validate(profile: Profile, *, this_year: int | None = None) -> Profile:
    """Check every field and normalise lists; raises ProfileError naming the first bad field."""
    year = this_year or datetime.now(UTC).year
    if profile.birth_year is not None and not (year - 110 <= profile.birth_year <= year - 10):
        raise ProfileError(f"birth_year: {profile.birth_year} is out of range ({year - 110}–{year - 10})")
    if profile.sex is not None and profile.sex not in SEXES:
        raise ProfileError(f"sex: use one of {', '.join(SEXES)}")
    if profile.weight_kg is not None and not WEIGHT_KG[0] <= profile.weight_kg <= WEIGHT_KG[1]:
        raise ProfileError(f"weight_kg: expected {WEIGHT_KG[0]}–{WEIGHT_KG[1]} kg")
    if profile.max_hr is not None and not 100 <= profile.max_hr <= 230:
        raise ProfileError("max_hr: expected 100–230 beats per minute")
    if profile.resting_hr is not None and not 25 <= profile.resting_hr <= 120:
        raise ProfileError("resting_hr: expected 25–120 beats per minute")
    if profile.max_hr is not None and profile.resting_hr is not None and profile.resting_hr >= profile.max_hr:
        raise ProfileError("resting_hr must be below max_hr")
    if profile.units not in UNITS:
        raise ProfileError(f"units: use one of {', '.join(UNITS)}")
    try:
        ZoneInfo(profile.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ProfileError(
            f"timezone: '{profile.timezone}' is not a time zone name we know: use a region and a city, such as "
            "Europe/Berlin or America/New_York"
        ) from exc
    running_days = _days(profile.running_days, "running_days")
    work_days = _days(profile.work_days, "work_days")
    long_run_day = _days([profile.long_run_day], "long_run_day")[0] if profile.long_run_day else None
    if long_run_day and running_days and long_run_day not in running_days:
        raise ProfileError("long_run_day must be one of the running_days")
    equipment = tuple(sorted({e.strip().lower() for e in profile.equipment if e.strip()}))
    bad = [e for e in equipment if e not in EQUIPMENT]
    if bad:
        raise ProfileError(f"equipment: unknown {', '.join(bad)}; use {', '.join(EQUIPMENT)}")
    start, end = _clock(profile.work_start, "work_start"), _clock(profile.work_end, "work_end")
    if start and end and start >= end:
        raise ProfileError("work_start must be before work_end")
    return Profile(
        name=profile.name.strip() or DEFAULT_ATHLETE_NAME,
        birth_year=profile.birth_year,
        sex=profile.sex,
        weight_kg=round(float(profile.weight_kg), 1) if profile.weight_kg is not None else None,
        max_hr=profile.max_hr,
        resting_hr=profile.resting_hr,
        units=profile.units,
        timezone=profile.timezone,
        running_days=running_days,
        long_run_day=long_run_day,
        work_days=work_days,
        work_start=start,
        work_end=end,
        equipment=equipment,
    )


def _to_profile(row: Athlete) -> Profile:
    return Profile(
        name=row.name,
        birth_year=row.birth_year,
        sex=row.sex,
        weight_kg=row.weight_kg,
        max_hr=row.max_hr,
        resting_hr=row.resting_hr,
        units=row.units,
        timezone=row.timezone,
        running_days=tuple(row.running_days or ()),
        long_run_day=row.long_run_day,
        work_days=tuple(row.work_days or ()),
        work_start=row.work_start,
        work_end=row.work_end,
        equipment=tuple(row.equipment or ()),
    )


def today_in(zone: ZoneInfo) -> date:
    """Today's calendar day where the athlete lives."""
    return datetime.now(zone).date()


def local_today(db: Database, athlete_id: int) -> date:
    """Today's calendar day where the athlete lives (their profile's time zone)."""
    return today_in(ZoneInfo(get_profile(db, athlete_id).timezone))


def system_timezone() -> str:
    """The machine's IANA time zone (TZ, then /etc/localtime), or UTC when it cannot be told."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        link = os.readlink("/etc/localtime")
        candidates.append(link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "")
    except OSError:
        pass
    for candidate in candidates:
        if candidate:
            try:
                ZoneInfo(candidate)
                return candidate
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return "UTC"


def find_athlete(db: Database, name: str = DEFAULT_ATHLETE_NAME) -> int | None:
    """The id of the athlete with this name, or None (a read: nothing is created)."""
    from sqlalchemy import select

    from gluteguard.store.models import Athlete

    with db.session() as session:
        return session.scalar(select(Athlete.id).where(Athlete.name == name).order_by(Athlete.id))


def ensure_athlete(db: Database, name: str = DEFAULT_ATHLETE_NAME) -> int:
    """The id of the athlete with this name, created with default settings when missing."""
    from sqlalchemy import select

    from gluteguard.store.models import Athlete

    with db.session() as session:
        found = session.scalar(select(Athlete.id).where(Athlete.name == name).order_by(Athlete.id))
        if found is not None:
            return found
    from sqlalchemy import text

    with db.session() as session:
        # Two commands started at once on a new database must not make two athletes (each would import every
        # file): take the database's write lock before looking again, so the second waits and finds the first's.
        if db.url.startswith("postgresql"):
            session.execute(text("SELECT pg_advisory_xact_lock(7340001)"))
        else:
            session.execute(text("UPDATE athlete SET id = id WHERE 0"))  # a write statement: SQLite's write lock
        found = session.scalar(select(Athlete.id).where(Athlete.name == name).order_by(Athlete.id))
        if found is not None:
            return found
        now = datetime.now(UTC)
        defaults = Profile(name=name, timezone=system_timezone()).as_dict()
        row = Athlete(**defaults, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row.id


def get_profile(db: Database, athlete_id: int) -> Profile:
    def read() -> Profile:
        from gluteguard.store.models import Athlete

        with db.session() as session:
            row = session.get(Athlete, athlete_id)
            if row is None:
                raise ProfileError(f"no athlete with id {athlete_id}")
            return _to_profile(row)

    return scoped(("profile", db.url, athlete_id), read)  # read once per read-only request


def update_profile(db: Database, athlete_id: int, changes: dict) -> Profile:
    """Apply the given field changes (others kept), validate, store; all or nothing."""
    current = get_profile(db, athlete_id).as_dict()
    unknown = set(changes) - set(current)
    if unknown:
        raise ProfileError(f"unknown profile field(s): {', '.join(sorted(unknown))}")
    merged = {**current, **changes}
    for key in ("running_days", "work_days", "equipment"):
        if isinstance(merged[key], str):
            merged[key] = tuple(x for x in merged[key].split(",") if x.strip())
        merged[key] = tuple(merged[key])
    profile = validate(Profile(**merged))
    from gluteguard.store.models import Athlete

    with db.session() as session:
        row = session.get(Athlete, athlete_id)
        assert row is not None
        for key, value in profile.as_dict().items():
            setattr(row, key, value)
        row.updated_at = datetime.now(UTC)
    return profile


def fill_empty_profile_fields(
    db: Database, athlete_id: int, values: dict
) -> tuple[dict, tuple[str, ...], tuple[str, ...]]:
    """Set the given profile fields that are empty (never what the runner typed), in one transaction. Returns what
    was taken, the fields kept because they already had a value, and the fields left out because their value would
    not pass the profile's own checks (``validate``); those never stop the others."""
    from gluteguard.store.models import Athlete

    with db.session() as session:
        row = session.get(Athlete, athlete_id)
        if row is None:
            raise ProfileError(f"no athlete with id {athlete_id}")
        current = _to_profile(row)
        offered = {key: value for key, value in values.items() if value is not None}
        kept = tuple(key for key in offered if getattr(current, key) is not None)
        taken: dict = {}
        rejected: list[str] = []
        for key, value in offered.items():
            if key in kept:
                continue
            try:
                validate(replace(current, **{key: value}))
            except ProfileError:
                rejected.append(key)
                continue
            taken[key] = value
        if taken:
            profile = validate(replace(current, **taken))
            for key in taken:
                setattr(row, key, getattr(profile, key))
                taken[key] = getattr(profile, key)
            row.updated_at = datetime.now(UTC)
        return taken, kept, tuple(rejected)
