"""Video files in and pictures out, with OpenCV only (``opencv-python-headless``, part of the ``video`` extra).

- :func:`probe` opens a clip, decodes its first frame (so a renamed text file or a broken file fails here, in one
  line naming the file) and returns :class:`VideoInfo`: fps, frame count, display size, rotation, codec.
- :func:`iter_frames` yields :class:`Frame` objects one at a time, so a long clip never sits in memory.
- :func:`read_frames` fetches a few key frames by index for the report; :func:`draw_skeleton`, :func:`encode_jpeg`
  and :func:`encode_png` turn keypoints into a picture for the HTML report.

Phone clips are often stored landscape with a "rotate 90°" tag. OpenCV's FFmpeg backend applies that tag while
decoding (``CAP_PROP_ORIENTATION_AUTO``, on by default, switched on explicitly here), so every frame and every
pixel coordinate downstream is in the upright, as-displayed picture; the tag itself is kept in ``VideoInfo``.

OpenCV was chosen over PyAV: MediaPipe's legacy graph wants plain uint8 arrays, OpenCV's wheel already bundles an
FFmpeg with VP9/H.264/HEVC decoders and also does the drawing and JPEG/PNG encoding, so one wheel covers all of it.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gluteguard.gait.model import BLAZEPOSE_LANDMARKS, KeypointError

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm")
# A decoder that stops this far short of the frame count the container declares has hit a truncated/corrupt file.
TRUNCATION_TOLERANCE = 0.9


class VideoError(KeypointError):
    """A video that cannot be used; the message is one line that starts with the file name."""


@dataclass(frozen=True)
class VideoLimits:
    """Caps that keep one upload from tying up a 2-core laptop for an hour. A stride clip needs 10–60 s."""

    max_duration_s: float = 300.0
    max_bytes: int = 2 * 1024**3
    max_side_px: int = 4096  # 4K UHD (3840×2160) passes; 8K does not


DEFAULT_LIMITS = VideoLimits()


@dataclass(frozen=True)
class VideoInfo:
    """What a clip declares, with ``width``/``height`` taken from a decoded (already upright) frame."""

    path: str
    width: int
    height: int
    fps: float
    frame_count: int | None  # as the container declares it; None when it does not say
    duration_s: float | None
    rotation_deg: int  # the clip's rotation tag, already applied to the decoded frames
    codec: str
    size_bytes: int

    def frames_to_read(self, step: int = 1, max_seconds: float | None = None) -> int | None:
        """How many frames :func:`iter_frames` will yield with these options (None when the count is unknown)."""
        count = self.frame_count
        if max_seconds is not None:
            capped = math.floor(max_seconds * self.fps + 1e-9) + 1
            count = capped if count is None else min(count, capped)
        if count is None:
            return None
        return (count + step - 1) // step

    def as_meta(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index in the clip, its time stamp, and the picture (BGR uint8, OpenCV's order).

    With a crop, ``image`` is the cropped part and ``origin`` its top-left corner in the full frame, so a pose
    backend adds ``origin`` to put keypoints back in full-frame pixels.
    """

    index: int
    time_s: float
    image: np.ndarray
    origin: tuple[int, int] = (0, 0)

    def rgb(self) -> np.ndarray:
        return cv2.cvtColor(self.image, cv2.COLOR_BGR2RGB)


def _fail(path: str | Path, reason: str) -> VideoError:
    return VideoError(f"{Path(path).name}: {reason}")


def _open(path: str | Path) -> cv2.VideoCapture:
    # FFmpeg backend only: the default would also try the image-sequence backend on names like "clip%03d.mp4".
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if capture.isOpened():
        capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return capture


def _fourcc(capture: cv2.VideoCapture) -> str:
    code = int(capture.get(cv2.CAP_PROP_FOURCC))
    text = code.to_bytes(4, "little").decode("ascii", errors="replace").strip("\x00 ")
    return text if text.isprintable() and text else "unknown"


