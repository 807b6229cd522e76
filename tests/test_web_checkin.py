"""The one-minute check-in (issue 16 item 7): the daily form on one phone screen — ran or not, three pain sliders,
where it hurts, Save — with the rest folded; the warning-sign questions on their own short page when due; the
self-test and the weekly function check on their own pages. Plain ASGI tests of the routes and the "due" rules
first, then Chromium at 390 × 844 and 1280 × 800: Save in view without scrolling, a check-in in ≤ 10 taps, nothing
wider than the screen, and the axe-core audit (no serious or critical violation)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from gluteguard.services.athletes import ensure_athlete, local_today
from gluteguard.services.checkins import get_checkin, save_checkin
from gluteguard.store.db import Database
from gluteguard.symptoms.model import PAIN_LOCATIONS, RED_FLAGS
from gluteguard.web.app import create_app
from gluteguard.web.security import CSRF_COOKIE
from web_server import CHROMIUM, CHROMIUM_ARGS, chromium_missing_reason, screenshot_path, serve

PAGES = ("/checkin", "/checkin/warning-signs", "/checkin/selftest", "/checkin/function")
TECHNICAL = re.compile(r"§|\b\w+\.md\b|\b[a-z]+_[a-z0-9_]+\b")
ALL_NO = {flag: False for flag in RED_FLAGS}


# ----------------------------------------------------------------------------------------------- plain ASGI


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[tuple[TestClient, Database, int, date]]:
    """A fresh database with its athlete, the app on it, and today where the athlete lives."""
    url = f"sqlite:///{tmp_path / 'runner.sqlite'}"
    database = Database(url)
    athlete = ensure_athlete(database)
    today = local_today(database, athlete)
    with TestClient(create_app(url, allowed_hosts=("testserver",))) as client:
        client.get("/about")  # sets the CSRF cookie
        yield client, database, athlete, today
    database.dispose()


def _post(client: TestClient, path: str, data: dict) -> str:
    """POST a form with the CSRF token; the page it redirects to."""
    response = client.post(path, data={"csrf_token": client.cookies[CSRF_COOKIE], **data}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"]


def _visible_text(page: str) -> str:
    document = lxml_html.fromstring(page)
    for hidden in document.xpath("//script|//style"):
        hidden.drop_tree()
    return " ".join(document.text_content().split())


def test_every_check_in_page_renders_in_plain_words(runner) -> None:
    client, *_ = runner
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        assert 'aria-current="page"' in answer.text  # the check-in stays the highlighted tab
        assert not TECHNICAL.findall(_visible_text(answer.text)), path


def test_the_form_keeps_every_field_and_every_warning_sign(runner) -> None:
    client, *_ = runner
    page = client.get("/checkin").text
    names = set(re.findall(r'name="([a-z_]+)"', page))
    assert names >= {"ran", "pain_during_run", "pain_after_run", "pain_next_morning", "pain_at_rest", "night_pain",
                     "pain_locations", "side", "tender_on_pressing", "wakes_lying_on_side", "brisk_walk_pain_free",
                     "morning_stiffness_min", "sitting_hours", "session_rpe", "note", "red_flags"}  # fmt: skip
    assert set(re.findall(r'name="red_flags" value="([a-z_]+)"', page)) == set(RED_FLAGS)
    assert set(re.findall(r'name="pain_locations" value="([a-z_]+)"', page)) == set(PAIN_LOCATIONS)
    assert "Anything unusual?" in page  # the warning signs folded behind one control
    screen = client.get("/checkin/warning-signs").text  # grouped, so not in RED_FLAGS order: each one once
    assert sorted(re.findall(r'name="red_flags" value="([a-z_]+)"', screen)) == sorted(RED_FLAGS)


def test_first_check_in_asks_every_warning_sign_then_not_again_that_day(runner) -> None:
    client, database, athlete, today = runner
    assert _post(client, "/checkin", {"ran": "no", "pain_at_rest": "1"}) == "/checkin/warning-signs"
    assert _post(client, "/checkin/warning-signs", {"red_flags": ["limp"]}).startswith("/checkin?saved=checkin")
    stored = get_checkin(database, athlete, today)
    assert stored.screened and stored.flags_raised == ("limp",) and stored.pain_at_rest == 1  # merged, not replaced
    assert stored.red_flags == {**ALL_NO, "limp": True}
    # Changing an answer later the same day goes straight to the status.
    assert _post(client, "/checkin", {"ran": "no", "pain_at_rest": "2"}).startswith("/checkin?saved=checkin")


def test_a_script_posting_the_whole_old_form_is_saved_as_before(runner) -> None:
    """The field names are kept: the old page's full form (screen=1, every field) saves every answer at once."""
    client, database, athlete, today = runner
    form = {"ran": "yes", "pain_during_run": "3", "pain_after_run": "2", "pain_next_morning": "1", "pain_at_rest": "0",
            "night_pain": "0", "pain_locations": ["lateral_hip", "buttock"], "side": "left",
            "tender_on_pressing": ["left"], "wakes_lying_on_side": "yes", "brisk_walk_pain_free": "no",
            "morning_stiffness_min": "15", "sitting_hours": "8.5", "session_rpe": "4", "note": "stiff after lunch",
            "screen": "1", "red_flags": ["recent_big_volume_increase"]}  # fmt: skip
    assert _post(client, "/checkin", form).startswith("/checkin?saved=checkin")  # every question was on the page
    stored = get_checkin(database, athlete, today)
    assert (stored.pain_during_run, stored.pain_after_run, stored.pain_next_morning) == (3, 2, 1)
    assert stored.pain_locations == ("lateral_hip", "buttock") and stored.side == "left"
    assert stored.tender_on_pressing == ("left",) and stored.wakes_lying_on_side is True
    assert stored.brisk_walk_pain_free is False and stored.morning_stiffness_min == 15
    assert stored.sitting_hours == 8.5 and stored.session_rpe == 4 and stored.note == "stiff after lunch"
    assert stored.red_flags == {**ALL_NO, "recent_big_volume_increase": True}


