"""Stride analysis by upload: a keypoint or motion-capture file is analysed within the request; a video (seconds
to minutes) runs as a background job whose progress the page polls. Each result can be saved (then the history
and the plan use it) and has an offline HTML report. Also the saved history and the watch's running dynamics.

Routes only parse and render: the upload is saved and checked by ``web.uploads``, the analysis is
``services.gait.analyze_stride``, and its ``result`` JSON is ``StrideResult.as_dict()`` (every key, ``recorded_on``
included)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from gluteguard.gait.inputs import VIDEO_SUFFIXES
from gluteguard.reports.gait_report import render_gait_report
from gluteguard.services.gait import gait_history, get_analysis, running_dynamics
from gluteguard.services.job_work import perform, stride_params
from gluteguard.services.jobs import JobFile, JobKind, JobRequest, JobView, TooBusy
from gluteguard.web import uploads
from gluteguard.web.api.common import (
    FIRST_DAY,
    LAST_DAY,
    MAX_ID,
    UPLOAD_ERRORS,
    Ctx,
    Day,
    api_router,
    check_declared_size,
    jsonable,
    whole_upload,
)
from gluteguard.web.deps import WebContext
from gluteguard.web.jobs import job_of, jobs_of
from gluteguard.web.schemas import JobOut

router = api_router("stride")

KEYPOINT_SUFFIXES = (".csv", ".trc", ".c3d", ".txt")
STRIDE_SUFFIXES = KEYPOINT_SUFFIXES + tuple(sorted(VIDEO_SUFFIXES))
# A phone clip of 10–30 s at 1080p/60 fps is 50–150 MB; 500 MB leaves room for 4K. Keypoint and marker files of
# a clip are a few MB; 50 MB covers long motion-capture trials.
MAX_VIDEO_BYTES = 500 * uploads.MB
MAX_KEYPOINT_BYTES = 50 * uploads.MB
SYNC_TIMEOUT_S = 120.0

async def _saved_upload(file: UploadFile, folder: Path, cap: int) -> Path:
    batch = await uploads.save_uploads([file], folder, suffixes=STRIDE_SUFFIXES, max_file=cap, max_total=cap)
    [saved] = whole_upload(batch)
    return saved.path


def _job_json(job: JobView) -> dict:
    out = job.as_json()
    out["report_url"] = f"/api/v1/stride/jobs/{job.id}/report" if job.status == "done" else None
    return out


@router.post(
    "/stride",
    responses={**UPLOAD_ERRORS, 202: {"model": JobOut, "description": "A video: the job to poll"}},
    response_model=JobOut,
    summary="Analyse a stride upload (keypoints: at once; video: a background job)",
)
async def post_stride(
    ctx: Ctx,
    request: Request,
    file: Annotated[UploadFile, File(description="A video, keypoint CSV/TRC, or motion-capture C3D/TRC/RBDS txt")],
    view: Annotated[str | None, Form(pattern="^(rear|side)$")] = None,
    fps: Annotated[float | None, Form(ge=1, le=1000)] = None,
    capture_fps: Annotated[
        float | None, Form(ge=1, le=10_000, description="Slow motion: the frame rate it was filmed at")
    ] = None,
    model: Annotated[str, Form(pattern="^(lite|full|heavy)$")] = "lite",
    max_seconds: Annotated[float | None, Form(gt=0, le=3600)] = None,
    recorded_on: Annotated[date | None, Form(ge=FIRST_DAY, le=LAST_DAY)] = None,
    save: Annotated[bool, Form()] = False,
    background: Annotated[bool, Form(description="Run a keypoint file as a job too")] = False,
) -> Any:
    check_declared_size(request, MAX_VIDEO_BYTES)
    label = uploads.client_base_name(file.filename)
    is_video = any(label.lower().endswith(s) for s in VIDEO_SUFFIXES)
    cap = MAX_VIDEO_BYTES if is_video else MAX_KEYPOINT_BYTES
    params = stride_params(view=view, fps=fps, capture_fps=capture_fps, model=model, max_seconds=max_seconds,
                           recorded_on=recorded_on, save=save)  # fmt: skip
    runner = jobs_of(request)
    if is_video or background:
        # The folder outlives the request: the runner removes it (once the analysis ends, or once the file is in
        # the shared server's database, or at once if refused).
        folder = Path(tempfile.mkdtemp(prefix="gluteguard-stride-"))
        try:
            path = await _saved_upload(file, folder, cap)
            job_request = JobRequest(JobKind.STRIDE, ctx.athlete_id, label, params, (JobFile(path, label),))
            job = await run_in_threadpool(partial(runner.submit, job_request, cleanup=folder))
        except TooBusy as exc:
            raise HTTPException(429, str(exc)) from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return JSONResponse(_job_json(job), status_code=202)
    with uploads.request_folder(prefix="gluteguard-stride-") as folder:
        files = [JobFile(await _saved_upload(file, folder, cap), label)]
        outcome = await run_in_threadpool(perform, ctx.db, JobKind.STRIDE, ctx.athlete_id, params, files,
                                          lambda done, total: None)  # fmt: skip
    job = await run_in_threadpool(runner.record_finished, JobRequest(JobKind.STRIDE, ctx.athlete_id, label, params),
                                  outcome)  # fmt: skip
    return _job_json(job)


def _job_or_404(request: Request, ctx: WebContext, job_id: str) -> JobView:
    job = job_of(request, ctx.athlete_id, job_id)
    if job is None:
        raise HTTPException(404, "no such analysis job (finished jobs are kept for two hours)")
    return job


@router.get("/stride/jobs/{job_id}", response_model=JobOut, summary="A job's status, progress 0–1, and result")
def get_job(request: Request, ctx: Ctx, job_id: str) -> dict:
    return _job_json(_job_or_404(request, ctx, job_id))


@router.get("/stride/jobs/{job_id}/report", response_class=HTMLResponse, summary="A finished job's HTML report")
def get_job_report(request: Request, ctx: Ctx, job_id: str) -> HTMLResponse:
    job = _job_or_404(request, ctx, job_id)
    report = jobs_of(request).report(job_id, ctx.athlete_id) if job.status == "done" else None
    if report is None:
        raise HTTPException(404, f"the analysis is {job.status}: no report" + (f" ({job.error})" if job.error else ""))
    return HTMLResponse(report)


@router.get("/stride/history", summary="Saved stride analyses, oldest first (gait history --json)")
def get_history(ctx: Ctx) -> list[dict]:
    return jsonable(gait_history(ctx.db, ctx.athlete_id))


@router.get("/stride/history/{analysis_id}/report", response_class=HTMLResponse, summary="A saved analysis's report")
def get_saved_report(ctx: Ctx, analysis_id: int) -> HTMLResponse:
    found = get_analysis(ctx.db, ctx.athlete_id, analysis_id) if 1 <= analysis_id <= MAX_ID else None
    if found is None:
        raise HTTPException(404, f"no saved analysis with id {analysis_id}")
    # Saved analyses keep the summary and findings, not the keypoints: the report has no key frames.
    analysis = {"steps_detail": [], **found["summary"], "findings": found["findings"]}
    return HTMLResponse(render_gait_report(analysis))


@router.get("/stride/dynamics", summary="Running dynamics per run from the watch, with notes")
def get_dynamics(ctx: Ctx, since: Day | None = None) -> dict:
    runs, notes = running_dynamics(ctx.db, ctx.athlete_id, since=since)
    return jsonable({"runs": [run.as_dict() for run in runs], "notes": [note.__dict__ for note in notes]})
