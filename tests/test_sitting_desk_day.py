"""An active desk day as a desk worker lives it (issue 16, item 9): a watch that stood every hour and walked
5 minutes every 30 minutes of work must read as a seated day with many breaks, not as "you didn't sit"; a day with
no data must read as "no watch data", never as sitting; a watch taken off for the afternoon leaves those minutes
unknown, said once."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.ingest.wearable import StandHour, StepSample, WearableData
from gluteguard.reports.sitting_chart import render_sitting_chart
from gluteguard.services.athletes import ensure_athlete, update_profile
from gluteguard.services.wearables import store_wearable_rows
from gluteguard.sitting.day import JSON_KEYS, sitting_day
from gluteguard.store.db import Database

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 24)  # a Tuesday
EIGHT_TO_FIVE = (time(8), time(17))
CADENCE = 100  # steps per minute of an easy walk to the coffee machine
TECHNICAL = re.compile(r"§|\b\w+\.md\b|\b[a-z]+_[a-z0-9_]+\b")
runner = CliRunner()


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def burst_starts(first_hour: int = 8, last_hour: int = 17) -> list[datetime]:
    """Sit 25 min, walk 5 min, from work start: walks at :25 and :55 of every work hour."""
    return [at(h, m) for h in range(first_hour, last_hour) for m in (25, 55)]


def apple_watch_day(until_hour: int = 17) -> tuple[list[StepSample], list[StandHour]]:
    """What an Apple Health export holds for that day: step samples only while walking (Apple writes no zero-step
    samples), a few incidental steps at the desk, an iPhone counting some of the same walks, and a stand hour
    record ("stood") for every hour the watch was on."""
    steps: list[StepSample] = []
    for start in burst_starts(last_hour=until_hour):
        # The watch splits a walk into short samples.
        for part in range(2):
            a = start + timedelta(seconds=150 * part)
            steps.append(StepSample(a, a + timedelta(seconds=150), 2.5 * CADENCE, "Jane's Apple Watch"))
    for start in burst_starts(last_hour=until_hour)[::4]:
        steps.append(StepSample(start, start + timedelta(minutes=5), 5 * CADENCE - 20, "Jane's iPhone"))
    # Reaching for a file: a handful of steps is still a seated minute.
    steps.append(StepSample(at(10, 10), at(10, 11), 6, "Jane's Apple Watch"))
    stands = [StandHour(at(h), True, "Jane's Apple Watch") for h in range(8, until_hour)]
    return steps, stands


# ---------------------------------------------------------------------------------------------------------------
# The core (pure)
# ---------------------------------------------------------------------------------------------------------------


def test_an_active_desk_day_reads_as_a_seated_day_with_breaks() -> None:
    steps, stands = apple_watch_day()
    day = sitting_day(DAY, BERLIN, EIGHT_TO_FIVE, steps, stands)
    bursts = len(burst_starts())  # 18 walks in 9 work hours
    assert day.source == "wearable"
    assert day.work_minutes == 540
    assert day.breaks == bursts
    assert day.moving_min == 5 * bursts
    assert day.worn_minutes == 540 and day.unknown_min == 0
    assert day.sitting_min == 540 - 5 * bursts  # 450 min: every still minute with the watch on
    assert day.longest_bout_min == 25
    assert day.active_hours == 9
    # The uncertainty is one plain sentence, said once (not also among the notes).
    assert day.uncertainty is not None
    assert "still minute with the watch on counts as sitting" in day.uncertainty
    assert day.uncertainty.count(".") == 1
    assert not any("sitting" in note.lower() for note in day.notes)
    assert not TECHNICAL.search(day.uncertainty)
    out = day.as_json()
    assert list(out)[:6] == list(JSON_KEYS)
    assert out["uncertainty"] == day.uncertainty and out["worn_minutes"] == 540


def test_a_day_without_any_data_is_no_data_not_zero_sitting() -> None:
    day = sitting_day(DAY, BERLIN, EIGHT_TO_FIVE)
    assert day.source == "none"
    assert day.sitting_min is None and day.breaks is None and day.longest_bout_min is None
    assert day.worn_minutes == 0 and day.unknown_min == 540
    assert any("No watch data for this day" in note for note in day.notes)


def test_watch_off_for_the_afternoon_leaves_it_unknown_said_once() -> None:
    steps, stands = apple_watch_day(until_hour=12)  # the watch came off at 12:00 (charging)
    day = sitting_day(DAY, BERLIN, EIGHT_TO_FIVE, steps, stands)
    bursts = len(burst_starts(last_hour=12))  # 8 walks in the morning
    assert day.breaks == bursts
    assert day.worn_minutes == 240 and day.unknown_min == 300
    assert day.sitting_min == 240 - 5 * bursts
    assert day.longest_bout_min == 25
    assert day.uncertainty is not None
    assert "12:00–17:00" in day.uncertainty and "not counted as sitting" in day.uncertainty
    said = [day.uncertainty, *day.notes]
    assert sum("12:00–17:00" in line for line in said) == 1
    assert not any("unknown" in line.lower() for line in said)


def test_short_gaps_between_watch_samples_are_worn_but_a_phone_on_the_desk_is_not() -> None:
    # No stand hours (say an export of steps only): the watch's own walks 25 min apart show it was on between them.
    walks = [StepSample(s, s + timedelta(minutes=5), 5 * CADENCE, "Apple Watch") for s in burst_starts()]
    day = sitting_day(DAY, BERLIN, EIGHT_TO_FIVE, walks)
    # 08:00–08:25 nobody saw (no sample before the first walk): unknown, yet still work time before a burst.
    assert day.breaks == 18 and day.longest_bout_min == 25
    assert day.sitting_min == 17 * 25 and day.unknown_min == 25
    assert day.uncertainty is not None and "08:00–08:25 (25 min)" in day.uncertainty
    # The same walks counted by a phone only: a phone lies on the desk while its owner walks away, so the minutes
    # between its samples stay unknown.
    phone = [StepSample(s.start, s.end, s.steps, "iPhone") for s in walks]
    carried = sitting_day(DAY, BERLIN, EIGHT_TO_FIVE, phone)
    assert carried.sitting_min == 0 and carried.moving_min == 90 and carried.unknown_min == 450
    # A watch that was off over lunch for more than the bridging limit leaves that gap unknown.
    lunch = [s for s in walks if not at(11, 30) <= s.start < at(13, 30)]
    off = sitting_day(DAY, BERLIN, EIGHT_TO_FIVE, lunch)
    assert off.unknown_min > day.unknown_min


# ---------------------------------------------------------------------------------------------------------------
# The chart
# ---------------------------------------------------------------------------------------------------------------


def _bar_values(page: str, name: str) -> list[float | None]:
    """The y values of one named plotly trace in the chart's HTML."""
    found = re.search(r'"name":"' + re.escape(name) + r'".*?"y":\[([^\]]*)\]', page)
    if found is None:
        found = re.search(r'"y":\[([^\]]*)\][^{}]*"name":"' + re.escape(name) + '"', page)
    assert found is not None, name
    return [None if v == "null" else float(v) for v in found.group(1).split(",") if v]


