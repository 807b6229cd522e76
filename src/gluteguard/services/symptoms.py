"""The symptom status of a day, as the day's decision has it (check-ins, self-tests, holds and clearances)."""

from __future__ import annotations

from datetime import date

from gluteguard.services.coach import decision_on
from gluteguard.store.db import Database
from gluteguard.symptoms.status import StatusReport


def symptom_report(db: Database, athlete_id: int, day: date | None = None) -> StatusReport | None:
    """The status report of ``day`` (default today), or None when the runner has never checked in."""
    return decision_on(db, athlete_id, day).report
