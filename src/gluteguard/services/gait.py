"""Stride analyses in the store: save a result, list the history, and hand the latest findings to the plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from gluteguard.gait.dynamics import DynamicsNote, RunDynamics, run_notes, summarise_run, trend_notes
from gluteguard.gait.inputs import read_input
from gluteguard.gait.model import KeypointSeries
from gluteguard.ingest.model import Sport
from gluteguard.services.activities import load_streams
from gluteguard.services.load import athlete_sessions
from gluteguard.store.db import Database
from gluteguard.store.models import GaitSessionRow


def save_analysis(
    db: Database, athlete_id: int, result: dict, *, recorded_on: date, source_name: str, input_kind: str
) -> int:
    """Store one analysis (the ``as_dict()`` of a gait result) in one transaction; returns its id."""
    summary = {key: value for key, value in result.items() if key not in ("steps_detail", "findings")}
    with db.session() as session:
        row = GaitSessionRow(
            athlete_id=athlete_id,
            recorded_on=recorded_on,
            source_name=source_name[:255],
            input_kind=input_kind,
            view=result["view"],
            summary=summary,
            findings=list(result.get("findings", [])),
            created_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        return row.id


def gait_history(db: Database, athlete_id: int) -> list[dict]:
    """Every saved analysis, oldest first: id, date, source, view, summary and findings."""
    query = (
        select(GaitSessionRow)
        .where(GaitSessionRow.athlete_id == athlete_id)
        .order_by(GaitSessionRow.recorded_on, GaitSessionRow.id)
    )
    with db.session() as session:
        return [
            {
                "id": row.id,
                "recorded_on": row.recorded_on.isoformat(),
                "source_name": row.source_name,
                "input_kind": row.input_kind,
                "view": row.view,
                "summary": row.summary,
                "findings": row.findings,
            }
            for row in session.scalars(query)
        ]


def latest_findings(db: Database, athlete_id: int, before: date) -> list[dict]:
    """The findings of the latest analysis recorded before ``before`` per view (rear and side see different
    things, so the newest of each counts); empty when there is none."""
    query = (
        select(GaitSessionRow.view, GaitSessionRow.findings)
        .where(GaitSessionRow.athlete_id == athlete_id, GaitSessionRow.recorded_on < before)
        .order_by(GaitSessionRow.recorded_on.desc(), GaitSessionRow.id.desc())
    )
    latest: dict[str, list[dict]] = {}
    with db.session() as session:
        for view, findings in session.execute(query):
            latest.setdefault(view, findings)
    return [finding for view in sorted(latest) for finding in latest[view]]


def running_dynamics(
    db: Database, athlete_id: int, since: date | None = None, until: date | None = None
) -> tuple[list[RunDynamics], list[DynamicsNote]]:
    """Running dynamics per run (from the imported streams) with per-run and trend notes, oldest first."""
    sessions, _ = athlete_sessions(db, athlete_id)
    runs: list[RunDynamics] = []
    for session in sessions:
        if session.sport != Sport.RUN:
            continue
        if (since and session.local_date < since) or (until and session.local_date > until):
            continue
        summary = summarise_run(
            session.activity_id, session.local_date, load_streams(db, athlete_id, session.activity_id)
        )
        if summary is not None:
            runs.append(summary)
    today = until or (runs[-1].day if runs else date.today())
    notes = [note for run in runs for note in run_notes(run)] + trend_notes(runs, today)
    return runs, notes


@dataclass(frozen=True)
class StrideResult:
    analysis: dict  # GaitAnalysis.as_dict()
    kind: str
    series: KeypointSeries
    truth: dict | None
    pictures: dict[str, bytes]  # JPEG key frames per side, for videos


def _video_pictures(path: Path, analysis: dict, series: KeypointSeries) -> dict[str, bytes]:
    """The report's key frames from the video itself, skeleton and pelvic-drop angle drawn on them."""
    from gluteguard.gait.pose.video import draw_skeleton, encode_jpeg, read_frames
    from gluteguard.reports.gait_report import key_frames

    chosen = key_frames(analysis)
    rows = series.meta.get("frame_index")
    to_clip = {side: int(rows[row]) if rows is not None else row for side, (row, _) in chosen.items()}
    images = read_frames(path, sorted(set(to_clip.values())))
    pictures = {}
    for side, (row, value) in chosen.items():
        image = images.get(to_clip[side])
        if image is None:
            continue
        drop = value if analysis["view"] == "rear" else None
        drawn = draw_skeleton(image, series.xyz[row], series.confidence[row], pelvic_drop_deg=drop,
                              label=f"{side} stance", highlight=("left_hip", "right_hip"))  # fmt: skip
        pictures[side] = encode_jpeg(drawn)
    return pictures


