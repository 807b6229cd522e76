"""The sample runner and its FIT writer: determinism, decoding by two independent readers, realism.

Generating the 16 weeks takes well under a second but encoding all of them takes ~15 s, so the history
is simulated once per module and only a few representative runs are encoded.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import fitdecode
import fitfast
import numpy as np
import pytest
from garmin_fit_sdk import Encoder

from gluteguard.samples import (
    DEFAULT_END_DATE,
    SAMPLE_WEEKS,
    SAMPLE_ZONE,
    SPIKE_WEEK,
    SyntheticRun,
    encode_fit,
    fitwriter,
    one_hour_run,
    runner,
    sample_runner_runs,
    write_sample_runner,
)


@pytest.fixture(scope="module")
def runs() -> list[SyntheticRun]:
    return sample_runner_runs()


def week_of(run: SyntheticRun, end: date = DEFAULT_END_DATE) -> int:
    local_day = run.start_utc.astimezone(SAMPLE_ZONE).date()
    return SAMPLE_WEEKS - (end - local_day).days // 7


@pytest.fixture(scope="module")
def chosen(runs: list[SyntheticRun]) -> dict[str, SyntheticRun]:
    """One run of each kind the importer must handle: GPS run, treadmill (no positions), walk."""
    outdoor = [r for r in runs if r.sport == "running" and r.lat_deg is not None]
    return {
        "outdoor": min(outdoor, key=lambda r: r.elapsed_s),
        "treadmill": next(r for r in runs if r.sub_sport == "treadmill"),
        "walk": next(r for r in runs if r.sport == "walking"),
    }


@pytest.fixture(scope="module")
def encoded(chosen: dict[str, SyntheticRun]) -> dict[str, bytes]:
    return {kind: encode_fit(run) for kind, run in chosen.items()}


def fitdecode_messages(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """All data messages via fitdecode, failing on a bad CRC or any decoding problem."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with fitdecode.FitReader(
        io.BytesIO(data), check_crc=fitdecode.CrcCheck.ENABLED, error_handling=fitdecode.ErrorHandling.RAISE
    ) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                out[frame.name].append({f.name: f.value for f in frame.fields if f.value is not None})
    return out


# --- determinism -------------------------------------------------------------------------------------


def test_same_call_gives_identical_runs_and_bytes(runs: list[SyntheticRun], encoded: dict[str, bytes]) -> None:
    again = sample_runner_runs()
    assert [r.start_utc for r in again] == [r.start_utc for r in runs]
    for a, b in zip(again, runs, strict=True):
        np.testing.assert_array_equal(a.heart_rate_bpm, b.heart_rate_bpm)
        np.testing.assert_array_equal(a.distance_m, b.distance_m)
    walk = next(r for r in again if r.sport == "walking")
    assert encode_fit(walk) == encoded["walk"]


def test_end_date_moves_the_dates_not_the_runs(runs: list[SyntheticRun]) -> None:
    end = date(2025, 3, 30)  # a Sunday, the day summer time starts
    moved = sample_runner_runs(end)
    assert moved[-1].start_utc.astimezone(SAMPLE_ZONE).date() == end
    assert min(r.start_utc for r in moved).date() >= end - timedelta(weeks=SAMPLE_WEEKS)
    assert [round(r.total_distance_m) for r in moved] == [round(r.total_distance_m) for r in runs]
    assert {r.utc_offset_s for r in moved} == {3600, 7200}


def test_layout_reuse_writes_the_same_bytes_as_the_plain_sdk_encoder(
    chosen: dict[str, SyntheticRun], encoded: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fitwriter, "_LayoutReusingEncoder", Encoder)
    assert encode_fit(chosen["outdoor"]) == encoded["outdoor"]


def test_one_hour_runs_are_distinct_full_hours() -> None:
    first, again, second = one_hour_run(7), one_hour_run(7), one_hour_run(8)
    assert first == again and first != second
    columns = [fitfast.records(data) for data in (first, second)]
    for records in columns:
        assert len(records["timestamp"]) == 3600
        for field in ("position_lat", "heart_rate", "cadence", "vertical_oscillation", "stance_time"):
            assert not np.isnan(records[field]).any(), field
    assert columns[0]["timestamp"][0] != columns[1]["timestamp"][0]


