"""``gluteguard plan`` (the week) and ``gluteguard today`` (status, warnings, the cap and today's items)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from gluteguard.cli.context import console, fail, print_json, state
from gluteguard.reports.files import write_atomic
from gluteguard.reports.plan_export import plan_to_ics, plan_to_markdown
from gluteguard.services.plan import PlanItemError, log_item, plan_for_week
from gluteguard.services.today import today_summary


def _print_items(items: list[dict]) -> None:
    for item in items:
        head = Text(f"  {item['title']}", style="bold") + Text(f"  [{item['id']}]", style="dim")
        console.print(head)
        console.print(Text(f"    {item['details']}"))
        for exercise in item.get("exercises", []):
            console.print(Text(f"    • {exercise['name']}: {exercise['dosage']}"))
        console.print(Text(f"    why: {item['why']}  (source: {item['source']})", style="dim"))


def _export(plan: dict, ics: Path | None, markdown: Path | None) -> list[str]:
    written = []
    try:
        if ics is not None:
            write_atomic(ics, plan_to_ics(plan, datetime.now(UTC)), "calendar")
            written.append(f"calendar written to {ics}")
        if markdown is not None:
            write_atomic(markdown, plan_to_markdown(plan).encode("utf-8"), "plan")
            written.append(f"plan written to {markdown}")
    except OSError as exc:
        raise fail(str(exc)) from None
    return written


def plan_command(
    ctx: typer.Context,
    week_of: Annotated[str | None, typer.Option(help="Any day of the week (YYYY-MM-DD); default this week.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ics: Annotated[
        Path | None, typer.Option(help="Also write the runs and strength sessions as an .ics calendar.")
    ] = None,
    markdown: Annotated[Path | None, typer.Option(help="Also write the week as Markdown (to read or print).")] = None,
) -> None:
    """Your plan for the week: runs within the cap, warm-up, strength, stretching, breaks from sitting."""
    try:
        day = date.fromisoformat(week_of) if week_of else None
    except ValueError:
        raise fail(f"--week-of: '{week_of}' is not a date like 2026-03-01") from None
    app_state = state(ctx)
    plan = plan_for_week(app_state.db, app_state.athlete_id, day).as_dict()
    written = _export(plan, ics, markdown)
    if json_output:
        print_json(plan)
        return
    console.print(Text(f"Week of {plan['week_of']} — phase: {plan['phase']}", style="bold"))
    console.print(Text(plan["phase_why"]))
    step = f", walk/run ladder step {plan['ladder_step']}" if plan.get("ladder_step") else ""
    console.print(Text(f"Strength stage {plan['stage']}{step}. {plan['progress_why']}".rstrip(), style="dim"))
    table = Table(show_header=True)
    table.add_column("day", no_wrap=True)
    table.add_column("plan")
    for plan_day in plan["days"]:
        titles = [
            item["title"] + (f" ≤ {item['distance_cap_m'] / 1000:.1f} km" if item.get("distance_cap_m") else "")
            for item in plan_day["items"]
            if item["kind"] != "tip"
        ]
        table.add_row(date.fromisoformat(plan_day["date"]).strftime("%a %d %b"), "; ".join(titles))
    console.print(table)
    outline = Table(title="The next four weeks, if every week stays green (a ceiling, not a target)")
    for column in ("week of", "phase", "stage", "long-run cap", "ladder step", "focus"):
        outline.add_column(column)
    for week in plan["outline"]:
        cap = f"{week['long_run_cap_m'] / 1000:.1f} km" if week.get("long_run_cap_m") else "—"
        outline.add_row(week["week_of"], week["phase"], str(week.get("stage") or "—"), cap,
                        str(week.get("ladder_step") or "—"), week["focus"])  # fmt: skip
    console.print(outline)
    for line in written:
        console.print(Text(line))


def today_command(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Today at a glance: symptom status and any red-flag action first, the cap, warnings, today's plan."""
    app_state = state(ctx)
    result = today_summary(app_state.db, app_state.athlete_id)
    if json_output:
        print_json(result)
        return
    status = result["status"] or "no check-in yet"
    console.print(Text(f"Today, {result['date']}: ", style="bold") + Text(f"status {status}, phase {result['phase']}"))
    if result["next_run_cap_m"]:
        console.print(Text(f"Next run at most {result['next_run_cap_m'] / 1000:.1f} km"))
    for warning in result["warnings"]:
        console.print(Text(f"[{warning['severity']}] {warning['message']}", style="yellow"))
    if result["sitting_note"]:
        console.print(Text(result["sitting_note"], style="yellow"))
    _print_items(result["items"])


def _log(ctx: typer.Context, item_id: str, outcome: str, json_output: bool) -> None:
    app_state = state(ctx)
    try:
        entry = log_item(app_state.db, app_state.athlete_id, item_id, outcome)
    except PlanItemError as exc:
        raise fail(str(exc)) from None
    if json_output:
        print_json(entry)
    else:
        console.print(Text(f"{entry['item_id']}: {outcome}"))


def done_command(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(help="The item's id, as `gluteguard plan` or `today` shows it.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Mark a plan item done."""
    _log(ctx, item_id, "done", json_output)


def skip_command(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(help="The item's id, as `gluteguard plan` or `today` shows it.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Mark a plan item skipped."""
    _log(ctx, item_id, "skipped", json_output)
