"""Activities (the list, duplicates to review, one activity with its charts) and Import (upload files or exports).

Routes only orchestrate: listing, resolving and importing are the services' job; this module turns query strings
and uploads into their arguments and their answers into pages.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gluteguard.ingest.model import Sport, Streams
from gluteguard.services.activities import (
    ActivityError,
    ActivityRow,
    imported_overview,
    list_activities,
    load_streams,
    resolve_duplicate,
)
from gluteguard.services.import_store import FileReport
from gluteguard.services.importer import import_paths
from gluteguard.services.jobs import JobFile, JobKind, JobRequest, JobView, TooBusy
from gluteguard.web.deps import WebContext, context
from gluteguard.web.jobs import job_of, jobs_of
from gluteguard.web.pages.assets import plotly_version
from gluteguard.web.pages.render import page, parse_day
from gluteguard.web.security import verify_csrf
from gluteguard.web.uploads import SavedUploads, UploadProblem, read_upload_form, save_uploads

router = APIRouter()


IMPORT_SUFFIXES = (".fit", ".gpx", ".tcx", ".gz", ".zip", ".xml", ".json")
ARCHIVE_SUFFIXES = (".zip", ".xml")
# Upload caps. A single activity file is small: the largest real FIT files seen are a few MB and a 24-hour GPX is
# ~30 MB, so 64 MB per file leaves room without letting a mistaken upload fill the disk. An export (a Strava or
# Garmin zip, Apple Health's export.zip/.xml) grows with the years: most are well under 2 GB, and a zip is read
# whole into memory by the importer, so 2 GB per archive and 3 GB per request is what a browser upload takes;
# larger exports go through `gluteguard import`, which reads them where they lie without a copy.
MAX_FILE_BYTES = 64 << 20
MAX_ARCHIVE_BYTES = 2 << 30
MAX_TOTAL_BYTES = 3 << 30
MAX_FILES = 500  # files per upload (a selected folder of FIT files); an export is one zip
# A handful of plain files parse in a second in this process; a pool of worker processes only pays off (and is
# only started) for exports and larger batches.
SMALL_BATCH = 8
LIST_LIMIT = 200  # rows shown before "show all": the page stays quick with years of runs

STATUS_LABELS = {
    "imported": "imported",
    "possible_duplicate": "possible duplicate",
    "skipped_identical": "skipped (identical file already imported)",
    "partial": "partial",
    "not_activity": "not an activity",
    "failed": "failed",
}


# --- Activities ---------------------------------------------------------------------------------------------------


def _sport_choices(rows: list[ActivityRow]) -> list[str]:
    """The sports of the enum, then the sub-sports present (trail, treadmill…), for the filter."""
    subs = sorted({r.sub_sport for r in rows if r.sub_sport})
    return [s.value for s in Sport] + [s for s in subs if s not in {x.value for x in Sport}]


@router.get("/activities", response_class=HTMLResponse)
def activities_page(
    request: Request,
    ctx: Annotated[WebContext, Depends(context)],
    since: str = "",
    sport: str = "",
    duplicates: str = "",
    show: str = "",
    resolved: str = "",
) -> Response:
    """The list (newest first) with its filters, and the possible duplicates awaiting review."""
    since_date, error = parse_day(since)
    if error:
        error = error.replace("date:", "since:").replace("showing today", "showing every date")
    duplicates_only = duplicates in ("1", "on", "true")
    rows = list_activities(
        ctx.db, ctx.athlete_id, since=since_date, sport=sport or None, duplicates_only=duplicates_only
    )
    rows.reverse()  # newest first: the page is read from the top
    total = len(rows)
    shown = rows if show == "all" else rows[:LIST_LIMIT]
    review = list_activities(ctx.db, ctx.athlete_id, duplicates_only=True)
    everything = rows if not (since_date or sport or duplicates_only) else list_activities(ctx.db, ctx.athlete_id)
    by_id = {r.id: r for r in everything}
    return page(
        request,
        "activities.html",
        "activities",
        status_code=400 if error else 200,
        rows=shown,
        total=total,
        limited=len(shown) < total,
        review=review,
        originals={r.id: by_id.get(r.duplicate_of) for r in review},
        sports=_sport_choices(everything),
        filters={"since": since if since_date else "", "sport": sport, "duplicates": duplicates_only},
        error=error,
        resolved=resolved[:80],
    )


@router.post("/activities/{activity_id}/resolve", response_model=None)
def resolve_page(
    request: Request,
    activity_id: int,
    ctx: Annotated[WebContext, Depends(context)],
    decision: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Keep (both stay) or drop (delete this one) a possible duplicate, then back to the list."""
    verify_csrf(request, csrf_token)
    try:
        if not 0 < activity_id < 2**63:  # beyond any database's integer ids
            raise ActivityError(f"no activity with id {activity_id}")
        message = resolve_duplicate(ctx.db, ctx.athlete_id, activity_id, decision.lower())
    except ActivityError as exc:
        rows = list_activities(ctx.db, ctx.athlete_id, duplicates_only=True)
        return page(
            request,
            "activities.html",
            "activities",
            status_code=400,
            rows=rows,
            total=len(rows),
            limited=False,
            review=rows,
            originals={},
            sports=_sport_choices(rows),
            filters={"since": "", "sport": "", "duplicates": True},
            error=str(exc),
            resolved="",
        )
    return RedirectResponse(f"/activities?duplicates=1&resolved={message.replace(' ', '+')}", status_code=303)


