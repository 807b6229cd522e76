"""A day's sitting figures from the store (wearable samples, logged breaks, the check-in's sitting hours), the
note next to running, and what the reminder loop reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gluteguard.plan.inputs import WEEKDAYS
from gluteguard.services.athletes import Profile, get_profile
from gluteguard.services.checkins import get_checkin
from gluteguard.services.wearables import breaks_between, log_break, wearable_between
from gluteguard.sitting.day import SittingDay, sitting_day
from gluteguard.sitting.model import BreakLog
from gluteguard.sitting.reminders import Event, Prompt, ReminderState, StepResult, WorkSchedule, step
from gluteguard.sitting.rules import SittingRules
from gluteguard.sitting.rules import load_rules as load_sitting_rules
from gluteguard.store.db import Database


def work_hours(profile: Profile, day: date) -> tuple[time, time] | None:
    """The profile's work window on ``day``, or None on a day off (sitting is measured in work time only)."""
    if WEEKDAYS[day.weekday()] not in profile.work_days or not profile.work_start or not profile.work_end:
        return None
    return time.fromisoformat(profile.work_start), time.fromisoformat(profile.work_end)


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day in UTC, with an hour either side so samples straddling midnight or DST are included."""
    start = datetime.combine(day, time(0), zone).astimezone(UTC) - timedelta(hours=1)
    return start, start + timedelta(hours=26)


def sitting_on(db: Database, athlete_id: int, day: date) -> SittingDay:
    """The day's sitting figures in work hours; the check-in's sitting hours when no wearable saw the day."""
    profile = get_profile(db, athlete_id)
    zone = ZoneInfo(profile.timezone)
    start, end = _day_bounds(day, zone)
    data = wearable_between(db, athlete_id, start, end)
    checkin = get_checkin(db, athlete_id, day)
    return sitting_day(
        day,
        zone,
        work_hours(profile, day),
        steps=data.steps,
        stand_hours=data.stand_hours,
        breaks=breaks_between(db, athlete_id, start, end),
        sedentary_days=data.sedentary_days,
        self_reported_sitting_h=checkin.sitting_hours if checkin else None,
    )


def sitting_history(db: Database, athlete_id: int, until: date, days: int) -> list[SittingDay]:
    return [sitting_on(db, athlete_id, until - timedelta(days=offset)) for offset in reversed(range(days))]


def record_break(db: Database, athlete_id: int, entry: BreakLog) -> dict:
    """Store a reminder's answer; a break done also marks the day's sitting-breaks plan item done."""
    from gluteguard.services.plan import PlanItemError, log_item

    break_id = log_break(db, athlete_id, entry)
    result = {"id": break_id, "at": entry.at.isoformat(), "outcome": entry.outcome, "move_id": entry.move_id}
    if entry.outcome == "done":
        local_day = entry.at.astimezone(ZoneInfo(get_profile(db, athlete_id).timezone)).date()
        try:
            log_item(db, athlete_id, f"{local_day.isoformat()}-sitting-breaks", "done")
            result["plan_item"] = f"{local_day.isoformat()}-sitting-breaks"
        except PlanItemError:
            pass  # no sitting-breaks item that day (a day off): the break still counts for the day's figures
    return result


def todays_breaks(db: Database, athlete_id: int, now: datetime) -> list[BreakLog]:
    zone = ZoneInfo(get_profile(db, athlete_id).timezone)
    start, end = _day_bounds(now.astimezone(zone).date(), zone)
    return breaks_between(db, athlete_id, start, end)


@dataclass(frozen=True)
class ReminderTick:
    """One look at the break reminders: the schedule and state from the profile and today's answers, and what
    the state machine says now (a prompt due, or when to look again)."""

    schedule: WorkSchedule | None
    state: ReminderState
    rules: SittingRules
    result: StepResult

    @property
    def prompt(self) -> Prompt | None:
        return next((a for a in self.result.actions if isinstance(a, Prompt)), None)


def reminder_tick(
    db: Database,
    athlete_id: int,
    now: datetime,
    rules: SittingRules | None = None,
    *,
    started_at: datetime | None = None,
    shown_at: datetime | None = None,
) -> ReminderTick:
    """The reminder state machine's tick for the athlete at ``now``, as the CLI loop and the web page both run it:
    ``started_at`` is when reminders were turned on (the timer does not predate it), ``shown_at`` the last prompt
    shown outside the store (an unanswered prompt repeats one interval later). Raises ValueError for work hours
    the profile cannot give."""
    rules = rules or load_sitting_rules()
    profile = get_profile(db, athlete_id)
    schedule = WorkSchedule.from_profile(profile.work_days, profile.work_start, profile.work_end, profile.timezone)
    state = ReminderState.from_log(todays_breaks(db, athlete_id, now), now, rules)
    prompts = [moment for moment in (state.last_prompt_at, shown_at) if moment is not None]
    state = replace(state, started_at=started_at, last_prompt_at=max(prompts) if prompts else None)
    return ReminderTick(schedule, state, rules, step(state, now, Event.TICK, schedule, rules))
