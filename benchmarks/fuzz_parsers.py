"""Coverage-guided fuzz campaign over every parser entry point (issue 14), with atheris (libFuzzer for Python).

    .venv/bin/pip install -e '.[fuzz]'                      # atheris
    .venv/bin/python benchmarks/fuzz_parsers.py             # the full campaign (1.38 M inputs, about an hour)
    .venv/bin/python benchmarks/fuzz_parsers.py --quick     # 2,000 inputs per target, a couple of minutes
    .venv/bin/python benchmarks/fuzz_parsers.py --targets gpx,tcx --runs 50000
    .venv/bin/python benchmarks/fuzz_parsers.py --minimize fit_auto crash-input.bin   # shrink a saved finding

Targets and what counts as a clean outcome: ``benchmarks/fuzz/targets.py``; seeds (real files from shared/data):
``benchmarks/fuzz/seeds.py``. Each target runs in its own niced subprocess (``nice -n 10``), one after another, so a
crash, hang or memory blow-up in one never stops the others: libFuzzer ``-runs``, ``-timeout=5`` (a hang is an
input taking more than 5 s), ``-rss_limit_mb``, ``-artifact_prefix`` and a corpus folder seeded from real files. A
session that libFuzzer ends early (hang, out-of-memory, native crash) is restarted on the same corpus for the inputs
left. Python exceptions do not end a session: the harness judges every input, keeps the smallest input of each
distinct finding in ``<work>/findings/<target>/`` and goes on.

Baseline, measured in the same run: for every target, the same number of inputs of plain random bytes (no seeds,
no coverage guidance: a custom mutator that ignores its input), through the same instrumented harness. The ratio is
coverage-guided edges / random-bytes edges, summed over targets (libFuzzer's ``cov``: instrumented Python code edges
in gluteguard, fitdecode and zipfile; native code — lxml, fitfast, ezc3d — is not instrumented). The last line is one
JSON object; exit status 1 when a crash, hang or out-of-memory was found.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

from fuzz.targets import TARGETS, Finding, judge  # noqa: E402 - after the path set-up; imports no gluteguard

# The full campaign: inputs per target and the most wall time it may take, from what one input costs on a 2-core
# machine (a trial run of 10,000 inputs each: from ~50/s for C3D, which forks a reader per file, to ~5,000/s).
FULL_PLAN: dict[str, tuple[int, float]] = {
    "fit_auto": (60_000, 600),
    "fit_fitdecode": (25_000, 420),
    "gpx": (120_000, 150),
    "tcx": (120_000, 150),
    "strava_csv": (120_000, 150),
    "strava_export": (80_000, 150),
    "apple_health_xml": (120_000, 150),
    "apple_health_zip": (80_000, 120),
    "garmin_monitoring": (40_000, 330),
    "fitbit": (150_000, 120),
    "keypoint_csv": (120_000, 150),
    "openpose": (80_000, 150),
    "trc": (60_000, 200),
    "c3d": (15_000, 420),
    "rbds": (60_000, 220),
    "archive": (80_000, 150),
    "prepare_unit": (50_000, 420),
}
QUICK_RUNS = 2_000
HANG_SECONDS = 5
RSS_LIMIT_MB = 2048
MAX_SESSIONS = 12  # restarts after hangs, out-of-memory or native crashes, per target and mode
# Modules atheris instruments for coverage (pure Python); native parsers give no edges.
INSTRUMENTED = ["gluteguard", "fitdecode", "zipfile"]
STATS_EVERY = 1000  # inputs between two writes of the child's running statistics
SLOW_INPUT_S = 1.0  # inputs slower than this are kept for a look (libFuzzer itself stops at HANG_SECONDS)


# --- child: one fuzzing session of one target -----------------------------------------------------------------


class _Recorder:
    """Counts inputs and keeps, per distinct finding, the smallest input that produced it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.stats: dict[str, Any] = {"inputs": 0, "findings": {}, "slowest_s": 0.0, "slow_inputs": 0}
        self.smallest: dict[str, int] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def record(self, data: bytes, finding: Finding | None, seconds: float) -> None:
        self.stats["inputs"] += 1
        if seconds > self.stats["slowest_s"]:
            self.stats["slowest_s"] = round(seconds, 3)
        if seconds > SLOW_INPUT_S:
            self.stats["slow_inputs"] += 1
            self._keep(Finding("slow", "input slower than 1 s", f"{seconds:.2f} s"), data, count=False)
        if finding is not None:
            self._keep(finding, data)
        if self.stats["inputs"] % STATS_EVERY == 0:
            self.flush()

    def _keep(self, finding: Finding, data: bytes, count: bool = True) -> None:
        key = hashlib.sha1(f"{finding.kind}:{finding.signature}".encode()).hexdigest()[:10]
        entry = self.stats["findings"].setdefault(
            key, {"kind": finding.kind, "signature": finding.signature, "inputs": 0, "smallest": None}
        )
        if count:
            entry["inputs"] += 1
        if key not in self.smallest or len(data) < self.smallest[key]:
            self.smallest[key] = len(data)
            name = f"{finding.kind}-{key}"
            (self.folder / name).write_bytes(data)
            (self.folder / f"{name}.txt").write_text(
                f"{finding.signature}\n{len(data)} bytes\n\n{finding.detail}\n", encoding="utf-8"
            )
            entry["smallest"] = name
            self.flush()

    def flush(self) -> None:
        partial = self.folder / "stats.json.part"
        partial.write_text(json.dumps(self.stats))
        os.replace(partial, self.folder / "stats.json")


