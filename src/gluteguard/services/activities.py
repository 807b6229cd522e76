"""Listing activities, reviewing possible duplicates, and re-deriving activities from kept originals."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from gluteguard.ingest.model import Sport, Streams
from gluteguard.services.athletes import get_profile
from gluteguard.store.codec import decode_streams
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, SourceFile
from gluteguard.store.timeutil import as_utc


class ActivityError(ValueError):
    """A request about activities that cannot be met; one line for the user."""


@dataclass(frozen=True)
class ActivityRow:
    id: int
    start_local: str
    start_utc: str
    sport: str
    sub_sport: str | None
    name: str | None
    distance_m: float | None
    moving_time_s: float | None
    elapsed_time_s: float
    ascent_m: float | None
    avg_hr: float | None
    max_hr: float | None
    avg_cadence_spm: float | None
    device: str | None
    shoes: str | None
    source_file: str | None
    partial: bool
    partial_reason: str | None
    duplicate_status: str | None
    duplicate_of: int | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def local_start(start_utc: datetime, offset_s: int | None, zone: ZoneInfo) -> datetime:
    """Local start: the file's own offset when it had one, else the athlete's time zone (DST-aware)."""
    start = as_utc(start_utc)
    if offset_s is not None:
        return start.astimezone(timezone(timedelta(seconds=offset_s)))
    return start.astimezone(zone)


def _row(activity: Activity, zone: ZoneInfo) -> ActivityRow:
    return ActivityRow(
        id=activity.id,
        start_local=local_start(activity.start_utc, activity.utc_offset_s, zone).isoformat(),
        start_utc=as_utc(activity.start_utc).isoformat(),
        sport=activity.sport,
        sub_sport=activity.sub_sport,
        name=activity.name,
        distance_m=activity.distance_m,
        moving_time_s=activity.moving_s,
        elapsed_time_s=activity.elapsed_s,
        ascent_m=activity.ascent_m,
        avg_hr=activity.avg_hr,
        max_hr=activity.max_hr,
        avg_cadence_spm=activity.avg_cadence_spm,
        device=activity.device,
        shoes=activity.shoes,
        source_file=activity.source_file.name if activity.source_file else None,
        partial=activity.partial_reason is not None,
        partial_reason=activity.partial_reason,
        duplicate_status=activity.duplicate_status,
        duplicate_of=activity.duplicate_of_id,
    )


def list_activities(
    db: Database,
    athlete_id: int,
    *,
    since: date | None = None,
    sport: str | None = None,
    duplicates_only: bool = False,
) -> list[ActivityRow]:
    zone = ZoneInfo(get_profile(db, athlete_id).timezone)
    query = (
        select(Activity)
        .options(selectinload(Activity.source_file).load_only(SourceFile.name))
        .where(Activity.athlete_id == athlete_id)
        .order_by(Activity.start_utc, Activity.id)
    )
    if since is not None:
        # A day earlier in UTC, then filtered locally, so a run at 00:30 local time is not lost.
        query = query.where(Activity.start_utc >= datetime.combine(since, datetime.min.time(), UTC) - timedelta(days=1))
    if sport:
        wanted = sport.lower()
        if wanted in {s.value for s in Sport}:
            query = query.where(Activity.sport == wanted)
        else:
            query = query.where(Activity.sub_sport == wanted)
    if duplicates_only:
        query = query.where(Activity.duplicate_status == "possible")
    with db.session() as session:
        rows = [_row(a, zone) for a in session.scalars(query)]
    if since is not None:
        rows = [r for r in rows if datetime.fromisoformat(r.start_local).date() >= since]
    return rows


@dataclass(frozen=True)
class ImportedOverview:
    """What an import brought, as a runner reads it: when, how many runs and how far, each activity in a line."""

    activities: tuple[ActivityRow, ...]  # oldest first
    first_day: date | None
    last_day: date | None
    runs: int
    run_km: float

    @property
    def by_id(self) -> dict[int, ActivityRow]:
        return {row.id: row for row in self.activities}


def imported_overview(db: Database, athlete_id: int, activity_ids: list[int]) -> ImportedOverview:
    """The activities an import stored (``ImportSummary.activity_ids``), with their date range and running km."""
    wanted = set(activity_ids)
    if not wanted:
        return ImportedOverview((), None, None, 0, 0.0)
    zone = ZoneInfo(get_profile(db, athlete_id).timezone)
    query = (
        select(Activity)
        .options(selectinload(Activity.source_file).load_only(SourceFile.name))
        .where(Activity.athlete_id == athlete_id, Activity.id.in_(wanted))
        .order_by(Activity.start_utc, Activity.id)
    )
    with db.session() as session:
        rows = tuple(_row(a, zone) for a in session.scalars(query))
    days = [datetime.fromisoformat(r.start_local).date() for r in rows]
    runs = [r for r in rows if r.sport == Sport.RUN.value]
    km = sum((r.distance_m or 0.0) for r in runs) / 1000
    return ImportedOverview(rows, min(days, default=None), max(days, default=None), len(runs), km)


def resolve_duplicate(db: Database, athlete_id: int, activity_id: int, decision: str) -> str:
    """``keep``: both stay (the flag is cleared). ``drop``: this activity is deleted, and its file when
    nothing else came from it — identical re-imports are then recognised again by the file's hash only
    while the file is kept, so a dropped file can be imported again on purpose."""
    if decision not in ("keep", "drop"):
        raise ActivityError("decision must be 'keep' or 'drop'")
    with db.session() as session:
        activity = session.get(Activity, activity_id)
        if activity is None or activity.athlete_id != athlete_id:
            raise ActivityError(f"no activity with id {activity_id}")
        if activity.duplicate_status != "possible":
            raise ActivityError(f"activity {activity_id} is not a possible duplicate awaiting review")
        if decision == "keep":
            activity.duplicate_status = "kept"
            return f"activity {activity_id} kept"
        source = activity.source_file
        session.delete(activity)
        session.flush()
        if (
            source is not None
            and not session.scalars(select(Activity.id).where(Activity.source_file_id == source.id)).first()
        ):
            session.delete(source)
        return f"activity {activity_id} dropped"


def load_streams(db: Database, athlete_id: int, activity_id: int) -> Streams:
    with db.session() as session:
        activity = session.get(Activity, activity_id)
        if activity is None or activity.athlete_id != athlete_id:
            raise ActivityError(f"no activity with id {activity_id}")
        if activity.stream is None:
            return Streams({})
        return decode_streams(activity.stream.data, activity.stream.codec)


WEARABLE_FORMATS = frozenset({"apple_health", "garmin_monitoring", "fitbit"})


def reprocess(db: Database, athlete_id: int) -> dict[str, int]:
    """Parse every kept original again with today's parsers and replace its activities, file by file.

    Review decisions survive: an activity that was kept after review stays kept.
    """
    # The parsers and the storing code (lxml, fitdecode…) only here: reading activities never needs them.
    from gluteguard.ingest.sources import SourceUnit
    from gluteguard.services.import_prepare import PreparedFile, prepare_unit
    from gluteguard.services.import_store import activity_row

    counts = {"files": 0, "activities": 0, "failed": 0}
    with db.session() as session:
        ids = session.scalars(
            select(SourceFile.id).where(SourceFile.athlete_id == athlete_id).order_by(SourceFile.id)
        ).all()
    for source_id in ids:
        with db.session() as session:
            source = session.get(SourceFile, source_id)
            assert source is not None
            if source.format in WEARABLE_FORMATS:
                continue  # raw samples, not activities; an Apple export is not even kept (see import_apple_health)
            payload = zlib.decompress(source.content_zlib)
            kind = "strava_manual" if source.format == "strava_manual" else "file"
            prepared: PreparedFile = prepare_unit(
                SourceUnit(name=source.name, data=payload, meta=source.meta, kind=kind)
            )
            if prepared.error is not None:
                counts["failed"] += 1
                continue  # keep what we have rather than lose an activity to a parser regression
            old = session.scalars(select(Activity).where(Activity.source_file_id == source_id)).all()
            kept = {a.session_index for a in old if a.duplicate_status == "kept"}
            status = {a.session_index: (a.duplicate_status, a.duplicate_of_id) for a in old}
            session.execute(delete(Activity).where(Activity.source_file_id == source_id))
            now = datetime.now(UTC)
            for item in prepared.activities:
                row = activity_row(athlete_id, item, now)
                row.source_file_id = source_id
                previous = status.get(row.session_index)
                if previous and previous[0] == "possible":
                    row.duplicate_status, row.duplicate_of_id = previous
                elif row.session_index in kept:
                    row.duplicate_status = "kept"
                session.add(row)
                counts["activities"] += 1
            counts["files"] += 1
    return counts


def get_activity(db: Database, athlete_id: int, activity_id: int) -> ActivityRow:
    """One activity as ``list_activities`` shows it; ActivityError when it is not this athlete's."""
    zone = ZoneInfo(get_profile(db, athlete_id).timezone)
    with db.session() as session:
        activity = session.get(Activity, activity_id)
        if activity is None or activity.athlete_id != athlete_id:
            raise ActivityError(f"no activity with id {activity_id}")
        return _row(activity, zone)


