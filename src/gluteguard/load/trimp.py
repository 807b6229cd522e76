"""Banister TRIMP from a heart-rate record, via a per-activity histogram of seconds at each bpm.

The histogram is made once per activity (at import) so TRIMP can be recomputed for any resting/max heart
rate without reading streams again: TRIMP = Σ_bpm seconds(bpm)/60 · HRR · A·e^{B·HRR}.
"""

from __future__ import annotations

import numpy as np

from gluteguard.load.rules import load_rules

HISTOGRAM_MAX_BPM = 250  # bins 0..250 bpm; readings above are sensor glitches
MAX_SAMPLE_GAP_S = 10.0  # a longer gap between samples is a pause, not time at that heart rate


def hr_histogram(time_s: np.ndarray, heart_rate_bpm: np.ndarray) -> np.ndarray:
    """Seconds spent at each whole bpm (length HISTOGRAM_MAX_BPM + 1), each sample holding until the next."""
    histogram = np.zeros(HISTOGRAM_MAX_BPM + 1, dtype=np.float64)
    if time_s.shape[0] < 2:
        return histogram
    dt = np.diff(time_s.astype(np.float64))
    hr = heart_rate_bpm[:-1].astype(np.float64)
    valid = np.isfinite(hr) & (hr > 0) & (hr <= HISTOGRAM_MAX_BPM) & (dt > 0) & (dt <= MAX_SAMPLE_GAP_S)
    np.add.at(histogram, np.rint(hr[valid]).astype(np.int64), dt[valid])
    return histogram


def _constants(sex: str | None) -> tuple[float, float]:
    constants = load_rules().trimp_constants
    return constants.get(sex or "other", constants["other"])


def trimp_weights(resting_hr: float | None, max_hr: float | None, sex: str | None) -> np.ndarray:
    """TRIMP per minute at each bpm for this athlete (0 at or below resting)."""
    rules = load_rules()
    rest = float(resting_hr or rules.trimp_default_resting_hr)
    top = float(max_hr or rules.trimp_default_max_hr)
    a, b = _constants(sex)
    bpm = np.arange(HISTOGRAM_MAX_BPM + 1, dtype=np.float64)
    reserve = np.clip((bpm - rest) / max(top - rest, 1.0), 0.0, 1.2)  # above max is a glitch; cap its weight
    return reserve * a * np.exp(b * reserve)


def trimp_from_histogram(histogram: np.ndarray, weights: np.ndarray) -> float:
    return float(histogram @ weights / 60.0)


def trimp_from_average(avg_hr: float, minutes: float, weights: np.ndarray) -> float:
    """The average-HR form (GoldenCheetah TRIMPPoints), for activities with only a summary heart rate."""
    # min/max, not np.clip: the same bin for every finite heart rate, without numpy's per-call cost on a scalar
    # (ten years of activities read this once each on every start of the CLI).
    return float(weights[min(max(round(avg_hr), 0), HISTOGRAM_MAX_BPM)] * minutes)
