"""Everything the coach knows of one athlete, as plain data: the input of ``decide`` (pure, no store).

``AthleteHistory.until(day)`` is the same history as it was known at the end of ``day``: nothing dated after it.
A decision about a day uses the history until that day, so the past is never rewritten by what came later, and a
day ahead is decided from what is known now.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from gluteguard.load.series import Session
from gluteguard.plan.adherence import PlanLogEntry, WeekLog, week_logs
from gluteguard.plan.inputs import ShoeUse, StrideCue
from gluteguard.plan.orders import ClinicianOrder, OrdersInForce, in_force
from gluteguard.symptoms.holds import ClinicianVisit
from gluteguard.symptoms.model import CheckIn
from gluteguard.symptoms.selftests import SelfTestDay
from gluteguard.symptoms.status import first_pain_day, report_span
from gluteguard.symptoms.triage import SelfTests, merge_self_tests


@dataclass(frozen=True)
class PlanProfile:
    """What of the profile the plan uses."""

    running_days: tuple[str, ...] = ()  # none set: the plan uses week_rules.toml [defaults] and says so
    long_run_day: str | None = "sat"
    work_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    equipment: tuple[str, ...] = ()
    birth_year: int | None = None  # for the age rules of the red-flag triage (None: unknown, they stay quiet)


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
    orders: tuple[ClinicianOrder, ...] = ()  # a coach's or physio's orders on the plan, lifted ones included
    checkin_saved: Mapping[date, datetime] = field(default_factory=dict)  # when a day's flags turned yes (UTC)
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

    def orders_on(self, day: date) -> OrdersInForce:
        """The clinician's orders binding ``day`` as known when deciding it."""
        return in_force(self.orders, day, self.horizon(day))

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


# What the memo holds that is not a result of a day (rebuilt with each history).
_INDEXES = frozenset({"index", "flagged", "first_pain"})


def _changed_days(old: Iterable[object], new: Iterable[object], day_of: Callable[[object], date]) -> set[date]:
    """The days whose records differ between two collections: by hash where records are hashable, else by
    identity first (the store's caches hand back the same objects for unchanged rows) and text for the rest."""
    old, new = list(old), list(new)
    try:
        return {day_of(record) for record in set(old) ^ set(new)}
    except TypeError:
        pass
    before: dict[date, list[object]] = {}
    after: dict[date, list[object]] = {}
    for records, by_day in ((old, before), (new, after)):
        for record in records:
            by_day.setdefault(day_of(record), []).append(record)
    changed = set()
    for day in before.keys() | after.keys():
        a, b = before.get(day, []), after.get(day, [])
        if len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True)):
            continue
        if sorted(map(repr, a)) != sorted(map(repr, b)):
            changed.add(day)
    return changed


def first_difference(old: AthleteHistory, new: AthleteHistory) -> date | None:
    """The first day whose data differs between two histories of one athlete (None when nothing dated differs).
    A different profile differs from the start: ``date.min``."""
    if old.profile != new.profile:
        return date.min
    changed = (
        _changed_days(old.sessions, new.sessions, lambda s: s.local_date)  # type: ignore[attr-defined]
        | _changed_days(old.checkins, new.checkins, lambda c: c.date)  # type: ignore[attr-defined]
        | {d for d in old.checkin_saved.keys() | new.checkin_saved.keys()
           if old.checkin_saved.get(d) != new.checkin_saved.get(d)}
        | _changed_days(old.self_tests, new.self_tests, lambda t: t.day)  # type: ignore[attr-defined]
        | _changed_days(old.plan_log, new.plan_log, lambda e: e.day)  # type: ignore[attr-defined]
        | _changed_days(old.visits, new.visits, lambda v: v.day)  # type: ignore[attr-defined]
        | _changed_days(old.stride, new.stride, lambda a: a.day)  # type: ignore[attr-defined]
        | _changed_days(old.gear, new.gear, lambda g: g.day)  # type: ignore[attr-defined]
        # an order changes the days from the one it was set (lifting it changes later ones only: still correct)
        | _changed_days(old.orders, new.orders, lambda o: o.starts_on)  # type: ignore[attr-defined]
    )  # fmt: skip
    return min(changed, default=None)


def inherit_memo(new: AthleteHistory, old: AthleteHistory) -> int:
    """Carry into ``new`` the results ``old`` worked out that rest only on data before the first day that differs
    (every memo key ends with the last day its result read): a check-in today re-decides today and the days ahead,
    not ten years of days. Returns how many results were carried."""
    first = first_difference(old, new)
    carried = 0
    for key, value in list(old.memo.items()):
        if key in _INDEXES or not isinstance(key, tuple) or key in new.memo:
            continue
        if first is None or key[-1] < first:
            new.memo[key] = value
            carried += 1
    return carried
