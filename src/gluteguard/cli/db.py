"""``gluteguard db``: schema migrations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from gluteguard.cli.context import console, fail, state

if TYPE_CHECKING:
    from gluteguard.store.db import Database

app = typer.Typer(help="Database schema.", no_args_is_help=True)

T = TypeVar("T")


def shown_url(url: str) -> str:
    """The URL with any password masked, for printing."""
    from sqlalchemy.engine import make_url  # SQLAlchemy only for the commands that open a database

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _on_database(ctx: typer.Context, action: Callable[[Database], T]) -> tuple[str, T]:
    """Run ``action`` on the chosen database; a database that cannot be reached is one error line."""
    from gluteguard.store.db import Database
    from gluteguard.store.location import resolve_database_url

    url = resolve_database_url(state(ctx).db_option)
    try:
        database = Database(url, migrate=False)
        try:
            return url, action(database)
        finally:
            database.dispose()
    except Exception as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        raise fail(f"cannot open database {shown_url(url)}: {type(exc).__name__}: {first_line}") from None


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Migrate the database to the newest schema (this also happens on every start)."""
    from gluteguard.store.db import upgrade

    _, (before, after) = _on_database(ctx, lambda database: upgrade(database.engine))
    if before == after:
        console.print(f"database is up to date (revision {after})", soft_wrap=True, markup=False)
    else:
        console.print(f"database upgraded from {before or 'empty'} to {after}", soft_wrap=True, markup=False)


@app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Show the database URL and its schema revision."""
    from gluteguard.store.db import current_revision, head_revision

    url, revision = _on_database(ctx, lambda database: current_revision(database.engine))
    console.print(
        f"url: {shown_url(url)}\nrevision: {revision} (newest: {head_revision()})",
        soft_wrap=True,
        markup=False,
        highlight=False,
    )
