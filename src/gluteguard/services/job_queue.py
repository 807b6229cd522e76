"""The shared server's jobs on Procrastinate: a task queue that lives in the same PostgreSQL (schema
``procrastinate``, installed by migration 0014), so there is no broker to run. ``QueueRunner`` is the web's side
of the job interface (``services.jobs.JobRunner``); ``run_worker`` is ``gluteguard worker``.

Why this holds when a worker is killed (kill -9, a power cut): Procrastinate's queue entry carries only our job id.
The job's files and result live in our tables (``services.job_records``): the files in the database, so any worker
that reaches it can read them; the result written once, in the transaction that ends the job, guarded by the job
row's status. Workers heartbeat; every worker looks, every ``stalled_after_s / 2``, for jobs of workers silent for
``stalled_after_s`` and puts them back in the queue (``recover_stalled``, Procrastinate's documented recipe:
``get_stalled_jobs`` + ``retry_job``). The job then runs again from the start, and only one run's result is kept.
A failure that may pass is retried (``RetryStrategy``) up to ``max_attempts`` runs in all; a job whose input
cannot be used ends at once with one line saying why.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import procrastinate
from procrastinate import JobContext, RetryStrategy
from sqlalchemy import select
from sqlalchemy.engine import make_url

from gluteguard.services.job_records import (
    create_job,
    job_report,
    job_view,
    keep_stride,
    record_done,
    remove_orphan_folders,
    run_job,
    set_queue_id,
    unqueued_jobs,
)
from gluteguard.services.job_work import JobOutcome
from gluteguard.services.jobs import JobKind, JobRequest, JobView
from gluteguard.store.db import Database
from gluteguard.store.models import Athlete, BackgroundJobRow

log = logging.getLogger("gluteguard.worker")

QUEUE_SCHEMA = "procrastinate"  # where migration 0014 put Procrastinate's tables (its connections look there)
QUEUE = "gluteguard"
RUN_TASK = "gluteguard.run_job"
NIGHTLY_TASK = "gluteguard.nightly_redecide"
NIGHTLY_CRON = "15 3 * * *"  # 03:15 server time: after midnight everywhere in Europe, before anyone's morning
UNQUEUED_AFTER_S = 60.0  # a queued job no queue holds after this long is handed over again


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker runs; the defaults suit a clinic's server (the fault test shortens the clocks)."""

    concurrency: int = 1  # jobs at once: a stride video already uses every core
    max_attempts: int = 5  # runs of one job in all, killed runs included
    retry_wait_s: int = 10  # between failed attempts, growing: 10 s, 20 s, 30 s…
    heartbeat_s: float = 10.0
    stalled_after_s: float = 30.0  # a worker silent this long is taken for dead and its jobs run again
    poll_s: float = 5.0  # look for jobs at least this often (notifications usually wake the worker at once)


def queue_conninfo(url: str) -> str:
    """Our SQLAlchemy URL (postgresql+psycopg://…) as the libpq connection string Procrastinate's psycopg takes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _connector_args(url: str, *, max_size: int) -> dict[str, Any]:
    return {"conninfo": queue_conninfo(url), "kwargs": {"options": f"-c search_path={QUEUE_SCHEMA}"},
            "min_size": 1, "max_size": max_size}  # fmt: skip


def make_queue_app(url: str, settings: WorkerSettings | None = None, *, for_worker: bool = False) -> procrastinate.App:
    """The Procrastinate app on the database at ``url``: with the tasks registered for a worker (its retry limit
    from ``settings``), or only able to defer (the web, by task name)."""
    if not for_worker:
        return procrastinate.App(connector=procrastinate.SyncPsycopgConnector(**_connector_args(url, max_size=4)))
    settings = settings or WorkerSettings()
    connector = procrastinate.PsycopgConnector(**_connector_args(url, max_size=settings.concurrency + 4))
    app = procrastinate.App(connector=connector)
    # The strategy counts retries: max_attempts runs are max_attempts - 1 retries.
    retry = RetryStrategy(max_attempts=settings.max_attempts - 1, linear_wait=settings.retry_wait_s)

    @app.task(name=RUN_TASK, queue=QUEUE, retry=retry, pass_context=True)
    def run_one(context: JobContext, job_id: str) -> str:
        db: Database = context.additional_context["db"]
        ended = run_job(db, job_id, max_attempts=settings.max_attempts)
        log.info("job %s: %s", job_id, ended)
        return ended

    @app.periodic(cron=NIGHTLY_CRON, periodic_id="nightly")
    @app.task(name=NIGHTLY_TASK, queue=QUEUE, pass_context=True)
    async def nightly(context: JobContext, timestamp: int) -> int:
        db: Database = context.additional_context["db"]
        return await nightly_redecide(app, db, timestamp)

    del run_one, nightly  # registered on the app; nothing calls them by these names
    return app


# --- the web's side --------------------------------------------------------------------------------------------


class QueueRunner:
    """The job interface on Procrastinate: ``submit`` stores the job and its files, then queues its id."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._app: procrastinate.App | None = None

    def _queue(self) -> procrastinate.App:
        if self._app is None:
            self._app = make_queue_app(self.db.url)
            self._app.open()
        return self._app

    def submit(self, request: JobRequest, *, cleanup: Path | None = None) -> JobView:
        try:
            view = create_job(self.db, request)
        finally:
            if cleanup is not None:
                shutil.rmtree(cleanup, ignore_errors=True)  # the files are in the database now (or refused)
        set_queue_id(self.db, view.id, self._queue().configure_task(name=RUN_TASK, queue=QUEUE).defer(job_id=view.id))
        return view

    def record_finished(self, request: JobRequest, outcome: JobOutcome) -> JobView:
        result = outcome.result
        if outcome.write is not None:
            with self.db.session() as session:
                result = {**result, **outcome.write(session)}
        return record_done(self.db, request, result, outcome.report_html)

    def get(self, job_id: str, athlete_id: int) -> JobView | None:
        return job_view(self.db, job_id, athlete_id)

    def report(self, job_id: str, athlete_id: int) -> str | None:
        return job_report(self.db, job_id, athlete_id)

    def keep_stride(self, job_id: str, athlete_id: int) -> int | None:
        return keep_stride(self.db, job_id, athlete_id)

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


