"""Every parser entry point of gluteguard as a fuzz target, with the outcomes that count as clean.

A target turns fuzzer bytes into one call of a public entry point, the way the import, the CLI or the web app calls
it. An input is *clean* when the call returns a result whose user-facing messages are one line each, or raises the
entry point's documented refusal (``ParseError`` and its ``NotAnActivity``, the gait readers' ``KeypointError``)
with a one-line message; entry points that never raise (``prepare_unit``, archive expansion) must report problems
as one line and never as "internal parser error". Anything else raised — including a ``BaseException`` such as
pyo3's ``PanicException`` — is a crash.

Shared by the atheris campaign (``benchmarks/fuzz_parsers.py``) and the CI regression test
(``tests/test_fuzz_corpus.py``) so both judge an input the same way. Nothing here imports atheris, and each target
imports its parser modules only in ``load()``: atheris instruments modules as they are imported, inside its hook.
"""

from __future__ import annotations

import io
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Runner = Callable[[bytes, Path], None]  # (fuzzer bytes, a private scratch folder) → None, or raises


class UncleanOutcome(Exception):
    """A documented outcome whose message is not what a user may see (several lines, a traceback, an
    "internal parser error")."""

    def __init__(self, what: str, text: str) -> None:
        super().__init__(f"{what}: {text[:300]!r}")
        self.what = what


@dataclass(frozen=True)
class Finding:
    kind: str  # "crash" (an exception that is no documented refusal) or "unclean" (see UncleanOutcome)
    signature: str  # groups findings of one cause: exception type and the line that raised it
    detail: str  # for the report: message and the innermost frames


@dataclass(frozen=True)
class Target:
    name: str
    summary: str
    load: Callable[[], Runner]
    max_len: int  # libFuzzer -max_len: seeds are at most this long
    # Applied to every other mutated input in the guided campaign: keeps mutants past a check the fuzzer cannot
    # solve by itself (a checksum over the whole file), so the code behind it gets fuzzed too.
    repair: Callable[[bytes], bytes] | None = None


# --- judging ---------------------------------------------------------------------------------------------------


def one_line(what: str, text: object) -> None:
    """Refuse a user-facing message that is empty, spans lines or carries a traceback."""
    if not isinstance(text, str) or not text.strip() or "\n" in text or "\r" in text or "Traceback" in text:
        raise UncleanOutcome(f"{what} is not one line", repr(text))


def _raising_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame in gluteguard's own code (where a fix goes), else the innermost frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/gluteguard/" in f.filename and "/benchmarks/" not in f.filename]
    return (ours or frames or [None])[-1]


def crash_signature(exc: BaseException) -> str:
    frame = _raising_frame(exc)
    if frame is None:
        return type(exc).__name__
    where = frame.filename.split("/src/", 1)[-1].split("site-packages/", 1)[-1]
    return f"{type(exc).__name__} at {where}:{frame.lineno} in {frame.name}"


def judge(runner: Runner, data: bytes, scratch: Path) -> Finding | None:
    """None when ``data`` gives a clean outcome; else what went wrong."""
    try:
        runner(data, scratch)
    except UncleanOutcome as exc:
        return Finding("unclean", exc.what, str(exc))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # PanicException is a BaseException: a crash like any other
        tail = "".join(traceback.format_exception(exc)[-6:])
        return Finding("crash", crash_signature(exc), f"{type(exc).__name__}: {str(exc)[:300]}\n{tail}")
    return None


def _check_activities(activities: Iterable[Any], warnings: Iterable[str]) -> None:
    for warning in warnings:
        one_line("warning", warning)
    for activity in activities:
        if activity.start_utc.tzinfo is None:
            raise UncleanOutcome("activity start without a time zone", str(activity.start_utc))
        if activity.partial_reason is not None:
            one_line("partial reason", activity.partial_reason)


def _check_prepared(prepared: Any, reproduce: Callable[[], None]) -> None:
    """``prepare_unit``'s contract: activities, wearable data, one error line or one not-an-activity line."""
    if prepared.error is not None:
        if prepared.error.startswith("internal parser error"):
            reproduce()  # raises the hidden exception, so the finding names the line that raised it
            raise UncleanOutcome("internal parser error", prepared.error)
        one_line("error", prepared.error)
        return
    if prepared.not_activity is not None:
        one_line("not-an-activity reason", prepared.not_activity)
        return
    if not prepared.activities and prepared.wearable is None:
        raise UncleanOutcome("no activities, no wearable data, no error", prepared.name)
    _check_activities((item.parsed for item in prepared.activities), prepared.warnings)


# --- activity files ------------------------------------------------------------------------------------------


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_FIT_CRC_TABLE = _crc_table()  # the FIT SDK's CRC-16 (polynomial 0x8005, reflected), a byte at a time


