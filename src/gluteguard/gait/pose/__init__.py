"""Pose backends: video frames in, a :class:`~gluteguard.gait.model.KeypointSeries` out.

This is the only edge of the stride analysis that needs the optional ``video`` extra (OpenCV + MediaPipe). Nothing
here imports them at module load: the CLI imports this package to list backends and must still start fast, and a
machine without the extra must get :class:`PoseBackendMissing` with a one-line fix, not an ImportError traceback.

Backends are registered by name with a ``"module:attribute"`` factory path, so registering one costs nothing and
its heavy imports happen only when it is asked for. ``blazepose`` (MediaPipe's legacy Pose graph, models ``lite``,
``full``, ``heavy``) is the one built in; it is the only pose model that can run offline here (gait.md §0).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from gluteguard.gait.model import KeypointSeries
    from gluteguard.gait.pose.video import Crop, Frame, VideoLimits

VIDEO_EXTRA_HINT = "pip install 'gluteguard[video]' (MediaPipe has no wheel for Python 3.13+: use Python 3.11 or 3.12)"

# (frames done, frames expected or None when the container does not say) — the CLI drives a Rich bar with it.
ProgressCallback = Callable[[int, "int | None"], None]


class PoseBackendMissing(RuntimeError):
    """A pose backend that is not registered or whose packages are not installed; the message is one line."""


@runtime_checkable
class PoseEstimator(Protocol):
    """What every pose backend offers.

    ``estimate`` consumes frames lazily (a whole video never sits in memory) and returns image-pixel keypoints
    with y pointing down, NaN where no person was found. ``landmarks`` runs a single image (RGB, uint8) and
    returns ((landmarks, 3) pixel coordinates, (landmarks,) confidences) or None when nobody is in it.
    """

    name: str
    landmark_names: tuple[str, ...]

    def estimate(
        self,
        frames: Iterable[Frame],
        *,
        fps: float,
        frame_size: tuple[int, int],
        total_frames: int | None = None,
        on_progress: ProgressCallback | None = None,
        source: str = "",
    ) -> KeypointSeries: ...

    def landmarks(self, image_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None: ...


@dataclass(frozen=True)
class BackendSpec:
    """A registered backend: where its factory lives and what to tell a user who lacks its packages."""

    name: str
    factory: str  # "package.module:callable", imported only on use
    description: str
    install_hint: str = VIDEO_EXTRA_HINT


_REGISTRY: dict[str, BackendSpec] = {}


def register_backend(name: str, factory: str, description: str, install_hint: str = VIDEO_EXTRA_HINT) -> None:
    """Add (or replace) a backend. ``factory`` is ``"module:callable"``; the callable takes the backend options."""
    if ":" not in factory:
        raise ValueError(f"factory must look like 'package.module:callable', got {factory!r}")
    _REGISTRY[name] = BackendSpec(name, factory, description, install_hint)


def unregister_backend(name: str) -> None:
    _REGISTRY.pop(name, None)


def backend_names() -> tuple[str, ...]:
    """Registered backend names (installed or not: see :func:`backend_available`)."""
    return tuple(_REGISTRY)


def get_backend(name: str = "blazepose", **options: Any) -> PoseEstimator:
    """Build backend ``name`` with its options (for ``blazepose``: ``model="lite"|"full"|"heavy"`` and more).

    Raises :class:`PoseBackendMissing` for an unknown name or when the backend's packages cannot be imported.
    """
    spec = _REGISTRY.get(name)
    if spec is None:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise PoseBackendMissing(f"no pose backend named {name!r} (registered: {known})")
    module_name, _, attribute = spec.factory.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        # The missing top-level package (mediapipe, cv2, …) is what the user needs to hear about.
        missing = getattr(error, "name", None) or module_name
        message = f"pose backend {name!r} needs {missing!r}, which is not installed: {spec.install_hint}"
        raise PoseBackendMissing(message) from error
    factory = getattr(module, attribute)
    return factory(**options)


def backend_available(name: str = "blazepose") -> bool:
    """True when ``name`` is registered and its module imports (this does import the heavy packages)."""
    spec = _REGISTRY.get(name)
    if spec is None:
        return False
    try:
        importlib.import_module(spec.factory.partition(":")[0])
    except ImportError:
        return False
    return True


def estimate_video(
    path: str | Path,
    *,
    backend: str = "blazepose",
    step: int = 1,
    max_seconds: float | None = None,
    crop: Crop | None = None,
    on_progress: ProgressCallback | None = None,
    limits: VideoLimits | None = None,
    track: bool = True,
    workers: int | None = None,
    **backend_options: Any,
) -> KeypointSeries:
    """Open ``path``, run the pose backend over every ``step``-th frame (up to ``max_seconds``) and return keypoints.

    ``crop`` = (left, top, right, bottom) fractions of the frame to look at (see ``video.iter_frames``); keypoints
    stay in full-frame pixels either way.

    ``track`` (default): the tracked path (``pose/tracked.py``) for a backend that supports it: only the window
    around the runner is converted and given to the model, a small runner is searched for in tiles, and a long
    clip is split between ``workers`` graphs (None: one per core, at most 2). Without a ``crop``, the people in
    view are looked for first, and with several the one who runs is followed (``pose/candidates.py``;
    ``meta["people_in_view"]``). ``track=False`` is the plain path:
    OpenCV decodes every whole frame and one graph sees all of it (the benchmark's baseline).

    Errors are one line naming the file (:class:`~gluteguard.gait.pose.video.VideoError`) or the missing extra
    (:class:`PoseBackendMissing`). ``meta`` of the result carries the video's facts (rotation, codec, …).
    """
    estimator = get_backend(backend, **backend_options)  # first: a missing extra is the more useful error
    from gluteguard.gait.pose import video  # cv2 imported here, after the extra is known to be there

    info = video.probe(path, limits=limits, max_seconds=max_seconds)
    tracked = _tracked_path() if track and getattr(estimator, "supports_tracking", False) else None
    series = None
    if tracked is not None:
        from gluteguard.gait.pose.decode import NotTrackable

        try:
            series = tracked(
                estimator,
                path,
                info,
                step=step,
                max_seconds=max_seconds,
                crop=crop,
                workers=workers,
                on_progress=on_progress,
                source=str(path),
            )
        except NotTrackable:
            series = None  # PyAV and OpenCV see this clip differently: the plain path below
    if series is None:
        from dataclasses import replace

        import numpy as np

        from gluteguard.gait.pose.motion import watch

        motion: list[float] = []  # each frame's motion (pose-free cadence check), measured in the decoding thread
        decoded = watch(video.iter_frames(path, step=step, max_seconds=max_seconds, crop=crop, info=info), motion)
        frames = video.prefetch(decoded)
        expected = info.frames_to_read(step=step, max_seconds=max_seconds)
        series = estimator.estimate(
            frames,
            fps=info.fps / step,
            frame_size=(info.width, info.height),
            total_frames=expected,
            on_progress=on_progress,
            source=str(path),
        )
        if len(motion) == series.frames:
            series = replace(series, frame_motion=np.asarray(motion, dtype=float))
    series.meta["video"] = info.as_meta()
    series.meta["step"] = step
    series.meta["max_seconds"] = max_seconds
    series.meta["crop"] = crop
    return series


def _tracked_path() -> Callable[..., KeypointSeries] | None:
    """``tracked.estimate_tracked`` after the search for the people in view (``candidates.estimate_with_people``),
    or None when PyAV (its decoder, part of the same extra) is missing."""
    try:
        from gluteguard.gait.pose.candidates import estimate_with_people
    except ImportError:
        return None
    return estimate_with_people


register_backend(
    "blazepose",
    "gluteguard.gait.pose.blazepose:BlazePoseEstimator",
    "MediaPipe BlazePose (33 landmarks incl. heels and toes), models lite/full/heavy, CPU, offline",
)

__all__ = [
    "VIDEO_EXTRA_HINT",
    "BackendSpec",
    "PoseBackendMissing",
    "PoseEstimator",
    "ProgressCallback",
    "backend_available",
    "backend_names",
    "estimate_video",
    "get_backend",
    "register_backend",
    "unregister_backend",
]