def probe(path: str | Path, *, limits: VideoLimits | None = None, max_seconds: float | None = None) -> VideoInfo:
    """Check that ``path`` is a usable clip and describe it. Raises :class:`VideoError` (one line) otherwise.

    ``max_seconds`` is the part that will be analysed: a long clip passes the duration cap when only its start is
    read.
    """
    limits = limits or DEFAULT_LIMITS
    file = Path(path)
    if not file.exists():
        raise _fail(file, "no such file")
    if not file.is_file():
        raise _fail(file, "not a file")
    size = file.stat().st_size
    if size == 0:
        raise _fail(file, "empty file (0 bytes), not a video")
    if size > limits.max_bytes:
        over = f"{size / 1024**3:.1f} GiB, over the {limits.max_bytes / 1024**3:.1f} GiB limit"
        raise _fail(file, f"{over}; trim the clip")
    capture = _open(file)
    try:
        if not capture.isOpened():
            raise _fail(file, "not a readable video (unknown format, or a corrupt or truncated file)")
        codec = _fourcc(capture)
        ok, first = capture.read()
        if not ok or first is None or first.size == 0:
            reason = f"no frame could be decoded (codec {codec}; corrupt or truncated file, or unsupported codec)"
            raise _fail(file, reason)
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        rotation = round(capture.get(cv2.CAP_PROP_ORIENTATION_META)) % 360
    finally:
        capture.release()
    if not (math.isfinite(fps) and 1.0 <= fps <= 1000.0):
        raise _fail(file, f"no usable frame rate in the file (got {fps:g} fps)")
    frame_count = declared if declared > 0 else None
    duration = frame_count / fps if frame_count is not None else None
    height, width = first.shape[:2]
    if max(width, height) > limits.max_side_px:
        raise _fail(file, f"{width}×{height} px, over the {limits.max_side_px} px limit; export it at 4K or less")
    analysed = duration if max_seconds is None or duration is None else min(duration, max_seconds)
    if analysed is not None and analysed > limits.max_duration_s:
        raise _fail(
            file,
            f"{analysed:.0f} s long, over the {limits.max_duration_s:.0f} s limit; trim it or analyse only the start",
        )
    return VideoInfo(
        path=str(file),
        width=int(width),
        height=int(height),
        fps=fps,
        frame_count=frame_count,
        duration_s=duration,
        rotation_deg=rotation,
        codec=codec,
        size_bytes=size,
    )


# (left, top, right, bottom) as fractions of the upright frame, e.g. (0, 0.45, 1, 1) = the lower 55 %.
Crop = tuple[float, float, float, float]


def crop_box(crop: Crop, width: int, height: int) -> tuple[int, int, int, int]:
    """Pixel (x0, y0, x1, y1) of a fractional crop; ValueError when it is empty or leaves the frame."""
    left, top, right, bottom = (float(v) for v in crop)
    if not (0.0 <= left < right <= 1.0 and 0.0 <= top < bottom <= 1.0):
        raise ValueError(f"crop must be (left, top, right, bottom) fractions with 0 ≤ left < right ≤ 1, got {crop}")
    box = (round(left * width), round(top * height), round(right * width), round(bottom * height))
    if box[2] - box[0] < 32 or box[3] - box[1] < 32:
        raise ValueError(f"crop {crop} leaves less than 32 px of a {width}×{height} frame")
    return box


def iter_frames(
    path: str | Path,
    *,
    step: int = 1,
    max_seconds: float | None = None,
    crop: Crop | None = None,
    info: VideoInfo | None = None,
    limits: VideoLimits | None = None,
) -> Iterator[Frame]:
    """Yield every ``step``-th frame from the start up to ``max_seconds`` (inclusive), one at a time.

    ``crop`` keeps only part of each frame (fractions of the frame): with several people in view, cropping to
    the runner stops the pose model from following someone else. Time stamps are the container's presentation
    times when they are sane (phones record variable frame rates), else index / fps. Raises :class:`VideoError`
    when decoding stops well short of the declared frame count.
    """
    if step < 1:
        raise ValueError(f"step must be ≥ 1, got {step}")
    info = info or probe(path, limits=limits, max_seconds=max_seconds)
    box = crop_box(crop, info.width, info.height) if crop is not None else None
    expected = info.frames_to_read(1, max_seconds)
    capture = _open(path)
    if not capture.isOpened():
        raise _fail(path, "not a readable video (unknown format, or a corrupt or truncated file)")
    index = -1
    previous_time = -math.inf
    try:
        while True:
            index += 1
            wanted = index % step == 0
            # grab() decodes without the colour conversion/copy that retrieve() adds: skipped frames cost less.
            if not capture.grab():
                break
            time_s = _frame_time(capture, index, info.fps, previous_time)
            previous_time = time_s
            if max_seconds is not None and time_s > max_seconds + 1e-9:
                break
            if not wanted:
                continue
            ok, image = capture.retrieve()
            if not ok or image is None:
                break
            if box is None:
                yield Frame(index, time_s, image)
            else:
                x0, y0, x1, y1 = box
                yield Frame(index, time_s, image[y0:y1, x0:x1], (x0, y0))
    finally:
        capture.release()
    decoded = index  # frames successfully grabbed (the loop left on the first failure or past max_seconds)
    if expected is not None and decoded < TRUNCATION_TOLERANCE * expected:
        raise _fail(path, f"decoding stopped after {decoded} of {expected} frames (truncated or corrupt file)")


