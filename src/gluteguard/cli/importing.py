"""``gluteguard import``: files, folders, zip/gz archives, Strava and Garmin exports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from gluteguard.cli.context import console, errors, fail, print_json, shown, state

if TYPE_CHECKING:
    from gluteguard.services.import_store import FileReport
    from gluteguard.services.importer import ImportSummary
    from gluteguard.store.db import Database


def _missing(path: Path) -> bool:
    try:
        return not path.exists()
    except OSError:
        return False  # there but not reachable (permissions): the import names the reason for it


def import_command(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Files, folders or archives to import.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
    workers: Annotated[int | None, typer.Option(help="Parser processes (default: every core).")] = None,
    fit_decoder: Annotated[
        str, typer.Option(help="auto (fitfast, falling back to fitdecode) or fitdecode (slow, tolerant).")
    ] = "auto",
    watch: Annotated[
        Path | None,
        typer.Option(
            "--watch",
            metavar="DIR",
            help="Keep watching this folder (a watch's GARMIN/Activity over USB, a synced folder) and import new"
            " activity files as they appear, once each. Stop with Ctrl+C.",
        ),
    ] = None,
    every: Annotated[float, typer.Option(help="With --watch: seconds between looks at the folder.", min=0.5)] = 5.0,
    install_service: Annotated[
        bool, typer.Option("--install-service", help="With --watch: keep watching in the background from login.")
    ] = False,
    remove_service: Annotated[
        bool, typer.Option("--remove-service", help="Stop and remove that background watch.")
    ] = False,
) -> None:
    """Import activities (FIT, GPX, TCX, .gz, .zip, Strava/Garmin exports) into the database."""
    if watch is not None or install_service or remove_service:
        from gluteguard.cli.watching import watch_command

        if paths:
            raise fail("give either files to import or --watch DIR, not both")
        watch_command(ctx, watch, every=every, json_output=json_output, install=install_service,
                      remove=remove_service, fit_decoder=fit_decoder)  # fmt: skip
        return
    if not paths:
        raise fail("nothing to import: give files, folders or archives, or --watch DIR to keep watching a folder")
    missing = [path for path in paths if _missing(path)]
    if missing and len(missing) == len(paths) and not json_output:
        # Nothing to import: one line naming the path and why, before any database is opened or created. (With
        # --json, or beside paths that exist, each missing path is a failed file in the summary as before.)
        raise fail(f"{', '.join(str(path) for path in missing)}: no such file or folder; nothing imported")
    # The parsers (numpy, fitdecode…) and the storing code are imported only when there is something to import.
    from gluteguard.ingest.fit import FIT_DECODERS
    from gluteguard.services.importer import import_paths

    if fit_decoder not in FIT_DECODERS:
        raise fail(f"--fit-decoder: use one of {', '.join(FIT_DECODERS)}")
    app_state = state(ctx)
    db, athlete_id = app_state.db, app_state.athlete_id
    show_progress = not json_output and console.is_terminal
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        disable=not show_progress,
        transient=True,
    ) as progress:
        task = progress.add_task("importing", total=None)

        def on_total(total: int) -> None:
            progress.update(task, total=total)

        def on_file(report: FileReport, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)
            if report.status == "failed":
                errors.print(
                    f"[red]failed[/] {shown(report.file)}: {shown(report.reason or '')}",
                    highlight=False,
                    soft_wrap=True,
                )
            elif report.status == "partial":
                errors.print(
                    f"[yellow]partial[/] {shown(report.file)}: {shown(report.reason or '')}",
                    highlight=False,
                    soft_wrap=True,
                )

        summary = import_paths(
            db, athlete_id, paths, workers=workers, on_file=on_file, on_total=on_total, fit_decoder=fit_decoder
        )
    if json_output:
        print_json(summary.as_json())
    else:
        _print_summary(summary)
        _print_what_came(db, athlete_id, summary)
    if summary.failed:
        raise typer.Exit(1)


def _print_what_came(db: Database, athlete_id: int, summary: ImportSummary) -> None:
    """The import in one sentence, as the web page says it: when, how many runs, how far, and what next."""
    from gluteguard.services.activities import imported_overview

    overview = imported_overview(db, athlete_id, summary.activity_ids)
    if not overview.activities:
        console.print("Nothing new imported.")
        return
    count = len(overview.activities)
    text = f"{count} activit{'y' if count == 1 else 'ies'} imported"
    if overview.first_day is not None and overview.last_day is not None:
        same = overview.first_day == overview.last_day
        text += (f", on {overview.first_day:%d %b %Y}" if same
                 else f", from {overview.first_day:%d %b %Y} to {overview.last_day:%d %b %Y}")  # fmt: skip
    if overview.runs:
        km = f"{overview.run_km:.0f}" if overview.run_km >= 10 else f"{overview.run_km:.1f}"
        text += f": {overview.runs} run{'s' if overview.runs != 1 else ''}, {km} km"
    console.print(Text(f"{text}. What it means for today: gluteguard today", style="bold"))


def _print_summary(summary: ImportSummary) -> None:
    data = summary.as_json()
    table = Table(title="Import summary")
    table.add_column("result")
    table.add_column("count", justify="right")
    table.add_row("activities imported", str(data["imported"]))
    table.add_row("possible duplicates (review: gluteguard activities --duplicates)", str(data["possible_duplicates"]))
    table.add_row("identical files skipped", str(data["skipped_identical"]))
    if data["imported_by_another_import"]:
        table.add_row(
            "  of them stored by another import running at the same time", str(data["imported_by_another_import"])
        )
    table.add_row("partial (damaged files, kept what was readable)", str(len(data["partial"])))
    table.add_row("failed", str(len(data["failed"])))
    if data["not_activities"]:
        table.add_row("files with no activity in them (settings, workouts…)", str(len(data["not_activities"])))
    if summary.ignored:
        table.add_row("other files ignored (not activities)", str(len(summary.ignored)))
    wearable = data["wearable"]
    if any(wearable.values()):
        table.add_row("wearable step samples added (gluteguard sitting)", str(wearable["steps"]))
        table.add_row("stand hours added", str(wearable["stand_hours"]))
        table.add_row("sedentary day totals added", str(wearable["sedentary_days"]))
    console.print(table)
    if summary.strava_profile is not None:
        console.print(summary.strava_profile.message, markup=False, highlight=False, soft_wrap=True)
