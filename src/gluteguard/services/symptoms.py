"""The symptom status of a day: stored check-ins and self-tests → triage and the pain-monitoring model."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.checkins import list_checkins
from gluteguard.services.selftests import self_test_history
from gluteguard.store.db import Database
from gluteguard.symptoms.status import cap_adjustment, status_report
from gluteguard.symptoms.triage import SelfTests, TriageContext


def latest_self_tests(db: Database, athlete_id: int, day: date) -> SelfTests | None:
    """The most recent result per test and side on or before ``day`` (the engine ignores stale ones)."""
    history = self_test_history(db, athlete_id, until=day)
    if not history:
        return None
    stance, palpation = {}, {}
    for entry in history:  # oldest first, so later days overwrite
        stance.update(entry.stance)
        palpation.update(entry.palpation)
    return SelfTests(stance=stance, palpation=palpation, tested_on=history[-1].day)


def symptom_report(db: Database, athlete_id: int, day: date | None = None) -> dict | None:
    """The status report of ``day`` (default today), or None when the runner has never checked in."""
    day = day or today_in(ZoneInfo(get_profile(db, athlete_id).timezone))
    history = list_checkins(db, athlete_id, until=day)
    if not history:
        return None
    # Adherence to the plan is not tracked yet (the plan issue feeds it): unknown, so the "no improvement after
    # 8–12 weeks of adherent self-management" rule cannot fire on a guess.
    context = TriageContext(self_tests=latest_self_tests(db, athlete_id, day))
    return status_report(history, day, context)


def cap_factor_for(db: Database, athlete_id: int, day: date) -> tuple[float, str | None]:
    """How the symptoms limit the next run's cap on ``day``: (factor, reason); (1.0, None) without check-ins."""
    report = symptom_report(db, athlete_id, day)
    return (1.0, None) if report is None else cap_adjustment(report)
