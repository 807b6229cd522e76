"""``gluteguard sitting`` (a day's sitting figures, or the history with a chart) and ``gluteguard remind``
(break reminders during work hours, in the foreground or as a user service)."""

from __future__ import annotations

import select
import sys
import time as clock
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text

from gluteguard.cli.context import AppState, console, day_option, fail, print_json, state
from gluteguard.services.athletes import get_profile, today_in

if TYPE_CHECKING:
    from gluteguard.sitting.day import SittingDay
from gluteguard.sitting.rules import SittingRules, load_rules

NAP_S = 60.0  # the loop wakes at least this often, so a suspended laptop is noticed soon after it wakes


def _minutes(value: int | None) -> str:
    if value is None:
        return "—"
    hours, minutes = divmod(int(value), 60)
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


NO_DATA = (
    "Sitting time, breaks and the longest spell appear here once you import a watch export (Apple Health, Garmin "
    "or Fitbit): gluteguard import FILE. Or answer the check-in's sitting question: gluteguard checkin "
    "--sitting-hours H."
)


def _day_row(figures: SittingDay, rules: SittingRules) -> list[str]:
    return [
        figures.date.strftime("%a %d %b"),
        _minutes(figures.sitting_min),
        _minutes(figures.longest_bout_min),
        "—" if figures.breaks is None else str(figures.breaks),
        "—" if figures.active_hours is None else str(figures.active_hours),
        rules.source_label(figures.source),
    ]


def _print_day(figures: SittingDay, note: str | None) -> None:
    rules = load_rules()
    if figures.source == "none":
        # Not a table of dashes that reads like "no sitting": say what is missing and how to get it.
        console.print(Text(f"Sitting in work hours on {figures.date}", style="bold"))
        for line in figures.notes:
            console.print(Text(line))
        if figures.work_minutes:
            console.print(Text(NO_DATA, style="dim"))
        return
    table = Table(title=f"Sitting in work hours on {figures.date}")
    for column in ("day", "sitting", "longest spell", "breaks", "active hours", "from"):
        table.add_column(column)
    table.add_row(*_day_row(figures, rules))
    console.print(table)
    if figures.uncertainty:
        console.print(Text(figures.uncertainty))
    if figures.upright_target_min and figures.moving_min is not None:
        console.print(Text(f"Moving: {_minutes(figures.moving_min)} of the "
                           f"{_minutes(figures.upright_target_min)} a day of standing or moving worth aiming for "
                           "at work."))  # fmt: skip
    for line in figures.notes:
        console.print(Text(line, style="dim"))
    if note:
        console.print(Text(note, style="yellow"))


