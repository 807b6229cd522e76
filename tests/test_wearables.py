"""Wearable exports: Apple Health (streamed export.xml / export.zip), Garmin monitoring FIT, Fitbit JSON."""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gluteguard.ingest.apple_health import parse_apple_health
from gluteguard.ingest.apple_health_prolog import looks_like_apple_health
from gluteguard.ingest.apple_health_zip import (
    export_zip_members,
    find_export_xml,
    looks_like_apple_health_zip,
    parse_apple_health_zip,
)
from gluteguard.ingest.fitbit import (
    fitbit_file_kind,
    parse_fitbit_export,
    parse_fitbit_sedentary_minutes,
    parse_fitbit_steps,
)
from gluteguard.ingest.garmin_monitoring import is_garmin_monitoring, parse_garmin_monitoring
from gluteguard.ingest.model import ParseError, Sport
from gluteguard.samples.apple_health import ExportTruth, write_apple_health_export, zip_apple_health_export
from gluteguard.samples.monitoring import monitoring_file

DOGSHEEP = "other/dogsheep-healthkit-to-sqlite"
DOGSHEEP_ROUTE = "gpx/dogsheep-healthkit-to-sqlite/zip_contents/apple_health_export"
MONITORING_SDK = "fit/dtcooper-python-fitparse/MonitoringFile.fit"


def _parse_bytes(data: bytes, **kwargs):
    return parse_apple_health(io.BytesIO(data), **kwargs)


def _one_line_error(data: bytes) -> str:
    with pytest.raises(ParseError) as caught:
        _parse_bytes(data)
    message = str(caught.value)
    assert message and "\n" not in message
    return message


# --- Apple Health: the real dogsheep samples ----------------------------------------------------------------


def test_dogsheep_export_workout_summaries_and_utc(shared_data: Path) -> None:
    data = (shared_data / DOGSHEEP / "export.xml").read_bytes()
    result = _parse_bytes(data)
    assert result.kind == "apple_health"
    assert result.steps == () and result.stand_hours == ()  # the sample holds neither
    (workout,) = result.workouts
    # startDate="2016-11-14 07:25:41 -0700", endDate="… 07:30:52 -0700"
    assert workout.start_utc == datetime(2016, 11, 14, 14, 25, 41, tzinfo=UTC)
    assert workout.elapsed_s == 311.0
    assert workout.moving_s == pytest.approx(5.19412346680959 * 60)
    assert workout.distance_m == pytest.approx(0.4971749504535062 * 1609.344)  # 0.497 mi ≈ 800 m
    assert workout.sport == Sport.RUN and workout.device == "Apple Watch"
    # HKTimeZone America/Los_Angeles was on PST (-8 h) that day, whatever offset the export wrote (-0700).
    assert workout.utc_offset_s == -8 * 3600
    assert len(workout.streams) == 2  # the pre-iOS-12 inline <Location> route
    assert result.meta["workouts"][0]["energy_kcal"] == pytest.approx(48.745)
    assert [s["stand_hours"] for s in result.meta["activity_summaries"]] == [13.0, 9.0]
    assert result.meta["record_counts"] == {
        "HKQuantityTypeIdentifierBodyMassIndex": 1,
        "HKQuantityTypeIdentifierHeartRate": 1,
    }
    assert result.meta["export_date"] == "2019-07-19T17:36:11+00:00"


def test_dogsheep_zip_layout_attaches_route_gpx(shared_data: Path, tmp_path: Path) -> None:
    xml = shared_data / DOGSHEEP / "zip_contents/apple_health_export/export.xml"
    route = shared_data / DOGSHEEP_ROUTE / "workout-routes/route_2019-06-11_3.00pm.gpx"
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(xml, "apple_health_export/export.xml")
        out.write(route, "apple_health_export/workout-routes/route_2019-06-11_3.00pm.gpx")
    result = parse_apple_health_zip(archive)
    (workout,) = result.workouts
    assert len(workout.streams) == 3  # the GPX's three points
    assert workout.streams.get("lat_deg")[0] == pytest.approx(37.781672)
    # The sample pairs a 2016 workout with a 2019 route: attached, but the mismatch is reported.
    assert any("outside the workout" in warning for warning in result.warnings)
    with zipfile.ZipFile(archive) as opened:
        assert looks_like_apple_health_zip(opened)
    direct = parse_apple_health(xml.open("rb"), routes=lambda path: None)
    assert any("missing from the export" in warning for warning in direct.warnings)


