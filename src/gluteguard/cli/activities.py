"""``gluteguard activities`` and ``gluteguard reprocess``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from gluteguard.cli.context import console, day_option, fail, print_json, shown, state

app = typer.Typer(help="List activities and review possible duplicates.", invoke_without_command=True)


@app.callback()
def list_command(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    since: Annotated[str | None, typer.Option(help="Only from this local date on (YYYY-MM-DD).")] = None,
    sport: Annotated[
        str | None, typer.Option(help="run, walk, hike, ride, strength, other — or trail, treadmill…")
    ] = None,
    duplicates: Annotated[bool, typer.Option("--duplicates", help="Only possible duplicates awaiting review.")] = False,
) -> None:
    """List activities (oldest first)."""
    if ctx.invoked_subcommand is not None:
        return
    from gluteguard.services.activities import list_activities

    since_date = day_option(since, "--since")
    app_state = state(ctx)
    rows = list_activities(
        app_state.db, app_state.athlete_id, since=since_date, sport=sport, duplicates_only=duplicates
    )
    if json_output:
        print_json([row.as_dict() for row in rows])
        return
    if not rows:
        console.print("no activities" + (" awaiting duplicate review" if duplicates else ""))
        return
    table = Table(title="Possible duplicates" if duplicates else "Activities")
    for column in ("id", "start (local)", "sport", "km", "moving", "avg HR", "cadence", "file", "note"):
        table.add_column(column, overflow="fold")
    for row in rows:
        note = []
        if row.partial:
            note.append("partial")
        if row.duplicate_status == "possible":
            note.append(f"duplicate of {row.duplicate_of}?")
        moving = row.moving_time_s or row.elapsed_time_s
        table.add_row(
            str(row.id),
            row.start_local[:16].replace("T", " "),
            row.sport + (f"/{row.sub_sport}" if row.sub_sport else ""),
            f"{row.distance_m / 1000:.2f}" if row.distance_m is not None else "—",
            f"{int(moving // 3600)}:{int(moving % 3600 // 60):02d}:{int(moving % 60):02d}",
            f"{row.avg_hr:.0f}" if row.avg_hr else "—",
            f"{row.avg_cadence_spm:.0f}" if row.avg_cadence_spm else "—",
            shown((row.source_file or "").rsplit("/", 1)[-1]),
            ", ".join(note),
        )
    console.print(table)
    if duplicates:
        console.print("decide with: gluteguard activities resolve ID keep|drop")


@app.command("resolve")
def resolve_command(
    ctx: typer.Context,
    activity_id: Annotated[int, typer.Argument(help="The possible duplicate's id.")],
    decision: Annotated[str, typer.Argument(help="keep (both stay) or drop (delete this one).")],
) -> None:
    """Keep or drop an activity flagged as a possible duplicate."""
    from gluteguard.services.activities import ActivityError, resolve_duplicate

    if not 0 < activity_id < 2**63:  # beyond any database's integer ids (SQLite would overflow, not answer)
        raise fail(f"no activity with id {activity_id}")
    app_state = state(ctx)
    try:
        console.print(resolve_duplicate(app_state.db, app_state.athlete_id, activity_id, decision.lower()))
    except ActivityError as exc:
        raise fail(str(exc)) from None


def reprocess_command(ctx: typer.Context) -> None:
    """Re-derive every activity from its kept original file with the current parsers."""
    from gluteguard.services.activities import reprocess

    app_state = state(ctx)
    counts = reprocess(app_state.db, app_state.athlete_id)
    console.print(
        f"reprocessed {counts['files']} files into {counts['activities']} activities"
        + (f"; {counts['failed']} files could not be parsed now and were left as they were" if counts["failed"] else "")
    )