def _watch_rust_panics(panics: list[str]) -> None:
    """Wrap fitfast's calls so a Rust panic (pyo3's PanicException, caught by parse_fit) is noted with its input:
    the panic also prints "thread … panicked at" to fd 2, which is the noise the issue is about."""
    import fitfast

    def watched(function: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except BaseException as exc:
                if type(exc).__name__ == "PanicException":
                    panics.append(str(exc).splitlines()[0][:120] if str(exc) else "panic")
                raise

        return call

    for name in ("records", "parse", "message_counts", "count"):
        if hasattr(fitfast, name):
            setattr(fitfast, name, watched(getattr(fitfast, name)))


def _random_bytes(_data: bytes, max_size: int, seed: int) -> bytes:
    """The baseline's mutator: fresh random bytes of a random length, whatever the input was (no guidance)."""
    rng = random.Random(seed)
    return rng.randbytes(rng.randrange(max_size + 1))


def child_main(target_name: str, mode: str, scratch: Path, findings: Path, libfuzzer_args: list[str]) -> None:
    import warnings

    import atheris

    target = TARGETS[target_name]
    with atheris.instrument_imports(include=INSTRUMENTED):
        runner = target.load()
    recorder = _Recorder(findings)
    panics: list[str] = []
    _watch_rust_panics(panics)
    seen_warnings: list[str] = []

    def note_warning(message: Any, category: Any, filename: str, lineno: int, *_: Any, **__: Any) -> None:
        seen_warnings.append(f"{category.__name__} at {filename.split('site-packages/')[-1]}:{lineno}: {message}")

    warnings.showwarning = note_warning  # counted per input below instead of printed
    warnings.simplefilter("always")

    def test_one_input(data: bytes) -> None:
        panics.clear()
        seen_warnings.clear()
        started = time.perf_counter()
        finding = judge(runner, data, scratch)
        recorder.record(data, finding, time.perf_counter() - started)
        for message in panics:
            recorder._keep(Finding("panic", f"Rust panic in fitfast: {message}", message), data)
        for text in seen_warnings[:3]:
            recorder._keep(Finding("warning", re.sub(r"\d+\.\d+|\d{3,}", "N", text)[:200], text), data)

    def mutate_and_repair(data: bytes, max_size: int, seed: int) -> bytes:
        mutated = atheris.Mutate(data, max_size)
        return target.repair(mutated) if target.repair and seed & 1 else mutated

    extra: dict[str, Any] = {}
    if mode == "random":
        extra["custom_mutator"] = _random_bytes
    elif target.repair is not None:
        extra["custom_mutator"] = mutate_and_repair
    atheris.Setup([sys.argv[0], *libfuzzer_args], test_one_input, **extra)
    atheris.Fuzz()


# --- driver -------------------------------------------------------------------------------------------------------


@dataclass
class Session:
    executed: int
    exit_code: int
    ended_by: str  # done | hang | oom | native-crash | time
    peak_rss_mb: float
    wall_s: float
    cov_inited: int | None
    cov_final: int | None
    rust_panic_lines: int


@dataclass
class TargetRun:
    target: str
    mode: str
    runs_asked: int
    sessions: list[Session] = field(default_factory=list)
    findings: dict[str, Any] = field(default_factory=dict)
    slowest_input_s: float = 0.0
    seeds: int = 0

    @property
    def inputs(self) -> int:
        return sum(s.executed for s in self.sessions)

    def count(self, *kinds: str) -> int:
        return sum(f["inputs"] for f in self.findings.values() if f["kind"] in kinds)

    def distinct(self, *kinds: str) -> int:
        return sum(1 for f in self.findings.values() if f["kind"] in kinds)

    @property
    def hangs(self) -> int:
        return sum(1 for s in self.sessions if s.ended_by == "hang")

    @property
    def ooms(self) -> int:
        return sum(1 for s in self.sessions if s.ended_by == "oom")

    @property
    def native_crashes(self) -> int:
        return sum(1 for s in self.sessions if s.ended_by == "native-crash")

    @property
    def crashes(self) -> int:
        """Inputs that crashed: Python exceptions that are no documented refusal, unclean outcomes, native crashes."""
        return self.count("crash", "unclean") + self.native_crashes

    @property
    def coverage(self) -> int:
        return max((s.cov_final or 0 for s in self.sessions), default=0)

    @property
    def seed_coverage(self) -> int | None:
        return next((s.cov_inited for s in self.sessions if s.cov_inited is not None), None)


_COV = re.compile(r"cov: (\d+)")
_EXECUTED = re.compile(r"stat::number_of_executed_units: (\d+)")


def _read_log(log: Path) -> tuple[int | None, int | None, int, int | None, str]:
    """(INITED cov, last cov, Rust panic lines, executed units, how the session ended) from a libFuzzer log."""
    text = log.read_text(errors="replace")
    inited = re.search(r"INITED cov: (\d+)", text)
    covs = _COV.findall(text)
    executed = _EXECUTED.findall(text)
    if "ERROR: libFuzzer: timeout" in text:
        ended = "hang"
    elif "ERROR: libFuzzer: out-of-memory" in text:
        ended = "oom"
    elif "ERROR: libFuzzer" in text or "Uncaught Python exception" in text or "deadly signal" in text:
        ended = "native-crash"
    elif "Done " in text:
        ended = "done"
    else:
        ended = "time"
    return (
        int(inited.group(1)) if inited else None,
        int(covs[-1]) if covs else None,
        len(re.findall(r"panicked at", text)),
        int(executed[-1]) if executed else None,
        ended,
    )


def _scratch_root() -> Path:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def run_target(name: str, mode: str, runs: int, work: Path, budget_s: float) -> TargetRun:
    """Fuzz one target for ``runs`` inputs (restarting after hangs, OOM or native crashes) within ``budget_s``."""
    from fuzz.seeds import write_corpus

    target = TARGETS[name]
    result = TargetRun(name, mode, runs)
    base = work / mode / name
    corpus, seed_dir, findings, artifacts = base / "corpus", base / "seeds", base / "findings", base / "artifacts"
    for folder in (corpus, artifacts):
        folder.mkdir(parents=True, exist_ok=True)
    if mode == "guided":
        result.seeds = len(write_corpus(name, seed_dir))
    seed = zlib.crc32(f"{name}:{mode}".encode())
    started = time.monotonic()
    while result.inputs < runs and len(result.sessions) < MAX_SESSIONS:
        left_s = budget_s - (time.monotonic() - started)
        if left_s < 5:
            break
        scratch = Path(tempfile.mkdtemp(prefix=f"gg-fuzz-{name}-", dir=_scratch_root()))
        log = base / f"session-{len(result.sessions)}.log"
        libfuzzer = [
            f"-runs={runs - result.inputs}",
            f"-timeout={HANG_SECONDS}",
            f"-rss_limit_mb={RSS_LIMIT_MB}",
            f"-max_len={target.max_len}",
            "-len_control=0",
            f"-max_total_time={int(left_s)}",
            f"-artifact_prefix={artifacts}/",
            f"-seed={seed + len(result.sessions)}",
            "-print_final_stats=1",
        ]
        if mode == "guided":
            libfuzzer += ["-use_value_profile=1", str(corpus), str(seed_dir)]
        command = ["nice", "-n", "10", sys.executable, str(Path(__file__).resolve()), "--child", name, "--mode", mode]
        command += ["--scratch", str(scratch), "--findings", str(findings), "--", *libfuzzer]
        session_start = time.monotonic()
        with log.open("wb") as stderr:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - session_start
        shutil.rmtree(scratch, ignore_errors=True)
        inited, final, panic_lines, executed, ended = _read_log(log)
        if executed is None:  # killed before libFuzzer printed its statistics: trust the harness' own count
            stats = _child_stats(findings)
            executed = stats.get("inputs", 0) - sum(s.executed for s in result.sessions)
        result.sessions.append(
            Session(executed, process.returncode, ended, usage.ru_maxrss / 1024, wall, inited, final, panic_lines)
        )
        if ended in ("done", "time") or executed == 0:
            break
    stats = _child_stats(findings)
    result.findings = stats.get("findings", {})
    result.slowest_input_s = stats.get("slowest_s", 0.0)
    return result


def _child_stats(findings: Path) -> dict[str, Any]:
    try:
        return json.loads((findings / "stats.json").read_text())
    except (OSError, ValueError):
        return {}


def _row(values: list[str], widths: list[int]) -> str:
    cells = (v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True)))
    return "| " + " | ".join(cells) + " |"