def test_detection_on_heads(shared_data: Path, generated: ExportTruth) -> None:
    assert looks_like_apple_health((shared_data / DOGSHEEP / "export.xml").read_bytes()[:4096])
    head = generated.path.read_bytes()[:65536]
    assert looks_like_apple_health(head)
    assert looks_like_apple_health(head[:2048])  # inside the DOCTYPE: its name says HealthData
    route = (shared_data / DOGSHEEP_ROUTE / "workout-routes/route_2019-06-11_3.00pm.gpx").read_bytes()
    assert not looks_like_apple_health(route)
    # A hostile export still claims to be one: it goes to the export's parser, which refuses it with its reason.
    assert looks_like_apple_health(b'<!DOCTYPE HealthData [<!ENTITY a "b">]><HealthData/>')
    assert looks_like_apple_health(b'<!DOCTYPE HealthData SYSTEM "http://example.invalid/x.dtd"><HealthData/>')
    assert not looks_like_apple_health(b'<!DOCTYPE gpx [<!ENTITY a "b">]><gpx/>')
    assert not looks_like_apple_health(b"\x00\x01binary")
    assert find_export_xml(["a/export.xml", "apple_health_export/export.xml", "export_cda.xml"]) == (
        "apple_health_export/export.xml"
    )
    assert find_export_xml(["x/y/z/export.xml", "__MACOSX/apple_health_export/export.xml"]) is None


# --- Apple Health: generated exports ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> ExportTruth:
    folder = tmp_path_factory.mktemp("apple")
    return write_apple_health_export(
        folder / "export.xml",
        target_bytes=1_500_000,
        start_day=date(2023, 3, 10),  # three days across the US switch to daylight saving time (12 March)
        routes_dir=folder / "workout-routes",
        route_step_s=20,
    )


def _check_against_truth(result, truth: ExportTruth) -> None:
    assert result.meta["step_totals_by_source"] == truth.step_totals
    assert len(result.steps) == truth.step_samples
    assert len(result.stand_hours) == truth.stand_hours
    assert sum(hour.stood for hour in result.stand_hours) == truth.stood_hours
    assert len(result.workouts) == truth.workouts
    assert sum(w.distance_m for w in result.workouts) == pytest.approx(truth.workout_distance_m)
    assert sum(result.meta["record_counts"].values()) == truth.skipped_records + truth.step_samples + truth.stand_hours
    assert min(sample.start for sample in result.steps) == truth.first_step_utc
    assert all(sample.start.tzinfo is UTC for sample in result.steps[:50])


def test_generated_export_matches_what_was_written(generated: ExportTruth) -> None:
    progress: list[int] = []
    routes_dir = generated.path.parent
    result = parse_apple_health(
        generated.path.open("rb"),
        routes=lambda path: (routes_dir / path.lstrip("/")).read_bytes(),
        on_progress=progress.append,
    )
    _check_against_truth(result, generated)
    assert progress == sorted(progress) and progress[-1] == generated.bytes_written
    assert set(result.meta["step_totals_by_source"]) == {"Ana’s Apple Watch", "Ana’s iPhone"}
    assert result.warnings == ()
    for workout in result.workouts:
        assert len(workout.streams) > 50 and workout.utc_offset_s in (-8 * 3600, -7 * 3600)
        assert 0 <= workout.streams.get("time_s")[0] < 60  # rebased onto the workout's start
    # The export spans the March DST switch: offsets in the dates change, UTC stays continuous.
    offsets = {workout.utc_offset_s for workout in result.workouts}
    assert offsets == {-8 * 3600, -7 * 3600}


