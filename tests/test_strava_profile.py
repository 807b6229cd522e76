"""A Strava export's profile.csv fills the runner's empty profile fields (weight, sex, year of birth) and never what
the runner typed; junk in it is one plain line and never spoils the activities. Zips built in tmp_path from real
files (a real Strava-exported GPX run and the real 94-column activities.csv header in ../shared/data)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.ingest.strava_export import StravaIndex
from gluteguard.ingest.strava_profile import read_profile_csv
from gluteguard.services.athletes import ensure_athlete, get_profile, update_profile
from gluteguard.services.importer import import_paths
from gluteguard.store.db import Database
from gluteguard.web.app import create_app

HEADER_NOTES = "other/strava-export-notes/activities_csv_header.txt"
GPX_RUN = "gpx/thomaschampagne-elevate-activities02/runs/strava_export/20170319_run_906581465.gpx"
# The likeliest header of today's export (names in the style of activities.csv since 2019; see strava_profile.toml
# for what is and is not verified), and the lower-case one scripts read from 2019-era exports.
PROFILE = (
    "Athlete ID,Email Address,First Name,Last Name,Sex,Description,Weight,City,State,Country,"
    "Health Consent Status,Date of Health Consent Status,Birth Date\n"
    '123,runner@example.org,Ann,Smith,F,,72.0,Berlin,,Germany,Approved,"Jan 2, 2024",1988-04-12\n'
)


def activities_csv(shared_data: Path) -> bytes:
    lines = (shared_data / HEADER_NOTES).read_text(encoding="utf-8").splitlines()
    (line,) = [x for x in lines if x.strip() and not x.startswith("#")]
    header = next(csv.reader([line]))
    row = [""] * len(header)
    values = {"Activity ID": "5002", "Activity Date": "Mar 19, 2017, 4:49:30 PM", "Activity Name": "Run to work",
              "Activity Type": "Run", "Filename": "activities/1002.gpx"}  # fmt: skip
    for name, value in values.items():
        row[header.index(name)] = value
    out = io.StringIO()
    csv.writer(out).writerows([header, row])
    return out.getvalue().encode()


def export_zip(shared_data: Path, target: Path, profile: bytes | None, prefix: str = "") -> Path:
    """A Strava bulk export zip: activities.csv, one real GPX run, and profile.csv at the same root."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{prefix}activities.csv", activities_csv(shared_data))
        archive.writestr(f"{prefix}activities/1002.gpx", (shared_data / GPX_RUN).read_bytes())
        if profile is not None:
            archive.writestr(f"{prefix}profile.csv", profile)
    return target


def cli_import(db: Database, path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--db", db.url, "import", str(path), "--workers", "1", *extra])
    return result.exit_code, result.output


# --- the pure reader ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PROFILE, {"weight_kg": 72.0, "sex": "female", "birth_year": 1988}),
        ("id,email,firstname,lastname,sex,weight\n1,a@b.c,Ann,Smith,M,68.5\n", {"sex": "male", "weight_kg": 68.5}),
        (
            'SEX,  weight_kg ,Date of Birth\nf,"71,5","Apr 12, 1988"\n',
            {"sex": "female", "weight_kg": 71.5, "birth_year": 1988},
        ),
        (
            "Geschlecht,Gewicht,Geburtsdatum\nWeiblich,60,12.04.1990\n",
            {"sex": "female", "weight_kg": 60.0, "birth_year": 1990},
        ),
        ("Gender,Weight,Birthday\nMale,176 lb,1975\n", {"sex": "male", "weight_kg": 79.8, "birth_year": 1975}),
        ("Sex,Weight,Birth Date\n,0.0,\n", {}),  # nothing set in Strava: 0 kg is no weight
        ("Athlete ID,Email Address\n1,runner@example.org\n", {}),  # no such columns: nothing to take
    ],
)
def test_the_reader_finds_weight_sex_and_birth_year(text: str, expected: dict) -> None:
    read = read_profile_csv(text.encode())
    assert read.values == expected and read.problems == ()


def test_junk_values_are_plain_phrases_not_errors() -> None:
    read = read_profile_csv(b'Sex,Weight,Birth Date\nsometimes,heavy,"born 1988, moved 1999"\n')
    assert read.values == {}
    assert read.problems == (
        "the weight 'heavy' is not a number of kilograms",
        "the sex 'sometimes' is not one we know",
        "the birth date 'born 1988, moved 1999' has no year we can read",
    )
    assert read_profile_csv(b"\x00\x01\x02garbage").problems == ("it is not a text file",)
    assert read_profile_csv(b"").problems == ("it is empty",)
    assert all("\n" not in p for p in read.problems)


# --- the import ------------------------------------------------------------------------------------------------


def test_an_export_fills_the_empty_profile_and_says_what_it_took(
    db: Database, shared_data: Path, tmp_path: Path
) -> None:
    athlete = ensure_athlete(db)
    code, output = cli_import(db, export_zip(shared_data, tmp_path / "export_123.zip", PROFILE.encode()), "--json")
    assert code == 0, output
    result = json.loads(output)
    assert result["imported"] == 1 and result["failed"] == []
    assert result["strava_profile"] == {
        "file": f"{tmp_path / 'export_123.zip'}!profile.csv",
        "taken": {"weight_kg": 72.0, "sex": "female", "birth_year": 1988},
        "kept": [],
        "problems": [],
        "message": "From your Strava profile: weight 72 kg, sex female, birth year 1988.",
    }
    profile = get_profile(db, athlete)
    assert (profile.weight_kg, profile.sex, profile.birth_year) == (72.0, "female", 1988)