def report(
    guided: list[TargetRun], random_runs: dict[str, TargetRun], wall_total: float, quick: bool, loadavg: float
) -> dict:
    header = [
        "target", "inputs", "crashes", "hangs >5 s", "OOM", "panic lines", "peak RSS MB", "wall s",
        "edges seeds", "edges guided", "edges random", "ratio",
    ]  # fmt: skip
    rows = []
    per_target: dict[str, Any] = {}
    for run in guided:
        baseline = random_runs.get(run.target)
        rss = max((s.peak_rss_mb for s in run.sessions), default=0.0)
        wall = sum(s.wall_s for s in run.sessions)
        panic_lines = sum(s.rust_panic_lines for s in run.sessions)
        random_cov = baseline.coverage if baseline else None
        ratio = round(run.coverage / random_cov, 2) if random_cov else None
        per_target[run.target] = {
            "inputs": run.inputs,
            "crashes": run.crashes,
            "distinct_crashes": run.distinct("crash", "unclean") + run.native_crashes,
            "hangs_over_5s": run.hangs,
            "out_of_memory": run.ooms,
            "rust_panic_lines_on_stderr": panic_lines,
            "rust_panics_caught": run.count("panic"),
            "python_warnings_distinct": run.distinct("warning"),
            "slowest_input_s": run.slowest_input_s,
            "peak_rss_mb": round(rss, 1),
            "wall_s": round(wall, 1),
            "inputs_per_s": round(run.inputs / wall, 1) if wall else None,
            "seeds": run.seeds,
            "edges_seeds_only": run.seed_coverage,
            "edges_guided": run.coverage,
            "baseline_random_inputs": baseline.inputs if baseline else None,
            "baseline_random_edges": random_cov,
            "baseline_random_crashes": baseline.crashes if baseline else None,
            "baseline_random_wall_s": round(sum(s.wall_s for s in baseline.sessions), 1) if baseline else None,
            "edges_ratio_guided_vs_random": ratio,
            "sessions": len(run.sessions),
            "findings": run.findings,
        }
        rows.append(
            [run.target, f"{run.inputs:,}", str(run.crashes), str(run.hangs), str(run.ooms), str(panic_lines),
             f"{rss:.0f}", f"{wall:.0f}", str(run.seed_coverage), str(run.coverage), str(random_cov),
             f"{ratio:.2f}" if ratio else "–"]
        )  # fmt: skip
    totals = {
        "inputs": sum(r.inputs for r in guided),
        "crashes": sum(r.crashes for r in guided),
        "hangs_over_5s": sum(r.hangs for r in guided),
        "out_of_memory": sum(r.ooms for r in guided),
        "rust_panic_lines_on_stderr": sum(t["rust_panic_lines_on_stderr"] for t in per_target.values()),
        "peak_rss_mb": max((t["peak_rss_mb"] for t in per_target.values()), default=0.0),
        "wall_s_guided": round(sum(t["wall_s"] for t in per_target.values()), 1),
        "edges_guided": sum(r.coverage for r in guided),
        "edges_seeds_only": sum(r.seed_coverage or 0 for r in guided),
    }
    random_edges = sum(r.coverage for r in random_runs.values())
    baseline = {
        "name": "random bytes: same inputs per target, no seeds, no coverage guidance, same instrumented harness",
        "inputs": sum(r.inputs for r in random_runs.values()),
        "edges": random_edges,
        "crashes": sum(r.crashes for r in random_runs.values()),
        "wall_s": round(sum(sum(s.wall_s for s in r.sessions) for r in random_runs.values()), 1),
    }
    ratio = {
        "name": "coverage-guided edges / random-bytes edges (libFuzzer cov, summed over targets)",
        "value": round(totals["edges_guided"] / random_edges, 2) if random_edges else None,
    }
    rows.append(
        ["**total**", f"{totals['inputs']:,}", str(totals["crashes"]), str(totals["hangs_over_5s"]),
         str(totals["out_of_memory"]), str(totals["rust_panic_lines_on_stderr"]), f"{totals['peak_rss_mb']:.0f}",
         f"{totals['wall_s_guided']:.0f}", str(totals["edges_seeds_only"]), str(totals["edges_guided"]),
         str(random_edges), f"{ratio['value']:.2f}" if ratio["value"] else "–"]
    )  # fmt: skip
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(_row(header, widths))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for values in rows:
        print(_row(values, widths))
    return {
        "benchmark": "fuzz_parsers",
        "mode": "quick" if quick else "full",
        "totals": totals,
        "baseline": baseline,
        "ratio": ratio,
        "wall_s_campaign": round(wall_total, 1),
        "loadavg_before": round(loadavg, 2),
        "targets": per_target,
    }