def _screened(database: Database, athlete: int, day: date, **answers: object) -> None:
    save_checkin(database, athlete, {"date": day.isoformat(), "red_flags": ALL_NO, "screened": True, **answers})


@pytest.mark.parametrize(
    ("answers", "due"),
    [
        ({"ran": "no", "pain_at_rest": "1", "pain_locations": ["lateral_hip"]}, False),  # a calm day, screened lately
        ({"ran": "no", "pain_at_rest": "6"}, True),  # strong pain asks at once
        ({"ran": "no", "pain_at_rest": "1", "pain_locations": ["groin"]}, True),  # pain away from the side of the hip
        ({"ran": "no", "pain_at_rest": "1", "pain_locations": ["knee"]}, True),
        ({"ran": "no", "pain_at_rest": "1", "red_flags": ["fever_or_unwell"]}, True),  # a sign ticked in the fold
        ({"ran": "yes", "pain_during_run": "7"}, True),
    ],
)
def test_warning_signs_are_asked_on_a_trigger(runner, answers: dict, due: bool) -> None:
    client, database, athlete, today = runner
    _screened(database, athlete, today - timedelta(days=1), pain_at_rest=1)
    target = _post(client, "/checkin", answers)
    assert (target == "/checkin/warning-signs") is due, target


def test_warning_signs_are_asked_again_a_week_after_the_last_time(runner) -> None:
    client, database, athlete, today = runner
    _screened(database, athlete, today - timedelta(days=8), pain_at_rest=1)
    assert _post(client, "/checkin", {"ran": "no", "pain_at_rest": "1"}) == "/checkin/warning-signs"


def test_weekly_warning_signs_come_back_even_with_check_ins_in_between(runner) -> None:
    client, database, athlete, today = runner
    _screened(database, athlete, today - timedelta(days=10), pain_at_rest=1)
    save_checkin(database, athlete, {"date": (today - timedelta(days=1)).isoformat(), "pain_at_rest": 1})
    assert _post(client, "/checkin", {"ran": "no", "pain_at_rest": "1"}) == "/checkin/warning-signs"


def test_run_day_sliders_and_the_folded_rest(runner) -> None:
    """On a run day the first screen holds during / after / this morning; at rest and at night move to "More"."""
    client, database, athlete, today = runner
    save_checkin(database, athlete, {"date": today.isoformat(), "pain_during_run": 2, "pain_next_morning": 1})
    document = lxml_html.fromstring(client.get("/checkin").text)
    fold = document.get_element_by_id("more")
    assert fold.xpath(".//input[@id='pain_at_rest']") and fold.xpath(".//input[@id='night_pain']")
    assert not fold.xpath(".//input[@id='pain_during_run']")
    assert document.xpath("//input[@name='ran'][@value='yes']/@checked")


