"""GPX 1.0/1.1 → parsed activities: one per ``<trk>``, streamed with lxml so large files stay fast.

Also home of :class:`TrackPoints`, the per-point accumulator that turns recorded points into streams;
the TCX parser shares it so both formats derive distance, speed and cadence the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from lxml import etree

from gluteguard.ingest import summary
from gluteguard.ingest.model import (
    STREAM_DTYPES,
    FileFormat,
    NotAnActivity,
    ParsedActivity,
    ParseError,
    ParseResult,
    Sport,
    Streams,
)
from gluteguard.ingest.sports import classify
from gluteguard.ingest.xmlsafe import (
    drop_read_siblings,
    iter_xml_end_events,
    local_name,
    parse_timestamp,
    text_float,
)

NAN = float("nan")
# Running cadence in GPX/TCX is strides per minute on most devices (one foot: ~75–100); below this
# median the values are strides and are doubled to steps per minute, the unit of STREAM_DTYPES.
STRIDE_CADENCE_MAX = 110.0
# With no sport in the file, a median moving speed above this is a ride (5.5 m/s ≈ 3:00 min/km, faster
# than almost anyone runs for long), so its cadence is pedal rpm and must not be doubled.
UNKNOWN_SPORT_RIDE_SPEED_MPS = 5.5
# Derived speed spans ±SPEED_HALF_WINDOW samples: 1 Hz GPS jitters by 1–2 m a sample, i.e. ±1–2 m/s on
# a raw step speed — as large as the differences between paces. A 5-sample window removes most of it
# while blurring pace changes by only ~2 s, and works for irregular sampling and repeated timestamps.
SPEED_HALF_WINDOW = 2
# Per-point values, and the range outside which a value is damage rather than a reading (a bit flip or a
# sensor glitch); the bounds also keep every value representable as float32.
_FIELDS = ("lat", "lon", "alt", "hr", "cad", "power", "distance", "speed")
_PLAUSIBLE = {
    "lat": (-90.0, 90.0),
    "lon": (-180.0, 180.0),
    "alt": (-1000.0, 10000.0),
    "hr": (0.0, 300.0),
    "cad": (0.0, 400.0),
    "power": (0.0, 5000.0),
    "distance": (0.0, 1e8),
    "speed": (0.0, 200.0),
}
_COLUMN = {key: 2 + index for index, key in enumerate(_FIELDS)}  # position in a TrackPoints row
_ABSENT = (NAN,) * len(_FIELDS)
_GPX_EVENTS = ("gpx", "metadata", "trk", "trkseg", "trkpt", "wpt", "rte")
_FOOT_SPORTS = frozenset({Sport.RUN, Sport.WALK, Sport.HIKE, Sport.UNKNOWN})
# Extension element names (lower-cased local names) used by Garmin TrackPointExtension v1/v2,
# Garmin PowerExtension, Cluetrust gpxdata (Suunto Movescount), Strava's bare <power>, and TCX TPX.
EXTENSION_FIELDS = (
    dict.fromkeys(("hr", "heartrate", "heart_rate"), "hr")
    | dict.fromkeys(("cad", "cadence", "runcadence"), "cad")
    | dict.fromkeys(("power", "powerinwatts", "watts"), "power")
)


def _forward_fill(values: np.ndarray) -> np.ndarray:
    """Carry the last finite value forward (a distance does not change between readings)."""
    finite = np.isfinite(values)
    index = np.where(finite, np.arange(values.shape[0]), 0)
    np.maximum.accumulate(index, out=index)
    return values[index]


def derived_speed(time_s: np.ndarray, distance_m: np.ndarray) -> np.ndarray:
    """Speed from a centred difference over ±SPEED_HALF_WINDOW samples; NaN where time does not advance."""
    n = time_s.shape[0]
    index = np.arange(n)
    lo = np.maximum(index - SPEED_HALF_WINDOW, 0)
    hi = np.minimum(index + SPEED_HALF_WINDOW, n - 1)
    dt = time_s[hi] - time_s[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = (distance_m[hi] - distance_m[lo]) / dt
    return np.where(dt > 0, speed, np.nan)


def cadence_to_spm(cadence: np.ndarray, sport: Sport, speed: np.ndarray | None) -> np.ndarray:
    """Double foot-sport cadence recorded as strides/min into steps/min; leave rpm and steps/min alone."""
    if sport not in _FOOT_SPORTS:
        return cadence
    positive = cadence[np.isfinite(cadence) & (cadence > 0)]
    if positive.shape[0] == 0 or float(np.median(positive)) >= STRIDE_CADENCE_MAX:
        return cadence
    if sport == Sport.UNKNOWN and speed is not None:
        moving = speed[np.isfinite(speed) & (speed >= summary.MIN_MOVING_SPEED_MPS)]
        if moving.shape[0] and float(np.median(moving)) > UNKNOWN_SPORT_RIDE_SPEED_MPS:
            return cadence
    return cadence * 2.0


class TrackPoints:
    """Points of one activity as they are read: one row per point, made into arrays when it closes."""

    def __init__(self) -> None:
        self.rows: list[list[float]] = []  # [time, segment, *_FIELDS]
        self.offset_s: int | None = None  # first explicit non-zero UTC offset seen in a timestamp
        self.untimed = 0
        self.bad_times = 0
        self.naive_times = 0
        self.implausible = 0

    def __len__(self) -> int:
        return len(self.rows)

    def span(self) -> tuple[float, float]:
        """First and last point time (POSIX seconds); the track must not be empty."""
        times = [row[0] for row in self.rows]
        return min(times), max(times)

    def add(self, time_text: str | None, values: dict[str, float], segment: int) -> None:
        """Record one point; points without a readable time are counted and skipped."""
        stamp = parse_timestamp(time_text)
        if stamp is None:
            if time_text is None or not time_text.strip():
                self.untimed += 1
            else:
                self.bad_times += 1
            return
        seconds, offset, naive = stamp
        self.naive_times += naive
        if self.offset_s is None and offset:
            self.offset_s = offset
        row = [seconds, float(segment), *_ABSENT]
        for key, value in values.items():
            low, high = _PLAUSIBLE[key]
            if low <= value <= high:
                row[_COLUMN[key]] = value
            else:
                self.implausible += 1
        self.rows.append(row)

    def warnings(self, label: str) -> list[str]:
        found = []
        if self.untimed:
            found.append(f"{label}: skipped {self.untimed} point(s) without a time")
        if self.bad_times:
            found.append(f"{label}: skipped {self.bad_times} point(s) with an unreadable time")
        if self.naive_times:
            found.append(f"{label}: {self.naive_times} time(s) had no UTC offset and were taken as UTC")
        if self.implausible:
            found.append(f"{label}: ignored {self.implausible} value(s) outside any plausible range")
        return found

    def to_streams(self, start_s: float, sport: Sport) -> tuple[Streams, list[str]]:
        """Arrays in time order, with distance, speed and steps/min cadence derived where needed."""
        notes: list[str] = []
        table = np.asarray(self.rows, dtype=np.float64).reshape(-1, 2 + len(_FIELDS))
        if table.shape[0] > 1 and bool(np.any(np.diff(table[:, 0]) < 0)):
            table = table[np.argsort(table[:, 0], kind="stable")]
            notes.append("points were out of time order and were sorted")
        time, segment = table[:, 0], table[:, 1]
        field = {key: table[:, 2 + index].copy() for index, key in enumerate(_FIELDS)}
        lat, lon = field["lat"], field["lon"]
        lat[~np.isfinite(lon)] = np.nan
        lon[~np.isfinite(lat)] = np.nan
        distance: np.ndarray | None = field["distance"]
        if np.isfinite(field["distance"]).any():
            distance = _forward_fill(field["distance"])
        else:
            distance = self._distance_from_positions(lat, lon, segment)
        speed = field["speed"]
        if not np.isfinite(speed).any() and distance is not None:
            speed = derived_speed(time, distance)
        heart_rate = field["hr"]
        heart_rate[heart_rate <= 0] = np.nan  # 0 bpm is how devices write "no reading"
        columns = {
            "time_s": time - start_s,
            "lat_deg": lat,
            "lon_deg": lon,
            "altitude_m": field["alt"],
            "distance_m": distance,
            "speed_mps": speed,
            "heart_rate_bpm": heart_rate,
            "cadence_spm": cadence_to_spm(field["cad"], sport, speed),
            "power_w": field["power"],
        }
        kept = {
            name: values.astype(STREAM_DTYPES[name])
            for name, values in columns.items()
            if values is not None and (name == "time_s" or bool(np.isfinite(values).any()))
        }
        return Streams(kept), notes

    @staticmethod
    def _distance_from_positions(lat: np.ndarray, lon: np.ndarray, segment: np.ndarray) -> np.ndarray | None:
        located = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
        if located.shape[0] < 2:
            return None
        steps = summary.haversine_steps_m(lat[located], lon[located])
        # A new <trkseg> means recording stopped (pause, lost fix): the jump between segments is not run.
        steps[segment[located][1:] != segment[located][:-1]] = 0.0
        cumulative = np.full(lat.shape[0], np.nan)
        cumulative[located] = np.concatenate(([0.0], np.cumsum(steps)))
        cumulative[: located[0]] = 0.0
        return _forward_fill(cumulative)


def utc_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _read_point(element: etree._Element, values: dict[str, float]) -> str | None:
    """Fill ``values`` from a <trkpt>'s children; return its time text. Walks children (no XPath: faster)."""
    time_text = None
    for child in element:
        name = local_name(child.tag)
        if name == "time":
            time_text = child.text
        elif name == "ele":
            value = text_float(child.text)
            if value is not None:
                values["alt"] = value
        elif name == "extensions":
            for node in child.iter():
                field = EXTENSION_FIELDS.get(local_name(node.tag).lower())
                value = text_float(node.text) if field else None
                if field and value is not None:
                    values[field] = value
    return time_text


