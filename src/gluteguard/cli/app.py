"""Entry point: global options, sub-commands, and one-line errors instead of tracebacks."""

from __future__ import annotations

from typing import Annotated

import typer

from gluteguard.cli import (
    activities,
    athlete,
    checkin,
    db,
    demo,
    gait,
    importing,
    load,
    plan,
    selftest,
    serve,
    sitting,
    status,
)
from gluteguard.cli.context import AppState, errors, shown
from gluteguard.services.activities import ActivityError
from gluteguard.services.athletes import ProfileError
from gluteguard.store.db import DatabaseError
from gluteguard.symptoms.model import DayOutOfRange

app = typer.Typer(
    name="gluteguard",
    help="Pace your running, listen to your hip, and get off your butt — gluteal tendinopathy care for runners.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main_options(
    ctx: typer.Context,
    db_url: Annotated[
        str | None,
        typer.Option("--db", envvar="GLUTEGUARD_DB", help="Database URL or SQLite file path."),
    ] = None,
    athlete_name: Annotated[str, typer.Option("--athlete", help="Which athlete (for coaches).")] = "me",
) -> None:
    ctx.obj = AppState(db_option=db_url, athlete_name=athlete_name)


app.add_typer(db.app, name="db")
app.add_typer(athlete.app, name="athlete")
app.add_typer(activities.app, name="activities")
app.command("import")(importing.import_command)
app.command("reprocess")(activities.reprocess_command)
app.command("demo")(demo.demo_command)
app.command("load")(load.load_command)
app.command("checkin")(checkin.checkin_command)
app.command("checkins")(checkin.checkins_command)
app.command("status")(status.status_command)
app.command("cleared")(status.cleared_command)
app.command("booked")(status.booked_command)
app.command("clearances")(status.clinician_history_command)
app.command("plan")(plan.plan_command)
app.command("today")(plan.today_command)
app.command("done")(plan.done_command)
app.command("skip")(plan.skip_command)
app.add_typer(selftest.app, name="selftest")
app.command("function-check")(selftest.function_check_command)
app.add_typer(gait.app, name="gait")
app.command("sitting")(sitting.sitting_command)
app.command("remind")(sitting.remind_command)
app.command("serve")(serve.serve_command)

KNOWN_ERRORS = (DatabaseError, ProfileError, ActivityError, DayOutOfRange)


def main() -> None:
    try:
        app()
    except KNOWN_ERRORS as exc:
        errors.print(f"[bold red]error:[/] {shown(str(exc))}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        errors.print("interrupted: each file already imported was committed on its own; run again to resume")
        raise SystemExit(130) from None
