"""Stride analyses: the one workflow every edge runs, and the saved history.

The workflow (``analyze_stride``): read one input (a video, keypoints or motion capture) → analyse it → judge it
against the runner's previous saved analysis of the same view (unless ``compare=False``) → save it (if
``save=True``). The CLI, the API, the web page and the demo only turn their input into a ``StrideOptions``, call
it, and render the ``StrideResult`` it returns; ``save_stride`` saves a result later (the web page's Save button,
or the CLI once its files are written).

``StrideResult.as_dict()`` is the JSON contract of every edge (``gluteguard gait analyze --json``, the API's
``result``): the keys of ``GaitAnalysis.as_dict()``, then ``synthetic_camera`` and ``truth_3d`` (motion capture),
``compared_with`` (judged against an earlier analysis), ``people_seen`` and ``person_analysed`` (several people in
view: whom the analysis followed and why), ``recorded_on`` (not in the CLI's output) and ``saved_id`` (once
saved). What the history keeps is ``StrideResult.summary()`` (those keys but the per-step
detail, the findings and the saved id) and, beside it, the findings.

Errors are one line: ``KeypointError`` for an input that cannot be used, ``PoseBackendMissing`` for a video
without the pose extra.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from gluteguard.gait.dynamics import DynamicsNote, RunDynamics, run_notes, summarise_run, trend_notes
from gluteguard.gait.inputs import GaitInput, read_input
from gluteguard.gait.model import KeypointSeries, at_capture_rate
from gluteguard.gait.timing import even_frame_clock
from gluteguard.ingest.model import Sport
from gluteguard.services.activities import load_streams
from gluteguard.services.athletes import local_today
from gluteguard.services.load import athlete_sessions
from gluteguard.store.db import Database
from gluteguard.store.models import GaitSessionRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gluteguard.gait.analysis import GaitAnalysis
    from gluteguard.gait.findings import Finding

Crop = tuple[float, float, float, float]  # left, top, right, bottom as fractions of the frame
ProgressCallback = Callable[[int, int], None]  # (frames done, frames in all) while a video is read
MOCAP_CAMERA = "motion capture filmed by a virtual camera (projected joint centres)"
# Per-step detail is not kept; findings have a column of their own; the rest is about this request, not the clip.
NOT_IN_SUMMARY = ("steps_detail", "findings", "saved_id", "not_saved", "input_kind", "stored_name")


class NothingToSave(ValueError):
    """A result that must not be kept (no running in it); the message is one line."""


@dataclass(frozen=True)
class StrideOptions:
    """How to read one stride input and what to do with its analysis; every field has a default."""

    view: str | None = None  # rear | side; detected from the keypoints when None
    fps: float | None = None  # for keypoint files that do not say (OpenPose)
    capture_fps: float | None = None  # slow motion: the rate it was filmed at (its playback rate is the file's)
    model: str = "lite"  # pose model for videos: lite | full | heavy
    crop: Crop | None = None  # videos: look only here
    max_seconds: float | None = None  # videos: analyse only the first seconds
    recorded_on: date | None = None  # the day it was filmed; None: today where the runner lives
    label: str | None = None  # the source as shown; None: what the input says of itself, else the file name
    stored_name: str | None = None  # the source name the history keeps; None: the label, else the file name
    input_kind: str | None = None  # the input kind the history keeps; None: what was read (video, keypoints_csv…)
    compare: bool = True  # judge "increase" rules against the previous saved analysis of the same view
    save: bool = False  # keep it: the history, and the plan takes its cues from it


@dataclass(frozen=True)
class ComparedWith:
    """The earlier saved analysis a result was judged against."""

    id: int
    recorded_on: date

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "recorded_on": self.recorded_on.isoformat()}


@dataclass(frozen=True)
class StrideResult:
    """One analysed input: the analysis as the runner sees it (its ``source`` the label, its findings judged
    against ``compared_with`` when there was a baseline), what it was read from, and where it is filed."""

    analysis: GaitAnalysis
    input_kind: str  # what the history calls the input: video | keypoints_csv | openpose | keypoints_trc | mocap…
    stored_name: str  # the source name the history keeps
    recorded_on: date
    series: KeypointSeries = field(repr=False, compare=False)  # the keypoints (the report draws key frames)
    pictures: dict[str, bytes] = field(default_factory=dict, repr=False)  # JPEG key frames per side, for videos
    truth_3d: dict[str, Any] | None = None  # motion capture: the 3D ground truth (``gait.mocap_truth``)
    synthetic_camera: str | None = None  # motion capture: how the 2D keypoints were made
    compared_with: ComparedWith | None = None
    saved_id: int | None = None
    not_saved: str | None = None  # why a save that was asked for did not happen (no running in the clip)
    timing: dict[str, Any] | None = None  # slow motion: playback and capture rates, and where the latter came from

    @property
    def source(self) -> str:
        return self.analysis.source

    @property
    def view(self) -> str:
        return self.analysis.view

    @property
    def people(self) -> dict[str, Any] | None:
        """How many people were in view and, when several, whom the analysis followed and why (``people_seen``,
        ``person_analysed``); None when the input does not say (``gait.people.people_in_view``)."""
        from gluteguard.gait.people import people_in_view  # imports the analysis: only once there is a result

        return people_in_view(self.series.meta)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.analysis.findings

    def as_dict(self, *, with_recorded_on: bool = True) -> dict[str, Any]:
        """The JSON shape the edges give out (the module docstring lists the keys); ``gait analyze --json`` leaves
        out ``recorded_on``, as it always has."""
        out = self.analysis.as_dict()
        if self.synthetic_camera is not None:
            out["synthetic_camera"] = self.synthetic_camera
        if self.truth_3d is not None:
            out["truth_3d"] = self.truth_3d
        if self.compared_with is not None:
            out["compared_with"] = self.compared_with.as_dict()
        if self.timing is not None:
            out["slow_motion"] = dict(self.timing)
        people = self.people
        if people is not None:
            out.update(people)
        if with_recorded_on:
            out["recorded_on"] = self.recorded_on.isoformat()
        if self.saved_id is not None:
            out["saved_id"] = self.saved_id
        if self.not_saved is not None:
            out["not_saved"] = self.not_saved
        return out

    def summary(self) -> dict[str, Any]:
        """What the history keeps of it (``gait_history``'s ``summary``): all but the per-step detail, the
        findings (kept beside it) and the saved id."""
        return {key: value for key, value in self.as_dict().items() if key not in NOT_IN_SUMMARY}

    def report_html(self) -> str:
        """The offline HTML report: key frames (the video's own, or drawn from the keypoints), summary, findings."""
        from gluteguard.reports.gait_report import render_gait_report

        return render_gait_report(self.as_dict(), self.series, self.pictures)


def _video_pictures(path: Path, analysis: GaitAnalysis, series: KeypointSeries) -> dict[str, bytes]:
    """The report's key frames from the video itself, skeleton and pelvic-drop angle drawn on them."""
    from gluteguard.gait.pose.video import draw_skeleton, encode_jpeg, read_frames
    from gluteguard.reports.gait_report import key_frames

    chosen = key_frames(analysis.as_dict())
    rows = series.meta.get("frame_index")
    to_clip = {side: int(rows[row]) if rows is not None else row for side, (row, _) in chosen.items()}
    images = read_frames(path, sorted(set(to_clip.values())))
    pictures: dict[str, bytes] = {}
    for side, (row, value) in chosen.items():
        image = images.get(to_clip[side])
        if image is None:
            continue
        drop = value if analysis.view == "rear" else None
        drawn = draw_skeleton(image, series.xyz[row], series.confidence[row], pelvic_drop_deg=drop,
                              label=f"{side} stance", highlight=("left_hip", "right_hip"))  # fmt: skip
        pictures[side] = encode_jpeg(drawn)
    return pictures


def _read(path: Path, options: StrideOptions, on_progress: ProgressCallback | None) -> GaitInput:
    return read_input(path, view=options.view, fps=options.fps, model=options.model, crop=options.crop,
                      max_seconds=options.max_seconds, on_progress=on_progress)  # fmt: skip


def _side_means(metrics: dict) -> dict[str, dict[str, float]]:
    """metric → {side: mean} of a saved summary's ``metrics`` (the baseline ``derive_findings`` takes)."""
    return {
        name: {side: metric[side]["mean"] for side in ("left", "right") if metric.get(side)}
        for name, metric in metrics.items()
    }


def _judged(db: Database, athlete_id: int, result: StrideResult) -> StrideResult:
    """The result judged against the runner's previous saved analysis of the same view (filmed that day or
    before), if any: rules of the "increase" kind (findings.toml) need a baseline; the pure ``derive_findings``
    does the judging. Too few clean steps get no verdict, with or without a baseline."""
    from gluteguard.gait.findings import derive_findings, load_rules

    analysis = result.analysis
    if min(analysis.steps.values(), default=0) < load_rules().min_clean_steps_per_side:
        return result
    query = (
        select(GaitSessionRow)
        .where(
            GaitSessionRow.athlete_id == athlete_id,
            GaitSessionRow.view == analysis.view,
            GaitSessionRow.recorded_on <= result.recorded_on,
        )
        .order_by(GaitSessionRow.recorded_on.desc(), GaitSessionRow.id.desc())
        .limit(1)
    )
    with db.session() as session:
        previous = session.scalar(query)
        if previous is None:
            return result
        baseline = _side_means(previous.summary.get("metrics", {}))
        reference = ComparedWith(previous.id, previous.recorded_on)
    findings = derive_findings(analysis.side_means(), analysis.cadence_for_verdict, baseline)
    return replace(result, analysis=replace(analysis, findings=tuple(findings)), compared_with=reference)


def analyze_stride(
    db: Database,
    athlete_id: int,
    path: Path,
    options: StrideOptions = StrideOptions(),
    on_progress: ProgressCallback | None = None,
) -> StrideResult:
    """The stride workflow: read ``path`` → analyse → judge against the previous saved analysis of the same view
    (``options.compare``) → save (``options.save``). Raises one-line ``KeypointError``/``PoseBackendMissing``."""
    from gluteguard.gait.analysis import analyze

    path = Path(path)
    found = _read(path, options, on_progress)
    # Slow motion: the rate the runner gave, else the one the phone wrote into the clip.
    tagged = found.extras.get("tagged_capture_fps")
    capture = options.capture_fps or tagged
    timing = None
    if capture is not None:
        playback = found.series.fps
        found = replace(found, series=at_capture_rate(found.series, capture))
        origin = "given" if options.capture_fps is not None else "the clip's slow-motion tag"
        timing = {"playback_fps": playback, "capture_fps": capture, "capture_fps_from": origin}
    # A variable frame rate on an even clock here, not only inside analyze: the report's key frames are rows of it.
    found = replace(found, series=even_frame_clock(found.series))
    analysis = analyze(found.series, options.view or found.view_hint)
    analysis = replace(analysis, source=options.label or analysis.source or path.name)
    result = StrideResult(
        analysis=analysis,
        input_kind=options.input_kind or found.kind,
        stored_name=options.stored_name or options.label or path.name,
        recorded_on=options.recorded_on or local_today(db, athlete_id),
        series=found.series,
        pictures=_video_pictures(path, analysis, found.series) if found.kind == "video" else {},
        truth_3d=found.truth,
        synthetic_camera=MOCAP_CAMERA if found.kind == "mocap" else None,
        timing=timing,
    )
    if options.compare:
        result = _judged(db, athlete_id, result)
    if not options.save:
        return result
    try:
        return save_stride(db, athlete_id, result)
    except NothingToSave as exc:
        return replace(result, not_saved=str(exc))


def save_stride(db: Database, athlete_id: int, result: StrideResult) -> StrideResult:
    """Keep one analysed result in one transaction (the history, and the plan's cues); returns it with its
    ``saved_id``. Saving a result that has one already keeps it once; a clip that shows no running is not kept
    (``NothingToSave``): it has no metric, and the plan must not take cues from it."""
    if result.saved_id is not None:
        return result
    if not result.analysis.running:
        movement = result.analysis.movement
        raise NothingToSave(f"not saved: {movement.message if movement else 'no running found'}")
    with db.session() as session:
        saved_id = add_stride_row(session, athlete_id, result)
    return replace(result, saved_id=saved_id)


def add_stride_row(session: Session, athlete_id: int, result: StrideResult) -> int:
    """Add one running result to the history within ``session`` (a job keeps it in the transaction that stores
    the job's result, so a job run twice keeps it once); returns its id."""
    return add_stride_record(session, athlete_id, analysed_json(result))


def analysed_json(result: StrideResult) -> dict[str, Any]:
    """A result as a job keeps it (JSON): ``as_dict`` with what the history files it under, so that it can be
    saved later from the JSON alone (:func:`add_stride_record`)."""
    from gluteguard.services.job_work import json_safe

    return json_safe({**result.as_dict(), "input_kind": result.input_kind, "stored_name": result.stored_name})


def add_stride_record(session: Session, athlete_id: int, analysed: Mapping[str, Any]) -> int:
    """Add one analysis to the history from its JSON (:func:`analysed_json`) within ``session``; returns its id.
    Raises ``NothingToSave`` for a clip without running."""
    movement = analysed.get("movement") or {}
    if not movement.get("running"):
        raise NothingToSave(f"not saved: {movement.get('message') or 'no running found'}")
    row = GaitSessionRow(
        athlete_id=athlete_id,
        recorded_on=date.fromisoformat(analysed["recorded_on"]),
        source_name=str(analysed["stored_name"])[:255],
        input_kind=analysed["input_kind"],
        view=analysed["view"],
        summary={key: value for key, value in analysed.items() if key not in NOT_IN_SUMMARY},
        findings=list(analysed.get("findings") or []),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row.id


# --- the saved history ----------------------------------------------------------------------------------------


def _saved(row: GaitSessionRow) -> dict[str, Any]:
    """One saved analysis as the history lists it: id, date, source, input kind, view, summary and findings."""
    return {
        "id": row.id,
        "recorded_on": row.recorded_on.isoformat(),
        "source_name": row.source_name,
        "input_kind": row.input_kind,
        "view": row.view,
        "summary": row.summary,
        "findings": row.findings,
    }


def gait_history(db: Database, athlete_id: int) -> list[dict]:
    """Every saved analysis, oldest first: id, date, source, view, summary and findings."""
    query = (
        select(GaitSessionRow)
        .where(GaitSessionRow.athlete_id == athlete_id)
        .order_by(GaitSessionRow.recorded_on, GaitSessionRow.id)
    )
    with db.session() as session:
        return [_saved(row) for row in session.scalars(query)]


def get_analysis(db: Database, athlete_id: int, analysis_id: int) -> dict | None:
    """One saved analysis as ``gait_history`` lists it, or None when it is not this athlete's."""
    with db.session() as session:
        row = session.get(GaitSessionRow, analysis_id)
        if row is None or row.athlete_id != athlete_id:
            return None
        return _saved(row)


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
