"""``gluteguard load``: the training-load state of a day, or the weekly history with a chart."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from gluteguard.cli.context import console, day_option, fail, print_json, state
from gluteguard.wording import cited

if TYPE_CHECKING:
    from gluteguard.coach.decision import DayDecision
    from gluteguard.load.metrics import LoadState

SEVERITY_STYLE = {"info": "cyan", "caution": "yellow", "warning": "dark_orange", "high": "bold red"}


def load_command(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--date", help="Local day (YYYY-MM-DD); default today.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    history: Annotated[bool, typer.Option("--history", help="Weekly history instead of one day.")] = False,
    weeks: Annotated[int, typer.Option(help="Weeks of history.", min=1, max=1000)] = 16,
    chart: Annotated[Path | None, typer.Option(help="With --history: write an offline HTML chart here.")] = None,
) -> None:
    """How much you have run, whether the last run was a spike, and the longest next run without one."""
    from gluteguard.services.coach import load_history, load_on  # the engines: only when the command runs

    day = day_option(on)
    app_state = state(ctx)
    if history:
        rows = load_history(app_state.db, app_state.athlete_id, weeks, day)
        if json_output:
            print_json([row.__dict__ for row in rows])
        else:
            print_history(rows)
        if chart is not None:
            # Plotly takes seconds to import: only the chart option pays for it.
            from gluteguard.reports.load_chart import write_load_chart

            try:
                write_load_chart(rows, chart)
            except OSError as exc:
                raise fail(str(exc)) from None
            console.print(Text(f"chart written to {chart}"))
        return
    view = load_on(app_state.db, app_state.athlete_id, day)
    if json_output:
        print_json(view.as_dict())
    else:
        print_state(view.state, view.decision)


def _km(metres: float | None) -> str:
    return "—" if metres is None else f"{metres / 1000:.1f} km"


def print_state(load: LoadState, decision: DayDecision) -> None:
    from gluteguard.load.rules import load_rules
    from gluteguard.load.weeks import category_labels, short_label

    console.print(Text(f"Training load at the end of {load.date}", style="bold"))
    table = Table(show_header=False)
    next_run = decision.next_run
    style = "bold red" if not decision.running_allowed else "bold green"
    table.add_row("next run", Text(next_run.summary, style=style))
    table.add_row("  because", Text(next_run.basis))
    table.add_row("longest run, last 30 days", _km(load.longest_run_30d_m))
    if load.last_run:
        run = load.last_run
        ratio = f"{run.spike_ratio:.2f}× the 30-day longest" if run.spike_ratio else "no 30-day history"
        category = category_labels(load_rules()).get(run.spike_category, short_label(run.spike_category))
        table.add_row("last run", Text(f"{run.date}: {_km(run.distance_m)} ({ratio}) → {category}"))
    week = load.week
    change = f"{week['change_pct']:+.0f}% vs the week before" if week["change_pct"] is not None else "no week before"
    table.add_row("last 7 days", Text(f"{_km(week['distance_m'])} in {week['runs']} runs, {change}"))
    pmc = load.pmc
    table.add_row(
        "fitness / fatigue / form",
        Text(f"{pmc['ctl']:.1f} / {pmc['atl']:.1f} / {pmc['tsb']:+.1f} ({pmc['load_unit']}; context)"),
    )
    if load.monotony is not None:
        table.add_row("monotony / strain", f"{load.monotony:.2f} / {load.strain:.0f}")
    console.print(table)
    print_warnings(load)


def print_warnings(load: LoadState) -> None:
    for warning in load.warnings:
        console.print(
            Text(f"[{warning.severity}] ", style=SEVERITY_STYLE.get(warning.severity, "")) + Text(warning.message)
        )
        console.print(Text(f"    source: {cited(warning.source)}", style="dim"))
    if not load.warnings:
        console.print(Text("No load warnings. Keep runs within the cap.", style="green"))


def print_history(rows: list) -> None:
    from gluteguard.load.weeks import short_label

    table = Table(title="Weekly running")
    for column in ("week of", "km", "runs", "longest", "spike", "cap at end", "CTL", "ATL", "TSB", "no-data days"):
        table.add_column(column, justify="left" if column in ("week of", "spike") else "right", no_wrap=True)
    for row in rows:
        spike_style = {"small": "yellow", "moderate": "dark_orange", "large": "bold red"}.get(row.worst_spike, "")
        table.add_row(
            row.week_start,
            f"{row.run_distance_m / 1000:.1f}",
            str(row.runs),
            f"{row.longest_run_m / 1000:.1f}",
            Text(short_label(row.worst_spike), style=spike_style),
            _km(row.cap_at_end_m),
            f"{row.ctl:.1f}",
            f"{row.atl:.1f}",
            f"{row.tsb:+.1f}",
            str(row.no_data_days or ""),
        )
    console.print(table)
