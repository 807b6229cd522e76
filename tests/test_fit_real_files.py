"""Every real FIT file in ../shared/data/fit: valid ones give the file's own session totals, damaged ones a
partial activity or a clear error, never a crash."""

from __future__ import annotations

import gzip
import io
import itertools
import warnings
from pathlib import Path

import fitdecode
import pytest

from gluteguard.ingest.dispatch import parse_payload, unwrap
from gluteguard.ingest.model import NotAnActivity, ParseError
from gluteguard.ingest.sources import ExpansionStats, SourceUnit, expand_paths

# Files the MANIFEST names as deliberately damaged (corrupt header, bad CRC, truncated, unexpected EOF)
# plus real files cut short by their recorder (nick.fit; the Strava app bug) — shared/research/parsers.md §3.3.
DAMAGED = {
    "activity-activity-filecrc.fit",
    "activity-filecrc.fit",
    "activity-settings-corruptheader.fit",
    "activity-settings-nodata.fit",
    "activity-unexpected-eof.fit",
    "nick.fit",
    "strava-android-app-201.10-b1218918.fit",
}


def _fit_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "fit").rglob("*") if p.name.lower().endswith((".fit", ".fit.gz")))


def _sessions_by_fitdecode(payload: bytes) -> list[dict] | None:
    """Independent oracle: the file's own session totals as fitdecode reads them (None if it cannot)."""
    sessions: list[dict] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fitdecode.FitReader(io.BytesIO(payload)) as reader:
                for frame in reader:
                    if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "session":
                        sessions.append({f.name: f.value for f in frame.fields})
    except Exception:
        return None
    return sessions


def _payload(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def test_every_real_fit_file(shared_data: Path) -> None:
    files = _fit_files(shared_data)
    assert len(files) > 100, "expected the whole FIT test set"
    compared = 0
    for path in files:
        payload = _payload(path)
        try:
            result = parse_payload(payload, path.name)
        except NotAnActivity:
            continue  # settings, workouts, weight, monitoring: readable, no activity
        except ParseError as exc:
            assert str(exc) and "\n" not in str(exc)
            assert path.name == "empty.fit" or path.name in DAMAGED or "DeveloperData" in path.name, (
                f"{path}: unexpected error {exc}"
            )
            continue
        activities = result.activities
        assert activities, path
        if path.name in DAMAGED:
            assert all(a.partial_reason for a in activities), f"{path}: damage not reported"
            continue
        assert not any(a.partial_reason for a in activities), f"{path}: valid file marked partial"
        if path.stat().st_size > 150_000:
            continue  # keep the pure-Python oracle's time in check; big files are covered elsewhere
        sessions = _sessions_by_fitdecode(payload)
        if not sessions:
            continue
        assert len(activities) == len(sessions), f"{path}: one activity per session"
        for activity, session in zip(activities, sessions, strict=True):
            if session.get("total_distance") not in (None, 0):
                assert activity.distance_m == pytest.approx(session["total_distance"], abs=0.5), path
            if session.get("total_elapsed_time") is not None:
                assert activity.elapsed_s == pytest.approx(session["total_elapsed_time"], abs=0.5), path
            compared += 1
    assert compared > 50


def test_multisport_file_gives_one_activity_per_session(shared_data: Path) -> None:
    path = shared_data / "fit/dtcooper-python-fitparse/activity-large-fenxi2-multisport.fit"
    activities = parse_payload(path.read_bytes()).activities
    assert len(activities) == 7
    assert [a.session_index for a in activities] == list(range(7))
    sports = [a.sport.value for a in activities]
    assert "run" in sports and "ride" in sports
    for earlier, later in itertools.pairwise(activities):
        assert earlier.start_utc < later.start_utc
        # records were split by session time range: no sample of one session leaks into the next
        assert earlier.start_utc.timestamp() + float(earlier.streams.get("time_s")[-1]) <= later.start_utc.timestamp()


def test_truncated_real_file_keeps_records_before_the_damage(shared_data: Path) -> None:
    activity = parse_payload((shared_data / "fit/dtcooper-python-fitparse/nick.fit").read_bytes()).activities[0]
    # In words a runner reads: the file is cut off, not "FitEOFError … @ 768".
    cut_off = "the file ends early (cut off while it was copied or recorded), after record 14391"
    assert activity.partial_reason == cut_off
    assert len(activity.streams) == 14391  # every record before the cut (parsers.md §3.3)


def test_compressed_timestamps_developer_fields_and_chained_files(shared_data: Path) -> None:
    fit = shared_data / "fit"
    compressed = parse_payload((fit / "dtcooper-python-fitparse/compressed-speed-distance.fit").read_bytes())
    assert len(compressed.activities[0].streams) > 700  # the Garmin SDK decodes 0 records here
    developer = parse_payload((fit / "dtcooper-python-fitparse/developer-types-sample.fit").read_bytes())
    assert developer.activities[0].distance_m == pytest.approx(6753.99, abs=0.01)
    chained = parse_payload((fit / "muktihari-fit/chained_Activity_activity_poolswim.fit").read_bytes())
    assert len(chained.activities) == 2


def test_running_dynamics_and_local_offset(shared_data: Path) -> None:
    run = parse_payload(
        (shared_data / "fit/dtcooper-python-fitparse/activity-small-fenix2-run.fit").read_bytes()
    ).activities[0]
    assert run.sport.value == "run"
    assert run.utc_offset_s == 7200
    assert {"vertical_oscillation_mm", "stance_time_ms", "heart_rate_bpm", "cadence_spm"} <= set(run.streams.columns)
    assert 150 < run.avg_cadence_spm < 190  # steps per minute, not strides


def test_gz_and_zip_members_are_unwrapped(shared_data: Path) -> None:
    gz = shared_data / "fit/GoldenCheetah-test-rides/14582164182.fit.gz"
    assert parse_payload(unwrap(gz.read_bytes())).activities
    units = list(expand_paths([shared_data / "fit/GoldenCheetah-test-rides/TacxNeo.fit.zip"], ExpansionStats()))
    assert units and all(isinstance(u, SourceUnit) for u in units)
    assert parse_payload(unwrap(units[0].read())).activities
