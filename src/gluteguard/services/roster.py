"""A clinician's roster: every linked athlete's day, gathered from the same decision their own Today shows, ranked by
need (``clinic.roster``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from gluteguard.accounts.policy import AccountError, Principal
from gluteguard.accounts.rules import Role
from gluteguard.clinic.roster import AthleteDay, RosterEntry, rank, roster_rules
from gluteguard.services.accounts import linked_athletes
from gluteguard.services.athletes import local_today
from gluteguard.services.coach import load_on
from gluteguard.store.db import Database
from gluteguard.store.models import CheckInRow


def last_checkin_day(db: Database, athlete_id: int) -> date | None:
    with db.session() as session:
        return session.scalar(select(func.max(CheckInRow.day)).where(CheckInRow.athlete_id == athlete_id))


def athlete_day(db: Database, athlete_id: int, name: str) -> AthleteDay:
    """One athlete's day as the roster sees it: their own decision (never re-derived here)."""
    today = local_today(db, athlete_id)
    view = load_on(db, athlete_id, today)
    decision, last_run = view.decision, view.state.last_run
    spikes = ()
    if last_run is not None and last_run.spike_category in roster_rules().spike_categories:
        spikes = (date.fromisoformat(last_run.date[:10]),)
    return AthleteDay(
        athlete_id=athlete_id,
        name=name,
        today=today,
        status=decision.status,
        action=decision.action,
        headline=decision.headline.message,
        running_allowed=decision.running_allowed,
        last_checkin=last_checkin_day(db, athlete_id),
        spike_days=spikes,
    )


def roster(db: Database, clinician: Principal) -> list[RosterEntry]:
    """The clinician's linked athletes, the one who needs them most first."""
    if clinician.role is not Role.CLINICIAN:
        raise AccountError("only a coach or physio account has a roster")
    return rank([athlete_day(db, link.athlete_id, link.athlete_name) for link in linked_athletes(db, clinician)])
