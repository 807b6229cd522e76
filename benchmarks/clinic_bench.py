"""A clinic's server at scale (issue 17): many athletes × years of history in PostgreSQL, timed through the web app as
a physio and an athlete use it, against the same pages for one athlete with the same history (the baseline,
measured in the same run).

Usage (a PostgreSQL server is needed; ``scripts/with-postgres.sh`` starts a throwaway one)::

    scripts/with-postgres.sh .venv/bin/python benchmarks/clinic_bench.py [--athletes 500] [--years 3]
        [--requests 20] [--jobs 200] [--keep]

**The data** is written straight into the tables with bulk inserts (not through the importer: 270,000 runs would
take hours that way and the importer has its own benchmark): each athlete runs three or four days a week for
``--years`` (4–14 km, a heart-rate histogram per run, so TRIMP is real), checks in on most run days (some with
lateral hip pain, a few with a warning sign), and has an athlete account; one physio is linked to all of them.

**Timed** (``--requests`` requests each, after one warm-up; the p50 and p95 of the wall time per request):

* ``roster``: the physio's ``GET /roster`` (every linked athlete's day, ranked by need); target p95 ≤ 200 ms;
* ``today``: the physio opening an athlete's Today, ``GET /?athlete=ID`` (a different athlete each time); target
  p95 ≤ 100 ms;
* ``baseline``: the same two pages on a second database holding one athlete with the same history.

**Workers** (``--jobs`` of each kind, 0 to skip): on the many-athlete database, ``--jobs`` stride jobs (a 12 s
rear-view keypoint file each, analysed and saved) and ``--jobs`` imports (one of the built-in sample runner's FIT
files each, a different athlete each time) are queued through the server's own ``QueueRunner``; then 1, and in a
second round 2, ``gluteguard worker`` processes (one job at a time each, as the deploy units run them) are started and
timed from their start until every job has ended. Figures per round: wall seconds, jobs per second in all and per
worker, failed jobs; and the scaling from 1 to 2 workers (jobs/s with 2 ÷ jobs/s with 1; 2.0 would be perfect,
the machine's cores bound it).

The last line is one JSON object: the figures, the targets, whether they were met, the ratio of each page's p95 at
scale to its p95 for one athlete, and the workers' throughput and scaling.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from gluteguard.store.db import Database  # noqa: E402
from gluteguard.store.models import (  # noqa: E402
    Activity,
    Athlete,
    BackgroundJobRow,
    CareLinkRow,
    CheckInRow,
    UserRow,
)

PASSWORD = "bench-password-1"
TARGETS_MS = {"roster": 200.0, "today": 100.0}
END = date(2026, 12, 4)


def _hr_histogram(minutes: float, rng: random.Random) -> bytes:
    """Seconds at each whole bpm (uint32[251], zlib'd), as the importer stores it: an easy run around 140–155."""
    centre = rng.uniform(138, 156)
    bpm = np.clip(np.round(np.random.default_rng(rng.randrange(1 << 30)).normal(centre, 6, int(minutes * 60))), 0, 250)
    counts = np.bincount(bpm.astype(int), minlength=251).astype("<u4")
    return zlib.compress(counts.tobytes())


def _history(athlete_id: int, years: int, rng: random.Random) -> tuple[list[dict], list[dict]]:
    runs, checkins = [], []
    now = datetime.now(UTC)
    days = [END - timedelta(days=k) for k in range(years * 365, -1, -1)]
    run_days = set(rng.sample(range(7), rng.choice((3, 4))))
    sore_from = END - timedelta(days=rng.randrange(0, 60)) if rng.random() < 0.2 else None
    for day in days:
        if day.weekday() in run_days and rng.random() < 0.9:
            km = rng.uniform(4, 14)
            minutes = km * rng.uniform(5.2, 6.5)
            start = datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC) + timedelta(minutes=rng.randrange(600))
            runs.append({
                "athlete_id": athlete_id, "source_file_id": None, "session_index": 0, "start_utc": start,
                "end_utc": start + timedelta(minutes=minutes), "utc_offset_s": 3600, "sport": "run",
                "sub_sport": None, "name": "Run", "elapsed_s": minutes * 60, "moving_s": minutes * 58,
                "distance_m": km * 1000, "ascent_m": km * 8, "avg_hr": 146.0, "max_hr": 171.0,
                "avg_cadence_spm": 166.0, "device": "bench", "n_samples": 0,
                "hr_histogram": _hr_histogram(minutes, rng), "created_at": now,
            })  # fmt: skip
            if rng.random() < 0.8:
                sore = sore_from is not None and day >= sore_from
                answers = {"pain_during_run": rng.choice((3, 4, 5)) if sore else 0,
                           "pain_after_run": rng.choice((2, 3, 4)) if sore else 0, "pain_next_morning": 0}  # fmt: skip
                if sore:
                    answers["pain_locations"] = ["lateral_hip"]
                checkins.append({"athlete_id": athlete_id, "day": day, "answers": _checkin_answers(day, answers),
                                 "created_at": now, "updated_at": now, "flags_raised_at": None})  # fmt: skip
    return runs, checkins


