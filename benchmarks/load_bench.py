"""Load-engine benchmark: ten years of daily activities through ``gluteguard.load``.

Usage::

    .venv/bin/python benchmarks/load_bench.py [--years 10] [--repeat 21] [--seed 20261122] [--profile] [--strict]

What it measures (the contract of the load issue, engine only, no database):

* ``full``: everything the engine computes from scratch for a history view — ``daily_series`` over all
  sessions, ``load_state`` for the last day, and ``run_spikes`` over every run;
* ``incremental``: what the engine must redo when ONE new activity arrives and the runner asks for today's
  state. The engine has no incremental path (no cached series or running PMC), so this is honestly a full
  ``daily_series`` + ``load_state`` over all sessions plus the new one, exactly what ``services.load.state_on``
  does after its database read (that read, ``athlete_sessions``, is not timed here);
* the baseline: a straightforward pure-Python per-day loop (lists, no NumPy) that computes the same numbers —
  every run's spike ratio and category, the cap, the 7-day week, PMC, ACWR, monotony and the no-data flag —
  timed in the same run; ``ratio`` = baseline / engine (> 1: the engine is faster).

The sessions are built deterministically from ``--seed`` (runs on most days with Sunday long runs, some
doubles, walks, rides, and a few multi-week gaps that the engine must show as no data). Each figure is the
median of ``--repeat`` timed calls after warm-up calls. The engine's and the baseline's numbers are compared
before timing; any disagreement exits 1. The last line printed is one JSON object; ``--strict`` exits 2 when
a target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from gluteguard.load.metrics import NO_HISTORY, LoadState, RunSpike, load_state, run_spikes
from gluteguard.load.rules import LoadRules, load_rules
from gluteguard.load.series import Session, daily_series

LAST_DAY = date(2026, 11, 22)  # fixed, so the figures never depend on the day the benchmark runs
TARGET_FULL_MS = 100.0
TARGET_INCREMENTAL_MS = 10.0
REL_TOL = 1e-9  # both sides add the same floats in the same order; only the PMC/EWMA order may differ


# --- the sessions --------------------------------------------------------------------------------


def build_sessions(years: int, seed: int) -> list[Session]:
    """About 500 activities a year, sorted by start like ``athlete_sessions`` returns them."""
    rng = random.Random(seed)
    first = LAST_DAY - timedelta(days=round(365.25 * years) - 1)
    sessions: list[Session] = []

    def add(day: date, sport: str, hour: int, distance_m: float, speed_m_s: float) -> None:
        start = datetime(day.year, day.month, day.day, hour, rng.randrange(60))
        trimp = rng.uniform(20.0, 200.0) if rng.random() < 0.7 else None  # not every watch records HR
        rpe = float(rng.randint(2, 8)) if rng.random() < 0.3 else None
        sessions.append(
            Session(
                len(sessions) + 1, start, sport, distance_m, distance_m / speed_m_s, rng.uniform(0, 250), trimp, rpe
            )
        )

    gap_until = first - timedelta(days=1)
    day = first
    while day <= LAST_DAY:
        if day <= gap_until:
            pass  # watch not worn / history missing: must come out as no data, not rest
        elif rng.random() < 0.004:  # about 1.5 gaps a year, 14–45 days each
            gap_until = day + timedelta(days=rng.randint(14, 45))
        else:
            if rng.random() < 0.80:
                long_run = day.weekday() == 6
                add(day, "run", 7, rng.uniform(14_000, 26_000) if long_run else rng.uniform(4_000, 12_000), 3.0)
                if rng.random() < 0.10:  # a double: the spike compares it with the morning run as well
                    add(day, "run", 18, rng.uniform(3_000, 9_000), 3.1)
            if rng.random() < 0.45:
                add(day, "walk", 12, rng.uniform(2_000, 7_000), 1.4)
            if rng.random() < 0.15:
                add(day, "ride", 17, rng.uniform(15_000, 60_000), 7.0)
        day += timedelta(days=1)
    sessions.sort(key=lambda s: s.local_start)
    return sessions


def new_session(sessions: list[Session], rules: LoadRules) -> Session:
    """Tomorrow morning's run, a small spike (1.2 × the 30-day longest), so warnings are exercised too."""
    day = LAST_DAY + timedelta(days=1)
    start = day - timedelta(days=rules.spike_window_days)
    longest = max((s.distance_m for s in sessions if s.is_run and start <= s.local_date < day), default=5_000.0)
    return Session(len(sessions) + 1, datetime(day.year, day.month, day.day, 6, 45), "run", longest * 1.2, 7_200.0)


