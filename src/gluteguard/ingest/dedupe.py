"""Which already-stored activity a new one may duplicate (pure; the rule's numbers are in import_rules.toml)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from gluteguard.ingest.model import Sport


@dataclass(frozen=True)
class TimeSpan:
    key: int  # the stored activity's id (or a position, for activities not stored yet)
    start_utc: datetime
    end_utc: datetime
    sport: str


def sports_compatible(a: str, b: str) -> bool:
    return a == b or Sport.UNKNOWN.value in (a, b)


def possible_duplicate_of(candidate: TimeSpan, existing: Iterable[TimeSpan], window_s: float) -> int | None:
    """The key of the closest-starting existing activity that starts within ``window_s`` of the candidate,
    overlaps it in time and has a compatible sport; None when there is none."""
    best: tuple[float, int] | None = None
    for other in existing:
        gap = abs((other.start_utc - candidate.start_utc).total_seconds())
        overlaps = other.start_utc <= candidate.end_utc and candidate.start_utc <= other.end_utc
        matches = gap <= window_s and overlaps and sports_compatible(candidate.sport, other.sport)
        if matches and (best is None or gap < best[0]):
            best = (gap, other.key)
    return None if best is None else best[1]
