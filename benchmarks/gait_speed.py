"""Stride-analysis speed (issue 15): a 10 s, 1080p, 60 fps phone clip through the pose stage with the lite model,
ours against the whole-frame path it replaces, both timed in the same run; and the metrics stage.

Usage::

    .venv/bin/python benchmarks/gait_speed.py [--clip PATH ...] [--kinds vertical,horizontal,people] [--seconds 10]
        [--fps 60] [--repeat 1] [--also-one-worker] [--also-without-search] [--no-baseline] [--strict]

**The clips** are made here from the shared demo clip (shared/data/video/sports2d_demo.mp4, 1768×994, 30 fps), so
nothing is downloaded: the start of it played forward then backward until ``--seconds`` are filled, every frame
written twice for 60 fps, encoded with PyAV's libx264 (preset veryfast, 20 Mbit/s, no B-frames, a keyframe a
second: about what a phone writes) into the system's temporary folder, where later runs find them again.

* ``vertical``: frames 0–89, a 9:16 part of the demo around the man doing jumping jacks on a utility box
  (x 420–979; he is alone in it, moving in place like a runner on a treadmill), scaled to 1080×1920, stored as a
  phone stores an upright clip: 1920×1080 pictures turned on their side, with a "rotate 90°" display matrix.
* ``horizontal``: frames 0–149, the whole demo scaled to 1920×1080: the man and, from frame ~45, a woman walking
  across (two people; each smaller in the frame).
* ``people`` (not made unless asked for): two people from the start, side by side in a 1920×1080 frame: on the left
  the man's part of the demo (x 420–979, y 0–479, ×1.6: about 580 px tall), on the right the lower part of the demo
  (y 477–993, scaled to 1000 px wide) 50 frames later, where the woman walks across (about 215 px tall); frames
  0–104 of each. The people search (``pose/candidates.py``) finds both, follows each for 3 s, and the full analysis
  follows the one it picks.

**Timed**, per clip (``--repeat`` runs of each, alternating, the median kept):

* ``ours``: ``estimate_video(clip, model="lite")``: the tracked path (PyAV decoding, only the window around the
  runner converted and turned upright, the clip split between two graphs on two cores);
* ``baseline``: the whole-frame path as it was before: OpenCV decodes and turns every whole frame upright, one
  graph sees all of it, decoding one thread ahead (``estimate_video(..., track=False)``, instrumented here);
* ``no_search`` (``--also-without-search``): the tracked path without the search for the people in view that now
  runs before it (``tracked.estimate_tracked`` called directly): ours as it was before that search.

``people_s`` is the search's share of ``wall_s`` (sampled frames, and the short follow-ups when several people are
found), with how many people it saw and whom it picked.

Figures: ``wall_s`` end to end (probe, graph start-up, decoding, pose); ``decode_s`` the time spent inside the
decoder (summed over decoder threads, which run beside the pose work); ``pose_s`` the time inside the pose graph
(summed over the graphs); ``rest_s`` the rest of the pose workers' time (colour conversion, cutting, turning
upright, waiting for frames, bookkeeping; summed); ``cpu_s`` the process's CPU time; ``clip_s`` the clip's length;
``ratio`` = wall_s / clip_s (≤ 1.0 is the target: as fast as the clip plays); ``fps`` = frames / wall_s.
``speedup`` = baseline wall_s / ours wall_s. The machine's load average is printed with each run: on a shared
machine, wall times move with it and CPU times do not.

The last line is one JSON object (the first clip's figures at the top level); ``--strict`` exits 2 when the
target is missed. Without the ``video`` extra or the demo clip the script says so and ends with
``{"skipped": true, ...}``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEMO_CLIP = REPO.parent / "shared" / "data" / "video" / "sports2d_demo.mp4"
CLIP_CACHE = Path(tempfile.gettempdir()) / "gluteguard-gait-speed"
TARGET_RATIO = 1.0  # wall time at most the clip's own length
# The part of the demo played forward and back: frames 0–89 (3 s) for the vertical clip, where the man on the box is
# alone in its window (one person, moving in place like a runner on a treadmill); frames 0–149 for the horizontal one,
# where the woman walks in from frame ~45 (a second person, and the runner smaller in the frame).
SOURCE_FRAMES = {"vertical": 90, "horizontal": 150, "people": 155}
PEOPLE_FRAMES, PEOPLE_WALKER_OFFSET = 105, 50  # the people clip: frames 0–104 of the man, 50–154 of the walker
VERTICAL_WINDOW_X = (420, 979)  # a 9:16 window of the 1768×994 demo around the man on the box
BIT_RATE = 20_000_000
BASELINE_NAME = "whole-frame path: OpenCV decodes and turns every whole frame upright, one graph (before issue 15)"
OURS_NAME = (
    "tracked path: PyAV decoding, window around the runner, two graphs, after the search for the people in view"
    " (estimate_video default)"
)


# --- the clips ------------------------------------------------------------------------------------------------------


def _demo_frames(count: int) -> list[Any]:
    import cv2

    capture = cv2.VideoCapture(str(DEMO_CLIP))
    frames = []
    while len(frames) < count:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    return frames


def _tag_rotate_90(path: Path) -> None:
    """The display matrix of a track to be turned 90° clockwise, in the track header (what a phone writes)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    matrix = at + 4 + 4 + (20 if data[at + 4] == 0 else 32) + 16
    data[matrix : matrix + 36] = struct.pack(">9i", 0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))