def parse_gpx(data: bytes) -> ParseResult:
    """Parse a GPX document; raises ParseError when it holds no recorded activity."""
    tracks: list[tuple[TrackPoints, str | None, str | None]] = []
    points, segment = TrackPoints(), 0
    metadata_name: str | None = None
    creator: str | None = None
    last = None
    for element in iter_xml_end_events(data, _GPX_EVENTS):
        last = element
        name = local_name(element.tag)
        if name == "trkpt":
            values: dict[str, float] = {}
            lat, lon = text_float(element.get("lat")), text_float(element.get("lon"))
            if lat is not None and lon is not None:
                values["lat"], values["lon"] = lat, lon
            points.add(_read_point(element, values), values, segment)
            drop_read_siblings(element)
        elif name == "trkseg":
            segment += 1
        elif name == "trk":
            fields = {local_name(child.tag): child.text for child in element}
            tracks.append((points, _clean(fields.get("name")), _clean(fields.get("type"))))
            if creator is None:
                creator = _clean(element.getroottree().getroot().get("creator"))
            points, segment = TrackPoints(), 0
            drop_read_siblings(element)
        elif name == "metadata":
            metadata_name = next((_clean(c.text) for c in element if local_name(c.tag) == "name"), None)
        elif name in ("wpt", "rte"):
            drop_read_siblings(element)
    if last is None or local_name(last.tag) != "gpx":
        raise ParseError("not a GPX document (the root element is not <gpx>)")
    return _build_result(tracks, metadata_name, creator)


