"""``gluteguard demo``: a fresh demo database for a sample runner, built through the real import."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated

import platformdirs
import typer
from rich.text import Text

from gluteguard.cli.context import AppState, console, fail, state
from gluteguard.cli.load import print_history, print_state, print_warnings
from gluteguard.symptoms.triage import action_message
from gluteguard.wording import plain


def default_demo_db() -> Path:
    return Path(platformdirs.user_data_dir("gluteguard", appauthor=False)) / "demo.sqlite"


def demo_command(
    ctx: typer.Context,
    workers: Annotated[int | None, typer.Option(help="Parser processes (default: every core).")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then open the web app on the demo runner.")] = False,
    port: Annotated[int, typer.Option(help="With --serve: the port.", min=1, max=65535)] = 8000,
) -> None:
    """Build a fresh demo database (a sample runner, 16 weeks of FIT files) and show what it holds.

    Uses --db/GLUTEGUARD_DB when given (a SQLite file there is replaced), else a demo file of its own,
    so your real history is never touched.
    """
    # The demo builder pulls in the importers, the engines and the gait code: only this command pays for them.
    from gluteguard.services.demo import build_demo
    from gluteguard.store.db import Database
    from gluteguard.store.location import resolve_database_url

    app_state: AppState = state(ctx)
    url = resolve_database_url(app_state.db_option) if app_state.db_option else f"sqlite:///{default_demo_db()}"
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif not url.startswith("sqlite"):
        raise fail("the demo builds a fresh SQLite database; point --db at a file path, not a server")
    db = Database(url)
    report = build_demo(db, workers=workers)
    summary = report.summary.as_json()
    console.print(f"[bold]Demo runner[/] — database: {url}")
    console.print(
        f"{report.files} FIT files imported → {summary['imported']} activities "
        f"({len(summary['failed'])} failed, {summary['possible_duplicates']} possible duplicates)"
    )
    console.print(f"{report.runs} runs, {report.run_km:.1f} km in total; longest run {report.longest_run_km:.1f} km")
    print_history(report.history)
    for spike_state in report.spike_states:
        console.print(Text(f"\nOn {spike_state.date}, gluteguard said:", style="bold"))
        print_warnings(spike_state)
    for status_report in report.statuses:
        if status_report is None:
            continue
        console.print(
            Text(f"\nSymptom status on {status_report.date.isoformat()}: ", style="bold")
            + Text(status_report.status)
            + Text("" if status_report.action == "self_manage" else f": {action_message(status_report.action)}")
        )
        for reason in status_report.reasons[:3]:
            console.print(Text(f"  • {plain(reason.message)}"))
    if report.phases:
        console.print(Text("\nThe plan's phase around the spike:", style="bold"))
        console.print(Text("  " + " → ".join(f"{day[5:]} {phase}" for day, phase in report.phases)))
    if report.stride is not None:
        stride = report.stride
        metric = stride.analysis.metrics.get("pelvic_drop_deg")
        drop = {side: summary.mean for side, summary in metric.by_side.items()} if metric else {}
        console.print(Text(f"\nStride analysis on {stride.recorded_on.isoformat()} ({stride.source}):", style="bold"))
        console.print(Text(
            f"  pelvic drop {drop.get('left', float('nan')):.1f}° standing on the left foot, "
            f"{drop.get('right', float('nan')):.1f}° standing on the right; "
            f"cadence {stride.analysis.cadence_spm:.0f} steps/min"))  # fmt: skip
        for finding in stride.findings:
            console.print(Text(f"  • {finding.message}"))
            if finding.cue:
                console.print(Text(f"    cue for the plan's runs: {finding.cue}"))
    if report.sitting:
        console.print(Text("\nSitting in work hours, from her watch's all-day monitoring:", style="bold"))
        for day in report.sitting:
            line = (f"  {day.date:%a %d %b}: {day.sitting_min} min sitting, longest spell {day.longest_bout_min} min, "
                    f"{day.breaks} breaks, {day.active_hours} active hours")  # fmt: skip
            console.print(Text(line))
    if report.today is not None:
        console.print()
        print_state(report.today.state, report.today.decision)
    program = shutil.which("gluteguard") or sys.argv[0]  # the venv's script when it is not on PATH
    database = url.removeprefix("sqlite:///")
    for command in (
        "activities",
        "load --history",
        "status",
        "checkins",
        "plan",
        "today",
        "sitting --history",
        "gait history",
        "gait dynamics",
    ):
        console.print(Text(f"explore it: {program} --db {database} {command}"))
    if serve:
        from gluteguard.cli.serve import run_server

        run_server(url, "127.0.0.1", port, athlete_name=app_state.athlete_name)