_END = object()


def prefetch(frames: Iterator[Frame], depth: int = 4) -> Iterator[Frame]:
    """Decode ``frames`` in a background thread, ``depth`` frames ahead of the consumer.

    FFmpeg decoding and MediaPipe inference both release the GIL, so on 2 cores the decoder works while the pose
    model runs (measured: +8–10 % frames/s on the demo clip). Errors from the decoder surface in the consumer;
    a consumer that stops early stops the thread and closes the source.
    """
    buffer: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def offer(item: Any) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def decode() -> None:
        try:
            for frame in frames:
                if not offer(frame):
                    break
            else:
                offer(_END)
        except BaseException as error:  # handed to the consumer, which re-raises it
            offer(error)
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()  # releases the VideoCapture in this thread, where the generator runs

    worker = threading.Thread(target=decode, name="gluteguard-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = buffer.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=10)


def _frame_time(capture: cv2.VideoCapture, index: int, fps: float, previous: float) -> float:
    stamp_ms = capture.get(cv2.CAP_PROP_POS_MSEC)
    return sane_time(stamp_ms / 1000.0 if math.isfinite(stamp_ms) else None, index, fps, previous)


def sane_time(stamp_s: float | None, index: int, fps: float, previous: float) -> float:
    """Frame ``index``'s time: the container's stamp when it is sane, else index / fps (shared by both decoders)."""
    nominal = index / fps
    # Trust the container only when time moves forward and stays near the nominal clock.
    sane = stamp_s is not None and math.isfinite(stamp_s) and stamp_s >= 0
    if sane and stamp_s > previous and abs(stamp_s - nominal) < max(1.0, 0.2 * nominal):
        return stamp_s
    return nominal if nominal > previous else previous + 1.0 / fps


def read_frames(path: str | Path, indices: Iterable[int]) -> dict[int, np.ndarray]:
    """Decode the frames at ``indices`` (upright, BGR). Reads forward once, because seeking by frame number is
    inexact for many codecs and the report's frames must be exactly the ones the keypoints came from."""
    wanted = sorted({int(i) for i in indices if int(i) >= 0})
    found: dict[int, np.ndarray] = {}
    if not wanted:
        return found
    probe(path)
    capture = _open(path)
    try:
        index = 0
        for target in wanted:
            while index < target and capture.grab():
                index += 1
            if index != target:
                break
            ok, image = capture.read()
            index += 1
            if not ok:
                break
            found[target] = image
    finally:
        capture.release()
    missing = [i for i in wanted if i not in found]
    if missing:
        raise _fail(path, f"frame {missing[0]} is past the end of the clip ({len(found)} of {len(wanted)} frames read)")
    return found


# --- drawing ---------------------------------------------------------------------------------------------------

# Lines between BlazePose landmarks that make a readable stick figure (face reduced to the nose).
SKELETON_EDGES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    *(
        edge
        for side in ("left", "right")
        for edge in (
            (f"{side}_shoulder", f"{side}_elbow"),
            (f"{side}_elbow", f"{side}_wrist"),
            (f"{side}_shoulder", f"{side}_hip"),
            (f"{side}_hip", f"{side}_knee"),
            (f"{side}_knee", f"{side}_ankle"),
            (f"{side}_ankle", f"{side}_heel"),
            (f"{side}_heel", f"{side}_foot_index"),
            (f"{side}_ankle", f"{side}_foot_index"),
        )
    ),
)

# BGR colours: the runner's left in orange, right in blue (the usual convention in gait plots), the rest grey.
_LEFT = (0, 140, 255)
_RIGHT = (255, 140, 0)
_MIDDLE = (200, 200, 200)
_HIGHLIGHT = (0, 0, 255)
_TEXT = (255, 255, 255)


def _edge_colour(a: str, b: str) -> tuple[int, int, int]:
    if a.startswith("left_") and b.startswith("left_"):
        return _LEFT
    if a.startswith("right_") and b.startswith("right_"):
        return _RIGHT
    return _MIDDLE


