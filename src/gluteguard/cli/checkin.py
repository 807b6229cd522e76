"""``gluteguard checkin``: the daily check-in (prompts, flags or a JSON file) and ``checkins`` to list them."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.prompt import Confirm, Prompt
from rich.table import Table
from rich.text import Text

from gluteguard.cli.context import console, day_option, fail, print_json, state
from gluteguard.cli.status import print_headline
from gluteguard.services.athletes import get_profile, today_in
from gluteguard.symptoms.model import PAIN_FIELDS, PAIN_LOCATIONS, RED_FLAGS, CheckInError, parse_checkin

# The services (SQLAlchemy, the decision engine) are imported inside the commands: `--help` never pays for them.


def _answered_pains(answers: dict) -> list[int]:
    """The pain answers typed so far, as numbers (a skipped or unreadable one left out)."""
    values = []
    for name in PAIN_FIELDS:
        try:
            values.append(int(answers.get(name) or 0))
        except (TypeError, ValueError):
            continue
    return values


def _ask_valid(day: date, name: str, text: str) -> str | None:
    """Ask until the answer is valid on its own, so one typo never costs the whole check-in."""
    while True:
        answer = Prompt.ask(text, default="", console=console, show_default=False) or None
        try:
            parse_checkin({"date": day.isoformat(), name: answer})
        except CheckInError as exc:
            console.print(Text(f"  {exc} — please try again", style="yellow"))
            continue
        return answer


def _yes_no_or_skip(text: str) -> bool | None:
    """y / n, or Enter for no answer (an unanswered question must not be stored as "no")."""
    while True:
        answer = Prompt.ask(f"{text} [y/n, Enter to skip]", default="", show_default=False, console=console)
        answer = answer.strip().lower()
        if answer in ("", "y", "yes", "n", "no"):
            return None if not answer else answer.startswith("y")
        console.print("Please answer y or n, or press Enter to skip.")


def _ask_locations(text: str, places: dict[str, str]) -> list[str]:
    """Where it hurts, picked by number from the places in plain words (the stored names are accepted too)."""
    numbered = list(places)
    console.print(Text("  ".join(f"{k}) {places[code]}" for k, code in enumerate(numbered, start=1)), style="dim"))
    while True:
        answer = Prompt.ask(text, default="", console=console, show_default=False)
        picked, unknown = [], []
        for part in (p.strip().lower() for p in answer.replace(" ", ",").split(",")):
            if not part:
                continue
            if part.isdigit() and 1 <= int(part) <= len(numbered):
                picked.append(numbered[int(part) - 1])
            elif part in places:
                picked.append(part)
            else:
                unknown.append(part)
        if not unknown:
            return list(dict.fromkeys(picked))
        hint = f"  {', '.join(unknown)}: not on the list — numbers 1–{len(numbered)}, please"
        console.print(Text(hint, style="yellow"))


def _ask_interactively(day: date, last_screened: date | None) -> dict:
    """Rich prompts, one question at a time; empty answers mean "not asked"."""
    from gluteguard.symptoms.questions import questions
    from gluteguard.symptoms.triage import screen_due, screen_triggered

    asked = questions()
    answers: dict = {"date": day.isoformat()}
    console.print(Text(f"Check-in for {day} — press Enter to skip a question.", style="bold"))
    ran = Confirm.ask("Did you run since your last check-in?", default=False, console=console)
    for name in PAIN_FIELDS:
        if name in ("pain_during_run", "pain_after_run") and not ran:
            continue
        answers[name] = _ask_valid(day, name, asked["pain"][name])
    for name, text in asked["other"].items():
        if name in ("wakes_lying_on_side", "brisk_walk_pain_free"):
            answers[name] = _yes_no_or_skip(text)
        elif name == "pain_locations":
            answers[name] = _ask_locations(text, asked["locations"])
        else:
            answers[name] = _ask_valid(day, name, text)
    # The full warning-sign questions: at onboarding, weekly, and at once when an answer calls for them (the core's
    # rule: strong pain, or pain away from the side of the hip).
    locations = list(answers.get("pain_locations") or [])
    triggered = screen_triggered(_answered_pains(answers), locations)
    if screen_due(last_screened, day, triggered=triggered) or Confirm.ask(
        "Any warning signs today (numbness, fever, a fall, groin pain, weakness…)?", default=False, console=console
    ):
        console.print(Text("A few safety questions (yes/no):", style="bold"))
        answers["red_flags"] = {
            flag: Confirm.ask(asked["red_flags"][flag], default=False, console=console) for flag in RED_FLAGS
        }
        answers["screened"] = True
    return answers


def checkin_command(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--date", help="The day (YYYY-MM-DD); default today.")] = None,
    from_json: Annotated[Path | None, typer.Option(help="Read the answers from a JSON file ('-' = stdin).")] = None,
    pain_during_run: Annotated[int | None, typer.Option(help="0–10")] = None,
    pain_after_run: Annotated[int | None, typer.Option(help="0–10")] = None,
    pain_next_morning: Annotated[int | None, typer.Option(help="0–10")] = None,
    pain_at_rest: Annotated[int | None, typer.Option(help="0–10")] = None,
    night_pain: Annotated[int | None, typer.Option(help="0–10")] = None,
    wakes_lying_on_side: Annotated[bool | None, typer.Option(help="Lying on that side wakes you.")] = None,
    brisk_walk_pain_free: Annotated[
        bool | None, typer.Option(help="A 20–30 min brisk walk today was free of side-of-hip pain.")
    ] = None,
    morning_stiffness_min: Annotated[int | None, typer.Option(help="Minutes.")] = None,
    pain_locations: Annotated[
        str | None, typer.Option(help=f"Comma list of {','.join(PAIN_LOCATIONS)} (thigh = front or inner thigh).")
    ] = None,
    side: Annotated[str | None, typer.Option(help="left, right or both.")] = None,
    tender_on_pressing: Annotated[str | None, typer.Option(help="left, right or left,right.")] = None,
    sitting_hours: Annotated[float | None, typer.Option(help="Hours sitting today.")] = None,
    session_rpe: Annotated[float | None, typer.Option(help="0–10, today's session.")] = None,
    note: Annotated[str | None, typer.Option(help="Free note.")] = None,
    red_flag: Annotated[
        list[str] | None,
        typer.Option("--red-flag", help=f"A warning sign that applies (repeat): {', '.join(RED_FLAGS)}."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the stored check-in as JSON.")] = False,
) -> None:
    """Record how your hip is today (one check-in per day; running it again edits that day)."""
    from gluteguard.services.checkins import last_screen, save_checkin
    from gluteguard.services.coach import decision_on
    from gluteguard.services.selftests import function_check_due
    from gluteguard.symptoms.triage import NO_RUNNING_ACTIONS

    app_state = state(ctx)
    zone = ZoneInfo(get_profile(app_state.db, app_state.athlete_id).timezone)
    day = day_option(on) or today_in(zone)
    flags_given = {
        "pain_during_run": pain_during_run,
        "pain_after_run": pain_after_run,
        "pain_next_morning": pain_next_morning,
        "pain_at_rest": pain_at_rest,
        "night_pain": night_pain,
        "wakes_lying_on_side": wakes_lying_on_side,
        "brisk_walk_pain_free": brisk_walk_pain_free,
        "morning_stiffness_min": morning_stiffness_min,
        "pain_locations": pain_locations,
        "side": side,
        "tender_on_pressing": tender_on_pressing,
        "sitting_hours": sitting_hours,
        "session_rpe": session_rpe,
        "note": note,
    }
    answers: dict = {key: value for key, value in flags_given.items() if value is not None}
    if red_flag:
        answers["red_flags"] = {flag: True for flag in red_flag}
    if from_json is not None:
        try:
            text = sys.stdin.read() if str(from_json) == "-" else from_json.read_text(encoding="utf-8")
            loaded = json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise fail(f"{from_json}: cannot read a JSON check-in ({exc})") from None
        if not isinstance(loaded, dict):
            raise fail(f"{from_json}: expected a JSON object of answers")
        answers = {**loaded, **answers}
    elif not answers and sys.stdin.isatty():
        answers = _ask_interactively(day, last_screen(app_state.db, app_state.athlete_id, day))
    elif not answers:  # no terminal to ask in, and no answer given: an empty check-in would tick the day off
        raise fail("check-in not saved: no answers given — run it in a terminal to be asked, or pass the answers "
                   "as options (gluteguard checkin --help) or with --from-json")  # fmt: skip
    answers["date"] = answers.get("date") or day.isoformat()
    try:
        checkin, created = save_checkin(app_state.db, app_state.athlete_id, answers)
    except CheckInError as exc:
        raise fail(f"check-in not saved: {exc}") from None
    if json_output:
        print_json(checkin.as_dict())
        return
    console.print(Text(f"check-in for {checkin.date} {'saved' if created else 'updated'}", style="green"))
    if checkin.flags_raised:
        flags = ", ".join(flag.replace("_", " ") for flag in checkin.flags_raised)
        console.print(Text(f"warning signs recorded: {flags}", style="bold red"))
    # What the day's decision says now, in the words every view uses (an emergency says so here, at once).
    decision = decision_on(app_state.db, app_state.athlete_id, checkin.date)
    print_headline(decision)
    if checkin.flags_raised:
        console.print(Text("The reasons and their sources: gluteguard status"))
    if decision.action not in NO_RUNNING_ACTIONS and function_check_due(
        app_state.db, app_state.athlete_id, checkin.date
    ):
        console.print(Text("Your weekly hip function check is due: `gluteguard function-check` (six questions)."))


def checkins_command(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List your check-ins."""
    from gluteguard.services.checkins import list_checkins

    since_day = day_option(since, "--since")
    app_state = state(ctx)
    rows = list_checkins(app_state.db, app_state.athlete_id, since=since_day)
    if json_output:
        print_json([row.as_dict() for row in rows])
        return
    table = Table(title="Check-ins")
    for column in ("day", "during", "after", "next am", "rest", "night", "where", "tender", "sitting h", "flags"):
        table.add_column(column, no_wrap=True)

    def pain(value: int | None) -> str:
        return "—" if value is None else str(value)

    from gluteguard.symptoms.questions import questions

    places = questions()["locations"]

    for row in rows:
        table.add_row(
            row.date.isoformat(),
            pain(row.pain_during_run),
            pain(row.pain_after_run),
            pain(row.pain_next_morning),
            pain(row.pain_at_rest),
            pain(row.night_pain),
            ", ".join(places.get(place, place).lower() for place in row.pain_locations),
            ",".join(row.tender_on_pressing),
            "—" if row.sitting_hours is None else f"{row.sitting_hours:g}",
            Text(", ".join(flag.replace("_", " ") for flag in row.flags_raised), style="red"),
        )
    console.print(table)