def _checkin_answers(day: date, answers: dict) -> dict:
    from gluteguard.symptoms.model import parse_checkin

    return parse_checkin({"date": day.isoformat(), **answers}).as_dict()


def populate(url: str, athletes: int, years: int, seed: int = 7) -> dict:
    """Athletes, their accounts and history, and one physio linked to all of them; returns what the timing needs."""
    from gluteguard.services.accounts import _hasher

    database = Database(url)  # creates the schema
    database.dispose()
    engine = create_engine(url)
    rng = random.Random(seed)
    password_hash = _hasher().hash(PASSWORD)  # one hash for every account: hashing 500 would only time Argon2
    now = datetime.now(UTC)
    started = time.perf_counter()
    ids: list[int] = []
    with engine.begin() as connection:
        physio = connection.execute(insert(UserRow).returning(UserRow.id), [{
            "username": "physio", "display_name": "Cleo Physio", "role": "clinician", "password_hash": password_hash,
            "athlete_id": None, "session_epoch": 0, "created_at": now}]).scalar_one()  # fmt: skip
        for number in range(athletes):
            athlete_id = connection.execute(insert(Athlete).returning(Athlete.id), [{
                "name": f"Athlete {number:03d}", "timezone": "Europe/Berlin", "created_at": now, "updated_at": now,
                "max_hr": 188, "resting_hr": 52, "running_days": ["tue", "thu", "sat", "sun"], "long_run_day": "sun",
                "units": "km", "work_days": [], "equipment": []}]
            ).scalar_one()  # fmt: skip
            ids.append(athlete_id)
            connection.execute(insert(UserRow), [{
                "username": f"athlete{number:03d}", "display_name": f"Athlete {number:03d}", "role": "athlete",
                "password_hash": password_hash, "athlete_id": athlete_id, "session_epoch": 0, "created_at": now}])
            connection.execute(insert(CareLinkRow), [{"clinician_id": physio, "athlete_id": athlete_id,
                                                      "created_at": now - timedelta(days=30)}])  # fmt: skip
            runs, checkins = _history(athlete_id, years, rng)
            if runs:
                connection.execute(insert(Activity), runs)
            if checkins:
                connection.execute(insert(CheckInRow), checkins)
    # What autovacuum does on a server that has been running: statistics and the visibility map (the latter lets
    # PostgreSQL answer per-athlete counts from an index alone).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return {"athlete_ids": ids, "seconds": round(time.perf_counter() - started, 1)}


def _client(url: str, username: str):  # type: ignore[no-untyped-def]
    import re

    from fastapi.testclient import TestClient

    from gluteguard.web.app import create_app

    app = create_app(url, allowed_hosts=("testserver",), multi_user=True)
    client = TestClient(app)
    client.__enter__()
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                         follow_redirects=False)  # fmt: skip
    if answer.status_code not in (302, 303):
        raise SystemExit(f"login as {username} failed: {answer.status_code} {answer.text[:200]}")
    return client, app


def _timed(call: Callable[[int], object], requests: int) -> dict:
    call(0)  # warm-up: the first request imports and primes what every later one reuses
    times = []
    for number in range(requests):
        started = time.perf_counter()
        call(number)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"n": requests, "p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1),
            "max_ms": round(times[-1], 1)}  # fmt: skip


def time_pages(url: str, athlete_ids: list[int], requests: int) -> dict:
    client, app = _client(url, "physio")
    try:
        def roster(_n: int) -> None:
            answer = client.get("/roster")
            assert answer.status_code == 200, answer.status_code

        def today(n: int) -> None:
            answer = client.get("/", params={"athlete": athlete_ids[n % len(athlete_ids)]})
            assert answer.status_code == 200, answer.status_code

        return {"roster": _timed(roster, requests), "today": _timed(today, requests)}
    finally:
        client.__exit__(None, None, None)
        app.state.db.dispose()


def _fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"gg_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def _drop(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _job_files(folder: Path) -> tuple[Path, list[Path]]:
    """A rear-view keypoint file (12 s of running) and the sample runner's FIT files."""
    from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text
    from gluteguard.samples.gait_synth import synthetic_run
    from gluteguard.samples.runner import write_sample_runner

    clip = folder / "rear.csv"
    series = synthetic_run(view="rear", seconds=12.0, pelvic_drop_deg=(4.0, 7.5), noise_px=0.5, seed=3)
    clip.write_text(keypoints_csv_text(series), encoding="utf-8")
    return clip, write_sample_runner(folder / "runs", END)


def _worker(url: str, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", "from gluteguard.cli.app import main; main()", "--db", url, "worker",
               "--retry-wait", "0", "--name", log.stem]  # fmt: skip
    env = {**os.environ, "TMPDIR": str(log.parent)}  # a worker unpacks each job's files under its own folder
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)