def _clean(values: np.ndarray | None) -> np.ndarray | None:
    """A column as floats with non-finite and non-positive values removed (None when nothing is left)."""
    if values is None:
        return None
    out = np.asarray(values, dtype=float).copy()
    out[~np.isfinite(out)] = np.nan
    return out if np.isfinite(out).any() else None


def _smooth(values: np.ndarray, samples: int) -> np.ndarray:
    """A centred moving mean that skips gaps (NaN): GPS speed is jumpy second to second."""
    if samples <= 1:
        return values
    finite = np.isfinite(values)
    kernel = np.ones(samples)
    total = np.convolve(np.where(finite, values, 0.0), kernel, mode="same")
    count = np.convolve(finite.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


# (column, title, unit, scale, reversed axis): what a chart shows and how; running dynamics come last.
CHARTS = (
    ("pace", "Pace", "min/km", 1.0, True),
    ("heart_rate_bpm", "Heart rate", "bpm", 1.0, False),
    ("cadence_spm", "Cadence", "steps/min", 1.0, False),
    ("altitude_m", "Altitude", "m", 1.0, False),
    ("power_w", "Power", "W", 1.0, False),
    ("stance_time_ms", "Ground contact time", "ms", 1.0, False),
    ("stance_time_balance_pct", "Ground contact balance (left foot's share)", "%", 1.0, False),
    ("vertical_oscillation_mm", "Vertical oscillation", "cm", 0.1, False),
    ("vertical_ratio_pct", "Vertical ratio", "%", 1.0, False),
    ("step_length_mm", "Step length", "m", 0.001, False),
)
DYNAMICS = {
    "stance_time_ms",
    "stance_time_balance_pct",
    "vertical_oscillation_mm",
    "vertical_ratio_pct",
    "step_length_mm",
}
MAX_POINTS = 1500  # per chart: enough for the shape of a long run, light enough for a phone
SLOWEST_PACE_MPS = 1.0  # slower than 16:40 min/km is standing or walking: a gap in the pace line, not a spike


def _pace_column(streams: Streams, time_s: np.ndarray) -> np.ndarray | None:
    """Pace in min/km from the speed column, else from the distance; smoothed over ~10 s."""
    speed = _clean(streams.get("speed_mps"))
    if speed is None:
        distance = _clean(streams.get("distance_m"))
        if distance is None:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            speed = np.gradient(distance, time_s)
    step = float(np.nanmedian(np.diff(time_s))) if time_s.size > 1 else 1.0
    speed = _smooth(speed, max(1, round(10 / max(step, 0.1))))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(speed >= SLOWEST_PACE_MPS, 1000 / 60 / speed, np.nan)


def stream_charts(streams: Streams) -> list[dict]:
    """One small offline Plotly chart per recorded column: [{"key", "title", "html", "dynamics"}]."""
    time_s = _clean(streams.get("time_s"))
    if time_s is None or time_s.size < 2:
        return []
    import plotly.graph_objects as go  # seconds to import: only an activity page pays for it

    every = max(1, math.ceil(time_s.size / MAX_POINTS))
    minutes = (time_s - np.nanmin(time_s)) / 60
    charts = []
    for key, title, unit, scale, flip in CHARTS:
        values = _pace_column(streams, time_s) if key == "pace" else _clean(streams.get(key))
        if values is None or values.shape != time_s.shape:
            continue
        values = np.where(values > 0, values * scale, np.nan) if key != "altitude_m" else values
        if not np.isfinite(values).any():
            continue
        figure = go.Figure(
            go.Scatter(
                x=minutes[::every],
                y=values[::every],
                mode="lines",
                name=title,
                line={"width": 1.5, "color": "#1f5f99"},
                connectgaps=False,
                hovertemplate=f"%{{x:.1f}} min: %{{y:.{2 if scale < 1 else 1}f}} {unit}<extra></extra>",
            )
        )
        if key == "stance_time_balance_pct":
            figure.add_hline(y=50, line={"dash": "dot", "color": "#555"}, annotation_text="even (50 %)")
        figure.update_layout(
            height=240,
            margin={"l": 55, "r": 15, "t": 10, "b": 40},
            showlegend=False,
            xaxis_title="minutes from the start",
            yaxis_title=unit,
            yaxis={"autorange": "reversed" if flip else True},
        )
        body = figure.to_html(
            full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True}
        )
        charts.append({"key": key, "title": title, "html": body, "dynamics": key in DYNAMICS})
    return charts