def _findings_summary(guided: list[TargetRun], work: Path) -> None:
    for run in guided:
        folder = work / "guided" / run.target / "findings"
        for finding in run.findings.values():
            where = folder / str(finding["smallest"])
            print(f"  {run.target}: {finding['kind']} ×{finding['inputs']}: {finding['signature']}  ({where})")
        for artifact in sorted((work / "guided" / run.target / "artifacts").glob("*")):
            print(f"  {run.target}: libFuzzer artifact {artifact}")


def minimize(target_name: str, path: Path, out: Path | None) -> None:
    """Shrink a saved input while it still gives the same finding (delta debugging on byte chunks)."""
    runner = TARGETS[target_name].load()
    scratch = Path(tempfile.mkdtemp(prefix="gg-fuzz-min-", dir=_scratch_root()))
    data = path.read_bytes()
    first = judge(runner, data, scratch)
    if first is None:
        sys.exit(f"{path}: gives a clean outcome for {target_name}; nothing to minimise")
    wanted = (first.kind, first.signature)

    def same(candidate: bytes) -> bool:
        found = judge(runner, candidate, scratch)
        return found is not None and (found.kind, found.signature) == wanted

    chunk = max(1, len(data) // 2)
    while chunk >= 1:
        at, shrunk = 0, False
        while at < len(data):
            candidate = data[:at] + data[at + chunk :]
            if candidate and same(candidate):
                data, shrunk = candidate, True
            else:
                at += chunk
        if not shrunk:
            chunk //= 2
    shutil.rmtree(scratch, ignore_errors=True)
    target = out or path.with_name(path.name + ".min")
    target.write_bytes(data)
    print(f"{first.kind}: {first.signature}\n{len(path.read_bytes())} → {len(data)} bytes: {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RUNS:,} inputs per target")
    parser.add_argument("--targets", help="comma-separated subset of: " + ", ".join(TARGETS))
    parser.add_argument("--runs", type=int, help="inputs per target (overrides the campaign's plan)")
    parser.add_argument("--max-seconds", type=float, default=600, help="time cap per target with --quick/--runs")
    parser.add_argument("--no-baseline", action="store_true", help="skip the random-bytes baseline")
    parser.add_argument("--work", type=Path, help="where corpora, logs and findings go (default: a new temp folder)")
    parser.add_argument("--minimize", nargs=2, metavar=("TARGET", "FILE"))
    parser.add_argument("--out", type=Path, help="with --minimize: where the smaller input goes")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="guided", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--findings", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("libfuzzer", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.mode, args.scratch, args.findings, args.libfuzzer)
        return
    if args.minimize:
        minimize(args.minimize[0], Path(args.minimize[1]), args.out)
        return
    try:
        import atheris  # noqa: F401 - checked here so that the error is one line, not one per target
    except ImportError:
        sys.exit("atheris is not installed: .venv/bin/pip install -e '.[fuzz]'")
    names = args.targets.split(",") if args.targets else list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        sys.exit(f"unknown targets: {', '.join(unknown)} (known: {', '.join(TARGETS)})")
    if args.runs or args.quick:
        plan = {n: (args.runs or QUICK_RUNS, args.max_seconds) for n in names}
    else:
        plan = {n: FULL_PLAN[n] for n in names}
    work = args.work or Path(tempfile.mkdtemp(prefix="gluteguard-fuzz-"))
    planned = sum(runs for runs, _ in plan.values())
    print(f"work folder: {work}; {planned:,} inputs planned over {len(names)} targets", flush=True)
    started, loadavg = time.monotonic(), os.getloadavg()[0]
    guided: list[TargetRun] = []
    random_runs: dict[str, TargetRun] = {}
    for name in names:
        runs, max_seconds = plan[name]  # the cap keeps one slow target from eating the others' time
        run = run_target(name, "guided", runs, work, max_seconds)
        guided.append(run)
        wall = sum(s.wall_s for s in run.sessions)
        print(f"{name}: {run.inputs:,} inputs, {run.crashes} crashes, {run.hangs} hangs, {wall:.0f} s", flush=True)
        if not args.no_baseline and run.inputs:
            baseline = run_target(name, "random", run.inputs, work, max(60.0, max_seconds / 2))
            random_runs[name] = baseline
            print(f"{name} baseline: {baseline.inputs:,} random inputs, edges {baseline.coverage}", flush=True)
    wall_total = time.monotonic() - started
    print()
    summary = report(guided, random_runs, wall_total, args.quick, loadavg)
    print()
    _findings_summary(guided, work)
    print(f"children's CPU: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime:.0f} s user")
    print(json.dumps(summary, separators=(",", ":"), default=str))
    totals = summary["totals"]
    sys.exit(1 if totals["crashes"] or totals["hangs_over_5s"] or totals["out_of_memory"] else 0)


if __name__ == "__main__":
    main()
