"""Imports that overlap or end badly, and names that aren't plain: two imports of the same files at once, a killed
import's workers, a file name in another encoding, uploads named as the runner named them, a hostile Apple export.

Real databases (SQLite and PostgreSQL), real processes and signals, real FIT files from ``../shared/data``.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from gluteguard.ingest.sources import SourceUnit
from gluteguard.samples.fitwriter import encode_fit
from gluteguard.samples.runner import one_hour_synthetic_run
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.import_prepare import prepare_unit
from gluteguard.services.import_store import TAKEN_BY_ANOTHER_IMPORT, store_prepared
from gluteguard.services.importer import import_paths
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, Athlete, SourceFile
from gluteguard.web.app import create_app

CLI = [str(Path(sys.executable).parent / "gluteguard")]  # the installed command, as a runner types it
REAL_RUNS = [
    "fit/dtcooper-python-fitparse/activity-small-fenix2-run.fit",
    "fit/thomaschampagne-elevate-specs/running/treadmill.fit",
    "fit/thomaschampagne-elevate-specs/running/bloemendaal.fit",
    "fit/dtcooper-python-fitparse/garmin-fenix-5-run.fit",
]


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --- two imports of the same file at once ----------------------------------------------------------------------


def test_a_file_stored_by_another_import_meanwhile_is_skipped_not_failed(db: Database, shared_data: Path) -> None:
    """The race made certain: between this import's "is it stored?" and its write, another import stores the
    same file and commits. SQLite then refuses the write (its snapshot is stale), PostgreSQL's unique key does:
    either way the file is reported as stored by the other import, and it is stored once."""
    athlete = ensure_athlete(db)
    path = shared_data / REAL_RUNS[0]
    prepared = prepare_unit(SourceUnit(name=str(path), path=str(path)))
    assert prepared.error is None
    raced = {"done": False}

    def other_import_commits(conn, cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if raced["done"] or "FROM source_file" not in statement:
            return
        raced["done"] = True
        other = store_prepared(db, athlete, prepared)  # on its own connection, committed here
        assert other.status == "imported", other.reason

    event.listen(db.engine, "after_cursor_execute", other_import_commits)
    try:
        report = store_prepared(db, athlete, prepared)
    finally:
        event.remove(db.engine, "after_cursor_execute", other_import_commits)
    assert raced["done"]
    assert (report.status, report.reason) == ("skipped_identical", TAKEN_BY_ANOTHER_IMPORT)
    assert _count(db, SourceFile) == 1 and _count(db, Activity) == 1


@pytest.fixture
def many_runs(shared_data: Path, tmp_path: Path) -> Path:
    """Real runs and generated ones: enough files that two imports overlap for a while."""
    folder = tmp_path / "runs"
    folder.mkdir()
    for relative in REAL_RUNS:
        shutil.copy(shared_data / relative, folder / Path(relative).name)
    for index in range(24):
        (folder / f"generated-{index:02}.fit").write_bytes(encode_fit(one_hour_synthetic_run(index)))
    return folder


def test_two_cli_imports_of_one_folder_at_once_store_each_file_once(db_url: str, many_runs: Path) -> None:
    Database(db_url).dispose()  # created and migrated before the two imports race
    command = [*CLI, "--db", db_url, "import", str(many_runs), "--json", "--workers", "2"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    assert [process.returncode for process in (first, second)] == [0, 0], outputs
    results = [json.loads(out) for out, _ in outputs]
    files = len(list(many_runs.iterdir()))
    assert all(result["failed"] == [] for result in results), results
    # Every file went in once: one import stored it, the other skipped it.
    assert sum(result["files"] for result in results) == 2 * files
    counts = [{key: value for key, value in r.items() if not isinstance(value, list)} for r in results]
    assert sum(result["skipped_identical"] for result in results) == files, counts
    database = Database(db_url, migrate=False)
    try:
        assert _count(database, Athlete) == 1  # the two commands did not each make the runner
        assert _count(database, SourceFile) == files
        assert sum(result["imported"] for result in results) == _count(database, Activity)
    finally:
        database.dispose()


# --- a killed import leaves no worker behind ----------------------------------------------------------------------


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has ended: it only waits for its new parent to reap it


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find the worker processes")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_end_with_a_killed_import(tmp_path: Path, how: signal.Signals) -> None:
    """SIGKILL gives the import no chance to stop its pool: the workers must notice by themselves."""
    folder = tmp_path / "runs"
    folder.mkdir()
    for index in range(40):
        (folder / f"run-{index:02}.fit").write_bytes(encode_fit(one_hour_synthetic_run(index)))
    command = [*CLI, "--db", f"sqlite:///{tmp_path / 'db.sqlite'}", "import", str(folder), "--workers", "2"]
    # The slow pure-Python decoder keeps the workers busy for a while (about a second a file).
    process = subprocess.Popen(
        [*command, "--fit-decoder", "fitdecode"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            workers = _descendants(process.pid)
        assert len(workers) >= 2, "the import never started its workers"
        os.kill(process.pid, how)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(_alive, workers)), f"workers still running after the import was killed: {workers}"
    finally:
        if process.poll() is None:
            process.kill()


# --- names ------------------------------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_a_file_name_in_another_encoding_is_stored_and_shown_as_text(tmp_path: Path, shared_data: Path) -> None:
    raw_name = "café run".encode("latin-1") + b" \xff.fit"  # Latin-1 bytes: not UTF-8
    folder = tmp_path / "old disk"
    folder.mkdir()
    target = os.path.join(os.fsencode(folder), raw_name)
    shutil.copyfile(shared_data / REAL_RUNS[0], target)
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    done = subprocess.run([*CLI, "--db", db_url, "import", str(folder), "--json"], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.decode("utf-8"))["imported"] == 1
    listed = subprocess.run([*CLI, "--db", db_url, "activities", "--json"], capture_output=True, timeout=120)
    stored = json.loads(listed.stdout.decode("utf-8"))[0]["source_file"]
    assert stored == f"{folder}/caf\\xe9 run \\xff.fit"
    # The escapes are the ones a shell types ($'caf\xe9 run \xff.fit'): they give back the very bytes.
    assert codecs.escape_decode(stored.encode("utf-8"))[0] == os.fsencode(folder) + b"/" + raw_name
    table = subprocess.run([*CLI, "--db", db_url, "activities"], capture_output=True, timeout=120)
    assert b"\\xe9" in table.stdout and table.stdout.decode("utf-8")


@pytest.fixture
def client(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    temp = tmp_path / "server-tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    app = create_app(db_url, allowed_hosts=("testserver",))
    with TestClient(app) as test_client:
        yield test_client
    app.state.db.dispose()


def _ratio_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb/run.fit", b"\0" * (64 << 20))  # 64 MB of zeros: far beyond the 200:1 ratio
    return buffer.getvalue()


def test_uploads_are_stored_and_reported_by_their_own_names(
    client: TestClient, shared_data: Path, tmp_path: Path
) -> None:
    run = (shared_data / REAL_RUNS[0]).read_bytes()
    files = [
        ("files", ("Morning run.fit", run, "application/octet-stream")),
        ("files", ("bomb.zip", _ratio_bomb(), "application/zip")),
    ]
    answer = client.post("/api/v1/import", files=files)
    assert answer.status_code == 200, answer.text
    assert "server-tmp" not in answer.text and "gluteguard-upload" not in answer.text
    failed = answer.json()["failed"]
    assert [item["file"] for item in failed] == ["bomb.zip!bomb/run.fit"]
    assert failed[0]["reason"].startswith("refused: ") and "ratio" in failed[0]["reason"]
    listed = client.get("/api/v1/activities").json()
    assert [item["source_file"] for item in listed] == ["Morning run.fit"]
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/import").text)
    assert found is not None
    shown = client.post("/import", data={"csrf_token": found.group(1)}, files=files)
    assert shown.status_code == 200
    assert "server-tmp" not in shown.text and "gluteguard-import" not in shown.text
    assert "bomb.zip!bomb/run.fit" in shown.text


# --- a hostile Apple Health export is refused with its reason --------------------------------------------------------


def test_an_apple_export_zip_declaring_entities_is_refused_with_a_reason(db: Database, tmp_path: Path) -> None:
    export = tmp_path / "export.zip"
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData [\n<!ENTITY lol "lol">\n'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">\n]>\n<HealthData locale="en_US">&lol2;</HealthData>\n'
    )
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("apple_health_export/export.xml", xml)
    summary = import_paths(db, ensure_athlete(db), [export], workers=1)
    assert [(report.file, report.status) for report in summary.files] == [(str(export), "failed")]
    assert "entities" in (summary.files[0].reason or "")
    assert _count(db, SourceFile) == 0


# --- memory stays flat whatever the archive holds ------------------------------------------------------------------


def _large_member(size: int, seed: int) -> bytes:
    """Data that deflates at about 150:1, under the 200:1 bomb cap: a random byte every 160 in zeros."""
    rng = np.random.default_rng(seed)
    data = np.zeros(size, dtype=np.uint8)
    data[::160] = rng.integers(0, 256, size=len(data[::160]), dtype=np.uint8)
    return data.tobytes()


def _tree_rss_bytes(pid: int) -> int:
    total = 0
    for member in (pid, *_descendants(pid)):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        total += sum(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
    return total


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to measure the import tree")
def test_memory_stays_flat_on_a_zip_of_large_members(tmp_path: Path) -> None:
    """Finding 14.2: each member used to be read whole, workers × 4 of them in flight (a 46 MB zip took the CLI to
    7.6 GB). Now large members go to the parsers as temporary files and the bytes in flight are capped: the whole
    import tree (main process and workers, sampled from /proc) stays far below the members' total."""
    members, member_bytes = 8, 96 << 20
    archive_path = tmp_path / "large-members.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for index in range(members):
            archive.writestr(f"activities/{index}.fit", _large_member(member_bytes, index))
    command = [*CLI, "--db", f"sqlite:///{tmp_path / 'db.sqlite'}", "import", str(archive_path), "--json"]
    process = subprocess.Popen([*command, "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_bytes(process.pid))
        time.sleep(0.05)
    out, err = process.communicate()
    said = err.decode(errors="replace")[-2000:]
    assert out.strip(), f"the import printed no summary (exit {process.returncode}): {said}"
    result = json.loads(out)
    assert len(result["failed"]) == members, err  # not FIT files: each is refused in one line, none is skipped
    total = members * member_bytes
    assert peak < 0.6 * total, f"peak RSS of the import {peak >> 20} MB for {total >> 20} MB of members"
