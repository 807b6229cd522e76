"""Signal cleaning for keypoint trajectories: short-gap filling, Hampel outlier rejection, zero-lag Butterworth.

Conventions follow shared/research/gait.md §1.1 and §6: Hampel first (window 7), then a 4th-order zero-lag
Butterworth at 6 Hz for angles and 10 Hz for gait events. Everything works on (frames, channels) float arrays
with NaN for missing samples and is vectorised over channels; only the Butterworth runs per finite segment,
because a zero-phase filter cannot cross a hole.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import butter, sosfiltfilt

# Below this confidence a landmark is treated as missing (BlazePose visibility convention; Sports2D uses 0.3).
MIN_CONFIDENCE = 0.3
# Gaps up to this long are bridged by linear interpolation; longer ones stay missing (a short blink of the pose
# model is plausible motion, a long one is guesswork). 0.1 s ≈ 6 frames at 60 fps, 3 at 30 fps.
MAX_GAP_S = 0.1
HAMPEL_WINDOW = 7  # gait.md §1.1: Sports2D/Pose2Sim Hampel window 7
HAMPEL_SIGMAS = 3.0  # a little stricter than Pose2Sim's 2 σ so genuine fast swing-phase motion survives
ANGLE_CUTOFF_HZ = 6.0  # gait.md §6: angles
EVENT_CUTOFF_HZ = 10.0  # gait.md §6: gait events (Pose2Sim trc_gaitevents)
BUTTERWORTH_ORDER = 4  # effective order after the forward-backward pass
# A forward-backward pass squares the magnitude response, so a filter designed at f_c is at -6 dB (not -3 dB)
# there and attenuates a pelvic-drop peak more than the convention intends. Winter's correction designs each pass
# at f_c / C with C = (2^(1/n) - 1)^(1/(2·order)), n = 2 passes, so the zero-lag filter is -3 dB at f_c
# (Winter 2009, Biomechanics and Motor Control of Human Movement, 4th ed., §3.4.4; Robertson & Dowling 2003,
# J Electromyogr Kinesiol 13:569). C = 0.802 for the 2nd-order passes used here. On mocap filmed by a virtual
# rear camera (RBDS) the uncorrected 6 Hz filter read the peak pelvic drop 0.3-1.2° low.
DUAL_PASS_CORRECTION = (2 ** (1 / 2) - 1) ** (1 / (2 * (BUTTERWORTH_ORDER // 2)))
# A cut-off this close to Nyquist would barely filter and can be unstable: skip filtering instead.
MAX_CUTOFF_FRACTION_OF_NYQUIST = 0.9


def fill_short_gaps(values: np.ndarray, max_gap_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Linearly interpolate NaN runs of at most ``max_gap_frames`` that have finite samples on both sides.

    Returns (filled copy, boolean mask of the samples that were filled). Works column by column on a 2D array.
    """
    data = np.array(values, dtype=float, copy=True)
    squeeze = data.ndim == 1
    if squeeze:
        data = data[:, None]
    frames = data.shape[0]
    filled_mask = np.zeros(data.shape, dtype=bool)
    if frames == 0 or max_gap_frames <= 0:
        return (data[:, 0], filled_mask[:, 0]) if squeeze else (data, filled_mask)
    missing = np.isnan(data)
    index = np.arange(frames, dtype=float)[:, None]
    # Index of the previous and next finite sample for every frame (vectorised forward/backward fill).
    previous = np.where(~missing, index, -np.inf)
    previous = np.maximum.accumulate(previous, axis=0)
    following = np.where(~missing, index, np.inf)
    following = np.minimum.accumulate(following[::-1], axis=0)[::-1]
    gap_length = following - previous - 1
    bridgeable = missing & np.isfinite(previous) & np.isfinite(following) & (gap_length <= max_gap_frames)
    if bridgeable.any():
        rows, cols = np.nonzero(bridgeable)
        before = previous[rows, cols].astype(int)
        after = following[rows, cols].astype(int)
        weight = (rows - before) / (after - before)
        data[rows, cols] = data[before, cols] * (1 - weight) + data[after, cols] * weight
        filled_mask[rows, cols] = True
    return (data[:, 0], filled_mask[:, 0]) if squeeze else (data, filled_mask)


def hampel(values: np.ndarray, window: int = HAMPEL_WINDOW, n_sigmas: float = HAMPEL_SIGMAS) -> tuple[np.ndarray, int]:
    """Replace samples further than ``n_sigmas`` robust SDs from their rolling median by that median.

    NaN-aware; returns (cleaned copy, number of replaced samples). 1.4826 · MAD estimates the SD for Gaussian noise.
    """
    data = np.array(values, dtype=float, copy=True)
    squeeze = data.ndim == 1
    if squeeze:
        data = data[:, None]
    half = window // 2
    if data.shape[0] < window:
        return (data[:, 0], 0) if squeeze else (data, 0)
    padded = np.pad(data, ((half, half), (0, 0)), mode="edge")
    windows = sliding_window_view(padded, window, axis=0)  # (frames, channels, window)
    median = _fast_nanmedian(windows)
    mad = _fast_nanmedian(np.abs(windows - median[..., None]))
    threshold = n_sigmas * 1.4826 * mad
    outliers = np.abs(data - median) > threshold
    outliers &= np.isfinite(data) & np.isfinite(median) & (mad > 0)
    data[outliers] = median[outliers]
    replaced = int(outliers.sum())
    return (data[:, 0], replaced) if squeeze else (data, replaced)


