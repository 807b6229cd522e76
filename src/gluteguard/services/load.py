"""Training load for an athlete: activities from the store → sessions → the pure load engine."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import or_, select

from gluteguard.load.metrics import LoadState, RunSpike, load_state, monotony, run_spikes
from gluteguard.load.rules import load_rules
from gluteguard.load.series import DailySeries, Session, daily_series, pmc
from gluteguard.load.trimp import trimp_from_average, trimp_from_histogram, trimp_weights
from gluteguard.load.weeks import SPIKE_ORDER, WeekDetail, WeekRow, WeekRun
from gluteguard.services.activities import local_start
from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.cache import VersionedCache, scoped
from gluteguard.services.versions import version_columns
from gluteguard.store.codec import decode_histogram, decode_streams
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, ActivityStream
from gluteguard.store.timeutil import as_utc


def backfill_hr_histograms(db: Database, athlete_id: int | None = None) -> int:
    """Histograms for activities stored before they existed (schema 0002); returns how many were made. A write:
    run when the database is opened (``services.maintenance``), never inside a read."""
    query = (
        select(Activity, ActivityStream)
        .join(ActivityStream, ActivityStream.activity_id == Activity.id)
        .where(Activity.hr_histogram.is_(None), Activity.avg_hr.is_not(None), Activity.n_samples > 0)
    )
    if athlete_id is not None:
        query = query.where(Activity.athlete_id == athlete_id)
    with db.session() as session:
        rows = session.execute(query).all()
        for activity, stream in rows:
            if "heart_rate_bpm" in (stream.columns or []):
                # The import code (parsers, lxml) only when an old activity needs it, not on every open.
                from gluteguard.services.import_prepare import histogram_blob

                activity.hr_histogram = histogram_blob(decode_streams(stream.data, stream.codec))
        return len(rows)


_SESSIONS = VersionedCache()


def activities_version(db: Database, athlete_id: int) -> tuple:
    """Changes when an activity is added, removed, re-derived or its duplicate review changes (for caches)."""
    query = select(*version_columns("activities")).where(Activity.athlete_id == athlete_id)

    def ask() -> tuple:
        with db.session() as session:
            return tuple(session.execute(query).one())

    return scoped(("activities", db.url, athlete_id), ask)


def athlete_sessions(db: Database, athlete_id: int) -> tuple[list[Session], ZoneInfo]:
    """Every activity as a load session. Possible duplicates awaiting review are left out: counting both
    copies would double the load; they count once kept. Cached until an activity or the profile changes."""
    sessions, _series = _cached(db, athlete_id)
    return list(sessions), ZoneInfo(get_profile(db, athlete_id).timezone)


def _cached(db: Database, athlete_id: int) -> tuple[tuple[Session, ...], dict]:
    """The sessions and a memo of their daily series by last day, rebuilt when activities or the profile change."""
    profile = get_profile(db, athlete_id)
    key = (db.url, athlete_id, profile.timezone, profile.resting_hr, profile.max_hr, profile.sex)
    return _SESSIONS.get(key, activities_version(db, athlete_id), lambda: (_load_sessions(db, athlete_id), {}))


def _series(db: Database, athlete_id: int, day: date) -> tuple[list[Session], DailySeries]:
    """The sessions and their daily series up to ``day`` (or the last session, if later); both cached."""
    sessions, memo = _cached(db, athlete_id)
    last_day = max(day, sessions[-1].local_date) if sessions else day
    if last_day not in memo:
        memo[last_day] = daily_series(list(sessions), last_day=last_day)
    return list(sessions), memo[last_day]


def _spikes(db: Database, athlete_id: int, day: date) -> tuple[list[Session], DailySeries, list[RunSpike]]:
    """Sessions, daily series and every run's spike up to ``day``: the weekly views' inputs, cached together."""
    sessions, series = _series(db, athlete_id, day)
    _, memo = _cached(db, athlete_id)
    key = ("spikes", series.first_day, len(series))  # the series's span identifies it
    if key not in memo:
        memo[key] = run_spikes(sessions, series, load_rules())
    return sessions, series, memo[key]


def _load_sessions(db: Database, athlete_id: int) -> tuple[Session, ...]:
    profile = get_profile(db, athlete_id)
    zone = ZoneInfo(profile.timezone)
    weights = trimp_weights(profile.resting_hr, profile.max_hr, profile.sex)
    query = select(
        Activity.id,
        Activity.start_utc,
        Activity.utc_offset_s,
        Activity.sport,
        Activity.distance_m,
        Activity.moving_s,
        Activity.elapsed_s,
        Activity.ascent_m,
        Activity.avg_hr,
        Activity.rpe,
        Activity.hr_histogram,
    ).where(
        Activity.athlete_id == athlete_id,
        or_(Activity.duplicate_status.is_(None), Activity.duplicate_status != "possible"),
    )
    sessions: list[Session] = []
    fixed: dict[int, timezone] = {}  # one tzinfo per UTC offset seen (a few), not one per activity
    with db.session() as session:
        # Plain rows (no ORM loading): ten years of activities are read on every start of the CLI.
        rows = session.connection().execute(query).all()
    for activity_id, start_utc, offset_s, sport, distance_m, moving_s, elapsed_s, ascent_m, avg_hr, rpe, blob in rows:
        duration = moving_s or elapsed_s or 0.0
        if blob is not None:
            trimp: float | None = trimp_from_histogram(decode_histogram(blob), weights)
        elif avg_hr:
            trimp = trimp_from_average(avg_hr, duration / 60.0, weights)
        else:
            trimp = None
        if offset_s is not None:  # what local_start does, with the offset's tzinfo made once
            tz = fixed.get(offset_s) or fixed.setdefault(offset_s, timezone(timedelta(seconds=offset_s)))
            start = as_utc(start_utc).astimezone(tz)
        else:
            start = local_start(start_utc, None, zone)
        sessions.append(
            Session(
                activity_id=activity_id,
                local_start=start.replace(tzinfo=None),
                sport=sport,
                distance_m=distance_m or 0.0,
                duration_s=duration,
                ascent_m=ascent_m or 0.0,
                trimp=trimp,
                rpe=rpe,
            )
        )
    sessions.sort(key=lambda s: s.local_start)
    return tuple(sessions)


def state_on(
    db: Database, athlete_id: int, day: date | None = None, *, next_run: tuple[float | None, str] | None = None
) -> LoadState:
    """The load state at the end of ``day``. ``next_run`` is the day's decided cap and reason; the views get it
    from ``services.coach.load_on``, which passes the day's decision."""
    day = day or today_in(ZoneInfo(get_profile(db, athlete_id).timezone))
    sessions, series = _series(db, athlete_id, day)
    return load_state(sessions, series, day, next_run=next_run)


