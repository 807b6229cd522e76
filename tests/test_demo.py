"""The demo builds a real database through the real import path."""

from __future__ import annotations

from datetime import date

from gluteguard.services.activities import list_activities, load_streams
from gluteguard.services.demo import build_demo
from gluteguard.store.db import Database


def test_demo_history(sqlite_db: Database) -> None:
    report = build_demo(sqlite_db, end_date=date(2026, 11, 22), workers=2)
    summary = report.summary.as_json()
    assert summary["failed"] == [] and summary["partial"] == [] and summary["possible_duplicates"] == 0
    assert summary["imported"] == report.files == 63
    assert report.runs == 62 and 450 < report.run_km < 520
    weekly = dict(report.weekly_km)
    assert len(weekly) == 16
    kms = [km for _, km in report.weekly_km]
    # week 13 is the volume spike the later load warnings must catch
    assert kms[12] > 1.3 * kms[11] and kms[12] == max(kms)
    rows = list_activities(sqlite_db, 1)
    assert {r.sub_sport for r in rows} >= {"treadmill", "trail"}
    streams = load_streams(sqlite_db, 1, rows[-1].id)
    assert {"heart_rate_bpm", "cadence_spm", "vertical_oscillation_mm", "stance_time_balance_pct"} <= set(
        streams.columns
    )
    assert rows[0].start_local.endswith("+02:00") and rows[-1].start_local.endswith("+01:00")  # DST in Berlin


def test_demo_plan_phases_change_across_the_spike(sqlite_db: Database) -> None:
    report = build_demo(sqlite_db, end_date=date(2026, 11, 22), workers=2)
    phases = [phase for _, phase in report.phases]
    assert phases[0] == "prevent" and phases[-1] == "return"
    assert phases.index("manage") < phases.index("settle") < phases.index("return")


def test_demo_stride_analysis_feeds_the_plan(sqlite_db: Database) -> None:
    from datetime import timedelta

    from gluteguard.services.coach import week_plan as plan_for_week
    from gluteguard.services.gait import gait_history

    report = build_demo(sqlite_db, end_date=date(2026, 11, 22), workers=2)
    stride = report.stride
    assert stride is not None and "synthetic" in stride.source  # labelled as made by the project
    drop = stride.analysis.metrics["pelvic_drop_deg"].by_side
    assert drop["right"].mean > drop["left"].mean + 2.8  # the sore right hip's pattern
    assert [f.code for f in stride.findings][:1] == ["pelvic_drop_asymmetric"]
    assert gait_history(sqlite_db, 1)[0]["input_kind"] == "synthetic"
    week_after = stride.recorded_on + timedelta(days=7)
    runs = [i for d in plan_for_week(sqlite_db, 1, week_after).days for i in d.items if i.kind == "run"]
    assert runs and all("Stride cue" in r.details for r in runs)


def test_demo_has_sitting_figures_from_the_watch(sqlite_db: Database) -> None:
    report = build_demo(sqlite_db, end_date=date(2026, 11, 22), workers=2)
    assert report.sitting and all(day.source == "wearable" for day in report.sitting)
    assert all(0 < day.sitting_min <= day.work_minutes and day.breaks is not None for day in report.sitting)
    assert report.summary.as_json()["wearable"]["steps"] > 1000
