"""Apple Health ``export.xml`` → steps, stand hours and workouts (the streaming parse; the prolog checks are in
``apple_health_prolog``, the ``export.zip`` handling in ``apple_health_zip``).

Exports reach gigabytes, so the file is streamed: lxml's parser is fed 1 MiB at a time and calls back into a
*target* object for each element, which builds no tree at all — memory stays flat whatever the file's shape,
even for hostile files with millions of children under one element. Only three record kinds are turned into
objects (``StepCount``, ``AppleStandHour`` and ``Workout``); every other record (heart rate, energy…) costs
one dictionary lookup and is counted in ``meta``.

Safety, as in ``xmlsafe`` (whose parser settings are used): the prolog is read before libxml2 sees anything
and refused when it declares entities (billion laughs, XXE) or names an external DTD (with one, libxml2
silently skips undefined entity references instead of failing); the parser never resolves entities, loads a
DTD or touches the network; text and attribute values are capped (``import_rules.toml`` [wearables]).

All or nothing: any problem — foreign or malformed XML, a truncated file, a malformed date or step count in a
record we read — raises one-line :class:`ParseError` and returns nothing, even after a million good records
("Bad or foreign XML … gets a clear error and writes nothing"). A half-read export would look like a
sedentary end of history. Unknown stand-hour values only give a warning.

Times: export dates carry an offset (``2016-11-14 07:25:41 -0700``) and are converted to UTC. That offset is
the exporting phone's, not necessarily the wearer's at the time (the dogsheep sample writes a November 2016
workout with -0700 though Los Angeles was on -0800), so a workout's local offset comes from its ``HKTimeZone``
metadata when present, else it is left unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from lxml import etree

from gluteguard.ingest import summary
from gluteguard.ingest.apple_health_prolog import ENTITIES_REFUSED, ENTITY_MARKER, ROOT, Prolog, read_prolog
from gluteguard.ingest.gpx import TrackPoints, parse_gpx
from gluteguard.ingest.model import ParsedActivity, ParseError, Sport, Streams
from gluteguard.ingest.sources import MEMBER_READ_ERRORS
from gluteguard.ingest.wearable import StandHour, StepSample, WearableData
from gluteguard.rules_data import Table, rules_data

STEP_COUNT = "HKQuantityTypeIdentifierStepCount"
STAND_HOUR = "HKCategoryTypeIdentifierAppleStandHour"
STOOD = "HKCategoryValueAppleStandHourStood"
IDLE = "HKCategoryValueAppleStandHourIdle"
EXPORT_XML = "export.xml"
PREFERRED_EXPORT_DIR = "apple_health_export"
READ_CHUNK_BYTES = 1 << 20

# HealthKit's HKWorkoutActivityType names (without the prefix) → our sport; others are "other" with the name
# as sub-sport. Source: Apple developer documentation, HKWorkoutActivityType.
_ACTIVITY_PREFIX = "HKWorkoutActivityType"
WORKOUT_SPORTS: dict[str, Sport] = {
    "Running": Sport.RUN,
    "Walking": Sport.WALK,
    "Hiking": Sport.HIKE,
    "Cycling": Sport.RIDE,
    "HandCycling": Sport.RIDE,
    "TraditionalStrengthTraining": Sport.STRENGTH,
    "FunctionalStrengthTraining": Sport.STRENGTH,
    "CoreTraining": Sport.STRENGTH,
}
# Units HealthKit writes for distances, durations and energy → metres, seconds, kcal.
_METRES = {"m": 1.0, "km": 1000.0, "mi": 1609.344, "yd": 0.9144, "ft": 0.3048, "cm": 0.01}
_SECONDS = {"s": 1.0, "min": 60.0, "hr": 3600.0, "h": 3600.0, "ms": 0.001}
_KCAL = {"kcal": 1.0, "Cal": 1.0, "cal": 0.001, "kJ": 1 / 4.184, "J": 1 / 4184.0}
_DISTANCE_STATISTICS = frozenset(
    {
        "HKQuantityTypeIdentifierDistanceWalkingRunning",
        "HKQuantityTypeIdentifierDistanceCycling",
        "HKQuantityTypeIdentifierDistanceSwimming",
        "HKQuantityTypeIdentifierDistanceWheelchair",
    }
)
_ENERGY_STATISTIC = "HKQuantityTypeIdentifierActiveEnergyBurned"
_HEART_RATE_STATISTIC = "HKQuantityTypeIdentifierHeartRate"
# A route whose first point is further than this outside its workout's time span is not that workout's
# recording (the dogsheep sample pairs a 2016 workout with a 2019 route): attached as is, with a warning.
ROUTE_TIME_TOLERANCE_S = 600.0
_EARLIEST_S, _LATEST_S = 0.0, 4_102_444_800.0  # 1970–2100: outside it a date is damage, not a reading

RouteLookup = Callable[[str], "bytes | None"]
BatchSink = Callable[["WearableData"], None]
BATCH_SAMPLES = 20_000  # samples per batch handed to on_batch: a few MB each
Progress = Callable[[int], None]


@dataclass(frozen=True)
class AppleHealthLimits:
    max_export_xml_bytes: int
    max_prolog_bytes: int
    max_text_bytes: int
    max_export_depth: int


def apple_health_limits() -> AppleHealthLimits:
    return rules_data("gluteguard.ingest", "import_rules.toml", _limits)


def _limits(rules: Table) -> AppleHealthLimits:
    table = rules["wearables"]
    return AppleHealthLimits(
        max_export_xml_bytes=int(table["apple_max_export_xml_bytes"]),
        max_prolog_bytes=int(table["apple_max_prolog_bytes"]),
        max_text_bytes=int(table["apple_max_text_bytes"]),
        max_export_depth=int(table["apple_max_export_depth"]),
    )


# --- the parse target -------------------------------------------------------------------------------------


class _Refused(Exception):
    """Raised inside the parser's callbacks; becomes a ParseError with the same one-line message."""


