"""The frame rate a phone filmed at, when it wrote a slow-motion clip to play at another rate.

Android cameras store a high-frame-rate recording as a stream that plays at about 30 frames/s and note the real
rate in the MP4's metadata under ``com.android.capture.fps`` (MediaInfo reads it as "Real frame rate"; its pull
request #1411 describes the layout). OpenCV does not expose container metadata, so PyAV (FFmpeg's own demuxer,
which turns those ``mdta`` keys into metadata) reads it here. An iPhone slow-motion clip shared from Photos carries
no such tag (it is re-encoded at 30 frames/s with a speed ramp): the gait's own periodicity catches it instead
(``gait.movement``), and the runner gives the rate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

# Metadata keys that hold the capture rate, most specific first.
CAPTURE_RATE_KEYS = ("com.android.capture.fps",)
# A tag at or below the playback rate (×1.1 for rounding) means the clip plays in real time: no re-timing.
REAL_TIME_TOLERANCE = 1.1


def _number(text: object) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def tagged_capture_rate(tags: Mapping[str, object], playback_fps: float) -> float | None:
    """The capture rate the tags give when it is faster than ``playback_fps`` (a slow-motion clip), else None."""
    for key in CAPTURE_RATE_KEYS:
        value = _number(tags.get(key)) if key in tags else None
        if value is not None and value > playback_fps * REAL_TIME_TOLERANCE:
            return value
    return None


def read_capture_rate(path: str | Path) -> float | None:
    """The slow-motion capture rate written in the clip's container, or None (no tag, real time, PyAV missing, or
    a file FFmpeg cannot open: the decoder reports those itself)."""
    try:
        import av
    except ImportError:
        return None
    try:
        with av.open(str(path)) as container:
            video = next((s for s in container.streams if s.type == "video"), None)
            if video is None or video.average_rate is None:
                return None
            tags = {**dict(container.metadata), **dict(video.metadata)}
            return tagged_capture_rate(tags, float(video.average_rate))
    except (av.FFmpegError, OSError, ValueError):
        return None