def test_what_the_runner_typed_is_never_overwritten(db: Database, shared_data: Path, tmp_path: Path) -> None:
    athlete = ensure_athlete(db)
    update_profile(db, athlete, {"birth_year": 1990, "sex": "other"})
    code, output = cli_import(db, export_zip(shared_data, tmp_path / "export_123.zip", PROFILE.encode()))
    assert code == 0, output
    assert "From your Strava profile: weight 72 kg." in output
    assert "Your own sex and birth year in your profile were kept." in output
    profile = get_profile(db, athlete)
    assert (profile.weight_kg, profile.sex, profile.birth_year) == (72.0, "other", 1990)
    # the same export again: everything is there now, nothing changes
    summary = import_paths(db, athlete, [tmp_path / "export_123.zip"], workers=1)
    assert summary.strava_profile is not None and summary.strava_profile.taken == {}
    assert summary.strava_profile.message == "Your own weight, sex and birth year in your profile were kept."
    assert get_profile(db, athlete).weight_kg == 72.0


def test_junk_in_profile_csv_is_one_line_and_the_activities_still_import(
    db: Database, shared_data: Path, tmp_path: Path
) -> None:
    athlete = ensure_athlete(db)
    junk = b"Sex,Weight,Birth Date\n\xff\xfe?!,-12 stones,1850-01-01\n"
    code, output = cli_import(db, export_zip(shared_data, tmp_path / "export_9.zip", junk), "--json")
    assert code == 0, output  # a bad profile.csv is no failed import
    result = json.loads(output)
    assert result["imported"] == 1 and result["failed"] == [] and len(result["activity_ids"]) == 1
    message = result["strava_profile"]["message"]
    assert "\n" not in message and message.startswith("Not used from your Strava profile: the weight")
    assert "the birth year 1850 is outside what a profile takes" in message
    assert result["strava_profile"]["taken"] == {}
    profile = get_profile(db, athlete)
    assert (profile.weight_kg, profile.sex, profile.birth_year) == (None, None, None)
    # a weight out of range does not stop the fields that are fine
    mixed = b"Sex,Weight,Birth Date\nM,900,1979-02-03\n"
    summary = import_paths(db, athlete, [export_zip(shared_data, tmp_path / "export_10.zip", mixed)], workers=1)
    assert summary.strava_profile is not None
    assert summary.strava_profile.taken == {"sex": "male", "birth_year": 1979}
    assert summary.strava_profile.problems == ("the weight 900 kg is outside what a profile takes",)


def test_an_unreadable_profile_member_is_one_line_too(db: Database, shared_data: Path, tmp_path: Path) -> None:
    athlete = ensure_athlete(db)
    target = export_zip(shared_data, tmp_path / "export_11.zip", PROFILE.encode())
    # Damage the profile member's compressed bytes in place: the zip still opens, the member does not read.
    data = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as archive:
        info = archive.getinfo("profile.csv")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start : start + info.compress_size] = b"\x00" * info.compress_size
    target.write_bytes(bytes(data))
    summary = import_paths(db, athlete, [target], workers=1)
    assert len(summary.activity_ids) == 1 and not summary.failed
    assert summary.strava_profile is not None and summary.strava_profile.problems == ("the file could not be read",)


def test_only_the_profile_beside_an_activities_csv_counts(shared_data: Path, tmp_path: Path) -> None:
    inside = export_zip(shared_data, tmp_path / "export_12.zip", PROFILE.encode(), prefix="export_12/")
    assert [name for name, _ in StravaIndex.scan([inside]).profiles] == [f"{inside}!export_12/profile.csv"]
    other = tmp_path / "notes"
    other.mkdir()
    (other / "profile.csv").write_text(PROFILE, encoding="utf-8")  # some other tool's profile.csv
    assert StravaIndex.scan([other]).profiles == []
    folder = tmp_path / "export_13"
    (folder / "activities").mkdir(parents=True)
    (folder / "activities.csv").write_bytes(activities_csv(shared_data))
    (folder / "profile.csv").write_text(PROFILE, encoding="utf-8")
    assert [name for name, _ in StravaIndex.scan([folder]).profiles] == [str(folder / "profile.csv")]


def test_an_export_without_profile_csv_says_nothing_about_it(db: Database, shared_data: Path, tmp_path: Path) -> None:
    athlete = ensure_athlete(db)
    summary = import_paths(db, athlete, [export_zip(shared_data, tmp_path / "export_14.zip", None)], workers=1)
    assert summary.strava_profile is None and summary.as_json()["strava_profile"] is None
    assert len(summary.activity_ids) == 1


def test_the_import_page_and_the_profile_page_show_it(sqlite_db: Database, shared_data: Path, tmp_path: Path) -> None:
    target = export_zip(shared_data, tmp_path / "export_15.zip", PROFILE.encode())
    with TestClient(create_app(sqlite_db.url, allowed_hosts=("testserver",))) as client:
        found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/import").text)
        assert found is not None
        upload = [("files", ("export_15.zip", target.read_bytes(), "application/zip"))]
        response = client.post("/import", data={"csrf_token": found.group(1)}, files=upload)
        assert response.status_code == 200, response.text[:500]
        assert "From your Strava profile: weight 72 kg, sex female, birth year 1988." in response.text
        profile_page = client.get("/profile").text
        assert 'id="weight_kg"' in profile_page and 'value="72.0"' in profile_page
        api = client.get("/api/v1/profile").json()
        assert api["weight_kg"] == 72.0 and api["birth_year"] == 1988
