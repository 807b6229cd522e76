"""Several people in a clip (a gym, a park, a treadmill row): follow each of them, then pick the one who runs.

``track_people`` links each frame's detections into tracks by the nearest centre, a person's own size being the
limit of how far they move between frames. ``pick_runner`` analyses each long-enough track and keeps the runner:
a running gait first, then the steadiest stride, then the person seen in most frames. Pure; never raises on
odd input (an empty list of candidates is the caller's to refuse).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from gluteguard.gait.analysis import analyze
from gluteguard.gait.model import KeypointSeries
from gluteguard.gait.movement import MovementCheck

MAX_JUMP_SIZES = 0.75  # a person's centre moves less than this share of their own size from one frame to the next
MIN_TRACK_SHARE = 0.25  # a track seen in fewer frames than this share of the clip is a passer-by


def _centre(person: np.ndarray) -> np.ndarray:
    seen = person[np.isfinite(person[:, 0]), :2]
    return seen.mean(axis=0) if len(seen) else np.array([np.nan, np.nan])


def _size(person: np.ndarray) -> float:
    seen = person[np.isfinite(person[:, 0]), :2]
    return float(np.hypot(*(seen.max(axis=0) - seen.min(axis=0)))) if len(seen) >= 2 else 0.0


def track_people(frames: Sequence[Sequence[np.ndarray]], points: int) -> list[np.ndarray]:
    """Tracks (frames, points, 3) of x, y, confidence (NaN where the person was not found) from each frame's
    detections (arrays of (points, 3)). Greedy: the closest pairs of track and detection are linked first."""
    tracks: list[np.ndarray] = []
    last_seen: list[tuple[np.ndarray, float]] = []  # each track's last centre and size
    count = len(frames)
    for index, people in enumerate(frames):
        detections = [p for p in people if _size(p) > 0]
        pairs = sorted(
            (float(np.linalg.norm(_centre(d) - centre)), t, k)
            for t, (centre, size) in enumerate(last_seen)
            for k, d in enumerate(detections)
            if np.linalg.norm(_centre(d) - centre) <= MAX_JUMP_SIZES * max(size, 1.0)
        )
        taken_tracks: set[int] = set()
        taken_detections: set[int] = set()
        for _, t, k in pairs:
            if t in taken_tracks or k in taken_detections:
                continue
            taken_tracks.add(t)
            taken_detections.add(k)
            tracks[t][index] = detections[k]
            last_seen[t] = (_centre(detections[k]), _size(detections[k]))
        for k, detection in enumerate(detections):
            if k in taken_detections:
                continue
            track = np.full((count, points, 3), np.nan)
            track[index] = detection
            tracks.append(track)
            last_seen.append((_centre(detection), _size(detection)))
    return [track for track in tracks if np.isfinite(track[:, :, 0]).any(axis=1).mean() >= MIN_TRACK_SHARE]


@dataclass(frozen=True)
class Pick:
    """The candidate chosen, and what each candidate looked like (in the candidates' order)."""

    index: int
    movements: tuple[MovementCheck | None, ...]

    def as_meta(self) -> dict:
        return {
            "people_followed": len(self.movements),
            "picked": self.index,
            "people": [None if m is None else m.kind for m in self.movements],
        }


def _rank(movement: MovementCheck | None, seen: float, size: float) -> tuple[int, float, float, float]:
    """Running first; then a steadier stride and more frames seen (to a tenth: small differences are noise);
    then the larger person, the one nearer the camera, whom the clip was most likely filmed for."""
    steadiness = 0.0 if movement is None else round(movement.periodicity or 0.0, 1)
    return (int(movement is not None and movement.running), steadiness, round(seen, 1), size)


def pick_runner(
    candidates: Sequence[KeypointSeries], judge: Callable[[KeypointSeries], MovementCheck | None] | None = None
) -> Pick:
    """The runner among ``candidates`` (at least one): running first, then the steadiest stride, the most seen,
    the largest. ``judge`` says what a candidate shows (default: the stride analysis' own check)."""
    judge = judge or (lambda series: analyze(series).movement)
    movements = tuple(judge(series) for series in candidates)
    seen = [float(np.isfinite(series.xyz[:, :, 0]).any(axis=1).mean()) for series in candidates]
    sizes = [float(np.nanmedian([_size(frame) for frame in series.xyz])) for series in candidates]
    best = max(range(len(candidates)), key=lambda i: _rank(movements[i], seen[i], sizes[i]))
    return Pick(best, movements)
