"""Entry point: global options, sub-commands, and one-line errors instead of tracebacks.

Every command pays for what this module imports, ``--help`` included: the command modules import only Typer,
Rich and the standard library at the top, and the services (SQLAlchemy, numpy, the engines) inside the command
that uses them. ``tests/test_cli_fast.py`` keeps the heavy libraries out; ``benchmarks/cli_startup.py`` times it.
"""

from __future__ import annotations

import gc
import sys
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
    start,
    status,
    strava,
    users,
    worker,
)
from gluteguard.cli.context import FREEZE_AT_OPEN, AppState, before_command, errors, keep_after_command, shown

app = typer.Typer(
    name="gluteguard",
    help="Pace your running, listen to your hip, and get off your butt — gluteal tendinopathy care for runners.",
    no_args_is_help=False,  # no command: the first steps (cli/start.py), and where --help is
    pretty_exceptions_enable=False,
    add_completion=False,
    # Click's plain help: it wraps long option names and choices at 80 columns, where Rich's panels cut them
    # ("--wakes-lying-on-s…"); every subcommand inherits it.
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
def main_options(
    ctx: typer.Context,
    db_url: Annotated[
        str | None,
        typer.Option("--db", envvar="GLUTEGUARD_DB", help="Database URL or SQLite file path."),
    ] = None,
    athlete_name: Annotated[str, typer.Option("--athlete", help="Which athlete (for coaches).")] = "me",
) -> None:
    ctx.obj = AppState(db_option=db_url, athlete_name=athlete_name)
    ctx.call_on_close(lambda: keep_after_command(ctx.obj, ctx.invoked_subcommand))
    if FREEZE_AT_OPEN["on"]:
        before_command(ctx.invoked_subcommand)
    if ctx.invoked_subcommand is None:
        start.first_steps(ctx)


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
app.add_typer(users.app, name="users")
app.add_typer(strava.app, name="strava")
app.command("worker")(worker.worker_command)

# Errors that are one line for the user, named by module so that catching them imports nothing.
KNOWN_ERRORS = (
    ("gluteguard.store.db", "DatabaseError"),
    ("gluteguard.services.athletes", "ProfileError"),
    ("gluteguard.services.activities", "ActivityError"),
    ("gluteguard.symptoms.model", "DayOutOfRange"),
    ("gluteguard.accounts.policy", "AccountError"),
)


def known_error(exc: BaseException) -> bool:
    """Whether ``exc`` is one of ``KNOWN_ERRORS``; a module never imported cannot have raised its error."""
    for module_name, class_name in KNOWN_ERRORS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(exc, getattr(module, class_name)):
            return True
    return False


def main() -> None:
    FREEZE_AT_OPEN["on"] = True  # this process runs one command and ends (cli/context.py)
    gc.disable()  # for start-up only: on again before the command or once it opened the database (cli/context.py)
    try:
        app()
    except Exception as exc:
        if not known_error(exc):
            raise
        errors.print(f"[bold red]error:[/] {shown(str(exc))}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        errors.print("interrupted: each file already imported was committed on its own; run again to resume")
        raise SystemExit(130) from None