# --- the engine, as the services call it ----------------------------------------------------------


def engine_full(sessions: list[Session], day: date) -> tuple[LoadState, list[RunSpike]]:
    series = daily_series(sessions, last_day=day)
    return load_state(sessions, series, day), run_spikes(sessions, series)


def engine_state(sessions: list[Session], day: date) -> LoadState:
    """``state_on`` minus its database read: a new series and the state of ``day``."""
    return load_state(sessions, daily_series(sessions, last_day=day), day)


# --- the baseline: one pure-Python loop over the days ---------------------------------------------


def baseline(sessions: list[Session], day: date, rules: LoadRules) -> dict[str, Any]:
    """The same numbers as ``load_state`` + ``run_spikes``, from plain lists and per-day loops."""
    first = min(s.local_start for s in sessions).date()
    n = (day - first).days + 1
    km, longest, runs, active = [0.0] * n, [0.0] * n, [0] * n, [False] * n
    runs_by_day: list[list[Session]] = [[] for _ in range(n)]
    for s in sessions:
        i = (s.local_start.date() - first).days
        if not 0 <= i < n:
            continue
        active[i] = True
        if s.sport == "run":
            km[i] += s.distance_m  # metres for now, divided once below
            runs[i] += 1
            longest[i] = max(longest[i], s.distance_m)
            runs_by_day[i].append(s)
    window = rules.spike_window_days
    spikes: list[tuple[str, int, float, float | None, float | None, str]] = []
    for i in range(n):  # every day, every run of it in start order, against the 30 days before
        earlier_today = 0.0
        for run in sorted(runs_by_day[i], key=lambda s: s.local_start):
            previous = earlier_today
            for j in range(max(i - window, 0), i):
                previous = max(previous, longest[j])
            earlier_today = max(earlier_today, run.distance_m)
            day_iso = (first + timedelta(days=i)).isoformat()
            if i < window or previous <= 0:
                spikes.append((day_iso, run.activity_id, run.distance_m, None, None, NO_HISTORY))
                continue
            ratio = run.distance_m / previous
            name = next(
                (c.name for c in rules.spike_categories if ratio <= c.max_ratio), rules.spike_categories[-1].name
            )
            spikes.append((day_iso, run.activity_id, run.distance_m, previous, ratio, name))
    last = n - 1
    longest_30d = max(longest[max(last - window + 1, 0) : last + 1], default=0.0)
    week = sum(km[max(last - 6, 0) : last + 1])
    previous_week = sum(km[max(last - 13, 0) : max(last - 6, 0)])
    chronic = sum(km[max(last - 27, 0) : max(last - 6, 0)]) / 3.0
    k_ctl, k_atl = 1 - math.exp(-1 / rules.ctl_days), 1 - math.exp(-1 / rules.atl_days)
    w_acute, w_chronic = 2.0 / (rules.acwr_acute_days + 1), 2.0 / (rules.acwr_chronic_days + 1)
    ctl = atl = acute = chron = 0.0
    ctl_hist: list[float] = []
    tsb = 0.0
    for i in range(n):
        load = km[i] / 1000.0
        tsb = ctl - atl  # yesterday's fitness − fatigue, overwritten until the last day
        ctl += (load - ctl) * k_ctl
        atl += (load - atl) * k_atl
        acute = load * w_acute + (1 - w_acute) * acute
        chron = load * w_chronic + (1 - w_chronic) * chron
        ctl_hist.append(ctl)
    last7 = [0.0] * max(rules.monotony_days - n, 0) + [x / 1000.0 for x in km[max(n - rules.monotony_days, 0) :]]
    mean = sum(last7) / len(last7)
    sd = math.sqrt(sum((x - mean) ** 2 for x in last7) / len(last7))
    monotony = None if sum(last7) <= 0 else rules.monotony_max if sd == 0 else min(mean / sd, rules.monotony_max)
    quiet = 0  # days without any activity counted back from the last day (the series ends there)
    while quiet < n and not active[last - quiet]:
        quiet += 1
    return {
        "spikes": spikes,
        "longest_run_30d_m": longest_30d,
        "next_run_cap_m": longest_30d * rules.cap_factor if longest_30d > 0 else None,
        "week": week,
        "previous_week": previous_week,
        "change_pct": (week / previous_week - 1.0) * 100.0 if previous_week > 0 else None,
        "uncoupled_ratio": week / chronic if chronic > 0 else None,
        "week_runs": sum(runs[max(last - 6, 0) : last + 1]),
        "ctl": ctl,
        "atl": atl,
        "tsb": tsb if n > 1 else 0.0,
        "ramp_per_week": ctl - (ctl_hist[-8] if n > 7 else 0.0),
        "acwr": acute / chron if chron > 0 else None,
        "monotony": monotony,
        "no_data": quiet >= rules.no_data_min_gap_days,
    }


