"""Exports and archives built in tmp_path from real files: a Strava bulk export (folder and zip), a Garmin
Connect export (zips in a zip, JSON beside), archive safety (path traversal, zip/gzip bombs, nesting,
corruption) and the same run exported in two formats (flagged, never dropped)."""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gluteguard.ingest.rules import import_rules
from gluteguard.ingest.sources import ExpansionStats, SourceProblem, SourceUnit, expand_zip
from gluteguard.samples.fitwriter import encode_fit
from gluteguard.samples.runner import one_hour_synthetic_run
from gluteguard.services.activities import list_activities
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.importer import ImportSummary, import_paths
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, SourceFile

HEADER_NOTES = "other/strava-export-notes/activities_csv_header.txt"
FIT_RUN = "fit/thomaschampagne-elevate-specs/running/bloemendaal.fit"  # 2020-03-04 16:14:31 UTC
GPX_RUN = "gpx/thomaschampagne-elevate-activities02/runs/strava_export/20170319_run_906581465.gpx"
TCX_RUN = "tcx/thomaschampagne-elevate-activities02/runs/strava_export/20160911_run_708752345.tcx"
GARMIN_FITS = [
    "fit/thomaschampagne-elevate-activities02/runs/garmin_export/20171011_run_2088390344.fit",
    "fit/thomaschampagne-elevate-specs/running/trosku.fit",
    "fit/dtcooper-python-fitparse/garmin-fenix-5-run.fit",
]
SMALL_FIT = "fit/dtcooper-python-fitparse/garmin-fenix-5-run.fit"


# --- a Strava bulk export -----------------------------------------------------------------------


def strava_header(shared_data: Path) -> list[str]:
    lines = (shared_data / HEADER_NOTES).read_text(encoding="utf-8").splitlines()
    (line,) = [x for x in lines if x.strip() and not x.startswith("#")]
    header = next(csv.reader([line]))
    assert len(header) == 94
    return header


def strava_row(header: list[str], values: dict[tuple[str, int], str]) -> list[str]:
    """A 94-field row; ``values`` are keyed by (column name, occurrence) because Strava repeats names."""
    row = [""] * len(header)
    for (name, occurrence), value in values.items():
        positions = [i for i, h in enumerate(header) if h == name]
        row[positions[occurrence - 1]] = value
    return row


@dataclass(frozen=True)
class StravaRow:
    activity_id: str
    date: str  # Strava's English UTC format
    name: str
    gear: str
    exertion: str
    commute: bool
    filename: str
    elapsed_s: float
    moving_s: float
    distance_m: float

    def fields(self, header: list[str]) -> list[str]:
        flag = "true" if self.commute else "false"
        return strava_row(
            header,
            {
                ("Activity ID", 1): self.activity_id,
                ("Activity Date", 1): self.date,
                ("Activity Name", 1): self.name,
                ("Activity Type", 1): "Run",
                ("Elapsed Time", 1): f"{self.elapsed_s:.0f}",
                ("Distance", 1): f"{self.distance_m / 1000:.2f}",
                ("Commute", 1): flag,
                ("Activity Gear", 1): self.gear,
                ("Filename", 1): self.filename,
                ("Elapsed Time", 2): f"{self.elapsed_s:.1f}",
                ("Moving Time", 1): f"{self.moving_s:.1f}",
                ("Distance", 2): f"{self.distance_m:.1f}",
                ("Perceived Exertion", 1): self.exertion,
                ("Commute", 2): "1" if self.commute else "0",
                ("Type", 1): "Run",
            },
        )


