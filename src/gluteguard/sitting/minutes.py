"""Minutes from a wearable's samples (pure): steps spread over the minutes they span, the blanks a worn watch
leaves between its own samples, and the small tools the day's count is built from (see ``day`` for the method)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from gluteguard.ingest.wearable import StepSample
from gluteguard.sitting.model import SittingError
from gluteguard.sitting.rules import SittingRules


def duration_words(minutes: int) -> str:
    """ "1 h 32 min", "25 min"."""
    h, m = divmod(int(minutes), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise SittingError(f"naive datetime {moment.isoformat()}: the sitting model needs tz-aware UTC times")
    return moment.timestamp()


def minute_steps(
    samples: Sequence[StepSample], edges: np.ndarray, max_spread_s: float = float("inf")
) -> tuple[np.ndarray, np.ndarray, int]:
    """Steps and covered seconds per minute (between consecutive ``edges``, epoch seconds), max across devices,
    and how many samples were too coarse to place (longer than ``max_spread_s`` and with steps).

    Each sample's steps are spread evenly over its span. Within one device overlapping samples add up (exact
    duplicates, e.g. a file imported twice, are dropped); across devices the per-minute maximum is kept because two
    devices worn together count the same footsteps.
    """
    n = len(edges) - 1
    steps = np.zeros(n)
    cover = np.zeros(n)
    lo, hi = edges[:-1], edges[1:]
    by_source: dict[str, set[tuple[float, float, float]]] = {}
    too_coarse = 0
    for s in samples:
        start, end = _epoch(s.start), _epoch(s.end)
        if end < start or s.steps < 0:
            continue  # a broken sample says nothing reliable
        instant_inside = start == end and edges[0] <= start < edges[-1]
        if (end <= edges[0] or start >= edges[-1]) and not instant_inside:
            continue
        if end - start > max_spread_s and s.steps > 0:
            too_coarse += 1
            continue
        by_source.setdefault(s.source, set()).add((start, end, float(s.steps)))
    for rows in by_source.values():
        arr = np.array(sorted(rows))
        start, end, count = arr[:, 0], arr[:, 1], arr[:, 2]
        # An instant sample (start == end) gets a one-second span so its steps land in the minute that holds it.
        end = np.where(end > start, end, start + 1.0)
        overlap = np.clip(np.minimum(end[:, None], hi[None, :]) - np.maximum(start[:, None], lo[None, :]), 0.0, None)
        source_steps = (overlap * (count / (end - start))[:, None]).sum(axis=0)
        source_cover = np.minimum(overlap.sum(axis=0), 60.0)
        steps = np.maximum(steps, source_steps)
        cover = np.maximum(cover, source_cover)
    return steps, cover, too_coarse


def _carried(source: str, rules: SittingRules) -> bool:
    """A phone: carried, not worn (rules.toml [minutes] carried_source_words)."""
    name = source.lower()
    return any(word in name for word in rules.carried_source_words)


def worn_gaps(samples: Sequence[StepSample], rules: SittingRules) -> list[tuple[float, float]]:
    """Blank stretches (epoch seconds) between two samples of one watch that show it stayed on.

    Only for a watch that writes samples only while its wearer steps (Apple): its still time is blank, so a blank of
    at most ``worn_gap_max_min`` between two of its samples is still time with the watch on. A source that writes
    zero-step samples records its still time itself (its blanks mean it was off), and a phone's blanks say nothing.
    """
    max_gap = rules.worn_gap_max_min * 60.0
    spans: dict[str, list[tuple[float, float]]] = {}
    writes_still: set[str] = set()
    for s in samples:
        start, end = _epoch(s.start), _epoch(s.end)
        if end < start or s.steps < 0 or end - start > rules.max_spread_min * 60.0:
            continue  # broken or too coarse to place
        if s.steps == 0:
            writes_still.add(s.source)
        else:
            spans.setdefault(s.source, []).append((start, end))
    gaps: list[tuple[float, float]] = []
    for source, rows in spans.items():
        if source in writes_still or _carried(source, rules):
            continue
        rows.sort()
        reach = rows[0][1]
        for start, end in rows[1:]:
            if 0 < start - reach <= max_gap:
                gaps.append((reach, start))
            reach = max(reach, end)
    return gaps


def interval_cover(intervals: Sequence[tuple[float, float]], edges: np.ndarray) -> np.ndarray:
    """Seconds of each minute (between consecutive ``edges``) inside the intervals, at most the whole minute."""
    if not intervals:
        return np.zeros(len(edges) - 1)
    arr = np.array(intervals)
    lo, hi = edges[:-1], edges[1:]
    overlap = np.clip(np.minimum(arr[:, 1:2], hi[None, :]) - np.maximum(arr[:, 0:1], lo[None, :]), 0.0, None)
    return np.minimum(overlap.sum(axis=0), 60.0)


def runs_of(codes: np.ndarray) -> list[tuple[int, int, int]]:
    """Run-length encoding: (code, first index, length) for each run of equal codes."""
    if codes.size == 0:
        return []
    change = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [codes.size])))
    return [(int(codes[s]), int(s), int(n)) for s, n in zip(starts, lengths, strict=True)]