def _utc_seconds(text: str | None, what: str) -> float:
    """Seconds since the epoch of an export date; refuses absent, naive or damaged ones."""
    try:
        moment = datetime.fromisoformat(text)  # type: ignore[arg-type]  # Python 3.11 reads "… 07:25:41 -0700"
    except (TypeError, ValueError):
        raise _Refused(f"malformed date {str(text)[:40]!r} in {what}") from None
    if moment.tzinfo is None:
        raise _Refused(f"date without a UTC offset {text[:40]!r} in {what}")
    seconds = moment.timestamp()
    if not _EARLIEST_S <= seconds < _LATEST_S:
        raise _Refused(f"date out of range {text[:40]!r} in {what}")
    return seconds


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _number(text: str | None) -> float | None:
    return summary.finite_float(text)


def _quantity(text: str | None) -> tuple[float, str] | None:
    """ "4520 cm" → (4520.0, "cm"); None when not a number and a unit."""
    if not text:
        return None
    parts = text.split()
    value = _number(parts[0]) if parts else None
    return (value, parts[1] if len(parts) > 1 else "") if value is not None else None


class _WorkoutBuilder:
    def __init__(self, attrib: dict[str, str]) -> None:
        self.attrib = attrib
        self.metadata: dict[str, str] = {}
        self.statistics: dict[str, dict[str, str]] = {}
        self.route_paths: list[str] = []
        self.locations = TrackPoints()  # exports before iOS 12 inline the route as <Location> elements


