"""The import job against real databases: counts, idempotence, duplicates, damage, one transaction per file."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gluteguard.ingest.sources import SourceUnit
from gluteguard.samples.fitwriter import encode_fit
from gluteguard.samples.runner import one_hour_synthetic_run
from gluteguard.services.activities import (
    ActivityError,
    list_activities,
    load_streams,
    reprocess,
    resolve_duplicate,
)
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.import_prepare import prepare_unit
from gluteguard.services.import_store import store_prepared
from gluteguard.services.importer import import_paths
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, SourceFile

RUN_FILES = [
    "fit/dtcooper-python-fitparse/activity-small-fenix2-run.fit",
    "fit/thomaschampagne-elevate-specs/running/treadmill.fit",
    "fit/dtcooper-python-fitparse/nick.fit",  # truncated: partial
    "fit/dtcooper-python-fitparse/Settings.fit",  # not an activity
    "fit/thomaschampagne-elevate-specs/others/empty.fit",  # fails
    "gpx/thomaschampagne-elevate-activities02/runs/strava_export/20170319_run_906581465.gpx",
    "tcx/corriporai-runpandas/tcx/run.tcx",
    "tcx/corriporai-runpandas/tcx/malformed.tcx",  # fails
]


@pytest.fixture
def runs_folder(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "history"
    folder.mkdir()
    for relative in RUN_FILES:
        shutil.copy(shared_data / relative, folder / Path(relative).name)
    return folder


def test_import_counts_and_reimport_adds_nothing(db: Database, runs_folder: Path) -> None:
    athlete = ensure_athlete(db)
    first = import_paths(db, athlete, [runs_folder], workers=2)
    data = first.as_json()
    assert data["imported"] == 5 and data["possible_duplicates"] == 0
    assert {Path(f["file"]).name for f in data["failed"]} == {"empty.fit", "malformed.tcx"}
    assert [Path(p["file"]).name for p in data["partial"]] == ["nick.fit"]
    assert [Path(p["file"]).name for p in data["not_activities"]] == ["Settings.fit"]
    assert all("\n" not in f["reason"] for f in data["failed"])
    assert len(data["activity_ids"]) == 5

    second = import_paths(db, athlete, [runs_folder], workers=1).as_json()
    assert second["imported"] == 0 and second["possible_duplicates"] == 0
    assert second["skipped_identical"] == 5
    with db.session() as session:
        assert session.scalar(select(func.count(Activity.id))) == 5
        assert session.scalar(select(func.count(SourceFile.id))) == 5


def test_stored_activity_matches_the_file(db: Database, shared_data: Path) -> None:
    athlete = ensure_athlete(db)
    path = shared_data / "fit/dtcooper-python-fitparse/activity-small-fenix2-run.fit"
    summary = import_paths(db, athlete, [path], workers=1)
    (row,) = list_activities(db, athlete)
    assert row.sport == "run" and row.distance_m == pytest.approx(9008.22)
    assert row.start_local.endswith("+02:00")  # the watch's own local offset
    streams = load_streams(db, athlete, summary.activity_ids[0])
    assert len(streams) == 2809
    assert streams.get("heart_rate_bpm") is not None and streams.get("stance_time_ms") is not None
    with db.session() as session:
        source = session.scalars(select(SourceFile)).one()
        assert source.size_bytes == path.stat().st_size  # the original bytes are kept


def _synthetic_unit(name: str, *, lap_distance_m: float | None) -> SourceUnit:
    run = one_hour_synthetic_run(7)
    return SourceUnit(name=name, data=encode_fit(run, lap_distance_m=lap_distance_m))


def test_near_copy_is_flagged_for_review_and_resolved(db: Database) -> None:
    athlete = ensure_athlete(db)
    original = store_prepared(db, athlete, prepare_unit(_synthetic_unit("watch.fit", lap_distance_m=1000.0)))
    copy = store_prepared(db, athlete, prepare_unit(_synthetic_unit("strava.fit", lap_distance_m=None)))
    assert original.status == "imported"
    assert copy.status == "possible_duplicate" and copy.duplicate_ids == copy.activity_ids
    (flagged,) = list_activities(db, athlete, duplicates_only=True)
    assert flagged.duplicate_of == original.activity_ids[0]

    with pytest.raises(ActivityError):
        resolve_duplicate(db, athlete, original.activity_ids[0], "drop")  # not awaiting review
    resolve_duplicate(db, athlete, flagged.id, "keep")
    assert list_activities(db, athlete, duplicates_only=True) == []
    assert len(list_activities(db, athlete)) == 2


def test_dropping_a_duplicate_removes_it_and_its_file(db: Database) -> None:
    athlete = ensure_athlete(db)
    store_prepared(db, athlete, prepare_unit(_synthetic_unit("watch.fit", lap_distance_m=1000.0)))
    copy = store_prepared(db, athlete, prepare_unit(_synthetic_unit("strava.fit", lap_distance_m=None)))
    resolve_duplicate(db, athlete, copy.activity_ids[0], "drop")
    assert len(list_activities(db, athlete)) == 1
    with db.session() as session:
        assert session.scalar(select(func.count(SourceFile.id))) == 1


def test_a_failing_file_is_rolled_back_whole(db: Database) -> None:
    """A database error half-way through a file leaves nothing of it; the next file still imports."""
    athlete = ensure_athlete(db)
    broken = prepare_unit(_synthetic_unit("broken.fit", lap_distance_m=1000.0))
    good_activity = broken.activities[0]
    # The second activity violates a NOT NULL column, so the database itself refuses it on flush.
    broken.activities = [good_activity, dataclasses.replace(good_activity, stream_blob=None)]
    report = store_prepared(db, athlete, broken)
    assert report.status == "failed" and report.reason.startswith("database error, nothing stored")
    with db.session() as session:
        assert session.scalar(select(func.count(SourceFile.id))) == 0
        assert session.scalar(select(func.count(Activity.id))) == 0
    assert store_prepared(db, athlete, prepare_unit(_synthetic_unit("ok.fit", lap_distance_m=None))).status == (
        "imported"
    )


def test_reprocess_rebuilds_from_kept_originals(db: Database, runs_folder: Path) -> None:
    athlete = ensure_athlete(db)
    import_paths(db, athlete, [runs_folder], workers=1)
    before = [(r.start_utc, r.distance_m, r.sport) for r in list_activities(db, athlete)]
    counts = reprocess(db, athlete)
    assert counts == {"files": 5, "activities": 5, "failed": 0}
    after = [(r.start_utc, r.distance_m, r.sport) for r in list_activities(db, athlete)]
    assert after == before


def test_filters(db: Database, runs_folder: Path) -> None:
    from datetime import date

    athlete = ensure_athlete(db)
    import_paths(db, athlete, [runs_folder], workers=1)
    treadmill = list_activities(db, athlete, sport="treadmill")
    assert len(treadmill) == 1 and treadmill[0].sub_sport == "treadmill"
    rows = list_activities(db, athlete, since=date(2020, 1, 1))
    assert rows and all(r.start_local[:10] >= "2020-01-01" for r in rows)
