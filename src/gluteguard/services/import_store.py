"""One prepared file stored in one transaction: its source row, its activities (checked for near-copies) and its
wearable rows. Runs in the main process only; a failure leaves nothing of the file behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from gluteguard.ingest.dedupe import TimeSpan, possible_duplicate_of
from gluteguard.ingest.rules import import_rules
from gluteguard.services.import_prepare import PreparedActivity, PreparedFile
from gluteguard.services.wearables import store_wearable_rows
from gluteguard.store.codec import CODEC_NAME
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, ActivityStream, SourceFile
from gluteguard.store.timeutil import as_utc


@dataclass
class FileReport:
    file: str
    status: str  # imported | possible_duplicate | skipped_identical | partial | not_activity | failed
    reason: str | None = None
    activity_ids: list[int] = field(default_factory=list)
    duplicate_ids: list[int] = field(default_factory=list)
    records: int = 0
    wearable: dict[str, int] = field(default_factory=dict)  # new rows by kind (steps, stand_hours…)


def _neighbours(session: Session, athlete_id: int, start: datetime, window: timedelta) -> list[TimeSpan]:
    rows = session.execute(
        select(Activity.id, Activity.start_utc, Activity.end_utc, Activity.sport).where(
            Activity.athlete_id == athlete_id,
            Activity.start_utc >= start - window,
            Activity.start_utc <= start + window,
        )
    ).all()
    return [TimeSpan(r.id, as_utc(r.start_utc), as_utc(r.end_utc), r.sport) for r in rows]


def stored_duplicate(db: Database, athlete_id: int, span: TimeSpan) -> int | None:
    """The stored activity that ``span`` (an activity not stored yet) would be a possible duplicate of, by the
    importer's rule; None when there is none."""
    window = timedelta(seconds=import_rules().duplicate_start_window_s)
    with db.session() as session:
        neighbours = _neighbours(session, athlete_id, span.start_utc, window)
    return possible_duplicate_of(span, neighbours, window.total_seconds())


SKIPPED_IDENTICAL = "identical file already imported"
TAKEN_BY_ANOTHER_IMPORT = "already imported by another import"


def store_prepared(db: Database, athlete_id: int, prepared: PreparedFile) -> FileReport:
    """Store one parsed file in one transaction; identical bytes are skipped, near-copies flagged.

    Two imports of the same file at once (the CLI and the web page, two terminals) race for its checksum: the one
    that commits second finds the file taken when it writes, and reports it skipped, not failed."""
    if prepared.error is not None:
        return FileReport(prepared.name, "failed", prepared.error)
    if prepared.not_activity is not None:
        return FileReport(prepared.name, "not_activity", prepared.not_activity)
    for attempt in range(2):
        try:
            with db.session() as session:
                if already_imported(session, athlete_id, prepared.sha256):
                    reason = SKIPPED_IDENTICAL if attempt == 0 else TAKEN_BY_ANOTHER_IMPORT
                    return FileReport(prepared.name, "skipped_identical", reason)
                return store_in_session(session, athlete_id, prepared)
        except (IntegrityError, OperationalError) as exc:
            if _taken_meanwhile(db, athlete_id, prepared.sha256):
                return FileReport(prepared.name, "skipped_identical", TAKEN_BY_ANOTHER_IMPORT)
            # SQLite refuses a write whose snapshot another writer has just overtaken ("database is locked"):
            # the second try starts from a fresh snapshot.
            if attempt == 1 or not isinstance(exc, OperationalError):
                return FileReport(prepared.name, "failed", database_failure(exc))
        except SQLAlchemyError as exc:
            return FileReport(prepared.name, "failed", database_failure(exc))
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            return FileReport(prepared.name, "failed", f"could not store, nothing stored: {type(exc).__name__}: {exc}")
    raise AssertionError("unreachable: the second attempt always returns")


def _taken_meanwhile(db: Database, athlete_id: int, sha256: str | None) -> bool:
    try:
        with db.session() as session:
            return already_imported(session, athlete_id, sha256)
    except SQLAlchemyError:
        return False


def database_failure(exc: SQLAlchemyError) -> str:
    """The driver's own first line ("UNIQUE constraint failed…"), not SQLAlchemy's wrapper around it."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip()
    first_line = text.splitlines()[0] if text else type(cause).__name__
    return f"database error, nothing stored: {first_line}"


def already_imported(session: Session, athlete_id: int, sha256: str | None) -> bool:
    query = select(SourceFile.id).where(SourceFile.athlete_id == athlete_id, SourceFile.sha256 == sha256)
    return session.scalar(query) is not None


def store_in_session(session: Session, athlete_id: int, prepared: PreparedFile) -> FileReport:
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