def _clean(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text else None


def _build_result(
    tracks: list[tuple[TrackPoints, str | None, str | None]], metadata_name: str | None, creator: str | None
) -> ParseResult:
    activities: list[ParsedActivity] = []
    warnings: list[str] = []
    for index, (points, name, type_text) in enumerate(tracks):
        label = f"track {index + 1}"
        warnings.extend(points.warnings(label))
        if len(points) < 2:
            if len(points) == 1:
                warnings.append(f"{label}: skipped, only one timed point")
            continue
        sport, sub_sport = classify("gpx", type_text)
        start_s = points.span()[0]
        streams, notes = points.to_streams(start_s, sport)
        warnings.extend(f"{label}: {note}" for note in notes)
        elapsed = summary.elapsed_s(streams)
        if not elapsed > 0:
            warnings.append(f"{label}: skipped, all points have the same time")
            continue
        activities.append(
            ParsedActivity(
                start_utc=utc_datetime(start_s),
                # GPX times are UTC; only an explicit non-zero offset in the timestamps tells local time.
                utc_offset_s=points.offset_s,
                sport=sport,
                sub_sport=sub_sport,
                elapsed_s=elapsed,
                moving_s=summary.moving_time_s(streams),
                distance_m=summary.total_distance_m(streams),
                ascent_m=summary.ascent_m(streams),
                avg_hr_bpm=summary.finite_mean(streams.get("heart_rate_bpm")),
                max_hr_bpm=summary.finite_max(streams.get("heart_rate_bpm")),
                avg_cadence_spm=summary.finite_mean(streams.get("cadence_spm")),
                device=creator,
                streams=streams,
                name=name or metadata_name,
                session_index=index,
            )
        )
    if not activities:
        raise NotAnActivity("no timed track points (a route or waypoints, not a recorded activity)")
    return ParseResult(format=FileFormat.GPX, activities=tuple(activities), warnings=tuple(warnings))
