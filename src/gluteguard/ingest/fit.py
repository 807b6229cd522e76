"""FIT files → activities.

fitfast (Rust) is the fast path. It verifies every CRC with no opt-out and also rejects some valid files
(12-byte headers without a header CRC), so whatever it refuses goes to fitdecode, which is tolerant: it
reads files with a bad CRC and yields every record before a truncation. Only damage that fitdecode itself
finds makes an activity *partial*. Facts: shared/research/parsers.md §3.3, §4; load.md §4.2.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import fitdecode
import fitfast
import numpy as np

from gluteguard.ingest import summary
from gluteguard.ingest.fit_scan import FitScan, scan_fit
from gluteguard.ingest.model import (
    FileFormat,
    NotAnActivity,
    ParsedActivity,
    ParseError,
    ParseResult,
    Sport,
    Streams,
)
from gluteguard.ingest.sports import classify

SEMICIRCLES_TO_DEG = 180.0 / 2**31
FIT_EPOCH_OFFSET_S = 631_065_600  # FIT timestamps count from 1989-12-31T00:00:00Z

# FIT record field → our stream column (first present candidate wins).
RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "distance_m": ("distance",),
    "speed_mps": ("enhanced_speed", "speed"),
    "altitude_m": ("enhanced_altitude", "altitude"),
    "heart_rate_bpm": ("heart_rate",),
    "power_w": ("power",),
    "vertical_oscillation_mm": ("vertical_oscillation",),
    "stance_time_ms": ("stance_time",),
    "stance_time_balance_pct": ("stance_time_balance",),
    "step_length_mm": ("step_length",),
    "vertical_ratio_pct": ("vertical_ratio",),
}
WANTED_RECORD_FIELDS = frozenset(
    {"timestamp", "position_lat", "position_long", "cadence", "fractional_cadence"}
    | {name for names in RECORD_FIELDS.values() for name in names}
)
# Sports whose FIT cadence is strides per minute (one foot); we store steps per minute.
STRIDE_CADENCE_SPORTS = frozenset({Sport.RUN, Sport.WALK, Sport.HIKE})
# Non-activity FIT file types: they hold settings, workouts, weight or wellness data, not a session.
ACTIVITY_FILE_TYPE = "activity"


@dataclass
class RawFit:
    """The parts of a FIT file we use, in one shape whichever decoder read it."""

    records: dict[str, np.ndarray]  # FIT field name → values (scaled); timestamp in Unix seconds
    sessions: list[dict[str, Any]] = field(default_factory=list)  # enums as names, times in Unix seconds
    activity: dict[str, Any] = field(default_factory=dict)
    file_type: str | None = None
    device: str | None = None
    damage: str | None = None  # why the file is only partly readable


@cache
def _fit_types() -> dict[str, dict[int, str]]:
    from garmin_fit_sdk import Profile  # the official profile's enum tables; imported once per process

    return Profile["types"]


def _whole_number(value: Any) -> int | None:
    """An enum or product number as an int; None for what a damaged file can hold instead (NaN, text, an array —
    fitdecode gives a tuple when a definition declares a field longer than its type)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    return int(value) if np.isfinite(value) else None


def _enum_name(type_name: str, value: Any) -> str | None:
    if isinstance(value, str):
        return value
    number = _whole_number(value)
    if number is None:
        return None
    return _fit_types().get(type_name, {}).get(number, str(number))


def device_name(manufacturer: Any, product: Any) -> str | None:
    """The recording device as "maker product" (``garmin fenix7``), from a FIT file_id's manufacturer and product
    fields (enum numbers or names); the maker alone when the product is unknown, None without a maker."""
    maker = _enum_name("manufacturer", manufacturer)
    if maker is None:
        return None
    product_name: str | None = None
    if isinstance(product, str):
        product_name = product
    elif (number := _whole_number(product)) is not None:
        product_name = _enum_name("garmin_product", number) if maker == "garmin" else str(number)
    return f"{maker} {product_name}" if product_name else maker


# --- fast path: fitfast ------------------------------------------------------------------------


def _first_row(columns: dict[str, np.ndarray]) -> dict[str, Any]:
    return {name: values[0] for name, values in columns.items() if values.shape[0] and np.isfinite(values[0])}


