"""``gluteguard gait``: stride analysis from a video or keypoints, its history, and the watch's running dynamics."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from gluteguard.cli.context import console, day_option, fail, print_json, state

if TYPE_CHECKING:
    from gluteguard.services.gait import StrideOptions, StrideResult

INPUT_HELP = (
    "A video (mp4/mov/avi, filmed from behind or from the side), a keypoint file (.csv as documented, a Sports2D/"
    "Pose2Sim .trc, an OpenPose JSON folder) or motion capture (.trc/.c3d markers, RBDS .txt)."
)

app = typer.Typer(help="Stride analysis (video, keypoints, motion capture) and running dynamics from the watch.")


def _date_option(name: str, value: str | None) -> date | None:
    return day_option(value, name)


def _fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


@app.command("dynamics")
def dynamics_command(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Only runs from this local date on (YYYY-MM-DD).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Running dynamics per run from your watch or strap (cadence, contact balance, vertical ratio, step length),
    left/right flags and trends — no video needed."""
    from gluteguard.services.gait import running_dynamics

    app_state = state(ctx)
    runs, notes = running_dynamics(app_state.db, app_state.athlete_id, since=_date_option("--since", since))
    if json_output:
        print_json({"runs": [run.as_dict() for run in runs], "notes": [note.__dict__ for note in notes]})
        return
    if not runs:
        console.print("No runs with running dynamics yet (a watch or strap that records them, imported as FIT).")
        return
    table = Table(title="Running dynamics (medians over the running part of each run)")
    for column in ("date", "activity", "cadence", "contact", "balance L/R", "vert. ratio", "step length"):
        table.add_column(column, justify="right" if column != "date" else "left")
    for run in runs:
        balance = run.stance_time_balance_pct
        table.add_row(
            run.day.isoformat(),
            str(run.activity_id),
            _fmt(run.cadence_spm, " spm"),
            _fmt(run.stance_time_ms, " ms"),
            "—" if balance is None else f"{balance:.1f} / {100 - balance:.1f}",
            _fmt(run.vertical_ratio_pct, " %", 1),
            _fmt(None if run.step_length_mm is None else run.step_length_mm / 1000, " m", 2),
        )
    console.print(table)
    for note in notes:
        style = "yellow" if note.severity == "watch" else None
        console.print(Text(f"[{note.severity}] {note.message}", style=style))
        console.print(Text(f"  source: {note.source}", style="dim"))


def _side_means(metric: dict | None) -> str:
    if not metric:
        return "—"
    sides = [(metric.get(side) or {}).get("mean") for side in ("left", "right")]
    return " / ".join("—" if v is None else f"{v:.1f}" for v in sides)