def sitting_command(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option("--date", help="The day (YYYY-MM-DD); default today.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    history: Annotated[bool, typer.Option("--history", help="The days up to --date instead of one day.")] = False,
    days: Annotated[int, typer.Option(help="With --history: how many days.", min=1, max=366)] = 14,
    chart: Annotated[Path | None, typer.Option(help="With --history: write an offline HTML chart here.")] = None,
) -> None:
    """How long you sat in work hours, the longest spell, breaks and active hours — from your wearable, else from
    the check-in's sitting hours."""
    from gluteguard.services.coach import desk_note
    from gluteguard.services.sitting import sitting_history, sitting_on
    from gluteguard.sitting.model import SittingError

    app_state = state(ctx)
    chosen = day_option(day) or today_in(ZoneInfo(get_profile(app_state.db, app_state.athlete_id).timezone))
    try:
        if history:
            rows = sitting_history(app_state.db, app_state.athlete_id, chosen, days)
            if chart is not None:
                from gluteguard.reports.files import write_atomic
                from gluteguard.reports.sitting_chart import render_sitting_chart

                write_atomic(chart, render_sitting_chart(rows).encode("utf-8"), "chart")
            if json_output:
                print_json([r.as_json() for r in rows])
                return
            table = Table(title=f"Sitting in work hours, {rows[0].date} to {rows[-1].date}")
            for column in ("day", "sitting", "longest spell", "breaks", "active hours", "from"):
                table.add_column(column)
            rules = load_rules()
            for figures in rows:
                table.add_row(*_day_row(figures, rules))
            console.print(table)
            if not any(r.sitting_min is not None for r in rows) and any(r.work_minutes for r in rows):
                console.print(Text(f"No watch data for these days. {NO_DATA}", style="dim"))
            if chart is not None:
                console.print(Text(f"chart written to {chart}"))
            return
        figures = sitting_on(app_state.db, app_state.athlete_id, chosen)
        today = today_in(ZoneInfo(get_profile(app_state.db, app_state.athlete_id).timezone))
        note = desk_note(app_state.db, app_state.athlete_id, chosen, today=max(chosen, today))
    except (SittingError, OSError) as exc:
        raise fail(str(exc)) from None
    if json_output:
        print_json({**figures.as_json(), "note": note})
        return
    _print_day(figures, note)


def _ask_terminal(timeout_s: float) -> str | None:
    """On a terminal without notification buttons: [d]one / [s]nooze, else no answer (POSIX only)."""
    if not sys.stdin.isatty() or sys.platform == "win32":
        return None
    console.print("  [d]one, [s]nooze, or Enter to skip")
    ready, _, _ = select.select([sys.stdin], [], [], timeout_s)
    if not ready:
        return None
    answer = sys.stdin.readline().strip().lower()
    return {"d": "done", "done": "done", "s": "snooze", "snooze": "snooze"}.get(answer, "skip")


def _run_loop(app_state: AppState, interval: int | None, once: bool, now_text: str | None, wait_s: float) -> None:
    from gluteguard.services.sitting import record_break, reminder_tick
    from gluteguard.sitting.notify import send_reminder
    from gluteguard.sitting.reminders import Event, Prompt, Record, step

    db, athlete_id = app_state.db, app_state.athlete_id
    profile = get_profile(db, athlete_id)
    rules = load_rules() if interval is None else load_rules().with_interval(interval)

    def now() -> datetime:
        return datetime.fromisoformat(now_text).astimezone(UTC) if now_text else datetime.now(UTC)

    first = reminder_tick(db, athlete_id, now(), rules)
    schedule = first.schedule
    if schedule is None:
        raise fail("no work hours in your profile: gluteguard athlete set --work-hours 09:00-17:00")
    # The loop keeps the state in memory from here on; a one-off look prompts now if a break is due (cron-like use).
    current = first.state if once else replace(first.state, started_at=now())
    console.print(Text(f"Break reminders every {int(rules.interval.total_seconds() // 60)} min in work hours "
                       f"({profile.work_start}–{profile.work_end}); Ctrl+C stops."))  # fmt: skip
    while True:
        result = step(current, now(), Event.TICK, schedule, rules)
        current = result.state
        for action in result.actions:
            if isinstance(action, Prompt):
                shown = send_reminder(action.message.title, action.message.body, wait_s=wait_s)
                answer = shown.answer or (None if shown.buttons else _ask_terminal(wait_s))
                if answer:
                    answered = step(current, now(), Event(answer), schedule, rules)
                    current = answered.state
                    for record in answered.actions:
                        if isinstance(record, Record):
                            entry = record_break(db, athlete_id, record.log)
                            console.print(Text(f"  logged: {entry['outcome']}"))
        if once:
            return
        wake = result.wake_at
        pause = NAP_S if wake is None else min(NAP_S, max(1.0, (wake - now()).total_seconds()))
        clock.sleep(pause)


def remind_command(
    ctx: typer.Context,
    interval: Annotated[
        int | None, typer.Option(help="Minutes between reminders (default 30).", min=5, max=240)
    ] = None,
    done: Annotated[bool, typer.Option("--done", help="Log a break taken now and exit.")] = False,
    snooze: Annotated[bool, typer.Option("--snooze", help="Snooze the next reminder and exit.")] = False,
    once: Annotated[bool, typer.Option("--once", help="Remind now if a break is due, then exit.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Can desktop notifications be shown here?")] = False,
    install_service: Annotated[
        bool, typer.Option("--install-service", help="Run reminders as a user service (systemd/launchd).")
    ] = False,
    remove_service: Annotated[bool, typer.Option("--remove-service", help="Remove that user service.")] = False,
    wait_s: Annotated[float, typer.Option(help="Seconds to wait for an answer to a reminder.")] = 120.0,
    now: Annotated[str | None, typer.Option(hidden=True, help="Pretend it is this time (ISO 8601, for tests).")] = None,
) -> None:
    """Break reminders during work hours, with a short move from the exercise library; quiet outside them."""
    from gluteguard.services.sitting import record_break
    from gluteguard.sitting.model import BreakLog

    app_state = state(ctx)
    if check:
        from gluteguard.sitting.notify import check_service

        ok, detail = check_service()
        console.print(Text(detail))
        raise typer.Exit(0 if ok else 1)
    if install_service or remove_service:
        from gluteguard.cli.user_service import ServiceError
        from gluteguard.cli.user_service import install_service as install
        from gluteguard.cli.user_service import remove_service as remove

        try:
            done_result = install(db=app_state.db_option, run=True) if install_service else remove(run=True)
        except ServiceError as exc:
            raise fail(str(exc)) from None
        console.print(Text(f"{'installed' if install_service else 'removed'}: {done_result.path}"))
        for failure in done_result.failures:
            console.print(Text(f"could not run: {failure}", style="yellow"))
        return
    if done or snooze:
        at = datetime.fromisoformat(now).astimezone(UTC) if now else datetime.now(UTC)
        entry = record_break(app_state.db, app_state.athlete_id, BreakLog(at, "done" if done else "snoozed"))
        console.print(Text(f"logged: {entry['outcome']}" + (" (and today's sitting-breaks plan item)"
                                                             if entry.get("plan_item") else "")))  # fmt: skip
        return
    try:
        _run_loop(app_state, interval, once, now, wait_s if not once else min(wait_s, 5.0))
    except KeyboardInterrupt:
        console.print("reminders stopped")