# --- the worker's side -----------------------------------------------------------------------------------------


async def nightly_redecide(app: procrastinate.App, db: Database, timestamp: int) -> int:
    """Queue one re-decision job per athlete for the night of ``timestamp``. The jobs' ids come from the night
    and the athlete, so this task run twice (its worker killed) queues nobody twice."""

    def make_jobs() -> list[str]:
        with db.session() as session:
            athletes = session.execute(select(Athlete.id, Athlete.name)).all()
        night = datetime.fromtimestamp(timestamp, UTC).date().isoformat()
        named = {uuid.uuid5(uuid.NAMESPACE_URL, f"gluteguard:redecide:{timestamp}:{athlete_id}").hex: (athlete_id, name)
                 for athlete_id, name in athletes}  # fmt: skip
        with db.session() as session:
            handed_over = BackgroundJobRow.id.in_(named), BackgroundJobRow.queue_id.is_not(None)
            queued = set(session.scalars(select(BackgroundJobRow.id).where(*handed_over)))
        for job_id, (athlete_id, name) in named.items():
            create_job(db, JobRequest(JobKind.REDECIDE, athlete_id, f"Nightly decision for {name}, {night}"), job_id)
        return [job_id for job_id in named if job_id not in queued]

    ids = await asyncio.to_thread(make_jobs)
    task = app.configure_task(name=RUN_TASK, queue=QUEUE)
    for job_id in ids:
        queue_id = await task.defer_async(job_id=job_id)
        await asyncio.to_thread(set_queue_id, db, job_id, queue_id)
    return len(ids)


async def recover_stalled(app: procrastinate.App, db: Database, stalled_after_s: float) -> int:
    """Put back in the queue the jobs of workers silent for ``stalled_after_s`` (killed), and hand over jobs no
    queue holds (their web process stopped first). Several workers may do this at once: a job another one put
    back already is no longer 'doing', and Procrastinate refuses to retry it twice."""
    recovered = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after_s):
        try:
            await app.job_manager.retry_job(job)
            recovered += 1
            log.warning("job %s (%s) was running on a worker that stopped: queued again", job.id, job.task_kwargs)
        except procrastinate.exceptions.ProcrastinateException:
            continue  # put back by another worker in the meantime
    task = app.configure_task(name=RUN_TASK, queue=QUEUE)
    for job_id in await asyncio.to_thread(unqueued_jobs, db, UNQUEUED_AFTER_S):
        await asyncio.to_thread(set_queue_id, db, job_id, await task.defer_async(job_id=job_id))
        recovered += 1
    return recovered


async def _recover_forever(app: procrastinate.App, db: Database, settings: WorkerSettings) -> None:
    while True:
        try:
            await recover_stalled(app, db, settings.stalled_after_s)
        except Exception as exc:  # a lost connection: the next round tries again
            log.warning("looking for stalled jobs failed: %s", exc)
        await asyncio.sleep(max(settings.stalled_after_s / 2, 0.5))


async def _work(url: str, settings: WorkerSettings, name: str) -> None:
    db = Database(url)  # migrates, like serve: a worker on a fresh database makes the queue's schema
    remove_orphan_folders()  # files unpacked by workers killed on this machine
    app = make_queue_app(url, settings, for_worker=True)
    try:
        async with app.open_async():
            recovery = asyncio.create_task(_recover_forever(app, db, settings))
            try:
                await app.run_worker_async(
                    queues=[QUEUE],
                    name=name,
                    concurrency=settings.concurrency,
                    additional_context={"db": db},
                    update_heartbeat_interval=settings.heartbeat_s,
                    stalled_worker_timeout=settings.stalled_after_s,
                    fetch_job_polling_interval=settings.poll_s,
                    delete_jobs="successful",  # our table keeps the result; the queue keeps failures to inspect
                )
            finally:
                recovery.cancel()
    finally:
        db.dispose()


def run_worker(url: str, settings: WorkerSettings, name: str = "worker") -> None:
    """Run jobs until SIGINT/SIGTERM (running jobs finish first; a second signal stops at once)."""
    asyncio.run(_work(url, settings, name))
