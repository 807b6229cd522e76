"""The load state at the end of a local day: spike, cap, week, PMC, ACWR, monotony — and plain warnings.

Pure: sessions and a daily series in, a ``LoadState`` out. Thresholds and sources: ``rules.toml``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import numpy as np

from gluteguard.load.rules import LoadRules, load_rules
from gluteguard.load.series import DailySeries, Session, ewma, pmc, rolling_max_before

NO_HISTORY = "no_history"


@dataclass(frozen=True)
class LoadWarning:
    code: str
    severity: str  # info | caution | warning | high
    message: str
    source: str


@dataclass(frozen=True)
class RunSpike:
    date: str
    activity_id: int
    distance_m: float
    previous_longest_m: float | None
    spike_ratio: float | None
    spike_category: str  # none | small | moderate | large | no_history


@dataclass
class LoadState:
    date: str
    longest_run_30d_m: float
    next_run_cap_m: float | None
    cap_reason: str
    last_run: RunSpike | None
    week: dict
    pmc: dict
    pmc_trimp: dict | None
    acwr: float | None
    monotony: float | None
    strain: float | None
    no_data: bool
    day: dict = field(default_factory=dict)  # the day's own totals from the daily series
    warnings: list[LoadWarning] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def spike_category(ratio: float, rules: LoadRules) -> str:
    for category in rules.spike_categories:
        if ratio <= category.max_ratio:
            return category.name
    return rules.spike_categories[-1].name


def run_spikes(
    sessions: list[Session],
    series: DailySeries,
    rules: LoadRules | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
) -> list[RunSpike]:
    """Each run (from ``since`` through ``until``, default all) against the longest run of the 30 days
    before its day and the earlier runs of that same day."""
    rules = rules or load_rules()
    window = rules.spike_window_days
    before = rolling_max_before(series.longest_run_m, window)
    runs = sorted(
        (
            s
            for s in sessions
            if s.is_run and (since is None or s.local_date >= since) and (until is None or s.local_date <= until)
        ),
        key=lambda s: s.local_start,
    )
    earlier_today: dict[date, float] = {}
    result = []
    for run in runs:
        i = series.index(run.local_date)
        previous = max(float(before[i]) if 0 <= i < len(series) else 0.0, earlier_today.get(run.local_date, 0.0))
        earlier_today[run.local_date] = max(earlier_today.get(run.local_date, 0.0), run.distance_m)
        # Less than 30 days of history, or no run in them: nothing honest to compare with.
        if i < window or previous <= 0:
            result.append(RunSpike(run.local_date.isoformat(), run.activity_id, run.distance_m, None, None, NO_HISTORY))
            continue
        ratio = run.distance_m / previous
        result.append(
            RunSpike(
                run.local_date.isoformat(),
                run.activity_id,
                run.distance_m,
                previous,
                ratio,
                spike_category(ratio, rules),
            )
        )
    return result


def _window_sum(values: np.ndarray, end: int, days: int) -> float:
    return float(values[max(end - days + 1, 0) : end + 1].sum()) if end >= 0 else 0.0


def monotony(daily: np.ndarray, rules: LoadRules) -> float | None:
    if daily.sum() <= 0:
        return None
    sd = float(daily.std())
    # Runalyze's convention for identical days: SD = 0 → the maximum, 10 (Monotony.php).
    return rules.monotony_max if sd == 0 else min(float(daily.mean()) / sd, rules.monotony_max)


def load_state(
    sessions: list[Session],
    series: DailySeries,
    day: date,
    *,
    next_run: tuple[float | None, str] | None = None,
    rules: LoadRules | None = None,
) -> LoadState:
    """The state at the end of ``day``. ``next_run`` is the day's decided cap and its reason (the coach's
    ``DayDecision``: symptoms, tolerated runs, the return ladder); without it, the plain engine's cap of
    1.10 × the 30-day longest run, for load alone."""
    rules = rules or load_rules()
    i = series.index(day)
    km = series.run_distance_m / 1000.0
    window = rules.spike_window_days
    longest_30d = float(series.longest_run_m[max(i - window + 1, 0) : i + 1].max(initial=0.0)) if i >= 0 else 0.0
    if next_run is not None:
        cap, reason = next_run
    else:
        cap = longest_30d * rules.cap_factor if longest_30d > 0 else None
        reason = f"{rules.cap_factor:.2f} × your longest run of the last {window} days ({rules.cap_source})"

    # Only the runs that matter today: the last 7 days' and the latest run on or before today.
    week_start = day - timedelta(days=6)
    latest = max((s.local_date for s in sessions if s.is_run and s.local_date <= day), default=week_start)
    spikes = run_spikes(sessions, series, rules, since=min(week_start, latest), until=day)
    last_run = spikes[-1] if spikes else None
    recent_spikes = [s for s in spikes if s.date >= week_start.isoformat()]

    week = _window_sum(series.run_distance_m, i, 7)
    previous_week = _window_sum(series.run_distance_m, i - 7, 7)
    chronic = _window_sum(series.run_distance_m, i - 7, 21) / 3.0
    week_info = {
        "distance_m": week,
        "previous_week_m": previous_week,
        "change_pct": (week / previous_week - 1.0) * 100.0 if previous_week > 0 else None,
        "uncoupled_ratio": week / chronic if chronic > 0 else None,
        "runs": int(series.runs[max(i - 6, 0) : i + 1].sum()) if i >= 0 else 0,
        "note": rules.week_context_note,
    }

    upto = km[: i + 1] if i >= 0 else np.zeros(0)
    has = upto.shape[0] > 0
    pmc_info = _pmc_summary(upto, "running km per day", rules)
    trimp = series.trimp[: i + 1] if i >= 0 else np.zeros(0)
    # The same model over heart-rate load, for runners with a heart-rate record (context beside distance).
    pmc_trimp = _pmc_summary(trimp, "Banister TRIMP per day (all sports)", rules) if trimp.any() else None
    acute, chronic_ewma = ewma(upto, rules.acwr_acute_days), ewma(upto, rules.acwr_chronic_days)
    acwr = float(acute[-1] / chronic_ewma[-1]) if has and chronic_ewma[-1] > 0 else None

    last7 = km[max(i - rules.monotony_days + 1, 0) : i + 1] if i >= 0 else np.zeros(0)
    last7 = np.concatenate((np.zeros(rules.monotony_days - last7.shape[0]), last7))  # missing days count as 0
    week_monotony = monotony(last7, rules)
    strain = float(last7.sum()) * week_monotony if week_monotony is not None else None

    state = LoadState(
        date=day.isoformat(),
        longest_run_30d_m=longest_30d,
        next_run_cap_m=cap,
        cap_reason=reason,
        last_run=last_run,
        week=week_info,
        pmc=pmc_info,
        pmc_trimp=pmc_trimp,
        acwr=acwr,
        monotony=week_monotony,
        strain=strain,
        no_data=bool(series.no_data[i]) if 0 <= i < len(series) else False,
        day=_day_totals(series, i),
    )
    state.warnings = _warnings(state, recent_spikes, rules)
    return state


def _pmc_summary(load: np.ndarray, unit: str, rules: LoadRules) -> dict:
    ctl, atl = pmc(load, rules.ctl_days, rules.atl_days)
    n = load.shape[0]
    return {
        "load_unit": unit,
        "ctl": float(ctl[-1]) if n else 0.0,
        "atl": float(atl[-1]) if n else 0.0,
        # Form is yesterday's fitness minus fatigue, as GoldenCheetah and TrainingPeaks show it.
        "tsb": float(ctl[-2] - atl[-2]) if n > 1 else 0.0,
        "ramp_per_week": float(ctl[-1] - (ctl[-8] if n > 7 else 0.0)) if n else 0.0,
    }


def _day_totals(series: DailySeries, i: int) -> dict:
    inside = 0 <= i < len(series)

    def value(column: np.ndarray) -> float:
        return float(column[i]) if inside else 0.0

    return {
        "run_distance_m": value(series.run_distance_m),
        "run_time_s": value(series.run_time_s),
        "walk_distance_m": value(series.walk_distance_m),
        "ascent_m": value(series.ascent_m),
        "runs": int(value(series.runs)),
        "longest_run_m": value(series.longest_run_m),
        "trimp": value(series.trimp),
        "session_rpe": value(series.srpe),
    }


SPIKE_SEVERITY = {"small": "caution", "moderate": "warning", "large": "high"}


SPIKE_RANK = ("none", "small", "moderate", "large")


def _warnings(state: LoadState, recent_spikes: list[RunSpike], rules: LoadRules) -> list[LoadWarning]:
    """Plain-words warnings: what happened, what to do, and why (with the source)."""
    found: list[LoadWarning] = []
    spikes = [s for s in recent_spikes if s.spike_category in SPIKE_SEVERITY]
    # The worst spike of the last 7 days, else the latest run when it had nothing to compare with.
    run = max(spikes, key=lambda s: (SPIKE_RANK.index(s.spike_category), s.date)) if spikes else None
    if run is None and recent_spikes and recent_spikes[-1].spike_category == NO_HISTORY:
        run = recent_spikes[-1]
    if state.next_run_cap_m == 0.0:
        advice = "No running today; when it is allowed again, keep the next runs short and easy"
    elif state.next_run_cap_m:
        advice = f"Make the next runs shorter and easy, never past the cap of {state.next_run_cap_m / 1000:.1f} km"
    else:
        advice = "Make the next runs short and easy"
    if run is not None and run.spike_category in SPIKE_SEVERITY:
        hazard = next(c.hazard_ratio for c in rules.spike_categories if c.name == run.spike_category)
        found.append(
            LoadWarning(
                "single_run_spike",
                SPIKE_SEVERITY[run.spike_category],
                f"Your run on {run.date} was {run.distance_m / 1000:.1f} km, {(run.spike_ratio - 1) * 100:.0f}% longer "
                f"than your longest run of the 30 days before ({run.previous_longest_m / 1000:.1f} km) — a "
                f"{run.spike_category} spike. In 5,205 runners such runs came with a higher injury rate (hazard "
                f"ratio {hazard}). {advice}, and build up in steps of 10% or less.",
                rules.spike_source,
            )
        )
    elif run is not None and run.spike_category == NO_HISTORY:
        found.append(
            LoadWarning(
                "no_history",
                "info",
                f"Your run on {run.date} has no 30-day running history to compare with (new to gluteguard, or "
                "back after a break). Start short and easy; the cap will appear once there is history.",
                rules.spike_source,
            )
        )
    flag = rules.week_flag_ratio
    ratio_prev = state.week["distance_m"] / state.week["previous_week_m"] if state.week["previous_week_m"] else None
    ratio_unc = state.week["uncoupled_ratio"]
    if (ratio_prev or 0) > flag or (ratio_unc or 0) > flag:
        found.append(
            LoadWarning(
                "weekly_jump",
                "caution",
                f"Your last 7 days ({state.week['distance_m'] / 1000:.1f} km) are more than {(flag - 1) * 100:.0f}% "
                "above the week before or your 3-week average. In novices, weekly jumps like this went with more "
                "distance-related injuries, gluteus medius among them. Hold this week's distance before adding more. "
                + rules.week_context_note,
                rules.week_source,
            )
        )
    if state.monotony is not None and state.monotony >= rules.monotony_warning:
        high = state.monotony >= rules.monotony_high
        found.append(
            LoadWarning(
                "monotony",
                "warning" if high else "caution",
                f"Your last 7 days are very alike (monotony {state.monotony:.1f}; "
                f"{rules.monotony_warning:g} is a warning, {rules.monotony_high:g} high). Vary your days: make one "
                "shorter and easier, and take a rest day.",
                rules.monotony_source,
            )
        )
    if state.pmc["ramp_per_week"] > rules.ramp_high_per_week:
        found.append(
            LoadWarning(
                "fitness_ramp",
                "info",
                f"Your fitness line (CTL, in running km/day) rose {state.pmc['ramp_per_week']:.1f} in 7 days; "
                "fast ramps are context for how quickly you are building, not a verdict.",
                rules.pmc_source,
            )
        )
    if state.no_data:
        found.append(
            LoadWarning(
                "no_data",
                "info",
                f"No activities recorded around {state.date} for {rules.no_data_min_gap_days}+ days: these days are "
                "shown as no data (watch not worn or history not imported), not as rest.",
                rules.no_data_source,
            )
        )
    return found
