"""``gluteguard status``: how irritable the hip is today, and whether to see a clinician."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.text import Text

from gluteguard.cli.context import console, fail, print_json, state
from gluteguard.services.symptoms import symptom_report
from gluteguard.symptoms.triage import action_message

STATUS_STYLE = {"green": "bold green", "amber": "bold yellow", "red": "bold red"}
ACTION_STYLE = {
    "emergency": "bold white on red",
    "urgent": "bold red",
    "see_clinician": "bold yellow",
    "self_manage": "green",
}


def status_command(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--date", help="Local day (YYYY-MM-DD); default today.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Your symptom status (green/amber/red) and what to do — information, not a diagnosis."""
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise fail(f"--date: '{on}' is not a date like 2026-03-01") from None
    app_state = state(ctx)
    report = symptom_report(app_state.db, app_state.athlete_id, day)
    if report is None:
        if json_output:
            print_json(None)
            return
        raise fail("no check-ins yet: start with `gluteguard checkin`", code=1)
    if json_output:
        print_json(report)
        return
    # A red-flag action comes first, above everything else.
    if report["action"] != "self_manage":
        console.print(Text(action_message(report["action"]), style=ACTION_STYLE[report["action"]]))
    console.print(
        Text(f"{report['date']}: ", style="bold") + Text(report["status"].upper(), style=STATUS_STYLE[report["status"]])
        + Text("  running today: " + ("yes, within the cap" if report["running_allowed"] else "no"))
    )  # fmt: skip
    for reason in report["reasons"]:
        console.print(Text(f"• {reason['message']}"))
        console.print(Text(f"  source: {reason['source']}", style="dim"))
    pattern = report["pattern"]
    if pattern.get("wording"):
        console.print(Text(pattern["wording"], style="cyan"))
    if report["meaningful_change"]:
        direction = report["trend"].get("direction") or "changed"
        console.print(Text(f"Your pain has changed meaningfully since you started ({direction}).", style="bold"))
    console.print(Text("Information, not a diagnosis: see a clinician about pain that does not settle.", style="dim"))
