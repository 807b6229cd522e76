"""Is this running? What a clip shows, judged from the feet and hips before any metric is computed (pure).

Running is a steady alternation of the feet (left up while right down) at 130–240 steps a minute with a flight
phase (each foot on the ground for less than half its stride). The check reads, in this order:

1. whether the feet and hips are seen at all;
2. whether the feet move (standing still);
3. whether they move together (jumping) or alternate;
4. the stride: the lag at which the left-minus-right foot height repeats, found by autocorrelation. This needs no
   gait event and no frame-rate assumption beyond the clip's, so it also gives a pose-free-of-events step rate;
5. whether the clip changes speed part-way (an iPhone slow-motion clip: real speed at the start and end, slowed in
   the middle): the stride lasts several times longer in one part than in another;
6. the step rate: too slow even for walking is slow motion (the capture rate is then guessed), 70–130 a minute is
   walking, faster than any sprint is noise;
7. in a side view, the flight phase: a foot on the ground for half its stride or more is walking. From behind,
   perspective stretches the contacts (the planted foot slides down the image), so the step rate decides alone.

Thresholds and their sources are in ``movement.toml``; ``check_movement`` never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gluteguard.rules_data import Table, rules_data

KINDS = ("running", "walking", "jumping", "standing", "slow_motion", "speed_ramp", "unclear")
SIDES = ("left", "right")
HARMONIC_MARGIN = 0.1  # autocorrelation peaks this close to the highest count as equally good: the first is taken


@dataclass(frozen=True)
class MovementRules:
    min_seen_share: float
    standing_max_foot_range_leg: float
    min_periodicity: float
    min_strides: float
    jumping_above: float
    running_min_spm: float
    running_max_spm: float
    slow_motion_below_spm: float
    typical_running_spm: float
    capture_rates_fps: tuple[float, ...]
    max_duty_factor: float
    ramp_min_ratio: float
    ramp_min_strides_per_part: int
    ramp_part_tolerance: float
    ramp_band_share: float
    sources: dict[str, str]


def _parse(table: Table) -> MovementRules:
    rate = table["step_rate"]
    return MovementRules(
        min_seen_share=float(table["seen"]["min_share"]),
        standing_max_foot_range_leg=float(table["standing"]["max_foot_range_leg"]),
        min_periodicity=float(table["stride"]["min_periodicity"]),
        min_strides=float(table["stride"]["min_strides"]),
        jumping_above=float(table["alternation"]["jumping_above"]),
        running_min_spm=float(rate["running_min_spm"]),
        running_max_spm=float(rate["running_max_spm"]),
        slow_motion_below_spm=float(rate["slow_motion_below_spm"]),
        typical_running_spm=float(rate["typical_running_spm"]),
        capture_rates_fps=tuple(float(r) for r in rate["capture_rates_fps"]),
        max_duty_factor=float(table["flight"]["max_duty_factor"]),
        ramp_min_ratio=float(table["speed_ramp"]["min_ratio"]),
        ramp_min_strides_per_part=int(table["speed_ramp"]["min_strides_per_part"]),
        ramp_part_tolerance=float(table["speed_ramp"]["part_tolerance"]),
        ramp_band_share=float(table["speed_ramp"]["band_share"]),
        sources={name: str(section["source"]) for name, section in table.items() if isinstance(section, dict)},
    )


def movement_rules() -> MovementRules:
    return rules_data("gluteguard.gait", "movement.toml", _parse)


@dataclass(frozen=True)
class MovementCheck:
    """What the clip shows. ``running`` is True only for a running gait at a believable step rate."""

    kind: str  # one of KINDS
    message: str  # one plain sentence for the runner
    step_rate_spm: float | None = None  # from the feet's periodicity (not from gait events)
    periodicity: float | None = None  # autocorrelation of the left-minus-right foot height at one stride (0–1)
    alternation: float | None = None  # correlation of the two feet's heights: −1 alternate … +1 together
    duty_factor: float | None = None  # median share of its stride a foot is on the ground (from gait events)
    seen_share: float = 0.0  # share of frames with both feet and hips found
    suggested_capture_fps: float | None = None  # slow motion: the capture rate that makes the steps a run's
    source: str = ""
    speed_ratio: float | None = None  # a clip that changes speed: its slowest part's stride over its fastest

    @property
    def running(self) -> bool:
        return self.kind == "running"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "running": self.running,
            "message": self.message,
            "step_rate_spm": self.step_rate_spm,
            "periodicity": self.periodicity,
            "alternation": self.alternation,
            "duty_factor": self.duty_factor,
            "seen_share": self.seen_share,
            "suggested_capture_fps": self.suggested_capture_fps,
            "source": self.source,
            "speed_ratio": self.speed_ratio,
        }


def _lowest_foot_row(tracks: Mapping[str, np.ndarray], side: str) -> np.ndarray:
    return np.fmax(tracks[f"{side}_heel"][:, 1], tracks[f"{side}_foot_index"][:, 1])  # y down: larger is lower


def _bridged(values: np.ndarray) -> np.ndarray:
    finite = np.isfinite(values)
    return np.interp(np.arange(values.size), np.flatnonzero(finite), values[finite])


def _stride_lag(difference: np.ndarray, min_lag: int) -> tuple[int | None, float]:
    """(lag in frames, autocorrelation there) of the first autocorrelation peak after its first zero crossing."""
    centred = difference - np.polyval(np.polyfit(np.arange(difference.size), difference, 1), np.arange(difference.size))
    centred -= centred.mean()
    energy = float(np.dot(centred, centred))
    if energy <= 0:
        return None, 0.0
    size = centred.size
    spectrum = np.fft.rfft(centred, 2 * size)
    auto = np.fft.irfft(spectrum * np.conj(spectrum))[:size] / energy
    # Unbiased: each lag's sum has fewer terms, so scale it back up (up to half the clip, where it is still sound).
    half = size // 2
    auto = auto[: half + 1] * size / np.maximum(size - np.arange(half + 1), 1)
    below = np.flatnonzero(auto[1:] < 0)
    if below.size == 0:
        return None, 0.0
    start = max(int(below[0]) + 1, min_lag)
    if start >= half:
        return None, 0.0
    window = auto[start : half + 1]
    peaks = [
        i
        for i in range(window.size)
        if window[i] >= window[max(i - 1, 0)] and window[i] >= window[min(i + 1, window.size - 1)]
    ]
    best = float(window.max())
    # A periodic signal repeats at every multiple of its period, about as strongly: the first peak near the best
    # one is the stride, not its double or triple.
    first = next(i for i in peaks if window[i] >= best - HARMONIC_MARGIN)
    return start + first, float(window[first])


def _upward_crossings(difference: np.ndarray, band_share: float) -> np.ndarray:
    """Frames where the (detrended) signal rises through its middle, counted only after it has been below a band
    around the middle and is then above it: one per cycle, jitter inside the band ignored."""
    index = np.arange(difference.size)
    centred = difference - np.polyval(np.polyfit(index, difference, 1), index)
    centred -= np.median(centred)
    band = band_share * float(np.percentile(centred, 95) - np.percentile(centred, 5)) / 2
    if not band > 0:
        return np.array([], dtype=int)
    state = np.zeros(centred.size, dtype=np.int8)  # +1 above the band, -1 below it, 0 inside
    state[centred > band] = 1
    state[centred < -band] = -1
    outside = np.flatnonzero(state)
    if outside.size < 2:
        return np.array([], dtype=int)
    changes = outside[1:][np.diff(state[outside]) == 2]  # the first frame above the band after being below it
    return changes


def speed_change(difference: np.ndarray, fps: float, rules: MovementRules) -> float | None:
    """The factor by which the stride in the clip's slowest part outlasts the one in its fastest part, when the
    clip changes speed part-way (``movement.toml`` [speed_ramp]); None for a clip at one speed.

    ``difference`` is the left-minus-right foot height, one cycle per stride whatever the gait."""
    ups = _upward_crossings(difference, rules.ramp_band_share)
    strides = np.diff(ups).astype(float)
    needed = rules.ramp_min_strides_per_part
    if strides.size < 2 * needed + 1:
        return None
    # A running median of three: one missed or extra crossing does not make a part.
    typical = np.median(np.lib.stride_tricks.sliding_window_view(strides, 3), axis=1)
    fast, slow = float(typical.min()), float(typical.max())
    ratio = slow / fast
    if ratio < rules.ramp_min_ratio:
        return None
    tolerance = rules.ramp_part_tolerance
    in_fast = int(np.sum(np.abs(strides - fast) <= tolerance * fast))
    in_slow = int(np.sum(np.abs(strides - slow) <= tolerance * slow))
    fast_spm, slow_spm = 2 * 60.0 * fps / fast, 2 * 60.0 * fps / slow
    if min(in_fast, in_slow) < needed:
        return None
    # The fast part steps like a gait filmed in real time, the slow part too slowly for any gait.
    if fast_spm < rules.slow_motion_below_spm or slow_spm >= rules.slow_motion_below_spm:
        return None
    return ratio


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    window = max(1, min(window, values.size))
    kernel = np.ones(window) / window
    padded = np.pad(values, (window // 2, window - 1 - window // 2), mode="edge")
    return np.convolve(padded, kernel, mode="valid")


def _nearest_capture_rate(fps: float, rules: MovementRules) -> float:
    return min(rules.capture_rates_fps, key=lambda rate: abs(np.log(rate / fps)))


def check_movement(
    tracks: Mapping[str, np.ndarray],
    leg_px: np.ndarray,
    fps: float,
    duty: float | None,
    rules: MovementRules | None = None,
) -> MovementCheck:
    """Judge a clip from its event-filtered tracks (landmark → (frames, 2), NaN where unseen), the leg length in
    pixels per frame, its frame rate, and the duty factor of its gait events where they time contacts soundly
    (a side view; None otherwise: from behind, perspective stretches the contacts, so the step rate decides)."""
    rules = rules or movement_rules()
    rows = {side: _lowest_foot_row(tracks, side) for side in SIDES}
    pelvis = (tracks["left_hip"][:, 1] + tracks["right_hip"][:, 1]) / 2
    seen = np.isfinite(rows["left"]) & np.isfinite(rows["right"]) & np.isfinite(pelvis)
    seen_share = float(seen.mean()) if seen.size else 0.0
    leg = float(np.nanmedian(leg_px)) if np.isfinite(leg_px).any() else float("nan")
    if seen_share < rules.min_seen_share or not leg > 0 or seen.sum() < 8:
        feet = float((np.isfinite(rows["left"]) & np.isfinite(rows["right"])).mean()) if seen.size else 0.0
        hips = float(np.isfinite(pelvis).mean()) if seen.size else 0.0
        why = (
            "the feet are out of the picture in most frames, so the steps, cadence, foot landing (crossover, step"
            " width, overstride) and contact times cannot be measured: film the whole body, feet included"
            if hips >= rules.min_seen_share and feet < rules.min_seen_share
            else "the runner's legs and hips are not seen in most of the clip: film the whole body"
        )
        return MovementCheck("unclear", f"no running found: {why}", seen_share=seen_share, source=rules.sources["seen"])
    height = {side: -_bridged(rows[side]) / leg for side in SIDES}  # up is positive, in leg lengths
    foot_range = max(float(np.percentile(h, 95) - np.percentile(h, 5)) for h in height.values())
    if foot_range < rules.standing_max_foot_range_leg:
        return MovementCheck(
            "standing",
            "no running found: it looks like standing (the feet hardly move)",
            seen_share=seen_share,
            source=rules.sources["standing"],
        )
    min_lag = max(2, round(fps * 60.0 * 2 / rules.running_max_spm / 2))  # half the shortest running stride
    lag, periodicity = _stride_lag(height["left"] - height["right"], min_lag)
    window = lag if lag is not None else round(fps)
    wave = {side: height[side] - _moving_average(height[side], window) for side in SIDES}
    alternation = float(np.corrcoef(wave["left"], wave["right"])[0, 1]) if window > 1 else 0.0
    alternation = alternation if np.isfinite(alternation) else 0.0
    common = {"periodicity": round(periodicity, 3), "alternation": round(alternation, 3), "seen_share": seen_share}
    if alternation > rules.jumping_above:
        return MovementCheck(
            "jumping",
            "no running found: it looks like jumping (both feet move together)",
            source=rules.sources["alternation"],
            **common,
        )
    ratio = speed_change(height["left"] - height["right"], fps, rules)
    if ratio is not None:
        return MovementCheck(
            "speed_ramp",
            "this clip slows down part-way, like an iPhone slow-motion video: export it at normal speed (in Photos:"
            " Edit, drag the slow-motion bar's ends together) or film at normal frame rate",
            source=rules.sources["speed_ramp"],
            speed_ratio=round(ratio, 2),
            **common,
        )
    strides_in_clip = seen.size / lag if lag else 0.0
    if lag is None or periodicity < rules.min_periodicity or strides_in_clip < rules.min_strides:
        return MovementCheck(
            "unclear",
            "no running found: no steady stride (the feet do not repeat a running rhythm; film 20–30 s of running)",
            source=rules.sources["stride"],
            **common,
        )
    step_rate = 2 * 60.0 * fps / lag
    common["step_rate_spm"] = round(step_rate, 1)
    if step_rate < rules.slow_motion_below_spm:
        capture = _nearest_capture_rate(fps * rules.typical_running_spm / step_rate, rules)
        return MovementCheck(
            "slow_motion",
            f"this looks like slow motion: the steps come every {60.0 / step_rate:.1f} s of video, too slowly for"
            f" walking or running. Give the frame rate it was filmed at (probably {capture:g} fps) and it is"
            " analysed at its real speed",
            suggested_capture_fps=capture,
            source=rules.sources["step_rate"],
            **common,
        )
    if step_rate < rules.running_min_spm:
        return MovementCheck(
            "walking",
            f"no running found: at {step_rate:.0f} steps a minute it looks like walking",
            source=rules.sources["step_rate"],
            **common,
        )
    if step_rate > rules.running_max_spm:
        return MovementCheck(
            "unclear",
            f"no running found: {step_rate:.0f} steps a minute is faster than anyone runs (is the frame rate right?)",
            source=rules.sources["step_rate"],
            **common,
        )
    common["duty_factor"] = None if duty is None else round(duty, 3)
    if duty is not None and duty >= rules.max_duty_factor:
        return MovementCheck(
            "walking",
            f"no running found: it looks like walking (each foot is on the ground {duty:.0%} of its stride;"
            " running has a moment with both feet off the ground)",
            source=rules.sources["flight"],
            **common,
        )
    return MovementCheck(
        "running",
        f"running at about {step_rate:.0f} steps a minute",
        source=rules.sources["flight"],
        **common,
    )
