"""Write a realistic Apple Health export (``export.xml``, route GPX files, optionally ``export.zip``) of any size.

For the wearable parser's tests and its benchmark: a desk worker who wears an Apple Watch and carries an
iPhone, so both count steps (overlapping samples, as real exports have), the Watch logs heart rate, energy
and stand hours all day, and every other evening there is a run or a walk with a GPS route. The layout
follows real exports (shared/research/parsers.md §2.2): an internal DOCTYPE with element and attribute
declarations but no entities, ``<ExportDate>``, ``<Me>``, then records, workouts and finally one
``<ActivitySummary>`` per day; dates are local wall time with the offset of that moment
(``2023-03-12 07:25:41 -0700``). Records are written day by day (real exports sort them by type) — the
parser does not care about the order.

The XML is streamed to the file as it is made, so a 500 MB export costs a few MB of memory; what the
parser must find (step totals per source, stand hours, workouts) is returned as :class:`ExportTruth`.
Everything comes from a seeded generator, so the same call gives the same bytes.
"""

from __future__ import annotations

import math
import random
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

PHONE = "Ana’s iPhone"  # the curly apostrophe is what iOS writes, and a non-ASCII test for free
WATCH = "Ana’s Apple Watch"
PHONE_DEVICE = (
    "&lt;&lt;HKDevice: 0x3009e8f50&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, "
    "hardware:iPhone15,2, software:17.1.1&gt;"
)
WATCH_DEVICE = (
    "&lt;&lt;HKDevice: 0x3009e8c30&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, "
    "hardware:Watch6,2, software:10.1&gt;"
)
EXPORT_DIR = "apple_health_export"
ROUTES_DIR = "workout-routes"

# The DOCTYPE real exports open with: element and attribute declarations (no entities), abridged.
_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 13 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type      CDATA #REQUIRED
  startDate CDATA #REQUIRED
  endDate   CDATA #REQUIRED
  average   CDATA #IMPLIED
  minimum   CDATA #IMPLIED
  maximum   CDATA #IMPLIED
  sum       CDATA #IMPLIED
  unit      CDATA #IMPLIED
>
<!ELEMENT WorkoutRoute ((MetadataEntry|FileReference)*)>
<!ATTLIST WorkoutRoute
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT FileReference EMPTY>
<!ATTLIST FileReference
  path CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleExerciseTimeGoal    CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
  appleStandHoursGoal      CDATA #IMPLIED
>
]>
<HealthData locale="en_US">
 <ExportDate value="{export_date}"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1988-04-09" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"/>
"""  # noqa: E501  (the Me line is one element, as in real exports)

_FOOTER = "</HealthData>\n"
_M_PER_DEG_LAT = 111_320.0


@dataclass
class ExportTruth:
    """What the generator wrote, for checking a parser's output against."""

    path: Path
    bytes_written: int = 0
    days: int = 0
    step_totals: dict[str, float] = field(default_factory=dict)  # source → steps
    step_samples: int = 0
    stand_hours: int = 0
    stood_hours: int = 0
    workouts: int = 0
    workout_distance_m: float = 0.0
    routes: list[str] = field(default_factory=list)  # FileReference paths, as written
    skipped_records: int = 0  # records of other types (heart rate, energy, distance…)
    first_step_utc: datetime | None = None


