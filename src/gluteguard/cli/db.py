"""``gluteguard db``: schema migrations."""

from __future__ import annotations

import typer

from gluteguard.cli.context import console, state
from gluteguard.store.db import Database, current_revision, head_revision, resolve_database_url, upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Migrate the database to the newest schema (this also happens on every start)."""
    url = resolve_database_url(state(ctx).db_option)
    database = Database(url, migrate=False)
    before, after = upgrade(database.engine)
    if before == after:
        console.print(f"database is up to date (revision {after})")
    else:
        console.print(f"database upgraded from {before or 'empty'} to {after}")


@app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Show the database URL and its schema revision."""
    url = resolve_database_url(state(ctx).db_option)
    database = Database(url, migrate=False)
    console.print(f"url: {url}\nrevision: {current_revision(database.engine)} (newest: {head_revision()})")
