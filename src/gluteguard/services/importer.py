"""Import orchestration: expand paths, parse files on every core, store each file in its own transaction.

Parsing happens in worker processes (pure functions from ``ingest``); only the main process writes to the
database, one transaction per file, so a failure never leaves half a file stored and never touches others.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from gluteguard.ingest.apple_health import parse_apple_health
from gluteguard.ingest.apple_health_prolog import looks_like_apple_health
from gluteguard.ingest.apple_health_zip import looks_like_apple_health_zip, parse_apple_health_zip
from gluteguard.ingest.dedupe import TimeSpan, possible_duplicate_of
from gluteguard.ingest.dispatch import parse_payload, unwrap
from gluteguard.ingest.fitbit import fitbit_file_kind, parse_fitbit_export
from gluteguard.ingest.garmin_monitoring import is_garmin_monitoring, parse_garmin_monitoring
from gluteguard.ingest.model import FileFormat, NotAnActivity, ParsedActivity, ParseError, Streams
from gluteguard.ingest.plausible import checked
from gluteguard.ingest.rules import import_rules
from gluteguard.ingest.sources import ARCHIVE_OPEN_ERRORS, ExpansionStats, SourceProblem, SourceUnit, expand_paths
from gluteguard.ingest.strava_export import StravaIndex, apply_export_meta, manual_activity
from gluteguard.ingest.wearable import WearableData
from gluteguard.load.trimp import hr_histogram
from gluteguard.services.athletes import get_profile
from gluteguard.services.wearables import store_wearable_rows
from gluteguard.store.codec import CODEC_NAME, encode_histogram, encode_streams
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, ActivityStream, SourceFile
from gluteguard.store.timeutil import as_utc

ORIGINAL_ZLIB_LEVEL = 1  # originals kept for re-processing: on FIT, level 1 is as small as 3 and 1.5× faster


# --- worker side (pure: no database) -----------------------------------------------------------


@dataclass
class PreparedActivity:
    parsed: ParsedActivity  # streams are emptied after encoding to keep inter-process traffic small
    stream_columns: list[str]
    stream_blob: bytes
    n_samples: int
    hr_histogram: bytes | None = None


@dataclass
class PreparedFile:
    name: str
    sha256: str | None = None
    format: str | None = None
    size_bytes: int = 0
    content_zlib: bytes = b""
    meta: dict | None = None
    activities: list[PreparedActivity] = field(default_factory=list)
    error: str | None = None
    not_activity: str | None = None  # readable, but holds no activity (settings, workout, monitoring…)
    warnings: tuple[str, ...] = ()
    n_records: int = 0
    wearable: WearableData | None = None  # steps, stand hours… from a wearable export (Garmin, Fitbit, Apple)


def histogram_blob(streams: Streams) -> bytes | None:
    """The activity's seconds-per-bpm histogram (for TRIMP), or None without a heart-rate record."""
    time, heart_rate = streams.get("time_s"), streams.get("heart_rate_bpm")
    if time is None or heart_rate is None:
        return None
    return encode_histogram(hr_histogram(time, heart_rate))


def _prepare_activity(activity: ParsedActivity) -> PreparedActivity:
    columns, blob = encode_streams(activity.streams)
    n_samples = len(activity.streams)
    histogram = histogram_blob(activity.streams)
    light = replace(activity, streams=type(activity.streams)({}))
    return PreparedActivity(light, columns, blob, n_samples, histogram)


def parse_wearable(payload: bytes, name: str, timezone: str) -> WearableData | None:
    """A Garmin monitoring FIT or a Fitbit per-day JSON file, parsed; None for anything else (activities)."""
    if fitbit_file_kind(name, payload[:256]) is not None:
        return parse_fitbit_export([(name, payload)], timezone=timezone)
    if is_garmin_monitoring(payload):
        return parse_garmin_monitoring(payload)
    return None


