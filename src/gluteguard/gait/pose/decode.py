"""Decoding for the tracked pose path with PyAV (part of the ``video`` extra): exact frame numbers, seeking, and
upright crops converted straight from the decoder's YUV planes.

Why not OpenCV's ``VideoCapture`` here (``video.iter_frames`` still uses it for everything else): it converts every
whole frame to BGR and, for a phone clip tagged "rotate 90°", turns the whole 1080×1920 picture upright too, although
the pose model only looks at the part around the runner; and after a seek it cannot say which frame it is on in a
variable-frame-rate clip. Here the decoder hands over its YUV planes, only the window around the runner is converted
and turned upright, and frame numbers come from the presentation stamps listed by one pass over the packets (no
decoding: ~20 ms for a 10 s 1080p clip), so a second worker can start in the middle of a clip and still number every
frame exactly.

Pictures are in upright ("as displayed") pixels like ``video.iter_frames``: the rotation used is the one OpenCV
reports in ``VideoInfo.rotation_deg`` (clockwise), so both decoders agree on what "upright" means. Times follow the
same rule too (``video.sane_time``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from gluteguard.gait.pose.video import TRUNCATION_TOLERANCE, VideoError, VideoInfo, sane_time

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) in upright full-frame pixels, x1 and y1 exclusive

_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
# Pixel formats cut and converted from their planes here; any other (10-bit HDR, full-range "yuvj", …) goes through
# FFmpeg's own converter, which knows its range and depth.
_PLANAR_420 = "yuv420p"


class IndexMismatch(RuntimeError):
    """The decoder gave a frame the packet list did not announce: number frames by counting instead of splitting."""


class NotTrackable(RuntimeError):
    """Frames this decoder cannot map onto OpenCV's upright picture (another size): use the whole-frame path."""


def _fail(path: str | Path, reason: str) -> VideoError:
    return VideoError(f"{Path(path).name}: {reason}")


@dataclass(frozen=True)
class ClipIndex:
    """Every frame's presentation stamp in display order (what a frame number is), the keyframes' stamps (where a
    decoder can start) and every frame's time in seconds."""

    pts: np.ndarray  # int64, sorted ascending, one per frame
    keyframe_pts: np.ndarray  # int64, sorted ascending
    times_s: np.ndarray

    @property
    def frames(self) -> int:
        return len(self.pts)

    def number(self, pts: int | None) -> int:
        """The frame number of a decoded frame's stamp; :class:`IndexMismatch` when the stamp is not listed."""
        if pts is None:
            raise IndexMismatch("a decoded frame has no time stamp")
        at = int(np.searchsorted(self.pts, pts))
        if at >= len(self.pts) or int(self.pts[at]) != pts:
            raise IndexMismatch(f"decoded stamp {pts} is not in the packet list")
        return at

    def selected(self, step: int, max_seconds: float | None) -> list[int]:
        """The frame numbers ``video.iter_frames`` would yield with these options."""
        last = self.frames
        if max_seconds is not None:
            last = int(np.searchsorted(self.times_s, max_seconds + 1e-9, side="right"))
        return list(range(0, last, step))

    def start_for(self, frame: int, earlier: int = 0) -> int:
        """The stamp to seek to for decoding from ``frame``: the keyframe at or before it, ``earlier`` keyframes
        further back (open GOPs and reordered frames can need the one before)."""
        target = int(self.pts[frame])
        at = int(np.searchsorted(self.keyframe_pts, target, side="right")) - 1 - earlier
        return int(self.keyframe_pts[at]) if at >= 0 else int(self.pts[0])


def index_clip(path: str | Path, info: VideoInfo) -> ClipIndex | None:
    """List the clip's frames from its packets (no decoding). None when stamps are missing or repeated (a raw
    stream, an odd AVI): frames are then numbered by counting, and the clip is not split."""
    stamps: list[int] = []
    keys: list[int] = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            time_base = stream.time_base
            for packet in container.demux(stream):
                if packet.size == 0 or packet.is_discard:  # the final flush packet; edit-list leftovers
                    continue
                if packet.pts is None:
                    return None
                stamps.append(int(packet.pts))
                if packet.is_keyframe:
                    keys.append(int(packet.pts))
    except (av.FFmpegError, IndexError):
        if not stamps:
            return None  # the sequential path reports the file's problem in its own words
    if not stamps or not keys or time_base is None:
        return None
    pts = np.sort(np.asarray(stamps, dtype=np.int64))
    if np.any(np.diff(pts) == 0):
        return None
    seconds = (pts - pts[0]).astype(float) * float(time_base)
    times = np.empty(len(pts))
    previous = -math.inf
    for i, stamp in enumerate(seconds):
        previous = times[i] = sane_time(float(stamp), i, info.fps, previous)
    return ClipIndex(pts=pts, keyframe_pts=np.sort(np.asarray(keys, dtype=np.int64)), times_s=times)


