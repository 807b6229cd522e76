"""The JSON API through the ASGI test client, on real SQLite and PostgreSQL databases and real files: uploads,
check-ins moving the status, plan logging and its calendar, stride analysis, sitting, profile validation, the
same-origin guard, and upload safety (caps, types, a path-traversal name). Read endpoints also run against the
demo database (16 weeks of a sample runner)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text
from gluteguard.samples.gait_synth import synthetic_run
from gluteguard.services.demo import build_demo
from gluteguard.store.db import Database
from gluteguard.symptoms.model import RED_FLAGS
from gluteguard.web.api import importing
from gluteguard.web.app import create_app

FIT_RUN = "fit/thomaschampagne-elevate-specs/running/bloemendaal.fit"  # a run on 2020-03-04
DEMO_END = date(2026, 11, 22)
API = "/api/v1"


@pytest.fixture
def client(db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app on a fresh database of each kind; uploads' temporary folders go under ``tmp_path/tmp``."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    app = create_app(db_url, allowed_hosts=("testserver",))
    with TestClient(app) as test_client:
        yield test_client
    app.state.db.dispose()


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    database = Database(url)
    build_demo(database, end_date=DEMO_END, workers=2)
    database.dispose()
    app = create_app(url, allowed_hosts=("testserver",))
    with TestClient(app) as test_client:
        yield test_client
    app.state.db.dispose()


def _one_line(response) -> str:
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and detail
    return detail


def _leftovers(client: TestClient) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob("gluteguard-*"))


# --- uploads: import -------------------------------------------------------------------------------------------


def test_import_real_fit_by_upload(client: TestClient, shared_data: Path) -> None:
    payload = (shared_data / FIT_RUN).read_bytes()
    response = client.post(f"{API}/import", files=[("files", ("bloemendaal.fit", payload, "application/octet-stream"))])
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["imported"] == 1 and summary["failed"] == []
    [result] = summary["results"]
    assert result["file"] == "bloemendaal.fit" and result["status"] == "imported"
    activity_id = result["activity_ids"][0]

    listed = client.get(f"{API}/activities", params={"sport": "run", "since": "2020-03-01"}).json()
    assert [row["id"] for row in listed] == [activity_id]
    assert client.get(f"{API}/activities", params={"since": "2021-01-01"}).json() == []
    one = client.get(f"{API}/activities/{activity_id}").json()
    assert one["start_local"].startswith("2020-03-04") and one["distance_m"] > 1000

    streams = client.get(f"{API}/activities/{activity_id}/streams", params={"max_points": 50}).json()
    assert streams["n_returned"] <= 50 < streams["n_samples"]
    columns = streams["columns"]
    assert {"time_s", "heart_rate_bpm"} <= set(columns)
    assert all(len(values) == streams["n_returned"] for values in columns.values())
    if "speed_mps" in columns:
        assert "pace_s_per_km" in columns
    assert client.get(f"{API}/activities/999999").status_code == 404

    again = client.post(f"{API}/import", files=[("files", ("copy.fit", payload, "application/octet-stream"))]).json()
    assert again["skipped_identical"] == 1 and again["results"][0]["file"] == "copy.fit"
    assert _leftovers(client) == []  # the request's temporary folder is gone


def test_upload_caps_and_types(client: TestClient, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = (shared_data / FIT_RUN).read_bytes()
    wrong_suffix = client.post(f"{API}/import", files=[("files", ("run.exe", payload, "application/octet-stream"))])
    assert wrong_suffix.status_code == 415 and "run.exe" in _one_line(wrong_suffix)
    disguised = client.post(f"{API}/import", files=[("files", ("run.fit", b"MZ" + b"\0" * 100, "x/y"))])
    assert disguised.status_code == 415 and "not a .fit file" in _one_line(disguised)
    empty = client.post(f"{API}/import", files=[("files", ("run.fit", b"", "x/y"))])
    assert empty.status_code == 422

    monkeypatch.setattr(importing, "MAX_FILE_BYTES", len(payload) - 1)
    too_big = client.post(f"{API}/import", files=[("files", ("run.fit", payload, "x/y"))])
    assert too_big.status_code == 413 and "larger than" in _one_line(too_big)
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", len(payload) * 4)
    monkeypatch.setattr(importing, "MAX_TOTAL_BYTES", len(payload) + 10)
    together = client.post(
        f"{API}/import", files=[("files", ("a.fit", payload, "x/y")), ("files", ("b.gpx", b"<gpx/>", "x/y"))] * 2
    )
    assert together.status_code == 413
    assert client.get(f"{API}/activities").json() == []  # nothing of a refused request was imported
    assert _leftovers(client) == []


def test_path_traversal_name_cannot_escape(client: TestClient, shared_data: Path, tmp_path: Path) -> None:
    payload = (shared_data / FIT_RUN).read_bytes()
    name = "../../../../" + str(tmp_path).lstrip("/") + "/escaped.fit"
    response = client.post(f"{API}/import", files=[("files", (name, payload, "application/octet-stream"))])
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["file"] == "escaped.fit"  # the base name only, for display
    assert not (tmp_path / "escaped.fit").exists()
    assert not any(p.name == "escaped.fit" for p in tmp_path.rglob("*"))
    windows = client.post(f"{API}/import", files=[("files", ("..\\..\\evil.gpx", b"<gpx></gpx>", "text/xml"))])
    assert windows.status_code == 200 and windows.json()["results"][0]["file"] == "evil.gpx"
    assert _leftovers(client) == []


# --- check-ins, status, plan -----------------------------------------------------------------------------------


def test_checkin_changes_status(client: TestClient) -> None:
    day = date.today().isoformat()
    assert client.get(f"{API}/status", params={"date": day}).json() is None
    flags = {flag: False for flag in RED_FLAGS}  # the warning-sign screen answered: none
    calm_day = {"date": day, "pain_at_rest": 1, "pain_next_morning": 0, "red_flags": flags, "screened": True}
    saved = client.post(f"{API}/checkins", json=calm_day)
    assert saved.status_code == 201 and saved.json()["created"] is True
    calm = client.get(f"{API}/status", params={"date": day}).json()
    assert calm["status"] == "green", calm["reasons"]
    worse = client.post(f"{API}/checkins", json={"date": day, "pain_next_morning": 7, "night_pain": 6})
    assert worse.status_code == 200 and worse.json()["pain_at_rest"] == 1  # merged with the day's answers
    assert client.get(f"{API}/status", params={"date": day}).json()["status"] != "green"
    assert client.get(f"{API}/checkins/{day}").json()["night_pain"] == 6
    assert [c["date"] for c in client.get(f"{API}/checkins").json()] == [day]
    questions = client.get(f"{API}/checkins/questions", params={"date": day}).json()
    assert set(questions["questions"]) >= {"pain", "other", "red_flags"} and isinstance(questions["screen_due"], bool)

    bad = client.post(f"{API}/checkins", json={"date": day, "pain_at_rest": 11})
    assert bad.status_code == 422 and _one_line(bad).startswith("pain_at_rest")
    unknown = client.post(f"{API}/checkins", json={"date": day, "knee": 3})
    assert unknown.status_code == 422 and "knee" in _one_line(unknown)

    assert client.delete(f"{API}/checkins/{day}").status_code == 204
    assert client.get(f"{API}/checkins/{day}").status_code == 404
    assert client.delete(f"{API}/checkins/{day}").status_code == 404


def test_plan_item_done_counts_in_adherence_and_ics(client: TestClient) -> None:
    plan = client.get(f"{API}/plan").json()
    assert {"week_of", "phase", "days", "outline"} <= set(plan)
    item = next(
        i for d in plan["days"] for i in d["items"] if i["kind"] == "strength" and i["id"].endswith("-strength")
    )
    logged = client.post(f"{API}/plan/items/{item['id']}", json={"outcome": "done"})
    assert logged.status_code == 200 and logged.json()["outcome"] == "done"
    adherence = client.get(f"{API}/plan/adherence", params={"week_of": plan["week_of"]}).json()
    assert adherence["by_kind"]["strength"]["done"] == 1
    assert client.get(f"{API}/plan").json()["logged"][item["id"]] == "done"
    missing = client.post(f"{API}/plan/items/2026-01-05-nothing", json={"outcome": "done"})
    assert missing.status_code == 422 and "no item" in _one_line(missing)
    assert client.post(f"{API}/plan/items/{item['id']}", json={"outcome": "maybe"}).status_code == 422

    audit = client.get(f"{API}/plan/explain", params={"week_of": plan["week_of"]}).json()
    assert audit["week_of"] == plan["week_of"] and {s["item"] for s in audit["slots"]} >= {"strength", "warmup"}
    assert client.get(f"{API}/plan/explain", params={"week_of": "someday"}).status_code == 422

    ics = client.get(f"{API}/plan.ics", params={"week_of": plan["week_of"]})
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert f'filename="gluteguard-plan-{plan["week_of"]}.ics"' in ics.headers["content-disposition"]
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    sessions = [i for d in plan["days"] for i in d["items"]
                if i["kind"] == "run" or (i["kind"] == "strength" and i["id"].endswith("-strength"))]  # fmt: skip
    assert {str(e["uid"]) for e in events} == {f"{i['id']}@gluteguard" for i in sessions}
    markdown = client.get(f"{API}/plan.md", params={"week_of": plan["week_of"]})
    assert markdown.headers["content-type"].startswith("text/markdown") and "# Plan" in markdown.text


# --- stride ----------------------------------------------------------------------------------------------------


def _keypoints_csv(seed: int = 3) -> bytes:
    series = synthetic_run(view="rear", seconds=12.0, pelvic_drop_deg=(4.0, 7.5), noise_px=0.5, seed=seed)
    return keypoints_csv_text(series).encode("utf-8")


def test_stride_keypoints_analysis_saved_and_reported(client: TestClient) -> None:
    response = client.post(f"{API}/stride", files={"file": ("clip.csv", _keypoints_csv(), "text/csv")},
                           data={"save": "true", "view": "rear", "recorded_on": "2026-11-20"})  # fmt: skip
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] == "done" and job["progress"] == 1.0
    analysis = job["result"]
    assert analysis["view"] == "rear" and "pelvic_drop_deg" in analysis["metrics"] and analysis["saved_id"] >= 1
    assert analysis["source"] == "clip.csv"
    report = client.get(job["report_url"])
    assert report.status_code == 200 and "<h1>Stride analysis</h1>" in report.text
    history = client.get(f"{API}/stride/history").json()
    assert [h["id"] for h in history] == [analysis["saved_id"]]
    saved_report = client.get(f"{API}/stride/history/{analysis['saved_id']}/report")
    assert saved_report.status_code == 200 and "Stride analysis" in saved_report.text
    assert client.get(f"{API}/stride/history/9999/report").status_code == 404

    bad = client.post(f"{API}/stride", files={"file": ("clip.csv", b"not,keypoints\n1,2\n", "text/csv")})
    assert bad.status_code == 422
    assert client.post(f"{API}/stride", files={"file": ("clip.pdf", b"%PDF", "x/y")}).status_code == 415
    assert _leftovers(client) == []


def test_stride_background_job_reports_progress(client: TestClient) -> None:
    started = client.post(f"{API}/stride", files={"file": ("later.csv", _keypoints_csv(5), "text/csv")},
                          data={"background": "true"})  # fmt: skip
    assert started.status_code == 202
    job_id = started.json()["id"]
    job = None
    for _ in range(600):
        job = client.get(f"{API}/stride/jobs/{job_id}").json()
        assert 0.0 <= job["progress"] <= 1.0
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job is not None and job["status"] == "done", job
    assert job["result"]["view"] in ("rear", "side") and job["report_url"]
    assert client.get(f"{API}/stride/jobs/nope").status_code == 404
    assert _leftovers(client) == []


# --- sitting, profile, security ---------------------------------------------------------------------------------


def test_sitting_day_and_break(client: TestClient) -> None:
    day = client.get(f"{API}/sitting").json()
    assert {"date", "sitting_min", "longest_bout_min", "breaks", "active_hours", "source", "note"} <= set(day)
    logged = client.post(f"{API}/sitting/breaks", json={"outcome": "done"})
    assert logged.status_code == 201 and logged.json()["outcome"] == "done"
    assert [b["outcome"] for b in client.get(f"{API}/sitting/breaks").json()] == ["done"]
    assert client.post(f"{API}/sitting/breaks", json={"outcome": "later"}).status_code == 422
    assert client.get(f"{API}/sitting/reminders").json()["interval_min"] == 30
    assert len(client.get(f"{API}/sitting/history", params={"days": 3}).json()) == 3


def test_profile_validation(client: TestClient) -> None:
    bad = client.put(f"{API}/profile", json={"max_hr": 110, "resting_hr": 115})
    assert bad.status_code == 422 and _one_line(bad) == "resting_hr must be below max_hr"
    zone = client.put(f"{API}/profile", json={"timezone": "Mars/Olympus"})
    assert zone.status_code == 422 and _one_line(zone).startswith("timezone:")
    assert client.put(f"{API}/profile", json={"name": "someone else"}).status_code == 422
    good = client.put(f"{API}/profile", json={"running_days": ["tue", "sat"], "long_run_day": "sat", "max_hr": 185})
    assert good.status_code == 200 and good.json()["running_days"] == ["tue", "sat"]
    assert client.get(f"{API}/profile").json()["max_hr"] == 185


def test_cross_site_requests_refused(client: TestClient) -> None:
    evil = {"Origin": "https://evil.example"}
    assert client.post(f"{API}/checkins", json={"pain_at_rest": 2}, headers=evil).status_code == 403
    assert client.put(f"{API}/profile", json={"max_hr": 170}, headers=evil).status_code == 403
    assert (
        client.post(f"{API}/checkins", json={"pain_at_rest": 2}, headers={"Origin": "http://testserver"}).status_code
        == 201
    )
    assert client.get(f"{API}/checkins", headers=evil).status_code == 200  # reading is not a forgery risk
    assert client.get(f"{API}/status").json() is not None


def test_unknown_host_names_are_refused_before_any_route(client: TestClient) -> None:
    """DNS rebinding: a page on evil.example rebinds its name to 127.0.0.1; Host and Origin then match each other,
    so only the host name itself gives it away."""
    rebound = {"Host": "evil.example:8000", "Origin": "http://evil.example:8000"}
    read = client.get(f"{API}/activities", headers={"Host": "evil.example:8000"})
    assert read.status_code == 400 and "unknown host name 'evil.example'" in read.json()["detail"]
    assert client.post(f"{API}/checkins", json={"pain_at_rest": 2}, headers=rebound).status_code == 400
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get(f"{API}/checkins").json() == []  # nothing was written
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "192.168.1.20", "LOCALHOST."):
        assert client.get(f"{API}/checkins", headers={"Host": host}).status_code == 200, host


# --- the demo: read endpoints on a rich history --------------------------------------------------------------------


def test_demo_read_endpoints(demo_client: TestClient) -> None:
    client = demo_client
    today = client.get(f"{API}/today", params={"date": DEMO_END.isoformat()}).json()
    assert today["date"] == DEMO_END.isoformat() and today["status"] in ("green", "amber", "red")
    assert {"action", "phase", "next_run_cap_m", "warnings", "items", "sitting_note", "sitting_yesterday"} <= set(today)
    load = client.get(f"{API}/load", params={"date": DEMO_END.isoformat()}).json()
    assert {"next_run_cap_m", "last_run", "week", "pmc", "monotony", "warnings"} <= set(load)
    history = client.get(f"{API}/load/history", params={"date": DEMO_END.isoformat(), "weeks": 16}).json()
    assert len(history) == 16 and {"week_start", "worst_spike", "cap_at_end_m", "ctl", "monotony"} <= set(history[-1])
    run_ids = [r["activity_id"] for week in history for r in week["runs_detail"]]
    assert run_ids and all(isinstance(i, int) for i in run_ids)
    assert client.get(f"{API}/activities/{run_ids[0]}").json()["sport"] == "run"
    runs = client.get(f"{API}/activities", params={"sport": "run"}).json()
    assert len(runs) >= 30 and all(r["sport"] == "run" for r in runs)
    since = (DEMO_END - timedelta(days=14)).isoformat()
    assert all(r["start_local"][:10] >= since for r in client.get(f"{API}/activities", params={"since": since}).json())
    assert isinstance(client.get(f"{API}/activities", params={"duplicates": True}).json(), list)
    sitting = client.get(f"{API}/sitting", params={"date": (DEMO_END - timedelta(days=2)).isoformat()}).json()
    assert sitting["source"] in ("wearable", "stand_hours", "self_reported", "none")
    assert client.get(f"{API}/stride/history").json()
    assert len(client.get(f"{API}/checkins").json()) > 10
    plan = client.get(f"{API}/plan", params={"week_of": DEMO_END.isoformat()}).json()
    assert len(plan["days"]) == 7
    about = client.get(f"{API}/about").json()
    texts = [s["source"] for s in about["sources"]]
    assert about["source_count"] == len(texts) == len(set(texts)) > 50
    assert any("Frandsen" in t for t in texts) and any("Grimaldi" in t for t in texts)
    dynamics = client.get(f"{API}/stride/dynamics", params={"since": since}).json()
    assert set(dynamics) == {"runs", "notes"}


def test_bad_input_is_one_line_never_500(demo_client: TestClient) -> None:
    paths = (
        "/load?date=2026-02-30",
        "/load/history?weeks=0",
        "/activities/0",
        "/activities/abc/streams",
        "/activities/1/streams?max_points=1",
        "/checkins?since=0000-01-01",
        "/plan?week_of=9999-12-31",
    )
    for path in paths:
        response = demo_client.get(API + path)
        assert response.status_code in (404, 422), path
        _one_line(response)


def test_request_bodies_are_capped_while_they_stream_in(client: TestClient) -> None:
    """Issue 14.4: a chunked 3 GB upload wrote 4.2 GB before the 413. Now the cap holds while the body streams."""

    def chunks(count: int, size: int = 1 << 20):
        for _ in range(count):
            yield b"x" * size

    small = client.post(f"{API}/checkins", content=chunks(5), headers={"Content-Type": "application/json"})
    assert small.status_code == 413 and "larger than the 1 MB" in small.json()["detail"]
    declared = client.post(f"{API}/import", content=b"--x--", headers={"Content-Length": str(50 << 30),
                           "Content-Type": "multipart/form-data; boundary=x"})  # fmt: skip
    assert declared.status_code == 413 and "MB this accepts" in declared.json()["detail"]


def test_an_upload_route_never_reads_past_its_cap(db_url: str) -> None:
    from gluteguard.web.security import BodyLimitMiddleware

    seen = {"bytes": 0}
    inner = create_app(db_url, allowed_hosts=("testserver",))

    async def spy(scope, receive, send):  # counts what reaches the app's own parsers
        async def counted():
            message = await receive()
            seen["bytes"] += len(message.get("body", b""))
            return message

        await inner(scope, counted, send)

    limit = 256 << 10
    app = BodyLimitMiddleware(spy, limits={"/api/v1/import": limit}, default=1 << 20)
    boundary = "gluteguardboundary"

    def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.fit\"\r\n"
               "Content-Type: application/octet-stream\r\n\r\n").encode()  # fmt: skip
        for _ in range(64):
            yield b"\0" * (64 << 10)
        yield f"\r\n--{boundary}--\r\n".encode()

    with TestClient(app) as spying:
        answer = spying.post(f"{API}/import", content=body(),
                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})  # fmt: skip
    assert answer.status_code == 413 and "larger than the 256 kB" in answer.json()["detail"]
    assert seen["bytes"] <= limit + (64 << 10), seen  # at most one chunk past the cap ever reached the parser
