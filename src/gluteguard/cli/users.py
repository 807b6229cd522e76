"""``gluteguard users``: accounts on a shared server (``serve --multi-user``), managed by whoever runs the server.

Passwords are typed at a hidden prompt or read from standard input (``--password-stdin``), never taken as an
argument: arguments show in the process list and the shell's history.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from gluteguard.cli.context import console, errors, fail, print_json, shown, state

app = typer.Typer(help="Accounts on a shared server (athletes, coaches/physios, admins).", no_args_is_help=True)

ROLE_WORDS = {"athlete": "athlete", "clinician": "coach/physio", "admin": "admin"}


def _password(from_stdin: bool, prompt: str = "Password") -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _sqlite_note(ctx: typer.Context) -> None:
    if state(ctx).db.url.startswith("sqlite"):
        errors.print("note: accounts are used by 'gluteguard serve --multi-user', which needs a PostgreSQL database")


@app.command("add")
def add_command(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The name to log in with (lower case; an e-mail works).")],
    role: Annotated[str, typer.Option(help="athlete, clinician (a coach or physio) or admin.")] = "athlete",
    name: Annotated[str | None, typer.Option(help="The name others see, e.g. 'Anna Berg'.")] = None,
    timezone: Annotated[str | None, typer.Option(help="An athlete's IANA time zone, e.g. Europe/Berlin.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the account as JSON.")] = False,
) -> None:
    """Create an account (an athlete gets an empty history of their own)."""
    from gluteguard.accounts.policy import AccountError
    from gluteguard.services.accounts import create_user

    try:
        user = create_user(state(ctx).db, username, _password(password_stdin), role.strip().lower(),
                           display_name=name, timezone=timezone)  # fmt: skip
    except AccountError as exc:
        raise fail(str(exc)) from None
    if json_output:
        print_json(user.as_json())
        return
    who = f"[bold]{shown(user.username)}[/] ({shown(user.display_name)})"
    console.print(f"Created {ROLE_WORDS[user.role]} account {who}.")
    _sqlite_note(ctx)


@app.command("list")
def list_command(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print the accounts as JSON.")] = False,
) -> None:
    """Every account: role, state and last login."""
    from gluteguard.services.accounts import list_users

    users = list_users(state(ctx).db)
    if json_output:
        print_json([user.as_json() for user in users])
        return
    if not users:
        console.print("No accounts yet. Create the first admin: gluteguard users add NAME --role admin")
        return
    table = Table("user name", "name", "role", "state", "last login")
    for user in users:
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at else "never"
        table.add_row(shown(user.username), shown(user.display_name), ROLE_WORDS[user.role],
                      "disabled" if user.disabled else "active", last)  # fmt: skip
    console.print(table)


def _set_disabled(ctx: typer.Context, username: str, disabled: bool) -> None:
    from gluteguard.accounts.policy import AccountError
    from gluteguard.services.accounts import set_disabled

    try:
        user = set_disabled(state(ctx).db, username, disabled)
    except AccountError as exc:
        raise fail(str(exc)) from None
    if disabled:
        console.print(f"Disabled {shown(user.username)}: their sessions have ended and logging in is refused.")
    else:
        console.print(f"Enabled {shown(user.username)}: they can log in again.")


@app.command("disable")
def disable_command(ctx: typer.Context, username: Annotated[str, typer.Argument(help="The account.")]) -> None:
    """Stop an account: every session ends now, and logging in is refused (its data stays)."""
    _set_disabled(ctx, username, True)


@app.command("enable")
def enable_command(ctx: typer.Context, username: Annotated[str, typer.Argument(help="The account.")]) -> None:
    """Let a disabled account log in again."""
    _set_disabled(ctx, username, False)


@app.command("reset-password")
def reset_password_command(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The account.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Set a new password for an account; every session it had ends."""
    from gluteguard.accounts.policy import AccountError
    from gluteguard.services.accounts import reset_password

    try:
        user = reset_password(state(ctx).db, username, _password(password_stdin, "New password"))
    except AccountError as exc:
        raise fail(str(exc)) from None
    console.print(f"New password set for {shown(user.username)}; their other sessions have ended.")
