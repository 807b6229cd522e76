"""Running dynamics from the watch (cadence, ground-contact balance, vertical ratio, step length): a summary per
run, left/right flags and trends against the runner's own earlier runs. Pure; rules in ``dynamics_rules.toml``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import numpy as np

from gluteguard.ingest.model import Streams
from gluteguard.rules_data import Table, rules_data

METRICS = (
    "cadence_spm",
    "stance_time_ms",
    "stance_time_balance_pct",
    "vertical_oscillation_mm",
    "vertical_ratio_pct",
    "step_length_mm",
)


def dynamics_rules() -> Table:
    return rules_data("gluteguard.gait", "dynamics_rules.toml")


@dataclass(frozen=True)
class RunDynamics:
    """Medians over the running samples of one run; None where the device did not record the metric."""

    activity_id: int
    day: date
    running_samples: int
    cadence_spm: float | None = None
    stance_time_ms: float | None = None
    stance_time_balance_pct: float | None = None  # left foot's share of ground contact time
    vertical_oscillation_mm: float | None = None
    vertical_ratio_pct: float | None = None
    step_length_mm: float | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return data


@dataclass(frozen=True)
class DynamicsNote:
    code: str
    severity: str  # info | watch
    message: str
    source: str
    activity_ids: tuple[int, ...] = ()


def _median(values: np.ndarray) -> float | None:
    values = values[np.isfinite(values) & (values > 0)]
    return round(float(np.median(values)), 2) if values.size else None


def summarise_run(activity_id: int, day: date, streams: Streams) -> RunDynamics | None:
    """The run's running dynamics, or None when it has too few running samples with them."""
    rules = dynamics_rules()["running_samples"]
    cadence = streams.columns.get("cadence_spm")
    if cadence is None or not any(name in streams.columns for name in METRICS[1:]):
        return None
    running = np.isfinite(cadence) & (cadence >= rules["min_cadence_spm"])
    contact = streams.columns.get("stance_time_ms")
    if contact is not None:
        running &= np.isfinite(contact) & (contact > 0)
    if int(running.sum()) < rules["min_samples"]:
        return None
    values = {
        name: _median(np.asarray(streams.columns[name], dtype=float)[running])
        for name in METRICS
        if name in streams.columns
    }
    return RunDynamics(activity_id, day, int(running.sum()), **values)


def _balance_note(run: RunDynamics) -> tuple[str, float] | None:
    """(side, share) of the foot with the longer contact, when it is outside Garmin's good zone."""
    if run.stance_time_balance_pct is None:
        return None
    left = run.stance_time_balance_pct
    side, share = ("left", left) if left >= 50 else ("right", 100 - left)
    return (side, share) if share >= dynamics_rules()["balance"]["fair_pct"] else None


def run_notes(run: RunDynamics) -> list[DynamicsNote]:
    """Notes for one run (the ground-contact balance zone)."""
    rules = dynamics_rules()["balance"]
    found = _balance_note(run)
    if found is None:
        return []
    side, share = found
    poor = share > rules["poor_pct"]
    message = (rules["message_poor"] if poor else rules["message_fair"]).format(side=side, share=share)
    return [DynamicsNote(f"balance_{'poor' if poor else 'fair'}", "watch" if poor else "info", message,
                         rules["source"], (run.activity_id,))]  # fmt: skip


def trend_notes(runs: list[RunDynamics], today: date) -> list[DynamicsNote]:
    """Notes across runs: the same foot in the poor balance zone run after run, and step-rate changes."""
    notes: list[DynamicsNote] = []
    ordered = sorted(runs, key=lambda r: (r.day, r.activity_id))
    balance = dynamics_rules()["balance"]
    streak: list[tuple[RunDynamics, str]] = []  # consecutive runs in the poor zone, on the same foot
    for run in ordered:
        found = _balance_note(run)
        if found is None or found[1] <= balance["poor_pct"]:
            streak = []
        elif streak and streak[-1][1] == found[0]:
            streak.append((run, found[0]))
        else:
            streak = [(run, found[0])]
    if len(streak) >= balance["runs_in_a_row"]:
        side = streak[-1][1]
        notes.append(
            DynamicsNote(
                "balance_poor_repeated",
                "watch",
                f"Your last {len(streak)} runs all leaned on the {side} foot beyond Garmin's poor-balance line "
                f"({balance['poor_pct']} %): a pattern, not one hilly run.",
                balance["source"],
                tuple(r.activity_id for r, _ in streak),
            )
        )
    trend = dynamics_rules()["trend"]
    recent = [r for r in ordered if r.cadence_spm and today - timedelta(days=trend["recent_days"]) < r.day <= today]
    baseline = [
        r
        for r in ordered
        if r.cadence_spm
        and today - timedelta(days=trend["recent_days"] + trend["baseline_days"])
        < r.day
        <= today - timedelta(days=trend["recent_days"])
    ]
    if len(recent) >= trend["min_runs"] and len(baseline) >= trend["min_runs"]:
        now = float(np.median([r.cadence_spm for r in recent]))
        before = float(np.median([r.cadence_spm for r in baseline]))
        change = 100.0 * (now - before) / before
        if abs(change) >= trend["cadence_change_pct"]:
            direction = "up" if change > 0 else "down"
            notes.append(
                DynamicsNote(
                    f"cadence_{direction}",
                    "info",
                    f"Your step rate is {direction} {abs(change):.1f} % over the last {trend['recent_days']} days "
                    f"({before:.0f} → {now:.0f} steps/min).",
                    trend["source"],
                    tuple(r.activity_id for r in recent),
                )
            )
    return notes
