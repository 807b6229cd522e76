"""Several people in a clip (a gym, a park, a treadmill row): follow each of them, then pick the one who runs.

``track_people`` links each frame's detections into tracks by the nearest centre, a person's own size being the
limit of how far they move between frames. ``pick_runner`` analyses each long-enough track and keeps the runner:
a running gait first, then the steadiest stride, then the person seen in most frames. Pure; never raises on
odd input (an empty list of candidates is the caller's to refuse).

For video (``pose/candidates.py``, the shell that runs the pose model) the same two steps work on a few sampled
frames: :func:`is_new_person` and :func:`hide_box` for finding everyone in one frame, :func:`candidates_from_samples`
for linking the samples into the people to follow, the budgets in ``people.toml`` (:func:`people_budget`).
:func:`people_in_view` is what a result says about it, :func:`people_sentence` the same in plain words.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gluteguard.gait.analysis import analyze
from gluteguard.gait.model import BLAZEPOSE_LANDMARKS, KeypointError, KeypointSeries
from gluteguard.gait.movement import MovementCheck
from gluteguard.rules_data import Table, rules_data

_SHOULDERS = (BLAZEPOSE_LANDMARKS.index("left_shoulder"), BLAZEPOSE_LANDMARKS.index("right_shoulder"))
_HIPS = (BLAZEPOSE_LANDMARKS.index("left_hip"), BLAZEPOSE_LANDMARKS.index("right_hip"))
MAX_JUMP_SIZES = 0.75  # a person's centre moves less than this share of their own size from one frame to the next
MIN_TRACK_SHARE = 0.25  # a track seen in fewer frames than this share of the clip is a passer-by


def _centre(person: np.ndarray) -> np.ndarray:
    seen = person[np.isfinite(person[:, 0]), :2]
    return seen.mean(axis=0) if len(seen) else np.array([np.nan, np.nan])


def _size(person: np.ndarray) -> float:
    seen = person[np.isfinite(person[:, 0]), :2]
    return float(np.hypot(*(seen.max(axis=0) - seen.min(axis=0)))) if len(seen) >= 2 else 0.0


def track_people(
    frames: Sequence[Sequence[np.ndarray]],
    points: int,
    *,
    max_jump_sizes: float = MAX_JUMP_SIZES,
    min_share: float = MIN_TRACK_SHARE,
) -> list[np.ndarray]:
    """Tracks (frames, points, 3) of x, y, confidence (NaN where the person was not found) from each frame's
    detections (arrays of (points, 3)). Greedy: the closest pairs of track and detection are linked first. A
    person moves less than ``max_jump_sizes`` of their size between frames; tracks seen in less than ``min_share``
    of the frames are dropped."""
    tracks: list[np.ndarray] = []
    last_seen: list[tuple[np.ndarray, float]] = []  # each track's last centre and size
    count = len(frames)
    for index, people in enumerate(frames):
        detections = [p for p in people if _size(p) > 0]
        pairs = sorted(
            (float(np.linalg.norm(_centre(d) - centre)), t, k)
            for t, (centre, size) in enumerate(last_seen)
            for k, d in enumerate(detections)
            if np.linalg.norm(_centre(d) - centre) <= max_jump_sizes * max(size, 1.0)
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
    return [track for track in tracks if np.isfinite(track[:, :, 0]).any(axis=1).mean() >= min_share]


WHY = ("running", "steadiest_stride", "most_seen", "largest")  # what decided a pick, in the order it is ranked by


@dataclass(frozen=True)
class Pick:
    """The candidate chosen, what each candidate looked like (in the candidates' order), and what decided it:
    one of :data:`WHY` (the first ranking key on which the chosen one beat the next best), or "" when alone."""

    index: int
    movements: tuple[MovementCheck | None, ...]
    why: str = ""

    def as_meta(self) -> dict:
        return {
            "people_followed": len(self.movements),
            "picked": self.index,
            "people": [None if m is None else m.kind for m in self.movements],
            "why": self.why,
        }


def _rank(movement: MovementCheck | None, seen: float, size: float) -> tuple[int, float, float, float]:
    """Running first; then a steadier stride and more frames seen (to a tenth: small differences are noise);
    then the larger person, the one nearer the camera, whom the clip was most likely filmed for."""
    steadiness = 0.0 if movement is None else round(movement.periodicity or 0.0, 1)
    return (int(movement is not None and movement.running), steadiness, round(seen, 1), size)


def _movement(series: KeypointSeries) -> MovementCheck | None:
    """The stride analysis' own check; None for a series it cannot read at all."""
    try:
        return analyze(series).movement
    except KeypointError:
        return None


def pick_runner(
    candidates: Sequence[KeypointSeries], judge: Callable[[KeypointSeries], MovementCheck | None] | None = None
) -> Pick:
    """The runner among ``candidates`` (at least one): running first, then the steadiest stride, the most seen,
    the largest. ``judge`` says what a candidate shows (default: the stride analysis' own check)."""
    judge = judge or _movement
    movements = tuple(judge(series) for series in candidates)
    seen = [float(np.isfinite(series.xyz[:, :, 0]).any(axis=1).mean()) for series in candidates]
    sizes = [float(np.nanmedian([_size(frame) for frame in series.xyz])) for series in candidates]
    ranks = [_rank(movements[i], seen[i], sizes[i]) for i in range(len(candidates))]
    best = max(range(len(candidates)), key=lambda i: ranks[i])
    others = [rank for i, rank in enumerate(ranks) if i != best]
    why = ""
    if others:
        runner_up = max(others)
        why = next((WHY[k] for k in range(len(WHY)) if ranks[best][k] != runner_up[k]), WHY[-1])
    return Pick(best, movements, why)


# --- video: finding everyone in a few sampled frames (the pose model runs in gait/pose/candidates.py) ---------------


@dataclass(frozen=True)
class PeopleBudget:
    """How much the people search and the short follow-ups may cost (``people.toml``)."""

    sample_frames: int
    sample_span_s: float
    min_keyframes: int
    max_people: int
    min_upright: float
    min_height_share: float
    hide_margin: float
    near_heights: float
    same_person_overlap: float
    tile_frames: int
    max_jump_sizes: float
    min_samples: int
    follow_people: int
    follow_s: float
    follow_fps: float
    min_similarity: float
    min_margin: float
    sources: dict[str, str]


def _parse_budget(table: Table) -> PeopleBudget:
    sample, find, link, follow, middle = (table[name] for name in ("sample", "find", "link", "follow", "middle"))
    return PeopleBudget(
        sample_frames=int(sample["frames"]),
        sample_span_s=float(sample["span_s"]),
        min_keyframes=int(sample["min_keyframes"]),
        max_people=int(find["max_people"]),
        min_upright=float(find["min_upright"]),
        min_height_share=float(find["min_height_share"]),
        hide_margin=float(find["hide_margin"]),
        near_heights=float(find["near_heights"]),
        same_person_overlap=float(find["same_person_overlap"]),
        tile_frames=int(find["tile_frames"]),
        max_jump_sizes=float(link["max_jump_sizes"]),
        min_samples=int(link["min_samples"]),
        follow_people=int(follow["max_people"]),
        follow_s=float(follow["seconds"]),
        follow_fps=float(follow["fps"]),
        min_similarity=float(middle["min_similarity"]),
        min_margin=float(middle["min_margin"]),
        sources={name: str(section["source"]) for name, section in table.items() if isinstance(section, dict)},
    )


def people_budget() -> PeopleBudget:
    return rules_data("gluteguard.gait", "people.toml", _parse_budget)


Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) in pixels, x1 and y1 exclusive


