"""``gluteguard plan`` (the week) and ``gluteguard today`` (status, warnings, the cap and today's items)."""

from __future__ import annotations

import gc
import json
import os
import shlex
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from gluteguard.cli.context import AppState, console, day_option, fail, print_json, state
from gluteguard.cli.status import print_headline_of
from gluteguard.wording import cited, plain

if TYPE_CHECKING:
    from gluteguard.coach.explain import WeekAudit
    from gluteguard.store.today_kept import KeptToday

# The engines and exporters (SQLAlchemy, numpy, icalendar) are imported inside the commands that use them.


def _print_items(items: list[dict]) -> None:
    for item in items:
        outcome = f" ({item['outcome']})" if item.get("outcome") else ""
        head = Text(f"  {item['title']}{outcome}", style="bold") + Text(f"  [{item['id']}]", style="dim")
        console.print(head)
        console.print(Text(f"    {item['details']}"))
        for exercise in item.get("exercises", []):
            console.print(Text(f"    • {exercise['name']}: {exercise['dosage']}"))
        console.print(Text(f"    why: {plain(item['why'])}  (source: {cited(item['source'])})", style="dim"))


def _export(plan: dict, ics: Path | None, markdown: Path | None) -> list[str]:
    if ics is None and markdown is None:
        return []
    from gluteguard.reports.files import write_atomic
    from gluteguard.reports.plan_export import plan_to_ics, plan_to_markdown

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


def _write_workouts(app_state: AppState, day: date | None, folder: Path, *, heart_rate_target: bool) -> str:
    from gluteguard.reports.files import write_atomic
    from gluteguard.reports.fit_workouts import workout_to_fit
    from gluteguard.services.workouts import plan_workouts

    workouts = plan_workouts(app_state.db, app_state.athlete_id, day, heart_rate_target=heart_rate_target)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for workout in workouts:
            write_atomic(folder / workout.file_name, workout_to_fit(workout), "workout")
    except OSError as exc:
        raise fail(f"{folder}: cannot write the workouts ({exc.strerror or exc})") from None
    if not workouts:
        return f"no workouts written to {folder}: the week holds no run or strength session"
    names = ", ".join(workout.file_name for workout in workouts)
    return (f"{len(workouts)} watch workout{'s' if len(workouts) != 1 else ''} written to {folder}: {names}."
            " Copy them to GARMIN/NewFiles on the watch (USB), which files them under its workouts.")  # fmt: skip


def plan_command(
    ctx: typer.Context,
    week_of: Annotated[str | None, typer.Option(help="Any day of the week (YYYY-MM-DD); default this week.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ics: Annotated[
        Path | None, typer.Option(help="Also write the runs and strength sessions as an .ics calendar.")
    ] = None,
    markdown: Annotated[Path | None, typer.Option(help="Also write the week as Markdown (to read or print).")] = None,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Also list which rule chose each item and exercise, and what was left out."),
    ] = False,
    fit: Annotated[
        Path | None,
        typer.Option(
            "--fit",
            metavar="DIR",
            help="Also write the week's runs and strength sessions as FIT workouts into DIR (copy them to"
            " GARMIN/NewFiles on the watch).",
        ),
    ] = None,
    open_target: Annotated[
        bool, typer.Option("--open-target", help="With --fit: no heart-rate target on runs (default: easy range).")
    ] = False,
) -> None:
    """Your plan for the week: runs within the cap, warm-up, strength, stretching, breaks from sitting."""
    from gluteguard.coach.explain import explain_week
    from gluteguard.services.coach import week_plan

    day = day_option(week_of, "--week-of")
    app_state = state(ctx)
    week = week_plan(app_state.db, app_state.athlete_id, day)
    plan = week.as_dict()
    written = _export(plan, ics, markdown)
    if fit is not None:
        written.append(_write_workouts(app_state, day, fit, heart_rate_target=not open_target))
    audit = explain_week(week) if explain else None
    if json_output:
        print_json({**plan, "explain": audit.as_dict()} if audit else plan)
        return
    console.print(Text(f"Week of {plan['week_of']} — phase: {plan['phase']}", style="bold"))
    console.print(Text(plain(plan["phase_why"])))
    step = f", walk/run ladder step {plan['ladder_step']}" if plan.get("ladder_step") else ""
    console.print(Text(f"Strength stage {plan['stage']}{step}. {plan['progress_why']}".rstrip(), style="dim"))
    for notice in plan.get("orders", []):  # a coach's or physio's orders, in the decision's words
        console.print(Text(f"• {notice['message']}", style="yellow"))
    table = Table(show_header=True)
    table.add_column("day", no_wrap=True)
    table.add_column("plan")
    for plan_day in plan["days"]:
        titles = [
            item["title"]
            + (f" ≤ {item['distance_cap_m'] / 1000:.1f} km" if item.get("distance_cap_m") else "")
            + (f" ({item['outcome']})" if item.get("outcome") else "")
            for item in plan_day["items"]
            if item["kind"] != "tip"
        ]
        if not plan_day["running_allowed"]:
            titles.insert(0, "NO RUNNING")
        titles += [f"{item['title']} ({item['outcome']}, logged before the day was decided again)"
                   for item in plan_day["logged_items"]]  # fmt: skip
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
    if audit is not None:
        _print_audit(audit)
    for line in written:
        console.print(Text(line))


def _days(days: list[str]) -> str:
    return ", ".join(date.fromisoformat(d).strftime("%a") for d in days)


