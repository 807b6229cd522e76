"""``gluteguard serve``: the local web app (pages and the JSON API) on this machine."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.text import Text

from gluteguard.cli.context import errors, state


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to any interface


def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on; keep 127.0.0.1 unless you mean it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    db_url: Annotated[
        str | None, typer.Option("--db", help="Database URL or SQLite file path (default: the global --db).")
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            metavar="NAME",
            help="A host name the app may be reached by, besides localhost and IP addresses (repeatable).",
        ),
    ] = None,
    multi_user: Annotated[
        bool,
        typer.Option(
            "--multi-user",
            help="A shared server for a clinic or club: everyone logs in (see: gluteguard users); PostgreSQL only.",
        ),
    ] = False,
) -> None:
    """Run the local web app: Today, check-in, plan, load, stride, activities, sitting, profile — and /api/v1."""
    app_state = state(ctx)
    if not is_loopback(host) and not multi_user:
        errors.print(
            Text(
                f"warning: listening on {host}: the app has no login, so anyone who can reach this address on the "
                "network can see and change your health data. Use 127.0.0.1 unless you trust that network.",
                style="bold yellow",
            )
        )
    names = [*(allowed_host or []), host]  # a name given to listen on is a name the app is reached by
    run_server(db_url or app_state.db_option, host, port, athlete_name=app_state.athlete_name, allowed_hosts=names,
               multi_user=multi_user)  # fmt: skip


def run_server(
    db_url: str | None,
    host: str,
    port: int,
    *,
    athlete_name: str = "me",
    allowed_hosts: Sequence[str] = (),
    multi_user: bool = False,
) -> None:
    """Serve the app for ``db_url`` until Ctrl+C (also what ``gluteguard demo --serve`` ends with)."""
    # FastAPI and uvicorn take a moment to import: only serving pays for them.
    import uvicorn

    from gluteguard.web.app import ServerModeError, create_app

    try:
        app = create_app(db_url, athlete_name=athlete_name, allowed_hosts=allowed_hosts, multi_user=multi_user)
    except ServerModeError as exc:
        errors.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if multi_user:
        from gluteguard.services.accounts import has_accounts

        if not has_accounts(app.state.db):
            errors.print("no accounts yet: create the first with  gluteguard --db URL users add NAME --role admin")
    shown = f"[{host}]" if ":" in host else host
    errors.print(Text(f"gluteguard on http://{shown}:{port}/  (API: /api/v1/docs) — Ctrl+C stops"))
    uvicorn.run(app, host=host, port=port, log_level="warning")
