"""When to prompt a sitting break, and what to say (pure: the clock and the answers come in as arguments).

The schedule: inside the profile's work days and hours only; the timer starts at the work start (or when the
reminder process starts), restarts on "done", a snooze pushes the next prompt by the snooze length, and an
unanswered prompt repeats one interval later. A prompt missed while the machine slept fires **once** on waking,
never once per missed interval. A CLI loop needs only ``step``::

    state = ReminderState.from_log(todays_logs, now)
    while True:
        result = step(state, datetime.now(UTC), Event.TICK, schedule)
        ... show result.actions (Prompt → notify; Record → store), feed an answer back with step(..., Event.DONE)
        sleep until result.wake_at (in short naps, so a suspend is noticed)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from gluteguard.plan.library import Exercise, by_kind
from gluteguard.sitting.model import BreakLog
from gluteguard.sitting.rules import SittingRules, load_rules

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Far enough to pass a long weekend or holiday-free week; a schedule with no window in this span has none at all.
_LOOKAHEAD_DAYS = 8


class Event(StrEnum):
    TICK = "tick"  # the clock moved on; prompt if due
    DONE = "done"  # the runner took a break
    SNOOZE = "snooze"  # "not now": ask again after the snooze length
    SKIP = "skip"  # dismissed without a break: ask again one interval later


@dataclass(frozen=True)
class WorkSchedule:
    """Work days (0 = Monday) and wall-clock hours in the runner's zone. An end at or before the start crosses
    midnight: the window belongs to the day it starts on."""

    days: frozenset[int]
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def from_profile(
        cls, work_days: Sequence[str], work_start: str | None, work_end: str | None, timezone: str
    ) -> WorkSchedule | None:
        """From the athlete profile's fields; None when it has no work hours (then nothing is ever due)."""
        if not work_start or not work_end or not work_days:
            return None
        unknown = [d for d in work_days if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown work day(s) {', '.join(unknown)}; use {', '.join(WEEKDAYS)}")
        start, end = time.fromisoformat(work_start), time.fromisoformat(work_end)
        if start == end:
            raise ValueError("work start and end are the same time")
        return cls(frozenset(WEEKDAYS.index(d) for d in work_days), start, end, ZoneInfo(timezone))

    def window_on(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC window that starts on ``day``, or None on a day off.

        A wall time inside a spring-forward gap maps to the instant Python's zoneinfo gives it (an hour later on
        the wall clock): a reminder schedule can shift by that hour on that one day rather than refuse to run.
        """
        if day.weekday() not in self.days:
            return None
        end_day = day + timedelta(days=1) if self.end <= self.start else day
        start = datetime.combine(day, self.start, tzinfo=self.zone).astimezone(UTC)
        end = datetime.combine(end_day, self.end, tzinfo=self.zone).astimezone(UTC)
        return start, end

    def windows_from(self, now: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Work windows that have not ended by ``now``, in order (the current one first, if any)."""
        today = now.astimezone(self.zone).date()
        for offset in range(-1, _LOOKAHEAD_DAYS):  # -1: yesterday's window may cross midnight into today
            window = self.window_on(today + timedelta(days=offset))
            if window and window[1] > now:
                yield window

    def in_work_hours(self, now: datetime) -> bool:
        return any(start <= now < end for start, end in self.windows_from(now))

    def next_work_start(self, now: datetime) -> datetime | None:
        """The start of the window containing ``now`` or of the next one."""
        return next((start for start, _ in self.windows_from(now)), None)


def _aware(moment: datetime | None, what: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment.isoformat()}")
    return moment


def next_reminder(
    now: datetime,
    schedule: WorkSchedule | None,
    rules: SittingRules | None = None,
    *,
    last_break: datetime | None = None,
    last_prompt: datetime | None = None,
    snoozed_until: datetime | None = None,
    since: datetime | None = None,
) -> datetime | None:
    """When the next break prompt is due: always inside a work window, never before ``now``.

    The timer runs from the latest of the window start, the last break ("done"), the last prompt and ``since``
    (when the reminder process started); a snooze inside the window replaces that with its own end. A due time
    already past (the machine slept) becomes ``now``: one prompt, not one per missed interval. Outside work
    hours the answer is in the next window (the timer restarts at its start). None when there are no work hours
    or the interval does not fit in any window.
    """
    _aware(now, "now")
    if schedule is None:
        return None
    rules = rules or load_rules()
    anchors = [_aware(m, "a reminder time") for m in (last_break, last_prompt, since)]
    snoozed_until = _aware(snoozed_until, "snoozed_until")
    for start, end in schedule.windows_from(now):
        anchor = max([start, *(a for a in anchors if a is not None and start <= a < end)])
        due = anchor + rules.interval
        if snoozed_until is not None and max(anchor, start) < snoozed_until < end:
            due = snoozed_until
        due = max(due, now)
        if due < end:
            return due
    return None


# ---------------------------------------------------------------------------------------------------------------
# What to say
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderMessage:
    move_id: str
    title: str
    body: str  # what to do (one sentence), why, source

    @property
    def line(self) -> str:
        """The whole prompt on one terminal line."""
        return f"{self.title}: {self.body}"


def break_moves() -> list[Exercise]:
    """The library's sitting-break moves, in file order (the rotation order)."""
    return by_kind("sitting_break")


def pick_move(index: int, moves: Sequence[Exercise] | None = None) -> Exercise:
    """The move for the ``index``-th prompt: a plain rotation, so every move comes round and tests can predict it."""
    moves = list(moves) if moves is not None else break_moves()
    if not moves:
        raise ValueError("the exercise library has no sitting_break moves")
    return moves[index % len(moves)]


def move_dose(move: Exercise) -> str:
    """A break move's dose in a few words ("10 reps each side", "2 min"), as the reminder says it."""
    d = move.dosage
    if d.duration_min:
        dose = f"{d.duration_min:g} min"
    elif d.reps and d.hold_s:
        dose = f"{d.reps} × {d.hold_s} s hold"
    elif d.reps:
        dose = f"{d.reps} reps"
    else:
        dose = f"{d.hold_s} s hold"
    if d.each_side:
        dose += " each side"
    if d.sets > 1:
        dose = f"{d.sets} sets of {dose}"
    return f"{dose}, {d.effort}"


def reminder_message(
    move: Exercise | None = None,
    index: int = 0,
    rules: SittingRules | None = None,
    since_break_min: int | None = None,
) -> ReminderMessage:
    """The prompt text: what to do in one sentence, why, and the source. ``move`` None picks by ``index``."""
    rules = rules or load_rules()
    move = move or pick_move(index)
    if move.dosage.duration_min:  # a walk is the whole break on its own
        what = f"{move.name}: {move_dose(move)}. {move.cues[0]}"
    else:
        what = f"{rules.lead_in} {move.name[0].lower()}{move.name[1:]}: {move_dose(move)}. {move.cues[0]}"
    title = "Time to get up" + (f" ({since_break_min} min without a break)" if since_break_min else "")
    body = f"{what} Why: {rules.why}. Source: {rules.why_source}."
    return ReminderMessage(move_id=move.id, title=title, body=body)


# ---------------------------------------------------------------------------------------------------------------
# The state machine a CLI loop drives
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderState:
    started_at: datetime | None = None  # when the reminder process started: the timer does not predate it
    last_break_at: datetime | None = None
    last_prompt_at: datetime | None = None
    snoozed_until: datetime | None = None
    rotation: int = 0  # prompts shown so far: the index into the move rotation
    offered_move: str | None = None  # the move of the prompt awaiting an answer

    @classmethod
    def from_log(cls, logs: Sequence[BreakLog], now: datetime, rules: SittingRules | None = None) -> ReminderState:
        """A state that carries on from the stored break log (a restart does not forget a recent break or
        snooze) and continues the day's move rotation."""
        rules = rules or load_rules()
        _aware(now, "now")
        past = sorted((b for b in logs if b.at <= now), key=lambda b: b.at)
        done = [b.at for b in past if b.outcome == "done"]
        last = past[-1] if past else None
        # Only a snooze that was the last answer and has not run out still holds.
        snoozed_until = None
        if last is not None and last.outcome == "snoozed" and last.at + rules.snooze > now:
            snoozed_until = last.at + rules.snooze
        return cls(
            started_at=now,
            last_break_at=done[-1] if done else None,
            last_prompt_at=past[-1].at if past else None,
            snoozed_until=snoozed_until,
            rotation=len(past),
        )


@dataclass(frozen=True)
class Prompt:
    """Show this reminder now."""

    at: datetime
    message: ReminderMessage


@dataclass(frozen=True)
class Record:
    """Store this answer in the break log."""

    log: BreakLog


@dataclass(frozen=True)
class StepResult:
    state: ReminderState
    actions: tuple[Prompt | Record, ...]
    wake_at: datetime | None  # the next due prompt; None: no work hours, nothing will ever be due


def _due(state: ReminderState, now: datetime, schedule: WorkSchedule | None, rules: SittingRules) -> datetime | None:
    return next_reminder(
        now,
        schedule,
        rules,
        last_break=state.last_break_at,
        last_prompt=state.last_prompt_at,
        snoozed_until=state.snoozed_until,
        since=state.started_at,
    )


def step(
    state: ReminderState,
    now: datetime,
    event: Event,
    schedule: WorkSchedule | None,
    rules: SittingRules | None = None,
    moves: Sequence[Exercise] | None = None,
) -> StepResult:
    """Advance the reminder state by one event at ``now``; returns the new state, what to do, and when to wake."""
    rules = rules or load_rules()
    _aware(now, "now")
    actions: list[Prompt | Record] = []
    if event is Event.TICK:
        due = _due(state, now, schedule, rules)
        if due is not None and due <= now:
            since = _since_break_min(state, now, schedule)
            message = reminder_message(pick_move(state.rotation, moves), rules=rules, since_break_min=since)
            actions.append(Prompt(now, message))
            state = replace(
                state,
                last_prompt_at=now,
                snoozed_until=None,
                rotation=state.rotation + 1,
                offered_move=message.move_id,
            )
    elif event is Event.DONE:
        actions.append(Record(BreakLog(now, "done", state.offered_move)))
        state = replace(state, last_break_at=now, last_prompt_at=None, snoozed_until=None, offered_move=None)
    elif event is Event.SNOOZE:
        actions.append(Record(BreakLog(now, "snoozed", state.offered_move)))
        state = replace(state, snoozed_until=now + rules.snooze, last_prompt_at=now)
    elif event is Event.SKIP:
        actions.append(Record(BreakLog(now, "skipped", state.offered_move)))
        state = replace(state, last_prompt_at=now, snoozed_until=None, offered_move=None)
    else:  # pragma: no cover - StrEnum is closed
        raise ValueError(f"unknown event {event!r}")
    return StepResult(state, tuple(actions), _due(state, now, schedule, rules))


def _since_break_min(state: ReminderState, now: datetime, schedule: WorkSchedule | None) -> int | None:
    """Minutes since the last break, the process start or the work start (whichever is latest), for the title."""
    work_start = schedule.next_work_start(now) if schedule else None
    anchors = [m for m in (state.last_break_at, state.started_at, work_start) if m is not None and m <= now]
    if not anchors:
        return None
    minutes = int((now - max(anchors)).total_seconds() // 60)
    return minutes or None
