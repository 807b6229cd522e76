"""A clinic's server at scale (issue 17): many athletes × years of history in PostgreSQL, timed through the web app as
a physio and an athlete use it, against the same pages for one athlete with the same history (the baseline,
measured in the same run).

Usage (a PostgreSQL server is needed; ``scripts/with-postgres.sh`` starts a throwaway one)::

    scripts/with-postgres.sh .venv/bin/python benchmarks/clinic_bench.py [--athletes 500] [--years 3]
        [--requests 20] [--workers-jobs 0]

**The data** is written straight into the tables with bulk inserts (not through the importer: 270,000 runs would
take hours that way and the importer has its own benchmark): each athlete runs three or four days a week for
``--years`` (4–14 km, a heart-rate histogram per run, so TRIMP is real), checks in on most run days (some with
lateral hip pain, a few with a warning sign), and has an athlete account; one physio is linked to all of them.

**Timed** (``--requests`` requests each, after one warm-up; the p50 and p95 of the wall time per request):

* ``roster``: the physio's ``GET /roster`` (every linked athlete's day, ranked by need); target p95 ≤ 200 ms;
* ``today``: the physio opening an athlete's Today, ``GET /?athlete=ID`` (a different athlete each time); target
  p95 ≤ 100 ms;
* ``baseline``: the same two pages on a second database holding one athlete with the same history.

The last line is one JSON object: the figures, the targets, whether they were met, and the ratio of each page's
p95 at scale to its p95 for one athlete.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from gluteguard.store.db import Database  # noqa: E402
from gluteguard.store.models import Activity, Athlete, CareLinkRow, CheckInRow, UserRow  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=500)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
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
    finally:
        if not args.keep:
            for name in made:
                _drop(admin, name)
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
        "loadavg": list(os.getloadavg()),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
