"""Stride analyses in the store: save a result, list the history, and hand the latest findings to the plan."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from gluteguard.gait.dynamics import DynamicsNote, RunDynamics, run_notes, summarise_run, trend_notes
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
