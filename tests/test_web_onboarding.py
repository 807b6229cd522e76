"""The first five minutes in a real browser (Debian's Chromium), at phone and desk width: from an empty database,
Today points to the setup; the welcome page walks through the profile, an import of a real FIT file and the first
check-in to a plan with runs; the steps tick off and Today stops asking. No element is wider than the screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gluteguard.store.db import Database
from web_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, chromium_missing_reason, screenshot_path, serve

pytestmark = pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or "")
REAL_RUN = "fit/thomaschampagne-elevate-specs/running/bloemendaal.fit"


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def empty_site(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    Database(url).dispose()
    with serve(url) as base:
        yield base


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    wider = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
        " document.documentElement.clientWidth + 1 && !e.closest('.table-wrap, .more-table-wrap')).length"
    )
    assert wider == 0, f"{wider} elements wider than the screen on {page.url}"


def test_from_an_empty_database_to_a_plan(empty_site: str, viewport: str, shared_data: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORTS[viewport], base_url=empty_site).new_page()
        page.set_default_timeout(30_000)
        page.goto("/")
        card = page.locator(".setup-card")
        assert "0 of 4 steps done" in card.inner_text()
        _fits(page)
        card.get_by_role("link", name="Start here").click()
        page.wait_for_url(re.compile(r"/welcome$"))
        _fits(page)
        page.locator("#guide-strava summary").click()  # the export guide opens, with a picture per step
        assert page.locator("#guide-strava svg.guide-screen").count() >= 4
        _fits(page)
        page.screenshot(path=str(screenshot_path(f"onboarding-welcome-{viewport}")), full_page=True)

        # 1. About you.
        page.get_by_role("link", name="Fill in your profile").click()
        page.get_by_label("Year of birth").fill("1985")
        for day in ("Tue", "Thu", "Sat"):
            page.locator(f"input[name='running_days'][value='{day.lower()}']").check()
        with page.expect_navigation():  # the form's answer, before leaving the page (else the POST may be cut)
            page.get_by_role("button", name="Save profile").click()
        page.goto("/welcome")
        assert "1 of 4 done" in page.locator("main").inner_text()

        # 2. Your runs: a real FIT file through the welcome page's own form.
        page.set_input_files("#welcome-files", str(shared_data / REAL_RUN))
        page.locator("#import form button[type=submit]").click()
        page.wait_for_selector("text=imported")
        page.goto("/welcome")
        assert "2 of 4 done" in page.locator("main").inner_text()

        # 3. The first check-in.
        page.get_by_role("link", name="Check in now").click()
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("Save")).first.click()
        page.goto("/welcome")
        assert "4 of 4 done" in page.locator("main").inner_text()

        # 4. The plan has runs on the runner's days; Today no longer asks to set up.
        page.get_by_role("link", name="See your week").click()
        assert page.locator(".kind-run").count() >= 1, page.locator("main").inner_text()[:3000]
        page.goto("/")
        assert page.locator(".setup-card").count() == 0
        _fits(page)
        browser.close()
