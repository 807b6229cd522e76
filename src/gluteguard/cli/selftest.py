"""``gluteguard selftest`` (single-leg stance, palpation) and ``gluteguard function-check`` (weekly)."""

from __future__ import annotations

import sys
import time
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.prompt import Confirm, IntPrompt, Prompt
from rich.table import Table
from rich.text import Text

from gluteguard.cli.context import console, day_option, fail, print_json, state
from gluteguard.services.athletes import get_profile, today_in
from gluteguard.wording import cited

# The services (SQLAlchemy) and the self-test rules (read from TOML) are imported inside the commands.

app = typer.Typer(help="Home self-tests for the side of the hip, with instructions and safety notes.")


def _day(ctx: typer.Context, on: str | None) -> date:
    app_state = state(ctx)
    return day_option(on) or today_in(ZoneInfo(get_profile(app_state.db, app_state.athlete_id).timezone))


def _instructions(kind: str) -> None:
    from gluteguard.symptoms.selftests import self_test_instructions

    test = self_test_instructions()[kind]
    console.print(Text(test["name"], style="bold"))
    console.print(Text(test["purpose"]))
    for number, step in enumerate(test["steps"], start=1):
        console.print(Text(f"  {number}. {step}"))
    console.print(Text(f"Safety: {test['skip_if']}", style="yellow"))
    console.print(Text(f"Source: {cited(test['source'])}", style="dim"))


def _seconds(value: str | None, name: str) -> float | None:
    if value is None or value.lower() in ("", "none", "no"):
        return None
    try:
        return float(value)
    except ValueError:
        raise fail(f"{name}: seconds to pain, or 'none' when no pain came within 30 s") from None


def _timed_side(side: str) -> tuple[float | None, int]:
    Prompt.ask(f"Stand on your {side} leg, then press Enter to start the clock", default="", show_default=False)
    started = time.monotonic()
    Prompt.ask("Press Enter when your familiar side-of-hip pain starts (or at 30 s)", default="", show_default=False)
    elapsed = round(time.monotonic() - started, 1)
    if elapsed >= 30 or not Confirm.ask(f"{elapsed:.0f} s — did your familiar pain start?", default=True):
        return None, 0
    return elapsed, IntPrompt.ask("How strong was it (0–10)?", default=2)


@app.command("stance")
def stance_command(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--date", help="Day (YYYY-MM-DD); default today.")] = None,
    left: Annotated[str | None, typer.Option(help="Seconds to familiar pain on the left, or 'none'.")] = None,
    left_pain: Annotated[int | None, typer.Option(help="That pain, 0–10.")] = None,
    right: Annotated[str | None, typer.Option(help="Seconds to familiar pain on the right, or 'none'.")] = None,
    right_pain: Annotated[int | None, typer.Option(help="That pain, 0–10.")] = None,
    timer: Annotated[bool, typer.Option(help="Guide and time the test on screen.")] = False,
) -> None:
    """The 30-second single-leg stance test: seconds until your familiar side-of-hip pain, per side."""
    from gluteguard.services.checkins import get_checkin
    from gluteguard.services.selftests import record_stance
    from gluteguard.symptoms.selftests import SelfTestError, stance_side, stance_test_safe

    app_state = state(ctx)
    day = _day(ctx, on)
    safe, reason = stance_test_safe(get_checkin(app_state.db, app_state.athlete_id, day))
    if not safe:
        raise fail(f"not today: {reason}")
    sides = []
    try:
        if timer:
            _instructions("single_leg_stance")
            for side in ("left", "right"):
                seconds, pain = _timed_side(side)
                sides.append(stance_side(side, seconds, pain))
        else:
            if left is None and right is None:
                _instructions("single_leg_stance")
                raise fail("give --left/--right (seconds or 'none'), or use --timer")
            if left is not None:
                sides.append(stance_side("left", _seconds(left, "--left"), left_pain))
            if right is not None:
                sides.append(stance_side("right", _seconds(right, "--right"), right_pain))
    except SelfTestError as exc:
        raise fail(str(exc)) from None
    record_stance(app_state.db, app_state.athlete_id, day, sides)
    for side in sides:
        verdict = "positive: fits side-of-hip tendon pain" if side.positive else "negative"
        console.print(Text(f"{side.side}: {verdict}"))


