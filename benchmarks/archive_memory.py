"""Peak memory of importing a hostile archive (issue 14.2/14.3): a zip of many large members at a compression ratio
under the bomb cap, imported by the CLI's import service in a fresh process.

Baseline, measured in the same run: the members' total uncompressed size, i.e. what reading every member whole
(as the importer did before, with up to workers × 4 members in flight) would hold. The figure that matters is
peak RSS of the import tree (main + workers, sampled from /proc) against that.

    .venv/bin/python benchmarks/archive_memory.py [--members 8] [--member-mb 200] [--workers 2]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path


def _member_bytes(size: int, seed: int) -> bytes:
    """Data that deflates at roughly 100–150:1 (under the 200:1 bomb cap): a few random bytes per 64 kB block."""
    rng = random.Random(seed)
    block = bytearray(65536)
    out = bytearray()
    while len(out) < size:
        for i in range(0, len(block), 160):
            block[i] = rng.randrange(256)
        out += block
    return bytes(out[:size])


def build(folder: Path, members: int, member_mb: int) -> Path:
    target = folder / "hostile.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for n in range(members):
            archive.writestr(f"activities/{n}.fit", _member_bytes(member_mb << 20, n))
    return target


def _tree_rss(pid: int) -> int:
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def child(zip_path: str, db_path: str, workers: int) -> None:
    from gluteguard.services.athletes import ensure_athlete
    from gluteguard.services.importer import import_paths
    from gluteguard.store.db import Database

    db = Database(f"sqlite:///{db_path}")
    athlete = ensure_athlete(db)
    summary = import_paths(db, athlete, [Path(zip_path)], workers=workers).as_json()
    print(json.dumps({"failed": len(summary["failed"]), "imported": summary["imported"]}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--member-mb", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.workers)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        zip_path = build(folder, args.members, args.member_mb)
        built_s = time.perf_counter() - started
        process = subprocess.Popen(
            [sys.executable, __file__, "--workers", str(args.workers), "--child", str(zip_path), str(folder / "x.db")],
            stdout=subprocess.PIPE,
            text=True,
        )
        peak = 0

        def sample() -> None:
            nonlocal peak
            while process.poll() is None:
                peak = max(peak, _tree_rss(process.pid))
                time.sleep(0.05)

        watcher = threading.Thread(target=sample)
        started = time.perf_counter()
        watcher.start()
        out, _ = process.communicate()
        watcher.join()
        seconds = time.perf_counter() - started
        baseline = args.members * (args.member_mb << 20)
        result = {
            "zip_mb": round(zip_path.stat().st_size / 2**20, 1),
            "members": args.members,
            "member_mb": args.member_mb,
            "workers": args.workers,
            "build_s": round(built_s, 1),
            "import_s": round(seconds, 1),
            "peak_rss_tree_mb": round(peak / 2**20),
            "baseline_whole_members_mb": round(baseline / 2**20),
            "ratio_peak_to_baseline": round(peak / baseline, 3),
            "outcome": json.loads(out.strip().splitlines()[-1]) if out.strip() else None,
            "cpus": os.cpu_count(),
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
