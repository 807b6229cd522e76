"""Wearable exports through `gluteguard import`: Apple Health (streamed), Garmin monitoring FIT, Fitbit JSON;
overlapping exports add only what is new; hostile files write nothing; the day's sitting figures use them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.samples.apple_health import write_apple_health_export, zip_apple_health_export
from gluteguard.samples.monitoring import monitoring_file
from gluteguard.services.activities import reprocess
from gluteguard.services.athletes import ensure_athlete, update_profile
from gluteguard.services.importer import import_paths
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, SourceFile, StandHourRow, StepRow

runner = CliRunner()


def _count(db: Database, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture(scope="module")
def apple_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    folder = tmp_path_factory.mktemp("apple")
    routes = folder / "apple_health_export" / "workout-routes"
    routes.mkdir(parents=True)
    xml = folder / "apple_health_export" / "export.xml"
    truth = write_apple_health_export(xml, target_bytes=1_500_000, routes_dir=routes)
    archive = zip_apple_health_export(xml, folder / "export.zip", routes)
    return archive, xml, truth


def test_apple_export_zip_then_the_same_export_unzipped(db: Database, apple_export) -> None:
    archive, xml, truth = apple_export
    athlete = ensure_athlete(db)
    first = import_paths(db, athlete, [archive], workers=1).as_json()
    assert first["failed"] == [] and first["wearable"]["steps"] == truth.step_samples
    assert first["wearable"]["stand_hours"] == truth.stand_hours and first["imported"] == truth.workouts
    with db.session() as session:
        source = session.scalar(select(SourceFile).where(SourceFile.format == "apple_health"))
        assert source.content_zlib == b"" and source.meta["original_kept"] is False  # checksum kept, not the export
        with_route = session.scalar(select(func.count()).select_from(Activity).where(Activity.n_samples > 0))
    assert with_route == truth.workouts  # each workout got its route from workout-routes/
    assert import_paths(db, athlete, [archive], workers=1).files[0].status == "skipped_identical"
    # The same data unzipped is another file: nothing new is added, its workouts are flagged for review.
    again = import_paths(db, athlete, [xml.parent], workers=1).as_json()
    assert again["wearable"] == {"steps": 0, "stand_hours": 0, "sedentary_days": 0}
    assert again["possible_duplicates"] == truth.workouts
    assert _count(db, StepRow) == truth.step_samples and _count(db, StandHourRow) == truth.stand_hours
    assert reprocess(db, athlete)["failed"] == 0  # wearable sources are left alone


def test_hostile_apple_xml_writes_nothing(sqlite_db: Database, tmp_path: Path) -> None:
    athlete = ensure_athlete(sqlite_db)
    bomb = tmp_path / "export.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE HealthData [<!ELEMENT HealthData ANY>]>\n<HealthData locale="en_US">\n'
        ' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count" '
        'startDate="2024-01-02 09:00:00 +0100" endDate="2024-01-02 09:05:00 +0100" value="300"/>\n'
        '<!ENTITY lol "lol">\n</HealthData>\n',
        encoding="utf-8",
    )
    truncated = tmp_path / "cut" / "export.xml"
    truncated.parent.mkdir()
    truncated.write_bytes(bomb.read_bytes().replace(b'<!ENTITY lol "lol">\n</HealthData>\n', b""))
    result = runner.invoke(app, ["--db", sqlite_db.url, "import", str(bomb), str(truncated)])
    assert result.exit_code == 1
    assert result.output.count("failed") >= 2 and "Traceback" not in result.output
    assert _count(sqlite_db, StepRow) == 0 and _count(sqlite_db, SourceFile) == 0
    assert athlete == 1


def test_garmin_monitoring_and_fitbit_feed_the_days_sitting(db: Database, tmp_path: Path) -> None:
    athlete = ensure_athlete(db)
    update_profile(db, athlete, {"timezone": "America/Chicago", "work_days": "mon,tue,wed,thu,fri,sat,sun",
                                 "work_start": "09:00", "work_end": "17:00"})  # fmt: skip
    monitoring = monitoring_file(first_day=date(2024, 3, 11), days=2)
    (tmp_path / "garmin").mkdir()
    (tmp_path / "garmin" / "2024-03-11-monitor.fit").write_bytes(monitoring.data)
    fitbit = tmp_path / "Fitbit" / "Global Export Data"
    fitbit.mkdir(parents=True)
    minutes = [{"dateTime": f"03/14/24 10:{m:02d}:00", "value": "0" if m < 40 else "90"} for m in range(60)]
    (fitbit / "steps-2024-03-14.json").write_text(json.dumps(minutes), encoding="utf-8")
    (fitbit / "sedentary_minutes-2024-03-14.json").write_text(
        json.dumps([{"dateTime": "03/14/24 00:00:00", "value": "610"}]), encoding="utf-8"
    )
    result = runner.invoke(app, ["--db", db.url, "import", str(tmp_path / "garmin"), str(tmp_path / "Fitbit"),
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["wearable"]["steps"] == len(monitoring.intervals) + 60 and summary["wearable"]["sedentary_days"] == 1
    garmin_day = json.loads(runner.invoke(app, ["--db", db.url, "sitting", "--date", "2024-03-11", "--json"]).output)
    assert garmin_day["source"] == "wearable" and garmin_day["sitting_min"] is not None
    fitbit_day = json.loads(runner.invoke(app, ["--db", db.url, "sitting", "--date", "2024-03-14", "--json"]).output)
    assert fitbit_day["device_sedentary_min"] == 610
    assert fitbit_day["breaks"] is None or fitbit_day["breaks"] >= 0


def test_batches_stored_while_reading_roll_back_when_the_export_is_cut(
    db: Database, apple_export, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gluteguard.ingest.apple_health as apple

    monkeypatch.setattr(apple, "BATCH_SAMPLES", 50)  # many batches reach the database before the cut
    _, xml, truth = apple_export
    athlete = ensure_athlete(db)
    cut = tmp_path / "cut" / "export.xml"
    cut.parent.mkdir()
    data = xml.read_bytes()
    cut.write_bytes(data[: len(data) * 9 // 10])
    report = import_paths(db, athlete, [cut], workers=1).files[0]
    assert report.status == "failed" and "truncated" in report.reason
    assert _count(db, StepRow) == 0 and _count(db, SourceFile) == 0 and _count(db, Activity) == 0
    whole = import_paths(db, athlete, [xml], workers=1).as_json()
    assert whole["wearable"]["steps"] == truth.step_samples == _count(db, StepRow)