def test_self_test_and_function_check_have_their_own_pages(runner) -> None:
    client, *_ = runner
    page = client.get("/checkin").text
    assert 'href="/checkin/selftest"' in page
    assert 'href="/checkin/function"' in page and "due now" in page  # never done: due
    assert "form[data-stance]" not in page and 'action="/checkin/stance"' not in page
    items = ("night", "stairs", "walking", "rising", "single_leg", "running")
    target = _post(client, "/checkin/function", {**dict.fromkeys(items, "8"), "global_change": "better"})
    assert target == "/checkin/function?saved=function"
    assert "Saved: 80/100" in client.get(target).text
    assert "due now" not in client.get("/checkin").text  # done this week: no longer called due
    assert _post(client, "/checkin/stance", {"left_tested": "1", "left_seconds": "12", "left_pain": "3"}) == (
        "/checkin/selftest?saved=stance"
    )
    refused = client.post("/checkin/stance", data={"csrf_token": client.cookies[CSRF_COOKIE]})
    assert refused.status_code == 422 and "tick the side" in refused.text


def test_the_self_test_says_not_today_in_plain_words(runner) -> None:
    client, database, athlete, today = runner
    _screened(database, athlete, today, pain_at_rest=2, red_flags={**ALL_NO, "cannot_bear_weight": True})
    page = client.get("/checkin/selftest").text
    assert "Not today." in page and "cannot bear weight" in page and "cannot_bear_weight" not in page
    assert 'action="/checkin/stance"' not in page


# ----------------------------------------------------------------------------------------------- in Chromium

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The app on an empty database: the runner's first check-in (so the warning signs are due)."""
    with serve(f"sqlite:///{tmp_path / 'site.sqlite'}") as base:
        yield base


@pytest.fixture(params=["phone", "desktop"])
def tab(request: pytest.FixtureRequest, browser, site: str) -> Iterator[object]:
    size = PHONE if request.param == "phone" else DESKTOP
    context = browser.new_context(viewport=size, base_url=site, has_touch=request.param == "phone")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.viewport_name = request.param  # type: ignore[attr-defined]
    yield page
    context.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(screenshot_path(f"{name}-{page.viewport_name}-{page.viewport_size['width']}")))


def _in_first_screen(page, box: dict) -> bool:  # type: ignore[no-untyped-def]
    size = page.viewport_size
    return box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] + box["width"] <= size["width"]


def _tapper(page) -> tuple[Callable[[float, float], None], list[int]]:  # type: ignore[no-untyped-def]
    """One pointer action at a point of the screen (a touch tap on the phone, a click on the desktop), counted."""
    count = [0]

    def tap(x: float, y: float) -> None:
        assert 0 <= y <= page.viewport_size["height"], "the tap would need a scroll first"
        if page.viewport_name == "phone":
            page.touchscreen.tap(x, y)
        else:
            page.mouse.click(x, y)
        count[0] += 1

    return tap, count


