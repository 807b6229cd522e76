"""Who is in view, and which of them runs (issue 15): the video side of ``gait/people.py``.

MediaPipe's legacy pose graph reports one person per picture, the most prominent one its detector finds, and then
tracks them. With a big bystander near the camera and a runner further back, the tracked path (``tracked.py``)
would follow the bystander and find no running. So before it runs:

1. **Find the people** in a few frames sampled from the first seconds (``finding.py``, ``people.toml`` [sample]):
   the whole frame, then again with everyone found hidden, until nobody new is found; tiles and the places people
   were seen before find the small ones. A graph in static mode does it: a fresh detection in every picture.
2. **Link** the findings across samples into people (``people.candidates_from_samples``).
3. With two or more: **follow each** for a few seconds at about 30 frames a second (``people.toml`` [follow]) with
   the tracked path's own tracking, started on that person with the others hidden, and **pick the runner** from
   those short series (``people.pick_runner``: running first, then the steadiest stride, the most seen, the
   largest). The followers share one decoder and run in their own threads (the graph releases the GIL).
4. The full analysis follows the chosen person from the frame they were first found in (``window.Seed``); a runner
   lost is looked for where they were last seen rather than in the whole frame (``WindowTracker(crowded=True)``).
   A clip long enough for two workers has the second one start at a keyframe near the middle, on the person there
   who wears the chosen one's colours (``people.same_clothes``; its place says little seconds later), so that the
   two agree and the split pays off; nobody clearly alike: it starts as without the search.

With one person found, or none, the full analysis runs exactly as it would without this step: the only cost is the
sampled frames. A crop the runner gave wins: they chose the area, and nobody is searched for.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gluteguard.gait.model import KeypointSeries
from gluteguard.gait.people import (
    Candidate,
    PeopleBudget,
    Pick,
    candidates_from_samples,
    people_budget,
    people_seen,
    person_box,
    pick_runner,
    same_clothes,
)
from gluteguard.gait.pose.decode import Box, ClipDecoder, ClipIndex, IndexMismatch, Picture, Upright, index_clip
from gluteguard.gait.pose.finding import (
    Finding,
    StaticFinder,
    find_people,
    people_in,
    sample_frames,
    sampled_pictures,
    seed_on,
)
from gluteguard.gait.pose.tracked import (
    MIN_SPLIT_FRAMES,
    ProgressCallback,
    TrackingEstimator,
    WorkerLog,
    available_cores,
    estimate_tracked,
    follow_person,
)
from gluteguard.gait.pose.video import VideoInfo, prefetch
from gluteguard.gait.pose.window import (
    DEFAULT_POLICY,
    Seed,
    WindowPolicy,
    WindowTracker,
    search_tiles,
)


@dataclass(frozen=True)
class PeopleFound:
    """What the search saw and chose; :meth:`as_meta` goes into ``series.meta["people_in_view"]``."""

    sampled_frames: tuple[int, ...]
    found: tuple[tuple[np.ndarray, ...], ...]  # the poses found in each sampled frame
    candidates: tuple[Candidate, ...]  # the people followed (none when fewer than two were found)
    pick: Pick | None
    seed: Seed | None  # whom the full analysis follows; None: as without the search
    middle_seed: Seed | None  # the same person where the second worker starts; None: as without the search
    seconds: float
    looks: int  # pictures given to the pose model
    follow_seconds: float = 0.0  # of ``seconds``, following each person briefly

    def as_meta(self) -> dict[str, Any]:
        return {
            "people_seen": people_seen(self.found),
            "sampled_frames": list(self.sampled_frames),
            "found_per_frame": [len(poses) for poses in self.found],
            "followed": [
                {"first_frame": self.sampled_frames[c.first], "box": [round(v) for v in person_box(c.pose) or ()]}
                for c in self.candidates
            ],
            "pick": None if self.pick is None else self.pick.as_meta(),
            "seed_frame": None if self.seed is None else self.seed.frame,
            "middle_seed_frame": None if self.middle_seed is None else self.middle_seed.frame,
            "seconds": round(self.seconds, 3),
            "follow_seconds": round(self.follow_seconds, 3),
            "looks": self.looks,
        }


def _follow_all(
    estimator: TrackingEstimator,
    path: str | Path,
    info: VideoInfo,
    index: ClipIndex | None,
    seeds: list[Seed],
    area: Box,
    step: int,
    max_seconds: float | None,
    budget: PeopleBudget,
    policy: WindowPolicy,
) -> list[WorkerLog]:
    """Each seed's person followed for ``budget.follow_s`` seconds from their frame, at about ``follow_fps``: one
    decoder hands every picture to the followers that want it, each in its own thread with its own graph."""
    every = step * max(1, round(info.fps / step / budget.follow_fps))
    length = round(budget.follow_s * info.fps)
    first = min(seed.frame for seed in seeds) if index is not None else 0
    last = max(seed.frame for seed in seeds) + length
    decoder = ClipDecoder(path, info, index=index, step=every, max_seconds=max_seconds)
    upright = Upright(info)
    inboxes: list[queue.Queue[Picture | None]] = [queue.Queue(maxsize=4) for _ in seeds]
    logs: list[WorkerLog | None] = [None] * len(seeds)
    errors: list[BaseException] = []
    stop = threading.Event()

    ended = [False] * len(seeds)

    def drain(number: int) -> Iterator[Picture]:
        while (picture := inboxes[number].get()) is not None:
            yield picture
        ended[number] = True

    def work(number: int, seed: Seed) -> None:
        graph = estimator.clone()
        try:
            tracker = WindowTracker(area, info.fps / every, policy, crowded=True)
            logs[number] = follow_person(graph, drain(number), upright, tracker, seed)
        except BaseException as error:  # handed to the caller's thread, which re-raises it
            errors.append(error)
            stop.set()
        finally:
            graph.close()
            while not ended[number] and inboxes[number].get() is not None:  # the dispatcher never waits on us
                pass

    threads = [threading.Thread(target=work, args=(n, seed), name=f"gluteguard-follow-{n}")
               for n, seed in enumerate(seeds)]  # fmt: skip
    for thread in threads:
        thread.start()
    try:
        for picture in prefetch(decoder.pictures(first=first, stop=last + 1)):
            if stop.is_set():
                break
            for seed, inbox in zip(seeds, inboxes, strict=True):
                if seed.frame <= picture.index <= seed.frame + length:
                    inbox.put(picture)
    finally:
        for inbox in inboxes:
            inbox.put(None)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return [log for log in logs if log is not None]


def _short_series(log: WorkerLog, seed: Seed, estimator: TrackingEstimator, fps: float, info: VideoInfo
                  ) -> KeypointSeries:  # fmt: skip
    """One follower's rows from its person's first frame, as the series ``pick_runner`` judges."""
    rows = [row for row, frame in enumerate(log.index) if frame >= seed.frame]
    names = estimator.landmark_names
    xyz = np.full((len(rows), len(names), 3), np.nan)
    confidence = np.zeros((len(rows), len(names)))
    for out, row in enumerate(rows):
        if log.xyz[row] is not None:
            xyz[out] = log.xyz[row]
            confidence[out] = log.confidence[row]
    return KeypointSeries(
        fps=fps,
        time_s=np.asarray([log.time_s[row] for row in rows], dtype=float),
        names=names,
        xyz=xyz,
        confidence=confidence,
        units="px",
        frame_size=(info.width, info.height),
    )


# --- the whole step -------------------------------------------------------------------------------------------------


def _middle_frame(index: ClipIndex | None, step: int, max_seconds: float | None, workers: int | None) -> int | None:
    """Where the second worker will start when the clip is split (``tracked._split``; None when it will not be): the
    keyframe nearest the middle, within its middle third, so that it and the search below decode one frame there;
    else the middle itself."""
    if index is None or (available_cores() if workers is None else workers) < 2:
        return None
    selected = index.selected(step, max_seconds)
    if len(selected) < MIN_SPLIT_FRAMES:
        return None
    middle = selected[len(selected) // 2]
    low, high = selected[len(selected) // 3], selected[2 * len(selected) // 3]
    keys = [int(k) for k in np.searchsorted(index.pts, index.keyframe_pts) if low <= k <= high and k % step == 0]
    return min(keys, key=lambda key: abs(key - middle)) if keys else middle


def _clothes(candidate: Candidate, per_sample: list[list[Finding]]) -> np.ndarray:
    """The colours a candidate wears, averaged over the sampled frames they were found in (one frame can show them
    partly hidden, behind a tree or at the frame's edge)."""
    seen = [
        finding.colours
        for row, found in enumerate(per_sample)
        for finding in found
        if np.array_equal(finding.xyz, candidate.track[row], equal_nan=True)
    ]
    return np.mean(seen, axis=0) if seen else np.zeros(96)  # zeros: alike nobody


def _found_again(
    finder: StaticFinder,
    path: str | Path,
    info: VideoInfo,
    index: ClipIndex,
    frame: int,
    colours: np.ndarray,
    area: Box,
    budget: PeopleBudget,
    policy: WindowPolicy,
) -> Seed | None:
    """The chosen person in ``frame`` (the second worker's first), by the colours they wear: everyone is found
    there (whole frame and tiles), and the one dressed alike (``people.same_clothes``) is the seed; None when
    nobody, or more than one, is."""
    picture = next(iter(ClipDecoder(path, info, index=index, threads=1).pictures(first=frame, stop=frame + 1)), None)
    if picture is None:
        return None
    found = people_in(finder, picture, Upright(info), area, budget, search_tiles(area, policy))
    which = same_clothes(colours, [finding.colours for finding in found], budget)
    if which is None:
        return None
    return seed_on(found[which].xyz, [finding.xyz for finding in found], frame, area, budget, policy)


def choose_runner(
    estimator: TrackingEstimator,
    path: str | Path,
    info: VideoInfo,
    *,
    step: int = 1,
    max_seconds: float | None = None,
    workers: int | None = None,
    budget: PeopleBudget | None = None,
    policy: WindowPolicy = DEFAULT_POLICY,
) -> PeopleFound:
    """Find the people in the first seconds and, when there are several, the one who runs (module docstring); for
    a clip that will be split, find them again where the second worker starts."""
    budget = budget or people_budget()
    started = time.perf_counter()
    area: Box = (0, 0, info.width, info.height)
    index = index_clip(path, info)
    frames, keyframes = sample_frames(index, info, max_seconds, budget)
    upright = Upright(info)
    finder = StaticFinder(estimator)
    try:
        pictures = prefetch(sampled_pictures(path, info, index, frames, keyframes), depth=2)
        per_sample = find_people(finder, pictures, upright, area, budget, policy)
        frames = frames[: len(per_sample)]
        poses = [[finding.xyz for finding in found] for found in per_sample]
        candidates = candidates_from_samples(poses, budget)[: max(1, budget.follow_people)]
        pick, seed, middle_seed = None, None, None
        follow_started = time.perf_counter()
        if len(candidates) >= 2:
            seeds = [seed_on(c.pose, poses[c.first], frames[c.first], area, budget, policy) for c in candidates]
            every = step * max(1, round(info.fps / step / budget.follow_fps))
            logs = _follow_all(estimator, path, info, index, seeds, area, step, max_seconds, budget, policy)
            fps = info.fps / every
            series = [_short_series(log, s, estimator, fps, info) for log, s in zip(logs, seeds, strict=True)]
            pick = pick_runner(series)
            seed = seeds[pick.index]
            follow_seconds = time.perf_counter() - follow_started
            finder.looks += sum(len(log.index) for log in logs)
            chosen = candidates[pick.index]
            middle = _middle_frame(index, step, max_seconds, workers)
            if middle is not None and index is not None:
                colours = _clothes(chosen, per_sample)
                middle_seed = _found_again(finder, path, info, index, middle, colours, area, budget, policy)
        else:
            candidates, follow_seconds = [], 0.0
    finally:
        finder.close()
    return PeopleFound(
        sampled_frames=tuple(frames),
        found=tuple(tuple(p) for p in poses),
        candidates=tuple(candidates),
        pick=pick,
        seed=seed,
        middle_seed=middle_seed,
        seconds=time.perf_counter() - started,
        looks=finder.looks,
        follow_seconds=follow_seconds,
    )


def estimate_with_people(
    estimator: TrackingEstimator,
    path: str | Path,
    info: VideoInfo,
    *,
    step: int = 1,
    max_seconds: float | None = None,
    crop: tuple[float, float, float, float] | None = None,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
    policy: WindowPolicy = DEFAULT_POLICY,
    source: str = "",
) -> KeypointSeries:
    """``tracked.estimate_tracked`` after :func:`choose_runner` (none with a ``crop``: the runner chose the area);
    ``series.meta["people_in_view"]`` says what was seen and chosen."""
    options: dict[str, Any] = {"step": step, "max_seconds": max_seconds, "crop": crop, "workers": workers,
                               "on_progress": on_progress, "policy": policy, "source": source}  # fmt: skip
    if crop is not None:
        return estimate_tracked(estimator, path, info, **options)
    silenced = getattr(estimator, "silenced", None)
    try:
        with silenced() if silenced is not None else contextlib.nullcontext():
            people = choose_runner(estimator, path, info, step=step, max_seconds=max_seconds, workers=workers,
                                   policy=policy)  # fmt: skip
    except IndexMismatch:
        people = None  # the packet list and the decoder disagree: no sampling by frame number, no search
    seed = None if people is None else people.seed
    middle_seed = None if people is None else people.middle_seed
    series = estimate_tracked(estimator, path, info, seed=seed, middle_seed=middle_seed, crowded=seed is not None,
                              **options)  # fmt: skip
    if people is not None:
        series.meta["people_in_view"] = people.as_meta()
    return series
