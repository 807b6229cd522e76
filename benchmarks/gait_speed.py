"""Stride-analysis speed: the pose stage (video → keypoints) and the metrics stage (keypoints → findings).

Usage::

    .venv/bin/python benchmarks/gait_speed.py [--clip PATH] [--min-seconds 10] [--models lite,full] [--strict]

What it measures, on a 2-core laptop without GPU:

* **pose stage**, per BlazePose model: decoding + colour conversion + pose inference over the shared demo clip
  (shared/data/video/sports2d_demo.mp4, 1768×994, 30 fps, 7.7 s), played back to back until at least
  ``--min-seconds`` of video have gone through (the graph re-detects the person at each loop seam, as it would
  after a cut). Figures: frames/s end to end, frames/s of the inference calls alone, and the real-time factor
  (frames/s ÷ clip fps). Decoding runs one thread ahead of inference (``video.prefetch``, as
  ``estimate_video`` does; ``--no-prefetch`` turns it off). The first model is ours (``lite``); the second
  (``full``, MediaPipe's default) is the named baseline, timed in the same run; ``ratio`` = lite fps / full fps.
* **metrics stage**: ``gluteguard.gait.analysis.analyze(series, view)`` on the lite series, view from
  ``gait.view.detect_view``; its baseline is the pose stage that produced the series, and ``metrics_share`` =
  metrics time / pose time. Median of ``--repeat`` calls.

Targets: lite pose stage ≥ real time for a 30 fps clip; metrics stage < 5 % of the pose stage. The last line is
one JSON object; ``--strict`` exits 2 when a target is missed. Without the ``video`` extra the script says so
and exits 0 with ``{"skipped": true, ...}`` as its last line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIP = REPO.parent / "shared" / "data" / "video" / "sports2d_demo.mp4"
TARGET_REALTIME_FACTOR = 1.0  # lite must keep up with the clip's own frame rate
TARGET_METRICS_SHARE = 0.05


def looped_frames(clip: Path, min_seconds: float) -> tuple[Iterator[Any], int, float]:
    """Frames of ``clip`` played back to back until ``min_seconds``; (iterator, frame total, fps)."""
    from gluteguard.gait.pose.video import Frame, iter_frames, probe

    info = probe(clip)
    frames_per_loop = info.frame_count or 0
    if frames_per_loop == 0:
        raise SystemExit(f"{clip.name}: frame count unknown, cannot loop it")
    loop_s = frames_per_loop / info.fps
    loops = max(1, math.ceil(min_seconds / loop_s))

    def generate() -> Iterator[Frame]:
        for loop in range(loops):
            for frame in iter_frames(clip, info=info):
                yield Frame(frame.index + loop * frames_per_loop, frame.time_s + loop * loop_s, frame.image)

    return generate(), loops * frames_per_loop, info.fps


def pose_stage(clip: Path, model: str, min_seconds: float, prefetch: bool) -> tuple[dict[str, Any], Any]:
    from gluteguard.gait.pose import get_backend, video

    info = video.probe(clip)
    estimator = get_backend("blazepose", model=model)
    frames, total, fps = looped_frames(clip, min_seconds)
    if prefetch:
        frames = video.prefetch(frames)
    started = time.perf_counter()
    cpu_started = time.process_time()
    series = estimator.estimate(frames, fps=fps, frame_size=(info.width, info.height), total_frames=total)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    figures = {
        "frames": series.frames,
        "video_s": round(series.frames / fps, 2),
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "fps": round(series.frames / wall, 2),
        "inference_fps": round(series.frames / series.meta["pose_seconds"], 2),
        "realtime_factor": round(series.frames / wall / fps, 2),
        "frames_with_person": series.meta["frames_with_person"],
    }
    return figures, series


def metrics_stage(series: Any, repeat: int) -> dict[str, Any]:
    from gluteguard.gait.view import detect_view

    view, view_confidence = detect_view(series)
    try:
        from gluteguard.gait.analysis import analyze
    except ImportError as error:
        return {"error": f"gluteguard.gait.analysis.analyze not importable: {error}", "view": view}
    timings = []
    result = None
    try:
        analyze(series, view)  # warm-up: first-call imports and rule loading are not the steady cost
        for _ in range(repeat):
            started = time.perf_counter()
            result = analyze(series, view)
            timings.append(time.perf_counter() - started)
    except Exception as error:  # report, do not hide: the metrics stage is another module's
        return {"error": f"{type(error).__name__}: {error}", "view": view}
    return {
        "view": view,
        "view_confidence": round(view_confidence, 3),
        "median_s": round(statistics.median(timings), 4),
        "repeat": repeat,
        "clean_steps": dict(getattr(result, "steps", {}) or {}),
        "cadence_spm": getattr(result, "cadence_spm", None),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--min-seconds", type=float, default=10.0, help="loop the clip to at least this much video")
    parser.add_argument("--models", default="lite,full", help="ours first, then the baseline")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls of the metrics stage")
    parser.add_argument("--no-prefetch", action="store_true", help="decode in the main thread (as before prefetch)")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    args = parser.parse_args()

    missing = [name for name in ("cv2", "mediapipe") if importlib.util.find_spec(name) is None]
    if missing:
        reason = f"video extra not installed (missing {', '.join(missing)}): pip install 'gluteguard[video]'"
        print(f"skipped: {reason}")
        print(json.dumps({"skipped": True, "reason": reason}))
        return 0
    if not args.clip.is_file():
        reason = f"clip not found at {args.clip}"
        print(f"skipped: {reason}")
        print(json.dumps({"skipped": True, "reason": reason}))
        return 0

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    pose: dict[str, dict[str, Any]] = {}
    ours_series = None
    for model in models:
        figures, series = pose_stage(args.clip, model, args.min_seconds, prefetch=not args.no_prefetch)
        pose[model] = figures
        if ours_series is None:
            ours_series = series
        print(
            f"pose {model:>5}: {figures['frames']} frames ({figures['video_s']} s of video) in {figures['wall_s']} s"
            f" = {figures['fps']} fps end to end, {figures['inference_fps']} fps inference only,"
            f" {figures['realtime_factor']}× real time; person in {figures['frames_with_person']} frames"
        )
    ours, baseline = models[0], (models[1] if len(models) > 1 else None)

    metrics = metrics_stage(ours_series, args.repeat)
    if "median_s" in metrics:
        metrics["share_of_pose"] = round(metrics["median_s"] / pose[ours]["wall_s"], 5)
        print(
            f"metrics ({metrics['view']} view): {metrics['median_s'] * 1000:.1f} ms median of {args.repeat}"
            f" = {metrics['share_of_pose'] * 100:.2f} % of the {ours} pose stage"
        )
    else:
        print(f"metrics: {metrics['error']}")

    met = {"pose_realtime": pose[ours]["realtime_factor"] >= TARGET_REALTIME_FACTOR}
    if "share_of_pose" in metrics:
        met["metrics_share"] = metrics["share_of_pose"] < TARGET_METRICS_SHARE
    summary = {
        "clip": args.clip.name,
        "ours": ours,
        "baseline": baseline,
        "pose": pose,
        "ratio": round(pose[ours]["fps"] / pose[baseline]["fps"], 3) if baseline else None,
        "ratio_is": f"{ours} fps / {baseline} fps (end to end)" if baseline else None,
        "metrics": metrics,
        "metrics_share_of_pose": metrics.get("share_of_pose"),
        "targets": {"pose_realtime_factor": TARGET_REALTIME_FACTOR, "metrics_share": TARGET_METRICS_SHARE},
        "targets_met": met,
        "all_targets_met": all(met.values()) and "share_of_pose" in metrics,
        "prefetch": not args.no_prefetch,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    print(json.dumps(summary))
    return 2 if args.strict and not summary["all_targets_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