ROWS = [
    StravaRow("5001", "Mar 4, 2020, 4:14:31 PM", "Dunes tempo", "Pegasus 38", "7", False,
              "activities/1001.fit.gz", 2196, 2150, 6458),
    StravaRow("5002", "Mar 19, 2017, 4:49:30 PM", "Run to work", "Kinvara 12", "4", True,
              "activities/1002.gpx", 1958, 1900, 4589),
    StravaRow("5003", "Sep 11, 2016, 3:57:36 PM", "Long hilly one", "Pegasus 38", "8", False,
              "activities/1003.tcx.gz", 4070, 3900, 6107),
    StravaRow("5004", "Jan 5, 2021, 6:30:00 PM", "Treadmill at the gym", "Kinvara 12", "5", False,
              "", 1850, 1800, 5000),
    StravaRow("5005", "Feb 7, 2021, 7:00:00 AM", "Watch file lost", "Pegasus 38", "3", False,
              "activities/1005.fit.gz", 2800, 2700, 8000),
]  # fmt: skip
BY_NAME = {row.name: row for row in ROWS}


def build_strava_export(shared_data: Path, root: Path) -> Path:
    """A Strava bulk export as the user unpacks it: activities.csv + activities/ with gzipped files."""
    (root / "activities").mkdir(parents=True)
    header = strava_header(shared_data)
    with (root / "activities.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in ROWS:
            writer.writerow(row.fields(header))
    # Strava gzips FIT and TCX uploads; TCX comes with ~10 spaces before the XML declaration.
    (root / "activities/1001.fit.gz").write_bytes(gzip.compress((shared_data / FIT_RUN).read_bytes()))
    shutil.copy(shared_data / GPX_RUN, root / "activities/1002.gpx")
    tcx = b" " * 10 + (shared_data / TCX_RUN).read_bytes()
    (root / "activities/1003.tcx.gz").write_bytes(gzip.compress(tcx))
    # Beside the activities, a real export holds other things that are not activities.
    (root / "profile.csv").write_text("Athlete ID,Email Address\n1,runner@example.org\n", encoding="utf-8")
    (root / "media").mkdir()
    (root / "media/photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return root


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


@pytest.fixture
def strava_folder(shared_data: Path, tmp_path: Path) -> Path:
    return build_strava_export(shared_data, tmp_path / "export_12345")


def _activities(db: Database, athlete: int) -> dict[str, Activity]:
    with db.session() as session:
        rows = session.scalars(select(Activity).where(Activity.athlete_id == athlete)).all()
    return {row.name or "": row for row in rows}


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_strava_export_gives_names_shoes_effort_and_commute(
    db: Database, strava_folder: Path, tmp_path: Path, form: str
) -> None:
    target = strava_folder if form == "folder" else zip_folder(strava_folder, tmp_path / "export_12345.zip")
    athlete = ensure_athlete(db)
    summary = import_paths(db, athlete, [target], workers=1)
    data = summary.as_json()
    assert data["failed"] == [], data["failed"]
    assert data["imported"] == 5 and data["possible_duplicates"] == 0 and data["skipped_identical"] == 0
    assert data["ignored_files"] == 2  # profile.csv and the photo: counted, never failed
    assert len(data["activity_ids"]) == 5

    stored = _activities(db, athlete)
    assert set(stored) == set(BY_NAME)
    for name, activity in stored.items():
        row = BY_NAME[name]
        assert activity.shoes == row.gear, name
        assert activity.rpe == float(row.exertion), name
        assert activity.commute is row.commute, name
        assert activity.sport == "run", name

    # Files keep their own measurements; the CSV only adds what the file cannot know.
    assert stored["Dunes tempo"].distance_m == pytest.approx(6458.0)
    assert stored["Dunes tempo"].n_samples > 100
    assert stored["Long hilly one"].n_samples > 100  # the TCX with leading spaces parsed
    assert stored["Run to work"].n_samples > 100

    manual = stored["Treadmill at the gym"]
    assert manual.distance_m == pytest.approx(5000.0) and manual.moving_s == pytest.approx(1800.0)
    assert manual.elapsed_s == pytest.approx(1850.0) and manual.partial_reason is None
    assert manual.start_utc.replace(tzinfo=None).isoformat() == "2021-01-05T18:30:00"

    missing = stored["Watch file lost"]
    assert missing.distance_m == pytest.approx(8000.0) and missing.moving_s == pytest.approx(2700.0)
    assert missing.partial_reason and "no file in the export" in missing.partial_reason
    (partial,) = data["partial"]
    assert "5005" in partial["file"] and "\n" not in partial["reason"]

    rows = {r.name: r for r in list_activities(db, athlete)}
    assert rows["Watch file lost"].partial and not rows["Treadmill at the gym"].partial
    assert rows["Dunes tempo"].source_file.endswith("activities/1001.fit.gz")

    again = import_paths(db, athlete, [target], workers=2).as_json()
    assert again["imported"] == 0 and again["possible_duplicates"] == 0 and again["failed"] == []
    assert again["skipped_identical"] == 5
    assert len(_activities(db, athlete)) == 5


def test_strava_export_folder_then_zip_adds_nothing(sqlite_db: Database, strava_folder: Path, tmp_path: Path) -> None:
    """The same export unpacked elsewhere, or as its zip, is the same data: manual rows included."""
    athlete = ensure_athlete(sqlite_db)
    first = import_paths(sqlite_db, athlete, [strava_folder], workers=1).as_json()
    assert first["imported"] == 5
    moved = tmp_path / "elsewhere" / "strava"
    shutil.copytree(strava_folder, moved)
    archive = zip_folder(strava_folder, tmp_path / "export.zip")
    for target in (moved, archive):
        again = import_paths(sqlite_db, athlete, [target], workers=1).as_json()
        assert (again["imported"], again["possible_duplicates"], again["skipped_identical"]) == (0, 0, 5), target
    with sqlite_db.session() as session:
        assert session.scalar(select(func.count(Activity.id))) == 5


def test_strava_export_inside_a_top_folder_of_the_zip(sqlite_db: Database, strava_folder: Path, tmp_path: Path) -> None:
    """Zips made by hand often hold the export folder itself: Filename is relative to activities.csv."""
    archive = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(strava_folder.rglob("*")):
            if path.is_file():
                out.write(path, f"export_12345/{path.relative_to(strava_folder).as_posix()}")
    athlete = ensure_athlete(sqlite_db)
    data = import_paths(sqlite_db, athlete, [archive], workers=1).as_json()
    assert data["failed"] == [] and data["imported"] == 5
    stored = _activities(sqlite_db, athlete)
    assert stored["Run to work"].commute is True and stored["Run to work"].shoes == "Kinvara 12"


# --- a Garmin Connect export ------------------------------------------------------------------------


def _zip_bytes(members: Iterable[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_garmin_connect_export_zips_inside_a_zip(db: Database, shared_data: Path, tmp_path: Path) -> None:
    inner = _zip_bytes((f"{Path(rel).stem}.fit", (shared_data / rel).read_bytes()) for rel in GARMIN_FITS)
    outer = tmp_path / "garmin_export.zip"
    outer.write_bytes(
        _zip_bytes(
            [
                ("DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip", inner),
                ("DI_CONNECT/DI-Connect-Fitness/runner_0_summarizedActivities.json", b'[{"activities": []}]'),
                ("DI_CONNECT/DI-Connect-User/user_profile.json", b'{"userName": "runner"}'),
                ("DI_CONNECT/DI-Connect-Wellness/2020-01-01_2020-04-10_123_sleepData.json", b"[]"),
                ("DI_CONNECT/DI-Connect-Fitness/", b""),  # a directory entry
            ]
        )
    )  # fmt: skip
    athlete = ensure_athlete(db)
    data = import_paths(db, athlete, [outer], workers=1).as_json()
    assert data["failed"] == [] and data["imported"] == len(GARMIN_FITS)
    assert data["ignored_files"] == 3
    names = {r.source_file for r in list_activities(db, athlete)}
    assert f"{outer}!DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip!trosku.fit" in names
    again = import_paths(db, athlete, [outer], workers=1).as_json()
    assert again["skipped_identical"] == len(GARMIN_FITS) and again["imported"] == 0


# --- archive safety -------------------------------------------------------------------------------------


def _failed(summary: ImportSummary) -> dict[str, str]:
    return {f["file"]: f["reason"] for f in summary.as_json()["failed"]}


def _one_line(reasons: Iterable[str]) -> None:
    for reason in reasons:
        assert reason and "\n" not in reason and "Traceback" not in reason


def test_path_traversal_members_are_refused_others_import(
    sqlite_db: Database, shared_data: Path, tmp_path: Path
) -> None:
    good = (shared_data / SMALL_FIT).read_bytes()
    archive = tmp_path / "sneaky.zip"
    archive.write_bytes(
        _zip_bytes([("../evil.fit", good), ("/etc/evil2.fit", good), ("C:/evil3.fit", good), ("ok/run.fit", good)])
    )
    athlete = ensure_athlete(sqlite_db)
    summary = import_paths(sqlite_db, athlete, [archive], workers=1)
    failed = _failed(summary)
    assert set(failed) == {f"{archive}!../evil.fit", f"{archive}!/etc/evil2.fit", f"{archive}!C:/evil3.fit"}
    assert all("path traversal" in reason for reason in failed.values())
    _one_line(failed.values())
    assert summary.as_json()["imported"] == 1
    (row,) = list_activities(sqlite_db, athlete)
    assert row.source_file == f"{archive}!ok/run.fit"
    assert not (tmp_path / "evil.fit").exists() and not Path("/etc/evil2.fit").exists()


def test_zip_bomb_member_is_refused_by_ratio(sqlite_db: Database, shared_data: Path, tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    archive.write_bytes(
        _zip_bytes([("bomb.fit", bytes(50_000_000)), ("run.fit", (shared_data / SMALL_FIT).read_bytes())])
    )
    assert archive.stat().st_size < 200_000
    athlete = ensure_athlete(sqlite_db)
    summary = import_paths(sqlite_db, athlete, [archive], workers=1)
    failed = _failed(summary)
    assert list(failed) == [f"{archive}!bomb.fit"]
    reason = failed[f"{archive}!bomb.fit"]
    assert "ratio" in reason and "zip bomb" in reason
    _one_line(failed.values())
    assert summary.as_json()["imported"] == 1


def test_gzip_bomb_fails_with_a_clear_reason(sqlite_db: Database, shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bomb.fit.gz").write_bytes(gzip.compress(bytes(50_000_000), compresslevel=9))
    shutil.copy(shared_data / SMALL_FIT, folder / "run.fit")
    athlete = ensure_athlete(sqlite_db)
    summary = import_paths(sqlite_db, athlete, [folder], workers=1)
    failed = _failed(summary)
    assert list(failed) == [str(folder / "bomb.fit.gz")]
    assert "gzip expands beyond the cap" in failed[str(folder / "bomb.fit.gz")]
    _one_line(failed.values())
    assert summary.as_json()["imported"] == 1


def test_zips_nested_deeper_than_the_cap_are_refused(sqlite_db: Database, shared_data: Path, tmp_path: Path) -> None:
    depth_cap = import_rules().archives.max_nesting_depth
    run = (shared_data / SMALL_FIT).read_bytes()
    payload = _zip_bytes([("deep.fit", run)])
    for level in range(depth_cap):  # depth_cap + 1 zips in all
        payload = _zip_bytes([(f"level{level}.zip", payload), (f"shallow{level}.fit", run)])
    archive = tmp_path / "matryoshka.zip"
    archive.write_bytes(payload)
    athlete = ensure_athlete(sqlite_db)
    summary = import_paths(sqlite_db, athlete, [archive], workers=1)
    failed = _failed(summary)
    (name,) = failed
    assert name.endswith("level0.zip") and f"nested deeper than {depth_cap}" in failed[name]
    _one_line(failed.values())
    # The identical shallow copies are recognised as such; nothing inside the refused zip was read.
    data = summary.as_json()
    assert data["imported"] == 1 and data["skipped_identical"] == depth_cap - 1
    assert all("deep.fit" not in r.file for r in summary.files)


def test_corrupt_zip_is_one_failed_line(sqlite_db: Database, shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.zip").write_bytes(b"PK\x03\x04" + os.urandom(2000))
    (folder / "half.zip").write_bytes(_zip_bytes([("run.fit", (shared_data / SMALL_FIT).read_bytes())])[:-30])
    shutil.copy(shared_data / SMALL_FIT, folder / "run.fit")
    athlete = ensure_athlete(sqlite_db)
    summary = import_paths(sqlite_db, athlete, [folder], workers=1)
    failed = _failed(summary)
    assert set(failed) == {str(folder / "broken.zip"), str(folder / "half.zip")}
    assert all("not a readable zip archive" in reason for reason in failed.values())
    _one_line(failed.values())
    assert summary.as_json()["imported"] == 1


def _set_flag(data: bytes, member: str, flag: int) -> bytes:
    """Set a general-purpose flag bit on one member, in both its local and central headers."""
    out = bytearray(data)
    encoded = member.encode()
    for signature, flag_offset, name_offset in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (start := out.find(signature, start)) != -1:
            if out[start + name_offset : start + name_offset + len(encoded)] == encoded:
                (flags,) = struct.unpack_from("<H", out, start + flag_offset)
                struct.pack_into("<H", out, start + flag_offset, flags | flag)
            start += 4
    return bytes(out)


def _corrupt_deflate(data: bytes, member: str) -> bytes:
    """Overwrite the start of one member's compressed bytes so inflating it fails."""
    out = bytearray(data)
    header = out.find(b"PK\x03\x04")  # first local header
    while header != -1:
        name_length, extra_length = struct.unpack_from("<HH", out, header + 26)
        name = bytes(out[header + 30 : header + 30 + name_length]).decode()
        body = header + 30 + name_length + extra_length
        if name == member:
            out[body : body + 16] = b"\xff" * 16
            return bytes(out)
        header = out.find(b"PK\x03\x04", body)
    raise AssertionError(f"{member} not found")


def test_damaged_members_fail_alone(sqlite_db: Database, shared_data: Path, tmp_path: Path) -> None:
    """A member whose data is damaged, or that claims to be encrypted, is one failed line; the rest imports."""
    good = (shared_data / SMALL_FIT).read_bytes()
    other = (shared_data / GARMIN_FITS[0]).read_bytes()
    plain = _zip_bytes([("a/damaged.fit", good), ("a/locked.fit", good), ("a/good.fit", other)])
    archive = tmp_path / "mixed.zip"
    archive.write_bytes(_set_flag(_corrupt_deflate(plain, "a/damaged.fit"), "a/locked.fit", 0x1))
    athlete = ensure_athlete(sqlite_db)
    summary = import_paths(sqlite_db, athlete, [archive], workers=1)
    failed = _failed(summary)
    assert set(failed) == {f"{archive}!a/damaged.fit", f"{archive}!a/locked.fit"}
    _one_line(failed.values())
    assert summary.as_json()["imported"] == 1


def test_damaged_strava_csv_in_a_zip_does_not_stop_the_import(
    sqlite_db: Database, strava_folder: Path, tmp_path: Path
) -> None:
    plain = zip_folder(strava_folder, tmp_path / "plain.zip").read_bytes()
    for label, damaged in (
        ("corrupt", _corrupt_deflate(plain, "activities.csv")),
        ("locked", _set_flag(plain, "activities.csv", 0x1)),
    ):
        archive = tmp_path / f"{label}.zip"
        archive.write_bytes(damaged)
        athlete = ensure_athlete(sqlite_db, label)
        summary = import_paths(sqlite_db, athlete, [archive], workers=1)
        data = summary.as_json()
        # The files still import (without the CSV's names); the CSV itself is reported, one line.
        assert data["imported"] == 3, label
        failed = _failed(summary)
        assert any(name.endswith("activities.csv") for name in failed), (label, failed)
        _one_line(failed.values())


def test_one_damaged_file_among_good_ones(db: Database, shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for rel in GARMIN_FITS:
        shutil.copy(shared_data / rel, folder / Path(rel).name)
    data = (shared_data / GARMIN_FITS[1]).read_bytes()
    (folder / "damaged.fit").write_bytes(data[:12] + bytes(200) + data[212:])  # header kept, records zeroed
    (folder / "cut.tcx").write_bytes((shared_data / TCX_RUN).read_bytes()[:5000])
    (folder / "noise.gpx").write_bytes(os.urandom(3000))
    athlete = ensure_athlete(db)
    summary = import_paths(db, athlete, [folder], workers=2)
    data_json = summary.as_json()
    reports = {Path(r.file).name: r for r in summary.files}
    for good in GARMIN_FITS:
        assert reports[Path(good).name].status == "imported"
    for bad in ("damaged.fit", "cut.tcx", "noise.gpx"):
        assert reports[bad].status in {"failed", "partial", "possible_duplicate"}, reports[bad]
        assert reports[bad].reason and "\n" not in reports[bad].reason
    assert reports["noise.gpx"].status == "failed"
    _one_line(f["reason"] for f in data_json["failed"] + data_json["partial"])


def test_expand_zip_reports_problems_instead_of_raising(shared_data: Path) -> None:
    limits = import_rules().archives
    stats = ExpansionStats()
    good = (shared_data / SMALL_FIT).read_bytes()
    data = _zip_bytes([("../x.fit", good), ("notes.txt", b"hi"), ("run.FIT", good), ("sub/", b"")])
    items = list(expand_zip(data, "a.zip", limits, stats))
    units = [i for i in items if isinstance(i, SourceUnit)]
    problems = [i for i in items if isinstance(i, SourceProblem)]
    assert [u.name for u in units] == ["a.zip!run.FIT"] and units[0].read() == good
    assert [p.name for p in problems] == ["a.zip!../x.fit"]
    assert stats.ignored == ["a.zip!notes.txt"]
    assert [p.name for p in expand_zip(b"not a zip", "b.zip", limits, ExpansionStats())] == ["b.zip"]


def test_archive_caps_hold_for_the_whole_import_across_nested_zips() -> None:
    """Issue 14.3: the total cap applied per nested zip, so nesting multiplied it."""
    from dataclasses import replace

    limits = replace(import_rules().archives, max_total_uncompressed_bytes=2500)
    inner = _zip_bytes([("a.fit", b"\x0e" * 1000)])
    outer = _zip_bytes([("one.zip", inner), ("two.zip", inner), ("three.zip", inner)])
    items = list(expand_zip(outer, "outer.zip", limits, ExpansionStats()))
    refused = [i for i in items if isinstance(i, SourceProblem) and "total of this import" in i.reason]
    assert refused, items  # the nested zips' members count against one budget


def test_overlapping_zip_entries_are_refused() -> None:
    """Issue 14.3: a zip whose central directory points two entries at one compressed stream (Fifield's
    overlapping-entry bomb) is not refused by Python 3.11's zipfile."""
    import struct

    data = bytearray(_zip_bytes([("a.fit", b"A" * 5000), ("b.fit", b"B" * 5000)]))
    second = data.rfind(b"PK\x01\x02")  # the second central-directory entry
    data[second + 42 : second + 46] = struct.pack("<I", 0)  # its local header: the first entry's
    items = list(expand_zip(bytes(data), "bomb.zip", import_rules().archives, ExpansionStats()))
    assert len(items) == 1 and isinstance(items[0], SourceProblem) and "overlap" in items[0].reason, items


def test_large_members_reach_the_workers_as_temporary_files_that_are_removed(tmp_path: Path, db: Database) -> None:
    spool_above = import_rules().archives.spool_above_bytes
    big = _zip_bytes([("huge.fit", os.urandom(spool_above + 4096))])  # incompressible: no bomb
    path = tmp_path / "big.zip"
    path.write_bytes(big)
    (unit,) = list(expand_zip(path, str(path), import_rules().archives, ExpansionStats()))
    assert isinstance(unit, SourceUnit) and unit.spooled and unit.data is None and Path(unit.path).exists()
    unit.discard()
    assert not Path(unit.path).exists()
    summary = import_paths(db, ensure_athlete(db), [path], workers=2)
    assert [f.status for f in summary.files] == ["failed"]  # not a FIT file, refused in one line, nothing left
    assert not list(Path(tempfile.gettempdir()).glob("gluteguard-member-*"))


# --- the same run in two formats ------------------------------------------------------------------


ELEVATE_SPECS = "thomaschampagne-elevate-specs/running"
CROSS_FORMAT_PAIRS = [
    # One Garmin run as FIT and as TCX (elevate specs): starts 23 s apart, same distance.
    (f"fit/{ELEVATE_SPECS}/sloatsburg.fit", f"tcx/{ELEVATE_SPECS}/sloatsburg.tcx"),
    # One run as GPX (no sport in it) and as TCX (runpandas).
    ("tcx/corriporai-runpandas/tcx/run.tcx", "gpx/corriporai-runpandas/gpx/run.gpx"),
]


def test_same_run_in_two_formats_is_flagged_not_dropped(db: Database, shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "two_formats"
    folder.mkdir()
    for first, second in CROSS_FORMAT_PAIRS:
        shutil.copy(shared_data / first, folder / f"a_{Path(first).name}")
        shutil.copy(shared_data / second, folder / f"b_{Path(second).name}")
    athlete = ensure_athlete(db)
    summary = import_paths(db, athlete, [folder], workers=2)
    data = summary.as_json()
    assert data["failed"] == [] and data["imported"] == 2 and data["possible_duplicates"] == 2
    rows = list_activities(db, athlete)
    assert len(rows) == 4  # nothing dropped
    flagged = {Path(r.source_file or "").name: r for r in rows if r.duplicate_status == "possible"}
    assert set(flagged) == {"b_sloatsburg.tcx", "b_run.gpx"}
    by_id = {r.id: r for r in rows}
    assert Path(by_id[flagged["b_sloatsburg.tcx"].duplicate_of].source_file or "").name == "a_sloatsburg.fit"
    assert Path(by_id[flagged["b_run.gpx"].duplicate_of].source_file or "").name == "a_run.tcx"
    with db.session() as session:
        assert session.scalar(select(func.count(SourceFile.id))) == 4


def test_synthetic_near_copy_with_other_laps_in_an_archive(sqlite_db: Database, tmp_path: Path) -> None:
    run = one_hour_synthetic_run(3)
    archive = tmp_path / "two_devices.zip"
    archive.write_bytes(
        _zip_bytes(
            [
                ("watch/run.fit", encode_fit(run, lap_distance_m=1000.0)),
                ("phone/run.fit.gz", gzip.compress(encode_fit(run, lap_distance_m=None))),
            ]
        )
    )
    athlete = ensure_athlete(sqlite_db)
    data = import_paths(sqlite_db, athlete, [archive], workers=1).as_json()
    assert data["imported"] == 1 and data["possible_duplicates"] == 1 and data["skipped_identical"] == 0
    assert len(list_activities(sqlite_db, athlete)) == 2
    (flagged,) = list_activities(sqlite_db, athlete, duplicates_only=True)
    assert flagged.source_file == f"{archive}!phone/run.fit.gz"


def test_strava_export_zip_inside_a_folder(sqlite_db: Database, strava_folder: Path, tmp_path: Path) -> None:
    """The downloaded export zip dropped into a folder that is imported whole: the CSV still counts."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    zip_folder(strava_folder, downloads / "export_12345.zip")
    athlete = ensure_athlete(sqlite_db)
    data = import_paths(sqlite_db, athlete, [downloads], workers=1).as_json()
    assert data["failed"] == [] and data["imported"] == 5
    stored = _activities(sqlite_db, athlete)
    assert set(stored) == set(BY_NAME)
    assert stored["Long hilly one"].shoes == "Pegasus 38" and stored["Long hilly one"].rpe == 8.0


def test_a_negative_strava_row_is_refused_in_one_line_and_never_reaches_the_load(
    db: Database, shared_data: Path, tmp_path: Path
) -> None:
    """Issue 14.5: a row of −36,000 s and −100 km was stored and made the last 7 days −90 km."""
    root = tmp_path / "export_negative"
    root.mkdir()
    header = strava_header(shared_data)
    bad = StravaRow("6001", "Jan 6, 2021, 6:30:00 PM", "Typo run", "Kinvara 12", "5", False, "", -36000, -36000,
                    -100_000)  # fmt: skip
    good = StravaRow("6002", "Jan 7, 2021, 6:30:00 PM", "Fine run", "Kinvara 12", "5", False, "", 1800, 1750, 5000)
    with (root / "activities.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(bad.fields(header))
        writer.writerow(good.fields(header))
    athlete = ensure_athlete(db)
    summary = import_paths(db, athlete, [root], workers=1).as_json()
    failed = [f for f in summary["failed"]]
    assert len(failed) == 1 and "\n" not in failed[0]["reason"]
    assert "not possible" in failed[0]["reason"] and "below 0" in failed[0]["reason"], failed
    stored = _activities(db, athlete)
    assert set(stored) == {"Fine run"} and all(a.distance_m >= 0 and a.elapsed_s >= 0 for a in stored.values())


def test_a_sensor_no_value_marker_is_kept_as_no_reading(shared_data: Path) -> None:
    """Heart rate 0 or 254 in real FIT files (sensor "no value") must not refuse the activity."""
    from gluteguard.ingest.sources import SourceUnit
    from gluteguard.services.import_prepare import prepare_unit

    path = shared_data / "fit/muktihari-fit/Activity.fit"
    if not path.exists():
        pytest.skip(f"{path} is not beside the checkout")
    prepared = prepare_unit(SourceUnit(name=path.name, data=path.read_bytes()))
    assert prepared.error is None and prepared.activities
    assert any("maximum heart rate 254 bpm is above 250 bpm: kept as no reading" in w for w in prepared.warnings)


def test_terminal_escapes_in_member_names_are_shown_not_obeyed(shared_data: Path, tmp_path: Path) -> None:
    """Issue 14.7: zip member names with terminal escapes were printed raw by gluteguard activities."""
    from typer.testing import CliRunner

    from gluteguard.cli.app import app

    good = (shared_data / SMALL_FIT).read_bytes()
    archive = tmp_path / "evil.zip"
    archive.write_bytes(_zip_bytes([("\x1b]0;pwned\x07run\x1b[2J.fit", good), ("bad\x1b[31m.fit", b"not a fit")]))
    db = str(tmp_path / "x.sqlite")
    imported = CliRunner().invoke(app, ["--db", db, "import", str(archive)])
    listed = CliRunner().invoke(app, ["--db", db, "activities"])
    for result in (imported, listed):
        assert "\x1b" not in result.output and "\x07" not in result.output, result.output
    assert "\\x1b" in imported.output and "\\x1b" in listed.output
