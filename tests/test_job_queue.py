"""The shared server's jobs on Procrastinate, with real worker processes on a real PostgreSQL: a job runs, reports
progress and keeps its result for its athlete only; a failure that may pass is retried up to the limit, a bad input
fails at once; and the fault test — a worker killed with SIGKILL at random points of 20 jobs, restarted each time —
ends every job exactly once, its result and its saved analysis stored once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text
from gluteguard.samples.gait_synth import synthetic_run
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.job_queue import QueueRunner
from gluteguard.services.job_work import stride_params
from gluteguard.services.jobs import JobFile, JobKind, JobRequest, JobView
from gluteguard.store.db import Database
from gluteguard.store.models import BackgroundJobChunkRow, BackgroundJobRow, GaitSessionRow

RUNS = "fit/thomaschampagne-elevate-specs/running"
STALLED_AFTER_S = 2.0  # the shortest the command takes: a killed worker's jobs move within ~3 s


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    database = Database(pg_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def runner(pg_db: Database) -> Iterator[QueueRunner]:
    queue = QueueRunner(pg_db)
    try:
        yield queue
    finally:
        queue.close()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    series = synthetic_run(view="rear", seconds=12.0, pelvic_drop_deg=(4.0, 7.5), noise_px=0.5, seed=3)
    path = tmp_path_factory.mktemp("clips") / "clip.csv"
    path.write_text(keypoints_csv_text(series), encoding="utf-8")
    return path


class Worker:
    """``gluteguard worker`` as its own process, started again after each kill."""

    def __init__(self, url: str, log: Path, *extra: str) -> None:
        self.command = [
            sys.executable,
            "-c",
            "from gluteguard.cli.app import main; main()",
            "--db",
            url,
            "worker",
            "--stalled-after",
            str(STALLED_AFTER_S),
            "--retry-wait",
            "0",
            "--name",
            "test",
            *extra,
        ]
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            # Its own temporary folder: a killed worker's unpacked files stay in the test's tmp_path.
            env = {**os.environ, "TMPDIR": str(self.log.parent)}
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT, env=env)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker_factory(pg_url: str, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def make(*extra: str) -> Worker:
        worker = Worker(pg_url, tmp_path / f"worker-{len(started)}.log", *extra)
        started.append(worker)
        worker.start()
        return worker

    yield make
    for worker in started:
        worker.stop()


def _stride(athlete_id: int, clip: Path, name: str, *, save: bool = False) -> JobRequest:
    return JobRequest(JobKind.STRIDE, athlete_id, name, stride_params(view="rear", save=save),
                      (JobFile(clip, name),))  # fmt: skip


def _wait_ended(runner: QueueRunner, jobs: list[tuple[str, int]], timeout_s: float) -> dict[str, JobView]:
    deadline = time.monotonic() + timeout_s
    while True:
        views = {job_id: runner.get(job_id, owner) for job_id, owner in jobs}
        if all(view is not None and not view.running for view in views.values()):
            return views  # type: ignore[return-value]
        if time.monotonic() > deadline:
            pending = {job_id: view and (view.status, view.attempts) for job_id, view in views.items()}
            pytest.fail(f"jobs not ended in {timeout_s} s: {pending}")
        time.sleep(0.1)


def test_a_worker_runs_jobs_for_their_athlete_only_and_retries_to_the_limit(
    pg_db: Database,
    runner: QueueRunner,
    clip: Path,
    tmp_path: Path,
    shared_data: Path,
    worker_factory: Callable[..., Worker],
) -> None:
    anna, ben = ensure_athlete(pg_db, "anna"), ensure_athlete(pg_db, "ben")
    runs = [shared_data / RUNS / name for name in ("bloemendaal.fit", "trosku.fit", "treadmill.fit")]
    imported = runner.submit(JobRequest(JobKind.IMPORT, ben, "3 files", files=tuple(JobFile(p, p.name) for p in runs)))
    folder = tmp_path / "upload"
    folder.mkdir()
    copy = folder / "clip.csv"
    copy.write_bytes(clip.read_bytes())
    saved = runner.submit(_stride(anna, copy, "rear.csv", save=True), cleanup=folder)
    assert not folder.exists()  # the file went into the database: any worker can read it
    bad = tmp_path / "bad.csv"
    bad.write_text("not,keypoints\n1,2\n")
    refused = runner.submit(_stride(anna, bad, "bad.csv"))
    # A job this version does not know (queued by a newer one): may pass on another worker, so tried again.
    future = runner.submit(JobRequest("from-a-newer-version", anna, "later"))
    assert runner.get(saved.id, anna).status == "queued"

    worker_factory("--max-attempts", "3")
    ended = _wait_ended(runner, [(saved.id, anna), (refused.id, anna), (future.id, anna), (imported.id, ben)], 60)

    done = ended[saved.id]
    assert done.status == "done" and done.error is None and done.attempts == 1 and done.progress == 1.0
    assert done.result["source"] == "rear.csv" and done.result["view"] == "rear"
    with pg_db.session() as session:
        row = session.get(GaitSessionRow, done.result["saved_id"])
        assert row is not None and row.athlete_id == anna and row.source_name == "rear.csv"
        assert session.scalar(select(func.count()).select_from(BackgroundJobChunkRow)) == 0  # files go at the end
    assert "<html" in runner.report(saved.id, anna).lower()

    assert ended[refused.id].status == "failed" and ended[refused.id].attempts == 1  # bad input: not tried again
    assert "\n" not in ended[refused.id].error
    assert ended[future.id].status == "failed" and ended[future.id].attempts == 3  # the limit
    assert ended[future.id].error == "this version of gluteguard cannot run a job of kind 'from-a-newer-version'"

    files = ended[imported.id]  # progress file by file, and the import's summary as the CLI prints it
    assert files.status == "done" and (files.done, files.total) == (3, 3)
    assert files.result["imported"] == 3 and files.result["failed"] == []
    assert sorted(r["file"] for r in files.result["results"]) == sorted(p.name for p in runs)  # never the copy's name

    # Another athlete learns nothing: not the job, not its report, not that it exists.
    assert runner.get(saved.id, ben) is None and runner.report(saved.id, ben) is None
    assert runner.get(imported.id, anna) is None


def test_kill_9_at_random_points_of_20_jobs_ends_each_exactly_once(
    pg_db: Database, runner: QueueRunner, clip: Path, worker_factory: Callable[..., Worker]
) -> None:
    rng = random.Random(20261206)
    anna = ensure_athlete(pg_db, "anna")
    jobs = [runner.submit(_stride(anna, clip, f"clip-{n:02d}.csv", save=True)) for n in range(20)]
    worker = worker_factory("--concurrency", "2")
    kills, since = 0, datetime.now(UTC)
    deadline = time.monotonic() + 60
    while kills < 4 and time.monotonic() < deadline:
        # A point where this worker process has work under way (rows a killed one left 'running' do not count),
        # then a random moment later: reading the files, analysing, storing the result, or telling the queue.
        with pg_db.session() as session:
            started = session.scalar(text("SELECT count(*) FROM background_job WHERE status = 'running' "
                                          "AND started_at > :since"), {"since": since})  # fmt: skip
        if not started:
            time.sleep(0.02)
            continue
        time.sleep(rng.uniform(0.0, 0.3))
        worker.kill()
        kills += 1
        since = datetime.now(UTC)
        worker.start()
    assert kills == 4

    ended = _wait_ended(runner, [(job.id, anna) for job in jobs], 60)
    assert all(view.status == "done" for view in ended.values()), {v.label: v.error for v in ended.values()}
    assert any(view.attempts > 1 for view in ended.values())  # the kills did land in the middle of jobs
    saved_ids = [view.result["saved_id"] for view in ended.values()]
    with pg_db.session() as session:
        rows = session.execute(select(GaitSessionRow.id, GaitSessionRow.source_name)).all()
    # Each job's analysis saved once — in the transaction that stored its result — however often it ran.
    assert sorted(row.id for row in rows) == sorted(saved_ids)
    assert sorted(row.source_name for row in rows) == [f"clip-{n:02d}.csv" for n in range(20)]
    # The queue drains too: a job's own row ends inside its task, the queue's entry a moment later (when the task
    # returns), and an entry a killed worker left is taken again, finds its job ended and ends. None stays.
    deadline, queue_left = time.monotonic() + 30, -1
    while queue_left != 0 and time.monotonic() < deadline:
        with pg_db.session() as session:
            queue_left = session.scalar(text(
                "SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE status IN ('todo', 'doing')"))  # fmt: skip
        time.sleep(0.1 if queue_left else 0)
    assert queue_left == 0
    # Each restart removed the files the killed worker had unpacked: only the last worker's can remain (none).
    assert not list(worker.log.parent.glob("gluteguard-job-*"))


def test_a_job_delivered_again_after_it_ended_stores_nothing_twice(
    pg_db: Database, runner: QueueRunner, clip: Path
) -> None:
    """The kill between storing the result and telling the queue: the queue runs the job again; it does nothing."""
    from gluteguard.services.job_records import run_job

    anna = ensure_athlete(pg_db, "anna")
    job = runner.submit(_stride(anna, clip, "once.csv", save=True))
    assert run_job(pg_db, job.id, max_attempts=3) == "done"
    first = runner.get(job.id, anna)
    assert run_job(pg_db, job.id, max_attempts=3) == "skipped"
    assert runner.get(job.id, anna) == first
    with pg_db.session() as session:
        assert session.scalar(select(func.count()).select_from(GaitSessionRow)) == 1


def _shared_server(pg_url: str):  # type: ignore[no-untyped-def]
    """A shared server's app with two athletes, anna and ben, and a way to log one of them in (a client)."""
    from fastapi.testclient import TestClient

    from gluteguard.services import accounts
    from gluteguard.web.app import create_app

    app = create_app(pg_url, multi_user=True)
    password = "correct horse battery"
    for name in ("anna", "ben"):
        accounts.create_user(app.state.db, name, password, "athlete", display_name=name.title())

    def login(name: str) -> TestClient:
        client = TestClient(app, base_url="http://localhost")
        client.get("/login")
        form = {"username": name, "password": password, "csrf_token": client.cookies.get("gg_csrf")}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        return client

    return app, login


