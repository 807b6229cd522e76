"""Apple Health exports (export.zip or an unzipped export.xml), streamed into the store in the main process.

An export can be gigabytes: its samples go to the database in batches while the XML is read, in one transaction.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from gluteguard.ingest.apple_health import parse_apple_health
from gluteguard.ingest.apple_health_prolog import looks_like_apple_health
from gluteguard.ingest.apple_health_zip import looks_like_apple_health_zip, parse_apple_health_zip
from gluteguard.ingest.model import ParseError
from gluteguard.ingest.sources import ARCHIVE_OPEN_ERRORS, text_name
from gluteguard.ingest.wearable import WearableData
from gluteguard.services.import_prepare import PreparedFile, prepare_activity
from gluteguard.services.import_store import (
    SKIPPED_IDENTICAL,
    FileReport,
    already_imported,
    database_failure,
    store_in_session,
)
from gluteguard.services.wearables import store_wearable_rows
from gluteguard.store.db import Database

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


def find_apple_exports(paths: list[Path]) -> list[tuple[Path, Path]]:
    """Apple Health exports (export.zip, or export.xml) given directly or inside the given folders, each with the
    path it was found under."""
    found: list[tuple[Path, Path]] = []
    for root in paths:
        candidates = (
            sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".zip", ".xml"))
            if root.is_dir()
            else [root]
        )
        found.extend((root, p) for p in candidates if p.exists() and _is_apple_export(p))
    return found


def apple_files(exports: list[Path]) -> frozenset[Path]:
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


def import_apple_health(db: Database, athlete_id: int, path: Path, name: str | None = None) -> FileReport:
    """Stream one Apple Health export into the store in one transaction: its steps, stand hours and workouts.

    Samples go to the database in batches while the XML is read, so memory stays flat however large the export;
    an error anywhere rolls the whole export back. The export is not kept (it can be gigabytes and holds far more
    than gluteguard reads): its checksum is, so the same export is skipped next time, and a newer export adds
    only what is new."""
    name = name or text_name(path)
    added = {"steps": 0, "stand_hours": 0, "sedentary_days": 0}
    try:
        sha256 = _file_sha256(path)
        with db.session() as session:
            if already_imported(session, athlete_id, sha256):
                return FileReport(name, "skipped_identical", SKIPPED_IDENTICAL)

            def store_batch(batch: WearableData) -> None:
                for kind, count in store_wearable_rows(session, athlete_id, batch).items():
                    added[kind] += count

            if path.suffix.lower() == ".zip":
                data = parse_apple_health_zip(path, on_batch=store_batch)
            else:
                with path.open("rb") as handle:
                    data = parse_apple_health(handle, routes=_routes_beside(path), on_batch=store_batch)
            prepared = PreparedFile(
                name=name,
                sha256=sha256,
                format=data.kind,
                size_bytes=path.stat().st_size,
                meta={"original_kept": False, "wearable_meta": _json_safe(data.meta)},
                warnings=data.warnings,
                wearable=data,
            )
            prepared.activities = [prepare_activity(w) for w in data.workouts]
            report = store_in_session(session, athlete_id, prepared)
            report.wearable = {kind: added[kind] + report.wearable.get(kind, 0) for kind in added}
            report.records = sum(report.wearable.values())
            return report
    except ParseError as exc:
        return FileReport(name, "failed", str(exc))
    except OSError as exc:
        return FileReport(name, "failed", f"cannot read ({exc.strerror or exc})")
    except SQLAlchemyError as exc:
        return FileReport(name, "failed", database_failure(exc))


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
