"""Which files in a watched folder are ready to import (issue 18's watch folder), as a pure step over listings.

A watch is a loop of listings of one folder (a Garmin watch's ``GARMIN/Activity`` mounted over USB, a synced cloud
folder). A file is imported once it has stopped changing: seen in two listings in a row with the same size and
modification time, that time at least ``settle_s`` ago, so a copy still being written (a cloud client's download, a
slow USB transfer that pauses) is never read half-way. A file is handed over once per content it shows: the same
name with a new size or time (a watch that rewrites a file) is handed over again, and the importer's own check of
identical content keeps a file that is merely touched from being stored twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gluteguard.ingest.rules import import_rules
from gluteguard.ingest.sources import is_activity_name


@dataclass(frozen=True)
class Seen:
    """One file as a listing saw it."""

    size: int
    modified_ns: int


@dataclass(frozen=True)
class WatchState:
    """What the previous listings saw (``last``) and what was already handed over (``handed``)."""

    last: Mapping[Path, Seen] = field(default_factory=dict)
    handed: Mapping[Path, Seen] = field(default_factory=dict)


def importable(path: Path) -> bool:
    """An activity or wearable file by its name (``.fit``, ``.gpx``, ``.tcx``, their ``.gz``, archives), not a
    hidden or temporary one (``.partial`` downloads, ``~`` editor copies, macOS ``._`` twins)."""
    name = path.name
    if name.startswith((".", "~")) or name.endswith(("~", ".part", ".partial", ".tmp", ".crdownload")):
        return False
    lowered = name.lower()
    return is_activity_name(lowered) or lowered.endswith(".zip")


# A file last written this long ago has stopped changing (import_rules.toml [watch], with its reason).
SETTLE_S = import_rules().watch_settle_s


def next_step(
    state: WatchState, listing: Mapping[Path, Seen], now_ns: int, settle_s: float = SETTLE_S
) -> tuple[WatchState, tuple[Path, ...]]:
    """The files of ``listing`` ready to import at ``now_ns`` (steady since the last listing, last written at least
    ``settle_s`` before, and not handed over as they are),
    in name order, and the state for the next listing, in which they are not yet handed over (:func:`handed_over`
    says so once the import stored them; until then every listing offers them again). A file that disappeared is
    forgotten: should it come back, it is new again."""
    ready = tuple(
        sorted(
            path
            for path, seen in listing.items()
            if importable(path)
            and state.last.get(path) == seen
            and state.handed.get(path) != seen
            and now_ns - seen.modified_ns >= settle_s * 1e9
        )
    )
    kept = {path: seen for path, seen in state.handed.items() if path in listing}
    return WatchState(last=dict(listing), handed=kept), ready


def handed_over(state: WatchState, paths: Iterable[Path]) -> WatchState:
    """``state`` with ``paths`` handed over as the last listing saw them."""
    handed = dict(state.handed)
    handed.update((path, state.last[path]) for path in paths if path in state.last)
    return WatchState(last=state.last, handed=handed)


def summary_line(names: Iterable[str], imported: int, duplicates: int, identical: int, failed: int) -> str:
    """One line for the watch's log after an import round."""
    files = list(names)
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    parts = [f"{imported} new {'activity' if imported == 1 else 'activities'}"]
    if duplicates:
        parts.append(f"{duplicates} possible duplicate{'s' if duplicates != 1 else ''} to review")
    if identical:
        parts.append(f"{identical} already imported")
    if failed:
        parts.append(f"{failed} could not be read")
    return f"{shown}: " + ", ".join(parts)