@dataclass(frozen=True)
class Picture:
    """A decoded frame, still in the decoder's format and orientation (converted only where it is looked at)."""

    index: int
    time_s: float
    frame: av.VideoFrame


@dataclass
class DecodeStats:
    seconds: float = 0.0  # inside the decoder
    frames: int = 0  # decoded, including frames skipped by ``step`` or before a worker's start


class Upright:
    """Cuts a part of a decoded frame and turns it upright, as RGB for the pose model.

    Boxes are in upright pixels. :meth:`snap` widens one to even coordinates of the stored picture, because 4:2:0
    colour has one sample per 2×2 pixels: the cut then needs no resampling and lands exactly where it says.
    """

    def __init__(self, info: VideoInfo) -> None:
        self.rotation = info.rotation_deg if info.rotation_deg in _ROTATE else 0
        turned = self.rotation in (90, 270)
        self.width, self.height = info.width, info.height  # upright
        self.stored_width, self.stored_height = (info.height, info.width) if turned else (info.width, info.height)
        self.even = self.stored_width % 2 == 0 and self.stored_height % 2 == 0

    @property
    def whole(self) -> Box:
        return (0, 0, self.width, self.height)

    def to_stored(self, box: Box) -> Box:
        x0, y0, x1, y1 = box
        w, h = self.stored_width, self.stored_height
        if self.rotation == 90:  # upright (x, y) = (h - 1 - stored y, stored x)
            return (y0, h - x1, y1, h - x0)
        if self.rotation == 180:
            return (w - x1, h - y1, w - x0, h - y0)
        if self.rotation == 270:  # upright (x, y) = (stored y, w - 1 - stored x)
            return (w - y1, x0, w - y0, x1)
        return box

    def to_upright(self, stored: Box) -> Box:
        x0, y0, x1, y1 = stored
        w, h = self.stored_width, self.stored_height
        if self.rotation == 90:
            return (h - y1, x0, h - y0, x1)
        if self.rotation == 180:
            return (w - x1, h - y1, w - x0, h - y0)
        if self.rotation == 270:
            return (y0, w - x1, y1, w - x0)
        return stored

    def snap(self, box: Box) -> Box:
        """``box`` inside the picture, widened to even stored coordinates when the picture's size allows it."""
        x0, y0, x1, y1 = (int(v) for v in box)
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(self.width, x1), min(self.height, y1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            raise ValueError(f"empty box {box} in a {self.width}×{self.height} picture")
        if not self.even:
            return (x0, y0, x1, y1)
        sx0, sy0, sx1, sy1 = self.to_stored((x0, y0, x1, y1))
        stored = (sx0 - sx0 % 2, sy0 - sy0 % 2, sx1 + sx1 % 2, sy1 + sy1 % 2)
        return self.to_upright(stored)

    def rgb(self, frame: av.VideoFrame, box: Box) -> np.ndarray:
        """The upright RGB picture of ``box`` (a box from :meth:`snap`), C-contiguous uint8."""
        return self.picture(frame, box)[0]

    def picture(self, frame: av.VideoFrame, box: Box, *, halve: bool = False) -> tuple[np.ndarray, Box]:
        """The upright RGB picture of ``box`` (from :meth:`snap`) and the box it covers.

        ``halve``: at half the size in each direction, averaged 2×2 (``INTER_AREA``) from the decoder's planes, so
        only a quarter of the pixels are converted and handed to the graph; the box covered can then lose up to
        2 px at one edge (half sizes must be even). Landmarks map back as ``corner + fraction × covered size``.
        """
        if (frame.width, frame.height) != (self.stored_width, self.stored_height):
            size = f"{frame.width}×{frame.height}"
            raise NotTrackable(f"decoded {size}, expected {self.stored_width}×{self.stored_height}")
        sx0, sy0, sx1, sy1 = self.to_stored(box)
        planar = frame.format.name == _PLANAR_420 and self.even and not (sx0 % 2 or sy0 % 2 or sx1 % 2 or sy1 % 2)
        if halve:
            # Whole 2×2 blocks of luma, and an even number of them, so the halved chroma is whole too.
            sx1, sy1 = sx0 + (sx1 - sx0) // 4 * 4, sy0 + (sy1 - sy0) // 4 * 4
        covered = self.to_upright((sx0, sy0, sx1, sy1))
        if planar:
            luma, blue, red = (_plane(frame, i) for i in range(3))
            planes = [
                luma[sy0:sy1, sx0:sx1],
                blue[sy0 // 2 : sy1 // 2, sx0 // 2 : sx1 // 2],
                red[sy0 // 2 : sy1 // 2, sx0 // 2 : sx1 // 2],
            ]
            if halve:
                planes = [_halved(plane) for plane in planes]
            if self.rotation:
                # Turning the three planes (1.5 bytes a pixel) before the conversion gives the same picture as
                # turning the RGB result (3 bytes a pixel), at a quarter of the cost: 1.8 against 7.4 ms at 1080p.
                planes = [cv2.rotate(plane, _ROTATE[self.rotation]) for plane in planes]
            width = planes[0].shape[1]
            i420 = np.concatenate([plane.reshape(-1) for plane in planes]).reshape(-1, width)
            return cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420), covered
        picture = frame.to_ndarray(format="rgb24")[sy0:sy1, sx0:sx1]
        if halve:
            picture = _halved(picture)
        if self.rotation:
            picture = cv2.rotate(picture, _ROTATE[self.rotation])
        return np.ascontiguousarray(picture), covered


def _halved(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    return cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_AREA)


def _plane(frame: av.VideoFrame, which: int) -> np.ndarray:
    """One plane of a decoded frame as a (height, width) uint8 view, without copying."""
    plane = frame.planes[which]
    rows = np.frombuffer(plane, np.uint8)[: plane.line_size * plane.height]
    return rows.reshape(plane.height, plane.line_size)[:, : plane.width]


class ClipDecoder:
    """Decodes frames ``first``, ``first + step``, … (numbers on the clip's own grid, as ``iter_frames`` counts
    them) of one clip, up to ``stop`` (exclusive) or ``max_seconds``.

    With a :class:`ClipIndex` it can start anywhere (it seeks to the keyframe before ``first``) and numbers frames by
    their stamps; without one it starts at frame 0 and counts. ``threads`` = the decoder's own threads (0: FFmpeg
    picks). Raises :class:`~gluteguard.gait.pose.video.VideoError` when decoding stops well short of the frames the
    container declares, like ``iter_frames``.
    """

    def __init__(
        self,
        path: str | Path,
        info: VideoInfo,
        *,
        index: ClipIndex | None = None,
        step: int = 1,
        max_seconds: float | None = None,
        threads: int = 0,
    ) -> None:
        if step < 1:
            raise ValueError(f"step must be ≥ 1, got {step}")
        self.path = Path(path)
        self.info = info
        self.index = index
        self.step = step
        self.max_seconds = max_seconds
        self.threads = threads
        self.stats = DecodeStats()

    def pictures(self, first: int = 0, stop: int | None = None) -> Iterator[Picture]:
        if first > 0 and self.index is None:
            raise ValueError("starting past frame 0 needs the clip's index")
        for earlier in range(3):
            decoded = self._pictures(first, stop, earlier)
            try:
                yield from decoded
                return
            except _StartedTooLate:
                continue
        raise IndexMismatch(f"could not start decoding at frame {first}")

    def _open(self) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
        try:
            container = av.open(str(self.path))
        except (av.FFmpegError, OSError) as error:
            raise _fail(self.path, f"not a readable video ({error})") from None
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame and slice threads
        stream.codec_context.thread_count = self.threads
        return container, stream

    def _pictures(self, first: int, stop: int | None, earlier: int) -> Iterator[Picture]:
        container, stream = self._open()
        stats = self.stats
        index = self.index
        origin: int | None = None if index is None else int(index.pts[0])
        time_base = float(stream.time_base) if stream.time_base is not None else None
        counted = -1
        previous = -math.inf
        last_seen = -1
        ended = False  # the stream ran out (as opposed to reaching ``stop`` or ``max_seconds``)
        try:
            if first > 0 and index is not None:
                container.seek(index.start_for(first, earlier), stream=stream, backward=True, any_frame=False)
            frames = container.decode(stream)
            while True:
                tick = time.perf_counter()
                try:
                    frame = next(frames)
                except StopIteration:
                    ended = True
                    break
                except av.FFmpegError:
                    ended = True  # a corrupt or cut-off stream: stop here, the count below says whether it matters
                    break
                finally:
                    stats.seconds += time.perf_counter() - tick
                stats.frames += 1
                if index is not None:
                    number = index.number(frame.pts)
                    if number > first and last_seen < 0 and first > 0:
                        raise _StartedTooLate
                    time_s = float(index.times_s[number])
                else:
                    counted += 1
                    number = counted
                    if origin is None and frame.pts is not None:
                        origin = frame.pts
                    stamp = None
                    if frame.pts is not None and origin is not None and time_base is not None:
                        stamp = (frame.pts - origin) * time_base
                    time_s = previous = sane_time(stamp, number, self.info.fps, previous)
                last_seen = number
                if number < first:
                    continue
                if (stop is not None and number >= stop) or (
                    self.max_seconds is not None and time_s > self.max_seconds + 1e-9
                ):
                    break
                if number % self.step:
                    continue
                yield Picture(number, time_s, frame)
        finally:
            container.close()
        if ended:  # reached the end of what the file holds: was that the end the container announced?
            expected = self.info.frames_to_read(1, self.max_seconds)
            decoded = last_seen + 1
            if expected is not None and decoded < TRUNCATION_TOLERANCE * expected:
                reason = f"decoding stopped after {decoded} of {expected} frames (truncated or corrupt file)"
                raise _fail(self.path, reason)


class _StartedTooLate(Exception):
    """After a seek, the first frame decoded was already past the one wanted: seek to an earlier keyframe."""
