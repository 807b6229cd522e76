"""The cadence counted a second way, without the skeleton (pure): a check on the pose model's cadence.

The video edge records, for every analysed frame, how much the picture the pose model looked at changed since the
previous frame (``KeypointSeries.frame_motion``, ``gait.pose.motion``). A runner's legs and arms swing with every
step, so that signal rises and falls at the step rate (once or twice a step: the limbs swing through and turn
round), plus a weaker stride rhythm when the two sides look different. :func:`pose_free_step_rate` finds the step
rate among a runner's step rates (``movement.toml`` [step_rate]) as the one whose power plus its double's power is
the highest in the signal's Welch spectrum: a signal that peaks twice a step then still gives the step rate, not
its double. :func:`check_cadence` compares it with the cadence from the gait events; when they differ by more than
the smallest cadence change worth noticing (``findings.toml`` [cadence]), the cadence gets no verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.signal import welch

from gluteguard.gait.movement import movement_rules
from gluteguard.rules_data import Table, rules_data

GRID_SPM = 0.1  # the spectrum is evaluated every 0.1 steps a minute (zero padding), finer than any tolerance
# A rate's own power counts this much more than its double's, so a plain rhythm with no harmonic is not read as its
# half (both would score the same power).
OWN_POWER_WEIGHT = 1.05


@dataclass(frozen=True)
class CadenceCheckRules:
    min_spm: float
    max_spm: float
    tolerance_pct: float
    segment_s: float
    min_steps: int
    min_measured_share: float
    source: str


def _parse(table: Table) -> CadenceCheckRules:
    check = table["cadence_check"]
    steps = movement_rules()
    return CadenceCheckRules(
        min_spm=steps.running_min_spm,
        max_spm=steps.running_max_spm,
        tolerance_pct=float(table["cadence"]["smallest_change_pct"]),
        segment_s=float(check["segment_s"]),
        min_steps=int(check["min_steps"]),
        min_measured_share=float(check["min_measured_share"]),
        source=str(check["source"]),
    )


def cadence_check_rules() -> CadenceCheckRules:
    return rules_data("gluteguard.gait", "findings.toml", _parse)


@dataclass(frozen=True)
class CadenceCheck:
    """The pose-free step rate against the pose model's cadence. ``agrees`` is None when either is missing."""

    pose_free_spm: float | None
    pose_spm: float | None
    agrees: bool | None
    tolerance_spm: float | None
    measured_share: float  # share of frames whose motion was measured (the window did not move)
    why_not: str = ""  # why there is no pose-free rate, in plain words
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "pose_free_spm": self.pose_free_spm,
            "pose_spm": self.pose_spm,
            "agrees": self.agrees,
            "tolerance_spm": self.tolerance_spm,
            "measured_share": self.measured_share,
            "why_not": self.why_not,
            "source": self.source,
        }


def _filled(motion: np.ndarray) -> np.ndarray:
    """The signal with its unmeasured frames bridged linearly (held flat before the first and after the last)."""
    measured = np.isfinite(motion)
    index = np.arange(motion.size)
    return np.interp(index, index[measured], motion[measured])


def pose_free_step_rate(
    motion: np.ndarray, fps: float, rules: CadenceCheckRules | None = None
) -> tuple[float | None, str]:
    """(step rate in steps a minute, "") from the frame motion's periodicity, or (None, why not in plain words)."""
    rules = rules or cadence_check_rules()
    motion = np.asarray(motion, dtype=float)
    measured = np.isfinite(motion)
    if motion.size == 0 or measured.mean() < rules.min_measured_share:
        return None, "the picture moved too often to follow the steps in it"
    if motion.size / fps < rules.min_steps * 60.0 / rules.min_spm:
        return None, "the clip is too short to count the steps in the picture"
    signal = _filled(motion)
    if not np.ptp(signal) > 0:
        return None, "nothing moves in the picture"
    segment = min(signal.size, max(8, round(rules.segment_s * fps)))
    points = max(segment, math.ceil(fps * 60.0 / GRID_SPM))
    frequency, power = welch(signal, fs=fps, nperseg=segment, noverlap=segment // 2, nfft=points, detrend="linear")
    spm = frequency * 60.0
    candidates = (spm >= rules.min_spm) & (spm <= rules.max_spm)
    if not candidates.any():
        return None, "the frame rate is too low to count running steps"
    # Power at the step rate plus at its double: motion that peaks twice a step still gives the step rate.
    score = OWN_POWER_WEIGHT * power[candidates] + np.interp(2 * spm[candidates], spm, power, right=0.0)
    if not score.max() > 0:
        return None, "nothing moves in the picture"
    return float(spm[candidates][int(np.argmax(score))]), ""


def check_cadence(
    motion: np.ndarray | None, fps: float, pose_spm: float | None, rules: CadenceCheckRules | None = None
) -> CadenceCheck | None:
    """The pose-free step rate and whether it agrees with ``pose_spm``; None when the clip has no frame motion (a
    keypoint file or motion capture: only videos have a picture to look at)."""
    if motion is None:
        return None
    rules = rules or cadence_check_rules()
    motion = np.asarray(motion, dtype=float)
    share = round(float(np.isfinite(motion).mean()), 3) if motion.size else 0.0
    rate, why_not = pose_free_step_rate(motion, fps, rules)
    tolerance = None if pose_spm is None else rules.tolerance_pct / 100.0 * pose_spm
    agrees = None if rate is None or pose_spm is None or tolerance is None else abs(rate - pose_spm) <= tolerance
    return CadenceCheck(
        pose_free_spm=None if rate is None else round(rate, 1),
        pose_spm=None if pose_spm is None else round(pose_spm, 1),
        agrees=agrees,
        tolerance_spm=None if tolerance is None else round(tolerance, 1),
        measured_share=share,
        why_not=why_not,
        source=rules.source,
    )
