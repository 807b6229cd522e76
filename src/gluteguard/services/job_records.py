"""A shared server's jobs in its database: who owns each, its progress, its uploaded files, and its result — written
once, in the transaction that ends the job, so a job run again after its worker was killed stores nothing twice.

``run_job`` is what a worker does with one job id (``services.job_queue`` calls it from Procrastinate): claim it,
unpack its files, do the work (``services.job_work``), end it. Every reader is scoped to the job's athlete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from gluteguard.services.job_work import JobOutcome, is_input_problem, one_line, perform
from gluteguard.services.jobs import JobFile, JobKind, JobRequest, JobView
from gluteguard.store.db import Database
from gluteguard.store.models import BackgroundJobChunkRow, BackgroundJobRow

CHUNK_BYTES = 8 << 20  # an upload goes in and out in pieces this big: a 500 MB clip never sits in memory whole
PROGRESS_EVERY_S = 0.5  # progress written at most this often (a video reports every frame)
ENDED = ("done", "failed")
JOB_FOLDER_PREFIX = "gluteguard-job-"  # + the worker's process id: a killed worker's folders are found and removed


def new_job_id() -> str:
    return uuid.uuid4().hex


def _view(row: BackgroundJobRow) -> JobView:
    return JobView(id=row.id, kind=row.kind, label=row.label, status=row.status, done=row.done, total=row.total,
                   result=row.result if row.status == "done" else None, error=row.error, created=row.created_at,
                   finished=row.finished_at, attempts=row.attempts)  # fmt: skip


def create_job(db: Database, request: JobRequest, job_id: str | None = None) -> JobView:
    """The job's row and its files, queued, in one transaction (no worker sees a job whose files are half there).
    An existing ``job_id`` is left as it is (the nightly run names its jobs, so running it twice adds none)."""
    job_id = job_id or new_job_id()
    with db.session() as session:
        existing = session.get(BackgroundJobRow, job_id)
        if existing is not None:
            return _view(existing)
        row = BackgroundJobRow(id=job_id, athlete_id=request.athlete_id, kind=request.kind, label=request.label[:255],
                               params=request.params, status="queued", done=0, total=0, attempts=0,
                               created_at=datetime.now(UTC))  # fmt: skip
        session.add(row)
        session.flush()
        for file_no, file in enumerate(request.files):
            with file.path.open("rb") as handle:
                seq = 0
                while True:
                    data = handle.read(CHUNK_BYTES)
                    if data or seq == 0:  # an empty file is one empty piece: it still exists for the worker
                        # Core inserts: the session keeps no copy of a piece once it is sent.
                        session.execute(insert(BackgroundJobChunkRow).values(
                            job_id=job_id, file_no=file_no, seq=seq, name=file.name[:255], data=data))  # fmt: skip
                    if len(data) < CHUNK_BYTES:
                        break
                    seq += 1
        return _view(row)


def record_done(db: Database, request: JobRequest, result: dict[str, Any], report_html: str | None) -> JobView:
    """A job already done within a request, kept like any other."""
    now = datetime.now(UTC)
    with db.session() as session:
        row = BackgroundJobRow(id=new_job_id(), athlete_id=request.athlete_id, kind=request.kind,
                               label=request.label[:255], params=request.params, status="done", done=0, total=0,
                               attempts=1, result=result, report=report_html, created_at=now, started_at=now,
                               finished_at=now)  # fmt: skip
        session.add(row)
        session.flush()
        return _view(row)


def set_queue_id(db: Database, job_id: str, queue_id: int) -> None:
    with db.session() as session:
        session.execute(update(BackgroundJobRow).where(BackgroundJobRow.id == job_id).values(queue_id=queue_id))


def unqueued_jobs(db: Database, older_than_s: float) -> list[str]:
    """Queued jobs no queue holds: the process that made them stopped before it could hand them over."""
    cutoff = datetime.fromtimestamp(time.time() - older_than_s, UTC)
    with db.session() as session:
        query = select(BackgroundJobRow.id).where(BackgroundJobRow.status == "queued",
                                                  BackgroundJobRow.queue_id.is_(None),
                                                  BackgroundJobRow.created_at < cutoff)  # fmt: skip
        return list(session.scalars(query))


def job_view(db: Database, job_id: str, athlete_id: int) -> JobView | None:
    """The job, when it is this athlete's."""
    with db.session() as session:
        row = session.scalar(select(BackgroundJobRow).where(BackgroundJobRow.id == job_id,
                                                            BackgroundJobRow.athlete_id == athlete_id))  # fmt: skip
        return None if row is None else _view(row)


def job_report(db: Database, job_id: str, athlete_id: int) -> str | None:
    with db.session() as session:
        return session.scalar(select(BackgroundJobRow.report).where(
            BackgroundJobRow.id == job_id, BackgroundJobRow.athlete_id == athlete_id,
            BackgroundJobRow.status == "done"))  # fmt: skip


def keep_stride(db: Database, job_id: str, athlete_id: int) -> int | None:
    """Save a finished stride job's analysis to the history once (``JobRunner.keep_stride``): the row is locked,
    and the saved id goes into the job's result in the same transaction."""
    from gluteguard.services.gait import add_stride_record

    with db.session() as session:
        row = session.scalar(select(BackgroundJobRow).where(
            BackgroundJobRow.id == job_id, BackgroundJobRow.athlete_id == athlete_id,
            BackgroundJobRow.kind == JobKind.STRIDE, BackgroundJobRow.status == "done").with_for_update())  # fmt: skip
        if row is None or row.result is None:
            return None
        if row.result.get("saved_id") is None:
            row.result = {**row.result, "saved_id": add_stride_record(session, athlete_id, row.result)}
        return row.result["saved_id"]