def _between(spikes: list[RunSpike], start: date, end: date) -> list[RunSpike]:
    """The runs dated ``start`` to ``end``; ``spikes`` are in date order (ISO dates sort as text)."""
    dates = [s.date for s in spikes]
    return spikes[bisect_left(dates, start.isoformat()) : bisect_right(dates, end.isoformat())]


def weekly_history(db: Database, athlete_id: int, weeks: int, day: date | None = None) -> list[WeekRow]:
    """Monday-to-Sunday weeks ending with the week of ``day``: distance, spikes, cap and PMC at week end."""
    day = day or today_in(ZoneInfo(get_profile(db, athlete_id).timezone))
    sessions, series, spikes = _spikes(db, athlete_id, day)
    if not sessions:
        return []
    rules = load_rules()
    ctl, atl = pmc(series.run_distance_m / 1000.0, rules.ctl_days, rules.atl_days)
    last_monday = day - timedelta(days=day.weekday())
    rows = []
    for k in range(weeks - 1, -1, -1):
        start = last_monday - timedelta(days=7 * k)
        end = start + timedelta(days=6)
        lo, hi = max(series.index(start), 0), min(series.index(end), len(series) - 1)
        if hi < 0 or lo > hi:
            continue
        week_spikes = [s.spike_category for s in _between(spikes, start, end)]
        longest_30d = float(series.longest_run_m[max(hi - rules.spike_window_days + 1, 0) : hi + 1].max(initial=0))
        rows.append(
            WeekRow(
                week_start=start.isoformat(),
                run_distance_m=float(series.run_distance_m[lo : hi + 1].sum()),
                runs=int(series.runs[lo : hi + 1].sum()),
                longest_run_m=float(series.longest_run_m[lo : hi + 1].max(initial=0)),
                worst_spike=max(week_spikes, key=SPIKE_ORDER.index) if week_spikes else "",
                cap_at_end_m=longest_30d * rules.cap_factor if longest_30d > 0 else None,
                ctl=float(ctl[hi]),
                atl=float(atl[hi]),
                tsb=float(ctl[hi - 1] - atl[hi - 1]) if hi > 0 else 0.0,
                no_data_days=int(np.count_nonzero(series.no_data[lo : hi + 1])),
            )
        )
    return rows


def weekly_details(db: Database, athlete_id: int, rows: list[WeekRow]) -> dict[str, WeekDetail]:
    """The runs behind each row of ``weekly_history`` and each week's monotony, keyed by the week's Monday."""
    if not rows:
        return {}
    rules = load_rules()
    last = date.fromisoformat(rows[-1].week_start) + timedelta(days=6)
    sessions, series, spikes = _spikes(db, athlete_id, last)
    if not sessions:
        return {}
    details = {}
    for row in rows:
        start = date.fromisoformat(row.week_start)
        end = start + timedelta(days=6)
        runs = tuple(
            WeekRun(s.date, s.distance_m, s.spike_category, s.activity_id) for s in _between(spikes, start, end)
        )
        lo, hi = series.index(start), series.index(end)
        km = np.array([series.run_distance_m[i] / 1000.0 if 0 <= i < len(series) else 0.0 for i in range(lo, hi + 1)])
        details[row.week_start] = WeekDetail(runs, monotony(km, rules))
    return details