def draw_skeleton(
    image: np.ndarray,
    landmarks: np.ndarray,
    confidence: np.ndarray | None = None,
    *,
    names: Sequence[str] = BLAZEPOSE_LANDMARKS,
    highlight: Iterable[str] = (),
    min_confidence: float = 0.3,
    pelvic_drop_deg: float | None = None,
    label: str | None = None,
) -> np.ndarray:
    """Return a copy of ``image`` (BGR) with the stick figure drawn from pixel ``landmarks`` ((n, 2) or (n, 3)).

    Landmarks that are NaN or under ``min_confidence`` are left out. Edges touching a name in ``highlight`` are
    drawn thick and red. With ``pelvic_drop_deg`` the hip line is drawn against a horizontal reference through the
    higher hip, with the angle written beside it. ``label`` goes in the top-left corner.
    """
    canvas = np.ascontiguousarray(image.copy())
    height, width = canvas.shape[:2]
    scale = max(width, height) / 1000.0
    thickness = max(1, round(3 * scale))
    points = np.asarray(landmarks, dtype=float)[:, :2]
    usable = np.isfinite(points).all(axis=1)
    if confidence is not None:
        usable &= np.nan_to_num(np.asarray(confidence, dtype=float), nan=0.0) >= min_confidence
    where = {name: i for i, name in enumerate(names)}
    marked = set(highlight)

    def pixel(name: str) -> tuple[int, int] | None:
        i = where.get(name)
        if i is None or not usable[i]:
            return None
        return round(points[i, 0]), round(points[i, 1])

    for a, b in SKELETON_EDGES:
        pa, pb = pixel(a), pixel(b)
        if pa is None or pb is None:
            continue
        hot = a in marked or b in marked
        colour = _HIGHLIGHT if hot else _edge_colour(a, b)
        cv2.line(canvas, pa, pb, colour, thickness * (2 if hot else 1), cv2.LINE_AA)
    for name in where:
        p = pixel(name)
        if p is not None and not name.startswith(("left_eye", "right_eye", "mouth", "left_ear", "right_ear")):
            cv2.circle(canvas, p, thickness + 1, _HIGHLIGHT if name in marked else _TEXT, -1, cv2.LINE_AA)

    if pelvic_drop_deg is not None:
        _draw_pelvic_drop(canvas, pixel("left_hip"), pixel("right_hip"), pelvic_drop_deg, scale, thickness)
    if label:
        _put_text(canvas, label, (round(12 * scale) + 4, round(36 * scale) + 8), scale)
    return canvas


def _draw_pelvic_drop(
    canvas: np.ndarray,
    left: tuple[int, int] | None,
    right: tuple[int, int] | None,
    angle_deg: float,
    scale: float,
    thickness: int,
) -> None:
    if left is None or right is None:
        return
    higher, lower = (left, right) if left[1] <= right[1] else (right, left)  # image y points down
    # Horizontal reference from the higher hip, as long as the hip line, so the drop is visible as a wedge.
    reach = max(abs(lower[0] - higher[0]), round(40 * scale))
    direction = 1 if lower[0] >= higher[0] else -1
    reference_end = (higher[0] + direction * reach, higher[1])
    cv2.line(canvas, higher, reference_end, _TEXT, max(1, thickness // 2), cv2.LINE_AA)
    cv2.line(canvas, higher, lower, _HIGHLIGHT, thickness * 2, cv2.LINE_AA)
    text_at = (max(higher[0], lower[0]) + round(12 * scale), max(higher[1], lower[1]) + round(10 * scale))
    _put_text(canvas, f"pelvic drop {angle_deg:.1f} deg", text_at, scale)


def _put_text(canvas: np.ndarray, text: str, origin: tuple[int, int], scale: float) -> None:
    font_scale = max(0.5, 0.9 * scale)
    weight = max(1, round(2 * scale))
    # A dark outline under light text stays readable on grass, sky and skin alike.
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0), weight + 3, cv2.LINE_AA)
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, font_scale, _TEXT, weight, cv2.LINE_AA)


def encode_jpeg(image: np.ndarray, quality: int = 85, max_side_px: int | None = 1280) -> bytes:
    """JPEG bytes of a BGR image, scaled down so its longer side is at most ``max_side_px`` (report pictures)."""
    ok, buffer = cv2.imencode(".jpg", _shrink(image, max_side_px), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("OpenCV could not encode the image as JPEG")
    return buffer.tobytes()


def encode_png(image: np.ndarray, max_side_px: int | None = 1280) -> bytes:
    """PNG bytes of a BGR image, scaled down like :func:`encode_jpeg`."""
    ok, buffer = cv2.imencode(".png", _shrink(image, max_side_px))
    if not ok:
        raise ValueError("OpenCV could not encode the image as PNG")
    return buffer.tobytes()


def _shrink(image: np.ndarray, max_side_px: int | None) -> np.ndarray:
    height, width = image.shape[:2]
    longest = max(width, height)
    if max_side_px is None or longest <= max_side_px:
        return image
    factor = max_side_px / longest
    return cv2.resize(image, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_AREA)