def prepare_unit(unit: SourceUnit, fit_decoder: str = "auto", timezone: str = "UTC") -> PreparedFile:
    """Read, recognise, parse and encode one file. Never raises: problems become ``error``."""
    prepared = PreparedFile(name=unit.name, meta=unit.meta)
    try:
        if unit.kind == "strava_manual":
            payload = unit.read()
            result_activities: tuple[ParsedActivity, ...] = (manual_activity(unit.meta or {}),)
            prepared.format = FileFormat.STRAVA_MANUAL.value
            warnings: tuple[str, ...] = ()
        else:
            raw = unit.read()
            payload = unwrap(raw)
            wearable = parse_wearable(payload, unit.name, timezone)
            if wearable is not None:
                prepared.format, prepared.wearable = wearable.kind, wearable
                result_activities, warnings = wearable.workouts, wearable.warnings
            else:
                result = parse_payload(payload, unit.name, fit_decoder=fit_decoder)
                prepared.format = result.format.value
                result_activities = tuple(apply_export_meta(a, unit.meta) for a in result.activities)
                warnings = result.warnings
    except NotAnActivity as exc:
        prepared.not_activity = str(exc)
        return prepared
    except ParseError as exc:
        prepared.error = str(exc)
        return prepared
    except OSError as exc:
        prepared.error = f"cannot read ({exc.strerror or exc})"
        return prepared
    except MemoryError:
        prepared.error = "file too large to read into memory"
        return prepared
    except Exception as exc:
        prepared.error = f"internal parser error ({type(exc).__name__}: {exc}); please report this file"
        return prepared
    looked_at = [checked(activity) for activity in result_activities]
    kept = tuple(activity for activity, _ in looked_at if activity is not None)
    refused = [notes[0] for activity, notes in looked_at if activity is None]
    if refused and not kept:
        prepared.error = f"refused: {refused[0]}"
        return prepared
    dropped = [note for activity, notes in looked_at if activity is not None for note in notes]
    warnings = (*warnings, *(f"an activity was left out: {why}" for why in refused), *dropped)
    result_activities = kept
    prepared.sha256 = hashlib.sha256(payload).hexdigest()
    prepared.size_bytes = len(payload)
    prepared.content_zlib = zlib.compress(payload, ORIGINAL_ZLIB_LEVEL)
    prepared.warnings = warnings
    prepared.activities = [_prepare_activity(a) for a in result_activities]
    prepared.n_records = sum(a.n_samples for a in prepared.activities)
    return prepared


# --- main process: storing ---------------------------------------------------------------------


@dataclass
class FileReport:
    file: str
    status: str  # imported | possible_duplicate | skipped_identical | partial | not_activity | failed
    reason: str | None = None
    activity_ids: list[int] = field(default_factory=list)
    duplicate_ids: list[int] = field(default_factory=list)
    records: int = 0
    wearable: dict[str, int] = field(default_factory=dict)  # new rows by kind (steps, stand_hours…)


@dataclass
class ImportSummary:
    files: list[FileReport] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for report in self.files if report.status == status)

    @property
    def failed(self) -> list[FileReport]:
        return [r for r in self.files if r.status == "failed"]

    @property
    def partial(self) -> list[FileReport]:
        return [r for r in self.files if r.status == "partial"]

    @property
    def activity_ids(self) -> list[int]:
        return [i for r in self.files for i in r.activity_ids]

    @property
    def records(self) -> int:
        return sum(r.records for r in self.files)

    def as_json(self) -> dict:
        return {
            "imported": sum(len(r.activity_ids) - len(r.duplicate_ids) for r in self.files),
            "possible_duplicates": sum(len(r.duplicate_ids) for r in self.files),
            "skipped_identical": self.count("skipped_identical"),
            "partial": [{"file": r.file, "reason": r.reason} for r in self.partial],
            "failed": [{"file": r.file, "reason": r.reason} for r in self.failed],
            "not_activities": [{"file": r.file, "reason": r.reason} for r in self.files if r.status == "not_activity"],
            "activity_ids": self.activity_ids,
            "files": len(self.files),
            "ignored_files": len(self.ignored),
            "wearable": {
                kind: sum(r.wearable.get(kind, 0) for r in self.files)
                for kind in ("steps", "stand_hours", "sedentary_days")
            },
        }


