"""The one shape every keypoint source is turned into before the gait pipeline sees it.

Conventions (shared/research/gait.md §6 and the stride issue): landmark names are BlazePose's in snake case;
2D sources are in image coordinates with x to the right of the image and y pointing *down*; z is NaN for 2D.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

# BlazePose's 33 landmarks in its own order (index = BlazePose landmark id).
BLAZEPOSE_LANDMARKS: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)

# What the gait pipeline needs at the least: both hips, knees, ankles, heels and toes (gait.md §6).
REQUIRED_LANDMARKS: tuple[str, ...] = tuple(
    f"{side}_{part}" for part in ("hip", "knee", "ankle", "heel", "foot_index") for side in ("left", "right")
)


@dataclass(frozen=True)
class KeypointSeries:
    """Landmark positions over time.

    ``xyz`` has shape (frames, landmarks, 3); missing values are NaN. ``confidence`` has shape (frames, landmarks)
    in 0–1 (NaN when unknown). ``units`` is "px" for image coordinates (y down) or "m"/"mm" for lab coordinates.

    ``frame_motion`` (videos only) is one number per frame that uses no landmark: how much the picture the pose model
    looked at changed since the previous frame (``gait.pose.motion``). A field rather than a ``meta`` entry because
    it must stay aligned with the rows: its length is checked here, and evening the clock resamples it with them.
    """

    fps: float
    time_s: np.ndarray
    names: tuple[str, ...]
    xyz: np.ndarray
    confidence: np.ndarray
    units: str = "px"
    source: str = ""
    frame_size: tuple[int, int] | None = None  # (width, height) in pixels, when from a video or image tool
    meta: dict = field(default_factory=dict)
    frame_motion: np.ndarray | None = None  # (frames,), NaN where it could not be measured

    def __post_init__(self) -> None:
        frames = len(self.time_s)
        if self.xyz.shape != (frames, len(self.names), 3):
            raise ValueError(f"xyz has shape {self.xyz.shape}, expected ({frames}, {len(self.names)}, 3)")
        if self.confidence.shape != (frames, len(self.names)):
            raise ValueError(f"confidence has shape {self.confidence.shape}, expected ({frames}, {len(self.names)})")
        if self.frame_motion is not None and self.frame_motion.shape != (frames,):
            raise ValueError(f"frame_motion has shape {self.frame_motion.shape}, expected ({frames},)")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    @property
    def frames(self) -> int:
        return len(self.time_s)

    def has(self, name: str) -> bool:
        return name in self.names

    def point(self, name: str) -> np.ndarray:
        """(frames, 3) positions of one landmark."""
        return self.xyz[:, self.names.index(name), :]

    def score(self, name: str) -> np.ndarray:
        return self.confidence[:, self.names.index(name)]


MIN_CAPTURE_FPS, MAX_CAPTURE_FPS = 1.0, 10_000.0  # phones film up to 960 fps; beyond 10,000 is a typing slip


def at_capture_rate(series: KeypointSeries, capture_fps: float) -> KeypointSeries:
    """The series as it happened: a slow-motion clip filmed at ``capture_fps`` and played back at ``series.fps``
    is re-timed so that every time-based metric (cadence, contact times, the filters) is in real seconds. Frame
    times keep their spacing (a variable frame rate stays variable), scaled by playback / capture."""
    if not MIN_CAPTURE_FPS <= capture_fps <= MAX_CAPTURE_FPS:
        raise KeypointError(f"capture frame rate {capture_fps:g} fps: give the rate it was filmed at, e.g. 240")
    scale = series.fps / capture_fps
    start = float(series.time_s[0]) if len(series.time_s) else 0.0
    meta = {**series.meta, "playback_fps": series.fps, "capture_fps": capture_fps}
    return replace(series, fps=float(capture_fps), time_s=start + (series.time_s - start) * scale, meta=meta)


class KeypointError(ValueError):
    """A keypoint or marker file that cannot be read; the message is one line naming the reason."""
