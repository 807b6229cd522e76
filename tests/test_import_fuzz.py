"""Property tests: preparing any bytes never raises and always ends in activities or one line of reason;
archive expansion survives damaged zips; the stream codec round-trips; the duplicate rule is sound."""

from __future__ import annotations

import gzip
import io
import math
import zipfile
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gluteguard.ingest.dedupe import TimeSpan, possible_duplicate_of, sports_compatible
from gluteguard.ingest.model import STREAM_DTYPES, Sport, Streams
from gluteguard.ingest.rules import import_rules
from gluteguard.ingest.sources import ExpansionStats, SourceProblem, SourceUnit, expand_zip
from gluteguard.samples.fitwriter import encode_fit
from gluteguard.samples.runner import one_hour_synthetic_run
from gluteguard.services.import_prepare import PreparedFile, prepare_unit
from gluteguard.store.codec import decode_streams, encode_streams

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Small real files of each format, so hundreds of damaged copies parse in a few seconds.
REAL_FILES = [
    "fit/dtcooper-python-fitparse/garmin-fenix-5-run.fit",
    "fit/dtcooper-python-fitparse/Activity.fit",
    "fit/dtcooper-python-fitparse/Settings.fit",  # readable, not an activity
    "fit/muktihari-fit/activity_multisport.fit",
    "gpx/corriporai-runpandas/gpx/garmin_connect.gpx",
    "gpx/dogsheep-healthkit-to-sqlite/zip_contents/apple_health_export/workout-routes/route_2019-06-11_3.00pm.gpx",
    "tcx/corriporai-runpandas/tcx/run_garmin.tcx",
]
NAMES = ["a.fit", "a.gpx", "a.tcx", "a.fit.gz", "a.tcx.gz", "activity", "A.FIT"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

needs_data = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real test data not present at {SHARED_DATA}")


def _panic_bytes() -> bytes:
    """A field size of 255 in a definition message: fitfast's Rust decoder divides by zero and panics
    (pyo3's PanicException, a BaseException); parse_fit must fall back to fitdecode instead."""
    damaged = bytearray(encode_fit(one_hour_synthetic_run(1)))
    damaged[103] = 0xFF
    return bytes(damaged)


@cache
def real(relative: str) -> bytes:
    return (SHARED_DATA / relative).read_bytes()


def assert_outcome(prepared: PreparedFile) -> None:
    """Exactly one of: activities, an error line, a not-an-activity line."""
    if prepared.error is not None:
        assert isinstance(prepared.error, str) and prepared.error.strip(), prepared
        assert "\n" not in prepared.error and "Traceback" not in prepared.error
        assert prepared.activities == [] and prepared.not_activity is None
        return
    if prepared.not_activity is not None:
        assert isinstance(prepared.not_activity, str) and prepared.not_activity.strip()
        assert "\n" not in prepared.not_activity
        assert prepared.activities == []
        return
    assert prepared.activities, f"{prepared.name}: no activities, no error and no reason"
    assert prepared.sha256 and prepared.content_zlib and prepared.format
    for item in prepared.activities:
        parsed = item.parsed
        assert parsed.start_utc.tzinfo is not None
        assert math.isfinite(parsed.elapsed_s) and parsed.elapsed_s >= 0
        assert parsed.partial_reason is None or "\n" not in parsed.partial_reason
        assert item.stream_blob  # encoded, even when empty
        assert len(parsed.streams) == 0  # streams travel encoded, not twice


def prepare(name: str, data: bytes, decoder: str = "auto") -> PreparedFile:
    prepared = prepare_unit(SourceUnit(name=name, data=data), decoder)  # must never raise
    assert_outcome(prepared)
    return prepared


# --- any bytes, damaged real files, gzip ---------------------------------------------------------

PREFIXES = [
    b"",
    b"\x0e\x10\x43\x08\x00\x00\x00\x00.FIT",  # a FIT header with a bogus size
    b"\x0e\x20\x6c\x08\xff\xff\xff\x7f.FIT\x00\x00",  # a FIT header announcing 2 GB of records
    b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="2"><time>',
    b"<TrainingCenterDatabase><Activities><Activity Sport='Running'><Id>",
    b"\xef\xbb\xbf          <?xml version='1.0'?>",
    b"\x1f\x8b",
]


@FUZZ
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=3000), name=st.sampled_from(NAMES))
def test_arbitrary_bytes_never_raise(prefix: bytes, body: bytes, name: str) -> None:
    prepared = prepare(name, prefix + body)
    if not (prefix + body).strip():
        assert prepared.error is not None