def test_an_empty_chart_says_no_data_instead_of_drawing_bars() -> None:
    empty = [sitting_day(DAY - timedelta(days=i), BERLIN, EIGHT_TO_FIVE) for i in range(3)]
    page = render_sitting_chart(empty)
    assert "No watch data for these days yet" in page and "import" in page.lower()
    assert "plotly" not in page.lower()  # nothing drawn that could read as time
    assert not TECHNICAL.search(re.sub(r"<[^>]+>", " ", page))


def test_a_chart_with_some_data_draws_no_bar_for_days_without_it() -> None:
    steps, stands = apple_watch_day()
    days = [sitting_day(DAY - timedelta(days=1), BERLIN, EIGHT_TO_FIVE), sitting_day(DAY, BERLIN, EIGHT_TO_FIVE,
                                                                                      steps, stands)]  # fmt: skip
    page = render_sitting_chart(days)
    assert _bar_values(page, "sitting (min)") == [None, 450.0]
    assert "no data (min)" not in page  # no grey bar stacked as if it were time
    assert "no watch data" in page


# ---------------------------------------------------------------------------------------------------------------
# The CLI and the page, from the store
# ---------------------------------------------------------------------------------------------------------------


def _stored_desk_day(db: Database, until_hour: int = 17) -> int:
    athlete = ensure_athlete(db)
    update_profile(db, athlete, {"timezone": "Europe/Berlin", "work_days": "mon,tue,wed,thu,fri",
                                 "work_start": "08:00", "work_end": "17:00"})  # fmt: skip
    steps, stands = apple_watch_day(until_hour)
    with db.session() as session:
        store_wearable_rows(session, athlete, WearableData("apple_health", tuple(steps), tuple(stands)))
    return athlete


