"""Background jobs for slow work (a stride video takes seconds to minutes): start one, poll its progress, read its
result. In memory, one process: the local app serves one runner, so a lock-guarded dict is the whole store, and a
restart only means uploading the clip again.

A job runs ``work(report)`` in a daemon thread; ``report(done, total)`` updates its progress (the pose
backend's ``on_progress`` fits it as it is). Failures become one line in ``error``; a temporary folder handed to
``start`` is removed when the work ends, whatever happens.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEEP_FINISHED_S = 2 * 3600  # a finished job's result stays readable this long after it was last read
MAX_FINISHED = 20  # and at most this many finished jobs are kept (each holds an analysis and its report)
MAX_RUNNING = 2  # pose estimation already uses every core: more at once only makes each one slower


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
        if self.status == "done":
            return 1.0
        return min(self.done / self.total, 0.99) if self.total > 0 else 0.0

    def as_json(self, with_result: bool = True) -> dict:
        out = {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "status": self.status,
            "progress": round(self.progress, 3),
            "done": self.done,
            "total": self.total or None,
            "error": self.error,
            "elapsed_s": round((self.finished or time.time()) - self.created, 1),
        }
        if with_result:
            out["result"] = self.result if self.status == "done" else None
        return out


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