def _summary_by_columns(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """file_id, sessions and activity by one full fitfast decode each (the sure, slower way)."""
    file_id = _first_row(fitfast.records(data, "file_id"))
    session_columns = fitfast.records(data, "session")
    sessions: list[dict[str, Any]] = []
    for index in range(len(next(iter(session_columns.values()), []))):
        row = {k: v[index] for k, v in session_columns.items() if np.isfinite(v[index])}
        row["sport"] = _enum_name("sport", row.get("sport"))
        row["sub_sport"] = _enum_name("sub_sport", row.get("sub_sport"))
        sessions.append(row)
    return file_id, sessions, _first_row(fitfast.records(data, "activity"))


def _summary_by_cut_out(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]] | None:
    """The same three from a tiny FIT file holding only those messages (see fit_scan); None if unsure."""
    return _summary_of(scan_fit(data).summary)


def _summary_of(small: bytes | None) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]] | None:
    if small is None:
        return None
    try:
        messages = fitfast.parse(small)
    except (fitfast.FitDecodeError, ValueError, OverflowError):
        return None
    file_id = next(iter(messages.get("file_id", [])), {})
    activity = next(iter(messages.get("activity", [])), {})
    return file_id, list(messages.get("session", [])), activity


def _read_with_fitfast(data: bytes, scan: FitScan) -> RawFit:
    # The record decode checks the whole file's CRC; the summary then comes from a cut-out (one decode in all).
    records = {k: v for k, v in fitfast.records(data, "record").items() if k in WANTED_RECORD_FIELDS}
    file_id, sessions, activity = _summary_of(scan.summary) or _summary_by_columns(data)
    return RawFit(
        records=records,
        sessions=sessions,
        activity=activity,
        file_type=_enum_name("file", file_id.get("type")),
        device=device_name(file_id.get("manufacturer"), file_id.get("product")),
    )


# --- tolerant path: fitdecode ------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] if text else "no details"


def _unix(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC).timestamp()
    if isinstance(value, int | float):
        return float(value) + FIT_EPOCH_OFFSET_S
    return None


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return np.nan
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, tuple | list) and value and isinstance(value[0], int | float):
        return float(value[0])
    return np.nan


# What fitdecode raises on a damaged file, besides its own FitError: a header or message cut short (EOFError,
# struct.error from its header reader), values it cannot convert (ValueError, TypeError, OverflowError), lookups of
# definitions or fields that are not there (KeyError, IndexError) and its internal size checks (AssertionError:
# "_chunk_size <= _body_bytes_left" when a message runs past the declared data size; found by fuzzing).
FITDECODE_ERRORS: tuple[type[Exception], ...] = (
    fitdecode.FitError,
    EOFError,
    struct.error,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    OverflowError,
    AssertionError,
)


def _read_with_fitdecode(data: bytes) -> RawFit:
    columns: dict[str, list[float]] = {}
    n_records = 0
    sessions: list[dict[str, Any]] = []
    activity: dict[str, Any] = {}
    file_id: dict[str, Any] = {}
    damage: str | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with fitdecode.FitReader(
                io.BytesIO(data),
                check_crc=fitdecode.CrcCheck.WARN,
                error_handling=fitdecode.ErrorHandling.WARN,
            ) as reader:
                for frame in reader:
                    if not isinstance(frame, fitdecode.FitDataMessage):
                        continue
                    if frame.name == "record":
                        values = {f.name: f.value for f in frame.fields if f.name in WANTED_RECORD_FIELDS}
                        for name, value in values.items():
                            column = columns.setdefault(name, [np.nan] * n_records)
                            column.append(_unix(value) or np.nan if name == "timestamp" else _number(value))
                        n_records += 1
                        for column in columns.values():
                            if len(column) < n_records:
                                column.append(np.nan)
                    elif frame.name in ("session", "activity", "file_id"):
                        row = {f.name: f.value for f in frame.fields}
                        for key in ("start_time", "timestamp", "local_timestamp"):
                            if key in row:
                                row[key] = _unix(row[key])
                        if frame.name == "session":
                            sessions.append(row)
                        elif frame.name == "activity":
                            activity = activity or row
                        elif not file_id:
                            file_id = row
        except FITDECODE_ERRORS as exc:
            damage = f"{_damage_words(exc)}, after record {n_records}"
        crc_warnings = [w for w in caught if "crc" in str(w.message).lower()]
    if damage is None and crc_warnings:
        damage = "file checksum (CRC) does not match: some values may be wrong"
    records = {name: np.asarray(values, dtype=np.float64) for name, values in columns.items()}
    for name in ("position_lat", "position_long"):
        if name in records:
            records[name] = records[name] * SEMICIRCLES_TO_DEG
    for row in sessions:
        for key in ("total_distance", "total_elapsed_time", "total_timer_time", "total_moving_time"):
            if key in row:
                row[key] = _number(row[key])
    return RawFit(
        records=records,
        sessions=sessions,
        activity=activity,
        file_type=str(file_id["type"]) if file_id.get("type") is not None else None,
        device=device_name(file_id.get("manufacturer"), file_id.get("garmin_product", file_id.get("product"))),
        damage=damage,
    )


