"""Stride: upload a video or a keypoint/motion-capture file, follow the analysis, read the report, save it; the
history of saved analyses and the watch's running dynamics.

The analysis runs as a background job of the app's job runner (``web.api.stride.jobs_of``, as the API's): a thread
of this process for one runner, the workers on a shared server. The upload answers at once with the job's page,
which polls ``/stride/jobs/{id}`` for progress and shows the result when it is ready. Routes only parse and render:
the upload is saved and checked by ``web.uploads`` (the pipeline the API uses), the analysis is the stride job
(``services.job_work``: judged against the previous saved analysis, not saved), its result is JSON on either
runner (:func:`report_view` shapes it for the page), and the Save button is the runner's ``keep_stride``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gluteguard.gait.dynamics import DynamicsNote, RunDynamics
from gluteguard.gait.findings import load_rules
from gluteguard.gait.model import MAX_CAPTURE_FPS, MIN_CAPTURE_FPS
from gluteguard.gait.repeatability import timing_notes
from gluteguard.services.athletes import local_today
from gluteguard.services.gait import (
    NothingToSave,
    gait_history,
    running_dynamics,
)
from gluteguard.services.job_work import stride_params
from gluteguard.services.jobs import JobFile, JobKind, JobRequest, JobView, TooBusy
from gluteguard.web.deps import WebContext, context
from gluteguard.web.jobs import JOB_ID_MAX, job_of, jobs_of
from gluteguard.web.pages.render import page
from gluteguard.web.security import verify_csrf
from gluteguard.web.uploads import UploadProblem, read_upload_form, save_uploads

router = APIRouter()

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".m4v", ".mkv", ".webm")
DATA_SUFFIXES = (".csv", ".trc", ".c3d", ".txt")
STRIDE_SUFFIXES = VIDEO_SUFFIXES + DATA_SUFFIXES
# A 30-second phone clip in 4K at 60 frames/s is 300–400 MB, so 1 GB takes any sensible clip; keypoints and motion
# capture are text or compact binary: minutes of 200 Hz markers are tens of MB, 200 MB is far above that.
MAX_VIDEO_BYTES = 1 << 30
MAX_DATA_BYTES = 200 << 20
VIEWS = ("auto", "rear", "side")
HISTORY_SESSIONS = 8  # sessions per view side by side: more no longer fit a screen
DYNAMICS_RUNS = 20  # the latest runs in the running dynamics table


def _job(request: Request, ctx: WebContext, job_id: str) -> JobView | None:
    """This athlete's stride job ``job_id`` (None for anyone else's, another kind, or none)."""
    return job_of(request, ctx.athlete_id, job_id, JobKind.STRIDE)


def _job_json(job: JobView) -> dict:
    """What the job page polls: status, frames done of total (0 while unknown), fraction or None, seconds."""
    return {
        "id": job.id,
        "label": job.label,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "fraction": 1.0 if job.status == "done" else (round(job.progress, 3) if job.total else None),
        "elapsed_s": job.as_json(False)["elapsed_s"],
        "error": job.error,
        "saved_id": (job.result or {}).get("saved_id"),
    }


def report_view(analysed: Mapping[str, Any]) -> dict[str, Any]:
    """A stride job's result (``services.gait.analysed_json``) as the job page reads it: ``analysis`` (with
    ``running`` and ``timing_notes``), ``people``, ``timing`` (slow motion) and ``compared_with``."""
    movement = analysed.get("movement")
    people = {key: analysed[key] for key in ("people_seen", "person_analysed") if key in analysed}
    running = bool(movement and movement.get("running"))
    return {
        "analysis": {**analysed, "running": running, "timing_notes": timing_notes(analysed)},
        "people": people or None,
        "timing": analysed.get("slow_motion"),
        "compared_with": analysed.get("compared_with"),
    }


def _today(ctx: WebContext) -> date:
    return local_today(ctx.db, ctx.athlete_id)


def _history_tables(sessions: list[dict]) -> list[dict]:
    """Per view: the latest sessions as columns and each metric's left / right stance means as rows."""
    tables = []
    for view in sorted({s["view"] for s in sessions}):
        shown = [s for s in sessions if s["view"] == view][-HISTORY_SESSIONS:]
        names = sorted({name for s in shown for name in s["summary"].get("metrics", {})})
        rows = [("cadence (steps/min)", [_number(s["summary"].get("cadence_spm"), 0) for s in shown])]
        for name in names:
            rows.append((_metric_label(name), [_sides(s["summary"].get("metrics", {}).get(name)) for s in shown]))
        tables.append({"view": view, "sessions": shown, "rows": rows})
    return tables


