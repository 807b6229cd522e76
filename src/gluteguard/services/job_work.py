"""What each kind of job does, the same whichever runner runs it (``services.jobs``): a job's parameters and files
in, a ``JobOutcome`` out — the result as JSON, a stride report, and the writes that must land in the transaction
that ends the job (a saved analysis), so that a job run again after its worker was killed keeps them once.

Errors: a ``ValueError`` (the services' one-line "this input cannot be used": a clip with no runner, a file that is
not keypoints) or a missing pose backend is the input's fault and ends the job at once (``is_input_problem``);
anything else may pass (a database restart, a full disk) and is tried again up to the limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from gluteguard.services.jobs import JobFile, JobKind

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gluteguard.store.db import Database

Progress = Callable[[int, int], None]  # (done, total): frames of a video, files of an import


class UnknownJobKind(RuntimeError):
    """A job this version cannot run (queued by a newer one during an upgrade): tried again, a newer worker may
    take it."""


@dataclass(frozen=True)
class JobOutcome:
    """A finished job: its result (JSON), a stride job's HTML report, and the writes to make with the result."""

    result: dict[str, Any]
    report_html: str | None = None
    write: Callable[[Session], dict[str, Any]] | None = None  # returns what to add to the result (a saved id)


def is_input_problem(exc: BaseException) -> bool:
    """Whether ``exc`` says the input cannot be used (trying again would fail the same way)."""
    if isinstance(exc, ValueError) or getattr(exc, "final", False):
        return True
    from gluteguard.gait.pose import PoseBackendMissing

    return isinstance(exc, PoseBackendMissing)


def one_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def json_safe(value: Any) -> Any:
    """A result as JSON a database column takes: dates as ISO text, NaN as null, NumPy as Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "tolist"):  # NumPy scalars and arrays
        return json_safe(value.tolist())
    return str(value)


def stride_params(
    *,
    view: str | None = None,
    fps: float | None = None,
    capture_fps: float | None = None,
    model: str = "lite",
    max_seconds: float | None = None,
    recorded_on: date | None = None,
    save: bool = False,
) -> dict[str, Any]:
    """A stride job's parameters as JSON (the label and the file travel in the request)."""
    return {"view": view, "fps": fps, "capture_fps": capture_fps, "model": model, "max_seconds": max_seconds,
            "recorded_on": recorded_on.isoformat() if recorded_on else None, "save": save}  # fmt: skip


def perform(
    db: Database,
    kind: str,
    athlete_id: int,
    params: dict[str, Any],
    files: list[JobFile],
    report: Progress,
) -> JobOutcome:
    """Do one job's work (nothing of it is kept until the runner ends the job with the outcome, bar an import's
    files, which are kept file by file and skipped as identical when the job runs again)."""
    if kind == JobKind.STRIDE:
        return _stride(db, athlete_id, params, files, report)
    if kind == JobKind.IMPORT:
        return _import(db, athlete_id, files, report)
    if kind == JobKind.REPROCESS:
        from gluteguard.services.activities import reprocess

        return JobOutcome(dict(reprocess(db, athlete_id)))
    if kind == JobKind.REDECIDE:
        return _redecide(db, athlete_id)
    if kind == JobKind.STRAVA_SYNC:
        return _strava_sync(db, athlete_id, params, report)
    raise UnknownJobKind(f"this version of gluteguard cannot run a job of kind '{kind}'")


def _stride(db: Database, athlete_id: int, params: dict, files: list[JobFile], report: Progress) -> JobOutcome:
    from gluteguard.services.gait import NothingToSave, StrideOptions, add_stride_row, analysed_json, analyze_stride

    if len(files) != 1:
        raise ValueError("a stride job reads exactly one file")
    recorded_on = params.get("recorded_on")
    options = StrideOptions(view=params.get("view"), fps=params.get("fps"), capture_fps=params.get("capture_fps"),
                            model=params.get("model") or "lite", max_seconds=params.get("max_seconds"),
                            recorded_on=date.fromisoformat(recorded_on) if recorded_on else None,
                            label=files[0].name, save=False)  # fmt: skip
    result = analyze_stride(db, athlete_id, files[0].path, options, on_progress=report)
    write = None
    if params.get("save"):
        if result.analysis.running:

            def write(session: Session) -> dict[str, Any]:
                return {"saved_id": add_stride_row(session, athlete_id, result)}

        else:
            movement = result.analysis.movement
            result = replace(result, not_saved=str(NothingToSave(
                f"not saved: {movement.message if movement else 'no running found'}")))  # fmt: skip
    return JobOutcome(analysed_json(result), result.report_html(), write)


def _import(db: Database, athlete_id: int, files: list[JobFile], report: Progress) -> JobOutcome:
    from dataclasses import asdict

    from gluteguard.services.import_pool import default_workers
    from gluteguard.services.importer import import_paths

    paths = [file.path for file in files]
    names = {file.path: file.name for file in files}  # stored and shown: never the worker's temporary copy
    workers = 1 if len(paths) <= 2 else min(len(paths), default_workers())
    summary = import_paths(db, athlete_id, paths, workers=workers, shown_as=names,
                           on_file=lambda _report, done, total: report(done, total))  # fmt: skip
    result = summary.as_json()
    result["results"] = [asdict(file_report) for file_report in summary.files]
    return JobOutcome(json_safe(result))


def _strava_sync(db: Database, athlete_id: int, params: dict[str, Any], report: Progress) -> JobOutcome:
    from gluteguard.services.strava import sync

    since = params.get("since")
    summary = sync(db, athlete_id, since=date.fromisoformat(since) if since else None,
                   on_progress=lambda done, total, _what: report(done, total))  # fmt: skip
    return JobOutcome(json_safe(summary.as_json()))


def _redecide(db: Database, athlete_id: int) -> JobOutcome:
    from gluteguard.services.coach import decision_on
    from gluteguard.services.roster import refresh_summary

    refresh_summary(db, athlete_id)  # the clinicians' rosters read the new day from here in the morning
    decision = decision_on(db, athlete_id)
    return JobOutcome({
        "date": decision.date.isoformat(),
        "status": decision.status,
        "action": decision.action,
        "headline": decision.headline.message,
        "headline_kind": decision.headline_kind,
        "phase": decision.phase,
        "running_allowed": decision.running_allowed,
    })  # fmt: skip