def analyze_file(
    path: Path,
    *,
    view: str | None = None,
    fps: float | None = None,
    model: str = "lite",
    crop: tuple[float, float, float, float] | None = None,
    max_seconds: float | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> StrideResult:
    """Read any stride input and analyse it; errors are one-line ``KeypointError``/``PoseBackendMissing``."""
    from gluteguard.gait.analysis import analyze

    found = read_input(path, view=view, fps=fps, model=model, crop=crop, max_seconds=max_seconds,
                       on_progress=on_progress)  # fmt: skip
    result = analyze(found.series, view or found.view_hint).as_dict()
    result["source"] = result.get("source") or path.name
    if found.kind == "mocap":
        result["synthetic_camera"] = "motion capture filmed by a virtual camera (projected joint centres)"
    pictures = _video_pictures(path, result, found.series) if found.kind == "video" else {}
    return StrideResult(result, found.kind, found.series, found.truth, pictures)


def _side_means(metrics: dict) -> dict[str, dict[str, float]]:
    return {
        name: {side: metric[side]["mean"] for side in ("left", "right") if metric.get(side)}
        for name, metric in metrics.items()
    }


def compare_with_previous(db: Database, athlete_id: int, analysis: dict, recorded_on: date) -> dict:
    """Judge the analysis against the runner's previous saved one of the same view, if any: rules of the
    "increase" kind (findings.toml) need a baseline; the pure ``derive_findings`` does the judging."""
    from gluteguard.gait.findings import derive_findings, load_rules

    if min(analysis["steps"].values(), default=0) < load_rules().min_clean_steps_per_side:
        return analysis  # no verdict on too few steps, with or without a baseline
    query = (
        select(GaitSessionRow)
        .where(
            GaitSessionRow.athlete_id == athlete_id,
            GaitSessionRow.view == analysis["view"],
            GaitSessionRow.recorded_on <= recorded_on,
        )
        .order_by(GaitSessionRow.recorded_on.desc(), GaitSessionRow.id.desc())
        .limit(1)
    )
    with db.session() as session:
        previous = session.scalar(query)
        if previous is None:
            return analysis
        baseline = _side_means(previous.summary.get("metrics", {}))
        reference = {"id": previous.id, "recorded_on": previous.recorded_on.isoformat()}
    findings = derive_findings(_side_means(analysis["metrics"]), analysis.get("cadence_spm"), baseline)
    return {**analysis, "findings": [f.as_dict() for f in findings], "compared_with": reference}


def get_analysis(db: Database, athlete_id: int, analysis_id: int) -> dict | None:
    """One saved analysis as ``gait_history`` lists it, or None when it is not this athlete's."""
    with db.session() as session:
        row = session.get(GaitSessionRow, analysis_id)
        if row is None or row.athlete_id != athlete_id:
            return None
        return {
            "id": row.id,
            "recorded_on": row.recorded_on.isoformat(),
            "source_name": row.source_name,
            "input_kind": row.input_kind,
            "view": row.view,
            "summary": row.summary,
            "findings": row.findings,
        }
