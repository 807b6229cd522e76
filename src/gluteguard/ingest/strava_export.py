"""A Strava bulk export: ``activities.csv`` gives each file its name, shoes, effort and commute flag,
and rows without a file are manual entries that are activities too (nothing silently dropped); the
``profile.csv`` beside it is kept for the runner's profile (``strava_profile``).

Layout facts: shared/research/parsers.md §2.1 (root ``activities.csv``, ``Filename`` relative to the export
root, empty for manual entries).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath

from gluteguard.ingest.model import ParsedActivity, ParseError, Sport, Streams
from gluteguard.ingest.sources import (
    ARCHIVE_OPEN_ERRORS,
    MEMBER_READ_ERRORS,
    STRAVA_CSV_NAME,
    SourceProblem,
    SourceUnit,
    shown_name,
    text_name,
)
from gluteguard.ingest.strava_csv import StravaActivityRow, read_activities_csv, sport_for_row
from gluteguard.ingest.strava_profile import MAX_BYTES as PROFILE_MAX_BYTES
from gluteguard.ingest.strava_profile import PROFILE_CSV_NAME

MANUAL_DEVICE = "Strava (manual entry)"


def _key(name: str) -> str:
    return name.replace("\\", "/").lower()


def row_meta(row: StravaActivityRow, csv_name: str) -> dict:
    """The row as plain JSON-able values, stored with the file it describes."""
    sport, sub_sport = sport_for_row(row)
    return {
        "source": "strava_activities_csv",
        "csv": csv_name,
        "activity_id": row.activity_id,
        "start_utc": row.start_utc.isoformat() if row.start_utc else None,
        "name": row.name,
        "type": row.sport_label,
        "sport": sport.value,
        "sub_sport": sub_sport,
        "description": row.description,
        "elapsed_s": row.elapsed_s,
        "moving_s": row.moving_s,
        "distance_m": row.distance_m,
        "elevation_gain_m": row.elevation_gain_m,
        "avg_hr": row.avg_hr,
        "max_hr": row.max_hr,
        "perceived_exertion": row.perceived_exertion,
        "commute": row.commute,
        "gear": row.gear,
        "filename": row.filename,
    }


@dataclass
class StravaIndex:
    """Every ``activities.csv`` found among the import paths, keyed by the files its rows name."""

    by_file: dict[str, dict] = field(default_factory=dict)
    index_files: set[str] = field(default_factory=set)
    manual: list[tuple[str, dict]] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    # Each export's profile.csv (the one beside an activities.csv), as (name shown, bytes or None if unreadable).
    profiles: list[tuple[str, bytes | None]] = field(default_factory=list)

    @classmethod
    def scan(cls, paths: list[Path], shown_as: Mapping[Path, str] | None = None) -> StravaIndex:
        """The CSVs under ``paths``, keyed by the names ``expand_paths`` gives their files (same ``shown_as``)."""
        index = cls()
        for root in paths:
            if root.is_dir():
                # Unpacked exports, and export zips inside the folder (expand_paths opens those too).
                files = sorted(p for p in root.rglob("*") if p.is_file())
                exports = {p.parent for p in files if p.name.lower() == STRAVA_CSV_NAME}
                for path in files:
                    name = shown_name(path, root, shown_as)
                    if path.name.lower() == STRAVA_CSV_NAME:
                        index._add_csv(name, _read(path), name.rsplit("/", 1)[0] if "/" in name else "")
                    elif path.name.lower() == PROFILE_CSV_NAME and path.parent in exports:
                        index.profiles.append((name, _read(path, PROFILE_MAX_BYTES + 1)))
                    elif path.name.lower().endswith(".zip"):
                        index._scan_zip(path, name)
            elif root.name.lower() == STRAVA_CSV_NAME:
                name = shown_name(root, root, shown_as)
                index._add_csv(name, _read(root), text_name(root.parent) if name == text_name(root) else "")
            elif root.suffix.lower() == ".zip" and root.is_file():
                index._scan_zip(root, shown_name(root, root, shown_as))
        return index

    def _scan_zip(self, path: Path, name: str) -> None:
        try:
            archive = zipfile.ZipFile(path)
        except ARCHIVE_OPEN_ERRORS:
            return  # the expansion step reports an unreadable zip itself
        with archive:
            infos = archive.infolist()
            exports = {PurePosixPath(i.filename).parent for i in infos if PurePosixPath(i.filename).name.lower() ==
                       STRAVA_CSV_NAME}  # fmt: skip
            for info in infos:
                member = PurePosixPath(info.filename)
                if ".." in member.parts:
                    continue
                if member.name.lower() == PROFILE_CSV_NAME and member.parent in exports:
                    self._add_profile(archive, info, f"{name}!{info.filename}")
                    continue
                if member.name.lower() != STRAVA_CSV_NAME:
                    continue
                try:
                    with archive.open(info) as handle:
                        data = handle.read(64_000_000)  # a 10-year export's CSV is a few MB
                except MEMBER_READ_ERRORS:
                    continue  # the expansion step reports the damaged member itself
                prefix = f"{name}!{member.parent}" if str(member.parent) != "." else f"{name}!"
                self._add_csv(f"{name}!{info.filename}", data, prefix)

    def _add_profile(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
        try:
            with archive.open(info) as handle:
                data: bytes | None = handle.read(PROFILE_MAX_BYTES + 1)  # more than that is no profile
        except MEMBER_READ_ERRORS:
            data = None
        self.profiles.append((name, data))

    def _add_csv(self, csv_name: str, data: bytes | None, base: str) -> None:
        if data is None:
            self.problems.append(SourceProblem(csv_name, "cannot read activities.csv"))
            return
        try:
            parsed = read_activities_csv(data)
        except ParseError as exc:
            self.problems.append(SourceProblem(csv_name, str(exc)))
            return
        self.index_files.add(csv_name)
        separator = "" if base.endswith("!") else "/"
        for row in parsed.rows:
            meta = row_meta(row, csv_name)
            if row.filename:
                self.by_file[_key(f"{base}{separator}{row.filename}")] = meta
            else:
                self.manual.append((f"{csv_name}#activity {row.activity_id}", meta))
        for warning in parsed.warnings:
            self.problems.append(SourceProblem(csv_name, f"row skipped: {warning}"))

    def meta_for(self, name: str) -> dict | None:
        key = _key(name)
        meta = self.by_file.get(key)
        if meta is not None:
            self.seen.add(key)
        return meta

    def is_index_file(self, name: str) -> bool:
        return name in self.index_files or name.lower().endswith(STRAVA_CSV_NAME)

    def manual_units(self) -> list[SourceUnit]:
        """Manual rows, and rows whose file is missing from the export (their CSV numbers still count)."""
        units = [_manual_unit(name, meta) for name, meta in self.manual]
        for key, meta in self.by_file.items():
            if key not in self.seen:
                units.append(_manual_unit(f"{meta['csv']}#activity {meta['activity_id']}", meta, missing=True))
        return units


def _read(path: Path, limit: int | None = None) -> bytes | None:
    try:
        if limit is None:
            return path.read_bytes()
        with path.open("rb") as handle:
            return handle.read(limit)
    except OSError:
        return None


def _manual_unit(name: str, meta: dict, *, missing: bool = False) -> SourceUnit:
    meta = {**meta, "file_missing": missing}
    # The payload is what the row is recognised by on re-import, so it must not depend on where the export
    # lies (a folder, its zip, a moved copy): the CSV's own path is left out of it.
    identity = {key: value for key, value in meta.items() if key != "csv"}
    payload = json.dumps(identity, sort_keys=True).encode()
    return SourceUnit(name=name, data=payload, meta=meta, kind="strava_manual")


def apply_export_meta(activity: ParsedActivity, meta: dict | None) -> ParsedActivity:
    """The export's name, shoes, effort and commute flag; its sport only where the file had none."""
    if not meta:
        return activity
    sport, sub_sport = activity.sport, activity.sub_sport
    if sport == Sport.UNKNOWN and meta.get("sport"):
        sport, sub_sport = Sport(meta["sport"]), meta.get("sub_sport") or sub_sport
    return replace(
        activity,
        name=meta.get("name") or activity.name,
        shoes=meta.get("gear") or activity.shoes,
        rpe=meta.get("perceived_exertion") if meta.get("perceived_exertion") is not None else activity.rpe,
        commute=meta.get("commute") if meta.get("commute") is not None else activity.commute,
        sport=sport,
        sub_sport=sub_sport,
    )


def manual_activity(meta: dict) -> ParsedActivity:
    """An activity from a CSV row alone (a manual entry, or a file missing from the export)."""
    if not meta.get("start_utc"):
        raise ParseError("manual activity without a readable date in activities.csv")
    elapsed = meta.get("elapsed_s") or meta.get("moving_s") or 0.0
    note = "no file in the export: numbers from activities.csv" if meta.get("file_missing") else None
    return ParsedActivity(
        start_utc=datetime.fromisoformat(meta["start_utc"]),
        utc_offset_s=None,
        sport=Sport(meta.get("sport") or Sport.UNKNOWN.value),
        sub_sport=meta.get("sub_sport"),
        elapsed_s=float(elapsed),
        moving_s=meta.get("moving_s"),
        distance_m=meta.get("distance_m"),
        ascent_m=meta.get("elevation_gain_m"),
        avg_hr_bpm=meta.get("avg_hr"),
        max_hr_bpm=meta.get("max_hr"),
        avg_cadence_spm=None,
        device=MANUAL_DEVICE,
        streams=Streams({}),
        name=meta.get("name"),
        partial_reason=note,
        shoes=meta.get("gear"),
        rpe=meta.get("perceived_exertion"),
        commute=meta.get("commute"),
    )