def _metric_label(name: str) -> str:
    """A metric's plain name, from the rules (saved analyses keep only its code as the key)."""
    info = load_rules().metrics.get(name)
    return info.label if info is not None else name.replace("_", " ")


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _sides(metric: dict | None) -> str:
    if not metric:
        return "—"
    return " / ".join(_number((metric.get(side) or {}).get("mean")) for side in ("left", "right"))


def _note_when(note: DynamicsNote, runs: list[RunDynamics]) -> str:
    """The date(s) of the runs a running-dynamics note is about: a note without its day reads as news."""
    days = sorted(run.day for run in runs if run.activity_id in note.activity_ids)
    if not days:
        return ""
    if days[0] == days[-1]:
        return f"Run of {days[0]:%d %b %Y}"
    return f"Runs from {days[0]:%d %b %Y} to {days[-1]:%d %b %Y}"


def _capture_fps(text: str | None) -> float | None:
    """The form's slow-motion frame rate: empty for a normal clip; raises ``UploadProblem`` when it is not one."""
    if not text or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise UploadProblem(f"'{text[:20]}' is not a frame rate: give it in frames per second, e.g. 240") from None
    if not MIN_CAPTURE_FPS <= value <= MAX_CAPTURE_FPS:
        raise UploadProblem("the slow-motion frame rate is in frames per second, e.g. 120 or 240")
    return value


def _stride_page(request: Request, ctx: WebContext, status_code: int = 200, error: str | None = None) -> Response:
    sessions = gait_history(ctx.db, ctx.athlete_id)
    runs, notes = running_dynamics(ctx.db, ctx.athlete_id)
    return page(
        request,
        "stride.html",
        "stride",
        status_code=status_code,
        error=error,
        views=VIEWS,
        today=_today(ctx).isoformat(),
        suffixes=STRIDE_SUFFIXES,
        limits={"video_mb": MAX_VIDEO_BYTES >> 20, "data_mb": MAX_DATA_BYTES >> 20},
        history=_history_tables(sessions),
        latest=list(reversed(sessions))[:HISTORY_SESSIONS],
        runs=list(reversed(runs))[:DYNAMICS_RUNS],
        run_count=len(runs),
        notes=[(note, _note_when(note, runs)) for note in notes],
        capture_fps=_suggested_capture(request),
    )


def _suggested_capture(request: Request) -> str | None:
    """The frame rate a slow-motion result suggested (``/stride?capture_fps=240``), to fill in the form."""
    try:
        value = _capture_fps(request.query_params.get("capture_fps"))
    except UploadProblem:
        return None
    return None if value is None else f"{value:g}"


@router.get("/stride", response_class=HTMLResponse)
def stride_page(request: Request, ctx: Annotated[WebContext, Depends(context)]) -> Response:
    return _stride_page(request, ctx)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/stride", response_model=None)
