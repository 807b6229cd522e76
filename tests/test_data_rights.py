"""Data rights: an athlete's whole record as one zip (originals byte for byte, every row, the streams, the plan),
and deleting every row of it — on SQLite and PostgreSQL, and through the shared server's pages."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gluteguard.services import accounts
from gluteguard.services.checkins import save_checkin
from gluteguard.services.coach import week_plan
from gluteguard.services.data_rights import delete_everything, export_everything
from gluteguard.services.importer import import_paths
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, ActivityStream, Athlete, Base, SourceFile, UserRow
from gluteguard.web.app import create_app

PASSWORD = "correct horse battery"
FILES = (
    Path("gpx/corriporai-runpandas/gpx/nike_run.gpx"),
    Path("fit/GoldenCheetah-test-rides/2013-04-11-17-32-50.fit"),
)


def _rows_of(db: Database, athlete_id: int) -> dict[str, int]:
    """How many rows of each table belong to the athlete (streams through their activities)."""
    counts = {}
    with db.session() as session:
        for table in Base.metadata.sorted_tables:
            key = table.c.id if table.name == "athlete" else table.c.get("athlete_id")
            if key is not None:
                counts[table.name] = session.scalar(select(func.count()).select_from(table).where(key == athlete_id))
        counts["activity_stream"] = session.scalar(
            select(func.count()).select_from(ActivityStream).join(Activity).where(Activity.athlete_id == athlete_id)
        )
    return counts


def _athlete_with_data(db: Database, shared_data: Path, username: str) -> int:
    user = accounts.create_user(db, username, PASSWORD, "athlete", display_name=username.title())
    assert user.athlete_id is not None
    summary = import_paths(db, user.athlete_id, [shared_data / f for f in FILES], workers=1)
    assert len(summary.activity_ids) == len(FILES)
    save_checkin(db, user.athlete_id, {"date": "2026-12-01", "pain_during_run": 3, "note": "sore after hills"})
    return user.athlete_id


def test_export_holds_everything_and_delete_removes_everything(db_url: str, shared_data: Path) -> None:
    db = Database(db_url)
    try:
        anna = _athlete_with_data(db, shared_data, "anna")
        ben = _athlete_with_data(db, shared_data, "ben")
        ben_before = _rows_of(db, ben)
        buffer = io.BytesIO()
        counts = export_everything(db, anna, buffer, week=week_plan(db, anna).as_dict())
        archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
        names = archive.namelist()
        assert "README.txt" in names and "plan/this_week.json" in names
        assert "tables/kept_day.json" not in names and "tables/athlete_day_summary.json" not in names  # caches
        originals = sorted(n for n in names if n.startswith("originals/"))
        assert len(originals) == counts["originals"] == len(FILES)
        for source in FILES:  # byte for byte
            member = next(n for n in originals if n.endswith(source.name))
            assert archive.read(member) == (shared_data / source).read_bytes()
        checkins = json.loads(archive.read("tables/checkin.json"))
        assert checkins[0]["answers"]["note"] == "sore after hills"
        users = json.loads(archive.read("tables/app_user.json"))
        assert users[0]["username"] == "anna" and "password_hash" not in users[0]
        assert PASSWORD not in buffer.getvalue().decode("latin-1")
        activities = json.loads(archive.read("tables/activity.json"))
        assert len(activities) == len(FILES)
        stream = json.loads(archive.read(f"streams/{activities[0]['id']}.json"))
        assert stream and all(isinstance(values, list) for values in stream.values())
        assert all(row["athlete_id"] == anna for row in activities)

        removed = delete_everything(db, anna)
        assert removed["activity"] == len(FILES) and removed["checkin"] == 1
        assert all(count == 0 for count in _rows_of(db, anna).values()), _rows_of(db, anna)
        with db.session() as session:
            assert session.get(Athlete, anna) is None
            assert session.scalar(select(func.count()).select_from(UserRow).where(UserRow.username == "anna")) == 0
            files = select(func.count()).select_from(SourceFile).where(SourceFile.athlete_id == anna)
            assert session.scalar(files) == 0
        assert _rows_of(db, ben) == ben_before  # the other athlete keeps everything
    finally:
        db.dispose()


def test_download_and_delete_on_the_shared_server(pg_url: str, shared_data: Path) -> None:
    app = create_app(pg_url, multi_user=True)
    db = app.state.db
    try:
        anna = _athlete_with_data(db, shared_data, "anna")
        accounts.create_user(db, "cleo", PASSWORD, "clinician", display_name="Cleo Physio")
        cleo_principal = accounts.authenticate(db, "cleo", PASSWORD, "127.0.0.1").principal
        anna_principal = accounts.authenticate(db, "anna", PASSWORD, "127.0.0.1").principal
        code, _ = accounts.create_invite(db, cleo_principal)
        accounts.accept_invite(db, anna_principal, code)
        with TestClient(app, base_url="http://localhost") as client:
            client.get("/login")
            token = client.cookies.get("gg_csrf")
            client.post("/login", data={"username": "cleo", "password": PASSWORD, "csrf_token": token})
            assert client.get(f"/export/everything.zip?athlete={anna}").status_code == 403  # the athlete's right
            client.post("/logout", data={"csrf_token": token})
            client.post("/login", data={"username": "anna", "password": PASSWORD, "csrf_token": token})
            download = client.get("/export/everything.zip")
            assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
            assert "attachment" in download.headers["content-disposition"]
            assert len(zipfile.ZipFile(io.BytesIO(download.content)).namelist()) > 5
            refused = client.post("/account/delete", data={"csrf_token": token, "password": "wrong one here",
                                                           "confirm": "delete"})  # fmt: skip
            assert refused.status_code == 422 and "password is not right" in refused.text
            assert _rows_of(db, anna)["activity"] == len(FILES)
            gone = client.post("/account/delete", data={"csrf_token": token, "password": PASSWORD,
                                                        "confirm": "delete"}, follow_redirects=False)  # fmt: skip
            assert gone.status_code == 303 and gone.headers["location"] == "/login?deleted=1"
        assert all(count == 0 for count in _rows_of(db, anna).values())
        assert accounts.care_team(db, anna) == []
    finally:
        db.dispose()


def test_cli_export_writes_the_zip_or_says_why_not(tmp_path: Path, shared_data: Path) -> None:
    from typer.testing import CliRunner

    from gluteguard.cli.app import app as cli

    db_file = tmp_path / "runner.sqlite"
    runner = CliRunner()
    imported = runner.invoke(cli, ["--db", str(db_file), "import", str(shared_data / FILES[0])])
    assert imported.exit_code == 0, imported.output
    target = tmp_path / "mine.zip"
    done = runner.invoke(cli, ["--db", str(db_file), "athlete", "export", str(target)])
    assert done.exit_code == 0 and "1 original files" in done.output
    assert (shared_data / FILES[0]).read_bytes() in [zipfile.ZipFile(target).read(n) for n in
                                                      zipfile.ZipFile(target).namelist()]  # fmt: skip
    assert not list(tmp_path.glob("*.partial"))
    refused = runner.invoke(cli, ["--db", str(db_file), "athlete", "export", str(tmp_path)])
    assert refused.exit_code == 1 and "is a folder" in refused.output