def _neighbours(session, athlete_id: int, start: datetime, window: timedelta) -> list[TimeSpan]:
    rows = session.execute(
        select(Activity.id, Activity.start_utc, Activity.end_utc, Activity.sport).where(
            Activity.athlete_id == athlete_id,
            Activity.start_utc >= start - window,
            Activity.start_utc <= start + window,
        )
    ).all()
    return [TimeSpan(r.id, as_utc(r.start_utc), as_utc(r.end_utc), r.sport) for r in rows]


def store_prepared(db: Database, athlete_id: int, prepared: PreparedFile) -> FileReport:
    """Store one parsed file in one transaction; identical bytes are skipped, near-copies flagged."""
    if prepared.error is not None:
        return FileReport(prepared.name, "failed", prepared.error)
    if prepared.not_activity is not None:
        return FileReport(prepared.name, "not_activity", prepared.not_activity)
    try:
        with db.session() as session:
            if _already_imported(session, athlete_id, prepared.sha256):
                return FileReport(prepared.name, "skipped_identical", "identical file already imported")
            return _store_in_session(session, athlete_id, prepared)
    except SQLAlchemyError as exc:
        return FileReport(prepared.name, "failed", _database_failure(exc))
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        return FileReport(prepared.name, "failed", f"could not store, nothing stored: {type(exc).__name__}: {exc}")


def _database_failure(exc: SQLAlchemyError) -> str:
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"database error, nothing stored: {first_line}"


def _already_imported(session, athlete_id: int, sha256: str | None) -> bool:
    query = select(SourceFile.id).where(SourceFile.athlete_id == athlete_id, SourceFile.sha256 == sha256)
    return session.scalar(query) is not None


def _store_in_session(session, athlete_id: int, prepared: PreparedFile) -> FileReport:
    """The file's source row, its activities (checked for duplicates) and wearable rows, in the caller's
    transaction."""
    window = timedelta(seconds=import_rules().duplicate_start_window_s)
    now = datetime.now(UTC)
    source = SourceFile(
        athlete_id=athlete_id,
        sha256=prepared.sha256,
        name=prepared.name,
        format=prepared.format,
        size_bytes=prepared.size_bytes,
        content_zlib=prepared.content_zlib,
        meta=prepared.meta,
        imported_at=now,
    )
    session.add(source)
    report = FileReport(prepared.name, "imported", records=prepared.n_records)
    for item in prepared.activities:
        activity = activity_row(athlete_id, item, now)
        span = TimeSpan(0, activity.start_utc, activity.end_utc, activity.sport)
        duplicate_of = possible_duplicate_of(
            span, _neighbours(session, athlete_id, activity.start_utc, window), window.total_seconds()
        )
        if duplicate_of is not None:
            activity.duplicate_status = "possible"
            activity.duplicate_of_id = duplicate_of
        activity.source_file = source
        session.add(activity)
        session.flush()  # the next activity of this file must see this one when checking duplicates
        report.activity_ids.append(activity.id)
        if duplicate_of is not None:
            report.duplicate_ids.append(activity.id)
    if prepared.wearable is not None:
        report.wearable = store_wearable_rows(session, athlete_id, prepared.wearable)
    partial = [a.parsed.partial_reason for a in prepared.activities if a.parsed.partial_reason]
    if partial:
        report.status, report.reason = "partial", partial[0]
    elif report.duplicate_ids and len(report.duplicate_ids) == len(report.activity_ids):
        report.status, report.reason = "possible_duplicate", "overlaps an activity already stored"
    return report


