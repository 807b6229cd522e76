"""The shared server in a real browser at phone width: a physio invites an athlete, the athlete accepts and checks
in with a warning sign, the physio's roster puts them first, the physio records a clearance, and the athlete's own
Today and plan change. Screenshots of each step land in test-artifacts/screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from gluteguard.services import accounts
from gluteguard.store.db import Database
from web_server import CHROMIUM, CHROMIUM_ARGS, chromium_missing_reason, screenshot_path, serve

PASSWORD = "correct horse battery"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def clinic(pg_url: str) -> Iterator[str]:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    db = Database(pg_url)
    accounts.create_user(db, "anna", PASSWORD, "athlete", display_name="Anna Berg", timezone="UTC")
    accounts.create_user(db, "ben", PASSWORD, "athlete", display_name="Ben Okafor", timezone="UTC")
    accounts.create_user(db, "cleo", PASSWORD, "clinician", display_name="Cleo Physio")
    # Ben joined the roster earlier (through the same service the pages use) and has not checked in.
    cleo = accounts.authenticate(db, "cleo", PASSWORD, "127.0.0.1").principal
    ben = accounts.authenticate(db, "ben", PASSWORD, "127.0.0.1").principal
    accounts.accept_invite(db, ben, accounts.create_invite(db, cleo)[0])
    db.dispose()
    with serve(pg_url, multi_user=True) as base:
        yield base


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.wait_for_url("**/login**")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(screenshot_path(f"clinic-{name}-390")), full_page=True)


def _wider_than_the_screen(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
        " document.documentElement.clientWidth + 1).map(e => e.tagName + '.' + e.className)"
    )


def test_invite_accept_red_roster_clearance_at_phone_width(clinic: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        physio = browser.new_context(viewport=PHONE, base_url=clinic, has_touch=True).new_page()
        athlete = browser.new_context(viewport=PHONE, base_url=clinic, has_touch=True).new_page()
        for page in (physio, athlete):
            page.set_default_timeout(20_000)

        _login(physio, "cleo")
        physio.wait_for_url("**/roster")
        physio.get_by_role("button", name="Make an invitation code").click()
        code = physio.locator(".code").inner_text().strip()
        assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code)
        _shot(physio, "invite-code")

        _login(athlete, "anna")
        athlete.wait_for_url(re.compile(r".*/$"))
        athlete.goto("/account")
        athlete.get_by_label("A code from your coach or physio").fill(code)
        athlete.get_by_role("button", name="Share my data with them").click()
        assert "Cleo Physio" in athlete.locator("#team-heading + ul").inner_text()
        _shot(athlete, "account-shared")
        assert _wider_than_the_screen(athlete) == []

        # a check-in with a limp: a warning sign that holds running until a clinician clears it
        athlete.goto("/checkin")
        athlete.get_by_role("button", name="Save check-in").click()
        athlete.wait_for_url("**/checkin/warning-signs")
        athlete.locator("input[name='red_flags'][value='limp']").check()
        athlete.locator("[data-flags-submit]").click()
        athlete.goto("/")
        assert "until a clinician has cleared you" in athlete.locator("[data-no-running]").locator("..").inner_text()
        athlete.goto("/plan")
        assert "Phase: blocked" in athlete.locator("main").inner_text()

        physio.goto("/roster")
        entries = physio.locator(".roster-entry")
        assert entries.count() == 2
        first = entries.nth(0).inner_text()
        assert "Anna Berg" in first and "Warning sign" in first  # the one who needs the physio comes first
        assert "Ben Okafor" in entries.nth(1).inner_text() and "Has not checked in yet" in entries.nth(1).inner_text()
        _shot(physio, "roster")
        assert _wider_than_the_screen(physio) == []

        physio.get_by_role("button", name="Open Anna Berg").click()
        assert "You are looking at Anna Berg" in physio.locator(".viewing").inner_text()
        assert physio.locator("#clear-by").input_value() == "Cleo Physio"
        _shot(physio, "athlete-today")
        physio.get_by_role("button", name="Record the clearance").click()
        physio.wait_for_url("**saved=cleared**")

        athlete.goto("/")
        # The hold is lifted for her too (whether today is one of her running days or not: the test runs any day).
        assert athlete.locator("[data-no-running]").count() == 0
        assert "until a clinician has cleared you" not in athlete.locator("main").inner_text()
        athlete.goto("/plan")
        assert "Phase: blocked" not in athlete.locator("main").inner_text()
        athlete.goto("/account")
        log = athlete.locator(".audit").inner_text()
        assert "Cleo Physio changed your clearances" in log and "Cleo Physio looked at your Today page" in log
        _shot(athlete, "audit-log")

        # issue 17's orders: the physio's view offers no Done/Skip (the athlete's to press); on Notes and orders the
        # physio writes a note, holds the strength stage and leaves an exercise out, and her plan says so by name
        physio.goto("/")
        assert physio.locator("form[action='/plan/log']").count() == 0
        athlete.goto("/")
        assert athlete.locator("form[action='/plan/log']").count() > 0
        left_out = (athlete.locator(".exercises strong").first.text_content() or "").strip()  # inside closed details
        physio.get_by_role("link", name="Notes & orders").click()
        physio.get_by_label("New note").fill("Tender over the side of the left hip; recheck in two weeks.")
        physio.get_by_role("button", name="Save the note").click()
        physio.wait_for_url("**saved=note**")
        physio.get_by_label("Reason (optional, the athlete sees it)").fill("until I see you on Friday")
        physio.get_by_role("button", name="Save the order").click()  # the first choice: hold the stage
        physio.wait_for_url("**saved=order**")
        physio.locator("input[name='kind'][value='exclude_exercise']").check()
        physio.get_by_label("Exercise", exact=True).select_option(label=left_out)
        physio.get_by_role("button", name="Save the order").click()
        physio.wait_for_url("**saved=order**")
        orders = physio.locator("#orders").inner_text()
        assert "Held at stage" in orders and f"{left_out} left out by Cleo Physio" in orders
        _shot(physio, "care")
        assert _wider_than_the_screen(physio) == []

        athlete.goto("/plan")
        plan = athlete.locator("#orders").inner_text()
        assert "by Cleo Physio" in plan and "until I see you on Friday" in plan and left_out in plan
        assert "Tender over the side" not in athlete.content()  # the note is the physio's own record
        _shot(athlete, "plan-orders")
        assert _wider_than_the_screen(athlete) == []
        athlete.goto("/account")
        log = athlete.locator(".audit").inner_text()
        assert "Cleo Physio held your strength stage at" in log
        assert f"Cleo Physio left {left_out} out of your plan" in log
        browser.close()