def fit_crc(data: bytes) -> int:
    crc = 0
    table = _FIT_CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def repair_fit(data: bytes) -> bytes:
    """A mutated FIT file made to pass fitfast's checks: data size = what follows the header, header and file CRC
    recomputed. fitfast refuses any file whose CRC does not match, so without this nearly every mutant would only
    test the fitdecode fallback, never fitfast's reading and the cut-out summary."""
    if len(data) < 14 or data[0] not in (12, 14) or data[8:12] != b".FIT":
        return data
    header_size = data[0]
    fixed = bytearray(data)
    fixed[4:8] = (len(data) - header_size - 2).to_bytes(4, "little")
    if header_size == 14:
        fixed[12:14] = fit_crc(fixed[:12]).to_bytes(2, "little")
    fixed[-2:] = fit_crc(fixed[:-2]).to_bytes(2, "little")
    return bytes(fixed)


def _load_fit(decoder: str) -> Runner:
    from gluteguard.ingest.fit import parse_fit
    from gluteguard.ingest.model import ParseError

    def run(data: bytes, _scratch: Path) -> None:
        try:
            result = parse_fit(data, decoder=decoder)
        except ParseError as exc:
            one_line("refusal", str(exc))
            return
        _check_activities(result.activities, result.warnings)

    return run


def _load_xml(kind: str) -> Runner:
    from gluteguard.ingest.gpx import parse_gpx
    from gluteguard.ingest.model import ParseError
    from gluteguard.ingest.tcx import parse_tcx

    parse = parse_gpx if kind == "gpx" else parse_tcx

    def run(data: bytes, _scratch: Path) -> None:
        try:
            result = parse(data)
        except ParseError as exc:
            one_line("refusal", str(exc))
            return
        _check_activities(result.activities, result.warnings)

    return run


# --- Strava export ---------------------------------------------------------------------------------------------


def _load_strava_csv() -> Runner:
    from gluteguard.ingest.model import ParseError
    from gluteguard.ingest.strava_csv import read_activities_csv
    from gluteguard.ingest.strava_export import manual_activity, row_meta

    def run(data: bytes, _scratch: Path) -> None:
        try:
            parsed = read_activities_csv(data)
        except ParseError as exc:
            one_line("refusal", str(exc))
            return
        for warning in parsed.warnings:
            one_line("warning", warning)
        for row in parsed.rows:
            meta = row_meta(row, "activities.csv")
            if not row.filename:
                try:
                    manual_activity(meta)
                except ParseError as exc:
                    one_line("refusal", str(exc))

    return run


def _preparation() -> Any:
    """The import's worker-side module (prepare_unit, parse_wearable): pure, no database."""
    from gluteguard.services import import_prepare

    return import_prepare


def _apple_import() -> Any:
    from gluteguard.services import apple_import

    return apple_import


def _reproducer(unit: Any, decoder: str, timezone: str) -> Callable[[], None]:
    """``prepare_unit``'s parsing steps without its catch-all, to surface what it reported as an internal error."""

    def reproduce() -> None:
        from gluteguard.ingest.dispatch import parse_payload, unwrap
        from gluteguard.ingest.model import ParseError
        from gluteguard.ingest.strava_export import apply_export_meta, manual_activity

        try:
            if unit.kind == "strava_manual":
                manual_activity(unit.meta or {})
                return
            payload = unwrap(unit.read())
            if _preparation().parse_wearable(payload, unit.name, timezone) is None:
                result = parse_payload(payload, unit.name, fit_decoder=decoder)
                [apply_export_meta(activity, unit.meta) for activity in result.activities]
        except (ParseError, OSError, MemoryError):
            return

    return reproduce


def _prepare(unit: Any, decoder: str = "auto", timezone: str = "UTC") -> None:
    prepared = _preparation().prepare_unit(unit, decoder, timezone)
    _check_prepared(prepared, _reproducer(unit, decoder, timezone))


def _load_strava_export() -> Runner:
    _preparation()  # imported now, inside the campaign's instrumentation hook
    from gluteguard.ingest.strava_export import StravaIndex

    def run(data: bytes, scratch: Path) -> None:
        export = scratch / "strava_export"
        export.mkdir(exist_ok=True)
        (export / "activities.csv").write_bytes(data)
        index = StravaIndex.scan([export])
        for problem in index.problems:
            one_line("problem", problem.reason)
        index.meta_for(str(export / "activities" / "1.fit"))
        for unit in index.manual_units():
            _prepare(unit)

    return run


# --- wearables ------------------------------------------------------------------------------------------------


