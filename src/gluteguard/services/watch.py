"""Watch a folder and import new activity files as they appear (``gluteguard import --watch DIR``, issue 18).

The loop lists the folder every ``interval_s``, asks ``ingest.watch.next_step`` which files have stopped changing,
and hands those to the same ``import_paths`` a one-off import uses: the same parsers, duplicate rules and one
transaction per file. A folder that is not there (a watch not plugged in, a cloud folder not synced yet) is waited
for; one that goes away mid-watch is waited for again. A round that fails as a whole (the database busy, say) is
told in one line and its files are offered again at the next listing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gluteguard.ingest.watch import SETTLE_S, Seen, WatchState, handed_over, next_step, summary_line
from gluteguard.services.importer import ImportSummary, import_paths
from gluteguard.store.db import Database

# Sub-folders looked into: a cloud folder may sort by year and month, a watch keeps GARMIN/Activity flat. Deeper
# trees are not walked every few seconds.
MAX_DEPTH = 3
DEFAULT_INTERVAL_S = 5.0


@dataclass(frozen=True)
class WatchEvent:
    """What the loop reports: ``kind`` is waiting | watching | imported | error; ``line`` says it in words."""

    kind: str
    line: str
    summary: ImportSummary | None = None


def list_folder(folder: Path, max_depth: int = MAX_DEPTH) -> dict[Path, Seen] | None:
    """Every regular file under ``folder`` (to ``max_depth`` levels) with its size and time; None when the folder is
    not there or cannot be read. Symbolic links are not followed (a link out of the folder is not imported)."""
    found: dict[Path, Seen] = {}

    def walk(directory: Path, depth: int) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if depth < max_depth and not entry.name.startswith("."):
                            walk(Path(entry.path), depth + 1)
                    elif entry.is_file(follow_symlinks=False):
                        info = entry.stat(follow_symlinks=False)
                        found[Path(entry.path)] = Seen(info.st_size, info.st_mtime_ns)
                except OSError:
                    continue  # gone or unreadable between the listing and the look: the next listing sees it

    try:
        walk(folder, 0)
    except OSError:
        return None
    return found


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.name


def watch_folder(
    db: Database,
    athlete_id: int,
    folder: Path,
    *,
    on_event: Callable[[WatchEvent], None],
    stop: threading.Event | None = None,
    interval_s: float = DEFAULT_INTERVAL_S,
    max_rounds: int | None = None,
    fit_decoder: str = "auto",
    settle_s: float = SETTLE_S,
) -> None:
    """Import what appears in ``folder`` until ``stop`` is set (or ``max_rounds`` listings were made)."""
    stop = stop or threading.Event()
    state = WatchState()
    present: bool | None = None  # None: not known yet
    rounds = 0
    while not stop.is_set() and (max_rounds is None or rounds < max_rounds):
        rounds += 1
        listing = list_folder(folder)
        if listing is None:
            if present is not False:
                on_event(WatchEvent("waiting", f"waiting for {folder} (not there now: a watch not plugged in?)"))
            present, state = False, WatchState()
            stop.wait(interval_s)
            continue
        if present is not True:
            on_event(WatchEvent("watching", f"watching {folder}: new activity files are imported as they appear"))
            present = True
        state, ready = next_step(state, listing, time.time_ns(), settle_s)
        if ready:
            try:
                names = {path: _relative(path, folder) for path in ready}  # reports name files as the runner sees them
                summary = import_paths(db, athlete_id, list(ready), workers=1, fit_decoder=fit_decoder,
                                       shown_as=names)  # fmt: skip
            except Exception as error:  # the round as a whole (the database unreachable): say so, try again later
                reason = (str(error).splitlines() or [type(error).__name__])[0]
                on_event(WatchEvent("error", f"could not import {len(ready)} file(s) now: {reason}; trying again"))
            else:
                state = handed_over(state, ready)
                data = summary.as_json()
                line = summary_line(
                    [names[path] for path in ready],
                    imported=data["imported"],
                    duplicates=data["possible_duplicates"],
                    identical=data["skipped_identical"],
                    failed=len(data["failed"]),
                )
                on_event(WatchEvent("imported", line, summary))
        stop.wait(interval_s)