def _find_row(ctx: WebContext, activity_id: int) -> ActivityRow | None:
    return next((r for r in list_activities(ctx.db, ctx.athlete_id) if r.id == activity_id), None)


@router.get("/activities/{activity_id}", response_class=HTMLResponse)
def activity_page(request: Request, activity_id: int, ctx: Annotated[WebContext, Depends(context)]) -> Response:
    """One activity: its summary, running dynamics medians with notes, and its streams as charts."""
    from gluteguard.gait.dynamics import run_notes, summarise_run

    row = _find_row(ctx, activity_id) if 0 < activity_id < 2**63 else None
    if row is None:
        return page(request, "activity.html", "activities", status_code=404, row=None, activity_id=activity_id)
    streams = load_streams(ctx.db, ctx.athlete_id, activity_id)
    day = datetime.fromisoformat(row.start_local).date()
    dynamics = summarise_run(activity_id, day, streams) if row.sport == "run" else None
    return page(
        request,
        "activity.html",
        "activities",
        row=row,
        activity_id=activity_id,
        samples=len(streams),
        charts=stream_charts(streams),
        dynamics=dynamics,
        notes=run_notes(dynamics) if dynamics else [],
        plotly_js=f"/assets/plotly.min.js?v={plotly_version()}",  # served offline by ``assets``
    )


# --- Import ---------------------------------------------------------------------------------------------------------


def _import_page(request: Request, status_code: int = 200, **extra: object) -> Response:
    limits = {
        "file_mb": MAX_FILE_BYTES >> 20,
        "archive_mb": MAX_ARCHIVE_BYTES >> 20,
        "total_mb": MAX_TOTAL_BYTES >> 20,
        "files": MAX_FILES,
    }
    return page(
        request,
        "import.html",
        "import",
        status_code=status_code,
        suffixes=IMPORT_SUFFIXES,
        limits=limits,
        **{"reports": None, "counts": None, "error": None, "overview": None, "refused": [], "import_job": None,
           **extra},
    )


def _import_page_for(request: Request, ctx: WebContext, status_code: int = 200, **extra: object) -> Response:
    """The Import page after an upload, the Strava card included."""
    from gluteguard.web.pages.strava import strava_card

    return _import_page(request, status_code, strava=strava_card(ctx), **extra)


def import_page_with(request: Request, status_code: int = 200, **extra: object) -> Response:
    """The Import page with what a caller adds (the Strava card after a sync, say)."""
    return _import_page(request, status_code, **extra)


@router.get("/import", response_class=HTMLResponse)
def import_form(
    request: Request,
    ctx: Annotated[WebContext, Depends(context)],
    strava: str = "",
    strava_job: str = "",
    import_job: str = "",
) -> Response:
    from gluteguard.web.pages.strava import MESSAGES, strava_card, sync_job

    job = sync_job(request, ctx, strava_job) if strava_job else None
    if strava_job and job is None:
        card = strava_card(ctx, error="That sync is no longer known here (finished ones are kept for two hours).")
    else:
        card = strava_card(ctx, job, message=MESSAGES.get(strava))
    extra: dict = {}
    if import_job:
        imported = job_of(request, ctx.athlete_id, import_job, JobKind.IMPORT)
        if imported is None:
            extra["error"] = "That import is no longer known here: upload the files again."
        elif imported.running:
            extra["import_job"] = imported
        else:
            extra.update(import_job_results(ctx, imported))
    return _import_page(request, strava=card, **extra)


def _report_row(report: FileReport) -> dict:
    return {
        "file": report.file,
        "status": report.status,
        "label": STATUS_LABELS.get(report.status, report.status),
        "reason": report.reason,
        "activity_ids": report.activity_ids,
        "duplicate_ids": report.duplicate_ids,
        "wearable": {k: v for k, v in report.wearable.items() if v},
    }


