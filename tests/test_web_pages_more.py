"""The Activities + Import, Stride and Sitting pages: ASGI tests of every route, then a real browser (Playwright
driving Debian's chromium) importing a file, analysing keypoints and showing the sitting page."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text
from gluteguard.samples.fitwriter import encode_fit
from gluteguard.samples.gait_synth import synthetic_run
from gluteguard.samples.monitoring import monitoring_file
from gluteguard.samples.runner import one_hour_synthetic_run
from gluteguard.services.activities import list_activities
from gluteguard.services.athletes import ensure_athlete, update_profile
from gluteguard.services.importer import import_paths
from gluteguard.services.jobs import JobStore
from gluteguard.services.sitting import sitting_on, todays_breaks
from gluteguard.store.db import Database
from gluteguard.web import app as web_app
from gluteguard.web.jobs import job_store as registry
from gluteguard.web.pages import activities as activities_page
from web_server import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, chromium_missing_reason, screenshot_path, serve

REAL_RUN = "thomaschampagne-elevate-specs/running/treadmill.fit"  # a watch run with running dynamics
REAL_RUN_2 = "dtcooper-python-fitparse/garmin-fenix-5-run.fit"
SITTING_DAY = date(2026, 3, 3)  # a Tuesday
PROFILE = {
    "timezone": "Europe/Berlin",
    "work_days": "mon,tue,wed,thu,fri,sat,sun",
    "work_start": "00:00",
    "work_end": "23:59",
}  # every hour is work time: a break logged now counts


def _keypoints_csv(seconds: float = 8.0) -> bytes:
    run = synthetic_run(view="rear", seconds=seconds, pelvic_drop_deg=(4.0, 8.0), noise_px=0.5, seed=3)
    return keypoints_csv_text(run).encode("utf-8")


def _seed(db_url: str, shared: Path | None) -> None:
    """A small store: two near-copies of one run (one flagged), a real watch run, a week of monitoring."""
    db = Database(db_url)
    try:
        athlete = ensure_athlete(db, "me")
        update_profile(db, athlete, PROFILE)
        folder = Path(tempfile.mkdtemp(prefix="gg-more-seed-"))
        try:
            run = one_hour_synthetic_run(7)
            (folder / "watch.fit").write_bytes(encode_fit(run, lap_distance_m=1000.0))
            (folder / "strava.fit").write_bytes(encode_fit(run, lap_distance_m=None))
            wear = monitoring_file(first_day=SITTING_DAY - timedelta(days=1), days=3, timezone=PROFILE["timezone"])
            (folder / "monitor.fit").write_bytes(wear.data)
            paths = [folder / "watch.fit", folder / "strava.fit", folder / "monitor.fit"]
            if shared is not None:
                shutil.copy(shared / "fit" / REAL_RUN, folder / "treadmill.fit")
                paths.append(folder / "treadmill.fit")
            import_paths(db, athlete, paths, workers=1)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        db.dispose()


@pytest.fixture
def client(tmp_path: Path, shared_data: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'web.sqlite'}"
    _seed(url, shared_data)
    app = web_app.create_app(url, allowed_hosts=("testserver",))
    with TestClient(app) as test_client:
        yield test_client
    app.state.db.dispose()


def _token(client: TestClient, path: str = "/import") -> str:
    """The CSRF token of a page (its cookie is now in the client)."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def _db(client: TestClient) -> tuple[Database, int]:
    state = client.app.state  # type: ignore[attr-defined]
    return state.db, ensure_athlete(state.db, "me")


# --- Activities ------------------------------------------------------------------------------------------------------


