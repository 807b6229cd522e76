"""Files prepared on every core, in input order, with memory and worker lifetimes bounded.

At most a few files per worker are in flight, and no more archive bytes than the import's in-flight budget. The
workers end with the import: a worker whose parent has gone (killed, even with SIGKILL, which no handler sees)
notices within a second and exits, and an import that stops early cancels what was queued instead of waiting.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from gluteguard.ingest.rules import import_rules
from gluteguard.ingest.sources import SourceUnit
from gluteguard.services.import_prepare import PreparedFile, prepare_unit

PARENT_CHECK_INTERVAL_S = 0.5


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _watch_parent(parent_pid: int) -> None:
    """Exit this worker once its parent is gone: it is then reparented, so its parent's pid changes."""
    while True:
        time.sleep(PARENT_CHECK_INTERVAL_S)
        if os.getppid() != parent_pid:
            os._exit(1)  # nothing to clean up: a worker holds no database connection and writes no file


def _start_parent_watch(parent_pid: int) -> None:
    """Pool initializer: a daemon thread per worker, so the watch never delays the worker's own exit."""
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()


def prepared_files(
    units: Iterable[SourceUnit], workers: int, fit_decoder: str, timezone: str
) -> Iterator[PreparedFile]:
    """Prepared files in input order; at most a few per worker in flight, so memory stays flat."""
    if workers <= 1:
        for unit in units:
            try:
                yield prepare_unit(unit, fit_decoder, timezone)
            finally:
                unit.discard()
        return
    byte_budget = import_rules().archives.max_in_flight_bytes
    in_flight: deque[tuple[Future[PreparedFile], SourceUnit, int]] = deque()
    held = 0  # bytes of archive members handed to the workers and not yet back

    def finished() -> PreparedFile:
        nonlocal held
        future, unit, size = in_flight.popleft()
        held -= size
        try:
            return future.result()
        finally:
            unit.discard()

    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_parent_watch, initargs=(os.getpid(),))
    completed = False
    try:
        for unit in units:
            size = len(unit.data) if unit.data is not None else 0
            # Wait for earlier results while the members in flight would pass the byte budget (one always goes).
            while in_flight and (len(in_flight) >= workers * 4 or held + size > byte_budget):
                yield finished()
            in_flight.append((pool.submit(prepare_unit, unit, fit_decoder, timezone), unit, size))
            held += size
        while in_flight:
            yield finished()
        completed = True
    finally:
        for _, unit, _ in in_flight:
            unit.discard()
        # Stopped early (an error, Ctrl+C, the caller gave up): drop the queue rather than parse it for no one.
        pool.shutdown(wait=completed, cancel_futures=not completed)
