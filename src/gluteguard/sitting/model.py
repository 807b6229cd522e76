"""The sitting domain's own record (a break the runner logged) and its one error. What wearables report (steps,
stand hours, sedentary days) is the ingest domain's output and lives in ``gluteguard.ingest.wearable``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class BreakLog:
    """A break from sitting the runner logged (a reminder answered "done"), or a snooze."""

    at: datetime
    outcome: str  # done | snoozed | skipped
    move_id: str | None = None  # the exercise library's id of the move offered


class SittingError(ValueError):
    """The day cannot be measured as asked (e.g. a work start inside a DST gap); the message is one line."""
