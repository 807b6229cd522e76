"""Import orchestration: expand paths, parse files on every core, store each file in its own transaction; then
fill the runner's empty profile fields from a Strava export's profile.csv, in a transaction of its own.

Parsing happens in worker processes (``import_prepare``, pure functions from ``ingest``); only the main process
writes to the database (``import_store``), one transaction per file, so a failure never leaves half a file stored
and never touches others. Apple Health exports are streamed on their own (``apple_import``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gluteguard.ingest.sources import ExpansionStats, SourceProblem, SourceUnit, expand_paths, shown_name
from gluteguard.ingest.strava_export import StravaIndex
from gluteguard.services.apple_import import apple_files, find_apple_exports, import_apple_health
from gluteguard.services.athletes import get_profile
from gluteguard.services.import_pool import default_workers, prepared_files
from gluteguard.services.import_store import TAKEN_BY_ANOTHER_IMPORT, FileReport, store_prepared
from gluteguard.services.profile_import import ProfileFromExport, apply_profile_csv
from gluteguard.store.db import Database


@dataclass
class ImportSummary:
    files: list[FileReport] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    strava_profile: ProfileFromExport | None = None  # what a Strava export's profile.csv gave the profile

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
            # of those, files another import running at the same time stored first (the CLI and the web page)
            "imported_by_another_import": sum(1 for r in self.files if r.reason == TAKEN_BY_ANOTHER_IMPORT),
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
            # {"file", "taken": {field: value}, "kept": [field], "problems": [...], "message"}; null without one
            "strava_profile": self.strava_profile.as_json() if self.strava_profile else None,
        }


ProgressCallback = Callable[[FileReport, int, int], None]  # (report, done, total known so far)


def import_paths(
    db: Database,
    athlete_id: int,
    paths: list[Path],
    *,
    workers: int | None = None,
    on_file: ProgressCallback | None = None,
    on_total: Callable[[int], None] | None = None,
    fit_decoder: str = "auto",
    shown_as: Mapping[Path, str] | None = None,
) -> ImportSummary:
    """Import the files, folders and archives at ``paths``. ``shown_as`` gives a path the name the user knows it by
    (an upload's own name, not the server's temporary copy): it is stored and shown, and no reason names the copy."""
    stats = ExpansionStats()
    summary = ImportSummary()
    strava = StravaIndex.scan(paths, shown_as)
    problems: list[SourceProblem] = list(strava.problems)
    total = 0
    timezone = get_profile(db, athlete_id).timezone  # Fitbit writes local times without a zone
    apple_exports = find_apple_exports(paths)
    for root, export in apple_exports:  # streamed on their own: hundreds of MB never go through memory at once
        report = import_apple_health(db, athlete_id, export, shown_name(export, root, shown_as))
        summary.files.append(report)
        if on_file:
            on_file(report, len(summary.files), len(summary.files))

    def units() -> Iterator[SourceUnit]:
        nonlocal total
        for item in expand_paths(
            paths,
            stats,
            meta_for=strava.meta_for,
            skip=apple_files([export for _, export in apple_exports]),
            shown_as=shown_as,
        ):
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
    for prepared in prepared_files(units(), workers or default_workers(), fit_decoder, timezone):
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
    if strava.profiles:  # after the activities, in its own transaction: nothing in it can spoil them
        name, data = strava.profiles[0]
        summary.strava_profile = apply_profile_csv(db, athlete_id, name, data)
    return summary
