"""``gluteguard strava``: link your own Strava API application, sync new activities, see or end the link.

Linking needs an API application of your own (https://www.strava.com/settings/api, "Authorization Callback Domain"
set to ``localhost``): ``connect`` prints Strava's approval address, catches the redirect on a loopback port and
keeps the tokens in the database. Tokens and the application's secret are never printed.
"""

from __future__ import annotations

import os
import secrets
import threading
from datetime import date
from typing import Annotated
from urllib.parse import parse_qs, urlparse

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from gluteguard.cli.context import console, day_option, errors, fail, print_json, state

app = typer.Typer(help="Sync new activities from Strava (your own API application).", no_args_is_help=True)

SECRET_ENV = "GLUTEGUARD_STRAVA_CLIENT_SECRET"
CALLBACK_PATH = "/strava/callback"
WAIT_S = 300  # the runner has five minutes to approve on Strava's page


def _catch_redirect(port: int, state_token: str, timeout_s: float) -> dict[str, str]:
    """Serve one request on 127.0.0.1:``port`` at the callback path; its query (code, scope, state or error)."""
    from http.server import BaseHTTPRequestHandler, HTTPServer  # ~20 ms: only `strava connect` needs it

    caught: dict[str, str] = {}
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != CALLBACK_PATH:
                self.send_error(404)
                return
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            good = query.get("state") == state_token and ("code" in query or "error" in query)
            message = (
                "gluteguard has the link: you can close this tab and go back to the terminal."
                if good
                else "This page was not opened from gluteguard's link: start again from the terminal."
            )
            body = f"<!doctype html><title>gluteguard</title><p>{message}</p>".encode()
            self.send_response(200 if good else 400)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if good:
                caught.update(query)
                done.set()

        def log_message(self, *_args: object) -> None:  # the query holds the code: keep it out of the terminal
            return

    try:
        server = HTTPServer(("127.0.0.1", port), Handler)
    except OSError as error:
        reason = error.strerror or error
        raise fail(f"cannot listen on 127.0.0.1:{port} ({reason}): try --port with another number") from None
    server.timeout = 0.5
    try:
        waited = 0.0
        while not done.is_set() and waited < timeout_s:
            server.handle_request()
            waited += server.timeout
    finally:
        server.server_close()
    return caught


@app.command("connect")
def connect_command(
    ctx: typer.Context,
    client_id: Annotated[int, typer.Option(help="Your Strava API application's Client ID (strava.com/settings/api).")],
    client_secret: Annotated[
        str | None,
        typer.Option(help=f"Its Client Secret (default: ${SECRET_ENV}, else asked for without showing it)."),
    ] = None,
    port: Annotated[int, typer.Option(help="The loopback port Strava sends you back to.")] = 8765,
    code: Annotated[
        str | None,
        typer.Option(help="The code from the address Strava sent you to, when the browser ran on another machine."),
    ] = None,
    open_browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Open the page in a browser.")] = True,
) -> None:
    """Link gluteguard to your Strava account through your own API application."""
    from gluteguard.services.strava import StravaError, authorization_url, connect

    secret = client_secret or os.environ.get(SECRET_ENV) or typer.prompt("Client Secret", hide_input=True)
    app_state = state(ctx)
    redirect = f"http://localhost:{port}{CALLBACK_PATH}"
    scope = "read,activity:read_all,profile:read_all"
    if code is None:
        state_token = secrets.token_urlsafe(16)
        url = authorization_url(client_id, redirect, state_token)
        console.print("Approve gluteguard on Strava's page (it comes back here by itself):")
        console.print(Text(url), soft_wrap=True)
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        answer = _catch_redirect(port, state_token, WAIT_S)
        if not answer:
            raise fail(f"no answer from Strava within {WAIT_S // 60} minutes; run `gluteguard strava connect` again")
        if "error" in answer:
            raise fail(f"Strava did not link ({answer['error']}): you can try again any time")
        code, scope = answer["code"], answer.get("scope", "")
    try:
        status = connect(app_state.db, app_state.athlete_id, client_id, secret, code, scope)
    except StravaError as error:
        raise fail(str(error)) from None
    who = f" as {status.athlete}" if status.athlete else ""
    console.print(Text(f"Linked to Strava{who}. Bring in your activities with: gluteguard strava sync"))


@app.command("sync")
def sync_command(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="From this day (YYYY-MM-DD); default: since the newest activity synced.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
) -> None:
    """Bring in the activities new on Strava, with their streams, names, shoes and effort."""
    from gluteguard.services.strava import StravaError, sync

    from_day: date | None = day_option(since, "--since")
    app_state = state(ctx)
    quiet = json_output or not console.is_terminal
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, disable=quiet, transient=True) as progress:
        task = progress.add_task("Strava", total=None)

        def on_progress(done: int, total: int, what: str) -> None:
            progress.update(task, completed=done, total=total or None, description=what[:40])
            if what.startswith("Strava's rate limit"):
                errors.print(Text(what))

        try:
            summary = sync(app_state.db, app_state.athlete_id, since=from_day, on_progress=on_progress)
        except StravaError as error:
            raise fail(str(error)) from None
    data = summary.as_json()
    if json_output:
        print_json(data)
    else:
        line = f"{data['imported']} new from Strava ({data['listed']} listed, {data['already_synced']} already here"
        if data["possible_duplicates"]:
            line += f", {data['possible_duplicates']} possible duplicates to review: gluteguard activities --duplicates"
        console.print(Text(line + ")"))
        for gone in data["deleted_on_strava"]:
            console.print(Text(f"deleted on Strava before it could be fetched: {gone}", style="dim"))
        for failed in data["failed"]:
            errors.print(Text(f"failed {failed['activity']}: {failed['reason']}"))
    if data["failed"]:
        raise typer.Exit(1)


@app.command("status")
def status_command(
    ctx: typer.Context, json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Whether gluteguard is linked to Strava, as whom, and when it last synced."""
    from gluteguard.services.strava import strava_status

    status = strava_status(state(ctx).db, state(ctx).athlete_id)
    if json_output:
        print_json(status.as_json())
        return
    if not status.connected:
        console.print("Not linked to Strava. Link it with: gluteguard strava connect --client-id YOUR_CLIENT_ID")
        return
    newest = status.newest_synced_start.date().isoformat() if status.newest_synced_start else "nothing yet"
    console.print(Text(f"Linked to Strava as {status.athlete or 'your account'} (application {status.client_id});"
                       f" newest activity synced: {newest}."))  # fmt: skip


@app.command("disconnect")
def disconnect_command(ctx: typer.Context) -> None:
    """End the link: revoke it on Strava and forget the tokens (synced activities stay)."""
    from gluteguard.services.strava import disconnect

    app_state = state(ctx)
    if disconnect(app_state.db, app_state.athlete_id):
        console.print("Unlinked from Strava; the activities already synced stay.")
    else:
        console.print("Not linked to Strava: nothing to do.")
