"""One work day's sitting metrics from wearable minutes, stand hours, logged breaks or a check-in (pure).

Method (numbers and their sources in ``rules.toml``):

1. The work window is built in the runner's zone and turned into UTC minutes, so a DST day has its real length
   (a 23 h or 25 h day) and a window crossing midnight ends on the next calendar day. A start or end that does
   not exist on that day (inside the spring-forward gap) is refused with a clear message.
2. Each step sample is spread evenly over the minutes it spans (one vectorised overlap matrix per device).
   Devices counting the same footsteps (iPhone and Watch) are combined per minute with the **max**, not the sum.
3. Each minute is moving (≥ the step-rate threshold), sitting (data present and fewer steps, or a still minute
   while the watch was **worn**) or **unknown** (nothing shows the watch was on). Worn: a stand-hour record (stood or
   idle) covers its clock hour, and a short blank between two samples of a watch that writes samples only while its
   wearer steps (Apple) is still time with the watch on. A phone's blanks say nothing (it lies on the desk while its
   owner walks away), nor do the blanks of a device that writes its still time itself (Garmin, Fitbit): unknown is
   never sitting.
4. Sitting spells end at any moving or unknown minute (so the longest spell is never inflated), and inside a stood
   hour without a step (the stand happened there, at a time steps cannot place). Every movement burst of at least
   the minimum length in work hours is a break when enough still work time came before it (bursts closer than that
   are one walk with a pause); a logged "done" within the merge window of such a burst is the same break, otherwise
   an extra one.
5. Active hours are clock hours touching the work window with a stand hour or ≥ 250 steps.
6. ``source`` names what decided: ``wearable`` (step samples), ``stand_hours`` (hourly Apple data only),
   ``self_reported`` (the check-in's sitting hours, when the devices saw too little), or ``none``. What is uncertain
   is said once, in ``uncertainty`` (plain words for the runner), not spread over the notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from gluteguard.ingest.wearable import SedentaryDay, StandHour, StepSample
from gluteguard.sitting.minutes import duration_words, interval_cover, minute_steps, runs_of, worn_gaps
from gluteguard.sitting.model import BreakLog, SittingError
from gluteguard.sitting.rules import SittingRules, load_rules

SOURCES = ("wearable", "stand_hours", "self_reported", "none")
JSON_KEYS = ("date", "sitting_min", "longest_bout_min", "breaks", "active_hours", "source")

# Minute classes in the per-minute code array.
UNKNOWN, SEDENTARY, MOVING, OUTSIDE = 0, 1, 2, 3


@dataclass(frozen=True)
class HourDetail:
    """One local clock hour touching the work window, for a chart."""

    hour_start: datetime  # local, tz-aware
    work_min: int
    steps: float
    moving_min: int
    sedentary_min: int
    unknown_min: int
    stood: bool | None  # Apple stand hour, None when there is no record
    active: bool


@dataclass(frozen=True)
class BreakBout:
    """A break from sitting: seen by a device, logged by the runner, or both (counted once)."""

    start: datetime  # UTC
    end: datetime  # UTC
    origin: str  # detected | logged | both

    @property
    def minutes(self) -> int:
        return round((self.end - self.start).total_seconds() / 60)


@dataclass(frozen=True)
class SittingDay:
    """Sitting metrics for one work day. The first six fields are the JSON contract (``as_json``)."""

    date: date
    sitting_min: int | None
    longest_bout_min: int | None
    breaks: int | None
    active_hours: int | None
    source: str
    work_minutes: int = 0
    moving_min: int | None = None
    unknown_min: int = 0
    coverage: float = 0.0  # share of work minutes with any wearable data
    steps: float | None = None  # steps in the work window (max across devices)
    work_start: datetime | None = None  # UTC
    work_end: datetime | None = None  # UTC
    logged_breaks: int = 0
    upright_target_min: int = 0
    device_sedentary_min: float | None = None  # a device's whole-day total, not only work hours
    hours: tuple[HourDetail, ...] = ()
    break_list: tuple[BreakBout, ...] = ()
    notes: tuple[str, ...] = field(default=())
    worn_minutes: int = 0  # work minutes the device shows it was on (sitting + moving)
    uncertainty: str | None = None  # what the figures cannot tell, said once in plain words

    def as_json(self) -> dict:
        """The contract keys first, then the extras, all JSON-ready."""
        out: dict = {
            "date": self.date.isoformat(),
            "sitting_min": self.sitting_min,
            "longest_bout_min": self.longest_bout_min,
            "breaks": self.breaks,
            "active_hours": self.active_hours,
            "source": self.source,
            "work_minutes": self.work_minutes,
            "moving_min": self.moving_min,
            "unknown_min": self.unknown_min,
            "coverage": round(self.coverage, 3),
            "steps": None if self.steps is None else round(self.steps),
            "work_start": self.work_start.isoformat() if self.work_start else None,
            "work_end": self.work_end.isoformat() if self.work_end else None,
            "logged_breaks": self.logged_breaks,
            "upright_target_min": self.upright_target_min,
            "device_sedentary_min": self.device_sedentary_min,
            "hours": [
                {
                    "hour_start": h.hour_start.isoformat(),
                    "work_min": h.work_min,
                    "steps": round(h.steps),
                    "moving_min": h.moving_min,
                    "sedentary_min": h.sedentary_min,
                    "unknown_min": h.unknown_min,
                    "stood": h.stood,
                    "active": h.active,
                }
                for h in self.hours
            ],
            "break_list": [
                {"start": b.start.isoformat(), "end": b.end.isoformat(), "origin": b.origin} for b in self.break_list
            ],
            "notes": list(self.notes),
            "worn_minutes": self.worn_minutes,
            "uncertainty": self.uncertainty,
        }
        return out


# ---------------------------------------------------------------------------------------------------------------
# The work window
# ---------------------------------------------------------------------------------------------------------------


def _local(day: date, clock: time, zone: ZoneInfo, what: str) -> datetime:
    """A wall-clock time on ``day`` in ``zone``; refuses times that do not exist (spring-forward gap)."""
    if clock.second or clock.microsecond:
        raise SittingError(f"{what} {clock.isoformat()} must be whole minutes")
    wall = datetime.combine(day, clock.replace(tzinfo=None))
    aware = wall.replace(tzinfo=zone)
    # A non-existent wall time does not survive a round trip through UTC.
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        raise SittingError(
            f"{what} {clock:%H:%M} does not exist on {day.isoformat()} in {zone.key} (the clocks jump forward); "
            "move the work hours out of the gap"
        )
    return aware


def work_window(day: date, zone: ZoneInfo, work: tuple[time, time]) -> tuple[datetime, datetime, list[str]]:
    """The work window of ``day`` as UTC instants, plus notes (DST, crossing midnight).

    An end at or before the start means the window crosses midnight and ends on the next day.
    """
    start_clock, end_clock = work
    if start_clock == end_clock:
        raise SittingError("work start and end are the same time; a work window needs a length")
    notes: list[str] = []
    start = _local(day, start_clock, zone, "work start")
    end_day = day + timedelta(days=1) if end_clock <= start_clock else day
    end = _local(end_day, end_clock, zone, "work end")
    if end_day != day:
        notes.append(f"The work window crosses midnight and ends on {end_day.isoformat()}.")
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    wall_minutes = (datetime.combine(end_day, end_clock) - datetime.combine(day, start_clock)).total_seconds() / 60
    real_minutes = (end_utc - start_utc).total_seconds() / 60
    if real_minutes != wall_minutes:
        notes.append(
            f"Clocks change inside the work window: it lasts {real_minutes / 60:g} h, not {wall_minutes / 60:g} h."
        )
    for moment in (start, end):
        if moment.replace(fold=1).utcoffset() != moment.utcoffset():
            notes.append(f"{moment:%H:%M} happens twice on this day (clocks go back); the first one is used.")
    return start_utc, end_utc, notes


def _merge_logged(
    detected: list[BreakBout], logged: list[datetime], rules: SittingRules
) -> tuple[list[BreakBout], list[str]]:
    """Detected bouts plus logged "done" times, each real break counted once."""
    window = timedelta(minutes=rules.merge_window_min)
    bouts = list(detected)
    notes: list[str] = []
    kept_logs: list[datetime] = []
    for at in sorted(logged):
        if kept_logs and at - kept_logs[-1] <= window:
            continue  # a double tap on "done" is one break
        kept_logs.append(at)
        match = next(
            (i for i, b in enumerate(bouts) if b.origin == "detected" and b.start - window <= at <= b.end + window),
            None,
        )
        if match is not None:
            b = bouts[match]
            bouts[match] = BreakBout(b.start, b.end, "both")
        else:
            bouts.append(BreakBout(at, at + timedelta(minutes=rules.min_break_min), "logged"))
    logged_only = sum(1 for b in bouts if b.origin == "logged")
    if logged_only:
        notes.append(f"{logged_only} logged break(s) the devices did not see (standing still takes no steps).")
    return sorted(bouts, key=lambda b: b.start), notes


# ---------------------------------------------------------------------------------------------------------------
# The day
# ---------------------------------------------------------------------------------------------------------------


def sitting_day(
    day: date,
    zone: ZoneInfo,
    work: tuple[time, time] | None,
    steps: Sequence[StepSample] = (),
    stand_hours: Sequence[StandHour] = (),
    breaks: Sequence[BreakLog] = (),
    sedentary_days: Sequence[SedentaryDay] = (),
    self_reported_sitting_h: float | None = None,
    rules: SittingRules | None = None,
) -> SittingDay:
    """Sitting metrics for ``day``'s work window (see the module docstring for the method).

    ``work`` is the profile's (start, end) wall-clock times, or None for a day without work hours: then nothing is
    measured (source ``none``), because every rule here is about seated work time.
    """
    rules = rules or load_rules()
    if self_reported_sitting_h is not None and not 0 <= self_reported_sitting_h <= 24:
        raise SittingError(f"self-reported sitting {self_reported_sitting_h} h is outside 0–24 h")
    device_total = _device_sedentary(day, sedentary_days)
    base_notes = [] if device_total is None else [_device_note(device_total)]
    if work is None:
        return SittingDay(
            date=day,
            sitting_min=None,
            longest_bout_min=None,
            breaks=None,
            active_hours=None,
            source="none",
            upright_target_min=rules.upright_target_min,
            device_sedentary_min=device_total,
            notes=(*base_notes, rules.wording["no_work_hours"]),
        )

    start_utc, end_utc, window_notes = work_window(day, zone, work)
    notes = [*window_notes, *base_notes]
    start_local, end_local = start_utc.astimezone(zone), end_utc.astimezone(zone)
    # The grid runs over whole local clock hours around the window, so hourly numbers (stand hours, 250 steps in
    # the hour) see the full hour even when work starts at 08:30.
    grid_start = start_utc - timedelta(minutes=start_local.minute)
    grid_end = end_utc + timedelta(minutes=(60 - end_local.minute) % 60)
    n = round((grid_end - grid_start).total_seconds() / 60)
    edges = grid_start.timestamp() + 60.0 * np.arange(n + 1)
    minute_index = np.arange(n)
    first_work = round((start_utc - grid_start).total_seconds() / 60)
    work_minutes = round((end_utc - start_utc).total_seconds() / 60)
    in_work = (minute_index >= first_work) & (minute_index < first_work + work_minutes)

    step_count, covered, too_coarse = minute_steps(steps, edges, rules.max_spread_min * 60.0)
    if too_coarse:
        notes.append(
            f"{too_coarse} step sample(s) longer than {rules.max_spread_min:g} min were left out: "
            "too coarse to tell when the steps were taken."
        )
    moving = step_count >= rules.moving_steps_per_min
    # Steps prove the device was carried even when the sample covers little of the minute.
    observed = (covered >= rules.min_cover_share * 60.0) | moving
    has_steps = bool((observed & in_work).any())
    # Still minutes between a watch's own samples: worn, so sitting (see worn_gaps).
    bridged = covered + interval_cover(worn_gaps(steps, rules), edges)
    observed |= bridged >= rules.min_cover_share * 60.0

    stood_by_hour: dict[int, bool] = {}
    for record in stand_hours:
        offset = (record.hour_start.astimezone(UTC) - grid_start).total_seconds() / 60
        if 0 <= offset < n:
            hour = int(offset // 60)
            stood_by_hour[hour] = stood_by_hour.get(hour, False) or record.stood
    # A stood hour without a single moving minute holds a stand that steps cannot place: it ends the sitting spell.
    spell_cut = np.zeros(n, dtype=bool)
    for hour, stood in stood_by_hour.items():
        span = slice(hour * 60, (hour + 1) * 60)
        if rules.stand_hour_means_worn:
            observed[span] = True
        if stood and not moving[span].any():
            spell_cut[span] = True

    codes = np.where(moving, MOVING, np.where(observed, SEDENTARY, UNKNOWN))
    codes = np.where(in_work, codes, OUTSIDE)
    sitting = int((codes == SEDENTARY).sum())
    moving_min = int((codes == MOVING).sum())
    unknown = int((codes == UNKNOWN).sum())
    coverage = (sitting + moving_min) / work_minutes
    has_stand = any(first_work // 60 <= h <= (first_work + work_minutes - 1) // 60 for h in stood_by_hour)

    hours = _hours(n, grid_start, zone, in_work, codes, step_count, stood_by_hour, rules)
    logged = [
        b.at.astimezone(UTC) for b in breaks if b.outcome == "done" and start_utc <= b.at.astimezone(UTC) < end_utc
    ]
    common = {
        "date": day,
        "work_minutes": work_minutes,
        "work_start": start_utc,
        "work_end": end_utc,
        "logged_breaks": len(logged),
        "upright_target_min": rules.upright_target_min,
        "device_sedentary_min": device_total,
        "hours": hours,
    }
    wording = rules.wording
    unseen = _unseen(codes, grid_start, zone, rules)

    enough = coverage >= rules.min_wearable_coverage or self_reported_sitting_h is None
    if (has_steps or has_stand) and enough:
        spell_codes = np.where(spell_cut & (codes == SEDENTARY), OUTSIDE, codes)
        longest = max((length for code, _, length in runs_of(spell_codes) if code == SEDENTARY), default=0)
        active = sum(1 for h in hours if h.active)
        if has_steps:
            evidence = wording["evidence_steps_and_stand_hours"] if has_stand else wording["evidence_steps"]
            detected = _detected_breaks(codes, first_work, grid_start, rules)
            bouts, merge_notes = _merge_logged(detected, logged, rules)
            notes.extend(merge_notes)
            return SittingDay(
                sitting_min=sitting,
                longest_bout_min=longest,
                breaks=len(bouts),
                active_hours=active,
                source="wearable",
                moving_min=moving_min,
                unknown_min=unknown,
                coverage=coverage,
                steps=float(step_count[in_work].sum()),
                break_list=tuple(bouts),
                notes=tuple(notes),
                worn_minutes=sitting + moving_min,
                uncertainty=_sentences(wording["method"].format(evidence=evidence), unseen),
                **common,
            )
        return SittingDay(
            sitting_min=sitting,
            longest_bout_min=longest,
            breaks=None,
            active_hours=active,
            source="stand_hours",
            moving_min=None,
            unknown_min=work_minutes - sitting,
            coverage=coverage,
            notes=tuple(notes),
            worn_minutes=sitting,
            uncertainty=_sentences(wording["stand_hours_only"], unseen),
            **common,
        )

    if self_reported_sitting_h is not None:
        reported = min(round(self_reported_sitting_h * 60), work_minutes)
        if coverage:
            notes.append(f"The devices saw only {coverage:.0%} of the work window, so the check-in decides.")
        return SittingDay(
            sitting_min=reported,
            longest_bout_min=None,
            breaks=None,
            active_hours=None,
            source="self_reported",
            unknown_min=work_minutes - reported,
            coverage=coverage,
            notes=tuple(notes),
            uncertainty=wording["self_reported"],
            **{**common, "hours": ()},
        )

    notes.append(wording["no_data"])
    return SittingDay(
        sitting_min=None,
        longest_bout_min=None,
        breaks=None,
        active_hours=None,
        source="none",
        unknown_min=work_minutes,
        notes=tuple(notes),
        **{**common, "hours": ()},
    )


def _sentences(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def _unseen(codes: np.ndarray, grid_start: datetime, zone: ZoneInfo, rules: SittingRules) -> str | None:
    """The work time nothing saw, as local clock ranges in one sentence, or None when the watch saw it all."""
    gaps = [(first, length) for code, first, length in runs_of(codes) if code == UNKNOWN]
    if not gaps:
        return None
    total = duration_words(sum(length for _, length in gaps))
    if len(gaps) > rules.wording["unseen_ranges_max"]:
        return rules.wording["unseen_many"].format(count=len(gaps), total=total)

    def clock(minute: int) -> str:
        return f"{(grid_start + timedelta(minutes=minute)).astimezone(zone):%H:%M}"

    ranges = [f"{clock(first)}–{clock(first + length)}" for first, length in gaps]
    joined = ranges[0] if len(ranges) == 1 else ", ".join(ranges[:-1]) + " and " + ranges[-1]
    return rules.wording["unseen"].format(ranges=joined, total=total)


def _detected_breaks(codes: np.ndarray, first_work: int, grid_start: datetime, rules: SittingRules) -> list[BreakBout]:
    """Every movement burst in work hours with enough still work time before it (sitting or unseen: Fitbit's
    "stationary" is ≥ 10 min). Moving minutes closer together than that are one burst (a walk with a pause); a
    burst needs at least the minimum break length of moving minutes. The walk in at work start has no still work
    time before it, so it is no break."""
    moving = np.flatnonzero(codes == MOVING)  # moving minutes lie in work hours only (others are OUTSIDE)
    if not moving.size:
        return []
    split = np.flatnonzero(np.diff(moving) - 1 >= rules.break_after_sedentary_min) + 1
    found: list[BreakBout] = []
    previous_end = first_work
    for burst in np.split(moving, split):
        first, last = int(burst[0]), int(burst[-1]) + 1
        if burst.size >= rules.min_break_min and first - previous_end >= rules.break_after_sedentary_min:
            found.append(
                BreakBout(grid_start + timedelta(minutes=first), grid_start + timedelta(minutes=last), "detected")
            )
        previous_end = last
    return found


def _hours(
    n: int,
    grid_start: datetime,
    zone: ZoneInfo,
    in_work: np.ndarray,
    codes: np.ndarray,
    step_count: np.ndarray,
    stood_by_hour: dict[int, bool],
    rules: SittingRules,
) -> tuple[HourDetail, ...]:
    out: list[HourDetail] = []
    for hour in range(n // 60):
        span = slice(hour * 60, (hour + 1) * 60)
        work_min = int(in_work[span].sum())
        if not work_min:
            continue
        hour_codes = codes[span]
        steps = float(step_count[span].sum())
        stood = stood_by_hour.get(hour)
        out.append(
            HourDetail(
                hour_start=(grid_start + timedelta(hours=hour)).astimezone(zone),
                work_min=work_min,
                steps=steps,
                moving_min=int((hour_codes == MOVING).sum()),
                sedentary_min=int((hour_codes == SEDENTARY).sum()),
                unknown_min=int((hour_codes == UNKNOWN).sum()),
                stood=stood,
                active=bool(stood) or steps >= rules.stand_hour_min_steps,
            )
        )
    return tuple(out)


def _device_sedentary(day: date, sedentary_days: Sequence[SedentaryDay]) -> float | None:
    values = [d.sedentary_min for d in sedentary_days if d.day == day.isoformat()]
    return max(values) if values else None


def _device_note(total: float) -> str:
    return f"The device reported {total:.0f} sedentary minutes for the whole day (not only work hours)."
