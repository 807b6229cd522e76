"""How far a metric can be trusted on this very clip (pure): its split-half repeatability and the pose model's
confidence in the points it is measured from, and one plain sentence saying both.

On real video there is no ground truth, so the clip is checked against itself: the clean steps of its first half
against those of its second half, per side, judged against the metric's published smallest detectable difference
(findings.toml [repeatability]). A difference derived from the clip's own spread cannot judge the same clip, so a
metric without a published one reports its halves without a verdict on them.

The cadence is checked another way on a video: counted again from the picture's own rhythm, without the skeleton
(``gait.cadence_check``); :func:`cadence_on_this_clip` says how that went.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from gluteguard.gait.cadence_check import CadenceCheck
from gluteguard.gait.model import KeypointSeries

SIDES = ("left", "right")


def split_half(
    timed_values: list[tuple[float, float]], midpoint_s: float, published: float | None, minimum: int
) -> dict[str, Any] | None:
    """The mean of the values struck before ``midpoint_s`` and of those after, and whether they agree within the
    published smallest detectable difference (``repeatable`` None without one); None when a half has fewer
    than ``minimum`` values."""
    halves: tuple[list[float], list[float]] = ([], [])
    for time_s, value in timed_values:
        if math.isfinite(value):
            halves[int(time_s >= midpoint_s)].append(value)
    if min(len(halves[0]), len(halves[1])) < minimum:
        return None
    first, second = float(np.mean(halves[0])), float(np.mean(halves[1]))
    difference = abs(first - second)
    return {
        "first_half": first,
        "second_half": second,
        "difference": difference,
        "smallest_change": published,
        "steps": [len(halves[0]), len(halves[1])],
        "repeatable": None if published is None else bool(difference <= published),
    }


def repeatable(checks: Mapping[str, Mapping[str, Any]]) -> bool:
    """False when a side's halves disagree by more than the published smallest detectable difference."""
    return all(check["repeatable"] is not False for check in checks.values())


def landmark_confidence(series: KeypointSeries, parts: tuple[str, ...]) -> float | None:
    """Mean confidence the pose model (or the file) gave the metric's points, both sides, over the clip."""
    names = [f"{side}_{part}" for part in parts for side in SIDES if series.has(f"{side}_{part}")]
    if not names:
        return None
    values = series.confidence[:, [series.names.index(n) for n in names]]
    return float(np.nanmean(values)) if np.isfinite(values).any() else None


def on_this_clip(checks: Mapping[str, Mapping[str, Any]], confidence: float | None, unit: str) -> str:
    """One plain sentence: the clip's own repeatability of the metric and the pose model's confidence."""
    parts = []
    shown_unit = "°" if unit == "deg" else f" {unit}"
    if checks:
        worst = max(checks.values(), key=lambda c: c["difference"])
        halves = f"its first and second halves differ by up to {worst['difference']:.2g}{shown_unit}"
        if worst["smallest_change"] is None:
            parts.append(f"{halves} (no published smallest detectable difference to judge that against)")
        else:
            verdict = "repeatable on this clip" if repeatable(checks) else "NOT repeatable on this clip, so no verdict"
            parts.append(f"{verdict}: {halves} (a real change is {worst['smallest_change']:.2g}{shown_unit})")
    else:
        parts.append("too few steps to check its repeatability on this clip")
    if confidence is not None:
        parts.append(f"the points it is measured from were found with {confidence:.0%} confidence")
    return "; ".join(parts)


def cadence_on_this_clip(check: CadenceCheck) -> str:
    """One plain sentence: the cadence counted from the picture's own rhythm, and whether it confirms the one
    counted from the feet."""
    if check.pose_free_spm is None:
        return f"it could not be counted a second way, from the picture's own rhythm: {check.why_not}"
    counted = (
        f"counted from the picture's own rhythm (without the skeleton) it is {check.pose_free_spm:.0f} steps a minute"
    )
    if check.pose_spm is None or check.tolerance_spm is None:
        return counted
    apart = abs(check.pose_free_spm - check.pose_spm)
    if check.agrees:
        within = f"within {check.tolerance_spm:.0f} of the {check.pose_spm:.0f} counted from the feet"
        return f"{counted}, {within}: confirmed"
    return (
        f"{counted}, {apart:.0f} away from the {check.pose_spm:.0f} counted from the feet (more than the"
        f" {check.tolerance_spm:.0f} a real change needs), so no verdict on the cadence from this clip"
    )


def timing_notes(analysis: Mapping[str, Any]) -> list[str]:
    """Plain lines on the clip's timing for every renderer, from an analysis' JSON (``GaitAnalysis.as_dict``): a
    variable frame rate put on an even clock, and how the cadence fared when counted without the skeleton."""
    notes = []
    clock = analysis.get("frame_clock") or {}
    if clock.get("variable_frame_rate") and clock.get("evened"):
        notes.append(
            f"The phone's frame rate varied ({1000 * clock['min_interval_s']:.0f} to"
            f" {1000 * clock['max_interval_s']:.0f} ms between frames): the frames were put on an even clock of"
            f" {clock['fps']:.0f} frames/s before anything was measured."
        )
    check = analysis.get("cadence_check")
    if check and check.get("on_this_clip"):
        notes.append(f"Cadence on this clip: {check['on_this_clip']}.")
    return notes