def _fast_nanmedian(windows: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring NaN; the plain (fast) median wherever a window has no hole."""
    median = np.median(windows, axis=-1)
    holes = np.isnan(median)
    if holes.any():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows (long gaps) give NaN, as wanted
            median[holes] = np.nanmedian(windows[holes], axis=-1)
    return median


def nanmean_or_nan(values: np.ndarray, axis: int | None = None) -> np.ndarray:
    """``np.nanmean`` without its warning where every value is missing: NaN there, as the callers expect (a file
    whose markers are all missing is refused further on in plain words, not with a numpy warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def _finite_runs(finite: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of every run of True in a 1D boolean array."""
    if finite.size == 0:
        return []
    edges = np.diff(np.concatenate(([0], finite.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def lowpass(values: np.ndarray, cutoff_hz: float, fps: float) -> tuple[np.ndarray, bool]:
    """Zero-lag 4th-order Butterworth low-pass (-3 dB at ``cutoff_hz``), applied to each finite run of each column.

    Returns (filtered copy, applied). Not applied when the cut-off is at or near Nyquist (low-fps clips); runs
    shorter than the filter's padding are left as they are rather than filtered with a distorted edge.
    """
    data = np.array(values, dtype=float, copy=True)
    nyquist = fps / 2.0
    design_hz = cutoff_hz / DUAL_PASS_CORRECTION
    if design_hz >= MAX_CUTOFF_FRACTION_OF_NYQUIST * nyquist:
        return data, False
    # sosfiltfilt doubles the order, so design half of it (as Pose2Sim's butterworth_filter_1d does), at the
    # corrected frequency so the whole zero-lag filter is -3 dB at ``cutoff_hz``.
    sos = butter(BUTTERWORTH_ORDER // 2, design_hz / nyquist, btype="low", output="sos")
    # Default padding of sosfiltfilt: 3 · (2 · sections + 1 - ...); compute it the way scipy does.
    padlen = 3 * (2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))
    two_d = data if data.ndim == 2 else data[:, None]
    finite = np.isfinite(two_d)
    all_finite_columns = finite.all(axis=0)
    if two_d.shape[0] > padlen and all_finite_columns.any():
        # The common case (no holes) in one vectorised call.
        two_d[:, all_finite_columns] = sosfiltfilt(sos, two_d[:, all_finite_columns], axis=0)
    for column in np.flatnonzero(~all_finite_columns):
        for start, stop in _finite_runs(finite[:, column]):
            if stop - start > padlen:
                two_d[start:stop, column] = sosfiltfilt(sos, two_d[start:stop, column])
    return (two_d if data.ndim == 2 else two_d[:, 0]), True


@dataclass(frozen=True)
class CleanedKeypoints:
    """Image-space landmark tracks after cleaning, keyed by landmark name, each (frames, 2) x/y in pixels."""

    for_angles: dict[str, np.ndarray]
    for_events: dict[str, np.ndarray]
    seen: dict[str, np.ndarray]  # per frame: the landmark was reported with enough confidence (before filling)
    present_fraction: dict[str, float]  # share of frames the landmark was seen with enough confidence
    filled_fraction: float  # share of required samples bridged by interpolation
    outliers_replaced: int
    filtered: bool  # False when the clip's fps is too low for the cut-offs


def clean_tracks(
    xy: np.ndarray, confidence: np.ndarray, names: tuple[str, ...], fps: float, min_confidence: float = MIN_CONFIDENCE
) -> CleanedKeypoints:
    """Mask low-confidence samples, bridge short gaps, reject outliers and low-pass twice (angles, events).

    ``xy`` is (frames, landmarks, 2). All landmarks are processed in one (frames, 2·landmarks) array.
    """
    frames, landmarks, _ = xy.shape
    data = np.array(xy, dtype=float, copy=True)
    with np.errstate(invalid="ignore"):
        unsure = ~(np.nan_to_num(confidence, nan=1.0) >= min_confidence)  # unknown confidence counts as seen
    data[unsure] = np.nan
    seen = np.isfinite(data).all(axis=2)
    present = {name: float(seen[:, i].mean()) if frames else 0.0 for i, name in enumerate(names)}
    flat = data.reshape(frames, landmarks * 2)
    max_gap = max(1, round(MAX_GAP_S * fps))
    flat, filled = fill_short_gaps(flat, max_gap)
    flat, replaced = hampel(flat)
    angles, applied = lowpass(flat, ANGLE_CUTOFF_HZ, fps)
    events, _ = lowpass(flat, EVENT_CUTOFF_HZ, fps)
    angles = angles.reshape(frames, landmarks, 2)
    events = events.reshape(frames, landmarks, 2)
    return CleanedKeypoints(
        for_angles={name: angles[:, i, :] for i, name in enumerate(names)},
        for_events={name: events[:, i, :] for i, name in enumerate(names)},
        seen={name: seen[:, i] for i, name in enumerate(names)},
        present_fraction=present,
        filled_fraction=float(filled.mean()) if filled.size else 0.0,
        outliers_replaced=replaced,
        filtered=applied,
    )
