"""GPX/TCX parsers against the real files in ../shared/data, hostile XML, and fuzzed input.

Expectations are computed independently with the standard library's ElementTree and a plain haversine
loop, so the tests do not re-use the code they check.
"""

from __future__ import annotations

import math
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gluteguard.ingest import xmlsafe
from gluteguard.ingest.gpx import parse_gpx
from gluteguard.ingest.model import STREAM_DTYPES, FileFormat, ParsedActivity, ParseError, ParseResult, Sport
from gluteguard.ingest.tcx import parse_tcx

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
EARTH_RADIUS_M = 6_371_008.8
Parser = Callable[[bytes], ParseResult]


def _data_file(relative: str) -> Path:
    if not DATA.is_dir():
        pytest.skip(f"../shared/data not present: {DATA} (real GPX/TCX test files live beside the repo)")
    return DATA / relative


def _real_files(kind: str) -> list[object]:
    if not DATA.is_dir():
        reason = f"../shared/data not present: {DATA}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id=f"no-{kind}-data")]
    files = sorted((DATA / kind).rglob(f"*.{kind}"))
    return [pytest.param(path, id=str(path.relative_to(DATA))) for path in files]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _seconds(text: str | None) -> float | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.strip())
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def _check_activity(activity: ParsedActivity) -> None:
    assert math.isfinite(activity.elapsed_s) and activity.elapsed_s > 0
    assert activity.moving_s is None or 0 <= activity.moving_s <= activity.elapsed_s
    assert activity.start_utc.tzinfo is not None and activity.start_utc.utcoffset().total_seconds() == 0
    if activity.distance_m is not None:
        assert math.isfinite(activity.distance_m) and activity.distance_m >= 0
        assert activity.distance_m / activity.elapsed_s < 40  # m/s: no running, riding or swimming beyond
    time = activity.streams.get("time_s")
    assert time is not None
    for name, values in activity.streams.columns.items():
        assert values.dtype == np.dtype(STREAM_DTYPES[name]) and values.shape == time.shape, name
    assert bool(np.all(np.diff(time) >= 0)) and (time.shape[0] == 0 or time[0] >= 0)


# --- real files -----------------------------------------------------------------------------------


def _gpx_expected_lengths(data: bytes) -> list[float]:
    """Per <trk> with ≥2 timed points: haversine length over timed, positioned points within segments."""
    lengths = []
    for track in (e for e in ET.fromstring(data).iter() if _local(e.tag) == "trk"):
        timed, length = 0, 0.0
        for segment in _children(track, "trkseg"):
            previous = None
            for point in _children(segment, "trkpt"):
                if not any(_local(c.tag) == "time" and (c.text or "").strip() for c in point):
                    continue
                timed += 1
                if point.get("lat") is not None and point.get("lon") is not None:
                    here = (float(point.get("lat")), float(point.get("lon")))
                    if previous is not None:
                        length += _haversine_m(previous, here)
                    previous = here
        if timed >= 2:
            lengths.append(length)
    return lengths


@pytest.mark.parametrize("path", _real_files("gpx"))
def test_real_gpx_parses_or_raises_parse_error(path: Path) -> None:
    data = path.read_bytes()
    expected = _gpx_expected_lengths(data)
    if not expected:
        with pytest.raises(ParseError):
            parse_gpx(data)
        return
    result = parse_gpx(data)
    assert result.format == FileFormat.GPX
    assert [a.session_index for a in result.activities] == list(range(len(expected)))
    for activity, length in zip(result.activities, expected, strict=True):
        _check_activity(activity)
        assert activity.utc_offset_s is None  # every real GPX here writes UTC ("Z") times
        if length > 0:
            assert activity.distance_m == pytest.approx(length, rel=0.01)