class _ExportTarget:
    """lxml parser target: receives start/end/data events and keeps only what gluteguard needs."""

    def __init__(self, routes: RouteLookup | None, max_text_bytes: int, on_batch: BatchSink | None = None) -> None:
        self.routes = routes
        self.on_batch = on_batch
        self.sample_counts: dict[str, int] = {}
        self.max_text_bytes = max_text_bytes
        self.text_bytes = 0
        self.depth = 0
        self.steps: list[StepSample] = []
        self.stand_hours: list[StandHour] = []
        self.workouts: list[ParsedActivity] = []
        self.workout_meta: list[dict] = []
        self.warnings: list[str] = []
        self.record_counts: dict[str, int] = {}
        self.step_totals: dict[str, float] = {}
        self.sources: dict[str, str] = {}  # interned source names: one str object per source
        self.unknown_stand_values: dict[str, int] = {}
        self.activity_summaries: list[dict] = []
        self.export_date: str | None = None
        self.locale: str | None = None
        self.workout: _WorkoutBuilder | None = None
        self.closed_root = False

    # lxml calls these; any exception stops the parse and comes out of feed()/close().

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        self.text_bytes = 0
        if tag == "Record":
            kind = attrib.get("type", "")
            self.record_counts[kind] = self.record_counts.get(kind, 0) + 1
            if kind == STEP_COUNT:
                self._step(attrib)
            elif kind == STAND_HOUR:
                self._stand(attrib)
        elif self.depth == 1:
            if tag != ROOT:
                raise _Refused(f"not an Apple Health export (the root element is <{tag[:40]}>, not <{ROOT}>)")
            self.locale = attrib.get("locale")
        elif self.workout is not None:
            self._workout_child(tag, attrib)
        elif tag == "Workout":
            self.workout = _WorkoutBuilder(dict(attrib))
        elif tag == "ActivitySummary":
            self._activity_summary(attrib)
        elif tag == "ExportDate":
            self.export_date = attrib.get("value")

    def end(self, tag: str) -> None:
        self.depth -= 1
        if tag == "Workout" and self.workout is not None:
            self._finish_workout(self.workout)
            self.workout = None
        if self.depth == 0:
            self.closed_root = True

    def data(self, text: str) -> None:
        # Exports hold no text (every value is an attribute); this only bounds what a hostile file can send.
        self.text_bytes += len(text)
        if self.text_bytes > self.max_text_bytes:
            raise _Refused(f"refused: a text node longer than {self.max_text_bytes:,} characters")

    def close(self) -> None:
        return None

    # Records

    def _source(self, attrib: dict[str, str]) -> str:
        raw = attrib.get("sourceName") or "unknown source"
        name = self.sources.get(raw)
        if name is None:
            # Real exports write "Apple\xa0Watch" (a no-break space): plain spaces make sources comparable.
            name = self.sources[raw] = " ".join(raw.split()) or "unknown source"
        return name

    def _step(self, attrib: dict[str, str]) -> None:
        start = _utc_seconds(attrib.get("startDate"), "a StepCount record")
        end = _utc_seconds(attrib.get("endDate"), "a StepCount record")
        steps = _number(attrib.get("value"))
        if steps is None or steps < 0:
            raise _Refused(f"malformed step count {str(attrib.get('value'))[:40]!r} in a StepCount record")
        source = self._source(attrib)
        self.steps.append(StepSample(start=_utc(start), end=_utc(end), steps=steps, source=source))
        self.step_totals[source] = self.step_totals.get(source, 0.0) + steps
        self.sample_counts[source] = self.sample_counts.get(source, 0) + 1
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        """Hand full batches of samples to ``on_batch`` so memory stays flat however long the export is."""
        if self.on_batch is not None and len(self.steps) + len(self.stand_hours) >= BATCH_SAMPLES:
            self.on_batch(WearableData("apple_health", tuple(self.steps), tuple(self.stand_hours)))
            self.steps, self.stand_hours = [], []

    def _stand(self, attrib: dict[str, str]) -> None:
        value = attrib.get("value", "")
        if value not in (STOOD, IDLE):
            self.unknown_stand_values[value[:60]] = self.unknown_stand_values.get(value[:60], 0) + 1
            return
        start = _utc_seconds(attrib.get("startDate"), "an AppleStandHour record")
        self.stand_hours.append(StandHour(hour_start=_utc(start), stood=value == STOOD, source=self._source(attrib)))
        self._maybe_flush()

    def _activity_summary(self, attrib: dict[str, str]) -> None:
        self.activity_summaries.append(
            {
                "day": attrib.get("dateComponents"),
                "stand_hours": _number(attrib.get("appleStandHours")),
                "stand_hours_goal": _number(attrib.get("appleStandHoursGoal")),
                "exercise_min": _number(attrib.get("appleExerciseTime")),
                "active_energy": _number(attrib.get("activeEnergyBurned")),
                "active_energy_unit": attrib.get("activeEnergyBurnedUnit"),
            }
        )

    # Workouts

    def _workout_child(self, tag: str, attrib: dict[str, str]) -> None:
        workout = self.workout
        assert workout is not None
        if tag == "MetadataEntry" and self.depth == 3:  # the workout's own, not its route's
            key = attrib.get("key")
            if key:
                workout.metadata[key] = attrib.get("value", "")
        elif tag == "WorkoutStatistics":
            kind = attrib.get("type")
            if kind:
                workout.statistics[kind] = dict(attrib)
        elif tag == "FileReference":
            path = attrib.get("path")
            if path:
                workout.route_paths.append(path)
        elif tag == "Location":
            values: dict[str, float] = {}
            for key, name in (("lat", "latitude"), ("lon", "longitude"), ("alt", "altitude"), ("speed", "speed")):
                value = _number(attrib.get(name))
                if value is not None and not (name == "speed" and value < 0):  # -1 means "no speed"
                    values[key] = value
            date = attrib.get("date")
            workout.locations.add(date.replace(" ", "T", 1) if date else None, values, 0)

    def _finish_workout(self, workout: _WorkoutBuilder) -> None:
        attrib = workout.attrib
        start = _utc_seconds(attrib.get("startDate"), "a Workout")
        end = _utc_seconds(attrib.get("endDate"), "a Workout")
        raw_type = attrib.get("workoutActivityType", "")
        name = raw_type.removeprefix(_ACTIVITY_PREFIX)
        sport = WORKOUT_SPORTS.get(name, Sport.OTHER if name else Sport.UNKNOWN)
        indoor = workout.metadata.get("HKIndoorWorkout") == "1"
        sub_sport: str | None = None
        if sport == Sport.OTHER:
            sub_sport = _snake(name)
        elif indoor and sport == Sport.RUN:
            sub_sport = "treadmill"
        elif indoor and sport == Sport.RIDE:
            sub_sport = "indoor"
        label = f"workout {_utc(start):%Y-%m-%d %H:%M} UTC"

        streams, route_notes = self._route_streams(workout, start, end, sport)
        self.warnings.extend(f"{label}: {note}" for note in route_notes)

        distance = _scaled(attrib.get("totalDistance"), attrib.get("totalDistanceUnit"), _METRES)
        energy = _scaled(attrib.get("totalEnergyBurned"), attrib.get("totalEnergyBurnedUnit"), _KCAL)
        heart_rate = workout.statistics.get(_HEART_RATE_STATISTIC, {})
        for kind, statistic in workout.statistics.items():
            if distance is None and kind in _DISTANCE_STATISTICS:
                distance = _scaled(statistic.get("sum"), statistic.get("unit"), _METRES)
            if energy is None and kind == _ENERGY_STATISTIC:
                energy = _scaled(statistic.get("sum"), statistic.get("unit"), _KCAL)
        ascent = None
        climbed = _quantity(workout.metadata.get("HKElevationAscended"))
        if climbed is not None and climbed[1] in _METRES:
            ascent = climbed[0] * _METRES[climbed[1]]
        moving = _scaled(attrib.get("duration"), attrib.get("durationUnit") or "min", _SECONDS)
        source = self._source(attrib)
        self.workouts.append(
            ParsedActivity(
                start_utc=_utc(start),
                utc_offset_s=_zone_offset_s(workout.metadata.get("HKTimeZone"), start),
                sport=sport,
                sub_sport=sub_sport,
                elapsed_s=max(end - start, 0.0),
                moving_s=moving,
                distance_m=distance if distance is not None else summary.total_distance_m(streams),
                ascent_m=ascent if ascent is not None else summary.ascent_m(streams),
                avg_hr_bpm=_number(heart_rate.get("average")) or summary.finite_mean(streams.get("heart_rate_bpm")),
                max_hr_bpm=_number(heart_rate.get("maximum")) or summary.finite_max(streams.get("heart_rate_bpm")),
                avg_cadence_spm=None,
                device=source,
                streams=streams,
                session_index=len(self.workouts),
            )
        )
        self.workout_meta.append(
            {"start_utc": _utc(start).isoformat(), "activity_type": raw_type, "energy_kcal": energy, "indoor": indoor}
        )

    def _route_streams(
        self, workout: _WorkoutBuilder, start: float, end: float, sport: Sport
    ) -> tuple[Streams, list[str]]:
        notes: list[str] = []
        if len(workout.locations) >= 2:
            streams, sorted_notes = workout.locations.to_streams(start, sport)
            return streams, workout.locations.warnings("route") + sorted_notes
        for path in workout.route_paths:
            if self.routes is None:
                notes.append("route file not available (only export.xml was given)")
                continue
            data = self.routes(path)
            if data is None:
                notes.append(f"route file {path[:80]} is missing from the export")
                continue
            try:
                route = parse_gpx(data).activities[0]
            except ParseError as exc:
                notes.append(f"route file {path[:80]} could not be read ({exc})")
                continue
            route_start = route.start_utc.timestamp()
            if start - ROUTE_TIME_TOLERANCE_S <= route_start <= end + ROUTE_TIME_TOLERANCE_S:
                columns = dict(route.streams.columns)
                columns["time_s"] = (columns["time_s"] + (route_start - start)).astype(np.float64)
                return Streams(columns), notes
            notes.append(
                f"route {path[:80]} starts {_utc(route_start):%Y-%m-%d %H:%M} UTC, outside the workout; "
                "attached with times from its own start"
            )
            return route.streams, notes
        return Streams({"time_s": np.zeros(0)}), notes


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _scaled(text: str | None, unit: str | None, factors: dict[str, float]) -> float | None:
    value = _number(text)
    if value is None or unit not in factors:
        return None
    return value * factors[unit]


