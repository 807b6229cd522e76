"""Everything the coach knows of one athlete, as plain data: the input of ``decide`` (pure, no store).

``AthleteHistory.until(day)`` is the same history as it was known at the end of ``day``: nothing dated after it.
A decision about a day uses the history until that day, so the past is never rewritten by what came later, and a
day ahead is decided from what is known now.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from gluteguard.load.series import Session
from gluteguard.plan.adherence import PlanLogEntry, WeekLog, week_logs
from gluteguard.plan.generator import ShoeUse, StrideCue
from gluteguard.symptoms.holds import ClinicianVisit
from gluteguard.symptoms.model import CheckIn
from gluteguard.symptoms.selftests import SelfTestDay
from gluteguard.symptoms.status import first_pain_day, report_span
from gluteguard.symptoms.triage import SelfTests, merge_self_tests


@dataclass(frozen=True)
class PlanProfile:
    """What of the profile the plan uses."""

    running_days: tuple[str, ...] = ("tue", "thu", "sat")
    long_run_day: str | None = "sat"
    work_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    equipment: tuple[str, ...] = ()


@dataclass(frozen=True)
class GearRun:
    """A run's distance in a named pair of shoes (Strava's activity gear)."""

    day: date
    shoes: str
    distance_m: float


@dataclass(frozen=True)
class StrideAnalysis:
    """A saved stride analysis: the day it was filmed, from which side, and the cues its findings give the plan."""

    day: date
    view: str  # rear | side
    cues: tuple[StrideCue, ...]


@dataclass(frozen=True)
class AthleteHistory:
    """One athlete's record, each part sorted by day (sessions by start)."""

    profile: PlanProfile = field(default_factory=PlanProfile)
    sessions: tuple[Session, ...] = ()
    checkins: tuple[CheckIn, ...] = ()
    self_tests: tuple[SelfTestDay, ...] = ()
    plan_log: tuple[PlanLogEntry, ...] = ()
    visits: tuple[ClinicianVisit, ...] = ()
    stride: tuple[StrideAnalysis, ...] = ()
    gear: tuple[GearRun, ...] = ()
    checkin_saved: Mapping[date, datetime] = field(default_factory=dict)  # when each day's check-in was saved (UTC)
    known_until: date | None = None  # None: everything recorded
    # Results that depend only on data up to their day, shared by every ``until`` view of this history.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Day indexes for bisecting, built once per history and shared by its ``until`` views.
        if "index" not in self.memo:
            runs = [s for s in self.sessions if s.is_run]
            self.memo["index"] = ([c.date for c in self.checkins], runs, [s.local_date for s in runs])
            flagged = tuple(c for c in self.checkins if c.flags_raised)
            self.memo["flagged"] = (flagged, [c.date for c in flagged])
            self.memo["first_pain"] = first_pain_day(self.checkins)

    def until(self, day: date) -> AthleteHistory:
        """The history as known at the end of ``day`` (never later than this one's own horizon)."""
        horizon = day if self.known_until is None else min(day, self.known_until)
        if horizon == self.known_until:
            return self
        return replace(self, known_until=horizon, memo=self.memo)

    def horizon(self, day: date) -> date:
        """The last day whose data counts when deciding ``day``."""
        return day if self.known_until is None else min(day, self.known_until)

    def checkins_between(self, since: date | None, until: date) -> tuple[CheckIn, ...]:
        days = self.memo["index"][0]
        end = bisect_right(days, self.horizon(until))
        start = 0 if since is None else bisect_left(days, since)
        return self.checkins[start:end]

    def flagged_until(self, day: date) -> tuple[CheckIn, ...]:
        """The check-ins with a red-flag answer up to ``day`` (within the horizon)."""
        flagged, days = self.memo["flagged"]
        return flagged[: bisect_right(days, self.horizon(day))]

    def report_checkins(self, day: date) -> tuple[CheckIn, ...]:
        """The check-ins the symptom report of ``day`` looks at (``symptoms.status.report_span``), oldest first."""
        known = self.checkins_between(None, day)
        if not known:
            return ()
        first_pain = self.memo["first_pain"]
        first_pain = first_pain if first_pain is not None and first_pain <= known[-1].date else None
        since, start_end = report_span(day, known[-1].date, first_pain)
        recent = self.checkins_between(since, day)
        start = self.checkins_between(None, start_end - timedelta(days=1)) if start_end and start_end <= since else ()
        return (*start, *recent)

    def checkin_on(self, day: date) -> CheckIn | None:
        found = self.checkins_between(day, day)
        return found[-1] if found else None

    def runs_between(self, since: date, until: date) -> list[Session]:
        """Runs dated ``since`` … ``until`` (within the horizon)."""
        _, runs, days = self.memo["index"]
        return runs[bisect_left(days, since) : bisect_right(days, self.horizon(until))]

    def self_tests_on(self, day: date) -> SelfTests | None:
        return merge_self_tests([t for t in self.self_tests if t.day <= self.horizon(day)])

    def visits_until(self, day: date) -> tuple[ClinicianVisit, ...]:
        return tuple(v for v in self.visits if v.day <= self.horizon(day))

    def week_logs(self, day: date) -> dict[date, WeekLog]:
        horizon = self.horizon(day)
        key = ("week_logs", horizon)
        if key not in self.memo:
            self.memo[key] = week_logs(self.plan_log, horizon)
        return self.memo[key]

    def logged(self, since: date, until: date) -> dict[str, str]:
        """The outcome of each logged item whose day is ``since`` … ``until`` (within the horizon), by id."""
        end = self.horizon(until)
        return {e.item_id: e.outcome for e in self.plan_log if since <= e.day <= end}

    def stride_cues(self, before: date) -> tuple[StrideCue, ...]:
        """The cues of the latest stride analysis of each view dated before ``before`` (rear and side see
        different things, so the newest of each counts)."""
        latest: dict[str, StrideAnalysis] = {}
        for analysis in self.stride:  # oldest first
            if analysis.day < before and analysis.day <= self.horizon(before):
                latest[analysis.view] = analysis
        return tuple(cue for view in sorted(latest) for cue in latest[view].cues)

    def shoe_use(self, before: date, window_days: int) -> tuple[ShoeUse, ...]:
        """Running distance per pair, in all and in the ``window_days`` before ``before``."""
        totals: dict[str, list[float]] = {}
        for run in self.gear:
            if run.day >= before or not run.shoes.strip():
                continue
            entry = totals.setdefault(run.shoes.strip(), [0.0, 0.0])
            entry[0] += run.distance_m
            if (before - run.day).days <= window_days:
                entry[1] += run.distance_m
        return tuple(ShoeUse(name, total, recent) for name, (total, recent) in sorted(totals.items()))