# The columns a chart of one activity needs, in this order (pace is derived from speed); the rest stay stored.
CHART_COLUMNS = (
    "time_s",
    "distance_m",
    "speed_mps",
    "heart_rate_bpm",
    "cadence_spm",
    "altitude_m",
    "power_w",
    "stance_time_ms",
    "stance_time_balance_pct",
    "vertical_oscillation_mm",
    "vertical_ratio_pct",
    "step_length_mm",
)


def stream_columns(streams: Streams, max_points: int | None = None) -> dict:
    """An activity's samples as columns (lists; a missing sample is None) with pace in s/km, evenly thinned to at
    most ``max_points`` samples (first and last kept) so a chart of a long run stays light."""
    n = len(streams)
    if n == 0:
        return {"n_samples": 0, "n_returned": 0, "columns": {}}
    if max_points is not None and 2 <= max_points < n:
        index = np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))
    else:
        index = np.arange(n)
    columns: dict[str, list] = {}
    for name in CHART_COLUMNS:
        values = streams.get(name)
        if values is None:
            continue
        picked = np.asarray(values, dtype=np.float64)[index]
        columns[name] = [None if not np.isfinite(v) else float(v) for v in picked]
        if name == "speed_mps":
            with np.errstate(divide="ignore", invalid="ignore"):
                # Below 0.5 m/s (33 min/km) the runner is standing: no pace rather than an absurd one.
                pace = np.where(picked >= 0.5, 1000.0 / picked, np.nan)
            columns["pace_s_per_km"] = [None if not np.isfinite(v) else round(float(v), 1) for v in pace]
    return {"n_samples": n, "n_returned": int(index.shape[0]), "columns": columns}