def _side_by_side(man: Any, walker: Any) -> Any:
    """The ``people`` clip's picture: the man's part (left, larger) and the walker's part (right, smaller)."""
    import cv2
    import numpy as np

    canvas = np.full((1080, 1920, 3), 90, np.uint8)
    canvas[1080 - 768 :, :896] = cv2.resize(man[0:480, 420:980], (896, 768), interpolation=cv2.INTER_AREA)
    canvas[1080 - 292 :, 910:1910] = cv2.resize(walker[477:994], (1000, 292), interpolation=cv2.INTER_AREA)
    return canvas


def make_clip(kind: str, seconds: float, fps: int, out: Path) -> Path:
    """Write the ``kind`` clip (see the module docstring) to ``out``, unless a previous run already did."""
    if out.is_file():
        return out
    import av
    import cv2

    source = _demo_frames(SOURCE_FRAMES[kind])
    if kind == "people":
        source = [_side_by_side(source[i], source[i + PEOPLE_WALKER_OFFSET]) for i in range(PEOPLE_FRAMES)]
    back_and_forth = list(range(len(source))) + list(range(len(source) - 2, 0, -1))
    repeat = max(1, round(fps / 30))
    count = round(seconds * fps)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.mp4")
    container = av.open(str(partial), "w")
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    stream = container.add_stream(codec, rate=fps)
    stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
    stream.bit_rate = BIT_RATE
    if codec == "libx264":
        stream.options = {"preset": "veryfast", "x264-params": f"keyint={fps}:bframes=0"}
    left, right = VERTICAL_WINDOW_X
    for index in range(count):
        image = source[back_and_forth[(index // repeat) % len(back_and_forth)]]
        if kind == "vertical":
            upright = cv2.resize(image[:, left:right], (1080, 1920), interpolation=cv2.INTER_CUBIC)
            stored = cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE)  # the phone's sensor is landscape
        elif kind == "people":
            stored = image  # already 1920×1080
        else:
            stored = cv2.resize(image, (1920, 1080), interpolation=cv2.INTER_CUBIC)
        for packet in stream.encode(av.VideoFrame.from_ndarray(stored, format="bgr24")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    if kind == "vertical":
        _tag_rotate_90(partial)
    partial.replace(out)
    return out


# --- the two paths ----------------------------------------------------------------------------------------------------


class _TimedFrames:
    """An iterator that adds up the time spent fetching each item (the decoder's time, in its own thread)."""

    def __init__(self, frames: Iterator[Any]) -> None:
        self.frames = frames
        self.seconds = 0.0

    def __iter__(self) -> _TimedFrames:
        return self

    def __next__(self) -> Any:
        tick = time.perf_counter()
        try:
            return next(self.frames)
        finally:
            self.seconds += time.perf_counter() - tick

    def close(self) -> None:
        close = getattr(self.frames, "close", None)
        if close is not None:
            close()


def run_baseline(clip: Path, model: str) -> dict[str, Any]:
    """``estimate_video(clip, track=False)``, written out so the decoder's time can be measured."""
    from gluteguard.gait.pose import get_backend, video

    load = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    estimator = get_backend("blazepose", model=model)
    info = video.probe(clip)
    decoded = _TimedFrames(video.iter_frames(clip, info=info))
    series = estimator.estimate(
        video.prefetch(decoded),
        fps=info.fps,
        frame_size=(info.width, info.height),
        total_frames=info.frames_to_read(),
        source=str(clip),
    )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    pose = series.meta["pose_seconds"]
    rest = series.meta["total_seconds"] - pose
    return _figures(series, info, wall, cpu, decoded.seconds, pose, rest, load)


def run_ours(clip: Path, model: str, workers: int | None = None, search: bool = True) -> dict[str, Any]:
    """``estimate_video(clip)``; ``search=False``: the tracked path alone, as before the people search."""
    from gluteguard.gait.pose import estimate_video, get_backend, video
    from gluteguard.gait.pose.tracked import estimate_tracked

    load = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    if search:
        series = estimate_video(clip, model=model, workers=workers)
    else:
        estimator = get_backend("blazepose", model=model)
        series = estimate_tracked(estimator, clip, video.probe(clip), workers=workers, source=str(clip))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    meta = series.meta
    pose = meta["pose_seconds"]
    rest = sum(meta["tracking"]["worker_seconds"]) - pose
    figures = _figures(series, video.probe(clip), wall, cpu, meta["decode_seconds"], pose, rest, load)
    figures["tracking"] = meta["tracking"]
    people = meta.get("people_in_view")
    if people is not None:
        figures["people_s"] = people["seconds"]
        figures["people"] = {key: people[key] for key in ("people_seen", "found_per_frame", "looks", "pick",
                                                          "seed_frame")}  # fmt: skip
    return figures


def _figures(series: Any, info: Any, wall: float, cpu: float, decode: float, pose: float, rest: float,
             load: float) -> dict[str, Any]:  # fmt: skip
    clip_s = series.frames / info.fps
    return {
        "frames": series.frames,
        "clip_s": round(clip_s, 3),
        "wall_s": round(wall, 3),
        "decode_s": round(decode, 3),
        "pose_s": round(pose, 3),
        "rest_s": round(rest, 3),
        "cpu_s": round(cpu, 3),
        "ratio": round(wall / clip_s, 3),
        "fps": round(series.frames / wall, 1),
        "frames_with_person": series.meta["frames_with_person"],
        "load_before": round(load, 2),
        "_series": series,
    }


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median wall time (its own figures, so they add up), with every run's wall time."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["wall_s_runs"] = [r["wall_s"] for r in runs]
    return chosen


def _line(name: str, figures: dict[str, Any]) -> str:
    people = figures.get("people")
    search = (
        ""
        if people is None
        else (
            f"; people search {figures['people_s']} s (saw {people['people_seen']}, picked"
            f" {'—' if people['pick'] is None else people['pick']['picked']})"
        )
    )
    split = figures.get("tracking", {})
    seam = f"; seam {split['seam_frame']}" if split.get("workers", 1) > 1 else ""
    return (
        f"  {name:<9} {figures['frames']} frames ({figures['clip_s']} s) in {figures['wall_s']} s wall"
        f" = {figures['fps']} frames/s, ratio {figures['ratio']}; decode {figures['decode_s']} s, pose"
        f" {figures['pose_s']} s, rest {figures['rest_s']} s, CPU {figures['cpu_s']} s; person in"
        f" {figures['frames_with_person']} frames{search}{seam}; load before {figures['load_before']}"
    )


def metrics_stage(series: Any, repeat: int) -> dict[str, Any]:
    from gluteguard.gait.view import detect_view

    view, view_confidence = detect_view(series)
    try:
        from gluteguard.gait.analysis import analyze
    except ImportError as error:
        return {"error": f"gluteguard.gait.analysis.analyze not importable: {error}", "view": view}
    timings = []
    try:
        analyze(series, view)  # warm-up: first-call imports and rule loading are not the steady cost
        for _ in range(repeat):
            started = time.perf_counter()
            analyze(series, view)
            timings.append(time.perf_counter() - started)
    except Exception as error:  # report, do not hide: the metrics stage is another module's
        return {"error": f"{type(error).__name__}: {error}", "view": view}
    median = round(statistics.median(timings), 4)
    return {"view": view, "view_confidence": round(view_confidence, 3), "median_s": median, "repeat": repeat}


def _skip(reason: str) -> int:
    print(f"skipped: {reason}")
    print(json.dumps({"skipped": True, "reason": reason}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path, action="append", help="a clip of your own instead of the made ones")
    parser.add_argument("--kinds", default="vertical,horizontal", help="which clips to make and time")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=int, default=60)
    parser.add_argument("--model", default="lite")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each path per clip (median kept)")
    parser.add_argument("--also-one-worker", action="store_true", help="also time ours with one graph")
    parser.add_argument(
        "--also-without-search", action="store_true", help="also time ours without the people search (as before it)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="do not time the whole-frame path")
    parser.add_argument("--strict", action="store_true", help="exit 2 when the target is missed")
    args = parser.parse_args()

    missing = [name for name in ("cv2", "mediapipe", "av") if importlib.util.find_spec(name) is None]
    if missing:
        return _skip(f"video extra not installed (missing {', '.join(missing)}): pip install 'gluteguard[video]'")
    if args.clip:
        clips = {path.name: path for path in args.clip}
    else:
        if not DEMO_CLIP.is_file():
            return _skip(f"demo clip not found at {DEMO_CLIP}")
        clips = {}
        for kind in [k.strip() for k in args.kinds.split(",") if k.strip()]:
            out = CLIP_CACHE / f"{kind}-{args.seconds:g}s-{args.fps}fps-v2.mp4"
            made = not out.is_file()
            started = time.perf_counter()
            clips[kind] = make_clip(kind, args.seconds, args.fps, out)
            how = f"made in {time.perf_counter() - started:.1f} s" if made else "made by an earlier run"
            print(f"clip {kind}: {out} ({how})")

    results: dict[str, dict[str, Any]] = {}
    for name, path in clips.items():
        print(f"{name}: {path.name}")
        runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "ours": [], "no_search": [], "one_worker": []}
        for _ in range(max(1, args.repeat)):
            if not args.no_baseline:
                runs["baseline"].append(run_baseline(path, args.model))
                print(_line("baseline", runs["baseline"][-1]))
            if args.also_without_search:
                runs["no_search"].append(run_ours(path, args.model, search=False))
                print(_line("no search", runs["no_search"][-1]))
            runs["ours"].append(run_ours(path, args.model))
            print(_line("ours", runs["ours"][-1]))
            if args.also_one_worker:
                runs["one_worker"].append(run_ours(path, args.model, workers=1))
                print(_line("1 worker", runs["one_worker"][-1]))
        entry = {key: _median_run(value) for key, value in runs.items() if value}
        entry["speedup"] = None
        if "baseline" in entry:
            entry["speedup"] = round(entry["baseline"]["wall_s"] / entry["ours"]["wall_s"], 2)
            print(f"  speed-up {entry['speedup']}× (baseline wall / ours wall)")
        if "no_search" in entry:
            cost = round(entry["ours"]["wall_s"] - entry["no_search"]["wall_s"], 3)
            print(f"  people search: ours {entry['ours']['wall_s']} s against {entry['no_search']['wall_s']} s without"
                  f" it (medians), {cost:+} s")  # fmt: skip
        results[name] = entry

    first = next(iter(results.values()))
    metrics = metrics_stage(first["ours"]["_series"], max(3, args.repeat))
    for entry in results.values():
        for figures in entry.values():
            if isinstance(figures, dict):
                figures.pop("_series", None)
    ours = first["ours"]
    summary = {
        "clip": next(iter(results)),
        "model": args.model,
        "ours": OURS_NAME,
        **{key: ours[key] for key in ("decode_s", "pose_s", "rest_s", "wall_s", "clip_s", "ratio", "fps", "cpu_s")},
        "baseline": {"name": BASELINE_NAME, **first["baseline"]} if "baseline" in first else None,
        "speedup": first["speedup"],
        "target": {"ratio_max": TARGET_RATIO},
        "target_met": ours["ratio"] <= TARGET_RATIO,
        "clips": results,
        "metrics": metrics,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    print(json.dumps(summary))
    return 2 if args.strict and not summary["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
