"""One file read, recognised, parsed and encoded for storing, in a worker process: no database here.

What crosses back to the main process is a ``PreparedFile``: the activities with their streams already encoded,
the original's bytes compressed, and a one-line reason instead of an exception when something is wrong.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field, replace

from gluteguard.ingest.dispatch import parse_payload, unwrap
from gluteguard.ingest.fitbit import fitbit_file_kind, parse_fitbit_export
from gluteguard.ingest.garmin_monitoring import is_garmin_monitoring, parse_garmin_monitoring
from gluteguard.ingest.model import FileFormat, NotAnActivity, ParsedActivity, ParseError, Streams
from gluteguard.ingest.plausible import checked
from gluteguard.ingest.sources import SourceUnit
from gluteguard.ingest.strava_export import apply_export_meta, manual_activity
from gluteguard.ingest.wearable import WearableData
from gluteguard.load.trimp import hr_histogram
from gluteguard.store.codec import encode_histogram, encode_streams

ORIGINAL_ZLIB_LEVEL = 1  # originals kept for re-processing: on FIT, level 1 is as small as 3 and 1.5× faster


@dataclass
class PreparedActivity:
    parsed: ParsedActivity  # streams are emptied after encoding to keep inter-process traffic small
    stream_columns: list[str]
    stream_blob: bytes
    n_samples: int
    hr_histogram: bytes | None = None


@dataclass
class PreparedFile:
    name: str
    sha256: str | None = None
    format: str | None = None
    size_bytes: int = 0
    content_zlib: bytes = b""
    meta: dict | None = None
    activities: list[PreparedActivity] = field(default_factory=list)
    error: str | None = None
    not_activity: str | None = None  # readable, but holds no activity (settings, workout, monitoring…)
    warnings: tuple[str, ...] = ()
    n_records: int = 0
    wearable: WearableData | None = None  # steps, stand hours… from a wearable export (Garmin, Fitbit, Apple)


def histogram_blob(streams: Streams) -> bytes | None:
    """The activity's seconds-per-bpm histogram (for TRIMP), or None without a heart-rate record."""
    time, heart_rate = streams.get("time_s"), streams.get("heart_rate_bpm")
    if time is None or heart_rate is None:
        return None
    return encode_histogram(hr_histogram(time, heart_rate))


def prepare_activity(activity: ParsedActivity) -> PreparedActivity:
    columns, blob = encode_streams(activity.streams)
    n_samples = len(activity.streams)
    histogram = histogram_blob(activity.streams)
    light = replace(activity, streams=type(activity.streams)({}))
    return PreparedActivity(light, columns, blob, n_samples, histogram)


def parse_wearable(payload: bytes, name: str, timezone: str) -> WearableData | None:
    """A Garmin monitoring FIT or a Fitbit per-day JSON file, parsed; None for anything else (activities)."""
    if fitbit_file_kind(name, payload[:256]) is not None:
        return parse_fitbit_export([(name, payload)], timezone=timezone)
    if is_garmin_monitoring(payload):
        return parse_garmin_monitoring(payload)
    return None


def prepare_unit(unit: SourceUnit, fit_decoder: str = "auto", timezone: str = "UTC") -> PreparedFile:
    """Read, recognise, parse and encode one file. Never raises: problems become ``error``."""
    prepared = PreparedFile(name=unit.name, meta=unit.meta)
    try:
        if unit.kind == "strava_manual":
            payload = unit.read()
            result_activities: tuple[ParsedActivity, ...] = (manual_activity(unit.meta or {}),)
            prepared.format = FileFormat.STRAVA_MANUAL.value
            warnings: tuple[str, ...] = ()
        else:
            raw = unit.read()
            payload = unwrap(raw)
            wearable = parse_wearable(payload, unit.name, timezone)
            if wearable is not None:
                prepared.format, prepared.wearable = wearable.kind, wearable
                result_activities, warnings = wearable.workouts, wearable.warnings
            else:
                result = parse_payload(payload, unit.name, fit_decoder=fit_decoder)
                prepared.format = result.format.value
                result_activities = tuple(apply_export_meta(a, unit.meta) for a in result.activities)
                warnings = result.warnings
    except NotAnActivity as exc:
        prepared.not_activity = str(exc)
        return prepared
    except ParseError as exc:
        prepared.error = str(exc)
        return prepared
    except OSError as exc:
        prepared.error = f"cannot read ({exc.strerror or exc})"
        return prepared
    except MemoryError:
        prepared.error = "file too large to read into memory"
        return prepared
    except Exception as exc:
        prepared.error = f"internal parser error ({type(exc).__name__}: {exc}); please report this file"
        return prepared
    looked_at = [checked(activity) for activity in result_activities]
    kept = tuple(activity for activity, _ in looked_at if activity is not None)
    refused = [notes[0] for activity, notes in looked_at if activity is None]
    if refused and not kept:
        prepared.error = f"refused: {refused[0]}"
        return prepared
    dropped = [note for activity, notes in looked_at if activity is not None for note in notes]
    warnings = (*warnings, *(f"an activity was left out: {why}" for why in refused), *dropped)
    result_activities = kept
    prepared.sha256 = hashlib.sha256(payload).hexdigest()
    prepared.size_bytes = len(payload)
    prepared.content_zlib = zlib.compress(payload, ORIGINAL_ZLIB_LEVEL)
    prepared.warnings = warnings
    prepared.activities = [prepare_activity(a) for a in result_activities]
    prepared.n_records = sum(a.n_samples for a in prepared.activities)
    return prepared