def _centre(page, selector: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    box = page.locator(selector).bounding_box()
    assert box is not None and _in_first_screen(page, box), (selector, box)
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _slider_at(page, selector: str, value: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Where on the track a tap sets ``value`` (the 32 px thumb's centre runs from 16 px to width − 16 px)."""
    box = page.locator(selector).bounding_box()
    assert box is not None and _in_first_screen(page, box), (selector, box)
    return box["x"] + 16 + (box["width"] - 32) * value / 10, box["y"] + box["height"] / 2


def test_check_in_on_one_screen_in_ten_taps_or_fewer(tab) -> None:
    page = tab
    page.goto("/checkin")
    save = page.get_by_role("button", name="Save check-in")
    assert _in_first_screen(page, save.bounding_box()), save.bounding_box()
    _shot(page, "checkin-first-screen")
    tap, taps = _tapper(page)
    tap(*_centre(page, "label.toggle:has(input[name='ran'][value='yes'])"))
    for selector, value in (("#pain_during_run", 3), ("#pain_after_run", 2), ("#pain_next_morning", 1)):
        tap(*_slider_at(page, selector, value))
        assert page.locator(selector).input_value() == str(value)
    tap(*_centre(page, "label.toggle:has(input[name='pain_locations'][value='lateral_hip'])"))
    # Every place on the first screen, and Save still in view, without a scroll.
    assert page.evaluate("window.scrollY") == 0
    assert _in_first_screen(page, page.locator("label.toggle:has(input[value='lower_back'])").bounding_box())
    assert _in_first_screen(page, save.bounding_box())
    _shot(page, "checkin-filled")
    tap(*_centre(page, "button:has-text('Save check-in')"))
    page.wait_for_url("**/checkin/warning-signs")  # the first check-in: every warning sign, once
    _shot(page, "warning-signs")
    button = page.locator("[data-flags-submit]")
    assert button.inner_text() == "None of these: save"
    tap(*_centre(page, "[data-flags-submit]"))
    page.wait_for_url("**/checkin?saved=checkin*")
    assert taps[0] <= 10, taps[0]
    assert page.locator("#result [data-status]").get_attribute("data-status") == "green"
    _shot(page, "checkin-result")
    stored = page.request.get("/api/v1/checkins").json()[-1]
    assert (stored["pain_during_run"], stored["pain_after_run"], stored["pain_next_morning"]) == (3, 2, 1)
    assert stored["pain_locations"] == ["lateral_hip"] and stored["screened"]
    # At rest and at night were folded away and never touched: not answered, rather than "0".
    assert stored["pain_at_rest"] is None and stored["night_pain"] is None
    page.goto("/")
    status = page.locator(".status-card")
    assert status.get_by_role("link", name="Check in", exact=True).count() == 0  # Today stops asking
    assert "Checked in today" in status.inner_text()


def test_a_red_day_gives_one_message(tab) -> None:
    page = tab
    page.goto("/checkin")
    page.locator("#pain_at_rest").focus()
    page.keyboard.press("Home")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    page.get_by_role("button", name="Save check-in").click()
    page.wait_for_url("**/checkin/warning-signs")
    page.locator("[data-flags-submit]").click()
    result = page.locator("#result")
    assert result.locator("[data-status]").get_attribute("data-status") == "red"
    assert result.locator("[data-no-running]").inner_text().startswith("No running today")
    assert result.locator("[role='alert']").count() == 1
    text = result.inner_text()
    assert text.count("No running today") == 1  # said once, in the headline Today shows too
    assert "keep to the plan" not in text and "acceptable" not in text
    _shot(page, "checkin-red-result")


def _wider_than_the_screen(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
        " document.documentElement.clientWidth + 1).map(e => e.tagName + '.' + e.className)"
    )


def _open_every_fold(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("details").evaluate_all("folds => folds.forEach(fold => { fold.open = true; })")


def test_nothing_is_wider_than_the_screen(tab) -> None:
    page = tab
    for path in PAGES:
        page.goto(path)
        _open_every_fold(page)
        assert _wider_than_the_screen(page) == [], path
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), path
    page.goto("/checkin")
    page.locator("label.toggle:has(input[name='ran'][value='yes'])").click()
    for place in PAIN_LOCATIONS:  # a ticked chip must not grow
        page.locator(f"label.toggle:has(input[value='{place}'])").click()
    _open_every_fold(page)
    assert _wider_than_the_screen(page) == []
    _shot(page, "checkin-everything-ticked")


def test_axe_finds_no_serious_or_critical_violation(tab) -> None:
    axe_module = pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed (pip install it)"
    )
    axe = axe_module.Axe()
    page = tab
    found: dict[str, list[str]] = {}

    def audit(label: str) -> None:
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [str(node["target"]) for node in violation["nodes"]]
                found.setdefault(label, []).append(f"{violation['id']} ({violation['impact']}): {targets[:3]}")

    for path in PAGES:
        page.goto(path)
        audit(path)
        _open_every_fold(page)
        audit(f"{path}, folds open")
    page.goto("/checkin")
    page.get_by_role("button", name="Save check-in").click()
    page.wait_for_url("**/checkin/warning-signs")
    page.locator("[data-flags-submit]").click()
    page.wait_for_url("**/checkin?saved=checkin*")
    audit("/checkin with the result")
    assert found == {}
