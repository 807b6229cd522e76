"""``gluteguard`` with no command: the first steps (profile, import with how to get an export, check-in, plan),
each ticked once done; on a machine with no database yet nothing is created to say so."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import typer
from rich.text import Text

from gluteguard.cli.context import console, state
from gluteguard.rules_data import rules_data


def _words() -> dict:
    return rules_data("gluteguard.cli", "first_steps.toml")


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1]
    return Path(path) if path and path != ":memory:" else None


def first_steps(ctx: typer.Context) -> None:
    """Print the setup steps for the chosen database and athlete; a database that does not exist stays so."""
    from gluteguard.services.athletes import find_athlete
    from gluteguard.services.onboarding import no_setup_yet, setup_progress
    from gluteguard.store.location import ENV_DB, resolve_database_url

    app_state = state(ctx)
    url = resolve_database_url(app_state.db_option)
    file = _sqlite_file(url)
    if file is not None and not file.exists():
        progress = no_setup_yet()
    else:
        progress = setup_progress(app_state.db, find_athlete(app_state.db, app_state.athlete_name))
    chosen = app_state.db_option
    db = f" --db {shlex.quote(chosen)}" if chosen and chosen != os.environ.get(ENV_DB) else ""
    words = _words()
    if progress.complete:
        console.print(Text(words["done_intro"].format(db=db)), soft_wrap=True)
        console.print(Text(words["all_commands"], style="dim"))
        return
    console.print(Text(words["intro"]))
    for number, step in enumerate(progress.steps, start=1):
        console.print()
        mark = f" ({words['done_mark']})" if step.done else ""
        console.print(Text(f"{number}. {step.title}{mark}", style="dim" if step.done else "bold"))
        if step.done:
            continue
        console.print(Text(f"   {step.what[0].upper()}{step.what[1:]}."))
        for line in words["how"].get(step.key, []):
            console.print(Text(f"   {line}"))
        for command in words["commands"][step.key]:
            console.print(Text(f"   {command.format(db=db)}", style="cyan"), soft_wrap=True)
    console.print()
    console.print(Text(words["browser"].format(db=db)), soft_wrap=True)
    console.print(Text(words["all_commands"], style="dim"))
