"""The first five minutes: how far a new runner has come in setting gluteguard up (a read, never a write).

Four steps, each skippable: about you (the profile saved once), your runs (anything imported), your first check-in,
and the week's plan (useful once the first three are done). Today shows the steps until they are done; the
welcome page walks through them, with how to get a Strava, Garmin or Apple Health export.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from gluteguard.store.db import Database
from gluteguard.store.models import Activity, Athlete, CheckInRow


@dataclass(frozen=True)
class SetupStep:
    key: str  # profile | import | checkin | plan
    title: str
    done: bool
    href: str
    what: str  # one sentence: what this step gives the runner


@dataclass(frozen=True)
class SetupProgress:
    steps: tuple[SetupStep, ...]

    @property
    def complete(self) -> bool:
        """Set up once the profile, some runs and a check-in are in: the plan then rests on real data."""
        return all(step.done for step in self.steps if step.key != "plan")

    @property
    def done_count(self) -> int:
        return sum(1 for step in self.steps if step.done)

    @property
    def next_step(self) -> SetupStep | None:
        return next((step for step in self.steps if not step.done), None)


def setup_progress(db: Database, athlete_id: int | None) -> SetupProgress:
    """How far the athlete has come; ``None`` (no athlete in the database yet) is no step done."""
    if athlete_id is None:
        return _progress(False, 0, 0)
    with db.session() as session:
        athlete = session.get(Athlete, athlete_id)
        profile_saved = athlete is not None and athlete.updated_at > athlete.created_at
        activities = session.scalar(select(func.count()).where(Activity.athlete_id == athlete_id)) or 0
        checkins = session.scalar(select(func.count()).where(CheckInRow.athlete_id == athlete_id)) or 0
    return _progress(profile_saved, activities, checkins)


def no_setup_yet() -> SetupProgress:
    """The steps of a machine with no database yet: none done (nothing is opened or created to say so)."""
    return _progress(False, 0, 0)


def _progress(profile_saved: bool, activities: int, checkins: int) -> SetupProgress:
    ready = profile_saved and activities > 0 and checkins > 0
    return SetupProgress(
        (
            SetupStep(
                "profile",
                "About you",
                profile_saved,
                "/profile",
                "your running days, your equipment and your birth year shape the plan and the safety checks",
            ),
            SetupStep(
                "import",
                "Your runs",
                activities > 0,
                "/welcome#import",
                "your history sets the cap for your next run and shows a spike before it hurts",
            ),
            SetupStep(
                "checkin",
                "Your first check-in",
                checkins > 0,
                "/checkin",
                "a minute a day about your hip lets the plan follow how it is",
            ),
            SetupStep(
                "plan",
                "Your week",
                ready,
                "/plan",
                "runs within the cap, strength for the hip, warm-ups and breaks from sitting",
            ),
        )
    )
