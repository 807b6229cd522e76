"""TCX (Garmin Training Center Database v2) → parsed activities, one per ``<Activity>``.

Activities inside ``<MultiSportSession>`` (FirstSport/NextSport) count too, and trackpoints without a
position (treadmill, indoor trainer, pool) are kept. Lap totals are the device's own numbers and win
over what the streams would give.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from lxml import etree

from gluteguard.ingest import summary
from gluteguard.ingest.gpx import TrackPoints, utc_datetime
from gluteguard.ingest.model import FileFormat, NotAnActivity, ParsedActivity, ParseError, ParseResult, Streams
from gluteguard.ingest.sports import classify
from gluteguard.ingest.xmlsafe import (
    drop_read_siblings,
    iter_xml_end_events,
    local_name,
    parse_timestamp,
    text_float,
)

# Activity/Id is the device's start time and normally precedes the first trackpoint by a few seconds
# (Edge 705 files have the first point a second *before* it). An Id further off is not a start time.
MAX_ID_LEAD_S = 3600.0
MAX_ID_LAG_S = 60.0
_TCX_EVENTS = ("TrainingCenterDatabase", "Activity", "Lap", "Track", "Trackpoint", "Course", "Courses")
# Trackpoint extension names (TPX, ActivityExtension v2) → TrackPoints fields.
_TPX_FIELDS = {"Speed": "speed", "RunCadence": "cad", "Watts": "power"}


@dataclass
class _Lap:
    time_s: float | None = None
    distance_m: float | None = None
    max_hr: float | None = None
    avg_hr: float | None = None
    start_text: str | None = None


@dataclass
class _RawActivity:
    points: TrackPoints
    laps: list[_Lap] = field(default_factory=list)
    sport_text: str | None = None
    id_text: str | None = None
    device: str | None = None
    notes: str | None = None


def _child_value(element: etree._Element) -> float | None:
    """Number inside a ``<X><Value>n</Value></X>`` wrapper (heart-rate elements)."""
    for child in element:
        if local_name(child.tag) == "Value":
            return text_float(child.text)
    return None


def _read_trackpoint(element: etree._Element, values: dict[str, float]) -> str | None:
    """Fill ``values`` from a <Trackpoint>'s children; return its time text."""
    time_text = None
    for child in element:
        name = local_name(child.tag)
        value: float | None = None
        if name == "Time":
            time_text = child.text
        elif name == "Position":
            coords = {local_name(c.tag): text_float(c.text) for c in child}
            lat, lon = coords.get("LatitudeDegrees"), coords.get("LongitudeDegrees")
            if lat is not None and lon is not None:
                values["lat"], values["lon"] = lat, lon
        elif name == "AltitudeMeters" and (value := text_float(child.text)) is not None:
            values["alt"] = value
        elif name == "DistanceMeters" and (value := text_float(child.text)) is not None:
            values["distance"] = value
        elif name == "HeartRateBpm" and (value := _child_value(child)) is not None:
            values["hr"] = value
        elif name == "Cadence" and (value := text_float(child.text)) is not None:
            # The schema's <Cadence> is bike rpm; a RunCadence extension (running) takes precedence.
            values.setdefault("cad", value)
        elif name == "Extensions":
            for node in child.iter():
                key = _TPX_FIELDS.get(local_name(node.tag))
                if key and (value := text_float(node.text)) is not None:
                    values[key] = value
    return time_text


def _read_lap(element: etree._Element) -> _Lap:
    lap = _Lap(start_text=element.get("StartTime"))
    for child in element:
        name = local_name(child.tag)
        if name == "TotalTimeSeconds":
            lap.time_s = text_float(child.text)
        elif name == "DistanceMeters":
            lap.distance_m = text_float(child.text)
        elif name == "MaximumHeartRateBpm":
            lap.max_hr = _child_value(child)
        elif name == "AverageHeartRateBpm":
            lap.avg_hr = _child_value(child)
    return lap


def _read_activity_fields(element: etree._Element, raw: _RawActivity) -> None:
    raw.sport_text = element.get("Sport")
    for child in element:
        name = local_name(child.tag)
        if name == "Id":
            raw.id_text = child.text
        elif name == "Notes" and child.text and child.text.strip():
            # TCX has no title; Notes is the user's text for the activity. Its first line serves as the name.
            raw.notes = " ".join(child.text.strip().splitlines()[0].split())[:100] or None
        elif name == "Creator":
            fields = {local_name(c.tag): (c.text or "").strip() for c in child}
            product = fields.get("ProductID")
            raw.device = fields.get("Name") or (f"Garmin product {product}" if product else None)