def _tcx_expectations(data: bytes) -> list[tuple[float | None, float, int]] | None:
    """Per recorded <Activity>: (sum of Lap/DistanceMeters, last − first trackpoint time, point count)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    found = []
    for activity in (e for e in root.iter() if _local(e.tag) == "Activity"):
        laps = _children(activity, "Lap")
        distances = [float(d.text) for lap in laps for d in _children(lap, "DistanceMeters") if d.text]
        times = [
            _seconds(t.text)
            for point in activity.iter()
            if _local(point.tag) == "Trackpoint"
            for t in _children(point, "Time")
        ]
        if len(times) >= 2:
            found.append((sum(distances) if distances else None, max(times) - min(times), len(times)))
    return found


@pytest.mark.parametrize("path", _real_files("tcx"))
def test_real_tcx_parses_or_raises_parse_error(path: Path) -> None:
    data = path.read_bytes()
    expected = _tcx_expectations(data)
    if not expected:  # not well-formed for the standard library either, or nothing recorded
        with pytest.raises(ParseError):
            parse_tcx(data)
        return
    result = parse_tcx(data)
    assert result.format == FileFormat.TCX
    assert len(result.activities) == len(expected)
    for activity, (lap_distance, span, count) in zip(result.activities, expected, strict=True):
        _check_activity(activity)
        assert len(activity.streams) == count
        if lap_distance is not None:
            assert activity.distance_m == pytest.approx(lap_distance, rel=1e-9, abs=1e-6)
        assert abs(activity.elapsed_s - span) <= 60  # Activity/Id may precede the first point a little


def test_multisport_tcx_gives_every_activity_with_points() -> None:
    data = _data_file("tcx/GoldenCheetah-test-rides/activity_165850259_multi-session.tcx").read_bytes()
    result = parse_tcx(data)
    assert len(result.activities) > 1
    assert all(len(a.streams) > 100 for a in result.activities)
    assert [a.session_index for a in result.activities] == list(range(len(result.activities)))
    assert {a.sport for a in result.activities} == {Sport.RUN, Sport.RIDE}


def test_indoor_tcx_keeps_points_without_position() -> None:
    data = _data_file("tcx/GoldenCheetah-test-rides/2020-02-05_17-25-14_Training-with-Notes.tcx").read_bytes()
    (activity,) = parse_tcx(data).activities
    assert len(activity.streams) == 6862
    assert activity.streams.get("lat_deg") is None
    assert activity.streams.get("heart_rate_bpm") is not None
    assert activity.sport == Sport.RIDE and activity.device == "Polar Vantage V"


@pytest.mark.parametrize(
    ("relative", "parser"),
    [
        ("gpx/corriporai-runpandas/gpx/strava_export.gpx", parse_gpx),
        ("tcx/thomaschampagne-elevate-activities02/runs/strava_export/20160911_run_708752345.tcx", parse_tcx),
    ],
)
def test_strava_leading_whitespace_and_bom(relative: str, parser: Parser) -> None:
    data = _data_file(relative).read_bytes()
    plain = parser(data)
    for prefixed in (b" " * 10 + data, b"\xef\xbb\xbf\r\n  " + data):
        again = parser(prefixed)
        assert [a.distance_m for a in again.activities] == [a.distance_m for a in plain.activities]
        assert [len(a.streams) for a in again.activities] == [len(a.streams) for a in plain.activities]


def test_strava_gpx_sport_and_cadence_in_steps() -> None:
    data = _data_file("gpx/corriporai-runpandas/gpx/strava_export.gpx").read_bytes()
    (activity,) = parse_gpx(data).activities
    assert activity.sport == Sport.RUN  # <type>9</type>
    assert activity.avg_cadence_spm is not None and 150 < activity.avg_cadence_spm < 200  # strides doubled


def test_malformed_tcx_raises_parse_error() -> None:
    data = _data_file("tcx/corriporai-runpandas/tcx/malformed.tcx").read_bytes()
    with pytest.raises(ParseError, match=r"^not well-formed XML: .*line \d+$"):
        parse_tcx(data)


# --- synthetic documents ----------------------------------------------------------------------------

GPX_HEAD = b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'


def _gpx(points: str, track_type: str = "9") -> bytes:
    track = f"<trk><name>T</name><type>{track_type}</type><trkseg>{points}</trkseg></trk></gpx>"
    return GPX_HEAD + track.encode()


def test_gpx_times_offsets_missing_positions_and_untimed_points() -> None:
    ext = "<extensions><x:TrackPointExtension xmlns:x='urn:x'><x:hr>150</x:hr><x:cad>85</x:cad>"
    ext += "</x:TrackPointExtension></extensions>"
    points = (
        f'<trkpt lat="1.0" lon="1.0"><time>2024-05-01T08:00:00+02:00</time>{ext}</trkpt>'
        f"<trkpt><time>2024-05-01T08:00:05+02:00</time>{ext}</trkpt>"  # no position: kept
        '<trkpt lat="1.0" lon="1.0005"><ele>bad</ele></trkpt>'  # no time: skipped
        f'<trkpt lat="1.0" lon="1.001"><time>2024-05-01T08:00:10+02:00</time>{ext}</trkpt>'
    )
    result = parse_gpx(_gpx(points))
    (activity,) = result.activities
    assert activity.start_utc == datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
    assert activity.utc_offset_s == 7200 and activity.elapsed_s == 10
    assert len(activity.streams) == 3 and np.isnan(activity.streams.get("lat_deg")[1])
    assert activity.distance_m == pytest.approx(_haversine_m((1, 1), (1, 1.001)), rel=1e-6)
    assert activity.avg_cadence_spm == 170 and activity.avg_hr_bpm == 150
    assert any("without a time" in w for w in result.warnings)

    naive = parse_gpx(
        _gpx(
            '<trkpt lat="1" lon="1"><time>2024-05-01T08:00:00</time></trkpt>'
            '<trkpt lat="1" lon="1"><time>2024-05-01T08:00:09</time></trkpt>'
        )
    )
    assert naive.activities[0].utc_offset_s is None
    assert any("taken as UTC" in w for w in naive.warnings)


def test_gpx_route_or_waypoints_only_raise() -> None:
    waypoint = b'<wpt lat="1" lon="1"><time>2024-05-01T08:00:00Z</time></wpt>'
    doc = GPX_HEAD + waypoint + b'<rte><rtept lat="1" lon="2"/></rte></gpx>'
    with pytest.raises(ParseError, match="no timed track points"):
        parse_gpx(doc)


def test_tcx_courses_only_raises() -> None:
    doc = (
        b'<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Courses>'
        b"<Course><Name>c</Name><Track><Trackpoint><Time>2024-05-01T08:00:00Z</Time></Trackpoint>"
        b"<Trackpoint><Time>2024-05-01T08:00:09Z</Time></Trackpoint></Track></Course></Courses>"
        b"</TrainingCenterDatabase>"
    )
    with pytest.raises(ParseError, match="course"):
        parse_tcx(doc)


# --- hostile XML ------------------------------------------------------------------------------------


def _billion_laughs() -> bytes:
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE gpx [{entities}]><gpx><trk><name>&l9;</name></trk></gpx>'.encode()


def _xxe(secret: Path) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<gpx creator="a"><trk><name>&x;</name><trkseg>'
        '<trkpt lat="1" lon="1"><time>2024-05-01T08:00:00Z</time></trkpt>'
        '<trkpt lat="1" lon="1.001"><time>2024-05-01T08:00:09Z</time></trkpt>'
        "</trkseg></trk></gpx>"
    ).encode()


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for parser in (parse_gpx, parse_tcx):
        for doc in (_billion_laughs(), _xxe(secret), _xxe(secret).decode().encode("utf-16")):
            with pytest.raises(ParseError, match="entities") as raised:
                parser(doc)
            assert "TOP-SECRET" not in str(raised.value)


def test_parser_options_hold_without_the_byte_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Second line of defence: even if the pre-check missed a DTD, entities are neither expanded nor read."""
    monkeypatch.setattr(xmlsafe, "_ENTITY_MARKERS", ())
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    with pytest.raises(ParseError):
        parse_gpx(_billion_laughs())
    result = parse_gpx(_xxe(secret))
    assert "TOP-SECRET" not in repr(result)