def _print_audit(audit: WeekAudit) -> None:
    """The week's audit: phases, conditions, each item's rule, each exercise slot's choice and what it left out."""
    data = audit.as_dict()
    console.print(Text("\nWhy this plan (for an audit by your physiotherapist)", style="bold"))
    for span in data["phases"]:
        console.print(Text(f"Phase {span['phase']} ({span['from']} – {span['to']}): {plain(span['why'])}"))
        console.print(Text(f"  source: {cited(span['source'])}", style="dim"))
    equipment = ", ".join(data["equipment"]) or "none listed"
    console.print(Text(f"Equipment in the profile: {equipment}"))
    for condition in data["conditions"]:
        meaning = plain(condition["meaning"])
        console.print(Text(f"Condition {condition['code']} ({_days(condition['days'])}): {meaning}"))
    console.print(Text("Items", style="bold"))
    for item in data["items"]:
        console.print(Text(f"  {item['title']} [{item['kind']}] — {_days(item['days'])}"))
        console.print(Text(f"    why: {plain(item['why'])}  (source: {cited(item['source'])})", style="dim"))
    console.print(Text("Exercises, by purpose", style="bold"))
    for slot in data["slots"]:
        chosen = "; ".join(f"{c['name']} ({_days(c['days'])})" for c in slot["chosen"]) or "nothing fits"
        console.print(Text(f"  {slot['item']} · {slot['purpose']}: {chosen}"))
        console.print(Text(f"    rule: {plain(slot['why'])}  (source: {cited(slot['source'])})", style="dim"))
        for left in slot["left_out"]:
            console.print(Text(f"    left out: {left['name']} — {plain(left['why'])}", style="dim"))


def today_command(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--date", help="Local day (YYYY-MM-DD); default today.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Today at a glance: what to do first (no running, and why, when it is not allowed), the next run, warnings,
    today's plan."""
    day = day_option(on)
    app_state = state(ctx)
    kept = _kept_today(app_state, day)
    if kept is not None:  # decided after the last write, for this very day and data: shown without deciding again
        summary, runs_imported = kept.payload, kept.runs_imported
        gc.enable()  # paused for start-up (cli.app.main); the database, which would turn it on, is never opened
    else:
        summary, runs_imported = _decided_today(app_state, day)
    if json_output:
        print_json(summary)
        return
    _print_today(summary)
    if not runs_imported:
        _print_import_hint(app_state)


def _kept_today(app_state: AppState, day: date | None) -> KeptToday | None:
    """Today's summary as the last write kept it (store/today_kept.py: the standard library only, so a runner's
    ``today`` does not load the database layer, numpy and ten years of history), or None when it cannot be used."""
    from gluteguard.store.location import resolve_database_url, sqlite_path
    from gluteguard.store.today_kept import kept_today

    path = sqlite_path(resolve_database_url(app_state.db_option))
    return kept_today(path, app_state.athlete_name, day) if path is not None else None


def _decided_today(app_state: AppState, day: date | None) -> tuple[dict, bool]:
    from gluteguard.services.cache import read_only_scope
    from gluteguard.services.coach import today_summary
    from gluteguard.services.onboarding import setup_progress

    db, athlete_id = app_state.db, app_state.athlete_id  # opening may migrate or add the athlete: before the scope
    with read_only_scope():  # a read: the profile and each data version are asked for once, as on the web
        summary = today_summary(db, athlete_id, day).as_dict()
        steps = setup_progress(db, athlete_id).steps
    return json.loads(json.dumps(summary, default=str)), any(step.done for step in steps if step.key == "import")


def _print_today(summary: dict) -> None:
    """The day's summary in words, from its JSON form (the same whether it was kept or decided now)."""
    console.print(Text(f"Today, {summary['date']}", style="bold"))
    print_headline_of(summary["action"], summary["running_allowed"], summary["headline"]["message"])
    if not summary["running_allowed"]:
        console.print(Text("No running today.", style="bold red"))
        for reason in summary["reasons"]:
            console.print(Text(f"• {plain(reason['message'])}"))
            console.print(Text(f"  source: {cited(reason['source'])}", style="dim"))
    else:
        console.print(Text(f"  {summary['next_run']['basis']}", style="dim"))
        for hold in summary["holds"]:
            console.print(Text(f"• {plain(hold['reason']['message'])}", style="yellow"))
    status = summary["status"] or "no check-in yet"
    phase = summary["phase"].replace("_", " ")
    console.print(Text(f"Status {status}; plan phase: {phase}. {plain(summary['phase_why'])}"))
    for notice in summary["orders"]:  # a coach's or physio's orders, in the decision's words
        console.print(Text(f"• {notice['message']}", style="yellow"))
    for warning in summary["warnings"]:
        console.print(Text(f"[{warning['severity']}] {warning['message']}", style="yellow"))
    if summary["sitting_note"]:
        console.print(Text(plain(summary["sitting_note"]), style="yellow"))
    if summary["items"]:
        console.print(Text("Today's plan", style="bold"))
    _print_items(summary["items"])


def _print_import_hint(app_state: AppState) -> None:
    """With no runs imported yet, how to start: the cap, the spikes and the plan all rest on the runner's history."""
    from gluteguard.store.location import ENV_DB

    # The command as it must be typed: with --db when the database was chosen on this command line (not the env).
    chosen = app_state.db_option
    db = f" --db {shlex.quote(chosen)}" if chosen and chosen != os.environ.get(ENV_DB) else ""
    console.print()
    console.print(
        Text("No runs imported yet: your next run's cap and the plan come from your own history.", style="bold")
    )
    console.print(
        Text("Start by importing your Strava or Garmin export (the .zip as downloaded) or your watch's FIT files:")
    )
    for example in ("~/Downloads/export_12345678.zip", "/path/to/GARMIN/Activity/"):
        console.print(Text(f"  gluteguard{db} import {example}"), soft_wrap=True)


def _log(ctx: typer.Context, item_id: str, outcome: str, json_output: bool) -> None:
    from gluteguard.services.plan import PlanItemError, log_item

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