def test_generated_export_streams_from_zip(generated: ExportTruth, tmp_path: Path) -> None:
    archive = zip_apple_health_export(generated.path, tmp_path / "export.zip", generated.path.parent / "workout-routes")
    result = parse_apple_health_zip(archive)
    _check_against_truth(result, generated)
    assert all(len(workout.streams) > 50 for workout in result.workouts)
    with open(archive, "rb") as handle:  # a binary file object works as well as a path
        assert len(parse_apple_health_zip(handle).steps) == generated.step_samples


# --- Apple Health: hostile and broken input ----------------------------------------------------------------

_GOOD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
    b' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count" '
    b'startDate="2024-01-02 09:00:00 +0100" endDate="2024-01-02 09:05:00 +0100" value="120"/>\n'
    b"</HealthData>\n"
)


def test_minimal_export_converts_offset_to_utc() -> None:
    (sample,) = _parse_bytes(_GOOD).steps
    assert sample.start == datetime(2024, 1, 2, 8, 0, tzinfo=UTC) and sample.steps == 120.0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'<!DOCTYPE HealthData [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><HealthData>&b;</HealthData>', "entities"),
        (b'<!DOCTYPE HealthData SYSTEM "http://127.0.0.1:9/x.dtd"><HealthData>&ext;</HealthData>', "external DTD"),
        # A PI in the subset that hides a "]>" must not make the entity after it go unseen.
        (b'<!DOCTYPE HealthData [<?pi ]><HealthData>?><!ENTITY a "b">]><HealthData>&a;</HealthData>', "entities"),
        (b"<gpx><trk/></gpx>", "root element is <gpx>"),
        (_GOOD[:-30], "truncated"),
        (_GOOD[:30], "truncated"),
        (_GOOD.replace(b"2024-01-02 09:00:00 +0100", b"yesterday"), "malformed date"),
        (_GOOD.replace(b"2024-01-02 09:00:00 +0100", b"2024-01-02 09:00:00"), "without a UTC offset"),
        (_GOOD.replace(b'value="120"', b'value="lots"'), "malformed step count"),
        (b"", "empty"),
        (b"PK\x03\x04 not xml", "not an XML document"),
        (_GOOD.replace(b"<HealthData", b"<HealthData><Record></Nope>", 1), "not well-formed"),
        (_GOOD.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'), "encoding"),
    ],
)
def test_bad_or_foreign_xml_is_one_line_error(data: bytes, expected: str) -> None:
    assert expected in _one_line_error(data)


def test_entity_marker_split_across_chunks_is_found() -> None:
    # Past the 64 KiB first read, so the declaration straddles the parser's chunk border.
    padding = b"<!-- " + b"x" * (64 * 1024 - 12) + b" -->"
    data = b"<!DOCTYPE HealthData [" + padding + b'<!ENTITY a "b">]><HealthData>&a;</HealthData>'
    assert "entities" in _one_line_error(data)


def test_huge_text_node_and_attribute_are_refused() -> None:
    huge = b"x" * 11_000_000
    assert "text node" in _one_line_error(b"<HealthData><Record>" + huge + b"</Record></HealthData>")
    assert "size limit" in _one_line_error(b'<HealthData><Record value="' + huge + b'"/></HealthData>')


def _zip_bytes(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def test_zip_bomb_traversal_and_missing_export_are_refused() -> None:
    bomb = b'<HealthData locale="en_US">' + b" " * 5_000_000 + b"</HealthData>"
    with pytest.raises(ParseError, match="compression ratio"):
        parse_apple_health_zip(_zip_bytes({"apple_health_export/export.xml": bomb}))
    with pytest.raises(ParseError, match="path traversal"):
        parse_apple_health_zip(_zip_bytes({"apple_health_export/export.xml": _GOOD, "../evil.gpx": b"x"}))
    with pytest.raises(ParseError, match=r"no export\.xml"):
        parse_apple_health_zip(_zip_bytes({"activities.csv": b"a,b"}))
    with pytest.raises(ParseError, match="not a readable zip"):
        parse_apple_health_zip(io.BytesIO(b"not a zip at all"))
    # A FileReference that climbs out of the export is never looked up.
    with zipfile.ZipFile(_zip_bytes({"apple_health_export/export.xml": _GOOD})) as archive:
        assert export_zip_members(archive).route("/../../etc/passwd") is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=10_000))