def _refused_rows(batch: SavedUploads) -> list[dict]:
    return [
        {"file": refusal.client_name, "status": "failed", "label": "refused", "reason": refusal.reason,
         "activity_ids": [], "duplicate_ids": [], "wearable": {}}
        for refusal in batch.refused
    ]  # fmt: skip


def import_job_results(ctx: WebContext, job: JobView) -> dict:
    """What the Import page shows of a finished import job (its JSON result): the rows, counts and overview an
    upload imported in the request would show, or its error."""
    if job.status != "done" or job.result is None:
        return {"error": f"The import stopped: {job.error}" if job.error else None}
    reports = [_report_row(FileReport(**row)) for row in job.result.get("results", [])]
    return {"reports": reports, "counts": job.result, "refused": [r for r in reports if r["status"] == "failed"],
            "overview": imported_overview(ctx.db, ctx.athlete_id, job.result.get("activity_ids", []))}  # fmt: skip


def _import_in_background(request: Request, ctx: WebContext, batch: SavedUploads, folder: Path) -> Response:
    """The shared server: the saved uploads go to the workers as one import job (the runner keeps the files in the
    database and removes ``folder``); the page follows the job and lists the files refused at upload."""
    saved = batch.saved
    label = saved[0].client_name if len(saved) == 1 else f"{len(saved)} files"
    job_request = JobRequest(JobKind.IMPORT, ctx.athlete_id, label,
                             files=tuple(JobFile(s.path, s.client_name) for s in saved))  # fmt: skip
    try:
        job = jobs_of(request).submit(job_request, cleanup=folder)
    except TooBusy as busy:
        return _import_page_for(request, ctx, 429, error=str(busy))
    refused = _refused_rows(batch)
    return _import_page_for(request, ctx, 202, import_job=job, refused=refused)


@router.post("/import", response_class=HTMLResponse)
async def import_upload(request: Request, ctx: Annotated[WebContext, Depends(context)]) -> Response:
    """Save the uploads into a temporary folder of this request, import them, show a row per file; the folder
    is removed whatever happens. On a shared server the import is a job for the workers (the page follows it)."""
    try:
        files, _ = await read_upload_form(request, MAX_TOTAL_BYTES, MAX_FILES)
    except UploadProblem as exc:
        return _import_page_for(request, ctx, 413, error=str(exc))
    if not files:
        return _import_page_for(request, ctx, 400, error="no file chosen: pick or drop activity files or an export zip")
    folder = Path(tempfile.mkdtemp(prefix="gluteguard-import-"))
    try:
        batch = await save_uploads(
            files,
            folder,
            suffixes=IMPORT_SUFFIXES,
            max_file=MAX_FILE_BYTES,
            max_total=MAX_TOTAL_BYTES,
            max_file_for=dict.fromkeys(ARCHIVE_SUFFIXES, MAX_ARCHIVE_BYTES),
        )
        if batch.over_total:
            return _import_page_for(
                request,
                ctx,
                413,
                error=f"more than {MAX_TOTAL_BYTES >> 20} MB in one upload; at most {MAX_TOTAL_BYTES >> 20}"
                " MB at a time: upload in parts or use gluteguard import",
            )
        saved = batch.saved
        if saved and getattr(request.app.state, "multi_user", False):
            return await run_in_threadpool(_import_in_background, request, ctx, batch, folder)
        reports: list[dict] = []
        counts = None
        overview = None
        if saved:
            small = len(saved) <= SMALL_BATCH and not any(s.path.suffix.lower() in ARCHIVE_SUFFIXES for s in saved)
            names = {s.path: s.client_name for s in saved}  # stored and shown: never the server's temporary copy
            summary = await run_in_threadpool(
                partial(
                    import_paths,
                    ctx.db,
                    ctx.athlete_id,
                    [s.path for s in saved],
                    workers=1 if small else None,
                    shown_as=names,
                )
            )
            reports = [_report_row(r) for r in summary.files]
            counts = summary.as_json()
            overview = imported_overview(ctx.db, ctx.athlete_id, summary.activity_ids)
        reports += _refused_rows(batch)
        status = 200 if saved else 400
        error = None if saved else "nothing was imported: " + "; ".join(refusal.reason for refusal in batch.refused)
        refused = [r for r in reports if r["status"] == "failed"]
        return _import_page_for(request, ctx, status, reports=reports, counts=counts, error=error, overview=overview,
                            refused=refused)  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