@needs_data
@FUZZ
@given(relative=st.sampled_from(REAL_FILES), cut=st.floats(0.0, 1.0), gz=st.booleans())
def test_truncated_real_files(relative: str, cut: float, gz: bool) -> None:
    data = real(relative)
    truncated = data[: int(len(data) * cut)]
    prepare(f"{Path(relative).name}{'.gz' if gz else ''}", gzip.compress(truncated) if gz else truncated)


@needs_data
@pytest.mark.parametrize("decoder", ["auto", "fitdecode"])
@FUZZ
@given(
    relative=st.sampled_from(REAL_FILES),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=12),
)
def test_real_files_with_flipped_bytes(decoder: str, relative: str, flips: list[tuple[float, int]]) -> None:
    damaged = bytearray(real(relative))
    for where, value in flips:
        damaged[int(where * len(damaged))] = value
    prepare(Path(relative).name, bytes(damaged), decoder)


@needs_data
@FUZZ
@given(
    inner=st.one_of(st.binary(max_size=2000), st.sampled_from(REAL_FILES).map(real)),
    cut=st.floats(0.0, 1.0),
    tail=st.binary(max_size=64),
)
def test_gzip_wrapped_garbage(inner: bytes, cut: float, tail: bytes) -> None:
    wrapped = gzip.compress(inner)
    prepare("x.fit.gz", wrapped[: max(2, int(len(wrapped) * cut))])  # truncated gzip stream
    prepare("x.gpx.gz", wrapped + tail)  # concatenated members or trailing junk
    whole = prepare("x.tcx.gz", wrapped)
    if not inner.strip():
        assert whole.error is not None


def test_fitfast_panic_becomes_an_error_line() -> None:
    """A damaged definition message that makes fitfast panic still ends in activities or one error line."""
    prepare("damaged.fit", _panic_bytes())


# --- damaged zip archives ---------------------------------------------------------------------------


