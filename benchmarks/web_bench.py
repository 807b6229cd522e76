"""Web benchmark: latency of the Today and Load pages and their JSON API with ten years of history.

Usage::

    .venv/bin/python benchmarks/web_bench.py [--years 10] [--requests 40] [--profile URL] [--strict]

After the steady-state figures, the first request of the Today API, the plan (page and API) and the load API
right after a check-in is saved (a write re-decides the days from it on) is timed too (``after_write``).

A SQLite file gets ten years of deterministic activities (the load benchmark's session generator: ~500 a year,
runs, walks, rides, gaps) inserted in bulk, and a check-in every day (pain answers that drift, so the symptom
engine has real history). Each URL is requested ``--requests`` times through the ASGI test client, in process,
after warm-up requests; p50 and p95 are reported in ms. The named baseline, in the same run: the same requests on a
one-year history (``ratio`` = 10-year p95 / 1-year p95: how latency grows with history). Pages that do not exist
yet answer 404; they are still timed and flagged (``"missing_pages"``) so a rerun picks them up.

The last line printed is one JSON object. Target: p95 ≤ 100 ms per URL; ``--strict`` exits 2 when missed.
``--profile URL`` prints a cProfile of that URL on the ten-year database.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gluteguard.services.athletes import ensure_athlete, update_profile
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, CheckInRow
from load_bench import LAST_DAY, build_sessions

TARGET_P95_MS = 100.0
URLS = {
    "today_page": "/",
    "load_page": "/load",
    "today_api": "/api/v1/today?date={day}",
    "load_api": "/api/v1/load?date={day}",
    "load_history_api": "/api/v1/load/history?date={day}&weeks=16",
    "plan_page": "/plan?week_of={day}",
    "plan_api": "/api/v1/plan?week_of={day}",
    "status_api": "/api/v1/status?date={day}",
}
# After a write (a new check-in re-decides every day from it on), the first request of each of these.
AFTER_WRITE = ("today_api", "plan_api", "plan_page", "load_api")
PROFILE = {"timezone": "Europe/Berlin", "running_days": "tue,thu,sat,sun", "long_run_day": "sun",
           "max_hr": 188, "resting_hr": 54, "sex": "female"}  # fmt: skip


def build_database(path: Path, years: int, seed: int) -> tuple[str, int, int]:
    """The SQLite file with ``years`` of activities and daily check-ins; (url, activities, check-ins)."""
    url = f"sqlite:///{path}"
    db = Database(url)
    athlete_id = ensure_athlete(db)
    update_profile(db, athlete_id, PROFILE)
    sessions = build_sessions(years, seed)
    now = datetime.now(UTC)
    rng = random.Random(seed)
    activities = [
        {"athlete_id": athlete_id, "session_index": 0, "start_utc": s.local_start.replace(tzinfo=UTC),
         "end_utc": s.local_start.replace(tzinfo=UTC) + timedelta(seconds=s.duration_s), "utc_offset_s": 0,
         "sport": s.sport, "elapsed_s": s.duration_s, "moving_s": s.duration_s, "distance_m": s.distance_m,
         "ascent_m": s.ascent_m, "avg_hr": 140.0 if s.trimp else None, "n_samples": 0, "created_at": now}
        for s in sessions
    ]  # fmt: skip
    first = sessions[0].local_start.date()
    checkins = []
    pain = 1
    for offset in range((LAST_DAY - first).days + 1):
        day = first + timedelta(days=offset)
        pain = min(max(pain + rng.choice((-1, 0, 0, 0, 1)), 0), 5)
        answers = {"date": day.isoformat(), "pain_at_rest": pain, "pain_next_morning": pain,
                   "sitting_hours": round(rng.uniform(4, 9), 1), "pain_locations": ["lateral_hip"] if pain else [],
                   "red_flags": {}, "screened": offset % 7 == 0}  # fmt: skip
        checkins.append({"athlete_id": athlete_id, "day": day, "answers": answers, "created_at": now,
                         "updated_at": now})  # fmt: skip
    with db.session() as session:
        session.execute(Activity.__table__.insert(), activities)
        session.execute(CheckInRow.__table__.insert(), checkins)
    db.dispose()
    return url, len(activities), len(checkins)


def measure(url: str, requests: int, warmup: int = 3) -> dict[str, dict]:
    from fastapi.testclient import TestClient

    from gluteguard.web.app import create_app

    app = create_app(url)
    figures: dict[str, dict] = {}
    with TestClient(app) as client:
        for name, template in URLS.items():
            path = template.format(day=LAST_DAY.isoformat())
            for _ in range(warmup):
                client.get(path)
            times, status = [], None
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                status = response.status_code
            times.sort()
            figures[name] = {
                "path": path,
                "status": status,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
            }
    app.state.db.dispose()
    return figures


def measure_after_write(url: str, rounds: int) -> dict[str, dict]:
    """The first request of each ``AFTER_WRITE`` URL right after a check-in is saved (``rounds`` times)."""
    from fastapi.testclient import TestClient

    from gluteguard.services.checkins import save_checkin
    from gluteguard.web.app import create_app

    app = create_app(url)
    writer = Database(url)
    times: dict[str, list[float]] = {name: [] for name in AFTER_WRITE}
    with TestClient(app) as client:
        for name in AFTER_WRITE:  # warm: the caches hold the decisions before the first write
            client.get(URLS[name].format(day=LAST_DAY.isoformat()))
        for round_ in range(rounds):
            for name in AFTER_WRITE:
                # each URL gets its own write, so each is timed as the very first request after one
                save_checkin(writer, 1, {"date": LAST_DAY.isoformat(), "pain_at_rest": round_ % 4})
                started = time.perf_counter()
                client.get(URLS[name].format(day=LAST_DAY.isoformat()))
                times[name].append((time.perf_counter() - started) * 1000)
    writer.dispose()
    app.state.db.dispose()
    figures = {}
    for name, values in times.items():
        values.sort()
        figures[name] = {"p50_ms": round(statistics.median(values), 1),
                         "p95_ms": round(values[min(len(values) - 1, round(0.95 * (len(values) - 1)))], 1)}  # fmt: skip
    return figures


def profile(url: str, path: str, calls: int = 5) -> str:
    from fastapi.testclient import TestClient

    from gluteguard.web.app import create_app

    app = create_app(url)
    with TestClient(app) as client:
        client.get(path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            client.get(path)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--profile", metavar="URL", help="cProfile this path on the long history")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix="gluteguard-web-bench-") as folder:
        started = time.perf_counter()
        long_url, n_activities, n_checkins = build_database(Path(folder) / "long.sqlite", args.years, args.seed)
        short_url, short_activities, _ = build_database(Path(folder) / "short.sqlite", 1, args.seed)
        print(f"databases: {args.years} years = {n_activities} activities + {n_checkins} check-ins; "
              f"1 year = {short_activities} activities ({time.perf_counter() - started:.1f} s)")  # fmt: skip
        if args.profile:
            print(profile(long_url, args.profile))
        long = measure(long_url, args.requests)
        short = measure(short_url, args.requests)
        long_after = measure_after_write(long_url, max(args.requests // 4, 5))
        short_after = measure_after_write(short_url, max(args.requests // 4, 5))
    print(f"{'url':<20} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'1-year p95':>11} {'ratio':>6}")
    result: dict = {"years": args.years, "activities": n_activities, "checkins": n_checkins,
                    "requests": args.requests, "target_p95_ms": TARGET_P95_MS, "urls": {}}  # fmt: skip
    for name, figure in long.items():
        base = short[name]
        ratio = round(figure["p95_ms"] / base["p95_ms"], 2) if base["p95_ms"] else None
        result["urls"][name] = {**figure, "baseline_1y_p50_ms": base["p50_ms"], "baseline_1y_p95_ms": base["p95_ms"],
                                "ratio_p95_vs_1y": ratio}  # fmt: skip
        print(f"{name:<20} {figure['status']:>6} {figure['p50_ms']:>8} {figure['p95_ms']:>8} {base['p95_ms']:>11} "
              f"{ratio!s:>6}")  # fmt: skip
    result["after_write"] = {}
    print(f"{'first after a write':<20} {'':>6} {'p50 ms':>8} {'p95 ms':>8} {'1-year p95':>11} {'ratio':>6}")
    for name, figure in long_after.items():
        base = short_after[name]
        ratio = round(figure["p95_ms"] / base["p95_ms"], 2) if base["p95_ms"] else None
        result["after_write"][name] = {**figure, "baseline_1y_p95_ms": base["p95_ms"], "ratio_p95_vs_1y": ratio}
        print(f"{name:<20} {'':>6} {figure['p50_ms']:>8} {figure['p95_ms']:>8} {base['p95_ms']:>11} {ratio!s:>6}")
    result["missing_pages"] = [n for n, f in long.items() if f["status"] == 404]
    measured = [f for f in long.values() if f["status"] == 200]
    result["worst_p95_ms"] = max((f["p95_ms"] for f in measured), default=None)
    result["target_met"] = all(f["p95_ms"] <= TARGET_P95_MS for f in measured) and bool(measured)
    print(json.dumps(result))
    return 2 if args.strict and not result["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
