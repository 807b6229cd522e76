"""CLI start-up benchmark: wall time of ``gluteguard --help`` and ``gluteguard today`` in fresh processes.

Usage::

    .venv/bin/python benchmarks/cli_startup.py [--runs 15] [--years 10] [--no-bytecode-cache] [--strict]

Each command runs ``--runs`` times, each in a fresh process (what a runner typing the command pays):

- ``help``: ``gluteguard --help``;
- ``today_10y``: ``gluteguard --db LONG today`` on ten years of history (the web benchmark's builder: ~500
  activities a year and a check-in every day) after the runner's last write of the day, a ``gluteguard checkin``
  run once before timing: today's summary is then the one that write kept (``store/today_kept.py``), as for a
  runner who checked in last night and asks in the morning;
- ``today_10y_decided``: ``gluteguard --db LONG today --date 2026-11-22``, the history's last day: a day no write
  kept, decided afresh from the ten years (as after four weeks with no write at all), so the figure never depends on
  the day the benchmark runs;
- ``today_empty_decided``: ``gluteguard --db EMPTY today`` on a database with the schema and no data, nothing
  ever written (one untimed run creates it first, so the timed runs measure opening, not creating).

The floor, in the same run: ``python -c "import typer"`` (an interpreter plus the CLI framework, nothing of ours).
The runs are interleaved (floor, help, today_10y, today_10y_decided, today_empty_decided, floor, …) so load from
other processes spreads over all of them alike; one untimed run of each comes first. Printed: median and p90 wall in
ms and the ratio of each median to the floor's median; also each median CPU time (user + system of the process),
which unlike wall time does not grow with other load on the machine. The last line is one JSON object. Target (issue
16): the median wall of ``help`` and ``today_10y`` ≤ 400 ms; ``--strict`` exits 2 when missed.

Compiled bytecode is cached for the children in a temporary ``PYTHONPYCACHEPREFIX`` (written by the untimed
runs), as an installed package has it, even where ``PYTHONDONTWRITEBYTECODE`` is set; ``--no-bytecode-cache``
runs them with the environment as it is (then a source tree without ``__pycache__`` is compiled on every run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_MS = 400.0
LAST_DAY = "2026-11-22"  # load_bench.LAST_DAY: the ten-year history's last day


def gluteguard_command() -> list[str]:
    """The installed ``gluteguard`` script beside this interpreter (what a user runs), else the same entry point."""
    script = Path(sys.executable).with_name("gluteguard")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from gluteguard.cli.app import main; main()"]


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall ms and CPU ms (user + system) of one fresh process; a failing command stops the benchmark."""
    cpu_before = _children_cpu_s()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    return elapsed, (_children_cpu_s() - cpu_before) * 1000


def summarize(times: list[tuple[float, float]]) -> dict[str, float]:
    ordered = sorted(wall for wall, _ in times)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    cpu = statistics.median(c for _, c in times)  # the cross-check that other load on the machine does not move
    return {"median_ms": round(statistics.median(ordered), 1), "p90_ms": round(p90, 1),
            "min_ms": round(ordered[0], 1), "cpu_median_ms": round(cpu, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--no-bytecode-cache", action="store_true", help="leave PYTHONDONTWRITEBYTECODE as it is")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    loadavg_before = [round(value, 2) for value in os.getloadavg()]
    import gluteguard
    from gluteguard.store.today_kept import kept_today
    from web_bench import build_database  # the web benchmark's ten-year history

    env = {key: value for key, value in os.environ.items() if key != "GLUTEGUARD_DB"}
    env["COLUMNS"] = "120"
    program = gluteguard_command()
    with tempfile.TemporaryDirectory(prefix="gluteguard-cli-bench-") as folder:
        if not args.no_bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "pycache")
        started = time.perf_counter()
        long_url, n_activities, n_checkins = build_database(Path(folder) / "long.sqlite", args.years, args.seed)
        empty = str(Path(folder) / "empty.sqlite")
        run_once([*program, "--db", empty, "today"], env)  # creates and migrates the empty database
        print(f"database: {args.years} years = {n_activities} activities + {n_checkins} check-ins "
              f"({time.perf_counter() - started:.1f} s to build)")  # fmt: skip
        # The runner's last write of the day, through the real command: it keeps the coming days (cli/context.py).
        run_once([*program, "--db", long_url, "checkin", "--pain-at-rest", "0", "--pain-next-morning", "0"], env)
        if kept_today(Path(long_url.split("///", 1)[1]), "me") is None:
            raise SystemExit("the check-in kept no day for `today`: the figure would not be the kept path's")
        commands = {
            "floor_import_typer": [sys.executable, "-c", "import typer"],
            "help": [*program, "--help"],
            f"today_{args.years}y": [*program, "--db", long_url, "today"],
            f"today_{args.years}y_decided": [*program, "--db", long_url, "today", "--date", LAST_DAY],
            "today_empty_decided": [*program, "--db", empty, "today"],
        }
        for command in commands.values():  # one untimed run each: the file cache is warm for every command alike
            run_once(command, env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(run_once(command, env))
    figures = {name: summarize(values) for name, values in times.items()}
    floor = figures["floor_import_typer"]["median_ms"]
    cpu_floor = figures["floor_import_typer"]["cpu_median_ms"]
    print(f"{'command':<20} {'median ms':>10} {'p90 ms':>8} {'min ms':>8} {'÷ floor':>8} {'CPU ms':>8} {'÷ floor':>8}")
    for name, figure in figures.items():
        figure["ratio_to_floor"] = round(figure["median_ms"] / floor, 2) if floor else None
        figure["cpu_ratio_to_floor"] = round(figure["cpu_median_ms"] / cpu_floor, 2) if cpu_floor else None
        print(f"{name:<20} {figure['median_ms']:>10} {figure['p90_ms']:>8} {figure['min_ms']:>8} "
              f"{figure['ratio_to_floor']!s:>8} {figure['cpu_median_ms']:>8} "
              f"{figure['cpu_ratio_to_floor']!s:>8}")  # fmt: skip
    measured = {name: figure for name, figure in figures.items() if name != "floor_import_typer"}
    targets = ["help", f"today_{args.years}y"]  # the two; the decided-afresh figures are reported beside
    result = {
        "runs": args.runs,
        "years": args.years,
        "activities": n_activities,
        "checkins": n_checkins,
        "cpus": os.cpu_count(),
        "package": str(Path(gluteguard.__file__).parent),  # which source tree ran (PYTHONPATH can point elsewhere)
        "bytecode_cache": not args.no_bytecode_cache,
        "loadavg_before": loadavg_before,
        "loadavg_after": [round(value, 2) for value in os.getloadavg()],
        "target_median_ms": TARGET_MS,
        "commands": figures,
        "target_commands": targets,
        "target_met": all(measured[name]["median_ms"] <= TARGET_MS for name in targets),
    }
    print(json.dumps(result))
    return 2 if args.strict and not result["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
