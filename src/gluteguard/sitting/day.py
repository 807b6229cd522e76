"""One work day's sitting metrics from wearable minutes, stand hours, logged breaks or a check-in (pure).

Method (numbers and their sources in ``rules.toml``):

1. The work window is built in the runner's zone and turned into UTC minutes, so a DST day has its real length
   (a 23 h or 25 h day) and a window crossing midnight ends on the next calendar day. A start or end that does
   not exist on that day (inside the spring-forward gap) is refused with a clear message.
2. Each step sample is spread evenly over the minutes it spans (one vectorised overlap matrix per device).
   Devices counting the same footsteps (iPhone and Watch) are combined per minute with the **max**, not the sum.
3. Each minute is moving (≥ the step-rate threshold), sedentary (data present, fewer steps) or **unknown** (no
   data). Unknown is never sedentary: a phone on the desk records nothing while its owner walks away. Minutes of
   an Apple "idle" stand hour without step samples count as sedentary (worn, not standing).
4. Sedentary bouts end at any moving or unknown minute (unknown ends them so the longest bout is never inflated).
   A break is a moving bout of ≥ the minimum length after a stationary spell; a logged "done" within the merge
   window of such a bout is the same break, otherwise an extra one.
5. Active hours are clock hours touching the work window with a stand hour or ≥ 250 steps.
6. ``source`` names what decided: ``wearable`` (step samples), ``stand_hours`` (hourly Apple data only),
   ``self_reported`` (the check-in's sitting hours, when the devices saw too little), or ``none``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np

from gluteguard.ingest.wearable import SedentaryDay, StandHour, StepSample
from gluteguard.sitting.model import BreakLog
from gluteguard.sitting.rules import SittingRules, load_rules

SOURCES = ("wearable", "stand_hours", "self_reported", "none")
JSON_KEYS = ("date", "sitting_min", "longest_bout_min", "breaks", "active_hours", "source")

# Minute classes in the per-minute code array.
UNKNOWN, SEDENTARY, MOVING, OUTSIDE = 0, 1, 2, 3


class SittingError(ValueError):
    """The day cannot be measured as asked (e.g. a work start inside a DST gap); the message is one line."""


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
class UpcomingRun:
    """The next planned or recorded run, as much as the desk-day note needs."""

    day: date
    long_run: bool = False
    distance_km: float | None = None


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


# ---------------------------------------------------------------------------------------------------------------
# Minutes from samples
# ---------------------------------------------------------------------------------------------------------------


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise SittingError(f"naive datetime {moment.isoformat()}: the sitting model needs tz-aware UTC times")
    return moment.timestamp()


def minute_steps(
    samples: Sequence[StepSample], edges: np.ndarray, max_spread_s: float = float("inf")
) -> tuple[np.ndarray, np.ndarray, int]:
    """Steps and covered seconds per minute (between consecutive ``edges``, epoch seconds), max across devices,
    and how many samples were too coarse to place (longer than ``max_spread_s`` and with steps).

    Each sample's steps are spread evenly over its span. Within one device overlapping samples add up (exact
    duplicates, e.g. a file imported twice, are dropped); across devices the per-minute maximum is kept because two
    devices worn together count the same footsteps.
    """
    n = len(edges) - 1
    steps = np.zeros(n)
    cover = np.zeros(n)
    lo, hi = edges[:-1], edges[1:]
    by_source: dict[str, set[tuple[float, float, float]]] = {}
    too_coarse = 0
    for s in samples:
        start, end = _epoch(s.start), _epoch(s.end)
        if end < start or s.steps < 0:
            continue  # a broken sample says nothing reliable
        instant_inside = start == end and edges[0] <= start < edges[-1]
        if (end <= edges[0] or start >= edges[-1]) and not instant_inside:
            continue
        if end - start > max_spread_s and s.steps > 0:
            too_coarse += 1
            continue
        by_source.setdefault(s.source, set()).add((start, end, float(s.steps)))
    for rows in by_source.values():
        arr = np.array(sorted(rows))
        start, end, count = arr[:, 0], arr[:, 1], arr[:, 2]
        # An instant sample (start == end) gets a one-second span so its steps land in the minute that holds it.
        end = np.where(end > start, end, start + 1.0)
        overlap = np.clip(np.minimum(end[:, None], hi[None, :]) - np.maximum(start[:, None], lo[None, :]), 0.0, None)
        source_steps = (overlap * (count / (end - start))[:, None]).sum(axis=0)
        source_cover = np.minimum(overlap.sum(axis=0), 60.0)
        steps = np.maximum(steps, source_steps)
        cover = np.maximum(cover, source_cover)
    return steps, cover, too_coarse


def _runs(codes: np.ndarray) -> list[tuple[int, int, int]]:
    """Run-length encoding: (code, first index, length) for each run of equal codes."""
    if codes.size == 0:
        return []
    change = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [codes.size])))
    return [(int(codes[s]), int(s), int(n)) for s, n in zip(starts, lengths, strict=True)]


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
            notes=(*base_notes, "No work hours on this day: sitting is measured in work hours only."),
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

    stood_by_hour: dict[int, bool] = {}
    for record in stand_hours:
        offset = (record.hour_start.astimezone(UTC) - grid_start).total_seconds() / 60
        if 0 <= offset < n:
            hour = int(offset // 60)
            stood_by_hour[hour] = stood_by_hour.get(hour, False) or record.stood
    if rules.idle_stand_hour_is_sedentary:
        for hour, stood in stood_by_hour.items():
            if not stood:
                observed[hour * 60 : (hour + 1) * 60] = True

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

    enough = coverage >= rules.min_wearable_coverage or self_reported_sitting_h is None
    if (has_steps or has_stand) and enough:
        runs = _runs(codes)
        longest = max((length for code, _, length in runs if code == SEDENTARY), default=0)
        active = sum(1 for h in hours if h.active)
        if coverage < rules.min_wearable_coverage:
            notes.append(f"The devices saw only {coverage:.0%} of the work window; the numbers are a lower bound.")
        if unknown:
            notes.append(f"{unknown} work minutes had no device data and are counted as unknown, not as sitting.")
        if has_steps:
            detected = _detected_breaks(runs, grid_start, rules)
            bouts, merge_notes = _merge_logged(detected, logged, rules)
            notes.extend(merge_notes)
            notes.append(rules.target_caveat)
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
                **common,
            )
        notes.append(
            "Only Apple stand hours: sitting counts the work minutes of hours without a stand (a lower bound); "
            "breaks cannot be told from hourly data."
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
            **common,
        )

    if self_reported_sitting_h is not None:
        reported = min(round(self_reported_sitting_h * 60), work_minutes)
        if coverage:
            notes.append(f"The devices saw only {coverage:.0%} of the work window, so the check-in decides.")
        notes.append("Sitting time from the check-in, capped to the work window; bouts and breaks are not known.")
        return SittingDay(
            sitting_min=reported,
            longest_bout_min=None,
            breaks=None,
            active_hours=None,
            source="self_reported",
            unknown_min=work_minutes - reported,
            coverage=coverage,
            notes=tuple(notes),
            **{**common, "hours": ()},
        )

    notes.append("No wearable data and no check-in for this work day.")
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


def _detected_breaks(runs: list[tuple[int, int, int]], grid_start: datetime, rules: SittingRules) -> list[BreakBout]:
    """Moving bouts of at least the minimum length that end a stationary spell (Fitbit: ≥ 10 min inactive)."""
    found: list[BreakBout] = []
    for (prev_code, _, prev_len), (code, first, length) in pairwise(runs):
        if (
            code == MOVING
            and length >= rules.min_break_min
            and prev_code == SEDENTARY
            and prev_len >= rules.break_after_sedentary_min
        ):
            start = grid_start + timedelta(minutes=first)
            found.append(BreakBout(start, start + timedelta(minutes=length), "detected"))
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


# ---------------------------------------------------------------------------------------------------------------
# A context note next to running
# ---------------------------------------------------------------------------------------------------------------


def _duration(minutes: int) -> str:
    h, m = divmod(int(minutes), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def desk_day_note(
    day: SittingDay, next_run: UpcomingRun | None, rules: SittingRules | None = None, today: date | None = None
) -> str | None:
    """A one-paragraph context note when a desk-heavy day comes right before a run, else None.

    Desk-heavy: sitting ≥ the threshold (> 7 h/day group of the hip-extension study) or a sitting spell ≥ 2 h.
    The note is context, not a verdict, and says why and where that comes from (wording in ``rules.toml``).
    """
    rules = rules or load_rules()
    if next_run is None or day.sitting_min is None:
        return None
    gap = (next_run.day - day.date).days
    if not 0 <= gap <= rules.desk_lookahead_days:
        return None
    heavy = day.sitting_min >= rules.desk_heavy_sitting_min
    long_bout = day.longest_bout_min is not None and day.longest_bout_min >= rules.desk_long_bout_min
    if not (heavy or long_bout):
        return None
    today = today or day.date
    when = "today" if day.date == today else "yesterday" if (today - day.date).days == 1 else f"on {day.date:%a %d %b}"
    kind = "long run" if next_run.long_run else "run"
    if next_run.distance_km:
        kind = f"{next_run.distance_km:g} km {kind}"
    run = (
        f"today's {kind}"
        if next_run.day == today
        else f"tomorrow's {kind}"
        if (next_run.day - today).days == 1
        else f"the {kind} on {next_run.day:%a %d %b}"
    )
    bout_part = rules.desk_bout_part.format(bout=_duration(day.longest_bout_min)) if day.longest_bout_min else ""
    sitting = _duration(day.sitting_min)
    if day.source == "self_reported":
        sitting += " by the check-in"
    return rules.desk_note.format(when=when, sitting=sitting, bout_part=bout_part, run=run)