def test_sitting_json_of_an_active_desk_day(sqlite_db: Database) -> None:
    _stored_desk_day(sqlite_db)
    result = runner.invoke(app, ["--db", sqlite_db.url, "sitting", "--date", DAY.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data)[:6] == list(JSON_KEYS)
    assert (data["sitting_min"], data["breaks"], data["longest_bout_min"]) == (450, 18, 25)
    assert data["worn_minutes"] == 540 and "counts as sitting" in data["uncertainty"]
    table = runner.invoke(app, ["--db", sqlite_db.url, "sitting", "--date", DAY.isoformat()])
    assert table.exit_code == 0 and "7 h 30" in table.output
    assert "counts as sitting" in table.output and "your wearable" in table.output


def test_sitting_cli_on_a_day_without_data_points_to_the_import(sqlite_db: Database) -> None:
    _stored_desk_day(sqlite_db)
    empty = DAY - timedelta(days=7)
    result = runner.invoke(app, ["--db", sqlite_db.url, "sitting", "--date", empty.isoformat()])
    assert result.exit_code == 0, result.output
    assert "No watch data for this day" in result.output and "gluteguard import" in result.output
    assert not re.search(r"\b0 min\b", result.output)
    data = json.loads(runner.invoke(app, ["--db", sqlite_db.url, "sitting", "--date", empty.isoformat(),
                                          "--json"]).output)  # fmt: skip
    assert data["source"] == "none" and data["sitting_min"] is None


@pytest.fixture
def page_client(tmp_path) -> TestClient:
    from gluteguard.web.app import create_app

    url = f"sqlite:///{tmp_path / 'desk.sqlite'}"
    database = Database(url)
    _stored_desk_day(database, until_hour=12)
    database.dispose()
    application = create_app(url, allowed_hosts=("testserver",))
    with TestClient(application) as client:
        yield client
    application.state.db.dispose()


def _text(page: str) -> str:
    from lxml import html as lxml_html

    document = lxml_html.fromstring(page)
    for hidden in document.xpath("//script|//style|//noscript|//template"):
        hidden.drop_tree()
    return " ".join(document.text_content().split())


def test_sitting_page_words(page_client: TestClient) -> None:
    answer = page_client.get("/sitting", params={"date": DAY.isoformat()})
    assert answer.status_code == 200
    text = _text(answer.text)
    assert "3 h 20" in text  # 240 worn minutes minus 8 walks of 5 min
    assert text.count("12:00–17:00") == 1 and "still minute with the watch on counts as sitting" in text
    assert not TECHNICAL.search(text), TECHNICAL.search(text)
    empty = _text(page_client.get("/sitting", params={"date": (DAY - timedelta(days=7)).isoformat()}).text)
    assert "No watch data for this day" in empty and "import a watch export" in empty
    assert not re.search(r"\b0 min\b", empty)
    chart = page_client.get("/sitting/chart", params={"until": (DAY - timedelta(days=7)).isoformat(), "days": 7})
    assert chart.status_code == 200 and "No watch data for these days yet" in chart.text