@cache
def sample_zip() -> bytes:
    members = [("runs/a.fit", real(REAL_FILES[0])), ("runs/b.gpx", real(REAL_FILES[4])), ("notes.json", b"{}")]
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner/c.tcx", real(REAL_FILES[6])[:4000])
    members.append(("more/inner.zip", nested.getvalue()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
        archive.writestr(zipfile.ZipInfo("stored/d.fit"), real(REAL_FILES[1]))  # stored, not deflated
    return buffer.getvalue()


def expand(data: bytes) -> list[SourceUnit | SourceProblem]:
    stats = ExpansionStats()
    items = list(expand_zip(data, "fuzz.zip", import_rules().archives, stats))  # must never raise
    for item in items:
        assert isinstance(item, SourceUnit | SourceProblem)
        assert item.name.startswith("fuzz.zip")
        if isinstance(item, SourceProblem):
            assert item.reason.strip() and "\n" not in item.reason
        else:
            assert item.data is not None
    return items


@needs_data
def test_the_undamaged_sample_zip_expands_fully() -> None:
    items = expand(sample_zip())
    assert sorted(i.name for i in items if isinstance(i, SourceUnit)) == [
        "fuzz.zip!more/inner.zip!inner/c.tcx",
        "fuzz.zip!runs/a.fit",
        "fuzz.zip!runs/b.gpx",
        "fuzz.zip!stored/d.fit",
    ]


@needs_data
@FUZZ
@given(
    flips=st.lists(st.tuples(st.floats(0.0, 1.0, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.floats(0.0, 1.0),
    parse=st.booleans(),
)
def test_damaged_zips_never_raise(flips: list[tuple[float, int]], cut: float, parse: bool) -> None:
    damaged = bytearray(sample_zip())
    for where, value in flips:
        damaged[int(where * len(damaged))] = value
    for data in (bytes(damaged), bytes(damaged[: int(len(damaged) * cut)])):
        for item in expand(data):
            if parse and isinstance(item, SourceUnit):
                assert_outcome(prepare_unit(item))


def test_a_zip_needing_a_newer_zip_version_is_a_problem_not_a_crash() -> None:
    # Found by test_damaged_zips_never_raise in CI: zipfile raises NotImplementedError("zip file version 6.4")
    # while opening an archive whose central directory asks for a version it lacks.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("runs/a.gpx", b"<gpx/>")
    data = bytearray(buffer.getvalue())
    central = data.find(b"PK\x01\x02")
    data[central + 6 : central + 8] = (64).to_bytes(2, "little")  # "version needed to extract": 6.4
    (problem,) = expand(bytes(data))
    assert isinstance(problem, SourceProblem) and "zip file version 6.4" in problem.reason


@needs_data
@FUZZ
@given(
    header_field=st.sampled_from([(6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)]),
    value=st.integers(0, 2**32 - 1),
    central=st.booleans(),
)
def test_zip_header_fields_set_to_any_value(header_field: tuple[int, int], value: int, central: bool) -> None:
    """Flags (encryption…), method, CRC, sizes and name lengths are where zipfile raises the oddest errors."""
    offset, width = header_field
    data = bytearray(sample_zip())
    signature = b"PK\x01\x02" if central else b"PK\x03\x04"
    shift = 2 if central else 0  # central headers carry "version made by" before the shared fields
    start = data.find(signature)
    data[start + offset + shift : start + offset + shift + width] = (value % 2 ** (8 * width)).to_bytes(width, "little")
    expand(bytes(data))


def _set_in_every_header(data: bytes, central: bool, offset: int, value: int) -> bytes:
    out = bytearray(data)
    signature = b"PK\x01\x02" if central else b"PK\x03\x04"
    at = offset + (2 if central else 0)
    start = out.find(signature)
    while start != -1:
        out[start + at : start + at + 2] = value.to_bytes(2, "little")
        start = out.find(signature, start + 4)
    return bytes(out)


@needs_data
@pytest.mark.parametrize("central", [False, True], ids=["local", "central"])
@pytest.mark.parametrize(
    ("offset", "value"),
    [(6, 1 << bit) for bit in range(16)]  # general-purpose flags: encrypted, patched, strong encryption…
    + [(8, method) for method in (0, 1, 6, 9, 12, 14, 93, 95, 97, 98, 99, 0xFFFF)],  # compression methods
)
def test_every_zip_flag_and_method(central: bool, offset: int, value: int) -> None:
    """Each flag bit and compression method on every member: problems are reported, never raised."""
    items = expand(_set_in_every_header(sample_zip(), central, offset, value))
    assert items  # the damage is reported, or the members still read


@FUZZ
@given(body=st.binary(max_size=2000))
def test_random_bytes_as_a_zip(body: bytes) -> None:
    for data in (body, b"PK\x03\x04" + body, b"PK\x05\x06" + body[:18]):
        expand(data)


# --- stream codec ---------------------------------------------------------------------------------


FLOAT32_VALUES = st.one_of(
    st.floats(-1e30, 1e30, width=64), st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e-40, 3.4e38])
)


@st.composite
def streams(draw: st.DrawFn) -> dict[str, np.ndarray]:
    n = draw(st.integers(0, 200))
    names = draw(st.lists(st.sampled_from([*STREAM_DTYPES, "unknown_sensor"]), unique=True, max_size=6))
    columns: dict[str, np.ndarray] = {}
    for name in names:
        float64 = STREAM_DTYPES.get(name) == "float64"
        elements = st.floats(allow_nan=True, allow_infinity=True) if float64 else FLOAT32_VALUES
        columns[name] = draw(hnp.arrays(np.float64, n, elements=elements))
    return columns


@settings(max_examples=200, deadline=None)
@given(columns=streams())
def test_stream_codec_round_trip(columns: dict[str, np.ndarray]) -> None:
    names, blob = encode_streams(Streams(columns))
    assert names == list(columns)
    decoded = decode_streams(blob)
    assert list(decoded.columns) == list(columns)
    for name, original in columns.items():
        back = decoded.columns[name]
        assert back.shape == original.shape and back.dtype.isnative
        assert np.array_equal(np.isnan(back), np.isnan(original)), name  # NaN (no reading) survives
        if STREAM_DTYPES.get(name) == "float64":
            assert back.dtype == np.float64 and np.array_equal(back, original, equal_nan=True), name
        else:
            assert back.dtype == np.float32, name
            assert np.array_equal(back, original.astype(np.float32), equal_nan=True), name
            finite = np.isfinite(original)
            assert np.allclose(back[finite], original[finite], rtol=2**-23, atol=1.5e-45), name


def test_stream_codec_empty() -> None:
    names, blob = encode_streams(Streams({}))
    assert names == [] and decode_streams(blob).columns == {}


# --- duplicate rule ----------------------------------------------------------------------------

BASE = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
SPORTS = [s.value for s in Sport]


@st.composite
def spans(draw: st.DrawFn, key: int) -> TimeSpan:
    start = BASE + timedelta(seconds=draw(st.integers(-4000, 4000)))
    duration = timedelta(seconds=draw(st.integers(0, 7200)))
    return TimeSpan(key, start, start + duration, draw(st.sampled_from(SPORTS)))


def _matches(a: TimeSpan, b: TimeSpan, window_s: float) -> bool:
    gap = abs((a.start_utc - b.start_utc).total_seconds())
    overlap = a.start_utc <= b.end_utc and b.start_utc <= a.end_utc
    return gap <= window_s and overlap and sports_compatible(a.sport, b.sport)


@settings(max_examples=300, deadline=None)
@given(
    candidate=spans(0),
    existing=st.integers(0, 6).flatmap(lambda n: st.tuples(*(spans(k) for k in range(1, n + 1)))),
    window_s=st.sampled_from([0.0, 30.0, 60.0, float(import_rules().duplicate_start_window_s), 600.0]),
)
def test_possible_duplicate_rule(candidate: TimeSpan, existing: tuple[TimeSpan, ...], window_s: float) -> None:
    found = possible_duplicate_of(candidate, existing, window_s)
    matching = [other for other in existing if _matches(candidate, other, window_s)]
    if found is None:
        assert matching == []  # nothing that qualifies is missed
        return
    chosen = next(other for other in existing if other.key == found)
    # Never spans that do not overlap, start more than the window apart, or are different known sports.
    assert chosen in matching
    gaps = [abs((o.start_utc - candidate.start_utc).total_seconds()) for o in matching]
    assert abs((chosen.start_utc - candidate.start_utc).total_seconds()) == min(gaps)  # the closest start
    # Symmetric in spirit: seen from the chosen activity, the candidate is a possible duplicate too.
    assert possible_duplicate_of(chosen, [candidate], window_s) == candidate.key


@settings(max_examples=200, deadline=None)
@given(a=spans(1), b=spans(2), window_s=st.floats(0, 3600))
def test_pairs_match_both_ways_or_neither(a: TimeSpan, b: TimeSpan, window_s: float) -> None:
    forward = possible_duplicate_of(a, [b], window_s) is not None
    assert forward == (possible_duplicate_of(b, [a], window_s) is not None)
    if a.end_utc < b.start_utc or b.end_utc < a.start_utc:
        assert not forward  # no overlap, no match
    if abs((a.start_utc - b.start_utc).total_seconds()) > window_s:
        assert not forward  # starts too far apart


@settings(max_examples=100, deadline=None)
@given(span=spans(1), sport=st.sampled_from(SPORTS), offset_s=st.integers(-60, 60), window_s=st.floats(60, 600))
def test_unknown_sport_matches_any_sport(span: TimeSpan, sport: str, offset_s: int, window_s: float) -> None:
    start = span.start_utc + timedelta(seconds=offset_s)
    unknown = TimeSpan(9, start, max(start, span.end_utc), Sport.UNKNOWN.value)
    assume(unknown.start_utc <= span.end_utc)
    assert possible_duplicate_of(unknown, [TimeSpan(1, span.start_utc, span.end_utc, sport)], window_s) == 1
    other = TimeSpan(10, start, max(start, span.end_utc), sport)
    expected = 1 if sports_compatible(sport, span.sport) else None
    assert possible_duplicate_of(other, [span], window_s) == expected
