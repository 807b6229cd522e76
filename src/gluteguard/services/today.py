"""Today at a glance: the symptom status and any red-flag action, the plan phase, the next run's cap, load warnings,
today's plan items and yesterday's desk time — the one dict ``gluteguard today --json`` prints and the web app's
Today page shows."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from gluteguard.services.athletes import get_profile, today_in
from gluteguard.services.load import state_on
from gluteguard.services.plan import plan_for_week
from gluteguard.services.sitting import desk_note, sitting_on
from gluteguard.services.symptoms import symptom_report
from gluteguard.sitting.day import SittingError
from gluteguard.store.db import Database

SITTING_KEYS = ("date", "sitting_min", "longest_bout_min", "breaks", "active_hours", "source")


def local_today(db: Database, athlete_id: int) -> date:
    """Today's calendar day where the athlete lives (their profile's time zone)."""
    return today_in(ZoneInfo(get_profile(db, athlete_id).timezone))


def today_summary(db: Database, athlete_id: int, day: date | None = None) -> dict:
    """The day's summary (default: today where the athlete lives)."""
    day = day or local_today(db, athlete_id)
    report = symptom_report(db, athlete_id, day)
    load = state_on(db, athlete_id, day)
    plan = plan_for_week(db, athlete_id, day).as_dict()
    items = next((d["items"] for d in plan["days"] if d["date"] == day.isoformat()), [])
    result = {
        "date": day.isoformat(),
        "status": report["status"] if report else None,
        "action": report["action"] if report else None,
        "phase": plan["phase"],
        "next_run_cap_m": load.next_run_cap_m,
        "warnings": [w.__dict__ for w in load.warnings],
        "items": items,
    }
    try:  # yesterday's desk time next to today's run: context, not a verdict
        sitting = sitting_on(db, athlete_id, day - timedelta(days=1))
        result["sitting_yesterday"] = {k: v for k, v in sitting.as_json().items() if k in SITTING_KEYS}
        result["sitting_note"] = desk_note(db, athlete_id, day - timedelta(days=1), today=day)
    except SittingError:
        result["sitting_yesterday"], result["sitting_note"] = None, None
    return result
