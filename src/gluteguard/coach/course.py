"""The course so far, as known on a day (pure): the day's symptom report with the holds in force, the plan phase
it leads to, and the strength stage and walk/run ladder step replayed from the weeks before. ``coach.decide`` builds
the day's decision on these; each is memoised on the history, keyed by the day and what was known then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

from gluteguard.coach.history import AthleteHistory
from gluteguard.plan.adherence import WeekLog, monday_of, self_management_from
from gluteguard.plan.inputs import week_rules
from gluteguard.plan.orders import in_force
from gluteguard.plan.phase import DayState, PhaseDecision, ReturnCriteria, choose_phase, phase_rules
from gluteguard.plan.progression import Progress, WeekOutcome, replay
from gluteguard.symptoms.holds import holds_in_force
from gluteguard.symptoms.status import StatusReport, status_report
from gluteguard.symptoms.triage import Triage, TriageContext

# How far back the stage and ladder are replayed: long enough for LEAP's ~8 weeks and a return after it.
PROGRESS_WEEKS = 16
_STATUS_ORDER = ("green", "amber", "red")
T = TypeVar("T")


def memo(history: AthleteHistory, key: tuple, build: Callable[[], T]) -> T:
    if key not in history.memo:
        history.memo[key] = build()
    return history.memo[key]


# --- symptoms: the day's report with the signs that hold ---------------------------------------------------------


def _context(history: AthleteHistory, day: date) -> TriageContext:
    weeks, adherent = self_management_from(history.week_logs(day), day)
    birth_year = history.profile.birth_year
    # Mean weekly running km over the 28 days up to the day (the triage's volume rules). A record shorter than that
    # is averaged over the weeks it covers (at least one); no run recorded at all is unknown, not 0 km.
    run_days = history.memo["index"][2]  # every run's day, sorted
    weekly_km = None
    if run_days and run_days[0] <= history.horizon(day):
        covered_days = min(28, max(7, (day - run_days[0]).days + 1))
        metres = sum(run.distance_m for run in history.runs_between(day - timedelta(days=27), day))
        weekly_km = metres / 1000 / (covered_days / 7)
    return TriageContext(
        weeks_self_managed=weeks,
        adherent=adherent,
        self_tests=history.self_tests_on(day),
        # The youngest the runner can be on the day (the birthday may not have come yet this year): errs on the
        # side of the under-18 and under-35 rules.
        age_years=day.year - birth_year - 1 if birth_year is not None else None,
        weekly_run_km=weekly_km,
    )


def _own_triage(history: AthleteHistory, day: date) -> Triage:
    """The triage of the check-in of ``day`` by itself, before holds (the day has a check-in)."""

    def build() -> Triage:
        report = status_report(history.report_checkins(day), day, _context(history, day))
        assert report.triage is not None
        return report.triage

    return memo(history, ("triage", day), build)


def report_on(history: AthleteHistory, day: date) -> StatusReport | None:
    """The symptom report of ``day`` from what is known (None before the first check-in)."""
    horizon = history.horizon(day)

    def build() -> StatusReport | None:
        window = history.report_checkins(day)
        if not window:
            return None
        visits = history.visits_until(day)
        saved = history.checkin_saved
        raised = [(c.date, _own_triage(history, c.date), saved.get(c.date)) for c in history.flagged_until(day)]
        holds = holds_in_force(raised, visits, day)
        return status_report(window, day, _context(history, day), holds=holds, visits=visits, saved_at=saved)

    return memo(history, ("report", day, horizon), build)


# --- phase and progress ------------------------------------------------------------------------------------------


def phase_on(history: AthleteHistory, day: date) -> PhaseDecision:
    """The plan phase of ``day`` from its report, the red days before it and the return criteria."""
    horizon = history.horizon(day)

    def build() -> PhaseDecision:
        report = report_on(history, day)
        if report is None:
            return choose_phase(None, [])
        window = timedelta(days=phase_rules()["return"]["return_window_days"])
        recent = []
        for checkin in history.checkins_between(day - window, day - timedelta(days=1)):
            earlier = report_on(history, checkin.date)
            if earlier is not None:
                recent.append(DayState(checkin.date, earlier.status, earlier.action))
        tests = history.self_tests_on(day)
        stance_positive = any(s.positive for s in tests.stance.values()) if tests and tests.stance else None
        # The latest answer of the last 7 days about a pain-free brisk walk (clinical.md §5.2's first criterion).
        walks = [c.brisk_walk_pain_free for c in history.checkins_between(day - timedelta(days=6), day)]
        walk_ok = next((answer for answer in reversed(walks) if answer is not None), None)
        today = DayState(day, report.status, report.action)
        return choose_phase(today, recent, ReturnCriteria(walk_ok, stance_positive))

    return memo(history, ("phase", day, horizon), build)


def _worst_status(history: AthleteHistory, monday: date) -> str | None:
    statuses = [
        report.status
        for checkin in history.checkins_between(monday, monday + timedelta(days=6))
        if (report := report_on(history, checkin.date)) is not None
    ]
    return max(statuses, key=_STATUS_ORDER.index) if statuses else None


def _week_outcome(history: AthleteHistory, monday: date, phase: PhaseDecision) -> WeekOutcome:
    log = history.week_logs(monday + timedelta(days=6)).get(monday, WeekLog())
    logged_runs = log.runs_done + log.runs_skipped
    imported = len({r.local_date for r in history.runs_between(monday, monday + timedelta(days=6))})
    runs = log.runs_done if logged_runs else imported  # nothing logged: what was imported
    sessions = 0 if phase.phase == "blocked" else week_rules()["strength"]["sessions_per_week"]
    return WeekOutcome(
        monday,
        phase.phase,
        _worst_status(history, monday),
        sessions,
        log.strength_done,
        log.strength_skipped,
        runs,
        ladder_ceiling=1 if phase.first_step_only else None,
    )


def progress_on(history: AthleteHistory, monday: date) -> Progress:
    """The strength stage and walk/run ladder step the week of ``monday`` starts with, replayed from the weeks
    before it (each week in the phase decided at the end of the Sunday before it)."""
    horizon = history.horizon(monday - timedelta(days=1))

    def build() -> Progress:
        sunday = monday - timedelta(days=1)
        first_checkin = history.checkins[0].date if history.checkins else None
        first_log = history.plan_log[0].day if history.plan_log else None
        starts = [d for d in (first_checkin, first_log) if d is not None and d <= horizon]
        phase = phase_on(history, sunday).phase
        if not starts:
            return replay([], phase)
        week = max(monday_of(min(starts)), monday - timedelta(weeks=PROGRESS_WEEKS))
        weeks, ceilings = [], []
        while week < monday:
            weeks.append(_week_outcome(history, week, phase_on(history, week - timedelta(days=1))))
            week += timedelta(weeks=1)
            # A clinician's stage order in force on the next Monday, as known at the end of the Sunday before.
            ceilings.append(in_force(history.orders, week, history.horizon(week - timedelta(days=1))).stage_ceiling)
        return replay(weeks, phase, ceilings=ceilings)

    return memo(history, ("progress", monday, horizon), build)


__all__ = ["PROGRESS_WEEKS", "memo", "phase_on", "progress_on", "report_on"]
