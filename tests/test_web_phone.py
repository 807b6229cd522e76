"""Phone-width pages (390 px) in Debian's Chromium: tables that would scroll sideways become one card per row, and
their controls are on the screen — the duplicate review's Keep/Drop, the plan's four-week outline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.importer import import_paths
from gluteguard.store.db import Database
from web_server import CHROMIUM, CHROMIUM_ARGS, chromium_missing_reason, screenshot_path, serve

pytestmark = pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or "")
GPX_RUN = "gpx/corriporai-runpandas/gpx/garmin_connect.gpx"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def site_with_a_duplicate(tmp_path: Path, shared_data: Path) -> Iterator[str]:
    """The same run twice: the file as recorded and a copy with one more line break (other bytes, same run)."""
    folder = tmp_path / "runs"
    folder.mkdir()
    original = (shared_data / GPX_RUN).read_bytes()
    (folder / "watch.gpx").write_bytes(original)
    (folder / "phone.gpx").write_bytes(original + b"\n")
    url = f"sqlite:///{tmp_path / 'dup.sqlite'}"
    database = Database(url)
    summary = import_paths(database, ensure_athlete(database), [folder], workers=1)
    assert summary.as_json()["possible_duplicates"] == 1
    database.dispose()
    with serve(url) as base:
        yield base


def _inside(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.clientWidth")
    for box in (element.bounding_box() for element in page.locator(selector).all()):
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (selector, box)


def test_duplicate_review_is_a_card_with_its_buttons_on_screen(site_with_a_duplicate: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=PHONE, base_url=site_with_a_duplicate, has_touch=True).new_page()
        page.goto("/activities")
        keep = page.get_by_role("button", name="Keep both")
        drop = page.get_by_role("button", name="Drop this one")
        assert keep.is_visible() and drop.is_visible()
        _inside(page, "table.stack-on-phone button")
        assert keep.bounding_box()["height"] >= 44  # a thumb's tap target
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        page.screenshot(path=str(screenshot_path("phone-duplicates")), full_page=True)
        drop.click()
        page.wait_for_load_state()
        assert page.get_by_role("button", name="Keep both").count() == 0
        browser.close()


def test_plan_outline_is_one_card_per_week(site_with_a_duplicate: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=PHONE, base_url=site_with_a_duplicate).new_page()
        page.goto("/plan")
        rows = page.locator("table.stack-on-phone tbody tr")
        assert rows.count() == 4
        labels = rows.first.locator("td").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        assert '"Long-run cap"' in labels  # every value carries its label on a phone (the header row is hidden)
        _inside(page, "table.stack-on-phone td")
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        browser.close()


def test_today_stops_asking_for_a_check_in_once_there_is_one(site_with_a_duplicate: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=PHONE, base_url=site_with_a_duplicate).new_page()
        page.goto("/")
        status = page.locator(".status-card")
        assert status.get_by_role("link", name="Check in", exact=True).is_visible()
        page.goto("/checkin")
        page.get_by_role("button", name="Save").first.click()
        page.goto("/")
        assert status.get_by_role("link", name="Check in", exact=True).count() == 0
        assert "Checked in today" in status.inner_text()
        browser.close()


def test_stride_page_refusal_is_an_alert_and_its_choices_are_thumb_sized(
    site_with_a_duplicate: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    wrong = tmp_path / "notes.mp4"  # a text file renamed: refused by its first bytes, before any analysis
    wrong.write_text("this is a shopping list, not a video\n", encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=PHONE, base_url=site_with_a_duplicate, has_touch=True).new_page()
        page.goto("/stride")
        for label in page.locator("label.more-radio").all():
            assert label.bounding_box()["height"] >= 44
        page.set_input_files("#stride-file", str(wrong))
        page.get_by_role("button", name="Analyse").click()
        alert = page.locator("[data-upload-error]")
        alert.wait_for(timeout=30_000)
        assert alert.get_attribute("role") == "alert" and alert.inner_text().startswith("Not analysed:")
        assert "notes.mp4" in alert.inner_text()  # the reason names the file
        assert page.locator("[data-progress]").is_hidden()
        browser.close()


def test_running_dynamics_notes_say_which_runs_they_are_about() -> None:
    from datetime import date

    from gluteguard.gait.dynamics import DynamicsNote, RunDynamics
    from gluteguard.web.pages.stride import _note_when

    runs = [
        RunDynamics(activity_id=i, day=date(2018, 3, d), running_samples=600) for i, d in ((1, 4), (2, 11), (3, 18))
    ]
    assert _note_when(DynamicsNote("balance_fair", "info", "m", "s", (2,)), runs) == "Run of 11 Mar 2018"
    trend = DynamicsNote("balance_trend", "watch", "m", "s", (1, 2, 3))
    assert _note_when(trend, runs) == "Runs from 04 Mar 2018 to 18 Mar 2018"
    assert _note_when(DynamicsNote("x", "info", "m", "s", ()), runs) == ""
