"""Import benchmark: 1,000 generated one-hour FIT runs into a fresh SQLite database.

Usage::

    .venv/bin/python benchmarks/import_bench.py [--files 1000] [--baseline-files 40] [--workers N] [--keep-db]

What it measures (the contract of the import issue):

* our path: ``import_paths(..., fit_decoder="auto")`` over all ``--files`` runs, wall time of that call only
  (database creation and migration are excluded, process-pool start-up is included because every import pays it);
* the baseline: the same call with ``fit_decoder="fitdecode"`` (pure-Python decoder, same code path, same workers)
  on an evenly spaced sample of ``--baseline-files`` runs, scaled per record to the full count, because the full
  baseline would take several minutes;
* peak RSS of our run: the importer's main process plus its largest worker (kernel high-water marks).

Each import runs in its own fresh interpreter (this script re-invoked with ``--child``) with a fresh SQLite file,
so the generation pool and the baseline never pollute our run's timing or RSS high-water marks, and
``RUSAGE_CHILDREN`` of that interpreter covers exactly the importer's pool workers.

The runs come from ``gluteguard.samples.one_hour_run`` and are cached under
``$XDG_CACHE_HOME/gluteguard-bench/one-hour-runs-v1/`` (or ``~/.cache/...``); a manifest of sizes and sha256s
decides whether the cache is complete, so generation (~0.3 s of CPU per run) is paid once.

The last line printed is one JSON object; the exit status is non-zero when an import did not store exactly the
expected activities and records (``--strict`` also makes missed performance targets an error).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORDS_PER_RUN = 3600  # one hour at 1 Hz: what one_hour_run promises, checked against the database
CACHE_VERSION = "one-hour-runs-v1"  # bump when the generator's output changes on purpose
MANIFEST_NAME = "manifest.json"

# The targets, on a 2-core machine.
TARGET_SECONDS = 30.0
TARGET_RATIO = 30.0
TARGET_PEAK_RSS_MB = 400.0

MB = 1024 * 1024


# --- the cache of generated runs ---------------------------------------------------------------


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gluteguard-bench" / CACHE_VERSION


def run_name(index: int) -> str:
    return f"run-{index:05d}.fit"


def _generate_one(job: tuple[str, int]) -> tuple[int, int, str]:
    """Encode run ``index`` and write it atomically; top-level so the process pool can pickle it.

    The worker writes the file itself so only (index, size, sha256) crosses the process boundary.
    """
    from gluteguard.samples import one_hour_run  # a lazy import keeps the script's start (and --help) light

    directory, index = job
    data = one_hour_run(index)
    final = Path(directory) / run_name(index)
    partial = final.with_name(final.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, final)  # a killed run leaves a .part file, never a truncated .fit that looks valid
    return index, len(data), hashlib.sha256(data).hexdigest()


def _generator_probe() -> str:
    """sha256 of run 0 as the installed generator makes it now: a changed generator invalidates the cache."""
    from gluteguard.samples import one_hour_run

    return hashlib.sha256(one_hour_run(0)).hexdigest()


def _read_manifest(directory: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((directory / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    partial = directory / (MANIFEST_NAME + ".part")
    partial.write_text(json.dumps(manifest, indent=0, sort_keys=True))
    os.replace(partial, directory / MANIFEST_NAME)


def _file_ok(path: Path, entry: dict[str, Any] | None) -> bool:
    if not entry:
        return False
    try:
        data = path.read_bytes()  # reading all of them also warms the page cache equally for both paths
    except OSError:
        return False
    return len(data) == entry.get("size") and hashlib.sha256(data).hexdigest() == entry.get("sha256")


@dataclass
class CacheReport:
    paths: list[Path]
    generated: int
    generate_seconds: float
    verify_seconds: float


def ensure_runs(directory: Path, count: int, processes: int) -> CacheReport:
    """The first ``count`` runs in ``directory``, generating (on every core) only those missing or damaged."""
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    manifest = _read_manifest(directory)
    probe = _generator_probe()
    if manifest.get("probe_sha256") != probe:  # different generator (or no manifest): nothing cached is valid
        manifest = {"generator": "gluteguard.samples.one_hour_run", "probe_sha256": probe, "files": {}}
    entries: dict[str, Any] = manifest.setdefault("files", {})
    missing = [i for i in range(count) if not _file_ok(directory / run_name(i), entries.get(run_name(i)))]
    verify_seconds = time.perf_counter() - started

    started = time.perf_counter()
    if missing:
        print(f"generating {len(missing)} one-hour runs into {directory} on {processes} processes …", flush=True)
        jobs = [(str(directory), i) for i in missing]
        with ProcessPoolExecutor(max_workers=processes) as pool:
            # Small chunks keep every core busy to the end; each run costs ~0.3 s, so IPC is negligible.
            for done, (index, size, digest) in enumerate(pool.map(_generate_one, jobs, chunksize=4), start=1):
                entries[run_name(index)] = {"size": size, "sha256": digest}
                if done % 100 == 0 or done == len(missing):
                    _write_manifest(directory, manifest)  # an interrupted generation keeps what it finished
                    print(f"  {done}/{len(missing)}", flush=True)
    generate_seconds = time.perf_counter() - started
    return CacheReport([directory / run_name(i) for i in range(count)], len(missing), generate_seconds, verify_seconds)


# --- one measured import (runs in a fresh interpreter: ``--child``) -----------------------------


def _maxrss_mb(who: int) -> float:
    value = resource.getrusage(who).ru_maxrss
    return value / MB if sys.platform == "darwin" else value / 1024  # bytes on macOS, KiB on Linux


class TreeRssSampler(threading.Thread):
    """Samples the summed RSS of this process and all its children every ``interval`` seconds.

    A cross-check of the high-water marks: it sees the workers *at the same moment*, but can miss a short
    spike between samples, and it double-counts pages forked workers still share with the parent.
    Linux only (``/proc``); elsewhere it reports nothing.
    """

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_bytes = 0
        self.available = Path("/proc/self/statm").exists()
        self._stop_event = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE") if self.available else 0

    def _pids(self) -> Iterator[int]:
        me = os.getpid()
        yield me
        # Each thread lists the children it forked; the pool may fork from a helper thread.
        for children in Path(f"/proc/{me}/task").glob("*/children"):
            try:
                yield from (int(pid) for pid in children.read_text().split())
            except OSError:
                continue

    def _sample(self) -> int:
        total = 0
        for pid in self._pids():
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page
            except (OSError, ValueError, IndexError):
                continue  # the process ended between listing and reading
        return total

    def run(self) -> None:
        while self.available and not self._stop_event.is_set():
            self.peak_bytes = max(self.peak_bytes, self._sample())
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        if self.available:
            self.peak_bytes = max(self.peak_bytes, self._sample())


def child_measure(decoder: str, list_file: Path, db_path: Path, workers: int) -> dict[str, Any]:
    """Import the listed files into a fresh SQLite database; timing covers ``import_paths`` only."""
    from sqlalchemy import func, select

    from gluteguard.services.athletes import ensure_athlete
    from gluteguard.services.importer import import_paths
    from gluteguard.store.db import Database
    from gluteguard.store.models import Activity

    paths = [Path(line) for line in list_file.read_text().splitlines() if line]
    db = Database(f"sqlite:///{db_path}")
    athlete_id = ensure_athlete(db)
    sampler = TreeRssSampler()
    sampler.start()
    load_before = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    cpu_before = os.times()
    started = time.perf_counter()
    summary = import_paths(db, athlete_id, paths, workers=workers, fit_decoder=decoder)
    seconds = time.perf_counter() - started
    cpu_after = os.times()
    sampler.stop()
    # High-water marks: RUSAGE_CHILDREN holds the largest of the waited-for children, i.e. the pool workers,
    # which ProcessPoolExecutor joins when import_paths leaves its ``with`` block.
    main_mb, worker_mb = _maxrss_mb(resource.RUSAGE_SELF), _maxrss_mb(resource.RUSAGE_CHILDREN)
    with db.session() as session:
        stored, samples = session.execute(
            select(func.count(Activity.id), func.coalesce(func.sum(Activity.n_samples), 0)).where(
                Activity.athlete_id == athlete_id
            )
        ).one()
    db.dispose()
    result = summary.as_json()
    return {
        "decoder": decoder,
        "workers": workers,
        "files": len(summary.files),
        "records": summary.records,
        "seconds": seconds,
        "imported": result["imported"],
        "possible_duplicates": result["possible_duplicates"],
        "skipped_identical": result["skipped_identical"],
        "failed": result["failed"][:5],
        "partial": result["partial"][:5],
        "not_activities": result["not_activities"][:5],
        "stored_activities": int(stored),
        "stored_samples": int(samples),
        "rss_main_mb": main_mb,
        "rss_largest_worker_mb": worker_mb,
        "rss_tree_sampled_mb": sampler.peak_bytes / MB if sampler.available else None,
        # CPU seconds tell the work apart from the wall time, which other load on the machine inflates:
        # main = expanding paths + storing, workers = read/parse/encode/compress (children: joined workers).
        "cpu_main_s": (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system),
        "cpu_workers_s": (cpu_after.children_user - cpu_before.children_user)
        + (cpu_after.children_system - cpu_before.children_system),
        "loadavg_before": load_before,
    }


def run_child(decoder: str, paths: list[Path], workdir: Path, workers: int) -> dict[str, Any]:
    """Run one measured import in a fresh interpreter; its last stdout line is the result JSON."""
    list_file = workdir / "files.txt"
    list_file.write_text("".join(f"{p}\n" for p in paths))
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        decoder,
        "--list-file",
        str(list_file),
        "--db",
        str(workdir / f"{decoder}.sqlite"),
        "--workers",
        str(workers),
    ]
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise SystemExit(f"the {decoder} import crashed (exit {completed.returncode}); see its output above")
    return json.loads(lines[-1])


def problems(result: dict[str, Any], expected_files: int) -> list[str]:
    """Everything that makes an import's figures meaningless: each file must be one full, new activity."""
    found = []
    expected_records = expected_files * RECORDS_PER_RUN
    checks = {
        "files reported": (result["files"], expected_files),
        "activities imported": (result["imported"], expected_files),
        "activities stored": (result["stored_activities"], expected_files),
        "records reported": (result["records"], expected_records),
        "samples stored": (result["stored_samples"], expected_records),
        "possible duplicates": (result["possible_duplicates"], 0),
        "skipped identical": (result["skipped_identical"], 0),
    }
    for label, (got, want) in checks.items():
        if got != want:
            found.append(f"{label}: {got}, expected {want}")
    for key in ("failed", "partial", "not_activities"):
        if result[key]:
            found.append(f"{key}: {result[key]}")
    return [f"{result['decoder']} import: {p}" for p in found]