def test_truncation_never_returns_partial_data(cut: int) -> None:
    data = _TRUNCATION_SOURCE
    cut = cut * len(data) // 10_000
    if cut >= len(data.rstrip()):
        return
    with pytest.raises(ParseError) as caught:
        _parse_bytes(data[:cut])
    assert "\n" not in str(caught.value)


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0, max_value=10_000), byte=st.integers(min_value=0, max_value=255))
def test_a_damaged_byte_gives_data_or_parse_error_never_a_crash(position: int, byte: int) -> None:
    data = bytearray(_TRUNCATION_SOURCE)
    data[position * (len(data) - 1) // 10_000] = byte
    try:
        result = _parse_bytes(bytes(data))
    except ParseError as exc:
        assert "\n" not in str(exc)
    else:
        assert len(result.steps) <= 200


def _small_export() -> bytes:
    lines = [b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE HealthData [\n<!ELEMENT HealthData ANY>\n]>\n']
    lines.append(b'<HealthData locale="en_US">\n <ExportDate value="2024-01-03 10:00:00 +0100"/>\n')
    start = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)
    for index in range(200):
        moment = start + timedelta(minutes=5 * index)
        lines.append(
            f' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Watch" unit="count" '
            f'startDate="{moment:%Y-%m-%d %H:%M:%S} +0000" endDate="{moment:%Y-%m-%d %H:%M:%S} +0000" '
            f'value="{index}"/>\n'.encode()
        )
    lines.append(b"</HealthData>\n")
    return b"".join(lines)


_TRUNCATION_SOURCE = _small_export()


# --- Garmin monitoring ---------------------------------------------------------------------------------------


def test_sdk_monitoring_file_intervals_match_its_own_day_totals(shared_data: Path) -> None:
    data = (shared_data / MONITORING_SDK).read_bytes()
    assert is_garmin_monitoring(data)
    result = parse_garmin_monitoring(data)
    assert result.kind == "garmin_monitoring" and result.warnings == ()
    assert result.meta["utc_offset_s"] == -6 * 3600 and result.meta["device"] == "garmin vivo_fit"
    # The file ends with the device's day totals; the per-interval deltas must add up to them exactly.
    totals = {total["level"]: total["steps"] for total in result.meta["period_totals"]}
    assert totals == {"walking": 3142.0, "running": 31.0}
    assert result.meta["steps_by_level"] == {"running": 31.0, "sedentary": 0.0, "walking": 3142.0}
    assert len(result.steps) == 335
    first_walk = next(sample for sample in result.steps if sample.level == "walking")
    assert first_walk.steps == 100.0  # raw cycles 100 (= 50.0 cycles at scale 2) is 100 steps
    assert all(sample.start <= sample.end for sample in result.steps)


def test_generated_monitoring_deltas_daily_reset_and_timestamp16() -> None:
    truth = monitoring_file(days=3)
    assert truth.timestamp16_wraps > 0  # some 16-bit times rolled over past the last full timestamp's
    result = parse_garmin_monitoring(truth.data)
    got = [(int(s.start.timestamp()), int(s.end.timestamp()), int(s.steps), s.level) for s in result.steps]
    assert got == [(i.start_s, i.end_s, i.steps, i.level) for i in truth.intervals]
    # Counters restart every local midnight (including the 23-hour DST day): per-day sums match.
    by_day: dict[str, dict[str, int]] = {}
    for sample in result.steps:
        day = by_day.setdefault(sample.end.astimezone(_chicago()).date().isoformat(), {"walking": 0, "running": 0})
        if sample.level in day:
            day[sample.level] += int(sample.steps)
    by_day = {day: counts for day, counts in by_day.items() if day in truth.daily_steps}
    assert by_day == truth.daily_steps
    assert result.meta["counter_resets"] >= 2


def test_non_monitoring_fit_is_refused(shared_data: Path) -> None:
    data = (shared_data / "fit/dtcooper-python-fitparse/Activity.fit").read_bytes()
    assert not is_garmin_monitoring(data)
    with pytest.raises(ParseError, match="not a Garmin monitoring file"):
        parse_garmin_monitoring(data)
    with pytest.raises(ParseError, match="not a FIT file"):
        parse_garmin_monitoring(b"<HealthData/>")
    truncated = monitoring_file(days=1).data[:-400]
    result = parse_garmin_monitoring(truncated)  # damage keeps what came before it, with a warning
    assert result.steps and result.warnings


def _chicago():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Chicago")


# --- Fitbit --------------------------------------------------------------------------------------------------


def _minutes(first: datetime, count: int, *, fmt: str = "%m/%d/%y %H:%M:%S") -> list[dict[str, str]]:
    return [{"dateTime": (first + timedelta(minutes=i)).strftime(fmt), "value": str(i % 7)} for i in range(count)]


def test_fitbit_minute_steps_across_autumn_dst() -> None:
    before = _minutes(datetime(2024, 11, 3, 0, 30), 90)  # 00:30–01:59 (first pass of the repeated hour)
    repeated = _minutes(datetime(2024, 11, 3, 1, 0), 60)  # 01:00–01:59 again, on standard time
    after = _minutes(datetime(2024, 11, 3, 2, 0), 30)
    data = json.dumps(before + repeated + after).encode()
    result = parse_fitbit_steps(data, timezone="America/New_York")
    starts = [sample.start for sample in result.steps]
    assert len(starts) == 180 and all(b - a == timedelta(minutes=1) for a, b in itertools.pairwise(starts))
    assert starts[0] == datetime(2024, 11, 3, 4, 30, tzinfo=UTC)  # 00:30 EDT
    assert starts[-1] == datetime(2024, 11, 3, 7, 29, tzinfo=UTC)  # 02:29 EST
    assert result.meta["step_totals_by_source"]["Fitbit"] == sum(float(e["value"]) for e in before + repeated + after)


def test_fitbit_spring_gap_sedentary_days_and_detection() -> None:
    spring = _minutes(datetime(2024, 3, 10, 1, 58), 4, fmt="%Y-%m-%d %H:%M:%S")  # 01:58, 01:59, 02:00, 02:01
    result = parse_fitbit_steps(json.dumps(spring).encode(), timezone="America/New_York")
    assert len(result.steps) == 2 and "DST gap" in result.warnings[0]
    days = [{"dateTime": f"11/0{day}/19 00:00:00", "value": str(600 + day)} for day in (1, 2)]
    sedentary = parse_fitbit_sedentary_minutes(json.dumps(days).encode())
    assert [(d.day, d.sedentary_min) for d in sedentary.sedentary_days] == [
        ("2019-11-01", 601.0),
        ("2019-11-02", 602.0),
    ]
    steps_file = json.dumps(_minutes(datetime(2019, 11, 1, 8, 0), 3)).encode()
    assert fitbit_file_kind("Global Export Data/steps-2019-11-01.json", steps_file) == "steps"
    assert fitbit_file_kind("sedentary_minutes-2019-11-01.json", json.dumps(days).encode()) == "sedentary_minutes"
    assert fitbit_file_kind("heart_rate-2019-11-01.json", steps_file) is None
    assert fitbit_file_kind("steps-2019-11-01.json", b'{"not": "a list"}') is None
    combined = parse_fitbit_export(
        [("steps-2019-11-01.json", steps_file), ("sedentary_minutes-2019-11-01.json", json.dumps(days).encode()),
         ("profile.json", b"{}")],
        timezone="Europe/Berlin",
    )  # fmt: skip
    assert len(combined.steps) == 3 and len(combined.sedentary_days) == 2
    assert combined.steps[0].start == datetime(2019, 11, 1, 7, 0, tzinfo=UTC)  # 08:00 CET
    with pytest.raises(ParseError, match="malformed dateTime"):
        parse_fitbit_steps(b'[{"dateTime": "13/45/19 25:00:00", "value": "1"}]', timezone="UTC")
    with pytest.raises(ParseError, match="not a Fitbit"):
        parse_fitbit_steps(b'{"dateTime": 1}', timezone="UTC")
