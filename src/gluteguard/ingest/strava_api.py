"""Strava API activities as parsed activities (issue 18's sync), pure: the API's JSON in, the same model a file
import makes out, so load, plan and duplicates cannot tell a synced run from an imported one.

Shapes follow the API reference (https://developers.strava.com/docs/reference/): a ``DetailedActivity``
(``GET /activities/{id}``: ``sport_type`` like "TrailRun", ``start_date`` in UTC, ``utc_offset`` in seconds,
``elapsed_time``/``moving_time`` in seconds, ``distance`` and ``total_elevation_gain`` in metres, heart rate,
``average_cadence``, ``gear`` {"name"}, ``perceived_exertion`` 1–10, ``device_name``, ``manual``, ``commute``) and
its streams keyed by type (``GET /activities/{id}/streams?key_by_type=true``: ``time`` s, ``distance`` m,
``latlng`` [lat, lng], ``altitude`` m, ``heartrate`` bpm, ``cadence``). Strava's running cadence counts one foot
(strides per minute, as Garmin's FIT files store it): steps are twice that, as in the FIT importer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np

from gluteguard.ingest.model import ParsedActivity, ParseError, Sport, Streams
from gluteguard.ingest.sports import classify

STREAM_KEYS = ("time", "distance", "latlng", "altitude", "heartrate", "cadence", "velocity_smooth")
SYNCED_DEVICE = "Strava (synced)"
# The sports whose cadence Strava reports per foot (strides): running and walking, as their watches do.
_STRIDE_SPORTS = {Sport.RUN, Sport.WALK, Sport.HIKE}


def source_key(activity_id: int) -> str:
    """What identifies a synced activity among the sources: the same Strava activity synced twice is one source."""
    return f"strava-api:{int(activity_id)}"


def sport_label(sport_type: str | None) -> str | None:
    """"TrailRun" → "trail run": the API's names as the export's activities.csv writes them (sports.toml)."""
    if not sport_type:
        return None
    return re.sub(r"(?<!^)(?=[A-Z])", " ", sport_type.strip()).lower()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _start(activity: Mapping[str, Any]) -> datetime:
    raw = activity.get("start_date")
    if not isinstance(raw, str):
        raise ParseError("Strava activity without a start date")
    try:
        start = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(f"Strava activity with an unreadable start date: {raw[:40]!r}") from None
    return start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)


def _column(streams: Mapping[str, Any], key: str) -> list | None:
    stream = streams.get(key)
    data = stream.get("data") if isinstance(stream, Mapping) else None
    return data if isinstance(data, list) and data else None


def _streams(streams: Mapping[str, Any], stride_cadence: bool) -> Streams:
    """The streams that line up with ``time``, as the file importer's column names; a stream of another length
    (Strava resampled it) is left out rather than misaligned."""
    time = _column(streams, "time")
    if time is None:
        return Streams({})
    n = len(time)
    columns: dict[str, np.ndarray] = {"time_s": np.asarray(time, dtype=float)}

    def put(name: str, values: list | None, scale: float = 1.0) -> None:
        if values is not None and len(values) == n:
            array = np.asarray([v if isinstance(v, int | float) else np.nan for v in values], dtype=float)
            columns[name] = array * scale

    put("distance_m", _column(streams, "distance"))
    put("altitude_m", _column(streams, "altitude"))
    put("heart_rate_bpm", _column(streams, "heartrate"))
    put("speed_mps", _column(streams, "velocity_smooth"))
    put("cadence_spm", _column(streams, "cadence"), 2.0 if stride_cadence else 1.0)
    latlng = _column(streams, "latlng")
    if latlng is not None and len(latlng) == n:
        pairs = [p if isinstance(p, list) and len(p) == 2 else [np.nan, np.nan] for p in latlng]
        points = np.asarray(pairs, dtype=float)
        columns["lat_deg"], columns["lon_deg"] = points[:, 0], points[:, 1]
    return Streams(columns)


def activity_from_api(activity: Mapping[str, Any], streams: Mapping[str, Any] | None = None) -> ParsedActivity:
    """One API activity (detailed or summary) and its streams (None or {} for a manual entry) as a parsed activity.
    Raises ``ParseError`` with one line when the activity has no usable start or length."""
    sport, sub_sport = classify("strava", sport_label(activity.get("sport_type") or activity.get("type")))
    stride_cadence = sport in _STRIDE_SPORTS
    elapsed = _number(activity.get("elapsed_time"))
    if elapsed is None or elapsed <= 0:
        raise ParseError("Strava activity without an elapsed time")
    cadence = _number(activity.get("average_cadence"))
    gear = activity.get("gear")
    exertion = _number(activity.get("perceived_exertion"))
    manual = bool(activity.get("manual"))
    offset = _number(activity.get("utc_offset"))
    return ParsedActivity(
        start_utc=_start(activity),
        utc_offset_s=None if offset is None else int(offset),
        sport=sport,
        sub_sport="treadmill" if activity.get("trainer") and sport == Sport.RUN and not sub_sport else sub_sport,
        elapsed_s=elapsed,
        moving_s=_number(activity.get("moving_time")),
        distance_m=_number(activity.get("distance")),
        ascent_m=_number(activity.get("total_elevation_gain")),
        avg_hr_bpm=_number(activity.get("average_heartrate")),
        max_hr_bpm=_number(activity.get("max_heartrate")),
        avg_cadence_spm=None if cadence is None else cadence * (2.0 if stride_cadence else 1.0),
        device="Strava (manual entry)" if manual else (activity.get("device_name") or SYNCED_DEVICE),
        streams=Streams({}) if manual or not streams else _streams(streams, stride_cadence),
        name=activity.get("name") if isinstance(activity.get("name"), str) else None,
        shoes=gear.get("name") if isinstance(gear, Mapping) and isinstance(gear.get("name"), str) else None,
        rpe=exertion if exertion is not None and 1 <= exertion <= 10 else None,
        commute=activity.get("commute") if isinstance(activity.get("commute"), bool) else None,
    )


# --- the conversation with the API: tokens, rate limits, where to resume ---------------------------------------

REFRESH_MARGIN_S = 300  # refresh a token that expires within 5 minutes: a sync's next requests must not fail on it


def token_needs_refresh(expires_at: int | None, now_s: float) -> bool:
    return expires_at is None or expires_at - now_s <= REFRESH_MARGIN_S


def rate_limit_wait(usage: tuple[int, int], limit: tuple[int, int], now: datetime) -> float:
    """Seconds to wait before the next request, from the API's usage and limit headers (15-minute and daily
    windows; https://developers.strava.com/docs/rate-limits/): none while both are under their limit, to the next
    quarter hour when the 15-minute one is used up, to midnight UTC when the daily one is."""
    now = now.astimezone(UTC)
    if usage[1] >= limit[1] > 0:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return 86400 - (now - midnight).total_seconds() + 1
    if usage[0] >= limit[0] > 0:
        into = (now.minute % 15) * 60 + now.second + now.microsecond / 1e6
        return 900 - into + 1
    return 0.0


def resume_after(newest_start: datetime | None, overlap_s: int = 3600) -> int | None:
    """The ``after`` of the next activity listing (epoch seconds): an hour before the newest start synced, so an
    activity uploaded late with an earlier start is still seen; None lists everything."""
    if newest_start is None:
        return None
    return int(newest_start.astimezone(UTC).timestamp()) - overlap_s