def activity_row(athlete_id: int, item: PreparedActivity, now: datetime) -> Activity:
    parsed = item.parsed
    return Activity(
        athlete_id=athlete_id,
        session_index=parsed.session_index,
        start_utc=parsed.start_utc,
        end_utc=parsed.start_utc + timedelta(seconds=max(parsed.elapsed_s, 0.0)),
        utc_offset_s=parsed.utc_offset_s,
        sport=parsed.sport.value,
        sub_sport=parsed.sub_sport,
        name=parsed.name,
        elapsed_s=parsed.elapsed_s,
        moving_s=parsed.moving_s,
        distance_m=parsed.distance_m,
        ascent_m=parsed.ascent_m,
        avg_hr=parsed.avg_hr_bpm,
        max_hr=parsed.max_hr_bpm,
        avg_cadence_spm=parsed.avg_cadence_spm,
        device=parsed.device,
        shoes=parsed.shoes,
        rpe=parsed.rpe,
        commute=parsed.commute,
        partial_reason=parsed.partial_reason,
        n_samples=item.n_samples,
        hr_histogram=item.hr_histogram,
        created_at=now,
        stream=ActivityStream(codec=CODEC_NAME, columns=item.stream_columns, data=item.stream_blob),
    )


# --- the whole job -----------------------------------------------------------------------------

ProgressCallback = Callable[[FileReport, int, int], None]  # (report, done, total known so far)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _results(units: Iterable[SourceUnit], workers: int, fit_decoder: str, timezone: str) -> Iterator[PreparedFile]:
    """Prepared files in input order; at most a few per worker in flight, so memory stays flat."""
    if workers <= 1:
        for unit in units:
            try:
                yield prepare_unit(unit, fit_decoder, timezone)
            finally:
                unit.discard()
        return
    byte_budget = import_rules().archives.max_in_flight_bytes
    in_flight: deque[tuple[Future[PreparedFile], SourceUnit, int]] = deque()
    held = 0  # bytes of archive members handed to the workers and not yet back

    def finished() -> PreparedFile:
        nonlocal held
        future, unit, size = in_flight.popleft()
        held -= size
        try:
            return future.result()
        finally:
            unit.discard()

    with ProcessPoolExecutor(max_workers=workers) as pool:
        try:
            for unit in units:
                size = len(unit.data) if unit.data is not None else 0
                # Wait for earlier results while the members in flight would pass the byte budget (one always goes).
                while in_flight and (len(in_flight) >= workers * 4 or held + size > byte_budget):
                    yield finished()
                in_flight.append((pool.submit(prepare_unit, unit, fit_decoder, timezone), unit, size))
                held += size
            while in_flight:
                yield finished()
        finally:
            for _, unit, _ in in_flight:
                unit.discard()


def import_paths(
    db: Database,
    athlete_id: int,
    paths: list[Path],
    *,
    workers: int | None = None,
    on_file: ProgressCallback | None = None,
    on_total: Callable[[int], None] | None = None,
    fit_decoder: str = "auto",
) -> ImportSummary:
    stats = ExpansionStats()
    summary = ImportSummary()
    strava = StravaIndex.scan(paths)
    problems: list[SourceProblem] = list(strava.problems)
    total = 0
    timezone = get_profile(db, athlete_id).timezone  # Fitbit writes local times without a zone
    apple_exports = find_apple_exports(paths)
    for export in apple_exports:  # streamed on their own: hundreds of MB never go through memory at once
        report = import_apple_health(db, athlete_id, export)
        summary.files.append(report)
        if on_file:
            on_file(report, len(summary.files), len(summary.files))

    def units() -> Iterator[SourceUnit]:
        nonlocal total
        for item in expand_paths(paths, stats, meta_for=strava.meta_for, skip=_apple_files(apple_exports)):
            if isinstance(item, SourceProblem):
                problems.append(item)
                continue
            if strava.is_index_file(item.name):
                continue
            total += 1
            if on_total:
                on_total(total)
            yield item
        for unit in strava.manual_units():
            total += 1
            if on_total:
                on_total(total)
            yield unit

    done = len(summary.files)
    for prepared in _results(units(), workers or default_workers(), fit_decoder, timezone):
        report = store_prepared(db, athlete_id, prepared)
        summary.files.append(report)
        done += 1
        if on_file:
            on_file(report, done, max(total, done))
    for problem in problems:
        report = FileReport(problem.name, "failed", problem.reason)
        summary.files.append(report)
        if on_file:
            on_file(report, done, max(total, done))
    summary.ignored = stats.ignored
    return summary