@app.command("palpation")
def palpation_command(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--date", help="Day (YYYY-MM-DD); default today.")] = None,
    left: Annotated[
        bool | None, typer.Option("--left/--no-left", help="Pressing the left hip reproduces the pain.")
    ] = None,
    right: Annotated[
        bool | None, typer.Option("--right/--no-right", help="Pressing the right hip reproduces the pain.")
    ] = None,
) -> None:
    """Pressing the bony point on the side of the hip: does it reproduce your familiar pain?"""
    from gluteguard.services.selftests import record_palpation

    app_state = state(ctx)
    day = _day(ctx, on)
    if left is None and right is None:
        _instructions("palpation")
        if not sys.stdin.isatty():
            raise fail("give --left/--no-left and/or --right/--no-right")
        left = Confirm.ask("Does pressing the LEFT hip reproduce your familiar pain?", default=False)
        right = Confirm.ask("Does pressing the RIGHT hip reproduce your familiar pain?", default=False)
    tender = {side: value for side, value in (("left", left), ("right", right)) if value is not None}
    record_palpation(app_state.db, app_state.athlete_id, day, tender)
    console.print(
        Text(f"palpation on {day}: " + ", ".join(f"{s} {'tender' if v else 'not tender'}" for s, v in tender.items()))
    )


@app.command("history")
def history_command(
    ctx: typer.Context, json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Your self-tests over time."""
    from gluteguard.services.selftests import self_test_history

    app_state = state(ctx)
    days = self_test_history(app_state.db, app_state.athlete_id)
    if json_output:
        print_json(
            [
                {
                    "date": d.day.isoformat(),
                    "stance": {
                        s: {"seconds_to_pain": v.seconds_to_pain, "pain_nrs": v.pain_nrs, "positive": v.positive}
                        for s, v in d.stance.items()
                    },
                    "palpation": d.palpation,
                }
                for d in days
            ]
        )
        return
    table = Table(title="Self-tests")
    for column in ("day", "stance left", "stance right", "tender left", "tender right"):
        table.add_column(column)

    def stance(d, side: str) -> str:  # type: ignore[no-untyped-def]
        result = d.stance.get(side)
        if result is None:
            return "—"
        return (
            "no pain in 30 s"
            if result.seconds_to_pain is None
            else f"{result.seconds_to_pain:g} s ({result.pain_nrs}/10)"
        )

    for d in days:
        table.add_row(
            d.day.isoformat(),
            stance(d, "left"),
            stance(d, "right"),
            {True: "yes", False: "no"}.get(d.palpation.get("left"), "—"),
            {True: "yes", False: "no"}.get(d.palpation.get("right"), "—"),
        )
    console.print(table)


def function_check_command(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--date", help="Day (YYYY-MM-DD); default today.")] = None,
    answer: Annotated[list[str] | None, typer.Option(help="item=0..10, e.g. --answer stairs=7 (repeat).")] = None,
    global_change: Annotated[str | None, typer.Option(help="e.g. 'a little better'.")] = None,
    visa_g: Annotated[int | None, typer.Option(help="A VISA-G score done with your clinician, 0–100.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The weekly lateral-hip function check (six questions in our own words, scored 0–100)."""
    from gluteguard.services.selftests import function_checks, record_function_check
    from gluteguard.symptoms.selftests import SelfTestError, function_check_items

    app_state = state(ctx)
    day = _day(ctx, on)
    items = function_check_items()
    answers: dict[str, int] = {}
    try:
        for pair in answer or []:
            key, _, value = pair.partition("=")
            answers[key.strip()] = int(value)
    except ValueError:
        raise fail("--answer: write item=number, e.g. stairs=7") from None
    if not answers and sys.stdin.isatty():
        for item in items["items"]:
            answers[item["id"]] = IntPrompt.ask(item["question"])
        choices = items["global_change"]["choices"]
        global_change = Prompt.ask(items["global_change"]["question"], choices=choices, default="about the same")
    try:
        check = record_function_check(app_state.db, app_state.athlete_id, day, answers, global_change, visa_g)
    except SelfTestError as exc:
        raise fail(str(exc)) from None
    history = function_checks(app_state.db, app_state.athlete_id)
    if json_output:
        print_json({"date": day.isoformat(), "score": check.score, "answers": check.answers,
                    "global_change": check.global_change, "visa_g": check.visa_g,
                    "history": [{"date": d.isoformat(), "score": c.score} for d, c in history]})  # fmt: skip
        return
    console.print(Text(f"function check {day}: {check.score}/100 (100 = no trouble)", style="bold"))
    if len(history) > 1:
        first = history[0][1].score
        console.print(Text(f"since your first check ({history[0][0]}): {check.score - first:+d} points"))
    console.print(Text(f"Source: {cited(items['source'])}", style="dim"))
