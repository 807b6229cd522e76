"""The week's plan as an iCalendar file and as Markdown (pure: a plan dict in, text or bytes out)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event


def _is_session(item: dict) -> bool:
    """Runs and the weekly strength sessions get calendar events; the daily extras stay in the description."""
    return item["kind"] == "run" or (item["kind"] == "strength" and item["id"].endswith("-strength"))


def _routine_lines(item: dict) -> list[str]:
    return [f"- {e.get('name', e['id'])}: {e['dosage']}" for e in item.get("exercises", [])]


def _describe(item: dict, same_day: list[dict]) -> str:
    lines = [item["details"], *_routine_lines(item)]
    if item["kind"] == "run":  # the run's routine: warm-up before, stretch after, from the same day
        for extra in same_day:
            if extra["kind"] in ("warmup", "stretch"):
                lines += ["", extra["title"] + ":", *_routine_lines(extra)]
    if item.get("workout_file"):
        lines += ["", f"Watch workout: {item['workout_file']} (written by `gluteguard plan --fit DIR`)"]
    lines += ["", f"Why: {item['why']}", f"Source: {item['source']}"]
    return "\n".join(lines)


# Every export carries a higher SEQUENCE than the one before (minutes since this epoch), so a calendar applies the
# latest word on an event: a run cancelled in one export and back in a later one comes back.
_SEQUENCE_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def plan_to_ics(plan: dict, stamp: datetime) -> bytes:
    """One all-day event per run and strength session. UIDs are the item ids, so importing a newer export of
    the same week updates the events instead of adding copies; a usual run day without a run carries that run's
    UID as a cancelled event."""
    sequence = max(0, int((stamp - _SEQUENCE_EPOCH).total_seconds() // 60))
    calendar = Calendar()
    calendar.add("prodid", "-//gluteguard//plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"gluteguard plan, week of {plan['week_of']}")
    for day in plan["days"]:
        on = date.fromisoformat(day["date"])
        for item in filter(_is_session, day["items"]):
            event = Event()
            event.add("uid", f"{item['id']}@gluteguard")
            event.add("dtstamp", stamp)
            event.add("sequence", sequence)
            event.add("dtstart", on)
            event.add("dtend", on + timedelta(days=1))
            cap = item.get("distance_cap_m")
            event.add("summary", item["title"] + (f" (≤ {cap / 1000:.1f} km)" if cap else ""))
            event.add("description", _describe(item, day["items"]))
            event.add("categories", ["gluteguard", item["kind"]])
            event.add("transp", "TRANSPARENT")  # a plan item does not make the runner busy
            calendar.add_component(event)
        # A run or strength session an earlier export put on this day and the day no longer has: the same UID,
        # cancelled, so importing this file takes it out of the calendar.
        for session_id in day.get("cancelled", []):
            event = Event()
            event.add("uid", f"{session_id}@gluteguard")
            event.add("dtstamp", stamp)
            event.add("dtstart", on)
            event.add("dtend", on + timedelta(days=1))
            event.add("status", "CANCELLED")
            event.add("sequence", sequence)
            event.add("summary", "No run (gluteguard)" if "-run-" in session_id else "No strength session (gluteguard)")
            why = [f"- {reason['message']}" for reason in day.get("reasons", [])]
            event.add("description", "\n".join([day.get("headline") or "The plan has no run on this day.", "", *why]))
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
    return calendar.to_ical()


def plan_to_markdown(plan: dict) -> str:
    """The week for reading or printing: each day's items with their routine, why and source, then the outline."""
    out = [
        f"# Plan for the week of {plan['week_of']}",
        "",
        f"**Phase: {plan['phase']}.** {plan['phase_why']}",
        f"*Source: {plan['phase_source']}*",
        "",
    ]
    if plan.get("stage"):
        step = f", walk/run ladder step {plan['ladder_step']}" if plan.get("ladder_step") else ""
        out += [f"Strength stage {plan['stage']}{step}. {plan.get('progress_why', '')}".rstrip(), ""]
    out += [f"> {notice['message']}" for notice in plan.get("orders", [])]  # a coach's or physio's orders
    out += [""] if plan.get("orders") else []
    for day in plan["days"]:
        out += [f"## {date.fromisoformat(day['date']).strftime('%A %d %B')}", ""]
        for item in day["items"]:
            cap = item.get("distance_cap_m")
            title = item["title"] + (f" (at most {cap / 1000:.1f} km)" if cap else "")
            out += [f"- [ ] **{title}** — {item['details']} `{item['id']}`"]
            out += [f"  {line}" for line in _routine_lines(item)]
            out += [f"  - *Why:* {item['why']}", f"  - *Source:* {item['source']}"]
        out.append("")
    if plan.get("outline"):
        out += ["## The next four weeks (if every week stays green: a ceiling, not a target)", ""]
        out += ["| week of | phase | strength stage | long-run cap | ladder step | focus |", "|---" * 6 + "|"]
        for week in plan["outline"]:
            cap = f"{week['long_run_cap_m'] / 1000:.1f} km" if week.get("long_run_cap_m") else "—"
            out.append(
                f"| {week['week_of']} | {week['phase']} | {week.get('stage') or '—'} | {cap} | "
                f"{week.get('ladder_step') or '—'} | {week['focus']} |"
            )
        out += ["", f"*Source: {plan['outline'][0]['source']}*", ""]
    out += ["This plan is information, not a diagnosis or treatment; a red flag overrides it: get seen.", ""]
    return "\n".join(out)
