"""The app's background work: one job runner per app for the API and the pages alike — Procrastinate workers on
the shared server, this process's threads for the single-user app (``services.jobs``)."""

from __future__ import annotations

import threading

from fastapi import Request

from gluteguard.services.jobs import JobRunner, JobStore, JobView, job_runner

_store_lock = threading.Lock()


def _store_locked(request: Request) -> JobStore:
    store = getattr(request.app.state, "api_jobs", None)
    if store is None:
        store = request.app.state.api_jobs = JobStore()
    return store


def job_store(request: Request) -> JobStore:
    """The app's one store of in-process background work (made on first use)."""
    with _store_lock:
        return _store_locked(request)


def jobs_of(request: Request) -> JobRunner:
    """The app's job runner: Procrastinate workers on the shared server, this process's threads (sharing the
    store, so one cap on running analyses holds) for the single-user app."""
    with _store_lock:
        runner = getattr(request.app.state, "job_runner", None)
        if runner is None:
            shared = bool(getattr(request.app.state, "multi_user", False))
            keeper = getattr(request.app.state, "keeper", None)
            runner = job_runner(request.app.state.db, shared=shared, store=None if shared else _store_locked(request),
                                after_write=keeper.soon if keeper is not None else None)  # fmt: skip
            request.app.state.job_runner = runner
        return runner


JOB_ID_MAX = 64  # longer is no id of ours: answered as unknown without asking the store


def job_of(request: Request, athlete_id: int, job_id: str, kind: str | None = None) -> JobView | None:
    """The athlete's job ``job_id`` (of ``kind`` when given); None for anyone else's, another kind, or none."""
    if not 0 < len(job_id) <= JOB_ID_MAX:
        return None
    job = jobs_of(request).get(job_id, athlete_id)
    return job if job is not None and (kind is None or job.kind == kind) else None
