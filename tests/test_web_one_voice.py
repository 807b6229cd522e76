"""In the browser at phone size: a red check-in made today on the Check-in page takes every later run of the week
off the Plan page and out of the calendar file, and the Today page says no running; a clearance form appears for a
warning sign that holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from gluteguard.services.athletes import ensure_athlete, local_today, update_profile
from gluteguard.services.checkins import save_checkin
from gluteguard.store.db import Database
from gluteguard.store.models import Activity
from web_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, chromium_missing_reason, screenshot_path, serve

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _runner(db: Database) -> date:
    """Five green weeks of runs on every day, up to yesterday; returns today."""
    athlete = ensure_athlete(db)
    update_profile(db, athlete, {"timezone": "UTC", "running_days": EVERY_DAY, "long_run_day": "sun"})
    today = local_today(db, athlete)
    with db.session() as session:
        for offset in range(35, 0, -1):
            day = today - timedelta(days=offset)
            start = datetime.combine(day, time(7), tzinfo=UTC)
            session.add(Activity(athlete_id=athlete, start_utc=start, end_utc=start + timedelta(minutes=40),
                                 utc_offset_s=0, sport="run", elapsed_s=2400.0, moving_s=2400.0, distance_m=6000.0,
                                 n_samples=0, created_at=datetime.now(UTC)))  # fmt: skip
    for offset in range(35, 0, -1):
        day = today - timedelta(days=offset)
        save_checkin(db, athlete, {"date": day.isoformat(), "pain_during_run": 1, "pain_next_morning": 0})
    return today


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, date]]:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    url = f"sqlite:///{tmp_path_factory.mktemp('voice-web') / 'runner.sqlite'}"
    database = Database(url)
    today = _runner(database)
    database.dispose()
    with serve(url) as base:
        yield base, today


def _runs_per_day(page) -> dict[str, int]:
    days = page.locator("section.day")
    return {
        days.nth(i).get_attribute("aria-labelledby")[4:]: days.nth(i).locator(".item.kind-run").count()
        for i in range(days.count())
    }


def test_a_red_check_in_takes_the_later_runs_off_the_plan_and_the_calendar(server, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, today = server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORTS["phone"], base_url=base, accept_downloads=True)
        tab = context.new_page()
        tab.set_default_timeout(20_000)
        try:
            tab.goto("/plan")
            before = _runs_per_day(tab)
            assert before[today.isoformat()] == 1  # a run every day before the check-in
            tab.goto("/checkin")
            tab.locator("label.toggle:has(input[name='ran'][value='no'])").click()
            slider = tab.locator("#pain_at_rest")
            slider.focus()
            tab.keyboard.press("Home")
            for _ in range(7):
                tab.keyboard.press("ArrowRight")
            tab.get_by_role("button", name="Save check-in").click()
            tab.wait_for_url("**/checkin/warning-signs")  # pain of 7/10 asks every warning-sign question next
            tab.locator("[data-flags-submit]").click()  # none of them
            assert tab.locator("#result [data-status]").get_attribute("data-status") == "red"
            tab.goto("/plan")
            after = _runs_per_day(tab)
            for day, runs in after.items():
                assert runs == (before[day] if day < today.isoformat() else 0), (day, runs)
            later = tab.locator(f"#day-{today.isoformat()} ~ [data-no-running]")
            assert later.count() >= 1
            screenshot = screenshot_path("plan-after-red-checkin-phone")
            tab.screenshot(path=str(screenshot), full_page=True)
            with tab.expect_download() as info:
                tab.get_by_role("link", name="Add to calendar (.ics)").click()
            ics = tmp_path / "week.ics"
            info.value.save_as(str(ics))
            events = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
            live_runs = [
                e.decoded("dtstart") for e in events if "-run-" in str(e["uid"]) and e.get("status") != "CANCELLED"
            ]
            assert all(day < today for day in live_runs)
            cancelled = {
                e.decoded("dtstart") for e in events if e.get("status") == "CANCELLED" and "-run-" in str(e["uid"])
            }
            monday = today - timedelta(days=today.weekday())
            assert cancelled == {monday + timedelta(days=k) for k in range(today.weekday(), 7)}
            tab.goto("/")
            assert tab.locator("[data-no-running]").first.is_visible()
            assert tab.locator("[data-next-run='none']").inner_text() == "No running today."
            tab.screenshot(path=str(screenshot_path("today-after-red-checkin-phone")), full_page=True)
            # next week stays without runs until a check-in says the hip settled
            tab.goto(f"/plan?week_of={(monday + timedelta(days=7)).isoformat()}")
            assert sum(_runs_per_day(tab).values()) == 0
        finally:
            context.close()
            browser.close()