def test_list_filters_and_duplicates_to_review(client: TestClient) -> None:
    page = client.get("/activities")
    assert page.status_code == 200
    assert "Possible duplicates to review (1)" in page.text
    assert page.text.count('href="/activities/') >= 3 and "treadmill.fit" in page.text
    assert "No activities match" in client.get("/activities", params={"since": "2099-01-01"}).text
    assert "No activities match" in client.get("/activities", params={"sport": "ride"}).text
    bad = client.get("/activities", params={"since": "yesterday"})
    assert bad.status_code == 400 and "is not a date like" in bad.text
    only = client.get("/activities", params={"duplicates": "1"}).text
    assert "duplicate of #" in only and "treadmill.fit" not in only.split('id="list-title"')[1]


def test_one_activity_with_its_charts(client: TestClient) -> None:
    db, athlete = _db(client)
    run = next(r for r in list_activities(db, athlete) if (r.source_file or "").endswith("treadmill.fit"))
    page = client.get(f"/activities/{run.id}")
    assert page.status_code == 200
    assert "Plotly.newPlot" in page.text and "/assets/plotly.min.js?v=" in page.text  # offline, not inline
    assert "cdn" not in page.text.lower()
    for title in ("Heart rate", "Cadence", "Ground contact time", "Running dynamics (medians"):
        assert title in page.text
    assert client.get("/assets/plotly.min.js").status_code == 200
    missing = client.get("/activities/987654")
    assert missing.status_code == 404 and "no activity #987654" in missing.text.lower()