def person_box(pose: np.ndarray) -> tuple[float, float, float, float] | None:
    """The box around a pose's landmarks (x0, y0, x1, y1); None with fewer than two of them."""
    seen = pose[np.isfinite(pose[:, :2]).all(axis=1), :2]
    if len(seen) < 2:
        return None
    (x0, y0), (x1, y1) = seen.min(axis=0), seen.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def box_overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two boxes (0 when apart or empty)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def plausible_person(pose: np.ndarray, short_side: float, budget: PeopleBudget) -> bool:
    """A finding that can be someone to follow: standing upright (hips below the shoulders by ``min_upright`` of the
    torso's length) and at least ``min_height_share`` of the frame's short side tall. Findings in empty tiles, on
    furniture or in a lens flare fail it (``people.toml`` [find])."""
    box = person_box(pose)
    if box is None or box[3] - box[1] < budget.min_height_share * short_side:
        return False
    points = pose[:, :2]
    shoulders, hips = points[list(_SHOULDERS)], points[list(_HIPS)]
    if not (np.isfinite(shoulders).all() and np.isfinite(hips).all()):
        return False
    torso = hips.mean(axis=0) - shoulders.mean(axis=0)
    length = float(np.hypot(*torso))
    return length > 0 and float(torso[1]) >= budget.min_upright * length


def is_new_person(pose: np.ndarray, found: Sequence[np.ndarray], same_overlap: float) -> bool:
    """A pose is someone not yet in ``found`` when its box overlaps none of theirs by more than ``same_overlap``."""
    box = person_box(pose)
    if box is None:
        return False
    return all(other is None or box_overlap(box, other) <= same_overlap for other in map(person_box, found))


def hide_box(pose: np.ndarray, margin: float, frame: Box) -> Box | None:
    """The box to cover so the pose model no longer finds this person: the landmarks' box widened by ``margin``
    of its height on every side, in whole pixels inside ``frame``; None when nothing of it is inside."""
    box = person_box(pose)
    if box is None:
        return None
    pad = margin * max(box[3] - box[1], box[2] - box[0])
    x0, y0 = max(frame[0], math.floor(box[0] - pad)), max(frame[1], math.floor(box[1] - pad))
    x1, y1 = min(frame[2], math.ceil(box[2] + pad)), min(frame[3], math.ceil(box[3] + pad))
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def hidden_share(box: Box, hidden: Sequence[Box]) -> float:
    """The share of ``box`` covered by ``hidden`` boxes (counted once where they overlap)."""
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return 1.0
    mask = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for hx0, hy0, hx1, hy1 in hidden:
        mask[max(hy0 - y0, 0) : max(hy1 - y0, 0), max(hx0 - x0, 0) : max(hx1 - x0, 0)] = True
    return float(mask.mean())


