"""Seed corpora for the fuzz targets: real files from ``shared/data`` wherever the format has some (cut to the
target's size limit at an element or row boundary, so a seed stays well-formed), generated files where it has none
(Fitbit JSON, the keypoint CSV and OpenPose frames come from the project's own sample generators), and every saved
regression input of ``tests/fuzz_corpus/<target>/``.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fuzz.targets import (
    FITBIT_NAMES,
    OPENPOSE_SEPARATOR,
    PREPARE_NAMES,
    RBDS_FORCES_SEPARATOR,
    TARGETS,
)

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
REGRESSION_CORPUS = REPO / "tests" / "fuzz_corpus"

Seed = tuple[str, bytes]  # (file name in the corpus folder, bytes)


def _real(data_root: Path, folder: str, suffixes: tuple[str, ...], max_bytes: int) -> Iterator[tuple[Path, bytes]]:
    """Real files under ``data_root/folder`` (gzip ones unpacked), smallest first, at most ``max_bytes`` each."""
    found = []
    for path in sorted((data_root / folder).rglob("*")):
        name = path.name.lower()
        if not path.is_file() or not name.endswith(suffixes):
            continue
        data = path.read_bytes()
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        if len(data) <= max_bytes:
            found.append((len(data), path, data))
    for _, path, data in sorted(found, key=lambda item: (item[0], str(item[1]))):
        yield path, data


def _cut_xml(data: bytes, element: bytes, closing: bytes, max_bytes: int) -> bytes | None:
    """The document up to the last ``</element>`` that fits in ``max_bytes``, then ``closing``; None if none fits."""
    end = data.rfind(b"</" + element + b">", 0, max_bytes - len(closing))
    if end < 0:
        return None
    return data[: end + len(element) + 3] + closing


def _deduplicated(seeds: list[Seed]) -> list[Seed]:
    seen: set[bytes] = set()
    unique = []
    for name, data in seeds:
        if data not in seen:
            seen.add(data)
            unique.append((name, data))
    return unique


# --- per format ----------------------------------------------------------------------------------------------


def fit_seeds(data_root: Path, max_bytes: int) -> list[Seed]:
    seeds = [(path.name, data) for path, data in _real(data_root, "fit", (".fit", ".fit.gz"), max_bytes)]
    if not seeds:  # no shared data: one generated run, cut to size (a damaged file is a useful seed too)
        from gluteguard.samples.fitwriter import encode_fit
        from gluteguard.samples.runner import one_hour_synthetic_run

        seeds = [("synthetic.fit", encode_fit(one_hour_synthetic_run(1))[:max_bytes])]
    return seeds


def monitoring_seeds(data_root: Path, max_bytes: int) -> list[Seed]:
    from gluteguard.samples.monitoring import monitoring_file

    seeds = [(p.name, d) for p, d in _real(data_root, "fit", (".fit",), max_bytes) if "monitor" in p.name.lower()]
    generated = monitoring_file(days=1).data
    if len(generated) <= max_bytes:
        seeds.append(("generated-monitoring_b.fit", generated))
    seeds += fit_seeds(data_root, 2048)[:3]  # small activity files: the "not a monitoring file" refusals
    return seeds


# What closes a document cut after its last whole track point (GPX 1.1, TCX v2 nesting).
XML_CUTS = {
    "gpx": (b"trkpt", b"</trkseg></trk></gpx>"),
    "tcx": (b"Trackpoint", b"</Track></Lap></Activity></Activities></TrainingCenterDatabase>"),
}


def xml_seeds(data_root: Path, kind: str, max_bytes: int) -> list[Seed]:
    element, closing = XML_CUTS[kind]
    seeds: list[Seed] = []
    per_folder: dict[Path, int] = {}
    for path, data in _real(data_root, kind, (f".{kind}",), 4 << 20):
        # At most three files per folder: the runpandas sessions are 70 files from one app, much alike.
        per_folder[path.parent] = per_folder.get(path.parent, 0) + 1
        if per_folder[path.parent] > 3:
            continue
        if len(data) <= max_bytes:
            seeds.append((path.name, data))
        elif (cut := _cut_xml(data, element, closing, max_bytes)) is not None:
            seeds.append((f"head-of-{path.name}", cut))
    return seeds


STRAVA_HEADER_NOTE = "other/strava-export-notes/activities_csv_header.txt"
_STRAVA_ROWS = (  # synthetic rows (no real export rows are in shared/data): a run with its file, a manual walk
    {"Activity ID": "8001", "Activity Date": "Oct 6, 2022, 11:19:20 PM", "Activity Name": "Easy run",
     "Activity Type": "Run", "Elapsed Time": "2500", "Distance": "7.52", "Max Heart Rate": "171",
     "Commute": "false", "Activity Gear": "Pegasus 39", "Filename": "activities/9001.fit.gz",
     "Moving Time": "2400", "Elevation Gain": "41.2", "Average Heart Rate": "148", "Perceived Exertion": "4"},
    {"Activity ID": "8002", "Activity Date": "Oct 7, 2022, 7:05:00 AM", "Activity Name": "Walk to work",
     "Activity Type": "Walk", "Elapsed Time": "1800", "Distance": "2,10", "Commute": "true", "Filename": ""},
)  # fmt: skip


def strava_csv_seeds(data_root: Path) -> list[Seed]:
    note = data_root / STRAVA_HEADER_NOTE
    if note.is_file():
        header = next(x for x in note.read_text(encoding="utf-8").splitlines() if x and not x.startswith("#"))
    else:
        header = "Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Distance,Commute,Filename"
    names = header.split(",")
    rows = [",".join(f'"{row.get(name, "")}"' if "," in row.get(name, "") else row.get(name, "") for name in names)
            for row in _STRAVA_ROWS]  # fmt: skip
    full = "\n".join([header, *rows]) + "\n"
    return [("activities.csv", full.encode()), ("header-only.csv", (header + "\n").encode())]


def apple_health_xml_seeds(data_root: Path) -> list[Seed]:
    seeds = [(f"{p.parent.name}-{p.name}", d) for p, d in _real(data_root, "other", ("export.xml",), 1 << 20)]
    seeds.append(("generated-export.xml", _generated_apple_export()))
    return seeds


def _generated_apple_export() -> bytes:
    """One day of the project's Apple Health generator, thinned to a few elements of each kind (its DOCTYPE, step
    counts, stand hours, another record, a workout, an activity summary) so that it stays a small seed."""
    from gluteguard.samples.apple_health import write_apple_health_export

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xml"
        write_apple_health_export(path, target_bytes=1)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    root = next(i for i, line in enumerate(lines) if line.startswith("<HealthData"))
    blocks: list[list[str]] = []  # each top-level element with its indented children
    for line in lines[root + 1 : -1]:
        if line.startswith(" <") and not line.startswith("  ") and not line.startswith(" </"):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
    wanted = {"StepCount": 6, "AppleStandHour": 4, "Workout": 1, "ActivitySummary": 1, "ExportDate": 1, "Me": 1}
    wanted["other"] = 2  # records of kinds the parser only counts
    kept: list[str] = []
    for block in blocks:
        key = next((k for k in wanted if k in block[0][:120]), "other")
        if wanted[key] > 0:
            wanted[key] -= 1
            kept += block
    return "".join([*lines[: root + 1], *kept, lines[-1]]).encode()


def apple_health_zip_seeds(data_root: Path) -> list[Seed]:
    export = data_root / "other/dogsheep-healthkit-to-sqlite/zip_contents/apple_health_export/export.xml"
    route = data_root / "gpx/dogsheep-healthkit-to-sqlite/zip_contents/apple_health_export/workout-routes"
    members: list[tuple[str, bytes]] = []
    if export.is_file():
        members.append(("apple_health_export/export.xml", export.read_bytes()))
        members += [(f"apple_health_export/workout-routes/{p.name}", p.read_bytes()) for p in sorted(route.glob("*"))]
    else:
        members.append(("apple_health_export/export.xml", _generated_apple_export()))
    return [
        ("export-stored.zip", _zip(members, zipfile.ZIP_STORED)),
        ("export-deflated.zip", _zip(members, zipfile.ZIP_DEFLATED)),
    ]


def _zip(members: list[tuple[str, bytes]], method: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def fitbit_seeds() -> list[Seed]:
    """Generated in the documented shape (fitbit.py's docstring: GGIRread's reader and its test file); the first
    byte picks the file kind and time zone (see targets._load_fitbit)."""
    steps = [
        {"dateTime": f"03/10/24 0{h}:{m:02d}:00", "value": str((h * 7 + m) % 90)} for h in (1, 2, 3) for m in (0, 30)
    ]
    iso = [{"dateTime": f"2024-10-27 02:{m:02d}:00", "value": "12"} for m in (0, 30, 59)]
    sedentary = [{"dateTime": "03/14/24 00:00:00", "value": "610"}, {"dateTime": "03/15/24 00:00:00", "value": "1440"}]
    return [
        ("steps-us-format", bytes([0b010]) + json.dumps(steps).encode()),
        ("steps-iso-format", bytes([0b100]) + json.dumps(iso).encode()),
        ("sedentary", bytes([1]) + json.dumps(sedentary).encode()),
        ("empty-list", bytes([0]) + b"[]"),
    ]


def _gait_series(seconds: float, fps: float) -> Any:  # a KeypointSeries
    from gluteguard.samples.gait_synth import synthetic_run

    return synthetic_run(view="rear", seconds=seconds, fps=fps, seed=7)


def keypoint_csv_seeds(max_bytes: int) -> list[Seed]:
    from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text

    text = keypoints_csv_text(_gait_series(1.2, 10))
    lines = text.splitlines(keepends=True)
    while sum(map(len, lines)) > max_bytes:
        lines.pop()
    return [("generated-keypoints.csv", "".join(lines).encode())]


def openpose_seeds() -> list[Seed]:
    from gluteguard.gait.readers.openpose import BODY_25_TO_BLAZEPOSE

    series = _gait_series(0.4, 30)
    frames = []
    for frame in range(min(series.frames, 12)):
        flat = [0.0] * 75
        for index, name in BODY_25_TO_BLAZEPOSE.items():
            if series.has(name):
                x, y, _ = series.point(name)[frame]
                flat[3 * index : 3 * index + 3] = [round(float(x), 1), round(float(y), 1), 0.8]
        frames.append(json.dumps({"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": flat}]}))
    return [("generated-body25-frames", OPENPOSE_SEPARATOR.join(f.encode() for f in frames))]


def trc_seeds(data_root: Path, max_bytes: int) -> list[Seed]:
    seeds = []
    for path in sorted((data_root / "gait").rglob("*.trc")):
        lines = path.read_bytes().splitlines(keepends=True)
        header, rows = lines[:6], lines[6:]
        kept = list(header)
        for row in rows[::4]:  # every fourth frame: fewer bytes, the same motion
            if sum(map(len, kept)) + len(row) > max_bytes:
                break
            kept.append(row)
        if len(kept) > len(header) + 10:
            seeds.append((f"head-of-{path.parent.name}-{path.name}", b"".join(kept)))
    return seeds


def rbds_seeds(data_root: Path, max_bytes: int) -> list[Seed]:
    folder = data_root / "gait" / "fukuchi-bmc-rbds"
    markers, forces = folder / "RBDS001runT25markers.txt", folder / "RBDS001runT25forces.txt"
    if not markers.is_file():
        return []

    def head(path: Path, limit: int, step: int) -> bytes:
        lines = path.read_bytes().splitlines(keepends=True)
        kept = [lines[0]]
        for row in lines[1::step]:
            if sum(map(len, kept)) + len(row) > limit:
                break
            kept.append(row)
        return b"".join(kept)

    only_markers = head(markers, max_bytes, 10)
    both = head(markers, max_bytes * 3 // 4, 10) + RBDS_FORCES_SEPARATOR + head(forces, max_bytes // 4, 1)
    return [("head-of-RBDS001runT25markers", only_markers), ("head-of-RBDS001runT25-with-forces", both)]


def c3d_seeds(data_root: Path, max_bytes: int) -> list[Seed]:
    """Real C3D files with only their first frames kept (rewritten by ezc3d, which keeps every parameter)."""
    import ezc3d
    import numpy as np

    seeds = []
    for path in sorted((data_root / "gait").rglob("*.c3d")):
        for frames in (12, 4):
            c3d = ezc3d.c3d(str(path))
            points = c3d["data"]["points"][:, :, :frames]
            c3d["data"]["points"] = points
            if "meta_points" in c3d["data"]:
                del c3d["data"]["meta_points"]
            header = c3d["header"]
            ratio = max(1, round(header["analogs"]["frame_rate"] / header["points"]["frame_rate"]))
            c3d["data"]["analogs"] = np.ascontiguousarray(c3d["data"]["analogs"][:, :, : frames * ratio])
            with tempfile.TemporaryDirectory() as folder:
                out = Path(folder) / "cut.c3d"
                c3d.write(str(out))
                data = out.read_bytes()
            if len(data) <= max_bytes:
                seeds.append((f"first-{frames}-frames-of-{path.name}", data))
                break
    return seeds


def archive_seeds(data_root: Path, max_bytes: int) -> list[Seed]:
    small_fit = fit_seeds(data_root, 6000)
    gpx = xml_seeds(data_root, "gpx", 4000)
    tcx = xml_seeds(data_root, "tcx", 6000)
    members: list[tuple[str, bytes]] = []
    if small_fit:
        members.append(("runs/a.fit", small_fit[-1][1]))
    if gpx:
        members.append(("runs/b.gpx", gpx[0][1]))
    members.append(("notes.json", b"{}"))
    nested = _zip([("inner/c.tcx", tcx[0][1])] if tcx else [("inner/x.fit", b"")], zipfile.ZIP_DEFLATED)
    members.append(("more/inner.zip", nested))
    seeds = [
        ("mixed.zip", _zip(members, zipfile.ZIP_DEFLATED)),
        ("mixed-stored.zip", _zip(members, zipfile.ZIP_STORED)),
    ]
    # A Strava bulk export: activities.csv naming a gzipped file, and a manual row without one.
    csv_text = strava_csv_seeds(data_root)[0][1]
    if small_fit:
        strava = [("activities.csv", csv_text), ("activities/9001.fit.gz", gzip.compress(small_fit[0][1]))]
        seeds.append(("strava-export.zip", _zip(strava, zipfile.ZIP_DEFLATED)))
    seeds += apple_health_zip_seeds(data_root)[:1]
    return [(name, data) for name, data in seeds if len(data) <= max_bytes]


def prepare_unit_seeds(data_root: Path, max_bytes: int) -> list[Seed]:
    def name_byte(name: str, fitdecode: bool = False) -> bytes:
        return bytes([PREPARE_NAMES.index(name) | (0x80 if fitdecode else 0)])

    seeds: list[Seed] = []
    for index, (name, data) in enumerate(fit_seeds(data_root, 6000)[::3]):
        seeds.append((f"fit-{name}", name_byte("a.fit", fitdecode=index % 2 == 1) + data))
    for kind in ("gpx", "tcx"):
        for name, data in xml_seeds(data_root, kind, 6000)[:3]:
            seeds.append((f"{kind}-{name}", name_byte(f"a.{kind}") + data))
    fit_gz = fit_seeds(data_root, 4000)
    if fit_gz:
        seeds.append(("fit-gz", name_byte("a.fit.gz") + gzip.compress(fit_gz[-1][1])))
    for name, data in fitbit_seeds()[:1]:
        seeds.append((f"fitbit-{name}", name_byte(FITBIT_NAMES[0]) + data[1:]))
    for name, data in monitoring_seeds(data_root, 8000)[:2]:
        seeds.append((f"monitoring-{name}", name_byte("activity") + data))
    return [(name, data) for name, data in seeds if len(data) <= max_bytes]


def regression_seeds(target: str) -> list[Seed]:
    folder = REGRESSION_CORPUS / target
    return [(f"regression-{p.name}", p.read_bytes()) for p in sorted(folder.glob("*")) if p.is_file()]


def seeds_for(target: str, data_root: Path = SHARED_DATA) -> list[Seed]:
    """The seed corpus of one target (each seed at most the target's -max_len)."""
    max_bytes = TARGETS[target].max_len
    builders = {
        "fit_auto": lambda: fit_seeds(data_root, max_bytes),
        "fit_fitdecode": lambda: fit_seeds(data_root, max_bytes),
        "gpx": lambda: xml_seeds(data_root, "gpx", max_bytes),
        "tcx": lambda: xml_seeds(data_root, "tcx", max_bytes),
        "strava_csv": lambda: strava_csv_seeds(data_root),
        "strava_export": lambda: strava_csv_seeds(data_root),
        "apple_health_xml": lambda: apple_health_xml_seeds(data_root),
        "apple_health_zip": lambda: apple_health_zip_seeds(data_root),
        "garmin_monitoring": lambda: monitoring_seeds(data_root, max_bytes),
        "fitbit": fitbit_seeds,
        "keypoint_csv": lambda: keypoint_csv_seeds(max_bytes),
        "openpose": openpose_seeds,
        "trc": lambda: trc_seeds(data_root, max_bytes),
        "c3d": lambda: c3d_seeds(data_root, max_bytes),
        "rbds": lambda: rbds_seeds(data_root, max_bytes),
        "archive": lambda: archive_seeds(data_root, max_bytes),
        "prepare_unit": lambda: prepare_unit_seeds(data_root, max_bytes),
    }
    seeds = [(name, data[:max_bytes]) for name, data in builders[target]() + regression_seeds(target)]
    return _deduplicated(seeds)


def write_corpus(target: str, folder: Path, data_root: Path = SHARED_DATA) -> list[Seed]:
    folder.mkdir(parents=True, exist_ok=True)
    seeds = seeds_for(target, data_root)
    for index, (name, data) in enumerate(seeds):
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80]
        (folder / f"{index:03d}-{safe}").write_bytes(data)
    return seeds