def time_workers(url: str, athlete_ids: list[int], jobs: int, workers: int, folder: Path) -> dict:
    """Queue ``jobs`` stride and ``jobs`` import jobs, start ``workers`` worker processes, and time them until every
    job has ended."""
    from gluteguard.services.job_queue import QueueRunner
    from gluteguard.services.job_work import stride_params
    from gluteguard.services.jobs import JobFile, JobKind, JobRequest

    clip, runs = _job_files(folder)
    db = Database(url)
    runner = QueueRunner(db)
    queued: list[tuple[str, int]] = []
    try:
        started = time.perf_counter()
        for n in range(jobs):
            athlete = athlete_ids[n % len(athlete_ids)]
            stride = JobRequest(JobKind.STRIDE, athlete, f"rear-{n}.csv", stride_params(view="rear", save=True),
                                (JobFile(clip, f"rear-{n}.csv"),))  # fmt: skip
            queued.append((runner.submit(stride).id, athlete))
            run = runs[n % len(runs)]
            imported = JobRequest(JobKind.IMPORT, athlete, run.name, files=(JobFile(run, run.name),))
            queued.append((runner.submit(imported).id, athlete))
        queue_s = time.perf_counter() - started
        processes = [_worker(url, folder / f"worker-{workers}-{n}.log") for n in range(workers)]
        started = time.perf_counter()
        ids = [job_id for job_id, _ in queued]
        try:
            while True:  # one small query twice a second: the timing must not take the workers' CPU
                with db.session() as session:
                    ended = session.scalar(select(func.count()).where(BackgroundJobRow.id.in_(ids),
                                                                      BackgroundJobRow.status.in_(("done", "failed"))))
                if ended == len(ids):
                    break
                if time.perf_counter() - started > 3600:
                    raise RuntimeError("the jobs did not end within an hour")
                time.sleep(0.5)
            wall = time.perf_counter() - started
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        with db.session() as session:
            ends = session.execute(select(BackgroundJobRow.kind, BackgroundJobRow.status, func.count())
                                   .where(BackgroundJobRow.id.in_(ids))
                                   .group_by(BackgroundJobRow.kind, BackgroundJobRow.status)).all()  # fmt: skip
    finally:
        runner.close()
        db.dispose()
    failed = sum(count for _kind, status, count in ends if status != "done")
    per_kind = {kind: count for kind, status, count in ends if status == "done"}
    return {
        "workers": workers,
        "jobs": len(queued),
        "done": per_kind,
        "failed": failed,
        "queue_s": round(queue_s, 2),
        "wall_s": round(wall, 2),
        "jobs_per_s": round(len(queued) / wall, 2),
        "jobs_per_s_per_worker": round(len(queued) / wall / workers, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=500)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=200, help="stride and import jobs each for the workers (0: skip)")
    parser.add_argument("--keep", action="store_true", help="keep the databases (their URLs are printed)")
    args = parser.parse_args()
    admin = os.environ.get("GLUTEGUARD_TEST_PG_URL")
    if not admin:
        print(json.dumps({"skipped": True, "reason": "needs PostgreSQL: run under scripts/with-postgres.sh"}))
        return 0
    made: list[str] = []
    try:
        one_url, one_name = _fresh_database(admin)
        made.append(one_name)
        one = populate(one_url, 1, args.years)
        baseline = time_pages(one_url, one["athlete_ids"], args.requests)
        print(f"baseline, 1 athlete × {args.years} y: {json.dumps(baseline)}", file=sys.stderr)
        many_url, many_name = _fresh_database(admin)
        made.append(many_name)
        many = populate(many_url, args.athletes, args.years)
        print(f"{args.athletes} athletes × {args.years} y written in {many['seconds']} s", file=sys.stderr)
        scale = time_pages(many_url, many["athlete_ids"], args.requests)
        print(f"{args.athletes} athletes: {json.dumps(scale)}", file=sys.stderr)
        rounds = []
        for workers in (1, 2) if args.jobs > 0 else ():
            with tempfile.TemporaryDirectory(prefix="gluteguard-clinic-jobs-") as folder:
                rounds.append(time_workers(many_url, many["athlete_ids"], args.jobs, workers, Path(folder)))
            print(f"{workers} worker(s): {json.dumps(rounds[-1])}", file=sys.stderr)
    finally:
        if not args.keep:
            for name in made:
                _drop(admin, name)
    scaling = round(rounds[1]["jobs_per_s"] / rounds[0]["jobs_per_s"], 2) if len(rounds) == 2 else None
    result = {
        "athletes": args.athletes,
        "years": args.years,
        "baseline": baseline,
        "scale": scale,
        "targets_p95_ms": TARGETS_MS,
        "targets_met": {page: scale[page]["p95_ms"] <= TARGETS_MS[page] for page in TARGETS_MS},
        "ratio_p95_to_one_athlete": {page: round(scale[page]["p95_ms"] / baseline[page]["p95_ms"], 2)
                                     for page in TARGETS_MS},
        "populate_s": many["seconds"],
        "workers": rounds,
        "worker_scaling_1_to_2": scaling,
        "loadavg": list(os.getloadavg()),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