# --- decoding -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["outdoor", "treadmill", "walk"])
def test_fitfast_and_fitdecode_read_the_same_activity(
    kind: str, chosen: dict[str, SyntheticRun], encoded: dict[str, bytes]
) -> None:
    run, data = chosen[kind], encoded[kind]
    fast = fitfast.records(data)
    parsed = fitfast.parse(data)
    slow = fitdecode_messages(data)
    n = len(run.time_s)

    assert len(fast["timestamp"]) == n == len(slow["record"]) == len(parsed["record"])
    assert np.all(np.diff(fast["timestamp"]) == 1.0)
    assert fast["timestamp"][0] == run.start_utc.timestamp()
    assert np.all(np.diff(fast["distance"]) >= 0.0)
    slow_distance = np.array([m["distance"] for m in slow["record"]])
    np.testing.assert_allclose(slow_distance, fast["distance"], atol=1e-9)
    slow_hr = np.array([m["heart_rate"] for m in slow["record"]])
    np.testing.assert_array_equal(slow_hr, fast["heart_rate"])
    steps = 2.0 * (fast["cadence"] + fast["fractional_cadence"])  # strides/min back to steps/min
    np.testing.assert_allclose(steps, run.cadence_spm, atol=2.0 / 128.0)

    has_gps = run.lat_deg is not None
    assert ("position_lat" in slow["record"][0]) == has_gps
    if run.lat_deg is not None:
        np.testing.assert_allclose(fast["position_lat"], run.lat_deg, atol=1e-6)
    has_dynamics = run.vertical_oscillation_mm is not None
    assert ("stance_time" in fast) == has_dynamics == ("vertical_ratio" in slow["record"][0])

    session = parsed["session"][0]
    assert session["sport"] == run.sport and session["sub_sport"] == run.sub_sport
    assert abs(session["total_distance"] - fast["distance"][-1]) <= 1.0
    assert abs(slow["session"][0]["total_distance"] - slow_distance[-1]) <= 1.0
    assert session["total_elapsed_time"] == fast["timestamp"][-1] - fast["timestamp"][0]
    assert session["start_time"] == fast["timestamp"][0]
    assert abs(session["avg_heart_rate"] - np.mean(fast["heart_rate"])) <= 0.5
    assert session["max_heart_rate"] == np.max(fast["heart_rate"])
    climb = np.diff(fast["enhanced_altitude"])
    assert abs(session["total_ascent"] - climb[climb > 0].sum()) <= 1.0
    laps = parsed["lap"]
    assert session["num_laps"] == len(laps) == len(slow["lap"])
    assert abs(sum(lap["total_distance"] for lap in laps) - session["total_distance"]) <= 0.05 * len(laps)

    # Readers recover the local offset as activity.local_timestamp - activity.timestamp.
    activity = parsed["activity"][0]
    assert activity["local_timestamp"] - activity["timestamp"] == run.utc_offset_s  # both Unix seconds
    slow_activity = slow["activity"][0]
    offset = slow_activity["local_timestamp"] - slow_activity["timestamp"]  # fitdecode: both datetimes
    assert offset == timedelta(seconds=run.utc_offset_s)
    assert parsed["file_id"][0]["manufacturer"] == "garmin"
    assert parsed["file_id"][0]["type"] == "activity"


# --- the runner's story -------------------------------------------------------------------------------


def test_sixteen_weeks_of_three_to_five_runs(runs: list[SyntheticRun]) -> None:
    per_week: dict[int, int] = defaultdict(int)
    for run in runs:
        if run.sport == "running":
            per_week[week_of(run)] += 1
    assert sorted(per_week) == list(range(1, SAMPLE_WEEKS + 1))
    assert all(3 <= count <= 5 for count in per_week.values())
    assert sum(r.sport == "walking" for r in runs) == 1
    treadmill = [r for r in runs if r.sub_sport == "treadmill"]
    assert treadmill and all(r.lat_deg is None for r in treadmill)
    assert any(r.sub_sport == "trail" for r in runs)


def test_long_runs_on_sunday_grow_gently(runs: list[SyntheticRun]) -> None:
    longest = {week_of(r): r for r in sorted(runs, key=lambda r: r.total_distance_m)}
    assert all(r.start_utc.astimezone(SAMPLE_ZONE).weekday() == 6 for r in longest.values())
    assert 7.9 <= longest[1].total_distance_m / 1000 <= 8.5
    assert 13.9 <= longest[SAMPLE_WEEKS].total_distance_m / 1000 <= 14.5