def _zone_offset_s(zone_name: str | None, at_s: float) -> int | None:
    if not zone_name:
        return None
    try:
        offset = _utc(at_s).astimezone(ZoneInfo(zone_name)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return int(offset.total_seconds()) if offset is not None else None


# --- the parse ---------------------------------------------------------------------------------------------


def _syntax_error(error: Exception) -> ParseError:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    text = re.sub(r"\s*\(<string>, line \d+\)\s*$", "", text).strip().rstrip(",")
    if "Premature end of data" in text or ("EndTag" in text and "not found" in text):
        return ParseError("truncated Apple Health export (the XML ends before </HealthData>)")
    if "limit" in text.lower() and "huge" in text.lower():
        return ParseError("refused: an XML text or attribute value exceeds the parser's size limit")
    return ParseError(f"not well-formed XML: {text[:160]}")


def _read_head(stream: IO[bytes], limits: AppleHealthLimits) -> tuple[bytes, Prolog]:
    head = b""
    while True:
        chunk = stream.read(READ_CHUNK_BYTES if head else 64 * 1024)
        if not chunk:
            break
        head += chunk
        prolog = read_prolog(head)
        if prolog.complete or len(head) > limits.max_prolog_bytes:
            break
    prolog = read_prolog(head)
    if not head.strip():
        raise ParseError("empty file")
    if prolog.declares_entities:
        raise ParseError(ENTITIES_REFUSED)
    if prolog.external_dtd:
        raise ParseError("refused: the document refers to an external DTD")
    if prolog.encoding is not None and prolog.encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ParseError(f"not an Apple Health export (encoding {prolog.encoding[:20]}, exports are UTF-8)")
    if not prolog.complete:
        if len(head) > limits.max_prolog_bytes:
            raise ParseError(
                f"not an Apple Health export (no root element in the first {limits.max_prolog_bytes:,} bytes)"
            )
        raise ParseError("truncated Apple Health export (the file ends before its root element)")
    if prolog.not_xml:
        raise ParseError("not an XML document")
    if prolog.root != ROOT:
        raise ParseError(f"not an Apple Health export (the root element is <{prolog.root}>, not <{ROOT}>)")
    return head, prolog


def parse_apple_health(
    stream: BinaryIO | IO[bytes],
    *,
    routes: RouteLookup | None = None,
    on_progress: Progress | None = None,
    on_batch: BatchSink | None = None,
) -> WearableData:
    """Read an Apple Health ``export.xml`` from a binary stream (a file, a zip member…), all or nothing.

    ``routes`` gives the bytes of a ``FileReference`` path such as ``/workout-routes/route_….gpx`` (None when
    missing); ``on_progress`` is called with the number of bytes read so far after each 1 MiB chunk.
    ``on_batch`` receives step samples and stand hours in batches as they are read (the result then holds only
    the last, partial batch): the caller stores them in its open transaction and rolls back on an error.
    Raises :class:`ParseError` with a one-line reason.
    """
    limits = apple_health_limits()
    head, _prolog = _read_head(stream, limits)
    target = _ExportTarget(routes, limits.max_text_bytes, on_batch)
    parser = etree.XMLParser(
        target=target,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,  # libxml2's own caps on text, attribute values, names and depth stay on
        remove_comments=True,
        remove_pis=True,
        recover=False,
    )
    bytes_read = 0
    tail = b""
    try:
        chunk = head
        while chunk:
            # "<!ENTITY" cannot occur in a valid export outside its prolog (a literal "<" is illegal in text and
            # attribute values), so it is looked for in every chunk, across chunk borders: this does not depend
            # on read_prolog finding the prolog's end the way libxml2 does.
            if ENTITY_MARKER in tail + chunk[: len(ENTITY_MARKER)] or ENTITY_MARKER in chunk:
                raise ParseError(ENTITIES_REFUSED)
            tail = chunk[-len(ENTITY_MARKER) :]
            bytes_read += len(chunk)
            if bytes_read > limits.max_export_xml_bytes:
                raise ParseError(f"refused: export.xml larger than {limits.max_export_xml_bytes:,} bytes")
            parser.feed(chunk)
            if on_progress is not None:
                on_progress(bytes_read)
            chunk = stream.read(READ_CHUNK_BYTES)
        try:
            parser.close()
        except etree.XMLSyntaxError:
            # Every byte was accepted as it came; failing only at the end means the document stops early.
            raise ParseError("truncated Apple Health export (the XML ends before </HealthData>)") from None
    except _Refused as exc:
        raise ParseError(str(exc)) from None
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from None
    except etree.LxmlError as exc:
        raise ParseError(
            f"not well-formed XML: {str(exc).splitlines()[0][:160] if str(exc) else 'parser error'}"
        ) from None
    except (ValueError, LookupError, UnicodeError) as exc:
        raise ParseError(f"not well-formed XML: {str(exc).splitlines()[0][:160]}") from None
    except MEMBER_READ_ERRORS as exc:  # the stream itself failed (damaged zip member, I/O error)
        raise ParseError(f"could not read the export ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not target.closed_root:
        raise ParseError("truncated Apple Health export (the XML ends before </HealthData>)")
    return _result(target, bytes_read)


def _result(target: _ExportTarget, bytes_read: int) -> WearableData:
    warnings = list(target.warnings)
    for value, count in sorted(target.unknown_stand_values.items()):
        warnings.append(f"skipped {count} stand-hour record(s) with an unknown value {value!r}")
    sample_counts = target.sample_counts
    meta = {
        "export_date": _export_date_utc(target.export_date),
        "locale": target.locale,
        "bytes_read": bytes_read,
        # Sources overlap (iPhone and Watch count the same walk): de-duplication is the metrics' job.
        "step_totals_by_source": dict(sorted(target.step_totals.items())),
        "step_samples_by_source": dict(sorted(sample_counts.items())),
        "record_counts": dict(sorted(target.record_counts.items())),
        "activity_summaries": target.activity_summaries,
        "workouts": target.workout_meta,
    }
    return WearableData(
        kind="apple_health",
        steps=tuple(target.steps),
        stand_hours=tuple(target.stand_hours),
        workouts=tuple(target.workouts),
        warnings=tuple(warnings),
        meta=meta,
    )


def _export_date_utc(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return _utc(_utc_seconds(text, "ExportDate")).isoformat()
    except _Refused:
        return None
