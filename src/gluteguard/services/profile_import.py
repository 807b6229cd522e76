"""The runner's profile from a Strava export's ``profile.csv``: only the fields the runner left empty, in one
transaction of its own after the activities, so nothing in that file can spoil them (``ingest.strava_profile``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gluteguard.ingest.strava_profile import FIELD_WORDS, profile_words, read_profile_csv
from gluteguard.services.athletes import ProfileError, fill_empty_profile_fields
from gluteguard.store.db import Database


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass(frozen=True)
class ProfileFromExport:
    """What an export's profile.csv gave the runner's profile."""

    file: str
    taken: dict[str, Any] = field(default_factory=dict)  # profile field → value now stored
    kept: tuple[str, ...] = ()  # fields the runner had already filled in: left as they were
    problems: tuple[str, ...] = ()  # values that could not be read or used, each in a few plain words

    @property
    def message(self) -> str:
        """One line for the runner: what was taken, what was kept, what could not be used."""
        parts = []
        if self.taken:
            parts.append(f"From your Strava profile: {profile_words(self.taken)}.")
        if self.kept:
            kept = _listed([FIELD_WORDS[key] for key in self.kept])
            parts.append(f"Your own {kept} in your profile {'was' if len(self.kept) == 1 else 'were'} kept.")
        if self.problems:
            parts.append(f"Not used from your Strava profile: {'; '.join(self.problems)}.")
        if not parts:
            parts.append("Your Strava profile has no weight, sex or birth year to use.")
        return " ".join(parts)

    def as_json(self) -> dict:
        return {
            "file": self.file,
            "taken": dict(self.taken),
            "kept": list(self.kept),
            "problems": list(self.problems),
            "message": self.message,
        }


def apply_profile_csv(db: Database, athlete_id: int, name: str, data: bytes | None) -> ProfileFromExport:
    """Fill the runner's empty profile fields from one profile.csv; never raises for what is in the file."""
    if data is None:
        return ProfileFromExport(name, problems=("the file could not be read",))
    read = read_profile_csv(data)
    problems = list(read.problems)
    try:
        taken, kept, rejected = fill_empty_profile_fields(db, athlete_id, read.values)
    except ProfileError as exc:  # the athlete is gone: nothing stored
        return ProfileFromExport(name, problems=(*problems, str(exc)))
    for key in rejected:
        value = read.values[key]
        shown = f"{value:g} kg" if key == "weight_kg" else str(value)
        problems.append(f"the {FIELD_WORDS[key]} {shown} is outside what a profile takes")
    return ProfileFromExport(name, taken, kept, tuple(problems))
