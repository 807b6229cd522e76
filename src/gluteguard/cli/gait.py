"""``gluteguard gait``: stride analysis from a video or keypoints, its history, and the watch's running dynamics."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from gluteguard.cli.context import console, fail, print_json, state
from gluteguard.services.gait import gait_history, running_dynamics

app = typer.Typer(help="Stride analysis (video, keypoints, motion capture) and running dynamics from the watch.")


def _date_option(name: str, value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise fail(f"{name}: '{value}' is not a date like 2026-03-01") from None


def _fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


@app.command("dynamics")
def dynamics_command(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Only runs from this local date on (YYYY-MM-DD).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Running dynamics per run from your watch or strap (cadence, contact balance, vertical ratio, step length),
    left/right flags and trends — no video needed."""
    app_state = state(ctx)
    runs, notes = running_dynamics(app_state.db, app_state.athlete_id, since=_date_option("--since", since))
    if json_output:
        print_json({"runs": [run.as_dict() for run in runs], "notes": [note.__dict__ for note in notes]})
        return
    if not runs:
        console.print("No runs with running dynamics yet (a watch or strap that records them, imported as FIT).")
        return
    table = Table(title="Running dynamics (medians over the running part of each run)")
    for column in ("date", "activity", "cadence", "contact", "balance L/R", "vert. ratio", "step length"):
        table.add_column(column, justify="right" if column != "date" else "left")
    for run in runs:
        balance = run.stance_time_balance_pct
        table.add_row(
            run.day.isoformat(),
            str(run.activity_id),
            _fmt(run.cadence_spm, " spm"),
            _fmt(run.stance_time_ms, " ms"),
            "—" if balance is None else f"{balance:.1f} / {100 - balance:.1f}",
            _fmt(run.vertical_ratio_pct, " %", 1),
            _fmt(None if run.step_length_mm is None else run.step_length_mm / 1000, " m", 2),
        )
    console.print(table)
    for note in notes:
        style = "yellow" if note.severity == "watch" else None
        console.print(Text(f"[{note.severity}] {note.message}", style=style))
        console.print(Text(f"  source: {note.source}", style="dim"))


@app.command("history")
def history_command(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Saved stride analyses over time: how each metric moved between sessions."""
    app_state = state(ctx)
    sessions = gait_history(app_state.db, app_state.athlete_id)
    if json_output:
        print_json(sessions)
        return
    if not sessions:
        console.print("No saved stride analyses yet: gluteguard gait analyze FILE --save")
        return
    names = sorted({name for s in sessions for name in s["summary"].get("metrics", {})})
    table = Table(title="Stride analyses (mean left / right)")
    for column in ("date", "view", "source", "cadence", *names, "findings"):
        table.add_column(column)
    for s in sessions:
        metrics = s["summary"].get("metrics", {})
        cells = []
        for name in names:
            metric = metrics.get(name) or {}
            sides = [metric.get(side, {}).get("mean") for side in ("left", "right")]
            cells.append(" / ".join("—" if v is None else f"{v:.1f}" for v in sides) if metric else "—")
        cadence = s["summary"].get("cadence_spm")
        table.add_row(s["recorded_on"], s["view"], s["source_name"], _fmt(cadence), *cells,
                      ", ".join(f["code"] for f in s["findings"]) or "none")  # fmt: skip
    console.print(table)