def test_week_thirteen_spikes(runs: list[SyntheticRun]) -> None:
    spike = max((r for r in runs if week_of(r) == SPIKE_WEEK), key=lambda r: r.total_distance_m)
    before = [r for r in runs if timedelta(0) < spike.start_utc - r.start_utc <= timedelta(days=30)]
    assert spike.total_distance_m > 1.3 * max(r.total_distance_m for r in before)
    weekly: dict[int, float] = defaultdict(float)
    for run in runs:
        weekly[week_of(run)] += run.total_distance_m if run.sport == "running" else 0.0
    assert weekly[SPIKE_WEEK] > 1.3 * weekly[SPIKE_WEEK - 1]
    jumps = [w for w in range(2, SAMPLE_WEEKS + 1) if weekly[w] > 1.3 * weekly[w - 1]]
    assert jumps == [SPIKE_WEEK]  # the mistake is deliberate and unique


def test_local_offsets_follow_berlin_daylight_saving(runs: list[SyntheticRun]) -> None:
    for run in runs:
        expected = run.start_utc.astimezone(SAMPLE_ZONE).utcoffset()
        assert expected is not None and run.utc_offset_s == expected.total_seconds()
    assert {r.utc_offset_s for r in runs} == {3600, 7200}  # the default span crosses 25 Oct 2026


def test_realistic_ranges(runs: list[SyntheticRun]) -> None:
    for run in runs:
        assert run.start_utc.tzinfo is not None
        assert np.all(np.diff(run.time_s) == 1)
        if run.sport == "walking":
            assert run.heart_rate_bpm.min() >= 80 and run.heart_rate_bpm.max() <= 130
            assert run.vertical_oscillation_mm is None
            continue
        pace_min_km = run.elapsed_s / 60.0 / (run.total_distance_m / 1000.0)
        assert 5.3 <= pace_min_km <= 6.7
        assert run.heart_rate_bpm.min() >= 90 and run.heart_rate_bpm.max() <= 195
        assert run.cadence_spm.min() >= 150 and run.cadence_spm.max() <= 190
        assert 160 <= run.cadence_spm.mean() <= 176
        assert run.vertical_oscillation_mm is not None and run.stance_time_ms is not None
        assert run.step_length_mm is not None and run.vertical_ratio_pct is not None
        assert run.stance_time_balance_pct is not None
        assert 70 <= run.vertical_oscillation_mm.mean() <= 100
        assert 230 <= run.stance_time_ms.mean() <= 280
        assert 49.5 <= run.stance_time_balance_pct.mean() <= 50.5
        step_m = run.speed_mps / (run.cadence_spm / 60.0)
        np.testing.assert_allclose(run.step_length_mm, step_m * 1000.0)
        np.testing.assert_allclose(run.vertical_ratio_pct, run.vertical_oscillation_mm / run.step_length_mm * 100)


def test_heart_rate_rises_with_pace_and_drifts(runs: list[SyntheticRun]) -> None:
    outdoor = [r for r in runs if r.sport == "running" and r.lat_deg is not None]
    pace = np.array([r.elapsed_s / r.total_distance_m for r in outdoor])
    hr = np.array([r.heart_rate_bpm.mean() for r in outdoor])
    assert np.corrcoef(pace, hr)[0, 1] < -0.3  # faster (smaller pace) means higher heart rate
    spike = max(runs, key=lambda r: r.total_distance_m)
    quarter = len(spike.time_s) // 4
    # Cardiac drift: the last quarter beats faster per metre per second than the second quarter.
    effort = spike.heart_rate_bpm / spike.speed_mps
    assert effort[-quarter:].mean() > effort[quarter : 2 * quarter].mean()


def test_sample_files_are_named_by_local_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "encode_fit", lambda run: b"fit")  # naming only; encoding is tested above
    paths = write_sample_runner(tmp_path / "samples")
    assert len(paths) == len({p.name for p in paths}) == len(sample_runner_runs())
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}-(run|walk)\.fit", p.name) for p in paths)
    assert paths[-1].name == f"{DEFAULT_END_DATE.isoformat()}-run.fit"
    assert sum(p.name.endswith("-walk.fit") for p in paths) == 1


def test_naive_start_is_rejected() -> None:
    column = np.zeros(3)
    with pytest.raises(ValueError, match="timezone-aware"):
        SyntheticRun(datetime(2026, 1, 1), 0, "running", "generic", np.arange(3), *([column] * 5))
    with pytest.raises(ValueError, match="samples"):
        SyntheticRun(datetime(2026, 1, 1, tzinfo=UTC), 0, "running", "generic", np.arange(4), *([column] * 5))