# --- what a worker does with one job ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A job a worker has taken: what to run, for whom, and which attempt this is (1 = the first)."""

    job_id: str
    kind: str
    athlete_id: int
    params: dict[str, Any]
    attempt: int


def claim(db: Database, job_id: str, max_attempts: int) -> Claim | None:
    """Take the job to run it; None when there is nothing to do: it is gone (its athlete deleted), it ended (the
    run that ended it was killed before the queue heard), or it was started ``max_attempts`` times already (each
    run killed: it is failed here, with why)."""
    with db.session() as session:
        row = session.scalar(select(BackgroundJobRow).where(BackgroundJobRow.id == job_id).with_for_update())
        if row is None or row.status in ENDED:
            return None
        now = datetime.now(UTC)
        if row.attempts >= max_attempts:
            row.status, row.finished_at = "failed", now
            row.error = f"stopped after {row.attempts} attempts: the worker running it stopped each time"
            session.execute(delete(BackgroundJobChunkRow).where(BackgroundJobChunkRow.job_id == job_id))
            return None
        row.status, row.started_at, row.attempts = "running", now, row.attempts + 1
        return Claim(row.id, row.kind, row.athlete_id, dict(row.params or {}), row.attempts)


def unpack_files(db: Database, job_id: str, folder: Path) -> list[JobFile]:
    """The job's files written into ``folder``, piece by piece, under names of ours (the shown name is kept)."""
    files: dict[int, JobFile] = {}
    with db.session() as session:
        query = select(BackgroundJobChunkRow.file_no, BackgroundJobChunkRow.name, BackgroundJobChunkRow.data) \
            .where(BackgroundJobChunkRow.job_id == job_id) \
            .order_by(BackgroundJobChunkRow.file_no, BackgroundJobChunkRow.seq)  # fmt: skip
        for file_no, name, data in session.execute(query.execution_options(yield_per=1)):
            if file_no not in files:
                # Our own name with the file's suffix (readers go by it); never a path the uploader chose.
                suffix = "".join(Path(name).suffixes[-2:])[:20]
                files[file_no] = JobFile(folder / f"file-{file_no}{suffix}", name)
            with files[file_no].path.open("ab") as handle:
                handle.write(data)
    return [files[no] for no in sorted(files)]


def report_progress(db: Database, job_id: str, done: int, total: int) -> None:
    with db.session() as session:
        session.execute(update(BackgroundJobRow)
                        .where(BackgroundJobRow.id == job_id, BackgroundJobRow.status == "running")
                        .values(done=int(done), total=int(total)))  # fmt: skip


def finish(db: Database, job_id: str, outcome: JobOutcome) -> bool:
    """End the job with its result and its writes, in one transaction; False (nothing written) when another run
    ended it first. The row lock makes a second finisher wait, then see it ended."""
    with db.session() as session:
        row = session.scalar(select(BackgroundJobRow).where(BackgroundJobRow.id == job_id).with_for_update())
        if row is None or row.status in ENDED:
            return False
        result = dict(outcome.result)
        if outcome.write is not None:
            result.update(outcome.write(session))
        row.status, row.result, row.report, row.error = "done", result, outcome.report_html, None
        row.done, row.finished_at = max(row.done, row.total), datetime.now(UTC)
        session.execute(delete(BackgroundJobChunkRow).where(BackgroundJobChunkRow.job_id == job_id))
        return True


def fail(db: Database, job_id: str, error: str, *, final: bool) -> None:
    """Record a failed attempt: the last one ends the job (its files go); another puts it back in the queue."""
    with db.session() as session:
        row = session.scalar(select(BackgroundJobRow).where(BackgroundJobRow.id == job_id).with_for_update())
        if row is None or row.status in ENDED:
            return
        if final:
            row.status, row.error, row.finished_at = "failed", error, datetime.now(UTC)
            session.execute(delete(BackgroundJobChunkRow).where(BackgroundJobChunkRow.job_id == job_id))
        else:
            row.status, row.error = "queued", f"attempt {row.attempts} failed ({error}); trying again"


def run_job(db: Database, job_id: str, *, max_attempts: int) -> str:
    """Run one job to its end: "done", "failed" (the input cannot be used, or the last attempt failed) or
    "skipped" (nothing to do). Raises after a failed attempt that may be tried again, so the queue retries it."""
    taken = claim(db, job_id, max_attempts)
    if taken is None:
        return "skipped"
    last_write = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last_write[0] >= PROGRESS_EVERY_S or (total and done >= total):
            last_write[0] = now
            report_progress(db, job_id, done, total)

    folder = Path(tempfile.mkdtemp(prefix=f"{JOB_FOLDER_PREFIX}{os.getpid()}-"))
    try:
        files = unpack_files(db, job_id, folder)
        outcome = perform(db, taken.kind, taken.athlete_id, taken.params, files, progress)
    except Exception as exc:
        final = is_input_problem(exc) or taken.attempt >= max_attempts
        fail(db, job_id, one_line(exc), final=final)
        if is_input_problem(exc):
            return "failed"  # the job ended, with why: nothing for the queue to try again
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return "done" if finish(db, job_id, outcome) else "skipped"


def remove_orphan_folders() -> int:
    """Remove the job folders of worker processes that no longer run (killed before they could clean up)."""
    removed = 0
    for folder in Path(tempfile.gettempdir()).glob(f"{JOB_FOLDER_PREFIX}*-*"):
        pid = folder.name[len(JOB_FOLDER_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive, and not ours to touch
    return True
