"""Sitting metrics, the reminder schedule, prompt texts, service files and the notification fallback."""

from __future__ import annotations

import configparser
import os
import plistlib
import shlex
import shutil
import subprocess
import sys
import textwrap
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gluteguard.cli import user_service as service_unit
from gluteguard.ingest.wearable import SedentaryDay, StandHour, StepSample
from gluteguard.plan.library import by_kind
from gluteguard.sitting.day import JSON_KEYS, SittingDay, sitting_day
from gluteguard.sitting.desk_note import UpcomingRun, desk_day_note
from gluteguard.sitting.model import BreakLog, SittingError
from gluteguard.sitting.reminders import (
    Event,
    Prompt,
    Record,
    ReminderState,
    WorkSchedule,
    next_reminder,
    pick_move,
    reminder_message,
    step,
)
from gluteguard.sitting.rules import SittingRulesError, load_raw, load_rules, parse_rules

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2025, 3, 10)
NINE_TO_FIVE = (time(9), time(17))
WALK = 80  # steps per minute of an easy walk
RULES = load_rules()


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    """A local wall time as the UTC instant the model uses."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def minute_samples(start: datetime, end: datetime, walks: list[tuple[datetime, datetime]], source: str = "Watch"):
    """One sample per minute (Garmin/Fitbit style): WALK steps inside a walk, 0 otherwise."""
    out, t = [], start
    while t < end:
        steps = WALK if any(a <= t < b for a, b in walks) else 0
        out.append(StepSample(t, t + timedelta(minutes=1), steps, source))
        t += timedelta(minutes=1)
    return out


def desk_day_walks(day: date = MONDAY) -> list[tuple[datetime, datetime]]:
    """A classic desk day: 5-min walks at 10:00, 12:05 (after a 2 h spell), 13:00, 14:30 and 16:00."""
    return [
        (at(day, 10, 0), at(day, 10, 5)),
        (at(day, 12, 5), at(day, 12, 10)),
        (at(day, 13, 0), at(day, 13, 5)),
        (at(day, 14, 30), at(day, 14, 35)),
        (at(day, 16, 0), at(day, 16, 5)),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------------------------


def test_rules_carry_the_clinical_numbers_and_sources():
    assert RULES.interval_min == 30 and "Solomon" in RULES.interval_source
    assert RULES.upright_target_min == 120 and "Buckley" in RULES.target_source
    assert RULES.stand_hour_min_steps == 250 and "Fitbit" in RULES.stand_hour_source
    assert RULES.break_after_sedentary_min == 10
    assert 2 <= RULES.min_break_min <= 3
    assert RULES.snooze < RULES.interval


def test_broken_rules_list_every_problem():
    raw = load_raw()
    raw["reminder"]["interval_min"] = 0
    raw["minutes"]["min_cover_share"] = 2
    del raw["target"]["source"]
    with pytest.raises(SittingRulesError) as err:
        parse_rules(raw)
    assert len(err.value.problems) >= 3


def test_no_muscle_activation_lore_in_the_wording():
    text = str(load_raw()).lower() + " ".join(reminder_message(index=i).body.lower() for i in range(6))
    for lore in ("dead butt", "dead glute", "wake up your glute", "switch on", "activate", "amnesia"):
        assert lore not in text


# ---------------------------------------------------------------------------------------------------------------
# The day
# ---------------------------------------------------------------------------------------------------------------


def test_classic_desk_day():
    samples = minute_samples(at(MONDAY, 9), at(MONDAY, 17), desk_day_walks())
    day = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, samples, (), (), (), None)
    assert day.source == "wearable"
    assert day.work_minutes == 480 and day.coverage == 1.0
    assert (day.sitting_min, day.moving_min, day.unknown_min) == (455, 25, 0)
    assert day.longest_bout_min == 120  # 10:05–12:05
    assert day.breaks == 5 and all(b.origin == "detected" for b in day.break_list)
    # Hours with a 5-min walk (400 steps) reach 250 steps: 10, 12, 13, 14, 16.
    assert day.active_hours == 5
    assert [h.hour_start.hour for h in day.hours if h.active] == [10, 12, 13, 14, 16]
    assert day.steps == 25 * WALK
    assert set(JSON_KEYS) <= set(day.as_json())
    assert list(day.as_json())[:6] == list(JSON_KEYS)


def test_iphone_and_watch_counting_the_same_steps_are_not_added():
    walks = desk_day_walks()
    watch = minute_samples(at(MONDAY, 9), at(MONDAY, 17), walks, "Apple Watch")
    # The iPhone writes coarser samples over the same walks: 400 steps over each 5-min walk.
    phone = [StepSample(a, b, 5 * WALK, "iPhone") for a, b in walks]
    both = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, watch + phone)
    alone = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, watch)
    assert both.steps == alone.steps == 25 * WALK
    assert both.as_json() == alone.as_json()
    # The same file imported twice is not counted twice either.
    assert sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, watch + watch).steps == 25 * WALK


def test_a_coarse_sample_is_spread_over_its_minutes():
    # 600 steps over 10 minutes is 60 steps/min: every one of those minutes is moving.
    sample = StepSample(at(MONDAY, 11), at(MONDAY, 11, 10), 600, "iPhone")
    zeros = minute_samples(at(MONDAY, 9), at(MONDAY, 17), [])
    day = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, [*zeros, sample])
    assert day.moving_min == 10
    assert day.steps == pytest.approx(600)


def test_a_day_total_is_not_spread_into_sedentary_minutes():
    # Garmin's monitoring_daily file: one 1440-min total of 8000 steps would be 5.6 steps/min, all "sedentary".
    total = StepSample(at(MONDAY, 0), at(MONDAY, 0) + timedelta(days=1), 8000, "vivofit")
    day = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, [total], self_reported_sitting_h=5)
    assert day.source == "self_reported" and any("too coarse" in n for n in day.notes)
    # A long stretch without a single step is still a stretch without a step.
    still = StepSample(at(MONDAY, 9), at(MONDAY, 11), 0, "vivosmart 4", "sedentary")
    assert sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, [still]).sitting_min == 120


def test_minutes_without_data_are_unknown_not_sitting():
    # Data only 09:00–12:00 (the phone then lay on the desk, or the watch was off).
    samples = minute_samples(at(MONDAY, 9), at(MONDAY, 12), [(at(MONDAY, 10), at(MONDAY, 10, 5))])
    day = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, samples)
    assert day.source == "wearable"
    assert day.sitting_min == 175 and day.moving_min == 5 and day.unknown_min == 300
    assert day.coverage == pytest.approx(180 / 480)
    assert day.longest_bout_min == 115  # 10:05–12:00, cut at the unknown minutes
    # Said once, as clock times: the afternoon the device saw nothing is not sitting.
    assert day.uncertainty is not None and "12:00–17:00" in day.uncertainty
    assert "not counted as sitting" in day.uncertainty
    assert not any("12:00" in n for n in day.notes)


def test_unknown_minutes_cut_a_bout_in_two():
    gap = (at(MONDAY, 11), at(MONDAY, 11, 20))
    samples = [s for s in minute_samples(at(MONDAY, 9), at(MONDAY, 17), []) if not gap[0] <= s.start < gap[1]]
    day = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, samples)
    assert day.unknown_min == 20 and day.longest_bout_min == 340  # 11:20–17:00
    assert day.breaks == 0


def test_stand_hours_only():
    hours = [StandHour(at(MONDAY, h), h >= 12, "Apple Watch") for h in range(9, 17)]
    day = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, (), hours)
    assert day.source == "stand_hours"
    # Every hour has a record, so the watch was on: all still minutes are sitting. The stood hours hold a stand
    # that hourly data cannot place, so they end the spell: the longest one is the idle 09–12.
    assert day.sitting_min == 480 and day.longest_bout_min == 180
    assert day.active_hours == 5 and day.breaks is None and day.moving_min is None
    assert day.sitting_min + day.unknown_min == day.work_minutes
    assert day.uncertainty is not None and "stand hours alone" in day.uncertainty
    morning = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, (), hours[:3])
    assert morning.sitting_min == 180 and morning.unknown_min == 300


def test_stand_hours_fill_in_between_apple_step_samples():
    # Apple only writes step samples when there are steps; a stand-hour record (idle or stood) says the watch was
    # worn that hour, so its still minutes are sitting (a stood hour is not "unknown": issue 16 item 9).
    walk = StepSample(at(MONDAY, 10), at(MONDAY, 10, 5), 5 * WALK, "Apple Watch")
    hours = [StandHour(at(MONDAY, 9), False, "Apple Watch"), StandHour(at(MONDAY, 10), True, "Apple Watch")]
    day = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, [walk], hours)
    assert day.source == "wearable"
    assert day.sitting_min == 60 + 55 and day.moving_min == 5 and day.breaks == 1
    assert day.longest_bout_min == 60  # 09:00–10:00
    assert day.unknown_min == 480 - 120 and day.worn_minutes == 120


def test_self_report_is_the_fallback():
    day = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, (), (), (), (), 6.5)
    assert (day.source, day.sitting_min, day.longest_bout_min, day.breaks) == ("self_reported", 390, None, None)
    capped = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, self_reported_sitting_h=11)
    assert capped.sitting_min == 480
    # A watch that saw only ten minutes does not outvote the check-in.
    few = minute_samples(at(MONDAY, 9), at(MONDAY, 9, 10), [])
    assert sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, few, self_reported_sitting_h=5).source == "self_reported"
    assert sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, few).source == "wearable"
    nothing = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE)
    assert nothing.source == "none" and nothing.sitting_min is None
    with pytest.raises(SittingError):
        sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, self_reported_sitting_h=-1)


def test_device_day_totals_are_kept_as_context_only():
    totals = [SedentaryDay("2025-03-10", 700, "Fitbit")]
    day = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, sedentary_days=totals, self_reported_sitting_h=4)
    assert day.device_sedentary_min == 700 and day.sitting_min == 240
    assert any("whole day" in n for n in day.notes)


def test_day_without_work_hours_measures_nothing():
    day = sitting_day(date(2025, 3, 15), BERLIN, None, minute_samples(at(MONDAY, 9), at(MONDAY, 10), []))
    assert day.source == "none" and day.work_minutes == 0


def test_logged_breaks_merge_with_detected_ones():
    samples = minute_samples(at(MONDAY, 9), at(MONDAY, 17), desk_day_walks())
    logs = [
        BreakLog(at(MONDAY, 10, 6), "done", "short_walk_break"),  # just after the 10:00 walk: the same break
        BreakLog(at(MONDAY, 10, 7), "done"),  # a double tap
        BreakLog(at(MONDAY, 15, 30), "done", "desk_hip_hitch_hold"),  # stood still: no steps, still a break
        BreakLog(at(MONDAY, 11, 0), "snoozed"),
    ]
    day = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, samples, (), logs)
    assert day.breaks == 6
    assert [b.origin for b in day.break_list].count("both") == 1
    assert [b.origin for b in day.break_list].count("logged") == 1
    assert day.logged_breaks == 3


def test_dst_days_in_berlin():
    spring = date(2025, 3, 30)  # 02:00 → 03:00
    samples = minute_samples(at(spring, 0), at(spring, 6), [])
    day = sitting_day(spring, BERLIN, (time(0), time(6)), samples)
    assert day.work_minutes == 300 and day.sitting_min == 300
    assert any("lasts 5 h" in n for n in day.notes)
    with pytest.raises(SittingError, match="does not exist"):
        sitting_day(spring, BERLIN, (time(2, 30), time(10)))
    autumn = date(2025, 10, 26)  # 03:00 → 02:00
    samples = minute_samples(at(autumn, 0), at(autumn, 6), [])
    day = sitting_day(autumn, BERLIN, (time(0), time(6)), samples)
    assert day.work_minutes == 420 and day.sitting_min == 420
    assert [h.hour_start.hour for h in day.hours] == [0, 1, 2, 2, 3, 4, 5]
    # An ordinary office day on a DST Sunday is 8 h, measured from the right UTC instants.
    office = sitting_day(spring, BERLIN, NINE_TO_FIVE, minute_samples(at(spring, 9), at(spring, 17), []))
    assert office.work_minutes == 480 and office.work_start == datetime(2025, 3, 30, 7, tzinfo=UTC)


def test_work_window_crossing_midnight():
    samples = minute_samples(at(MONDAY, 22), at(MONDAY + timedelta(days=1), 6), [])
    day = sitting_day(MONDAY, BERLIN, (time(22), time(6)), samples)
    assert day.work_minutes == 480 and day.sitting_min == 480
    assert any("crosses midnight" in n for n in day.notes)


@st.composite
def wearable_days(draw):
    start_h = draw(st.integers(0, 20))
    length_h = draw(st.integers(1, 12))
    work = (time(start_h), time((start_h + length_h) % 24))
    day = draw(st.dates(date(2024, 1, 1), date(2026, 12, 31)))
    zone = ZoneInfo(draw(st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])))
    origin = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    samples = []
    for _ in range(draw(st.integers(0, 25))):
        begin = origin + timedelta(minutes=draw(st.integers(-120, 36 * 60)))
        span = timedelta(seconds=draw(st.integers(0, 3 * 3600)))
        source = draw(st.sampled_from(["Watch", "iPhone", "vivosmart"]))
        samples.append(StepSample(begin, begin + span, draw(st.floats(0, 5000)), source))
    stand = [
        StandHour(origin + timedelta(hours=draw(st.integers(0, 30))), draw(st.booleans()), "Watch")
        for _ in range(draw(st.integers(0, 6)))
    ]
    report = draw(st.none() | st.floats(0, 24))
    return day, zone, work, samples, stand, report


@settings(max_examples=120, deadline=None)
@given(wearable_days())
def test_minute_accounting_invariants(case):
    day, zone, work, samples, stand, report = case
    try:
        result: SittingDay = sitting_day(day, zone, work, samples, stand, (), (), report)
    except SittingError:
        return  # a work start or end inside a DST gap is refused, by design
    assert result.source in ("wearable", "stand_hours", "self_reported", "none")
    if result.sitting_min is not None:
        assert result.sitting_min + (result.moving_min or 0) + result.unknown_min == result.work_minutes
        assert 0 <= result.sitting_min <= result.work_minutes
    if result.source in ("wearable", "stand_hours"):
        assert result.worn_minutes == result.sitting_min + (result.moving_min or 0)
        assert (result.uncertainty is not None) and (result.unknown_min == 0) == (
            "saw nothing" not in result.uncertainty
        )
    if result.longest_bout_min is not None:
        assert result.longest_bout_min <= result.sitting_min
    if result.active_hours is not None:
        assert result.active_hours <= len(result.hours)
    assert 0.0 <= result.coverage <= 1.0


# ---------------------------------------------------------------------------------------------------------------
# The desk-day note
# ---------------------------------------------------------------------------------------------------------------


def test_desk_day_note_is_context_not_a_verdict():
    samples = minute_samples(at(MONDAY, 9), at(MONDAY, 17), [(at(MONDAY, 12), at(MONDAY, 12, 5))])
    heavy = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, samples)
    note = desk_day_note(heavy, UpcomingRun(MONDAY + timedelta(days=1), long_run=True, distance_km=18))
    assert note is not None
    assert note.startswith("Context, not a verdict")
    assert "tomorrow's 18 km long run" in note and "longest spell 4 h 55 min" in note
    assert "fits the pattern" in note and "Source:" in note and "association only" in note
    assert "you have" not in note.lower()
    light = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, minute_samples(at(MONDAY, 9), at(MONDAY, 17), desk_day_walks()))
    assert light.sitting_min >= RULES.desk_heavy_sitting_min  # 455 min seated …
    assert desk_day_note(light, UpcomingRun(MONDAY)) is not None  # … is desk-heavy even with breaks
    short = sitting_day(MONDAY, BERLIN, (time(9), time(13)), minute_samples(at(MONDAY, 9), at(MONDAY, 13), []))
    assert desk_day_note(short, UpcomingRun(MONDAY)) is not None  # a 4 h spell
    assert desk_day_note(heavy, UpcomingRun(MONDAY + timedelta(days=3))) is None  # the run is far off
    assert desk_day_note(heavy, None) is None
    reported = sitting_day(MONDAY, BERLIN, NINE_TO_FIVE, self_reported_sitting_h=3)
    assert desk_day_note(reported, UpcomingRun(MONDAY)) is None


# ---------------------------------------------------------------------------------------------------------------
# The reminder schedule
# ---------------------------------------------------------------------------------------------------------------

SCHEDULE = WorkSchedule.from_profile(["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00", "Europe/Berlin")
FRIDAY, SATURDAY, NEXT_MONDAY = date(2025, 3, 14), date(2025, 3, 15), date(2025, 3, 17)


def test_reminders_inside_work_hours():
    assert next_reminder(at(MONDAY, 10), SCHEDULE, last_break=at(MONDAY, 9, 50)) == at(MONDAY, 10, 20)
    assert next_reminder(at(MONDAY, 9, 5), SCHEDULE) == at(MONDAY, 9, 30)  # the timer starts at work start
    # A break late in the day pushes past the end: the next one is tomorrow.
    assert next_reminder(at(MONDAY, 16, 50), SCHEDULE, last_break=at(MONDAY, 16, 45)) == at(MONDAY, 9, 30) + timedelta(
        days=1
    )


def test_quiet_outside_work_hours_and_weekends():
    assert next_reminder(at(MONDAY, 7), SCHEDULE) == at(MONDAY, 9, 30)
    assert next_reminder(at(FRIDAY, 18), SCHEDULE) == at(NEXT_MONDAY, 9, 30)
    assert next_reminder(at(SATURDAY, 11), SCHEDULE, last_break=at(FRIDAY, 16)) == at(NEXT_MONDAY, 9, 30)
    assert not SCHEDULE.in_work_hours(at(SATURDAY, 11))
    assert next_reminder(at(MONDAY, 10), None) is None
    none = WorkSchedule.from_profile(["mon"], None, None, "UTC")
    assert none is None


def test_snooze_done_and_unanswered():
    state = ReminderState(started_at=at(MONDAY, 8))
    result = step(state, at(MONDAY, 9, 30), Event.TICK, SCHEDULE)
    assert len(result.actions) == 1 and isinstance(result.actions[0], Prompt)
    first_move = result.actions[0].message.move_id
    assert result.wake_at == at(MONDAY, 10)  # unanswered: again one interval later
    snoozed = step(result.state, at(MONDAY, 9, 31), Event.SNOOZE, SCHEDULE)
    assert snoozed.wake_at == at(MONDAY, 9, 41)
    assert snoozed.actions == (Record(BreakLog(at(MONDAY, 9, 31), "snoozed", first_move)),)
    assert step(snoozed.state, at(MONDAY, 9, 40), Event.TICK, SCHEDULE).actions == ()
    again = step(snoozed.state, at(MONDAY, 9, 41), Event.TICK, SCHEDULE)
    assert isinstance(again.actions[0], Prompt)
    done = step(again.state, at(MONDAY, 9, 44), Event.DONE, SCHEDULE)
    assert done.wake_at == at(MONDAY, 10, 14)  # the timer restarts on "done"
    assert done.actions[0].log.outcome == "done" and done.actions[0].log.move_id == again.actions[0].message.move_id
    skipped = step(again.state, at(MONDAY, 9, 44), Event.SKIP, SCHEDULE)
    assert skipped.wake_at == at(MONDAY, 10, 14) and skipped.actions[0].log.outcome == "skipped"


def test_one_prompt_after_the_machine_wakes():
    state = step(ReminderState(started_at=at(MONDAY, 9)), at(MONDAY, 9, 30), Event.TICK, SCHEDULE).state
    # The laptop slept from 9:31 to 11:47: three intervals were missed, one prompt comes.
    woke = step(state, at(MONDAY, 11, 47), Event.TICK, SCHEDULE)
    assert len([a for a in woke.actions if isinstance(a, Prompt)]) == 1
    assert woke.wake_at == at(MONDAY, 12, 17)
    assert step(woke.state, at(MONDAY, 11, 47) + timedelta(seconds=30), Event.TICK, SCHEDULE).actions == ()
    # Slept through the evening: nothing at night, the next prompt is in the morning.
    night = step(state, at(MONDAY, 23), Event.TICK, SCHEDULE)
    assert night.actions == () and night.wake_at == at(MONDAY + timedelta(days=1), 9, 30)


def test_starting_mid_morning_does_not_prompt_at_once():
    result = step(ReminderState(started_at=at(MONDAY, 11)), at(MONDAY, 11), Event.TICK, SCHEDULE)
    assert result.actions == () and result.wake_at == at(MONDAY, 11, 30)


def test_state_from_the_break_log():
    logs = [BreakLog(at(MONDAY, 9, 30), "done", "short_walk_break"), BreakLog(at(MONDAY, 10, 2), "snoozed")]
    state = ReminderState.from_log(logs, at(MONDAY, 10, 5))
    assert state.snoozed_until == at(MONDAY, 10, 12) and state.rotation == 2
    assert next_reminder(at(MONDAY, 10, 5), SCHEDULE, snoozed_until=state.snoozed_until) == at(MONDAY, 10, 12)
    restored = step(state, at(MONDAY, 10, 5), Event.TICK, SCHEDULE)
    assert restored.actions == () and restored.wake_at == at(MONDAY, 10, 12)


def test_night_shift_window_crossing_midnight():
    nights = WorkSchedule.from_profile(["mon"], "22:00", "06:00", "Europe/Berlin")
    assert next_reminder(at(MONDAY, 22, 10), nights) == at(MONDAY, 22, 30)
    assert next_reminder(at(MONDAY, 23), nights) == at(MONDAY, 23)  # overdue since 22:30: once, now
    tuesday_3am = at(MONDAY + timedelta(days=1), 3)
    assert nights.in_work_hours(tuesday_3am)
    assert next_reminder(tuesday_3am, nights, last_break=at(MONDAY + timedelta(days=1), 2, 50)) == at(
        MONDAY + timedelta(days=1), 3, 20
    )


@st.composite
def schedules_and_moments(draw):
    days = draw(st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, unique=True))
    start = draw(st.integers(0, 23 * 60 + 59))
    length = draw(st.integers(31, 16 * 60))
    end = (start + length) % (24 * 60)
    zone = draw(st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]))
    schedule = WorkSchedule.from_profile(
        days, f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}", zone
    )
    base = datetime(2025, 1, 1, tzinfo=UTC)
    now = base + timedelta(minutes=draw(st.integers(0, 365 * 24 * 60)))
    offsets = st.none() | st.integers(-3000, 3000).map(lambda m: now + timedelta(minutes=m))
    return schedule, now, draw(offsets), draw(offsets), draw(offsets)


@settings(max_examples=200, deadline=None)
@given(schedules_and_moments())
def test_next_reminder_is_never_outside_work_hours(case):
    schedule, now, last_break, last_prompt, snoozed = case
    due = next_reminder(now, schedule, last_break=last_break, last_prompt=last_prompt, snoozed_until=snoozed)
    assert due is not None  # every schedule here has a window longer than the interval within a week
    assert due >= now
    assert schedule.in_work_hours(due)


# ---------------------------------------------------------------------------------------------------------------
# Prompt texts
# ---------------------------------------------------------------------------------------------------------------


def test_moves_rotate_through_the_library():
    ids = [e.id for e in by_kind("sitting_break")]
    assert {"short_walk_break", "desk_hip_hitch_hold", "standing_glute_squeeze"} <= set(ids)
    assert [pick_move(i).id for i in range(len(ids) * 2)] == ids * 2
    state, seen = ReminderState(started_at=at(MONDAY, 8)), []
    for minute in range(9 * 60 + 30, 17 * 60, 30):
        now = at(MONDAY, minute // 60, minute % 60)
        result = step(state, now, Event.TICK, SCHEDULE)
        state = step(result.state, now, Event.DONE, SCHEDULE).state
        seen += [a.message.move_id for a in result.actions if isinstance(a, Prompt)]
    assert seen == (ids * 3)[: len(seen)] and len(seen) == 15


def test_message_says_what_why_and_source():
    for i in range(len(by_kind("sitting_break"))):
        message = reminder_message(index=i, since_break_min=45)
        assert message.title == "Time to get up (45 min without a break)"
        assert "Why:" in message.body and "Source:" in message.body and "Buckley" in message.body
        assert "\n" not in message.line
    hitch = reminder_message(pick_move(1))
    assert hitch.move_id == "desk_hip_hitch_hold" and "3 × 15 s hold each side" in hitch.body


# ---------------------------------------------------------------------------------------------------------------
# Service files
# ---------------------------------------------------------------------------------------------------------------

ODD_EXE = Path("/opt/my apps/100% $HOME/bin/gluteguard")
ODD_DB = '/home/r/My Data/gg "main" $HOME 50%.db'


def _systemd_exec_argv(unit: str) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keep systemd's key case
    parser.read_string(unit)
    assert parser["Service"]["Restart"] == "on-failure"
    assert parser["Install"]["WantedBy"] == "default.target"
    words = shlex.split(parser["Service"]["ExecStart"])  # same quoting rules for "…" with \" and \\
    unescaped = [w.replace("%%", "%") for w in words]
    return [unescaped[0], *[w.replace("$$", "$") for w in unescaped[1:]]]


def test_systemd_unit_is_valid_ini_with_quoted_paths():
    unit = service_unit.render_systemd_unit(ODD_EXE, ODD_DB)
    assert _systemd_exec_argv(unit) == [str(ODD_EXE), "--db", ODD_DB, "remind"]
    with pytest.raises(service_unit.ServiceError, match="quotes"):
        service_unit.render_systemd_unit('/opt/it"s/gluteguard')
    with pytest.raises(service_unit.ServiceError, match="absolute"):
        service_unit.render_systemd_unit("gluteguard")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_the_unit(tmp_path):
    exe = tmp_path / "my apps" / "100% $HOME" / "gluteguard"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    unit = tmp_path / service_unit.UNIT_NAME
    unit.write_text(service_unit.render_systemd_unit(exe, ODD_DB))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_launchd_plist_round_trips():
    data = service_unit.render_launchd_plist(Path("/Users/r/App Stuff/<&>/gluteguard"), ODD_DB, "/Users/r/Library/Logs")
    plist = plistlib.loads(data)
    assert plist["Label"] == "org.gluteguard.remind"
    assert plist["ProgramArguments"] == ["/Users/r/App Stuff/<&>/gluteguard", "--db", ODD_DB, "remind"]
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["StandardOutPath"] == "/Users/r/Library/Logs/gluteguard-remind.log"


def test_install_and_remove_write_and_delete_the_file(tmp_path):
    home = tmp_path / "home with space"
    exe = tmp_path / "venv dir" / "bin" / "gluteguard"
    linux = service_unit.install_service(exe, str(tmp_path / "g.db"), platform="linux", home=home)
    assert linux.path == home / ".config" / "systemd" / "user" / "gluteguard-remind.service"
    assert linux.path.is_file() and not linux.ran
    assert linux.command_line == (
        "systemctl --user daemon-reload && systemctl --user enable --now gluteguard-remind.service"
        " && systemctl --user restart gluteguard-remind.service"
    )
    wants = linux.path.parent / "default.target.wants" / service_unit.UNIT_NAME
    wants.parent.mkdir()
    wants.symlink_to(linux.path)
    removed = service_unit.remove_service(platform="linux", home=home)
    assert not linux.path.exists() and not wants.is_symlink()
    assert removed.commands[0] == ("systemctl", "--user", "stop", service_unit.UNIT_NAME)

    mac = service_unit.install_service(exe, None, platform="darwin", home=home)
    assert mac.path == home / "Library" / "LaunchAgents" / "org.gluteguard.remind.plist"
    assert shlex.split(mac.command_line) == ["launchctl", "load", "-w", str(mac.path)]
    assert plistlib.loads(mac.path.read_bytes())["ProgramArguments"] == [str(exe), "remind"]
    service_unit.remove_service(platform="darwin", home=home)
    assert not mac.path.exists()

    with pytest.raises(service_unit.ServiceError, match=r"Linux .* and macOS"):
        service_unit.install_service(exe, platform="win32", home=home)


def test_failed_commands_are_reported_in_one_line():
    missing = service_unit.run_commands([("gluteguard-no-such-tool", "x")])
    assert missing == ("`gluteguard-no-such-tool x` failed: gluteguard-no-such-tool is not installed",)
    failed = service_unit.run_commands([(sys.executable, "-c", "import sys; sys.exit('boom')"), ("true",)])
    assert len(failed) == 1 and "exit 1" in failed[0] and "boom" in failed[0]


# ---------------------------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------------------------

SEND = textwrap.dedent(
    """
    import sys
    from gluteguard.sitting.notify import send_reminder
    result = send_reminder("Time to get up", "Short walk break: 3 min.", wait_s=float(sys.argv[1]))
    print("RESULT", result.channel, result.buttons, result.answer)
    print("LOADED", "desktop_notifier" in sys.modules)
    """
)


def _send_in_subprocess(env: dict[str, str], wait_s: float = 0.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SEND, str(wait_s)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _env_without_bus(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY")}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)  # no "bus" socket in there
    return env


def test_import_is_lazy():
    done = subprocess.run(
        [sys.executable, "-c", "import sys, gluteguard.sitting.notify; print('desktop_notifier' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "False"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="D-Bus fallback is Linux behaviour")
def test_without_dbus_the_prompt_goes_to_the_terminal(tmp_path):
    done = _send_in_subprocess(_env_without_bus(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "Time to get up: Short walk break: 3 min." in done.stdout
    assert "no desktop notification: no D-Bus session bus" in done.stdout
    assert "RESULT terminal False None" in done.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="D-Bus fallback is Linux behaviour")
def test_a_dead_bus_address_falls_back_too(tmp_path):
    env = _env_without_bus(tmp_path)
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={tmp_path / 'gone'}"
    done = _send_in_subprocess(env)
    assert done.returncode == 0, done.stderr
    assert "RESULT terminal False None" in done.stdout and "no notification service" in done.stdout


FAKE_SERVER = textwrap.dedent(
    """
    # A minimal freedesktop notification server: it presses the "Done" button of each notification.
    import asyncio
    from dbus_fast.aio import MessageBus
    from dbus_fast.service import ServiceInterface, method, signal

    class Notifications(ServiceInterface):
        def __init__(self):
            super().__init__("org.freedesktop.Notifications")
            self.count = 0

        @method()
        def GetCapabilities(self) -> "as":
            return ["actions", "body"]

        @method()
        def GetServerInformation(self) -> "ssss":
            return ["fake", "gluteguard-tests", "1", "1.2"]

        @method()
        def Notify(self, app: "s", replaces: "u", icon: "s", summary: "s", body: "s", actions: "as",
                   hints: "a{sv}", timeout: "i") -> "u":
            self.count += 1
            key_by_title = dict(zip(actions[1::2], actions[0::2]))
            nid = self.count
            asyncio.get_running_loop().call_later(0.3, self.ActionInvoked, nid, key_by_title["Done"])
            return nid

        @method()
        def CloseNotification(self, nid: "u"):
            pass

        @signal()
        def ActionInvoked(self, nid, key) -> "us":
            return [nid, key]

        @signal()
        def NotificationClosed(self, nid, reason) -> "uu":
            return [nid, reason]

    async def main():
        bus = await MessageBus().connect()
        bus.export("/org/freedesktop/Notifications", Notifications())
        await bus.request_name("org.freedesktop.Notifications")
        print("READY", flush=True)
        await asyncio.sleep(60)

    asyncio.run(main())
    """
)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("dbus-daemon") is None, reason="needs dbus-daemon"
)
def test_done_button_on_a_real_session_bus(tmp_path):
    config = tmp_path / "session.conf"
    socket = tmp_path / "bus"
    config.write_text(
        "<!DOCTYPE busconfig PUBLIC '-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN'"
        " 'http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd'>"
        f"<busconfig><type>session</type><listen>unix:path={socket}</listen>"
        "<policy context='default'><allow send_destination='*' eavesdrop='true'/><allow eavesdrop='true'/>"
        "<allow own='*'/></policy></busconfig>"
    )
    daemon = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork"], stderr=subprocess.PIPE)
    server = None
    try:
        deadline = clock.monotonic() + 10
        while not socket.exists() and clock.monotonic() < deadline:
            clock.sleep(0.05)
        env = _env_without_bus(tmp_path)
        env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={socket}"
        # A bus without a notification service (a bare window manager): the terminal takes over at once.
        bare = _send_in_subprocess(env)
        assert "RESULT terminal False None" in bare.stdout and "org.freedesktop.Notifications" in bare.stdout
        server = subprocess.Popen(
            [sys.executable, "-c", FAKE_SERVER], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert server.stdout.readline().strip() == "READY"
        done = _send_in_subprocess(env, wait_s=10)
        assert done.returncode == 0, done.stderr
        assert "RESULT desktop True done" in done.stdout
    finally:
        for process in (server, daemon):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