# --- Apple Health: one export streamed in the main process -------------------------------------------------------

APPLE_HEAD_BYTES = 64 * 1024  # the export's DOCTYPE alone is ~8 kB


def _is_apple_export(path: Path) -> bool:
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                return looks_like_apple_health_zip(archive)
        if path.suffix.lower() == ".xml":
            with path.open("rb") as handle:
                return looks_like_apple_health(handle.read(APPLE_HEAD_BYTES))
    except ARCHIVE_OPEN_ERRORS:
        return False  # the ordinary route reports what is wrong with it
    return False


def find_apple_exports(paths: list[Path]) -> list[Path]:
    """Apple Health exports (export.zip, or export.xml) given directly or inside the given folders."""
    found: list[Path] = []
    for root in paths:
        candidates = (
            sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".zip", ".xml"))
            if root.is_dir()
            else [root]
        )
        found.extend(p for p in candidates if p.exists() and _is_apple_export(p))
    return found


def _apple_files(exports: list[Path]) -> frozenset[Path]:
    """The exports and, beside an unzipped export.xml, its route files: they come in with their workouts."""
    files = set(exports)
    for export in exports:
        routes = export.parent / "workout-routes"
        if export.suffix.lower() == ".xml" and routes.is_dir():
            files.update(p for p in routes.rglob("*") if p.is_file())
    return frozenset(files)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def import_apple_health(db: Database, athlete_id: int, path: Path) -> FileReport:
    """Stream one Apple Health export into the store in one transaction: its steps, stand hours and workouts.

    Samples go to the database in batches while the XML is read, so memory stays flat however large the export;
    an error anywhere rolls the whole export back. The export is not kept (it can be gigabytes and holds far more
    than gluteguard reads): its checksum is, so the same export is skipped next time, and a newer export adds
    only what is new."""
    added = {"steps": 0, "stand_hours": 0, "sedentary_days": 0}
    try:
        sha256 = _file_sha256(path)
        with db.session() as session:
            if _already_imported(session, athlete_id, sha256):
                return FileReport(str(path), "skipped_identical", "identical file already imported")

            def store_batch(batch: WearableData) -> None:
                for kind, count in store_wearable_rows(session, athlete_id, batch).items():
                    added[kind] += count

            if path.suffix.lower() == ".zip":
                data = parse_apple_health_zip(path, on_batch=store_batch)
            else:
                with path.open("rb") as handle:
                    data = parse_apple_health(handle, routes=_routes_beside(path), on_batch=store_batch)
            prepared = PreparedFile(
                name=str(path),
                sha256=sha256,
                format=data.kind,
                size_bytes=path.stat().st_size,
                meta={"original_kept": False, "wearable_meta": _json_safe(data.meta)},
                warnings=data.warnings,
                wearable=data,
            )
            prepared.activities = [_prepare_activity(w) for w in data.workouts]
            report = _store_in_session(session, athlete_id, prepared)
            report.wearable = {kind: added[kind] + report.wearable.get(kind, 0) for kind in added}
            report.records = sum(report.wearable.values())
            return report
    except ParseError as exc:
        return FileReport(str(path), "failed", str(exc))
    except OSError as exc:
        return FileReport(str(path), "failed", f"cannot read ({exc.strerror or exc})")
    except SQLAlchemyError as exc:
        return FileReport(str(path), "failed", _database_failure(exc))


def _routes_beside(xml: Path) -> Callable[[str], bytes | None]:
    """Route files of an unzipped export: ``workout-routes/…`` next to export.xml, never outside its folder."""
    base = xml.parent.resolve()

    def read(reference: str) -> bytes | None:
        target = (base / reference.lstrip("/")).resolve()
        if base not in target.parents or not target.is_file():
            return None
        return target.read_bytes()

    return read


def _json_safe(value: object) -> object:
    """Export metadata as JSON the database can store (dates as text)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
