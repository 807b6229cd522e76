"""The symptom status of a day: stored check-ins and self-tests → triage and the pain-monitoring model."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from gluteguard.services.adherence import self_management_from, week_logs
from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.cache import VersionedCache, scoped
from gluteguard.services.checkins import checkins_version, list_checkins
from gluteguard.services.selftests import SelfTestDay, self_test_history
from gluteguard.store.db import Database
from gluteguard.store.models import PlanLogRow, SelfTestRow
from gluteguard.symptoms.model import CheckIn
from gluteguard.symptoms.status import cap_adjustment, status_report
from gluteguard.symptoms.triage import SelfTests, TriageContext

_REPORTS = VersionedCache(size=8)


def _data_version(db: Database, athlete_id: int) -> tuple:
    """What the reports are computed from: check-ins, self-tests and the plan log (done/skip)."""
    tests = select(func.count(SelfTestRow.id), func.max(SelfTestRow.created_at)).where(
        SelfTestRow.athlete_id == athlete_id
    )
    logs = select(func.count(PlanLogRow.id), func.max(PlanLogRow.logged_at)).where(PlanLogRow.athlete_id == athlete_id)

    def ask() -> tuple:
        with db.session() as session:
            return tuple(session.execute(tests).one()), tuple(session.execute(logs).one())

    return checkins_version(db, athlete_id), scoped(("tests+logs", db.url, athlete_id), ask)


def _merge_self_tests(history: list[SelfTestDay]) -> SelfTests | None:
    if not history:
        return None
    stance, palpation = {}, {}
    for entry in history:  # oldest first, so later days overwrite
        stance.update(entry.stance)
        palpation.update(entry.palpation)
    return SelfTests(stance=stance, palpation=palpation, tested_on=history[-1].day)


class SymptomTimeline:
    """Check-ins, self-tests and plan adherence loaded once, so reports of many days (the plan replays weeks of
    them) cost one set of queries. Reports are the same as ``symptom_report`` day by day."""

    def __init__(self, db: Database, athlete_id: int, until: date) -> None:
        self.until = until
        self.checkins: list[CheckIn] = list_checkins(db, athlete_id, until=until)
        self._days = [c.date for c in self.checkins]
        self._tests = self_test_history(db, athlete_id, until=until)
        self._test_days = [t.day for t in self._tests]
        self._logs = week_logs(db, athlete_id, until)
        # A day's report depends only on what was recorded up to that day, so one memo serves every timeline
        # (and every request) until something is written.
        self._reports: dict[date, dict | None] = _REPORTS.get((db.url, athlete_id), _data_version(db, athlete_id), dict)

    def checkins_between(self, since: date, until: date) -> list[CheckIn]:
        return self.checkins[bisect_left(self._days, since) : bisect_right(self._days, until)]

    def self_tests(self, day: date) -> SelfTests | None:
        return _merge_self_tests(self._tests[: bisect_right(self._test_days, day)])

    def report(self, day: date) -> dict | None:
        if day > self.until:
            raise ValueError(f"{day} is after the timeline's last day {self.until}")
        if day not in self._reports:
            history = self.checkins[: bisect_right(self._days, day)]
            if not history:
                self._reports[day] = None
            else:
                weeks, adherent = self_management_from(self._logs, day)
                context = TriageContext(weeks_self_managed=weeks, adherent=adherent, self_tests=self.self_tests(day))
                self._reports[day] = status_report(history, day, context)
        return self._reports[day]


def latest_self_tests(db: Database, athlete_id: int, day: date) -> SelfTests | None:
    """The most recent result per test and side on or before ``day`` (the engine ignores stale ones)."""
    return _merge_self_tests(self_test_history(db, athlete_id, until=day))


def symptom_report(db: Database, athlete_id: int, day: date | None = None) -> dict | None:
    """The status report of ``day`` (default today), or None when the runner has never checked in."""
    day = day or today_in(ZoneInfo(get_profile(db, athlete_id).timezone))
    # Adherence comes from the plan log (gluteguard done/skip): unknown until something is logged, so the
    # "no improvement after 8–12 weeks of adherent self-management" rule never fires on a guess.
    return SymptomTimeline(db, athlete_id, day).report(day)


def cap_factor_for(db: Database, athlete_id: int, day: date) -> tuple[float, str | None]:
    """How the symptoms limit the next run's cap on ``day``: (factor, reason); (1.0, None) without check-ins."""
    report = symptom_report(db, athlete_id, day)
    return (1.0, None) if report is None else cap_adjustment(report)