def _load_apple_health_xml() -> Runner:
    from gluteguard.ingest.apple_health import parse_apple_health
    from gluteguard.ingest.apple_health_prolog import looks_like_apple_health
    from gluteguard.ingest.model import ParseError

    def run(data: bytes, _scratch: Path) -> None:
        looks_like_apple_health(data[: 64 * 1024])
        try:
            result = parse_apple_health(io.BytesIO(data))
        except ParseError as exc:
            one_line("refusal", str(exc))
            return
        _check_activities(result.workouts, result.warnings)

    return run


def _load_apple_health_zip() -> Runner:
    apple_import = _apple_import()
    from gluteguard.ingest.apple_health_zip import parse_apple_health_zip
    from gluteguard.ingest.model import ParseError

    def run(data: bytes, scratch: Path) -> None:
        path = scratch / "export.zip"
        path.write_bytes(data)
        apple_import.find_apple_exports([path])  # how the import recognises an export: must never raise
        try:
            result = parse_apple_health_zip(path)
        except ParseError as exc:
            one_line("refusal", str(exc))
            return
        _check_activities(result.workouts, result.warnings)

    return run


def _load_garmin_monitoring() -> Runner:
    from gluteguard.ingest.garmin_monitoring import is_garmin_monitoring, parse_garmin_monitoring
    from gluteguard.ingest.model import ParseError

    def run(data: bytes, _scratch: Path) -> None:
        is_garmin_monitoring(data)
        try:
            result = parse_garmin_monitoring(data)
        except ParseError as exc:
            one_line("refusal", str(exc))
            return
        for warning in result.warnings:
            one_line("warning", warning)

    return run


FITBIT_NAMES = ("steps-2024-03-14.json", "sedentary_minutes-2024-03-14.json")
FITBIT_ZONES = ("UTC", "Europe/Berlin", "America/Chicago", "Australia/Lord_Howe")


def _load_fitbit() -> Runner:
    preparation = _preparation()
    from gluteguard.ingest.model import ParseError

    def run(data: bytes, _scratch: Path) -> None:
        if not data:
            return
        # The first byte picks the file kind and the wearer's time zone (DST gaps and folds differ by zone).
        name = FITBIT_NAMES[data[0] & 1]
        zone = FITBIT_ZONES[(data[0] >> 1) % len(FITBIT_ZONES)]
        try:
            result = preparation.parse_wearable(data[1:], name, zone)
        except ParseError as exc:
            one_line("refusal", str(exc))
            return
        if result is not None:
            for warning in result.warnings:
                one_line("warning", warning)

    return run


# --- stride inputs (gait readers), through gait.inputs.read_input as the CLI and web app call it ---------------

OPENPOSE_FRAMES = 12  # the reader needs at least 10 frames
OPENPOSE_SEPARATOR = b"\x00"  # never inside valid JSON text: splits one fuzz input into frames
RBDS_FORCES_SEPARATOR = b"\n#forces\n"
GAIT_FPS = 30.0


def _load_gait(kind: str) -> Runner:
    from gluteguard.gait.inputs import read_input
    from gluteguard.gait.model import KeypointError

    # Imported here (read_input imports them lazily) so that atheris instruments them.
    from gluteguard.gait.readers import c3d, csv_keypoints, openpose, rbds, trc  # noqa: F401

    def write(data: bytes, scratch: Path) -> Path:
        if kind == "openpose":
            folder = scratch / "openpose"
            folder.mkdir(exist_ok=True)
            frames = data.split(OPENPOSE_SEPARATOR)[:OPENPOSE_FRAMES]
            for index in range(OPENPOSE_FRAMES):  # always the same names, so each input overwrites the last
                (folder / f"clip_{index:012d}_keypoints.json").write_bytes(frames[index % len(frames)])
            return folder
        if kind == "rbds":
            markers, _, forces = data.partition(RBDS_FORCES_SEPARATOR)
            path = scratch / "RBDSfuzzrunT25markers.txt"
            path.write_bytes(markers)
            forces_path = scratch / "RBDSfuzzrunT25forces.txt"
            if forces:
                forces_path.write_bytes(forces)
            else:
                forces_path.unlink(missing_ok=True)
            return path
        path = scratch / f"input.{ {'keypoint_csv': 'csv', 'trc': 'trc', 'c3d': 'c3d'}[kind] }"
        path.write_bytes(data)
        return path

    def run(data: bytes, scratch: Path) -> None:
        try:
            read_input(write(data, scratch), fps=GAIT_FPS if kind == "openpose" else None)
        except KeypointError as exc:
            one_line("refusal", str(exc))

    return run


# --- archives and the whole preparation path -----------------------------------------------------------------