def test_the_shared_servers_api_runs_uploads_on_a_worker_and_shows_them_to_their_owner_only(
    pg_url: str, clip: Path, shared_data: Path, worker_factory: Callable[..., Worker]
) -> None:
    from fastapi.testclient import TestClient

    app, login = _shared_server(pg_url)

    with TestClient(app, base_url="http://localhost"):
        anna, ben = login("anna"), login("ben")
        csrf = {"x-csrf-token": anna.cookies.get("gg_csrf")}
        stride = anna.post("/api/v1/stride", files={"file": ("mine.csv", clip.read_bytes(), "text/csv")},
                           data={"background": "true", "save": "true"}, headers=csrf)  # fmt: skip
        run = (shared_data / RUNS / "bloemendaal.fit").read_bytes()
        imported = anna.post("/api/v1/import", files=[("files", ("run.fit", run, "application/octet-stream"))],
                             data={"background": "true"}, headers=csrf)  # fmt: skip
        assert stride.status_code == 202 and imported.status_code == 202, (stride.text, imported.text)
        assert stride.json()["status"] == "queued"
        worker_factory()
        ids = [stride.json()["id"], imported.json()["id"]]
        deadline = time.monotonic() + 60
        while any((job := anna.get(f"/api/v1/jobs/{i}").json())["status"] in ("queued", "running") for i in ids):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        analysed, files = (anna.get(f"/api/v1/jobs/{i}").json() for i in ids)
        assert analysed["status"] == "done" and analysed["result"]["source"] == "mine.csv"
        assert analysed["result"]["saved_id"] and analysed["report_url"]
        assert "<html" in anna.get(analysed["report_url"]).text.lower()
        assert anna.get(f"/api/v1/stride/jobs/{ids[0]}").json()["status"] == "done"
        assert files["status"] == "done" and files["result"]["imported"] == 1
        assert [row["file"] for row in files["result"]["results"]] == ["run.fit"]
        for path in (f"/api/v1/jobs/{ids[0]}", f"/api/v1/jobs/{ids[1]}", f"/api/v1/stride/jobs/{ids[0]}",
                     f"/api/v1/stride/jobs/{ids[0]}/report"):  # fmt: skip
            assert ben.get(path).status_code == 404, path
    app.state.job_runner.close()