# --- assembling activities ---------------------------------------------------------------------


def _finite(row: dict[str, Any], key: str) -> float | None:
    return summary.finite_float(row.get(key))


def _local_offset_s(activity: dict[str, Any]) -> int | None:
    local, utc = _finite(activity, "local_timestamp"), _finite(activity, "timestamp")
    if local is None or utc is None:
        return None
    offset = local - utc
    if abs(offset) > 14 * 3600:
        return None  # garbage local time; better unknown than wrong
    return int(round(offset / 900.0) * 900)  # real offsets are whole quarter hours


def _streams(records: dict[str, np.ndarray], mask: np.ndarray, start: float, sport: Sport) -> Streams:
    if "timestamp" not in records or not mask.any():
        return Streams({"time_s": np.zeros(0)})
    # Chained files can repeat a stretch of records; keep each timestamp once, in time order.
    index = np.flatnonzero(mask)
    times = records["timestamp"][index]
    if times.shape[0] > 1 and np.any(np.diff(times) < 0):
        times, first = np.unique(times, return_index=True)
        index = index[first]
    mask = index
    columns: dict[str, np.ndarray] = {"time_s": times - start}
    if "position_lat" in records and "position_long" in records:
        columns["lat_deg"] = records["position_lat"][mask]
        columns["lon_deg"] = records["position_long"][mask]
    for target, candidates in RECORD_FIELDS.items():
        for name in candidates:
            if name in records and np.isfinite(records[name][mask]).any():
                columns[target] = records[name][mask]
                break
    if "cadence" in records:
        cadence = records["cadence"][mask]
        if "fractional_cadence" in records:
            cadence = cadence + np.nan_to_num(records["fractional_cadence"][mask])
        columns["cadence_spm"] = cadence * 2 if sport in STRIDE_CADENCE_SPORTS else cadence
    return Streams({k: v for k, v in columns.items() if np.isfinite(v).any() or k == "time_s"})


def _session_cadence_spm(session: dict[str, Any], sport: Sport) -> float | None:
    cadence = _finite(session, "avg_running_cadence") or _finite(session, "avg_cadence")
    if cadence is None or cadence <= 0:
        return None
    cadence += _finite(session, "avg_fractional_cadence") or 0.0
    return cadence * 2 if sport in STRIDE_CADENCE_SPORTS else cadence


