"""The virtual phone camera: motion-capture landmarks filmed from behind or beside the runner, as image
pixels with y down (what the 2D pipeline reads from a real phone), so it can be validated against 3D truth."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from gluteguard.gait.mocap import MarkerTrial, landmarks
from gluteguard.gait.model import KeypointSeries
from gluteguard.gait.signal import nanmean_or_nan
from gluteguard.gait.timing import resample


def linear_track(time_s: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares straight line through ``values`` over time (NaN ignored): where a following camera points."""
    good = np.isfinite(values)
    if good.sum() < 2:
        return np.full_like(values, np.nanmean(values) if good.any() else 0.0)
    slope, intercept = np.polyfit(time_s[good], values[good], 1)
    return slope * time_s + intercept


def project(
    source: MarkerTrial | KeypointSeries,
    view: Literal["rear", "side"],
    *,
    static: MarkerTrial | None = None,
    fps: float | None = None,
    image_size: tuple[int, int] = (1920, 1080),
    vertical_fov_deg: float = 40.0,
    distance_m: float = 3.5,
    camera: Literal["pinhole", "orthographic"] = "pinhole",
) -> KeypointSeries:
    """Film the virtual landmarks with a level phone camera at hip height; image pixels, y down.

    ``rear``: the camera stands ``distance_m`` behind the pelvis looking along +X, so the runner's left is on the
    image's left. ``side``: it stands on the runner's right looking along −Z, so travel goes to the image's right
    and the right leg is the near one. On a treadmill the camera stands still; overground it follows the
    pelvis along a straight line (a tracking shot), because a fixed phone would see a 12 m run shrink to a dot.

    Pinhole by default because that is what a phone is: the far leg is smaller and everything off the optical
    axis is seen at a slant; ``orthographic`` (the same scale at the pelvis depth, no perspective) is there to
    separate perspective effects from everything else. The default 1920×1080 frame with a 40° vertical field of
    view is a phone's main camera in landscape; at 3.5 m a 1.8 m runner, and a heel kicked back towards the lens,
    stay inside the frame.
    ``fps`` resamples to a phone-like frame rate (linear interpolation between mocap frames).
    """
    keypoints = source if isinstance(source, KeypointSeries) else landmarks(source, static)
    if keypoints.units not in ("m", "mm"):
        raise ValueError(f"{keypoints.source}: project needs lab coordinates, got units {keypoints.units!r}")
    scale = 0.001 if keypoints.units == "mm" else 1.0
    xyz = keypoints.xyz * scale
    time_s = keypoints.time_s
    hips = [n for n in ("left_hip", "right_hip") if keypoints.has(n)]
    centre = nanmean_or_nan(np.stack([keypoints.point(n) * scale for n in hips], axis=1), axis=1)
    width, height = image_size
    focal = (height / 2) / math.tan(math.radians(vertical_fov_deg) / 2)
    camera_height = float(np.nanmean(centre[:, 1]))
    if view == "rear":
        track = linear_track(time_s, centre[:, 0])
        depth = xyz[..., 0] - (track - distance_m)[:, None]
        across = xyz[..., 2] - float(np.nanmean(centre[:, 2]))
    elif view == "side":
        track = linear_track(time_s, centre[:, 0])
        depth = (float(np.nanmean(centre[:, 2])) + distance_m) - xyz[..., 2]
        across = xyz[..., 0] - track[:, None]
    else:
        raise ValueError(f"view must be 'rear' or 'side', got {view!r}")
    if camera == "orthographic":
        depth = np.full_like(depth, distance_m)
    upward = xyz[..., 1] - camera_height
    with np.errstate(invalid="ignore", divide="ignore"):
        image_x = width / 2 + focal * across / depth
        image_y = height / 2 - focal * upward / depth  # image rows grow downwards
    image = np.stack([image_x, image_y, np.full_like(image_x, np.nan)], axis=2)
    confidence = np.where(np.isfinite(image[..., :2]).all(axis=2), 1.0, np.nan)
    rate = keypoints.fps
    if fps is not None and fps != keypoints.fps:
        new_time = np.arange(time_s[0], time_s[-1] + 1e-9, 1.0 / fps)
        image = resample(time_s, image, new_time)
        confidence = np.where(np.isfinite(image[..., :2]).all(axis=2), 1.0, np.nan)
        time_s, rate = new_time, fps
    return KeypointSeries(
        fps=float(rate),
        time_s=time_s - time_s[0],
        names=keypoints.names,
        xyz=image,
        confidence=confidence,
        units="px",
        source=f"{keypoints.source} (virtual {view} camera)",
        frame_size=(width, height),
        meta={
            "view": view,
            "camera": camera,
            "distance_m": distance_m,
            "focal_px": focal,
            "vertical_fov_deg": vertical_fov_deg,
            "start_time_s": float(keypoints.time_s[0]),
        },
    )
