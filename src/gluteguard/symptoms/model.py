"""The daily check-in as plain data, and its validation (one clear error per bad value, nothing half-read)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta

RED_FLAGS: tuple[str, ...] = (
    "saddle_numbness_or_bladder_bowel_change",
    "both_legs_weak_or_numb",
    "fever_or_unwell",
    "hot_swollen_joint",
    "trauma_or_fall",
    "cannot_bear_weight",
    "groin_pain_worse_with_running",
    "pain_on_hopping",
    "limp",
    "constant_night_pain",
    "cancer_history_or_weight_loss",
    "numbness_tingling_below_knee",
    "foot_drop_or_leg_weakness",
    "recent_big_volume_increase",
    "low_energy_availability_or_missed_periods",
    "previous_stress_fracture",
)
# Where it hurts. "outer_thigh" is the side of the thigh (where side-of-hip tendon pain spreads); "thigh" is the front
# or inner thigh and "knee" the knee itself: a hip problem of youth (a slipped growth plate) can be felt only there
# (clinical.md §4.3), so the check-in must be able to record them.
PAIN_LOCATIONS: tuple[str, ...] = (
    "lateral_hip",
    "buttock",
    "groin",
    "outer_thigh",
    "thigh",
    "knee",
    "below_knee",
    "lower_back",
)
SIDES: tuple[str, ...] = ("left", "right", "both")
PAIN_FIELDS: tuple[str, ...] = (
    "pain_during_run",
    "pain_after_run",
    "pain_next_morning",
    "pain_at_rest",
    "night_pain",
)


# Days the engines accept: their day arithmetic overflows near the ends of ``date`` (year 1 or 9999), and nobody
# ran before 1900 or will plan past 2200.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)


class DayOutOfRange(ValueError):
    """A day before 1900 or after 2200; one line for the user."""


def check_day(day: date, what: str = "date", *, margin_days: int = 0) -> date:
    """``day`` itself, or DayOutOfRange naming ``what`` when it is outside FIRST_DAY–LAST_DAY (widened by
    ``margin_days`` each side, for the engine's own look at a week around a day asked for)."""
    margin = timedelta(days=margin_days)
    if not FIRST_DAY - margin <= day <= LAST_DAY + margin:
        raise DayOutOfRange(f"{what}: {day.isoformat()} is outside {FIRST_DAY.isoformat()}–{LAST_DAY.isoformat()}")
    return day


class CheckInError(ValueError):
    """A check-in value that cannot be accepted; the message names the field and the allowed values."""


@dataclass(frozen=True)
class CheckIn:
    """One day's answers. Pain is 0–10 (numeric rating scale); None means "not asked / no run"."""

    date: date
    pain_during_run: int | None = None
    pain_after_run: int | None = None
    pain_next_morning: int | None = None  # the morning after the last run (24-hour response)
    pain_at_rest: int | None = None
    night_pain: int | None = None
    wakes_lying_on_side: bool | None = None
    morning_stiffness_min: int | None = None
    pain_locations: tuple[str, ...] = ()
    side: str | None = None
    tender_on_pressing: tuple[str, ...] = ()  # "left" / "right": pressing the bony point of that hip hurts
    brisk_walk_pain_free: bool | None = None  # a 20–30 min brisk walk without side-of-hip pain (§5.2)
    sitting_hours: float | None = None
    session_rpe: float | None = None  # 0–10 (Borg CR-10) for today's session
    note: str | None = None
    red_flags: dict[str, bool] = field(default_factory=dict)
    screened: bool = False  # every red-flag question was asked and answered this day

    def as_dict(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        data["pain_locations"] = list(self.pain_locations)
        data["tender_on_pressing"] = list(self.tender_on_pressing)
        data["red_flags"] = {flag: bool(self.red_flags.get(flag, False)) for flag in RED_FLAGS}
        return data

    @property
    def flags_raised(self) -> tuple[str, ...]:
        if not any(self.red_flags.values()):  # most days: every answer "no" (read for years of check-ins at once)
            return ()
        return tuple(flag for flag in RED_FLAGS if self.red_flags.get(flag))


def _int_in(name: str, value: object, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CheckInError(f"{name}: expected a whole number {low}–{high}, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise CheckInError(f"{name}: expected a whole number {low}–{high}, got {value!r}") from None
    if not math.isfinite(number) or number != int(number) or not low <= number <= high:
        raise CheckInError(f"{name}: expected a whole number {low}–{high}, got {value!r}")
    return int(number)


def _float_in(name: str, value: object, low: float, high: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CheckInError(f"{name}: expected a number {low:g}–{high:g}, got {value!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise CheckInError(f"{name}: expected a number {low:g}–{high:g}, got {value!r}")
    return number


def _bool(name: str, value: object) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "y", "1"):
        return True
    if text in ("false", "no", "n", "0"):
        return False
    raise CheckInError(f"{name}: expected yes/no (true/false), got {value!r}")


def _choices(name: str, value: object, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise CheckInError(f"{name}: expected a list from {', '.join(allowed)}")
    chosen = tuple(dict.fromkeys(str(item).strip().lower() for item in items if str(item).strip()))
    bad = [item for item in chosen if item not in allowed]
    if bad:
        raise CheckInError(f"{name}: unknown {', '.join(bad)}; use {', '.join(allowed)}")
    return chosen


_FIELD_NAMES = frozenset(f.name for f in fields(CheckIn))
_RED_FLAG_NAMES = frozenset(RED_FLAGS)


def parse_checkin(data: dict) -> CheckIn:
    """Validate a check-in given as JSON-like values; raises CheckInError naming the first bad field."""
    unknown = sorted(set(data) - _FIELD_NAMES)
    if unknown:
        raise CheckInError(f"unknown field(s): {', '.join(unknown)}")
    try:
        day = data["date"] if isinstance(data.get("date"), date) else date.fromisoformat(str(data.get("date")))
    except ValueError:
        raise CheckInError(f"date: expected YYYY-MM-DD, got {data.get('date')!r}") from None
    try:
        check_day(day)
    except DayOutOfRange as exc:
        raise CheckInError(str(exc)) from None
    flags = data.get("red_flags") or {}
    if not isinstance(flags, dict):
        raise CheckInError("red_flags: expected an object of yes/no answers")
    bad_flags = sorted(flags.keys() - _RED_FLAG_NAMES)
    if bad_flags:
        raise CheckInError(f"red_flags: unknown {', '.join(bad_flags)}; use {', '.join(RED_FLAGS)}")
    side = data.get("side")
    if side not in (None, "") and str(side).lower() not in SIDES:
        raise CheckInError(f"side: use one of {', '.join(SIDES)}")
    note = data.get("note")
    if note is not None and len(str(note)) > 2000:
        raise CheckInError("note: at most 2000 characters")
    return CheckIn(
        date=day,
        **{name: _int_in(name, data.get(name), 0, 10) for name in PAIN_FIELDS},
        wakes_lying_on_side=_bool("wakes_lying_on_side", data.get("wakes_lying_on_side")),
        morning_stiffness_min=_int_in("morning_stiffness_min", data.get("morning_stiffness_min"), 0, 24 * 60),
        pain_locations=_choices("pain_locations", data.get("pain_locations"), PAIN_LOCATIONS),
        side=str(side).lower() if side not in (None, "") else None,
        tender_on_pressing=_choices("tender_on_pressing", data.get("tender_on_pressing"), ("left", "right")),
        brisk_walk_pain_free=_bool("brisk_walk_pain_free", data.get("brisk_walk_pain_free")),
        sitting_hours=_float_in("sitting_hours", data.get("sitting_hours"), 0, 24),
        session_rpe=_float_in("session_rpe", data.get("session_rpe"), 0, 10),
        note=str(note) if note not in (None, "") else None,
        red_flags={flag: bool(_bool(f"red_flags.{flag}", value)) for flag, value in flags.items()},
        # A stored check-in says itself whether the questions were asked (it keeps all sixteen answers either
        # way); a client that does not say counts as screened when it answered all sixteen.
        screened=(
            bool(_bool("screened", data["screened"]))
            if data.get("screened") is not None
            else flags.keys() >= _RED_FLAG_NAMES
        ),
    )
