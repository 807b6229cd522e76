"""``gluteguard status``: how irritable the hip is today, and whether to see a clinician; ``gluteguard cleared``
and ``gluteguard booked`` record what lifts a warning sign."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from gluteguard.cli.context import console, day_option, fail, print_json, state
from gluteguard.services.athletes import local_today
from gluteguard.wording import cited, plain

if TYPE_CHECKING:
    from gluteguard.coach.decision import DayDecision

# The decision engine and the clinician records (SQLAlchemy) are imported inside the commands that use them.

STATUS_STYLE = {"green": "bold green", "amber": "bold yellow", "red": "bold red"}
ACTION_STYLE = {
    "emergency": "bold white on red",
    "urgent": "bold red",
    "see_clinician": "bold yellow",
    "self_manage": "green",
}


def print_headline(decision: DayDecision) -> None:
    """The action (or the running answer) first, in the words every view uses."""
    print_headline_of(decision.action, decision.running_allowed, decision.headline.message)


def print_headline_of(action: str | None, running_allowed: bool, message: str) -> None:
    """The headline from its parts (``today`` prints the decision's JSON form, which may come from the kept day)."""
    if action not in (None, "self_manage"):
        style = ACTION_STYLE[action or ""]
    else:
        style = "bold" if running_allowed else "bold red"
    console.print(Text(message, style=style))


def status_command(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--date", help="Local day (YYYY-MM-DD); default today.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Your symptom status (green/amber/red) and what to do — information, not a diagnosis."""
    from gluteguard.services.coach import decision_on

    day = day_option(on)
    app_state = state(ctx)
    decision = decision_on(app_state.db, app_state.athlete_id, day)
    if decision.report is None:
        if json_output:
            print_json(None)
            return
        raise fail("no check-ins yet: start with `gluteguard checkin`", code=1)
    if json_output:
        print_json(decision.status_dict())
        return
    report = decision.report
    print_headline(decision)
    if decision.running_today:
        running = "yes (the next run is above)"
    elif decision.running_allowed:
        running = "not yet (today's step of the way back is above)"
    else:
        running = "no"
    console.print(
        Text(f"{report.date.isoformat()}: ", style="bold")
        + Text(report.status.upper(), style=STATUS_STYLE[report.status])
        + Text(f"  running today: {running}")
    )
    for reason in report.reasons:
        console.print(Text(f"• {plain(reason.message)}"))
        console.print(Text(f"  source: {cited(reason.source)}", style="dim"))
    if report.pattern.wording:
        console.print(Text(report.pattern.wording, style="cyan"))
    if report.meaningful_change:
        direction = report.trend.direction or "changed"
        console.print(Text(f"Your pain has changed meaningfully since you started ({direction}).", style="bold"))
    if any(hold.blocks_running for hold in decision.holds):
        console.print(Text("When a clinician has seen you and cleared you to run: gluteguard cleared --by WHO"))
    elif decision.holds:
        console.print(Text("Once the visit is booked: gluteguard booked (or gluteguard cleared --by WHO after it)"))
    console.print(Text("Information, not a diagnosis: see a clinician about pain that does not settle.", style="dim"))


def _record(ctx: typer.Context, kind: str, on: str | None, by: str | None, note: str | None, json_output: bool) -> None:
    from gluteguard.services.clinician import VisitError, record_visit
    from gluteguard.services.coach import decision_on

    app_state = state(ctx)
    today = local_today(app_state.db, app_state.athlete_id)
    day = day_option(on) or today
    try:
        visit = record_visit(app_state.db, app_state.athlete_id, kind, day, today, by=by, note=note)
    except VisitError as exc:
        raise fail(str(exc)) from None
    decision = decision_on(app_state.db, app_state.athlete_id, today)
    if json_output:
        print_json({"recorded": visit.as_dict(), "today": {"running_allowed": decision.running_allowed,
                    "phase": decision.phase, "holds": [h.as_dict() for h in decision.holds]}})  # fmt: skip
        return
    what = f"Clearance by {visit.by}" if kind == "cleared" else "Booked visit"
    console.print(Text(f"{what} recorded for {visit.day.isoformat()}.", style="bold"))
    print_headline(decision)


def cleared_command(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="Who cleared you: a clinician's name or role.")],
    on: Annotated[str | None, typer.Option("--date", help="Day of the clearance (YYYY-MM-DD); default today.")] = None,
    note: Annotated[str | None, typer.Option(help="What the clinician said, for your record.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Record that a clinician has seen you and cleared you: lifts the warning signs raised up to that day."""
    _record(ctx, "cleared", on, by, note, json_output)


def booked_command(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--date", help="Day you booked (YYYY-MM-DD); default today.")] = None,
    with_: Annotated[str | None, typer.Option("--with", help="Who the visit is with.")] = None,
    note: Annotated[str | None, typer.Option(help="When and where, for your record.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Record that a visit with a clinician is booked: the see-a-clinician reminders stop."""
    _record(ctx, "booked", on, with_, note, json_output)


def clinician_history_command(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Your recorded clearances and booked visits."""
    from gluteguard.services.clinician import list_visits

    app_state = state(ctx)
    visits = list_visits(app_state.db, app_state.athlete_id)
    if json_output:
        print_json([visit.as_dict() for visit in visits])
        return
    if not visits:
        console.print(Text("No clearances or booked visits recorded."))
    for visit in visits:
        who = f" by {visit.by}" if visit.kind == "cleared" and visit.by else f" with {visit.by}" if visit.by else ""
        note = f" — {visit.note}" if visit.note else ""
        console.print(Text(f"{visit.day.isoformat()}  {visit.kind}{who}{note}"))
