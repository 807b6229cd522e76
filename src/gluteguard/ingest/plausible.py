"""Whether an activity's summary numbers are possible at all (pure; ranges in ``import_rules.toml [plausible]``).

The parsers read what a file says; this is the one check at the ingest edge that a negative distance never
reaches the load figures (the activity is refused) and that a heart rate of 0 or 255 — a sensor's "no value" —
is stored as no reading rather than as a number."""

from __future__ import annotations

import math
from dataclasses import replace

from gluteguard.ingest.model import ParsedActivity
from gluteguard.ingest.rules import import_rules

# How each field reads in a message, and its unit.
_WORDS = {
    "elapsed_s": ("elapsed time", "s"),
    "moving_s": ("moving time", "s"),
    "distance_m": ("distance", "m"),
    "ascent_m": ("elevation gain", "m"),
    "avg_hr_bpm": ("average heart rate", "bpm"),
    "max_hr_bpm": ("maximum heart rate", "bpm"),
    "avg_cadence_spm": ("average cadence", "steps/min"),
    "rpe": ("perceived exertion", "/10"),
}


def _outside(field: str, value: float, low: float, high: float) -> str | None:
    words, unit = _WORDS[field]
    if not math.isfinite(value):
        return f"{words} is not a number ({value!r})"
    if value < low:
        return f"{words} {value:g} {unit} is below {low:g} {unit}"
    if value > high:
        return f"{words} {value:g} {unit} is above {high:g} {unit}"
    return None


def checked(activity: ParsedActivity) -> tuple[ParsedActivity | None, tuple[str, ...]]:
    """(the activity with impossible sensor readings dropped, what was dropped), or (None, (why it is refused,))
    when a time, distance or climb is impossible."""
    rules = import_rules()
    for field, (low, high) in rules.refuse.items():
        value = getattr(activity, field)
        if value is not None and (problem := _outside(field, float(value), low, high)):
            return None, (f"{problem}: not possible",)
    dropped: dict[str, None] = {}
    notes = []
    for field, (low, high) in rules.sensor.items():
        value = getattr(activity, field)
        if value is not None and (problem := _outside(field, float(value), low, high)):
            dropped[field] = None
            notes.append(f"{problem}: kept as no reading")
    return (replace(activity, **dropped) if dropped else activity), tuple(notes)
