"""Plain words where the runner looks: no page shows a file path, a section sign or a snake_case code (the About
page, which lists the sources as they are kept, and the JSON API excepted), crawled over every page linked from
Today on the demo database; and the wording helpers keep what a reader can look up."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from gluteguard.services.demo import build_demo
from gluteguard.store.db import Database
from gluteguard.web.app import create_app
from gluteguard.wording import RESEARCH_NOTES, cited, plain

TECHNICAL = re.compile(r"§|\b\w+\.md\b|\b[a-z]+_[a-z0-9_]+\b|/tmp/|/home/|\.sqlite\b")
NOT_CRAWLED = ("/about", "/api", "/static", "/docs", "/openapi", "/redoc")


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('words') / 'demo.sqlite'}"
    database = Database(url)
    build_demo(database, end_date=date(2026, 11, 22), workers=2)
    database.dispose()
    app = create_app(url, allowed_hosts=("testserver",))
    with TestClient(app) as client:
        yield client
    app.state.db.dispose()


def _visible_text(page: str) -> str:
    document = lxml_html.fromstring(page)
    for hidden in document.xpath("//script|//style|//noscript|//template"):
        hidden.drop_tree()
    return " ".join(document.text_content().split())


def test_no_page_shows_a_file_path_a_section_sign_or_a_code(demo_client: TestClient) -> None:
    seen: set[str] = set()
    todo = ["/", "/plan/explain", "/stride", "/import", "/sitting", "/profile", "/checkin", "/load", "/activities"]
    problems: list[str] = []
    while todo and len(seen) < 80:
        path = todo.pop(0)
        if path in seen or path.startswith(NOT_CRAWLED):
            continue
        seen.add(path)
        answer = demo_client.get(path)
        if answer.status_code != 200 or "text/html" not in answer.headers.get("content-type", ""):
            continue
        text = _visible_text(answer.text)
        for found in TECHNICAL.finditer(text):
            problems.append(f"{path}: …{text[max(0, found.start() - 60) : found.end() + 30]}…")
        for link in lxml_html.fromstring(answer.text).xpath("//a/@href"):
            bare = link.split("#")[0]
            if bare.startswith("/") and not bare.startswith("//") and ".ics" not in bare and "/print" not in bare:
                todo.append(bare)
    assert len(seen) >= 20, sorted(seen)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize(
    ("kept", "shown"),
    [
        ("clinical.md §5.2 (pre-requisite: pain-free brisk walking; AOPT return-to-running program [S]); clinical.md"
         " §5.1 (pain-monitoring model)", "pre-requisite: pain-free brisk walking; AOPT return-to-running program;"
         " pain-monitoring model"),
        ("Dingenen et al. 2018, Phys Ther Sport 33:40: CPD SDD 2.7–2.8° (upper value used)",
         "Dingenen et al. 2018, Phys Ther Sport 33:40: CPD SDD 2.7–2.8° (upper value used)"),
        ("Young et al. 2023, Sensors 23:696 (gait.md §1.4): ICC > 0.75",
         "Young et al. 2023, Sensors 23:696: ICC > 0.75"),
        ("gait.md §3.5 gives an SDD only for lateral trunk lean", "Our research summary gives an SDD only for lateral"
         " trunk lean"),
        ("clinical.md §5.1 rules 3–4", RESEARCH_NOTES),
        ("clinical.md §7 (warm-up row)", f"{RESEARCH_NOTES}: warm-up"),
        ("", ""),
    ],
)  # fmt: skip
def test_sources_keep_what_a_reader_can_look_up(kept: str, shown: str) -> None:
    assert cited(kept) == shown


def test_reasons_lose_their_trailing_reference() -> None:
    reason = "no positions that cross the midline or compress the tendon (clinical.md §1.3, §7)"
    assert plain(reason) == "no positions that cross the midline or compress the tendon"
    assert plain("a sentence without any reference.") == "a sentence without any reference."


def test_the_command_line_speaks_plainly_too(demo_client: TestClient, tmp_path_factory: pytest.TempPathFactory) -> None:
    from typer.testing import CliRunner

    from gluteguard.cli.app import app

    url = str(demo_client.app.state.db.url)
    shown = "".join(
        CliRunner().invoke(app, ["--db", url, *command], terminal_width=200).output
        for command in (["today"], ["plan"], ["load"], ["status"], ["plan", "--explain"])
    )
    assert "Source" in shown or "source" in shown
    found = re.findall(r"§|\b(?:clinical|load|gait|parsers)\.md\b", shown)
    assert not found, found