async def stride_upload(request: Request, ctx: Annotated[WebContext, Depends(context)]) -> Response:
    """Take one file and start its analysis; answers with the job (JSON for scripts, a redirect for forms)."""
    try:
        files, fields = await read_upload_form(request, MAX_VIDEO_BYTES, 2)
        if len(files) != 1:
            raise UploadProblem("choose one video or keypoint file")
        view = fields.get("view", "auto")
        if view not in VIEWS:
            raise UploadProblem("view: choose rear, side or auto")
        try:
            recorded_on = date.fromisoformat(fields.get("recorded_on") or _today(ctx).isoformat())
        except ValueError:
            raise UploadProblem(f"'{fields.get('recorded_on')}' is not a date like 2026-03-01") from None
        capture_fps = _capture_fps(fields.get("capture_fps"))
        folder = Path(tempfile.mkdtemp(prefix="gluteguard-stride-"))
        videos = dict.fromkeys(VIDEO_SUFFIXES, MAX_VIDEO_BYTES)
        batch = await save_uploads(files, folder, suffixes=STRIDE_SUFFIXES, max_file=MAX_DATA_BYTES,
                                   max_total=MAX_VIDEO_BYTES, max_file_for=videos)  # fmt: skip
        if batch.refused:
            shutil.rmtree(folder, ignore_errors=True)
            raise UploadProblem(batch.refused[0].reason)
    except UploadProblem as exc:
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return _stride_page(request, ctx, 400, str(exc))
    upload = batch.saved[0]
    params = stride_params(view=None if view == "auto" else view, recorded_on=recorded_on, capture_fps=capture_fps)
    job_request = JobRequest(JobKind.STRIDE, ctx.athlete_id, upload.client_name, params,
                             (JobFile(upload.path, upload.client_name),))  # fmt: skip
    try:
        job = await run_in_threadpool(jobs_of(request).submit, job_request, cleanup=folder)
    except TooBusy as exc:  # the runner has removed the folder
        if _wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=429)
        return _stride_page(request, ctx, 429, str(exc))
    if _wants_json(request):
        links = {"status_url": f"/stride/jobs/{job.id}", "page_url": f"/stride/job/{job.id}"}
        return JSONResponse({**_job_json(job), **links}, status_code=202)
    return RedirectResponse(f"/stride/job/{job.id}", status_code=303)


@router.get("/stride/jobs/{job_id}")
def job_status(request: Request, job_id: str, ctx: Annotated[WebContext, Depends(context)]) -> JSONResponse:
    """The job's progress as JSON (polled by the job page)."""
    job = _job(request, ctx, job_id)
    if job is None:
        return JSONResponse({"detail": "no such analysis (finished ones are kept for two hours)"}, status_code=404)
    return JSONResponse({**_job_json(job), "report_url": f"/stride/report/{job.id}" if job.status == "done" else None})


@router.get("/stride/job/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, ctx: Annotated[WebContext, Depends(context)]) -> Response:
    """While running: a progress bar (and a refresh without JavaScript). Then: the findings, the report, Save."""
    job = _job(request, ctx, job_id)
    if job is None:
        return page(request, "stride_report.html", "stride", status_code=404, job=None, result=None)
    done = job.status == "done" and job.result is not None
    return page(
        request,
        "stride_report.html",
        "stride",
        job=job,
        running=job.running,
        saved_id=job.result.get("saved_id") if done else None,
        result=report_view(job.result) if done else None,
    )


@router.get("/stride/report/{job_id}", response_class=HTMLResponse)
def job_report(request: Request, job_id: str, ctx: Annotated[WebContext, Depends(context)]) -> Response:
    """The full offline report (plotly.js inside), shown in the job page's frame or on its own."""
    report = jobs_of(request).report(job_id, ctx.athlete_id) if _job(request, ctx, job_id) is not None else None
    if report is None:
        return HTMLResponse(
            "<!doctype html><title>not ready</title><p>No finished analysis with this id.</p>", status_code=404
        )
    return HTMLResponse(report)


@router.post("/stride/job/{job_id}/save", response_model=None)
def job_save(
    request: Request,
    job_id: str,
    ctx: Annotated[WebContext, Depends(context)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Keep the analysis (history, and the plan takes its cues from it); saving twice keeps it once."""
    verify_csrf(request, csrf_token)
    try:
        saved_id = jobs_of(request).keep_stride(job_id, ctx.athlete_id) if len(job_id) <= JOB_ID_MAX else None
    except NothingToSave as exc:
        return _stride_page(request, ctx, 409, str(exc))
    if saved_id is None:
        return _stride_page(request, ctx, 404, "that analysis is no longer here: upload the file again to save it")
    return RedirectResponse(f"/stride/job/{job_id}?saved={saved_id}", status_code=303)