# --- the whole benchmark -----------------------------------------------------------------------


def evenly_spaced(paths: list[Path], count: int) -> list[Path]:
    """A sample spread over the whole set, so it holds every route and pace mix in proportion."""
    count = max(1, min(count, len(paths)))
    return [paths[i * len(paths) // count] for i in range(count)]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from gluteguard.services.import_pool import default_workers

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000, help="one-hour runs to import (default 1000)")
    parser.add_argument(
        "--baseline-files", type=int, default=40, help="runs for the fitdecode baseline, scaled per record (40)"
    )
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="parser processes for both imports (all cores)"
    )
    parser.add_argument("--keep-db", action="store_true", help="keep both SQLite files and print where they are")
    parser.add_argument("--cache-dir", type=Path, default=None, help=f"generated runs (default {cache_root()})")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a performance target is missed")
    # Internal: one measured import in this fresh interpreter.
    parser.add_argument("--child", choices=("auto", "fitdecode"), help=argparse.SUPPRESS)
    parser.add_argument("--list-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.files < 1 or args.baseline_files < 1 or args.workers < 1:
        parser.error("--files, --baseline-files and --workers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child_measure(args.child, args.list_file, args.db, args.workers)))
        return 0

    cpus = os.cpu_count() or 1
    directory = args.cache_dir or cache_root()
    cache = ensure_runs(directory, args.files, cpus)
    if cache.generated:
        print(
            f"generation: {cache.generated} runs in {cache.generate_seconds:.1f} s on {cpus} processes (not measured)"
        )
    else:
        print(f"generation: none, {args.files} cached runs verified (sha256) in {cache.verify_seconds:.1f} s")
    print(f"runs: {directory}")

    keep = args.keep_db
    ours_dir = Path(tempfile.mkdtemp(prefix="gluteguard-bench-ours-"))
    base_dir = Path(tempfile.mkdtemp(prefix="gluteguard-bench-fitdecode-"))
    try:
        # Ours first, in its own interpreter, so neither the generation pool nor the baseline touches its
        # timing or its RSS high-water marks.
        print(f"importing {args.files} runs with fit_decoder=auto, {args.workers} workers …", flush=True)
        ours = run_child("auto", cache.paths, ours_dir, args.workers)
        sample = evenly_spaced(cache.paths, args.baseline_files)
        print(
            f"importing a sample of {len(sample)} runs with fit_decoder=fitdecode, {args.workers} workers …", flush=True
        )
        base = run_child("fitdecode", sample, base_dir, args.workers)
    finally:
        if not keep:
            for workdir in (ours_dir, base_dir):
                shutil.rmtree(workdir, ignore_errors=True)

    errors = problems(ours, args.files) + problems(base, len(sample))

    seconds = ours["seconds"]
    records = ours["records"]
    records_per_s = records / seconds
    files_per_s = ours["files"] / seconds
    base_records_per_s = base["records"] / base["seconds"] if base["seconds"] > 0 else 0.0
    # Per record, not per file: the sample's runs differ a little from the average, records are the work.
    baseline_seconds = records / base_records_per_s if base_records_per_s > 0 else float("inf")
    ratio = baseline_seconds / seconds
    # CPU per record (main + workers) is what the wall time would be on an idle machine with perfect overlap;
    # its ratio is a cross-check when other jobs share the cores.
    cpu_ours = ours["cpu_main_s"] + ours["cpu_workers_s"]
    cpu_base = base["cpu_main_s"] + base["cpu_workers_s"]
    cpu_ratio = (cpu_base / base["records"]) / (cpu_ours / records) if cpu_ours > 0 and base["records"] else 0.0
    peak_rss_mb = ours["rss_main_mb"] + ours["rss_largest_worker_mb"]
    targets = {
        "seconds": seconds <= TARGET_SECONDS,
        "ratio": ratio >= TARGET_RATIO,
        "peak_rss_mb": peak_rss_mb <= TARGET_PEAK_RSS_MB,
    }

    print()
    print(
        f"ours (auto):  {ours['files']} files, {records:,} records in {seconds:.2f} s"
        f"  →  {files_per_s:.1f} files/s, {records_per_s:,.0f} records/s"
    )
    print(
        f"peak RSS:     {peak_rss_mb:.0f} MB = main {ours['rss_main_mb']:.0f} MB + largest worker "
        f"{ours['rss_largest_worker_mb']:.0f} MB (high-water marks; conservative: forked workers share pages)"
    )
    if ours["rss_tree_sampled_mb"] is not None:
        print(
            f"              {ours['rss_tree_sampled_mb']:.0f} MB = main + all {args.workers} workers at once "
            f"(sampled every 0.1 s, shared pages counted in each)"
        )
    print(
        f"baseline:     fitdecode only, sample of {base['files']} files ({base['records']:,} records) in "
        f"{base['seconds']:.2f} s = {base_records_per_s:,.0f} records/s; scaled per record to "
        f"{args.files} files: {baseline_seconds:.1f} s"
    )
    print(f"ratio:        {ratio:.1f}× (baseline scaled seconds / our seconds)")
    print(
        f"CPU:          ours {cpu_ours:.1f} s = main {ours['cpu_main_s']:.1f} s (store"
        f"{'' if args.workers > 1 else ' and parse'}) + workers {ours['cpu_workers_s']:.1f} s (read, parse, "
        f"encode, compress) = {cpu_ours / ours['files'] * 1000:.1f} ms/file; baseline "
        f"{cpu_base / base['files'] * 1000:.0f} ms/file; CPU ratio {cpu_ratio:.1f}×"
    )
    # Our run keeps every core busy; clearly fewer cores' worth of CPU than wall time means other load stole them.
    cores_used = cpu_ours / seconds
    print(
        f"machine:      load average {ours['loadavg_before']} before ours, {base['loadavg_before']} before the "
        f"baseline; ours used {cores_used:.2f} of {cpus} cores"
        + ("  (WARNING: busy machine, wall times are inflated)" if cores_used < 0.75 * min(cpus, args.workers) else "")
    )
    print(
        f"targets:      ≤ {TARGET_SECONDS:.0f} s {'ok' if targets['seconds'] else 'MISSED'}, "
        f"≥ {TARGET_RATIO:.0f}× {'ok' if targets['ratio'] else 'MISSED'}, "
        f"≤ {TARGET_PEAK_RSS_MB:.0f} MB {'ok' if targets['peak_rss_mb'] else 'MISSED'} "
        f"({cpus} cores, {args.workers} workers)"
    )
    if keep:
        print(f"databases:    {ours_dir / 'auto.sqlite'}  {base_dir / 'fitdecode.sqlite'}")
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)

    summary = {
        "files": ours["files"],
        "records": records,
        "seconds": round(seconds, 3),
        "records_per_s": round(records_per_s),
        "files_per_s": round(files_per_s, 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "peak_rss_main_mb": round(ours["rss_main_mb"], 1),
        "peak_rss_largest_worker_mb": round(ours["rss_largest_worker_mb"], 1),
        "peak_rss_tree_sampled_mb": None
        if ours["rss_tree_sampled_mb"] is None
        else round(ours["rss_tree_sampled_mb"], 1),
        "baseline": round(baseline_seconds, 2),  # seconds the fitdecode-only path takes for the same runs
        "baseline_scaled": "per record from a sample",
        "baseline_sample_files": base["files"],
        "baseline_sample_seconds": round(base["seconds"], 3),
        "baseline_records_per_s": round(base_records_per_s),
        "ratio": round(ratio, 2),
        "cpu_seconds": round(cpu_ours, 2),
        "cpu_main_seconds": round(ours["cpu_main_s"], 2),
        "cpu_workers_seconds": round(ours["cpu_workers_s"], 2),
        "baseline_cpu_ms_per_file": round(cpu_base / base["files"] * 1000, 1),
        "cpu_ratio": round(cpu_ratio, 2),
        "loadavg_before": ours["loadavg_before"],
        "cores_used": round(cores_used, 2),
        "workers": args.workers,
        "cpus": cpus,
        "generation_seconds": round(cache.generate_seconds, 2),
        "generated_files": cache.generated,
        "targets": {"seconds": TARGET_SECONDS, "ratio": TARGET_RATIO, "peak_rss_mb": TARGET_PEAK_RSS_MB},
        "targets_met": all(targets.values()),
        "ok": not errors,
    }
    print(json.dumps(summary))
    if errors:
        return 1
    return 2 if args.strict and not summary["targets_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