@dataclass(frozen=True)
class Candidate:
    """One person found in the sampled frames: first seen in sample ``first`` with ``pose`` (landmarks, 3),
    found in ``seen`` samples, ``size`` px (the box's diagonal, median over the samples)."""

    first: int
    pose: np.ndarray
    seen: int
    size: float
    track: np.ndarray  # (samples, landmarks, 3): the pose in each sample, NaN where not found


def candidates_from_samples(samples: Sequence[Sequence[np.ndarray]], budget: PeopleBudget) -> list[Candidate]:
    """The people to follow, from each sampled frame's poses (landmarks, 3): linked across samples like
    :func:`track_people` does across frames, seen in ``budget.min_samples`` samples at least (fewer when fewer
    were sampled), the most seen first, then the largest."""
    count = len(samples)
    if count == 0:
        return []
    points = next((len(pose) for poses in samples for pose in poses), 0)
    if points == 0:
        return []
    needed = min(budget.min_samples, count)
    tracks = track_people(samples, points, max_jump_sizes=budget.max_jump_sizes, min_share=(needed - 0.5) / count)
    found = []
    for track in tracks:
        seen_rows = np.flatnonzero(np.isfinite(track[:, :, 0]).any(axis=1))
        sizes = [_size(track[row]) for row in seen_rows]
        first = int(seen_rows[0])
        found.append(Candidate(first, track[first], len(seen_rows), float(np.median(sizes)), track))
    return sorted(found, key=lambda c: (-c.seen, -c.size, c.first))


def same_clothes(target: np.ndarray, others: Sequence[np.ndarray], budget: PeopleBudget) -> int | None:
    """Which of ``others`` (colour histograms, each summing to 1) is the person whose histogram is ``target``: the
    most alike (Bhattacharyya coefficient), when at least ``min_similarity`` alike and ``min_margin`` more alike
    than the next; None when nobody is, or two are about as alike (``people.toml`` [middle])."""
    scores = sorted(((float(np.sum(np.sqrt(target * other))), i) for i, other in enumerate(others)), reverse=True)
    if not scores or scores[0][0] < budget.min_similarity:
        return None
    if len(scores) > 1 and scores[0][0] - scores[1][0] < budget.min_margin:
        return None
    return scores[0][1]


def people_seen(samples: Sequence[Sequence[np.ndarray]]) -> int:
    """The most people found at once in one sampled frame."""
    return max((len(poses) for poses in samples), default=0)


# --- what a result says about it ----------------------------------------------------------------------------------


def people_in_view(meta: Mapping[str, Any]) -> dict[str, Any] | None:
    """The result's account of the people in view, from a series' ``meta`` (a video's people search, or an OpenPose
    folder's tracks): ``people_seen`` and, when a choice was made, ``person_analysed`` (``Pick.as_meta`` and a plain
    ``message``). None when the input says nothing about it (one-person keypoint files, a crop the runner chose)."""
    video = meta.get("people_in_view")
    if isinstance(video, Mapping):
        seen = int(video.get("people_seen", 0))
        pick = video.get("pick")
    elif "max_people_in_a_frame" in meta:  # OpenPose: every person in every frame
        seen = int(meta["max_people_in_a_frame"])
        pick = {key: meta[key] for key in ("people_followed", "picked", "people", "why") if key in meta} or None
    else:
        return None
    out: dict[str, Any] = {"people_seen": seen}
    if isinstance(pick, Mapping) and pick.get("people_followed", 0) > 1:
        out["person_analysed"] = {**pick, "message": people_sentence(seen, pick)}
    return out


_WHY_WORDS = {
    "running": "the one running",
    "steadiest_stride": "the one with the steadiest stride",
    "most_seen": "the one seen longest",
    "largest": "the one nearest the camera",
}


def people_sentence(seen: int, pick: Mapping[str, Any]) -> str:
    """In plain words: "2 people in view; analysed the one running (steadiest stride)"."""
    kinds = list(pick.get("people") or [])
    index = int(pick.get("picked", 0))
    running = kinds[index] == "running" if 0 <= index < len(kinds) else False
    runners = sum(kind == "running" for kind in kinds)
    why = str(pick.get("why") or "")
    people = max(seen, int(pick.get("people_followed", 0)))
    if running and why == "running":
        chosen = "the one running"
    elif running:
        detail = {"steadiest_stride": "steadiest stride", "most_seen": "seen longest", "largest": "nearest the camera"}
        chosen = f"the one running ({detail.get(why, 'steadiest stride')})" if runners > 1 else "the one running"
    else:
        chosen = f"{_WHY_WORDS.get(why, 'one of them')}; nobody was seen running"
    return f"{people} people in view; analysed {chosen}"