def _build(raw: RawFit) -> list[ParsedActivity]:
    times = raw.records.get("timestamp")
    if times is None:
        times = np.zeros(0)
    valid_time = np.isfinite(times)
    sessions = raw.sessions or [{}]
    starts = [_finite(session, "start_time") for session in sessions]
    activities: list[ParsedActivity] = []
    for index, session in enumerate(sessions):
        sport, sub_sport = classify("fit", session.get("sport"), session.get("sub_sport"))
        start = starts[index]
        elapsed = _finite(session, "total_elapsed_time")
        if start is not None:
            # Sessions partition the records by start time, so a record belongs to exactly one session
            # and none is lost: some devices write a session's elapsed time past the next session's start,
            # log a record just before the first start, or one after the last session's end.
            later = [s for s in starts if s is not None and s > start]
            end = min(later) if later else np.inf
            begin = -np.inf if index == 0 else start
            mask = valid_time & (times >= begin) & (times < end)
            if mask.any():
                start = min(start, float(times[mask][0]))
        else:
            mask = valid_time.copy()
        if start is None:
            if not mask.any():
                continue
            start = float(times[mask][0])
        streams = _streams(raw.records, mask, start, sport)
        if elapsed is None:
            elapsed = summary.elapsed_s(streams)
        if len(streams) == 0 and _finite(session, "total_distance") is None and elapsed <= 0:
            continue
        # The device's own totals win; the stream estimate is for files without them.
        moving = (
            _finite(session, "total_moving_time")
            or _finite(session, "total_timer_time")
            or summary.moving_time_s(streams)
        )
        activities.append(
            ParsedActivity(
                start_utc=datetime.fromtimestamp(start, UTC),
                utc_offset_s=_local_offset_s(raw.activity),
                sport=sport,
                sub_sport=sub_sport,
                elapsed_s=elapsed,
                moving_s=moving,
                distance_m=_finite(session, "total_distance") or summary.total_distance_m(streams),
                ascent_m=_finite(session, "total_ascent") or summary.ascent_m(streams),
                avg_hr_bpm=_finite(session, "avg_heart_rate") or summary.finite_mean(streams.get("heart_rate_bpm")),
                max_hr_bpm=_finite(session, "max_heart_rate") or summary.finite_max(streams.get("heart_rate_bpm")),
                avg_cadence_spm=_session_cadence_spm(session, sport) or summary.finite_mean(streams.get("cadence_spm")),
                device=raw.device,
                streams=streams,
                partial_reason=raw.damage,
                session_index=index,
            )
        )
    return activities


FIT_DECODERS = ("auto", "fitdecode")


def _damage_words(exc: BaseException) -> str:
    """What went wrong in a damaged FIT file, as a runner reads it (the decoder's class name means nothing there)."""
    if isinstance(exc, fitdecode.FitEOFError):
        return "the file ends early (cut off while it was copied or recorded)"
    if isinstance(exc, fitdecode.FitCRCError):
        return "the file's checksum does not match (it was changed or damaged)"
    if isinstance(exc, fitdecode.FitHeaderError):
        return "the file's header is damaged"
    return "the file is damaged"


def _is_rust_panic(exc: BaseException) -> bool:
    return type(exc).__name__ == "PanicException" and not isinstance(exc, (KeyboardInterrupt, SystemExit))


def parse_fit(data: bytes, *, decoder: str = "auto") -> ParseResult:
    """Parse a FIT file into one activity per session; raises ParseError when nothing is readable.

    ``decoder="auto"`` tries fitfast first; ``"fitdecode"`` uses only the tolerant pure-Python decoder
    (the import benchmark's baseline, and a way round a fast-path bug).
    """
    if len(data) < 12:
        raise ParseError("not a FIT file (too short for a FIT header)")
    if decoder not in FIT_DECODERS:
        raise ValueError(f"unknown FIT decoder {decoder!r}")
    used_fallback = True
    scan = scan_fit(data) if decoder == "auto" else None
    if scan is not None and scan.fitfast_hazard is None:
        try:
            raw = _read_with_fitfast(data, scan)
            used_fallback = False
        except (fitfast.FitDecodeError, ValueError, OverflowError):
            raw = _read_with_fitdecode(data)
        except BaseException as exc:
            # A Rust panic inside fitfast surfaces as pyo3's PanicException, a BaseException. The scan sends the
            # files known to cause one to fitdecode first (a caught panic still prints to stderr); this is the net
            # for any other.
            if not _is_rust_panic(exc):
                raise
            raw = _read_with_fitdecode(data)
    else:
        raw = _read_with_fitdecode(data)
    if raw.file_type is not None and raw.file_type != ACTIVITY_FILE_TYPE and not raw.sessions:
        raise NotAnActivity(f"FIT file of type '{raw.file_type}' holds no activity")
    activities = _build(raw)
    if not activities:
        if raw.damage:
            raise ParseError(f"no activity could be read: {raw.damage}")
        raise NotAnActivity("FIT file holds no activity (no session and no timed records)")
    notes = ("read by the tolerant fallback decoder (fitdecode)",) if used_fallback and decoder == "auto" else ()
    return ParseResult(format=FileFormat.FIT, activities=tuple(activities), warnings=notes)
