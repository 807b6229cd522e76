"""Import by upload: one or more activity or wearable files (FIT, GPX, TCX, gz, zip, Apple/Fitbit exports) →
the importer → the summary ``import --json`` prints, with a result per file."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gluteguard.services.import_pool import default_workers
from gluteguard.services.importer import import_paths
from gluteguard.services.jobs import JobFile, JobKind, JobRequest, TooBusy
from gluteguard.web import uploads
from gluteguard.web.api.common import UPLOAD_ERRORS, Ctx, api_router, check_declared_size, whole_upload
from gluteguard.web.deps import WebContext
from gluteguard.web.schemas import ImportOut, JobOut

router = api_router("import")

IMPORT_SUFFIXES = (".fit", ".gpx", ".tcx", ".gz", ".zip", ".xml", ".json")
# Caps: an Apple Health export.zip of years of data is a few hundred MB (the import benchmark streams 500 MB), so a
# file may be 1 GB; together 2 GB; and at most 1000 files in one request (a folder of FIT files). Bigger archives
# are still importable from the CLI, which reads them in place instead of copying them to a temporary folder.
MAX_FILE_BYTES = 1024 * uploads.MB
MAX_TOTAL_BYTES = 2048 * uploads.MB
MAX_FILES = 1000


@router.post(
    "/import",
    response_model=ImportOut,
    responses={**UPLOAD_ERRORS, 202: {"model": JobOut, "description": "With background: the job to poll"}},
    summary="Import uploaded files (an export in the background: a job to poll at /api/v1/jobs/{id})",
)
async def post_import(
    ctx: Ctx,
    request: Request,
    files: Annotated[list[UploadFile], File(description="Activity or wearable files")],
    background: Annotated[bool, Form(description="Import as a background job (big exports)")] = False,
) -> Any:
    check_declared_size(request, MAX_TOTAL_BYTES)
    if not files:
        raise HTTPException(422, "files: give at least one file")
    if len(files) > MAX_FILES:
        raise HTTPException(413, f"at most {MAX_FILES} files in one upload")
    if background:
        return await _import_job(ctx, request, files)
    with uploads.request_folder() as folder:
        batch = await uploads.save_uploads(
            files, folder, suffixes=IMPORT_SUFFIXES, max_file=MAX_FILE_BYTES, max_total=MAX_TOTAL_BYTES
        )
        saved = whole_upload(batch)
        paths = [item.path for item in saved]
        # Parsing uses worker processes for many files; one or two are quicker in this process.
        workers = 1 if len(paths) <= 2 else min(len(paths), default_workers())
        names = {item.path: item.client_name for item in saved}  # stored and shown: never the server's copy
        summary = await run_in_threadpool(
            partial(import_paths, ctx.db, ctx.athlete_id, paths, workers=workers, shown_as=names)
        )
    result = summary.as_json()
    result["results"] = [asdict(report) for report in summary.files]
    return result


async def _import_job(ctx: WebContext, request: Request, files: list[UploadFile]) -> JSONResponse:
    """The uploads saved into a folder that outlives the request, then handed to the app's job runner."""
    from gluteguard.web.jobs import jobs_of

    folder = Path(tempfile.mkdtemp(prefix="gluteguard-import-"))
    try:
        batch = await uploads.save_uploads(
            files, folder, suffixes=IMPORT_SUFFIXES, max_file=MAX_FILE_BYTES, max_total=MAX_TOTAL_BYTES
        )
        saved = whole_upload(batch)
        label = saved[0].client_name if len(saved) == 1 else f"{len(saved)} files"
        job_request = JobRequest(JobKind.IMPORT, ctx.athlete_id, label,
                                 files=tuple(JobFile(item.path, item.client_name) for item in saved))  # fmt: skip
        job = await run_in_threadpool(partial(jobs_of(request).submit, job_request, cleanup=folder))
    except TooBusy as exc:
        raise HTTPException(429, str(exc)) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return JSONResponse({**job.as_json(), "report_url": None}, status_code=202)
