"""The demo: a sample runner's 16 weeks of FIT files, written by a real FIT encoder and imported through
the same path a user's files take."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text
from gluteguard.load.metrics import LoadState, run_spikes
from gluteguard.load.series import daily_series
from gluteguard.samples.checkins import SELF_TESTS, sample_checkins, spike_day
from gluteguard.samples.gait_synth import synthetic_run
from gluteguard.samples.monitoring import monitoring_file
from gluteguard.samples.runner import write_sample_runner
from gluteguard.services.activities import list_activities
from gluteguard.services.athletes import ensure_athlete, update_profile
from gluteguard.services.checkins import save_checkin
from gluteguard.services.coach import LoadView, decision_on, load_history, load_on
from gluteguard.services.gait import StrideOptions, StrideResult, analyze_stride
from gluteguard.services.importer import ImportSummary, import_paths
from gluteguard.services.load import WeekRow, athlete_sessions
from gluteguard.services.selftests import record_palpation, record_stance
from gluteguard.services.sitting import sitting_history
from gluteguard.services.symptoms import symptom_report
from gluteguard.store.db import Database
from gluteguard.symptoms.selftests import stance_side
from gluteguard.symptoms.status import StatusReport

DEMO_PROFILE = {
    "birth_year": 1988,
    "sex": "female",
    "max_hr": 188,
    "resting_hr": 54,
    "units": "km",
    "timezone": "Europe/Berlin",
    "running_days": "tue,thu,sat,sun",
    "long_run_day": "sun",
    "work_days": "mon,tue,wed,thu,fri",
    "work_start": "08:30",
    "work_end": "17:30",
    "equipment": "band,foam_roller",
}


@dataclass
class DemoReport:
    summary: ImportSummary
    files: int
    runs: int
    run_km: float
    longest_run_km: float
    weekly_km: list[tuple[str, float]] = field(default_factory=list)  # (ISO week start, km)
    history: list[WeekRow] = field(default_factory=list)
    spike_states: list[LoadState] = field(default_factory=list)  # the load state on each spike's day
    today: LoadView | None = None  # the last day's decision and load
    statuses: list[StatusReport | None] = field(default_factory=list)  # the day after the spike, and later
    phases: list[tuple[str, str]] = field(default_factory=list)  # (day, plan phase) every other day around the spike
    stride: StrideResult | None = None  # the demo's stride analysis (synthetic keypoints), as saved
    sitting: list = field(default_factory=list)  # SittingDay of the last work days (from the watch's monitoring)


# The demo runner's right hip is the sore one; standing on the right foot her left pelvis drops more (reported
# under the stance leg, ``right``). Synthetic keypoints made by gluteguard, labelled as such.
DEMO_STRIDE = {"view": "rear", "seconds": 20.0, "fps": 60.0, "cadence_spm": 166.0, "pelvic_drop_deg": (3.5, 8.0),
               "hip_adduction_deg": (7.0, 10.0), "noise_px": 0.8, "seed": 7}  # fmt: skip
STRIDE_DAY_AFTER_SPIKE = 9
DEMO_STRIDE_SOURCE = "synthetic keypoints made by gluteguard (demo)"
DEMO_WEAR_DAYS = 14  # filmed while managing the hip, so the return weeks' plans use its cues


def _add_stride_analysis(db: Database, athlete_id: int, folder: Path, end_date: date) -> StrideResult | None:
    """Film (synthetically) the runner from behind, analyse it through the same path a user's file takes, save it."""
    day = spike_day(end_date) + timedelta(days=STRIDE_DAY_AFTER_SPIKE)
    if day > end_date:
        return None
    path = folder / "stride-rear-synthetic.csv"
    path.write_text(keypoints_csv_text(synthetic_run(**DEMO_STRIDE)), encoding="utf-8")
    options = StrideOptions(view="rear", recorded_on=day, label=DEMO_STRIDE_SOURCE, stored_name=path.name,
                            input_kind="synthetic", compare=False, save=True)  # fmt: skip
    return analyze_stride(db, athlete_id, path, options)


def _add_sample_checkins(db: Database, athlete_id: int, end_date: date) -> None:
    """The runner's check-ins and self-tests, through the same services the CLI uses."""
    for answers in sample_checkins(end_date):
        save_checkin(db, athlete_id, answers)
    spike = spike_day(end_date)
    for offset, tests in SELF_TESTS.items():
        day = spike + timedelta(days=offset)
        if day > end_date:
            continue
        sides = [stance_side(side, seconds, pain) for side, (seconds, pain) in tests["stance"].items()]
        record_stance(db, athlete_id, day, sides)
        record_palpation(db, athlete_id, day, tests["palpation"])


def build_demo(db: Database, *, end_date: date | None = None, workers: int | None = None) -> DemoReport:
    athlete_id = ensure_athlete(db)
    update_profile(db, athlete_id, DEMO_PROFILE)
    # The sample history ends yesterday (in the demo runner's zone): fresh data for every "today" view,
    # and no run starting later today, in the future.
    end_date = end_date or datetime.now(ZoneInfo(DEMO_PROFILE["timezone"])).date() - timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="gluteguard-demo-") as folder:
        files = write_sample_runner(Path(folder), end_date=end_date)
        # Two weeks of her watch's all-day monitoring (steps and activity class): the sitting figures' data.
        wear = monitoring_file(first_day=end_date - timedelta(days=DEMO_WEAR_DAYS - 1), days=DEMO_WEAR_DAYS,
                               timezone=DEMO_PROFILE["timezone"])  # fmt: skip
        (Path(folder) / "monitoring").mkdir()
        (Path(folder) / "monitoring" / "demo-monitor.fit").write_bytes(wear.data)
        summary = import_paths(db, athlete_id, [Path(folder)], workers=workers)
        stride = _add_stride_analysis(db, athlete_id, Path(folder), end_date)
    runs = [row for row in list_activities(db, athlete_id) if row.sport == "run"]
    weekly: dict[str, float] = defaultdict(float)
    for row in runs:
        local = datetime.fromisoformat(row.start_local).date()
        week_start = date.fromordinal(local.toordinal() - local.weekday())
        weekly[week_start.isoformat()] += (row.distance_m or 0.0) / 1000
    _add_sample_checkins(db, athlete_id, end_date)
    sessions, _ = athlete_sessions(db, athlete_id)
    spikes = run_spikes(sessions, daily_series(sessions, last_day=end_date))
    spike_days = sorted({s.date for s in spikes if s.spike_category in ("moderate", "large")})
    status_days = [spike_day(end_date) + timedelta(days=offset) for offset in (1, 19)]
    return DemoReport(
        history=load_history(db, athlete_id, 16, end_date),
        spike_states=[load_on(db, athlete_id, date.fromisoformat(day)).state for day in spike_days],
        today=load_on(db, athlete_id, end_date),
        statuses=[symptom_report(db, athlete_id, day) for day in status_days if day <= end_date],
        phases=[
            (day.isoformat(), decision_on(db, athlete_id, day).phase)
            for day in (spike_day(end_date) + timedelta(days=offset) for offset in range(-3, 23, 2))
            if day <= end_date
        ],
        summary=summary,
        files=len(files),
        runs=len(runs),
        run_km=sum((r.distance_m or 0.0) for r in runs) / 1000,
        longest_run_km=max(((r.distance_m or 0.0) for r in runs), default=0.0) / 1000,
        weekly_km=sorted(weekly.items()),
        stride=stride,
        sitting=[s for s in sitting_history(db, athlete_id, end_date, 7) if s.source != "none"],
    )