# --- agreement -------------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)
    return a == b


def disagreements(state: LoadState, spikes: list[RunSpike], base: dict[str, Any]) -> list[str]:
    ours = {
        "spikes": [
            (s.date, s.activity_id, s.distance_m, s.previous_longest_m, s.spike_ratio, s.spike_category) for s in spikes
        ],
        "longest_run_30d_m": state.longest_run_30d_m,
        "next_run_cap_m": state.next_run_cap_m,
        "week": state.week["distance_m"],
        "previous_week": state.week["previous_week_m"],
        "change_pct": state.week["change_pct"],
        "uncoupled_ratio": state.week["uncoupled_ratio"],
        "week_runs": state.week["runs"],
        "ctl": state.pmc["ctl"],
        "atl": state.pmc["atl"],
        "tsb": state.pmc["tsb"],
        "ramp_per_week": state.pmc["ramp_per_week"],
        "acwr": state.acwr,
        "monotony": state.monotony,
        "no_data": state.no_data,
    }
    found = []
    for key, value in ours.items():
        if key == "spikes":
            if len(value) != len(base[key]):
                found.append(f"spikes: {len(value)} runs vs {len(base[key])} in the baseline")
            bad = [(a, b) for a, b in zip(value, base[key], strict=False) if not all(map(_same, a, b))]
            found += [f"spike {a} vs baseline {b}" for a, b in bad[:5]]
        elif not _same(value, base[key]):
            found.append(f"{key}: engine {value!r} vs baseline {base[key]!r}")
    return found


# --- timing ----------------------------------------------------------------------------------------


def medians_ms(cases: dict[str, Callable[[], object]], repeat: int, warmup: int = 3) -> dict[str, tuple[float, float]]:
    """Median wall and CPU milliseconds of each case. The cases take turns within every repetition, so a burst
    of other work on a shared 2-core machine slows all of them alike instead of skewing one figure or ratio.
    CPU time is the cross-check that preemption cannot inflate."""
    for _ in range(warmup):
        for call in cases.values():
            call()
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, call in cases.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            call()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: (statistics.median(wall[name]) * 1e3, statistics.median(cpu[name]) * 1e3) for name in cases}