def _load_archive() -> Runner:
    apple_import = _apple_import()
    _preparation()
    from gluteguard.ingest.apple_health_zip import parse_apple_health_zip
    from gluteguard.ingest.model import ParseError
    from gluteguard.ingest.sources import ExpansionStats, SourceProblem, expand_paths
    from gluteguard.ingest.strava_export import StravaIndex

    def run(data: bytes, scratch: Path) -> None:
        # import_paths without the database: Strava index, Apple export, expansion, then each file prepared.
        paths = [scratch / "upload.zip"]
        paths[0].write_bytes(data)
        strava = StravaIndex.scan(paths)
        for problem in strava.problems:
            one_line("problem", problem.reason)
        apple = [export for _, export in apple_import.find_apple_exports(paths)]
        for export in apple:
            try:
                parse_apple_health_zip(export)
            except ParseError as exc:
                one_line("refusal", str(exc))
        for item in expand_paths(
            paths, ExpansionStats(), meta_for=strava.meta_for, skip=apple_import.apple_files(apple)
        ):
            if isinstance(item, SourceProblem):
                one_line("problem", item.reason)
                continue
            if strava.is_index_file(item.name):
                continue
            try:
                _prepare(item)
            finally:
                item.discard()
        for unit in strava.manual_units():
            _prepare(unit)

    return run


# Names a file can arrive under; the first byte of an input picks one (content decides the format, names only
# steer gzip, Fitbit and the "named .fit" messages).
PREPARE_NAMES = (
    "a.fit",
    "a.gpx",
    "a.tcx",
    "a.fit.gz",
    "a.gpx.gz",
    "activity",
    "A.FIT",
    "steps-2024-03-14.json",
    "sedentary_minutes-2024-03-14.json",
    "export.zip!activities/123.tcx.gz",
)


def _load_prepare_unit() -> Runner:
    from gluteguard.ingest.sources import SourceUnit

    _preparation()

    def run(data: bytes, _scratch: Path) -> None:
        if not data:
            return
        name = PREPARE_NAMES[(data[0] & 0x7F) % len(PREPARE_NAMES)]
        decoder = "fitdecode" if data[0] & 0x80 else "auto"
        _prepare(SourceUnit(name=name, data=data[1:]), decoder, "Europe/Berlin")

    return run


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "fit_auto",
            "ingest.fit.parse_fit(decoder='auto'): fitfast, fitdecode fallback",
            lambda: _load_fit("auto"),
            16384,
            repair_fit,
        ),
        Target("fit_fitdecode", "ingest.fit.parse_fit(decoder='fitdecode')", lambda: _load_fit("fitdecode"), 16384),
        Target("gpx", "ingest.gpx.parse_gpx", lambda: _load_xml("gpx"), 16384),
        Target("tcx", "ingest.tcx.parse_tcx", lambda: _load_xml("tcx"), 16384),
        Target("strava_csv", "strava_csv.read_activities_csv + row_meta/manual_activity", _load_strava_csv, 8192),
        Target(
            "strava_export",
            "strava_export.StravaIndex.scan on activities.csv, manual rows prepared",
            _load_strava_export,
            8192,
        ),
        Target("apple_health_xml", "apple_health.parse_apple_health(BytesIO)", _load_apple_health_xml, 16384),
        Target(
            "apple_health_zip",
            "apple_import.find_apple_exports + apple_health_zip.parse_apple_health_zip",
            _load_apple_health_zip,
            16384,
        ),
        Target("garmin_monitoring", "garmin_monitoring.is_/parse_garmin_monitoring", _load_garmin_monitoring, 16384),
        Target("fitbit", "import_prepare.parse_wearable → fitbit.parse_fitbit_export", _load_fitbit, 8192),
        Target(
            "keypoint_csv",
            "gait.inputs.read_input(.csv) → readers.csv_keypoints",
            lambda: _load_gait("keypoint_csv"),
            32768,
        ),
        Target("openpose", "gait.inputs.read_input(folder) → readers.openpose", lambda: _load_gait("openpose"), 32768),
        Target(
            "trc", "gait.inputs.read_input(.trc) → readers.trc (+ mocap projection)", lambda: _load_gait("trc"), 32768
        ),
        Target("c3d", "gait.inputs.read_input(.c3d) → readers.c3d (ezc3d)", lambda: _load_gait("c3d"), 32768),
        Target("rbds", "gait.inputs.read_input(RBDS .txt) → readers.rbds", lambda: _load_gait("rbds"), 32768),
        Target(
            "archive", "sources.expand_paths on a zip + StravaIndex + Apple export + prepare_unit", _load_archive, 65536
        ),
        Target("prepare_unit", "services.import_prepare.prepare_unit (dispatch by content)", _load_prepare_unit, 32768),
    )
}