def test_the_shared_servers_stride_page_runs_on_a_worker_and_saves_once(
    pg_url: str, clip: Path, worker_factory: Callable[..., Worker]
) -> None:
    """The Stride page of the shared server hands the upload to the workers too (not the web process): the job page
    follows it, shows the result from the job's JSON, and Save keeps it once however often it is pressed."""
    import re

    from fastapi.testclient import TestClient

    app, login = _shared_server(pg_url)

    with TestClient(app, base_url="http://localhost"):
        anna, ben = login("anna"), login("ben")
        token = re.search(r'name="csrf-token" content="([^"]+)"', anna.get("/stride").text).group(1)  # type: ignore[union-attr]
        posted = anna.post("/stride", data={"csrf_token": token, "view": "rear", "recorded_on": "2026-11-30"},
                           files=[("files", ("rear run.csv", clip.read_bytes(), "text/csv"))],
                           follow_redirects=False)  # fmt: skip
        assert posted.status_code == 303 and posted.headers["location"].startswith("/stride/job/"), posted.text
        job_id = posted.headers["location"].rsplit("/", 1)[1]
        with app.state.db.session() as session:  # queued in PostgreSQL for a worker, not run in this process
            queued = session.get(BackgroundJobRow, job_id)
            assert queued is not None and queued.queue_id is not None and queued.status == "queued"
        assert "Analysing rear run.csv" in anna.get(posted.headers["location"]).text
        worker_factory()
        deadline = time.monotonic() + 60
        while (status := anna.get(f"/stride/jobs/{job_id}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        assert status["status"] == "done" and status["fraction"] == 1.0 and status["report_url"]
        page = anna.get(posted.headers["location"]).text
        assert "Stride analysis: rear run.csv" in page and "rear view" in page and "Save this analysis" in page
        assert "<html" in anna.get(status["report_url"]).text.lower()
        for _ in range(2):  # twice: kept once
            saved = anna.post(f"/stride/job/{job_id}/save", data={"csrf_token": token}, follow_redirects=False)
            assert saved.status_code == 303
        assert "Saved as analysis #" in anna.get(saved.headers["location"]).text
        with app.state.db.session() as session:
            assert session.scalar(select(func.count()).select_from(GaitSessionRow)) == 1
        assert "2026-11-30" in anna.get("/stride").text
        for path in (posted.headers["location"], f"/stride/jobs/{job_id}", f"/stride/report/{job_id}"):
            assert ben.get(path).status_code == 404, path
        ben_token = re.search(r'name="csrf-token" content="([^"]+)"', ben.get("/stride").text).group(1)  # type: ignore[union-attr]
        assert ben.post(f"/stride/job/{job_id}/save", data={"csrf_token": ben_token}).status_code == 404
    app.state.job_runner.close()


def test_the_shared_servers_import_page_runs_on_a_worker_and_shows_the_result(
    pg_url: str, shared_data: Path, worker_factory: Callable[..., Worker]
) -> None:
    """An upload on the Import page of the shared server is one import job for the workers: the page answers at
    once (the files refused at upload listed), follows the job, and then shows what came in, to its owner only."""
    import re

    from fastapi.testclient import TestClient

    app, login = _shared_server(pg_url)

    with TestClient(app, base_url="http://localhost"):
        anna, ben = login("anna"), login("ben")
        token = re.search(r'name="csrf-token" content="([^"]+)"', anna.get("/import").text).group(1)  # type: ignore[union-attr]
        run = (shared_data / RUNS / "bloemendaal.fit").read_bytes()
        answer = anna.post("/import", data={"csrf_token": token},
                           files=[("files", ("bloemendaal.fit", run, "application/octet-stream")),
                                  ("files", ("notes.docx", b"PK\x03\x04", "application/octet-stream"))])  # fmt: skip
        assert answer.status_code == 202 and "Importing bloemendaal.fit" in answer.text, answer.text[:500]
        assert "notes.docx" in answer.text and "could not be used" in answer.text
        job_id = re.search(r"/import\?import_job=([0-9a-f]+)", answer.text).group(1)  # type: ignore[union-attr]
        worker_factory()
        deadline = time.monotonic() + 60
        while (job := anna.get(f"/api/v1/jobs/{job_id}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["kind"] == "import" and job["status"] == "done" and job["result"]["imported"] == 1
        page = anna.get(f"/import?import_job={job_id}").text
        assert "1 activity imported" in page and "See your Today" in page and "bloemendaal.fit" in page
        assert "no longer known here" in ben.get(f"/import?import_job={job_id}").text
    app.state.job_runner.close()


def test_the_nightly_run_queues_one_redecision_per_athlete_once(pg_url: str, pg_db: Database) -> None:
    import asyncio

    from gluteguard.services.job_queue import make_queue_app, nightly_redecide
    from gluteguard.services.job_records import run_job

    athletes = {ensure_athlete(pg_db, "anna"), ensure_athlete(pg_db, "ben")}
    night = int(datetime(2026, 12, 6, 3, 15, tzinfo=UTC).timestamp())

    async def twice() -> tuple[int, int]:
        async with make_queue_app(pg_url, for_worker=True).open_async() as app:
            return await nightly_redecide(app, pg_db, night), await nightly_redecide(app, pg_db, night)

    assert asyncio.run(twice()) == (2, 0)  # its worker killed and the task run again: nobody queued twice
    with pg_db.session() as session:
        jobs = session.execute(text("SELECT id, athlete_id FROM background_job WHERE kind = 'redecide'")).all()
        queued = session.scalar(text("SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE status = 'todo'"))
    assert {athlete for _, athlete in jobs} == athletes and len(jobs) == 2 and queued == 2
    for job_id, athlete in jobs:
        assert run_job(pg_db, job_id, max_attempts=3) == "done"
        decided = QueueRunner(pg_db).get(job_id, athlete)
        assert decided is not None and decided.result["headline"] and "running_allowed" in decided.result