def profile_text(call: Callable[[], object], calls: int = 20, lines: int = 14) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--repeat", type=int, default=21, help="timed calls per figure (median)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the incremental update")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    args = parser.parse_args(argv)

    rules = load_rules()  # cached: read once here so no timed call pays the TOML parse
    sessions = build_sessions(args.years, args.seed)
    added = [*sessions, new_session(sessions, rules)]
    today = added[-1].local_date
    n_runs = sum(s.is_run for s in sessions)
    days = (LAST_DAY - sessions[0].local_date).days + 1
    print(f"{len(sessions)} activities ({n_runs} runs) over {days} days, {sessions[0].local_date} to {LAST_DAY}")

    # Agreement first, on the history and again after the new run: a fast wrong answer is no answer.
    errors: list[str] = []
    for group, day in ((sessions, LAST_DAY), (added, today)):
        state, spikes = engine_full(group, day)
        errors += [f"{day}: {e}" for e in disagreements(state, spikes, baseline(group, day, rules))]
    check = engine_state(added, today)
    no_data_days = int(daily_series(sessions, LAST_DAY).no_data.sum())
    print(
        f"engine and baseline agree: {not errors}; new run {check.last_run.spike_category if check.last_run else '-'}"
        f", warnings {[w.code for w in check.warnings]}; no-data days in the history: {no_data_days}"
    )
    for error in errors[:20]:
        print("  DISAGREE", error)

    series = daily_series(sessions, LAST_DAY)
    cases: dict[str, Callable[[], object]] = {
        "full": lambda: engine_full(sessions, LAST_DAY),
        "incremental": lambda: engine_state(added, today),
        "baseline": lambda: baseline(sessions, LAST_DAY, rules),
        "baseline_incremental": lambda: baseline(added, today, rules),
        # Where the time goes, call by call (the engine's own pieces, same data):
        "daily_series": lambda: daily_series(sessions, LAST_DAY),
        "load_state": lambda: load_state(sessions, series, LAST_DAY),
        "run_spikes": lambda: run_spikes(sessions, series),
    }
    figures = medians_ms(cases, args.repeat)
    for name, (wall, cpu) in figures.items():
        print(f"{name:>22}: {wall:8.2f} ms wall, {cpu:8.2f} ms CPU (medians of {args.repeat})")
    if args.profile:
        print(profile_text(lambda: engine_state(added, today)))

    targets = {"full_ms": TARGET_FULL_MS, "incremental_ms": TARGET_INCREMENTAL_MS}
    wall = {name: value[0] for name, value in figures.items()}
    cpu = {name: value[1] for name, value in figures.items()}
    met = {"full": wall["full"] <= TARGET_FULL_MS, "incremental": wall["incremental"] <= TARGET_INCREMENTAL_MS}
    summary = {
        "activities": len(sessions),
        "runs": n_runs,
        "days": days,
        "repeat": args.repeat,
        "full_ms": round(wall["full"], 2),
        "incremental_ms": round(wall["incremental"], 2),
        "incremental_is": "full daily_series + load_state after appending one session (no incremental path)",
        "baseline": "pure-Python per-day loop, same numbers",
        "baseline_ms": round(wall["baseline"], 2),
        "ratio": round(wall["baseline"] / wall["full"], 2),
        "baseline_incremental_ms": round(wall["baseline_incremental"], 2),
        "incremental_ratio": round(wall["baseline_incremental"] / wall["incremental"], 2),
        "cpu_ms": {name: round(value, 2) for name, value in cpu.items()},
        "cpu_ratio": round(cpu["baseline"] / cpu["full"], 2),
        "breakdown_ms": {k: round(wall[k], 2) for k in ("daily_series", "load_state", "run_spikes")},
        "targets": targets,
        "targets_met": met,
        "all_targets_met": all(met.values()),
        "agree": not errors,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }
    print(json.dumps(summary))
    if errors:
        return 1
    return 2 if args.strict and not summary["all_targets_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
