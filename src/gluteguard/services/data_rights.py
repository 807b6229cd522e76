"""An athlete's data rights: everything we hold about them in one zip, and deleting all of it.

The zip holds every original file as it was imported, every table row that belongs to the athlete as JSON (found
from the schema itself, so a table added later is exported without a change here; password hashes excepted), the
activities' sample streams as JSON columns, and this week's plan as every view renders it. Deleting removes the
athlete row — every table's athlete key cascades — and the account in one transaction.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
from sqlalchemy import Table, delete, select

from gluteguard.store.codec import decode_streams
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, ActivityStream, Athlete, Base, SourceFile, UserRow

# Columns never handed out, even to their owner: a password hash is of use only to someone cracking it.
WITHHELD = {("app_user", "password_hash"), ("app_user", "session_epoch"),
            # Strava's keys to the runner's account: a downloaded zip must not open it to whoever finds the file
            ("strava_link", "client_secret"), ("strava_link", "access_token"), ("strava_link", "refresh_token")}
# Tables of the athlete's clinicians' own records, not of the athlete's: a coach's or physio's notes about them.
# The export is the athlete's portable data (GDPR Art. 20: what they provided and what the app derived from it);
# a clinician's note is the clinician's record about them — the audit log in the zip says when one was written
# or read, and a copy is the clinician's to give (Art. 15). Deleting the account deletes the notes too.
CLINICIAN_RECORDS = {"clinician_note"}
# Caches of decisions derived from everything else (the roster's day, the kept days of `today`): nothing of the
# athlete's own, and decided again from the export's tables; deleted with the rest.
DERIVED = {"athlete_day_summary", "kept_day"}
# Binary columns written elsewhere in the zip (originals as files, streams decoded), not as JSON.
BINARY = {("source_file", "content_zlib"), ("activity_stream", "data")}

README = """Everything gluteguard holds about {name}, exported {when} UTC.

tables/      every row that belongs to you, one JSON file per table (the same fields the database holds)
originals/   every file you imported, byte for byte as it was (named by its id and original name)
streams/     each activity's samples (time, distance, heart rate...) as JSON columns, by activity id
plan/        this week's plan as gluteguard shows it

Nothing here is a diagnosis. Password hashes are not included, nor are the notes your coach or physio keeps
about you (their own records: tables/audit_event.json shows when they wrote or read one; ask them for a copy).
The orders they set on your plan are here (tables/clinician_order.json).
"""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _safe_name(name: str) -> str:
    """An archive member name from a stored source name ("export.zip!activities/1.fit.gz" → "1.fit.gz"), with
    nothing that climbs out of the folder."""
    last = re.split(r"[!/\\]", name)[-1] or "file"
    return re.sub(r"[^A-Za-z0-9._ -]", "_", last)[:120].lstrip(".") or "file"


def _athlete_tables() -> list[tuple[Table, Any]]:
    """Every table with rows of one athlete, and the column that says whose they are."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name == Athlete.__tablename__:
            found.append((table, table.c.id))
        elif "athlete_id" in table.c:
            found.append((table, table.c.athlete_id))
    return found


def export_everything(db: Database, athlete_id: int, out: IO[bytes], *, week: dict | None = None) -> dict[str, int]:
    """Write the athlete's whole record as a zip to ``out``; returns counts of what went in. ``week`` is this
    week's plan as the views render it (the caller has it from the one decision)."""
    counts: dict[str, int] = {}
    with db.session() as session, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        athlete = session.get(Athlete, athlete_id)
        if athlete is None:
            raise LookupError(f"no athlete with id {athlete_id}")
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
        archive.writestr("README.txt", README.format(name=athlete.name, when=now))
        for table, key in _athlete_tables():
            if table.name in CLINICIAN_RECORDS | DERIVED:
                continue
            rows = []
            for row in session.execute(select(table).where(key == athlete_id)).mappings():
                rows.append({name: _jsonable(value) for name, value in row.items()
                             if (table.name, name) not in WITHHELD | BINARY})  # fmt: skip
            archive.writestr(f"tables/{table.name}.json", json.dumps(rows, indent=1, ensure_ascii=False))
            counts[table.name] = len(rows)
        originals = session.execute(
            select(SourceFile.id, SourceFile.name, SourceFile.content_zlib).where(SourceFile.athlete_id == athlete_id)
        )
        counts["originals"] = 0
        for file_id, name, blob in originals:
            archive.writestr(f"originals/{file_id}-{_safe_name(name)}", zlib.decompress(blob))
            counts["originals"] += 1
        streams = session.execute(
            select(ActivityStream.activity_id, ActivityStream.codec, ActivityStream.data)
            .join(Activity, Activity.id == ActivityStream.activity_id)
            .where(Activity.athlete_id == athlete_id)
        )
        counts["streams"] = 0
        for activity_id, codec, data in streams:
            columns = decode_streams(data, codec).columns
            payload = {name: [None if v != v else _jsonable(v) for v in values.tolist()]  # NaN → null
                       for name, values in columns.items()}  # fmt: skip
            archive.writestr(f"streams/{activity_id}.json", json.dumps(payload, separators=(",", ":")))
            counts["streams"] += 1
        if week is not None:
            archive.writestr("plan/this_week.json", json.dumps(week, indent=1, ensure_ascii=False, default=str))
    return counts


def delete_everything(db: Database, athlete_id: int) -> dict[str, int]:
    """Delete the athlete and everything of theirs (every table's athlete key cascades), with their account, in
    one transaction; returns how many rows each table lost. Raises LookupError for an unknown athlete."""
    removed: dict[str, int] = {}
    with db.session() as session:
        if session.get(Athlete, athlete_id) is None:
            raise LookupError(f"no athlete with id {athlete_id}")
        for table, key in _athlete_tables():
            if table.name != Athlete.__tablename__:
                count = len(session.execute(select(key).where(key == athlete_id)).all())
                if count:
                    removed[table.name] = count
        # Explicit deletes, children first, rather than trusting every database to cascade (SQLite needs its
        # foreign-key pragma on, which a copy opened elsewhere may not have).
        activity_ids = select(Activity.id).where(Activity.athlete_id == athlete_id)
        session.execute(delete(ActivityStream).where(ActivityStream.activity_id.in_(activity_ids)))
        for table, key in reversed(_athlete_tables()):
            if table.name not in (Athlete.__tablename__, UserRow.__tablename__):
                session.execute(delete(table).where(key == athlete_id))
        session.execute(delete(UserRow).where(UserRow.athlete_id == athlete_id))
        session.execute(delete(Athlete).where(Athlete.id == athlete_id))
    return removed


def export_file_name(name: str, day: date) -> str:
    return f"gluteguard-{_safe_name(name).replace(' ', '-').lower()}-{day.isoformat()}.zip"


def write_export(db: Database, athlete_id: int, path: Path, *, week: dict | None = None) -> dict[str, int]:
    """``export_everything`` into a file, never half-written: a temporary name first, renamed when complete."""
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as handle:
            counts = export_everything(db, athlete_id, handle, week=week)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return counts
