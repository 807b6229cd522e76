"""Background jobs for slow work (a stride video takes seconds to minutes): start one, poll its progress, read its
result. In memory, one process: the local app serves one runner, so a lock-guarded dict is the whole store, and a
restart only means uploading the clip again.

A job runs ``work(report)`` in a daemon thread; ``report(done, total)`` updates its progress (the pose
backend's ``on_progress`` fits it as it is). Failures become one line in ``error``; a temporary folder handed to
``start`` is removed when the work ends, whatever happens.

One job interface for the edges (``JobRunner``): a ``JobRequest`` names the work by kind with JSON parameters and
the uploaded files, so it can run anywhere. ``InProcessRunner`` (the single-user app, SQLite) runs it in a thread
of this process through the ``JobStore``; ``services.job_queue.QueueRunner`` (the shared server, PostgreSQL) hands
it to Procrastinate workers and keeps progress and the result in the database. Routes and commands take whichever
``job_runner`` gives them. The work itself is ``services.job_work.perform``, the same for both.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from gluteguard.services.job_work import JobOutcome
    from gluteguard.store.db import Database

KEEP_FINISHED_S = 2 * 3600  # a finished job's result stays readable this long after it was last read
MAX_FINISHED = 20  # and at most this many finished jobs are kept (each holds an analysis and its report)
MAX_RUNNING = 2  # pose estimation already uses every core: more at once only makes each one slower


def progress_share(status: str, done: int, total: int) -> float:
    """0–1; a running job stops just short of 1 until it is done."""
    if status == "done":
        return 1.0
    return min(done / total, 0.99) if total > 0 else 0.0


def job_json(job: Any, elapsed_s: float, with_result: bool = True) -> dict:
    """A job as the API shows it (``JobOut``), whichever runner holds it."""
    out = {
        "id": job.id,
        "kind": job.kind,
        "label": job.label,
        "status": job.status,
        "progress": round(job.progress, 3),
        "done": job.done,
        "total": job.total or None,
        "error": job.error,
        "elapsed_s": round(elapsed_s, 1),
    }
    if with_result:
        out["result"] = job.result if job.status == "done" else None
    return out


class TooBusy(RuntimeError):
    """Too many jobs are running to start another; one line for the user."""


@dataclass
class JobState:
    id: str
    kind: str
    label: str
    status: str = "queued"  # queued | running | done | failed
    done: int = 0
    total: int = 0
    result: Any = None
    extras: dict = field(default_factory=dict)  # what else the caller keeps with the result (e.g. a report)
    error: str | None = None
    owner: int | None = None  # the athlete whose data the job reads and writes; only their requests see it
    created: float = field(default_factory=time.time)
    finished: float | None = None
    last_read: float = field(default_factory=time.monotonic)

    @property
    def progress(self) -> float:
        return progress_share(self.status, self.done, self.total)

    def as_json(self, with_result: bool = True) -> dict:
        return job_json(self, (self.finished or time.time()) - self.created, with_result)


class JobStore:
    """Jobs by id, thread-safe."""

    def __init__(self, max_running: int = MAX_RUNNING) -> None:
        self._jobs: dict[str, JobState] = {}
        self._lock = threading.Lock()
        self.max_running = max_running

    def _forget_old(self) -> None:
        """Drop finished jobs unread for too long, then the oldest beyond the cap (the caller holds the lock)."""
        now = time.monotonic()
        finished = [j for j in self._jobs.values() if j.status in ("done", "failed")]
        for job in finished:
            if now - job.last_read > KEEP_FINISHED_S:
                del self._jobs[job.id]
        finished = sorted((j for j in self._jobs.values() if j.status in ("done", "failed")), key=lambda j: j.last_read)
        for job in finished[: max(len(finished) - MAX_FINISHED, 0)]:
            del self._jobs[job.id]

    def start(
        self,
        kind: str,
        label: str,
        work: Callable[[Callable[[int, int], None]], tuple[Any, dict]],
        *,
        owner: int | None = None,
        cleanup: Path | None = None,
    ) -> JobState:
        """Run ``work(report_progress) -> (result, extras)`` in the background. Raises ``TooBusy`` (the
        ``cleanup`` folder is then removed at once)."""
        with self._lock:
            self._forget_old()
            if sum(j.status in ("queued", "running") for j in self._jobs.values()) >= self.max_running:
                if cleanup is not None:
                    shutil.rmtree(cleanup, ignore_errors=True)
                raise TooBusy(f"{self.max_running} analyses are running already: try again when one has finished")
            job = JobState(id=uuid.uuid4().hex, kind=kind, label=label, owner=owner)
            self._jobs[job.id] = job

        def report(done: int, total: int) -> None:
            job.done, job.total = int(done), int(total)

        def run() -> None:
            job.status = "running"
            try:
                job.result, job.extras = work(report)
                job.status = "done"
            except Exception as exc:  # whatever went wrong becomes the job's one-line error
                job.error = (str(exc).splitlines() or [type(exc).__name__])[0]
                job.status = "failed"
            finally:
                job.finished = time.time()
                if cleanup is not None:
                    shutil.rmtree(cleanup, ignore_errors=True)

        threading.Thread(target=run, name=f"job-{kind}-{job.id[:8]}", daemon=True).start()
        return job

    def add_finished(self, kind: str, label: str, result: Any, extras: dict, *, owner: int | None = None) -> JobState:
        """Keep a result computed within a request (a keypoint file) like a job's, so its report can be fetched."""
        with self._lock:
            self._forget_old()
            now = time.time()
            job = JobState(id=uuid.uuid4().hex, kind=kind, label=label, status="done", result=result,
                           extras=extras, owner=owner, created=now, finished=now)  # fmt: skip
            self._jobs[job.id] = job
            return job

    def get(self, job_id: str, owner: int | None = None) -> JobState | None:
        """The job, when it exists and belongs to ``owner`` (a job started for an athlete is theirs alone)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.owner != owner:
                return None
            job.last_read = time.monotonic()
            return job

    def wait(self, job_id: str, timeout_s: float, owner: int | None = None) -> JobState | None:
        """The job once it finished or ``timeout_s`` passed (for tests and scripts; pages poll)."""
        deadline = time.monotonic() + timeout_s
        while (job := self.get(job_id, owner)) is not None and job.status in ("queued", "running"):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        return job


# --- one job interface for both runners ------------------------------------------------------------------------


class JobKind(StrEnum):
    """The heavy work that runs as a job."""

    STRIDE = "stride"  # a stride video or keypoint file analysed (and saved when asked)
    IMPORT = "import"  # uploaded activity or wearable files, archives and exports
    REPROCESS = "reprocess"  # every kept original parsed again
    REDECIDE = "redecide"  # the day's decision made afresh (the nightly run)
    STRAVA_SYNC = "strava_sync"  # new activities fetched from Strava (minutes when its rate limit makes it wait)


@dataclass(frozen=True)
class JobFile:
    """An uploaded file a job reads: where it is now, and the name the runner knows it by."""

    path: Path
    name: str


@dataclass(frozen=True)
class JobRequest:
    """What to run, for whom: JSON parameters and files only, so any worker can run it."""

    kind: str  # a JobKind; a plain string so a job queued by a newer version still reads
    athlete_id: int
    label: str
    params: dict[str, Any] = field(default_factory=dict)
    files: tuple[JobFile, ...] = ()


@dataclass(frozen=True)
class JobView:
    """A job as its owner sees it: status, progress and, once done, its result (JSON)."""

    id: str
    kind: str
    label: str
    status: str  # queued | running | done | failed
    done: int
    total: int
    result: dict | None
    error: str | None
    created: datetime
    finished: datetime | None
    attempts: int = 1

    @property
    def running(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def progress(self) -> float:
        return progress_share(self.status, self.done, self.total)

    def as_json(self, with_result: bool = True) -> dict:
        """The shape ``JobState.as_json`` has always had (the API's ``JobOut``)."""
        return job_json(self, ((self.finished or datetime.now(UTC)) - self.created).total_seconds(), with_result)


class JobRunner(Protocol):
    """Runs ``JobRequest``s and answers for them, to their athlete only."""

    def submit(self, request: JobRequest, *, cleanup: Path | None = None) -> JobView:
        """Start the work; the runner owns ``cleanup`` (the upload's folder) from here and removes it.
        Raises ``TooBusy`` when it takes no more work now."""
        ...

    def record_finished(self, request: JobRequest, outcome: JobOutcome) -> JobView:
        """Keep work done within a request (a small keypoint file) like a job's, so it reads the same way."""
        ...

    def get(self, job_id: str, athlete_id: int) -> JobView | None:
        """The job when it exists and is this athlete's (the same None otherwise: nobody learns of others' jobs)."""
        ...

    def report(self, job_id: str, athlete_id: int) -> str | None:
        """A finished stride job's offline HTML report."""
        ...

    def keep_stride(self, job_id: str, athlete_id: int) -> int | None:
        """Save a finished stride job's analysis to the athlete's history, once however often asked; its id, or None
        when there is no such finished job. Raises ``NothingToSave`` for a clip without running."""
        ...


def _view_of_state(state: JobState) -> JobView:
    finished = datetime.fromtimestamp(state.finished, UTC) if state.finished is not None else None
    return JobView(id=state.id, kind=state.kind, label=state.label, status=state.status, done=state.done,
                   total=state.total, result=state.result if state.status == "done" else None, error=state.error,
                   created=datetime.fromtimestamp(state.created, UTC), finished=finished)  # fmt: skip


class InProcessRunner:
    """The single-user app's runner: the work runs in a thread of this process (``JobStore``), results in memory."""

    def __init__(
        self, db: Database, store: JobStore | None = None, after_write: Callable[[], None] | None = None
    ) -> None:
        self.db = db
        self.store = store or JobStore()
        self.after_write = after_write or (lambda: None)  # the app keeps the coming days (services/today_kept.py)
        self._saving = threading.Lock()  # two Save clicks at once keep one analysis

    def submit(self, request: JobRequest, *, cleanup: Path | None = None) -> JobView:
        from gluteguard.services.job_work import perform

        db = self.db

        def work(report: Callable[[int, int], None]) -> tuple[dict, dict]:
            outcome = perform(db, request.kind, request.athlete_id, request.params, list(request.files), report)
            try:
                return _kept(db, outcome), {"report": outcome.report_html}
            finally:
                self.after_write()

        state = self.store.start(request.kind, request.label, work, owner=request.athlete_id, cleanup=cleanup)
        return _view_of_state(state)

    def record_finished(self, request: JobRequest, outcome: JobOutcome) -> JobView:
        state = self.store.add_finished(request.kind, request.label, _kept(self.db, outcome),
                                        {"report": outcome.report_html}, owner=request.athlete_id)  # fmt: skip
        return _view_of_state(state)

    def _state(self, job_id: str, athlete_id: int) -> JobState | None:
        state = self.store.get(job_id, athlete_id)
        return state if state is not None and state.kind in set(JobKind) else None

    def get(self, job_id: str, athlete_id: int) -> JobView | None:
        state = self._state(job_id, athlete_id)
        return None if state is None else _view_of_state(state)

    def report(self, job_id: str, athlete_id: int) -> str | None:
        state = self._state(job_id, athlete_id)
        return state.extras.get("report") if state is not None and state.status == "done" else None

    def keep_stride(self, job_id: str, athlete_id: int) -> int | None:
        from gluteguard.services.gait import add_stride_record

        state = self._state(job_id, athlete_id)
        if state is None or state.kind != JobKind.STRIDE or state.status != "done":
            return None
        with self._saving:
            if state.result.get("saved_id") is None:
                with self.db.session() as session:
                    state.result["saved_id"] = add_stride_record(session, athlete_id, state.result)
            return state.result["saved_id"]


def _kept(db: Database, outcome: JobOutcome) -> dict:
    """The outcome's result once its writes (a save) are made: in one transaction, as on the shared server."""
    if outcome.write is None:
        return outcome.result
    with db.session() as session:
        return {**outcome.result, **outcome.write(session)}


def job_runner(
    db: Database, *, shared: bool, store: JobStore | None = None, after_write: Callable[[], None] | None = None
) -> JobRunner:
    """The runner for this app: Procrastinate workers on a shared server, else this process's threads."""
    if shared:
        from gluteguard.services.job_queue import QueueRunner

        return QueueRunner(db)
    return InProcessRunner(db, store, after_write)