# --- fuzzing ------------------------------------------------------------------------------------------

FUZZ_FILES = {
    "gpx/corriporai-runpandas/gpx/garmin_connect.gpx": parse_gpx,
    "gpx/corriporai-runpandas/session/26004849-dc57-4e48-bc16-11196ca043ad.gpx": parse_gpx,
    "tcx/corriporai-runpandas/tcx/run_garmin.tcx": parse_tcx,
    "tcx/GoldenCheetah-test-rides/activity_165850259_multi-session.tcx": parse_tcx,
}
_fuzz_cache: dict[str, bytes] = {}


def _only_parse_error(parser: Parser, data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning on odd values is a bug too
        try:
            result = parser(data)
        except ParseError as error:
            assert str(error) and "\n" not in str(error)
            return
    for activity in result.activities:
        assert math.isfinite(activity.elapsed_s) and activity.elapsed_s > 0


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=2048), as_gpx=st.booleans())
def test_arbitrary_bytes_raise_only_parse_error(data: bytes, as_gpx: bool) -> None:
    _only_parse_error(parse_gpx if as_gpx else parse_tcx, data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(FUZZ_FILES)),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 7)), max_size=8),
    truncate=st.booleans(),
)
def test_damaged_real_files_raise_only_parse_error(
    name: str, cut: float, flips: list[tuple[float, int]], truncate: bool
) -> None:
    if name not in _fuzz_cache:
        _fuzz_cache[name] = _data_file(name).read_bytes()
    original = _fuzz_cache[name]
    damaged = bytearray(original[: max(1, int(len(original) * cut))] if truncate else original)
    for where, bit in flips:
        damaged[min(int(where * len(damaged)), len(damaged) - 1)] ^= 1 << bit
    _only_parse_error(FUZZ_FILES[name], bytes(damaged))
