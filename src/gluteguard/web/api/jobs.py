"""Background jobs of any kind (a stride video, an import sent with ``background``, reprocessing): status, progress
and result, for the job's athlete only. The runner (this process or the shared server's workers) is the app's
(``web.api.stride.jobs_of``)."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gluteguard.services.jobs import JobKind, JobRequest, TooBusy
from gluteguard.web.api.common import Ctx, api_router
from gluteguard.web.jobs import job_of, jobs_of
from gluteguard.web.schemas import JobOut

router = api_router("jobs")


@router.get("/jobs/{job_id}", response_model=JobOut, summary="A background job's status, progress 0–1 and result")
def get_job(request: Request, ctx: Ctx, job_id: str) -> dict:
    job = job_of(request, ctx.athlete_id, job_id)
    if job is None:
        raise HTTPException(404, "no such job")
    out = job.as_json()
    done_stride = job.kind == JobKind.STRIDE and job.status == "done"
    out["report_url"] = f"/api/v1/stride/jobs/{job.id}/report" if done_stride else None
    return out


@router.post(
    "/jobs/reprocess",
    status_code=202,
    response_model=JobOut,
    summary="Re-derive every activity from its kept original, as a background job",
)
async def post_reprocess(request: Request, ctx: Ctx) -> JSONResponse:
    job_request = JobRequest(JobKind.REPROCESS, ctx.athlete_id, "Reprocess every activity")
    try:
        job = await run_in_threadpool(jobs_of(request).submit, job_request)
    except TooBusy as exc:
        raise HTTPException(429, str(exc)) from None
    return JSONResponse({**job.as_json(), "report_url": None}, status_code=202)