@app.command("history")
def history_command(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Saved stride analyses over time: each metric (left / right stance) per session, per camera view."""
    from gluteguard.services.gait import gait_history

    app_state = state(ctx)
    sessions = gait_history(app_state.db, app_state.athlete_id)
    if json_output:
        print_json(sessions)
        return
    if not sessions:
        console.print("No saved stride analyses yet: gluteguard gait analyze FILE --save")
        return
    for view in sorted({s["view"] for s in sessions}):
        shown = [s for s in sessions if s["view"] == view][-8:]  # the last eight fit a terminal
        table = Table(title=f"{view} view: mean left / right stance per session")
        table.add_column("metric")
        for s in shown:
            table.add_column(f"{s['recorded_on']}\n#{s['id']}", justify="right")
        table.add_row("cadence (steps/min)", *[_fmt(s["summary"].get("cadence_spm")) for s in shown])
        names = sorted({name for s in shown for name in s["summary"].get("metrics", {})})
        for name in names:
            table.add_row(name, *[_side_means(s["summary"].get("metrics", {}).get(name)) for s in shown])
        console.print(table)
        for s in shown:
            codes = ", ".join(f["code"] for f in s["findings"]) or "no finding"
            console.print(Text(f"#{s['id']} {s['recorded_on']} {s['source_name']}: {codes}"))


def _parse_crop(crop: str | None) -> tuple[float, float, float, float] | None:
    if not crop:
        return None
    try:
        values = tuple(float(v) for v in crop.split(","))
    except ValueError:
        raise fail(f"--crop: '{crop}' is not four fractions like 0,0.4,1,1") from None
    if len(values) != 4 or not (0 <= values[0] < values[2] <= 1 and 0 <= values[1] < values[3] <= 1):
        raise fail("--crop: give left,top,right,bottom as fractions of the frame (0–1), left < right, top < bottom")
    return values  # type: ignore[return-value]


def _run(ctx: typer.Context, path: Path, options: StrideOptions, quiet: bool) -> StrideResult:
    """The service's workflow behind a progress bar (videos), its one-line errors as the CLI's."""
    from gluteguard.gait.model import KeypointError
    from gluteguard.gait.pose import PoseBackendMissing
    from gluteguard.gait.pose.progress import FrameRateColumn
    from gluteguard.services.gait import analyze_stride

    app_state = state(ctx)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        FrameRateColumn(),  # "48 frames/s": how fast the pose model is getting through the clip
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    ) as progress:
        task = progress.add_task("finding the runner in each frame", total=None)
        try:
            return analyze_stride(
                app_state.db,
                app_state.athlete_id,
                path,
                options,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        except (KeypointError, PoseBackendMissing) as exc:
            raise fail(str(exc)) from None


def _slow_motion_line(timing: dict) -> str:
    return (
        f"slow motion: filmed at {timing['capture_fps']:g} frames/s ({timing['capture_fps_from']}), played at"
        f" {timing['playback_fps']:g}: every time here is in real seconds"
    )


def _print_people(result: StrideResult) -> None:
    """Several people in view: whom the analysis followed, and why."""
    analysed = (result.people or {}).get("person_analysed")
    if analysed is not None:
        console.print(Text(f"{analysed['message']}."))


def _print_not_running(result: StrideResult) -> None:
    """A clip with no running in it: what it looks like, and what to do; no metric, no verdict."""
    movement = result.analysis.movement
    message = movement.message if movement is not None else "no running found"
    console.print(Text(f"{result.analysis.source}: {message}.", style="bold"))
    _print_people(result)
    if movement is not None and movement.suggested_capture_fps is not None:
        console.print(Text(f"Run it again with --capture-fps {movement.suggested_capture_fps:g} (or the rate your phone"
                           " filmed at)."))  # fmt: skip
    else:
        console.print("Nothing was measured. Film 20–30 s of running, the whole body in view, from behind or the side.")


def _print_analysis(result: StrideResult) -> None:
    analysis = result.analysis
    if not analysis.running:
        _print_not_running(result)
        return
    cadence = analysis.cadence_spm
    console.print(Text(
        f"{analysis.source}: {analysis.view} view (sure to {analysis.view_confidence:.0%}), {analysis.fps:.0f} "
        f"frames/s, clean steps left {analysis.steps['left']} / right {analysis.steps['right']}, "
        f"cadence {'—' if cadence is None else f'{cadence:.0f} steps/min'}", style="bold"))  # fmt: skip
    if result.timing is not None:
        console.print(Text(_slow_motion_line(result.timing)))
    _print_people(result)
    from gluteguard.gait.repeatability import timing_notes

    for line in timing_notes(analysis.as_dict()):
        console.print(Text(line))
    for warning in analysis.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))
    table = Table()
    for column in ("metric", "left stance", "right stance", "unit", "notice a change of"):
        table.add_column(column)
    from gluteguard.reports.gait_report import change_text, side_text

    for name, metric in analysis.metrics.items():
        change = metric.smallest_change
        cells = []
        for side in ("left", "right"):
            s = metric.by_side.get(side)
            cells.append("—" if s is None else side_text(s.mean, s.sd, s.n, change))
        table.add_row(metric.label or name, *cells, metric.unit, change_text(change))
    console.print(table)
    for finding in analysis.findings:
        console.print(Text(f"• {finding.message}", style="bold"))
        if finding.cue:
            console.print(Text(f"  cue: {finding.cue}"))
        if finding.exercises:
            console.print(Text(f"  exercises: {', '.join(finding.exercises)}"))
        console.print(Text(f"  source: {finding.source}", style="dim"))
    if not analysis.findings:
        console.print("No finding in this clip.")


ANALYZE_HELP = (
    "Stride analysis: pelvic drop, hip adduction, step width and crossover from behind; overstride, knee and trunk"
    " angles from the side; cadence from both — with findings, cues and exercises, each with its source.\n\n"
    "How to film: on a treadmill or a flat, straight path, the phone still (tripod, shelf, a friend) at hip height,"
    " 3–5 m behind you or to your side, held sideways. Your whole body in the picture, feet included, for 20–30 s of"
    " easy running. Normal video, 60 frames/s if the phone offers it; for slow motion give --capture-fps.\n\n"
    "A clip without running in it (walking, jumping, standing) is refused: nothing is measured or saved."
)


@app.command("analyze", help=ANALYZE_HELP)
def analyze_command(
    ctx: typer.Context,
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help=INPUT_HELP)],
    view: Annotated[str | None, typer.Option(help="rear or side; detected from the keypoints when left out.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    report: Annotated[Path | None, typer.Option(help="Write an offline HTML report here.")] = None,
    save: Annotated[bool, typer.Option("--save", help="Keep the result: history, and the plan acts on it.")] = False,
    fps: Annotated[
        float | None, typer.Option(help="Frame rate, for keypoint files that do not say (OpenPose).")
    ] = None,
    capture_fps: Annotated[
        float | None,
        typer.Option(help="Slow motion: the frame rate it was filmed at (e.g. 240); times are then real seconds."),
    ] = None,
    model: Annotated[str, typer.Option(help="Pose model for videos: lite (fast), full or heavy.")] = "lite",
    crop: Annotated[str | None, typer.Option(help="Video: look only here, left,top,right,bottom in 0–1.")] = None,
    max_seconds: Annotated[float | None, typer.Option(help="Video: analyse only the first seconds.")] = None,
    recorded_on: Annotated[str | None, typer.Option("--date", help="Day it was filmed (default today).")] = None,
    keypoints: Annotated[
        Path | None, typer.Option(help="Also write the keypoints as CSV (re-analyse later without the pose model).")
    ] = None,
) -> None:
    """Stride analysis (the help text is ANALYZE_HELP)."""
    from gluteguard.services.gait import NothingToSave, StrideOptions, save_stride

    if view not in (None, "rear", "side"):
        raise fail("--view: use rear or side")
    if model not in ("lite", "full", "heavy"):
        raise fail("--model: use lite, full or heavy")
    if fps is not None and not 1 <= fps <= 1000:
        raise fail("--fps: give the frame rate in frames per second (1–1000)")
    if capture_fps is not None and not 1 <= capture_fps <= 10_000:
        raise fail("--capture-fps: give the frame rate it was filmed at, in frames per second (e.g. 120 or 240)")
    day = _date_option("--date", recorded_on)
    options = StrideOptions(view=view, fps=fps, capture_fps=capture_fps, model=model, crop=_parse_crop(crop),
                            max_seconds=max_seconds, recorded_on=day)  # fmt: skip
    # Saved only once the files asked for are written: a failed write leaves nothing half done.
    result = _run(ctx, input_path, options, json_output)
    from gluteguard.reports.files import write_atomic

    try:
        if report is not None:
            write_atomic(report, result.report_html().encode("utf-8"), "report")
        if keypoints is not None:
            from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text

            write_atomic(keypoints, keypoints_csv_text(result.series).encode("utf-8"), "keypoints")
    except OSError as exc:
        raise fail(str(exc)) from None
    not_saved: str | None = None
    if save:
        app_state = state(ctx)
        try:
            result = save_stride(app_state.db, app_state.athlete_id, result)
        except NothingToSave as exc:
            not_saved = str(exc)
    if json_output:
        out = result.as_dict(with_recorded_on=False)  # the --json contract has never carried the day
        if not_saved is not None:
            out["not_saved"] = not_saved
        print_json(out)
        if not_saved is not None:
            raise typer.Exit(1)
        return
    _print_analysis(result)
    if not_saved is not None:
        console.print(Text(not_saved, style="yellow"))
    for path, what in ((report, "report"), (keypoints, "keypoints")):
        if path is not None:
            console.print(Text(f"{what} written to {path}"))
    if result.saved_id is not None:
        console.print(Text(f"saved as analysis {result.saved_id}: the plan takes its cues from now on"))
    if not_saved is not None:
        raise typer.Exit(1)