class _Clock:
    """Local wall-time text with the offset of that moment, cached per hour (DST moves on the hour)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._offsets: dict[int, tuple[int, str]] = {}

    def text(self, utc_s: float) -> str:
        hour = int(utc_s // 3600)
        cached = self._offsets.get(hour)
        if cached is None:
            offset = datetime.fromtimestamp(hour * 3600, UTC).astimezone(self.zone).utcoffset()
            seconds = int(offset.total_seconds()) if offset is not None else 0
            sign = "-" if seconds < 0 else "+"
            cached = (seconds, f"{sign}{abs(seconds) // 3600:02d}{abs(seconds) % 3600 // 60:02d}")
            self._offsets[hour] = cached
        local = datetime.fromtimestamp(int(utc_s) + cached[0], UTC)
        return (
            f"{local.year:04d}-{local.month:02d}-{local.day:02d} "
            f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {cached[1]}"
        )


def _record(clock: _Clock, kind: str, source: str, device: str, unit: str, start: float, end: float, value: str) -> str:
    return (
        f' <Record type="{kind}" sourceName="{source}" sourceVersion="17.1.1" device="{device}" unit="{unit}" '
        f'creationDate="{clock.text(end + 37)}" startDate="{clock.text(start)}" endDate="{clock.text(end)}" '
        f'value="{value}"/>\n'
    )


class _Day:
    """One simulated day: its records as text (a few hundred kB), then written at once."""

    def __init__(self, clock: _Clock, rng: random.Random, midnight_utc: float, truth: ExportTruth) -> None:
        self.clock, self.rng, self.midnight, self.truth = clock, rng, midnight_utc, truth
        self.parts: list[str] = []

    def other(self, kind: str, unit: str, start: float, end: float, value: str, metadata: str = "") -> None:
        self.truth.skipped_records += 1
        line = _record(self.clock, kind, WATCH, WATCH_DEVICE, unit, start, end, value)
        if metadata:
            line = line[:-3] + ">\n" + metadata + " </Record>\n"
        self.parts.append(line)

    def steps(self, source: str, start: float, end: float, steps: int) -> None:
        device = WATCH_DEVICE if source == WATCH else PHONE_DEVICE
        self.parts.append(
            _record(self.clock, "HKQuantityTypeIdentifierStepCount", source, device, "count", start, end, str(steps))
        )
        truth = self.truth
        truth.step_totals[source] = truth.step_totals.get(source, 0.0) + steps
        truth.step_samples += 1
        first = datetime.fromtimestamp(int(start), UTC)
        if truth.first_step_utc is None or first < truth.first_step_utc:
            truth.first_step_utc = first
        # Every step sample comes with a distance sample, as on a real iPhone/Watch.
        self.other("HKQuantityTypeIdentifierDistanceWalkingRunning", "km", start, end, f"{steps * 0.00071:.5f}")

    def stand(self, hour_start: float, stood: bool) -> None:
        value = "HKCategoryValueAppleStandHourStood" if stood else "HKCategoryValueAppleStandHourIdle"
        self.parts.append(
            f' <Record type="HKCategoryTypeIdentifierAppleStandHour" sourceName="{WATCH}" sourceVersion="10.1" '
            f'device="{WATCH_DEVICE}" creationDate="{self.clock.text(hour_start + 3600)}" '
            f'startDate="{self.clock.text(hour_start)}" endDate="{self.clock.text(hour_start + 3600)}" '
            f'value="{value}"/>\n'
        )
        self.truth.stand_hours += 1
        self.truth.stood_hours += stood


def _simulate_day(day: _Day) -> tuple[float, float, int]:
    """Fill ``day`` with a desk worker's records; returns (evening workout start, its end, hours stood)."""
    rng, t0 = day.rng, day.midnight
    # Heart rate all day (every ~5 min), and basal energy every ~15 min.
    t = t0 + rng.uniform(0, 120)
    while t < t0 + 86_400:
        hr = rng.randint(52, 64) if (t - t0) < 7 * 3600 else rng.randint(60, 92)
        day.other(
            "HKQuantityTypeIdentifierHeartRate",
            "count/min",
            t,
            t,
            str(hr),
            '  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n',
        )
        t += rng.uniform(240, 360)
    for quarter in range(96):
        start = t0 + quarter * 900
        day.other("HKQuantityTypeIdentifierBasalEnergyBurned", "kcal", start, start + 900, f"{rng.uniform(15, 18):.3f}")
    # Waking hours 07:00–23:00: desk blocks broken by walks; active energy every couple of minutes.
    t = t0 + 7 * 3600
    stood_in_hour: set[int] = set()
    while t < t0 + 23 * 3600:
        day.other("HKQuantityTypeIdentifierActiveEnergyBurned", "kcal", t, t + 60, f"{rng.uniform(0.1, 1.4):.3f}")
        if rng.random() < 0.12:  # a walk of 1–8 minutes (coffee, stairs, lunch)
            minutes = rng.randint(1, 8)
            for minute in range(minutes):
                start = t + minute * 60
                day.steps(WATCH, start, start + 60, rng.randint(60, 115))
            # The iPhone counts the same walk in one coarser sample, with a few steps less (in a pocket).
            day.steps(PHONE, t + 5, t + minutes * 60 - 5, max(1, minutes * rng.randint(50, 100)))
            stood_in_hour.add(int((t - t0) // 3600))
            t += minutes * 60
        t += rng.uniform(60, 180)
    for hour in range(7, 23):
        day.stand(t0 + hour * 3600, hour in stood_in_hour)
    run_start = t0 + 18.5 * 3600 + rng.uniform(0, 1800)
    return run_start, run_start + rng.uniform(1800, 3600), len(stood_in_hour)


def _route_gpx(start: float, end: float, lat0: float, lon0: float, speed: float, step_s: int) -> str:
    points = []
    t = start
    radius = 400.0
    while t <= end:
        angle = (t - start) * speed / radius
        lat = lat0 + radius * math.sin(angle) / _M_PER_DEG_LAT
        lon = lon0 + radius * (1 - math.cos(angle)) / (_M_PER_DEG_LAT * 0.79)
        stamp = datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        points.append(
            f'      <trkpt lon="{lon:.6f}" lat="{lat:.6f}"><ele>{12 + (t - start) % 40 / 10:.3f}</ele>'
            f"<time>{stamp}</time><extensions><speed>{speed:.3f}</speed><course>0</course>"
            f"<hAcc>3.1</hAcc><vAcc>2.2</vAcc></extensions></trkpt>\n"
        )
        t += step_s
    created = datetime.fromtimestamp(int(end) + 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="Apple Health Export" xmlns="http://www.topografix.com/GPX/1/1">\n'
        f"  <metadata>\n    <time>{created}</time>\n  </metadata>\n  <trk>\n"
        f"    <name>Route</name>\n    <trkseg>\n{''.join(points)}    </trkseg>\n  </trk>\n</gpx>\n"
    )


def _workout(day: _Day, start: float, end: float, running: bool, routes_dir: Path | None, route_step_s: int) -> str:
    clock, rng = day.clock, day.rng
    speed = rng.uniform(2.6, 3.3) if running else rng.uniform(1.2, 1.6)
    distance_km = speed * (end - start) / 1000.0
    kind = "HKWorkoutActivityTypeRunning" if running else "HKWorkoutActivityTypeWalking"
    energy = distance_km * (66.0 if running else 40.0)
    lines = [
        f' <Workout workoutActivityType="{kind}" duration="{(end - start) / 60:.6f}" durationUnit="min" '
        f'sourceName="{WATCH}" sourceVersion="10.1" device="{WATCH_DEVICE}" creationDate="{clock.text(end + 20)}" '
        f'startDate="{clock.text(start)}" endDate="{clock.text(end)}">\n',
        f'  <MetadataEntry key="HKTimeZone" value="{clock.zone.key}"/>\n',
        '  <MetadataEntry key="HKIndoorWorkout" value="0"/>\n',
        f'  <MetadataEntry key="HKElevationAscended" value="{rng.randint(800, 4000)} cm"/>\n',
        f'  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="{clock.text(start)}" '
        f'endDate="{clock.text(end)}" sum="{distance_km:.4f}" unit="km"/>\n',
        f'  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="{clock.text(start)}" '
        f'endDate="{clock.text(end)}" sum="{energy:.2f}" unit="kcal"/>\n',
        f'  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="{clock.text(start)}" '
        f'endDate="{clock.text(end)}" average="{rng.uniform(130, 155):.1f}" minimum="98" '
        f'maximum="{rng.randint(160, 178)}" unit="count/min"/>\n',
    ]
    day.truth.workouts += 1
    day.truth.workout_distance_m += round(distance_km, 4) * 1000.0
    if routes_dir is not None:
        local = datetime.fromtimestamp(int(start), UTC).astimezone(clock.zone)
        name = f"route_{local:%Y-%m-%d}_{local.hour % 12 or 12}.{local:%M}{'am' if local.hour < 12 else 'pm'}.gpx"
        (routes_dir / name).write_text(_route_gpx(start, end, 37.7749, -122.4194, speed, route_step_s), "utf-8")
        reference = f"/{ROUTES_DIR}/{name}"
        day.truth.routes.append(reference)
        lines.append(
            f'  <WorkoutRoute sourceName="{WATCH}" sourceVersion="10.1" creationDate="{clock.text(end + 30)}" '
            f'startDate="{clock.text(start)}" endDate="{clock.text(end)}">\n'
            f'   <MetadataEntry key="HKMetadataKeySyncVersion" value="2"/>\n'
            f'   <FileReference path="{reference}"/>\n  </WorkoutRoute>\n'
        )
    lines.append(" </Workout>\n")
    return "".join(lines)


def write_apple_health_export(
    path: Path,
    *,
    target_bytes: int,
    start_day: date = date(2023, 3, 6),  # a week before the US switch to daylight saving time
    timezone: str = "America/Los_Angeles",
    seed: int = 20_230_306,
    routes_dir: Path | None = None,
    route_step_s: int = 5,
) -> ExportTruth:
    """Write days of data to ``path`` until it holds at least ``target_bytes`` (at least one day).

    With ``routes_dir`` every workout gets a route GPX written there and a ``FileReference`` to it.
    """
    zone = ZoneInfo(timezone)
    clock = _Clock(zone)
    rng = random.Random(seed)
    truth = ExportTruth(path=path)
    if routes_dir is not None:
        routes_dir.mkdir(parents=True, exist_ok=True)
    summaries: list[str] = []
    day_index = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        export_date = datetime.combine(start_day, datetime.min.time(), zone) + timedelta(days=4000)
        written = out.write(_HEADER.replace("{export_date}", clock.text(export_date.timestamp())))
        while True:
            current = start_day + timedelta(days=day_index)
            midnight = datetime.combine(current, datetime.min.time(), zone).timestamp()
            day = _Day(clock, rng, midnight, truth)
            run_start, run_end, stood = _simulate_day(day)
            if day_index % 2 == 0:
                day.parts.append(_workout(day, run_start, run_end, day_index % 4 == 0, routes_dir, route_step_s))
            text = "".join(day.parts)
            written += len(text.encode("utf-8"))
            out.write(text)
            summaries.append(
                f' <ActivitySummary dateComponents="{current.isoformat()}" '
                f'activeEnergyBurned="{rng.uniform(300, 700):.3f}" '
                f'activeEnergyBurnedGoal="500" activeEnergyBurnedUnit="kcal" appleExerciseTime="{rng.randint(5, 60)}" '
                f'appleExerciseTimeGoal="30" appleStandHours="{stood}" appleStandHoursGoal="12"/>\n'
            )
            day_index += 1
            if written >= target_bytes:
                break
        tail = "".join(summaries) + _FOOTER
        out.write(tail)
        written += len(tail.encode("utf-8"))
    truth.days = day_index
    truth.bytes_written = written
    return truth


def zip_apple_health_export(export_xml: Path, zip_path: Path, routes_dir: Path | None = None) -> Path:
    """Pack an export as the iPhone does: ``apple_health_export/export.xml`` and ``…/workout-routes/*.gpx``."""
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.write(export_xml, f"{EXPORT_DIR}/export.xml")
        if routes_dir is not None:
            for route in sorted(routes_dir.glob("*.gpx")):
                archive.write(route, f"{EXPORT_DIR}/{ROUTES_DIR}/{route.name}")
    return zip_path
