"""Every page a runner opens passes axe-core's WCAG 2.1 AA audit with no serious or critical violation, and is no
wider than the screen, at phone and desk width, on the demo database (real browser: Debian's Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from gluteguard.services.demo import build_demo
from gluteguard.store.db import Database
from web_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, chromium_missing_reason, serve

pytestmark = pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or "")
PAGES = ("/", "/welcome", "/checkin", "/plan", "/plan/explain", "/load", "/stride", "/activities", "/import",
         "/sitting", "/profile", "/about")  # fmt: skip
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('axe') / 'demo.sqlite'}"
    database = Database(url)
    build_demo(database, end_date=date(2026, 11, 22), workers=2)
    database.dispose()
    with serve(url) as base:
        yield base


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_serious_or_critical_violation_on_any_page(demo_site: str, viewport: str) -> None:
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python missing")
    from playwright.sync_api import sync_playwright

    axe = axe_module.Axe()
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORTS[viewport], base_url=demo_site).new_page()
        for path in PAGES:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            for violation in axe.run(page, options=WCAG_AA).response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [node["target"] for node in violation["nodes"][:3]]
                    problems.append(f"{path}: {violation['id']} ({violation['impact']}) {targets}")
            # Nothing sideways either: a long source address or identifier must wrap, not widen the page.
            widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if widths[0] > widths[1]:
                problems.append(f"{path}: the page is {widths[0]} px wide on a {widths[1]} px screen")
        browser.close()
    assert not problems, "\n".join(problems)
