"""``gluteguard athlete``: the runner's profile."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from gluteguard.cli.context import console, fail, print_json, state
from gluteguard.services.athletes import EQUIPMENT, ProfileError, get_profile, update_profile

app = typer.Typer(help="The runner's profile.", no_args_is_help=True)


def _work_hours(value: str) -> tuple[str, str]:
    start, sep, end = value.partition("-")
    if not sep:
        raise ProfileError("work_hours: write it as 09:00-17:30")
    return start.strip(), end.strip()


@app.command("set")
def set_command(
    ctx: typer.Context,
    birth_year: Annotated[int | None, typer.Option(help="Year of birth.")] = None,
    sex: Annotated[str | None, typer.Option(help="female, male or other (sets heart-rate load constants).")] = None,
    weight_kg: Annotated[float | None, typer.Option(help="Body weight in kg.")] = None,
    max_hr: Annotated[int | None, typer.Option(help="Maximum heart rate (bpm).")] = None,
    resting_hr: Annotated[int | None, typer.Option(help="Resting heart rate (bpm).")] = None,
    units: Annotated[str | None, typer.Option(help="km or mi.")] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone, e.g. Europe/Berlin.")] = None,
    running_days: Annotated[str | None, typer.Option(help="Days you can run, e.g. mon,wed,fri,sun.")] = None,
    long_run_day: Annotated[str | None, typer.Option(help="Day for the long run, e.g. sun.")] = None,
    work_days: Annotated[str | None, typer.Option(help="Desk days, e.g. mon,tue,wed,thu,fri.")] = None,
    work_hours: Annotated[str | None, typer.Option(help="Desk hours, e.g. 09:00-17:30.")] = None,
    equipment: Annotated[str | None, typer.Option(help=f"Comma list from: {', '.join(EQUIPMENT)}.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the profile as JSON.")] = False,
) -> None:
    """Set profile fields; fields not given keep their value."""
    changes: dict = {
        key: value
        for key, value in {
            "birth_year": birth_year,
            "sex": sex.lower() if sex else None,
            "weight_kg": weight_kg,
            "max_hr": max_hr,
            "resting_hr": resting_hr,
            "units": units.lower() if units else None,
            "timezone": timezone,
            "running_days": running_days,
            "long_run_day": long_run_day,
            "work_days": work_days,
            "equipment": equipment,
        }.items()
        if value is not None
    }
    try:
        if work_hours is not None:
            changes["work_start"], changes["work_end"] = _work_hours(work_hours)
        app_state = state(ctx)
        profile = update_profile(app_state.db, app_state.athlete_id, changes)
    except ProfileError as exc:
        raise fail(str(exc)) from None
    _show(profile.as_dict(), json_output)


@app.command("show")
def show_command(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print the profile as JSON.")] = False,
) -> None:
    """Show the profile."""
    app_state = state(ctx)
    _show(get_profile(app_state.db, app_state.athlete_id).as_dict(), json_output)


def _show(profile: dict, as_json: bool) -> None:
    if as_json:
        print_json(profile)
        return
    table = Table(title="Athlete profile", show_header=False)
    for key, value in profile.items():
        shown = ", ".join(value) if isinstance(value, list) else ("—" if value is None else str(value))
        table.add_row(key.replace("_", " "), shown or "—")
    console.print(table)


@app.command("export")
def export_command(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="Where to write the zip, e.g. my-gluteguard.zip.")],
) -> None:
    """Everything about you in one zip: every imported file as it was, every record as JSON, the activity samples,
    and this week's plan."""
    from pathlib import Path

    from gluteguard.services.coach import week_plan
    from gluteguard.services.data_rights import write_export

    app_state = state(ctx)
    target = Path(path).expanduser()
    if target.is_dir():
        raise fail(f"{target}: is a folder; give a file name ending in .zip")
    if not target.parent.is_dir():
        raise fail(f"{target.parent}: no such folder")
    week = week_plan(app_state.db, app_state.athlete_id).as_dict()
    counts = write_export(app_state.db, app_state.athlete_id, target, week=week)
    console.print(f"Wrote {target}: {counts.get('originals', 0)} original files, {counts.get('activity', 0)} "
                  f"activities, {counts.get('checkin', 0)} check-ins, and every other record about you.")  # fmt: skip