def test_resolve_duplicate_keep_and_drop_with_csrf(client: TestClient) -> None:
    db, athlete = _db(client)
    (flagged,) = list_activities(db, athlete, duplicates_only=True)
    refused = client.post(f"/activities/{flagged.id}/resolve", data={"decision": "keep"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    token = _token(client, "/activities")
    wrong = client.post(f"/activities/{flagged.duplicate_of}/resolve", data={"decision": "drop", "csrf_token": token})
    assert wrong.status_code == 400 and "not a possible duplicate" in wrong.text
    done = client.post(
        f"/activities/{flagged.id}/resolve", data={"decision": "drop", "csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    assert f"activity {flagged.id} dropped" in client.get(done.headers["location"]).text
    assert list_activities(db, athlete, duplicates_only=True) == []
    assert flagged.id not in {r.id for r in list_activities(db, athlete)}


# --- Import ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of this test only, to prove the upload folders are removed."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_import_a_real_fit_then_again_then_a_zip(client: TestClient, shared_data: Path, private_tmp: Path) -> None:
    token = _token(client)
    real = (shared_data / "fit" / REAL_RUN_2).read_bytes()
    first = client.post("/import", data={"csrf_token": token}, files=[("files", ("fenix run.fit", real))])
    assert first.status_code == 200
    assert "fenix run.fit" in first.text and ">imported<" in first.text and str(private_tmp) not in first.text
    again = client.post("/import", data={"csrf_token": token}, files=[("files", ("fenix run.fit", real))])
    assert "skipped (identical file already imported)" in again.text

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("export/activities/one.fit", (shared_data / "fit" / REAL_RUN).read_bytes())
        bundle.writestr("export/activities/two.fit", encode_fit(one_hour_synthetic_run(3)))
    zipped = client.post(
        "/import",
        data={"csrf_token": token},
        files=[("files", ("my-export.zip", archive.getvalue(), "application/zip"))],
    )
    assert zipped.status_code == 200
    assert "my-export.zip" in zipped.text and "one.fit" in zipped.text and "two.fit" in zipped.text
    assert "skipped (identical file already imported)" in zipped.text  # one.fit was seeded already
    assert "gluteguard-import-" not in zipped.text
    assert not list(private_tmp.glob("gluteguard-import-*"))  # every request's folder is gone


def test_import_refuses_wrong_types_oversize_and_keeps_names_harmless(
    client: TestClient, shared_data: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _token(client)
    wrong = client.post("/import", data={"csrf_token": token}, files=[("files", ("notes.exe", b"MZ..."))])
    assert wrong.status_code == 400 and "not a file type this takes" in wrong.text and "notes.exe" in wrong.text
    none = client.post("/import", data={"csrf_token": token})
    assert none.status_code == 400 and "no file chosen" in none.text

    monkeypatch.setattr(activities_page, "MAX_FILE_BYTES", 1 << 20)
    big = client.post("/import", data={"csrf_token": token}, files=[("files", ("huge.fit", b"\0" * (3 << 19)))])
    assert big.status_code == 400 and "larger than 1 MB" in big.text
    monkeypatch.setattr(activities_page, "MAX_TOTAL_BYTES", 1 << 20)
    total = client.post("/import", data={"csrf_token": token}, files=[("files", ("a.fit", b"\0" * (3 << 20)))])
    assert total.status_code == 413 and "at most 1 MB at a time" in total.text

    real = (shared_data / "fit" / REAL_RUN_2).read_bytes()
    sneaky = "../../../../evil/..\\escape.fit"
    tricky = client.post("/import", data={"csrf_token": token}, files=[("files", (sneaky, real))])
    assert tricky.status_code == 200 and ">imported<" in tricky.text and "escape.fit" in tricky.text
    assert not list(private_tmp.parent.rglob("escape.fit")) and not list(private_tmp.glob("gluteguard-import-*"))
    db, athlete = _db(client)
    names = [r.source_file for r in list_activities(db, athlete) if (r.source_file or "").endswith("escape.fit")]
    assert names and all(".." not in name and "\\" not in name for name in names)


def test_every_form_post_needs_the_csrf_token(client: TestClient) -> None:
    client.get("/import")  # the cookie alone is not enough: the form field must match it
    assert client.post("/import", files=[("files", ("a.fit", b"x"))]).status_code == 403
    assert client.post("/stride", files=[("files", ("a.csv", b"x"))]).status_code == 403
    assert client.post("/sitting/break", data={"outcome": "done"}).status_code == 403
    assert client.post("/sitting/break", data={"outcome": "done", "csrf_token": "x" * 43}).status_code == 403


# --- Stride ----------------------------------------------------------------------------------------------------------


def test_stride_keypoints_through_the_job_to_the_report_and_history(client: TestClient) -> None:
    token = _token(client, "/stride")
    started = client.post(
        "/stride",
        data={"csrf_token": token, "view": "rear", "recorded_on": "2026-03-02"},
        files=[("files", ("my rear clip.csv", _keypoints_csv()))],
        headers={"Accept": "application/json"},
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    assert registry_of(client).wait(job_id, 60, owner=client.app.state.athlete_id).status == "done"
    status = client.get(f"/stride/jobs/{job_id}").json()
    assert status["status"] == "done" and status["fraction"] == 1.0 and status["report_url"]
    result = client.get(f"/stride/job/{job_id}")
    assert result.status_code == 200 and "Save this analysis" in result.text and "rear view" in result.text
    report = client.get(status["report_url"])
    assert report.status_code == 200 and "Key frames" in report.text and "my rear clip.csv" in report.text
    saved = client.post(f"/stride/job/{job_id}/save", data={"csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303
    assert "Saved as analysis #" in client.get(saved.headers["location"]).text
    client.post(f"/stride/job/{job_id}/save", data={"csrf_token": token})  # twice: kept once
    history = client.get("/stride").text
    assert "2026-03-02" in history and history.count("my rear clip.csv") == 1
    assert "Running dynamics from your watch" in history and "/activities/" in history  # the treadmill run


def test_stride_form_post_redirects_and_bad_input_fails_clearly(client: TestClient) -> None:
    token = _token(client, "/stride")
    wrong = client.post("/stride", data={"csrf_token": token}, files=[("files", ("clip.gif", b"GIF89a"))])
    assert wrong.status_code == 400 and "not a file type this takes" in wrong.text
    bad_view = client.post("/stride", data={"csrf_token": token, "view": "top"}, files=[("files", ("k.csv", b"frame"))])
    assert bad_view.status_code == 400 and "choose rear, side or auto" in bad_view.text
    posted = client.post(
        "/stride",
        data={"csrf_token": token},
        files=[("files", ("junk.csv", b"not,keypoints\n1,2\n"))],
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"].startswith("/stride/job/")
    job_id = posted.headers["location"].rsplit("/", 1)[1]
    assert registry_of(client).wait(job_id, 30, owner=client.app.state.athlete_id).status == "failed"
    page = client.get(posted.headers["location"])
    assert "Could not analyse junk.csv" in page.text and 'role="alert"' in page.text
    assert client.get("/stride/job/unknown").status_code == 404
    assert client.get("/stride/jobs/unknown").status_code == 404


def registry_of(client: TestClient) -> JobStore:
    """The test app's job registry."""

    class _Request:
        app = client.app

    return registry(_Request())  # type: ignore[arg-type]


# --- Sitting ---------------------------------------------------------------------------------------------------------


def test_sitting_day_history_reminder_and_break(client: TestClient) -> None:
    day = client.get("/sitting", params={"date": SITTING_DAY.isoformat()})
    assert day.status_code == 200
    for text in ("Longest spell", "Active hours", "your wearable", "Hour by hour", "Break reminders", "Source:"):
        assert text in day.text
    assert "/sitting/chart?until=2026-03-03" in day.text
    chart = client.get("/sitting/chart", params={"until": SITTING_DAY.isoformat(), "days": 7})
    assert chart.status_code == 200 and "plotly" in chart.text.lower()
    soon = client.get("/sitting", params={"date": "soon"})  # shows today, says so, and answers 400 like /plan
    assert soon.status_code == 400 and "is not a date like" in soon.text

    due = client.get("/sitting/next-reminder", params={"since": datetime.now(UTC).isoformat()}).json()
    # The work day is 00:00–23:59 where the runner lives: its timer starts at midnight, whenever the test runs.
    local = datetime.fromisoformat(due["now"]).astimezone(ZoneInfo(PROFILE["timezone"]))
    into_day = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    interval = timedelta(minutes=due["interval_min"])
    assert due["due_now"] is False and due["in_work_hours"] is ((local.hour, local.minute) < (23, 59))
    assert due["interval_min"] > 0 and due["message"]["move_id"] and "Source:" in due["message"]["body"]
    overdue = client.get(
        "/sitting/next-reminder", params={"since": (datetime.now(UTC) - timedelta(hours=2)).isoformat()}
    ).json()
    # Two hours sitting is overdue, unless the work day began less than one interval ago (then its start counts).
    assert overdue["due_now"] is (interval < into_day < timedelta(hours=23, minutes=59))

    token = _token(client, "/sitting")
    answer = client.post(
        "/sitting/break",
        data={"outcome": "done", "move_id": due["message"]["move_id"], "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200 and answer.json()["outcome"] == "done"
    form = client.post("/sitting/break", data={"outcome": "done", "csrf_token": token}, follow_redirects=False)
    assert form.status_code == 303 and "Break logged" in client.get(form.headers["location"]).text
    assert client.post("/sitting/break", data={"outcome": "maybe", "csrf_token": token}).status_code == 400
    db, athlete = _db(client)
    assert len([b for b in todays_breaks(db, athlete, datetime.now(UTC)) if b.outcome == "done"]) == 2
    today = datetime.now(UTC).astimezone(ZoneInfo(PROFILE["timezone"])).date()
    assert sitting_on(db, athlete, today).logged_breaks == 2  # counted in the day's figures


# --- In a browser (the shared harness: tests/web_server.py) ----------------------------------------------------


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[str]:
    """The app under uvicorn in a background thread, on a seeded database and a free loopback port."""
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'web.sqlite'}"
    _seed(url, shared_data)
    with serve(url) as base:
        yield base


@pytest.fixture(scope="module")
def browser(live_server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _tab(browser, live_server: str, viewport: str, **options: object) -> Iterator[object]:
    """A fresh page; the test fails on any script error in it."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=live_server, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_default_timeout(20_000)
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture
def desktop(browser, live_server: str) -> Iterator[object]:
    yield from _tab(browser, live_server, "desktop")


@pytest.fixture
def phone(browser, live_server: str) -> Iterator[object]:
    yield from _tab(browser, live_server, "phone", has_touch=True, is_mobile=True, permissions=["notifications"])


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(f"more-{name}")), full_page=True)


def test_browser_import_by_file_input_shows_the_result(desktop, shared_data: Path, tmp_path: Path) -> None:
    page = desktop
    source = tmp_path / "fenix run.fit"
    source.write_bytes((shared_data / "fit" / REAL_RUN_2).read_bytes())
    page.goto("/import")
    page.get_by_label("Drop files here, or choose them").set_input_files(str(source))
    assert "fenix run.fit" in page.locator("[data-chosen]").inner_text()
    page.get_by_role("button", name="Import").click()
    summary = page.locator("#import-result .more-import-headline")
    summary.wait_for(timeout=30_000)
    # What came in, as a runner reads it: how many, when, how far, and where to go next.
    assert re.fullmatch(r"1 activity imported, on \d{2} \w{3} \d{4}: 1 run, [\d.]+ km\.", summary.inner_text())
    assert page.get_by_role("link", name="See your Today").is_visible()
    files = page.locator("#import-result details.more-import-files")
    files.locator("summary").click()
    assert "fenix run.fit" in files.inner_text() and "imported" in files.inner_text()
    assert page.url.endswith("/import")  # replaced in place: the upload went by XMLHttpRequest
    _shot(page, "import-result")
    page.goto("/activities")
    _shot(page, "activities")
    page.locator("table.more-list a").first.click()
    page.locator(".more-chart .main-svg").first.wait_for(timeout=15_000)  # plotly.js drew the chart offline
    _shot(page, "activity")


def test_browser_stride_keypoints_to_report(desktop, tmp_path: Path) -> None:
    page = desktop
    clip = tmp_path / "rear-clip.csv"
    clip.write_bytes(_keypoints_csv())
    page.goto("/stride")
    page.get_by_label("Drop a file here, or choose one").set_input_files(str(clip))
    page.get_by_label("from behind").check()
    page.get_by_role("button", name="Analyse").click()
    page.get_by_role("button", name="Save this analysis").wait_for(timeout=60_000)
    frame = page.frame_locator("iframe.more-report")
    frame.get_by_role("heading", name="Key frames").wait_for(timeout=15_000)
    _shot(page, "stride-report")
    page.get_by_role("button", name="Save this analysis").click()
    page.get_by_text("Saved as analysis #").wait_for()
    page.goto("/stride")
    assert "rear-clip.csv" in page.content()
    _shot(page, "stride")


def test_browser_sitting_on_a_phone_with_reminders(phone) -> None:
    page = phone
    page.goto(f"/sitting?date={SITTING_DAY.isoformat()}")
    assert page.get_by_role("heading", name="Hour by hour").is_visible()
    toggle = page.get_by_role("button", name="Reminders: off")
    toggle.click()
    page.get_by_role("button", name="Reminders: on").wait_for()
    page.wait_for_function("document.querySelector('[data-reminder-status]').textContent.length > 0")
    assert "Next reminder at" in page.locator("[data-reminder-status]").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"the page is {width} px wide at 375 px"
    page.frame_locator("iframe.more-chart-frame").locator(".main-svg").first.wait_for()  # the offline chart drew
    _shot(page, "sitting-phone")
    chart = page.locator("iframe.more-chart-frame")
    chart.scroll_into_view_if_needed()  # a full-page capture leaves a sandboxed frame blank: shoot it on its own
    chart.screenshot(path=str(screenshot_path("more-sitting-chart-phone")))
    page.get_by_role("button", name="I just took a break").click()
    page.get_by_text("Break logged").wait_for()
