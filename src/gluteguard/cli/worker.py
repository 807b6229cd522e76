"""``gluteguard worker``: run the shared server's heavy jobs (stride videos, imports, reprocessing, the nightly
re-decision) on this machine, from the queue in its PostgreSQL database. Procrastinate is imported only here, when
the command runs."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from gluteguard.cli.context import errors, fail, state


def worker_command(
    ctx: typer.Context,
    concurrency: Annotated[
        int, typer.Option(help="Jobs at once. A stride video already uses every core: more helps imports.", min=1)
    ] = 1,
    max_attempts: Annotated[int, typer.Option(help="Runs of one job in all before it fails.", min=1, max=20)] = 5,
    stalled_after: Annotated[
        float,
        typer.Option(help="Seconds without a worker's heartbeat before its jobs run again elsewhere.", min=2.0),
    ] = 30.0,
    retry_wait: Annotated[int, typer.Option(help="Seconds before a failed job's next attempt, growing.", min=0)] = 10,
    name: Annotated[str | None, typer.Option(help="This worker's name in the logs (default: the host name).")] = None,
) -> None:
    """Run jobs from the shared server's queue until Ctrl+C or SIGTERM (running jobs finish first). PostgreSQL only:
    start as many as you like, on any machine that reaches the database."""
    from gluteguard.store.location import resolve_database_url

    url = resolve_database_url(state(ctx).db_option)
    if not url.startswith("postgresql"):
        raise fail("gluteguard worker needs the shared server's PostgreSQL database (--db postgresql://USER@HOST/DB):"
                   " the single-user app runs its jobs itself")  # fmt: skip
    import logging

    from gluteguard.services.job_queue import WorkerSettings, run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)  # one line per job is ours; theirs is noise
    # Heartbeats a third of the silence that counts as dead: two may be missed before jobs move elsewhere.
    settings = WorkerSettings(concurrency=concurrency, max_attempts=max_attempts, retry_wait_s=retry_wait,
                              heartbeat_s=stalled_after / 3, stalled_after_s=stalled_after,
                              poll_s=min(5.0, stalled_after / 3))  # fmt: skip
    shown_name = name or socket.gethostname()
    errors.print(f"gluteguard worker {shown_name}: {concurrency} job(s) at once — Ctrl+C stops", highlight=False)
    run_worker(url, settings, shown_name)