def parse_tcx(data: bytes) -> ParseResult:
    """Parse a TCX document; raises ParseError when it holds no recorded activity."""
    found: list[_RawActivity] = []
    current = _RawActivity(TrackPoints())
    track = 0
    has_courses = False
    last = None
    for element in iter_xml_end_events(data, _TCX_EVENTS):
        last = element
        name = local_name(element.tag)
        if name == "Trackpoint":
            values: dict[str, float] = {}
            current.points.add(_read_trackpoint(element, values), values, track)
            drop_read_siblings(element)
        elif name == "Track":
            track += 1  # a new <Track> inside a lap marks a pause, like a GPX <trkseg>
        elif name == "Lap":
            current.laps.append(_read_lap(element))
            element.clear(keep_tail=False)  # not its siblings: the Activity's <Id> comes before laps
        elif name == "Activity":
            _read_activity_fields(element, current)
            found.append(current)
            current, track = _RawActivity(TrackPoints()), 0
            element.clear(keep_tail=False)
        elif name in ("Course", "Courses"):
            # Planned routes are not recordings: drop whatever points and laps they held.
            has_courses = True
            current, track = _RawActivity(TrackPoints()), 0
            element.clear(keep_tail=False)
    if last is None or local_name(last.tag) != "TrainingCenterDatabase":
        raise ParseError("not a TCX document (the root element is not <TrainingCenterDatabase>)")
    if not found:
        if has_courses:
            raise NotAnActivity("a TCX course (planned route), not a recorded activity")
        raise ParseError("no activities in the TCX file")
    return _build_result(found)


def _lap_sum(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None and value >= 0]
    return float(sum(present)) if present else None


def _build_activity(raw: _RawActivity, index: int, warnings: list[str]) -> ParsedActivity | None:
    label = f"activity {index + 1}"
    points = raw.points
    warnings.extend(points.warnings(label))
    sport, sub_sport = classify("tcx", raw.sport_text)
    lap_time = _lap_sum([lap.time_s for lap in raw.laps])
    lap_distance = _lap_sum([lap.distance_m for lap in raw.laps])
    lap_max_hr = max((lap.max_hr for lap in raw.laps if lap.max_hr and lap.max_hr > 0), default=None)
    id_stamp = parse_timestamp(raw.id_text)
    id_s = None if id_stamp is None else id_stamp[0]
    if len(points) >= 2:
        first, last = points.span()
        plausible = id_s is not None and -MAX_ID_LAG_S <= first - id_s <= MAX_ID_LEAD_S
        # Start at the Id unless a point precedes it (streams never start at negative time).
        start_s = min(id_s, first) if plausible and id_s is not None else first
        if id_s is not None and not plausible:
            warnings.append(f"{label}: Id is not a plausible start time; using the first trackpoint")
        streams, notes = points.to_streams(start_s, sport)
        warnings.extend(f"{label}: {note}" for note in notes)
        elapsed = last - start_s
    else:
        # Manual or summary-only activities: laps carry the totals and there is no stream to read.
        lap_start = next((s for lap in raw.laps if (s := parse_timestamp(lap.start_text))), None)
        start_s = id_s if id_s is not None else (lap_start[0] if lap_start else None)
        if start_s is None or not lap_time:
            warnings.append(f"{label}: skipped, no timed trackpoints and no lap totals")
            return None
        streams = Streams({"time_s": np.zeros(0, dtype=np.float64)})
        elapsed = lap_time
    if not elapsed > 0:
        warnings.append(f"{label}: skipped, it has no duration")
        return None
    heart_rate = streams.get("heart_rate_bpm")
    return ParsedActivity(
        start_utc=utc_datetime(start_s),
        utc_offset_s=points.offset_s,  # TCX times are UTC; only an explicit non-zero offset tells local time
        sport=sport,
        sub_sport=sub_sport,
        elapsed_s=float(elapsed),
        # Lap TotalTimeSeconds is the device's timer time, i.e. time not paused. It can exceed the point
        # span by a second (the last point precedes the lap end); moving time never exceeds elapsed.
        moving_s=min(lap_time, elapsed) if lap_time is not None else summary.moving_time_s(streams),
        distance_m=lap_distance if lap_distance is not None else summary.total_distance_m(streams),
        ascent_m=summary.ascent_m(streams),
        avg_hr_bpm=summary.finite_mean(heart_rate) or _lap_average_hr(raw.laps),
        max_hr_bpm=lap_max_hr if lap_max_hr is not None else summary.finite_max(heart_rate),
        avg_cadence_spm=summary.finite_mean(streams.get("cadence_spm")),
        device=raw.device,
        streams=streams,
        name=raw.notes,
        session_index=index,
    )


def _lap_average_hr(laps: list[_Lap]) -> float | None:
    """Time-weighted mean of the laps' average heart rates, for activities without an HR stream."""
    pairs = [(lap.avg_hr, lap.time_s) for lap in laps if lap.avg_hr and lap.avg_hr > 0 and lap.time_s]
    weight = sum(time for _, time in pairs if time > 0)
    return sum(hr * time for hr, time in pairs if time > 0) / weight if weight > 0 else None


def _build_result(found: list[_RawActivity]) -> ParseResult:
    warnings: list[str] = []
    activities = [a for i, raw in enumerate(found) if (a := _build_activity(raw, i, warnings)) is not None]
    if not activities:
        raise ParseError("no timed trackpoints in any activity (nothing was recorded)")
    return ParseResult(format=FileFormat.TCX, activities=tuple(activities), warnings=tuple(warnings))
