"""Strava sync (issue 18) against recorded HTTP exchanges: vcrpy plays back cassettes built here from the API
reference's documented shapes (https://developers.strava.com/docs/reference/), with record mode "none", so any
request not in the cassette fails the test and nothing reaches the network. Covered: linking and token refresh
(the rotated refresh token saved), paging, a rate-limit wait read from the headers and a 429 tried again, a deleted
activity, a manual activity without streams, resuming after an interruption, and a run synced from Strava giving
the same load numbers as the same run imported from its FIT file."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pytest
import vcr
import yaml

from gluteguard.ingest.dispatch import parse_payload
from gluteguard.ingest.model import ParsedActivity
from gluteguard.ingest.strava_api import (
    STREAM_KEYS,
    activity_from_api,
    rate_limit_wait,
    resume_after,
    sport_label,
    token_needs_refresh,
)
from gluteguard.services.activities import list_activities
from gluteguard.services.athletes import ensure_athlete, update_profile
from gluteguard.services.importer import import_paths
from gluteguard.services.load import athlete_sessions
from gluteguard.services.strava import StravaError, connect, disconnect, strava_status, sync
from gluteguard.store.db import Database
from gluteguard.store.models import StravaLinkRow

API = "https://www.strava.com/api/v3"
TOKEN_URL = "https://www.strava.com/oauth/token"
FIT_RUN = "fit/thomaschampagne-elevate-specs/running/bloemendaal.fit"  # a 6.5 km run, 2020-03-04
FAR_FUTURE = 4_102_444_800  # 2100-01-01: a token that does not need refreshing


# --- the documented shapes ---------------------------------------------------------------------------------------


def summary_activity(activity_id: int, start: datetime, *, name: str = "Morning Run", manual: bool = False,
                     distance: float = 8000.0, elapsed: int = 2700) -> dict[str, Any]:  # fmt: skip
    return {
        "resource_state": 2,
        "athlete": {"id": 134815, "resource_state": 1},
        "name": name,
        "distance": distance,
        "moving_time": elapsed - 60,
        "elapsed_time": elapsed,
        "total_elevation_gain": 42.0,
        "type": "Run",
        "sport_type": "Run",
        "id": activity_id,
        "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "start_date_local": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": "(GMT+01:00) Europe/Amsterdam",
        "utc_offset": 3600.0,
        "trainer": False,
        "commute": False,
        "manual": manual,
        "gear_id": "g12345",
        "average_heartrate": 148.0,
        "max_heartrate": 172.0,
        "average_cadence": 84.5,
    }


def detailed_activity(summary: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**summary, "resource_state": 3, "device_name": "Garmin Forerunner 265", "perceived_exertion": 4,
            "gear": {"id": "g12345", "primary": True, "name": "Pegasus 40", "resource_state": 2,
                     "distance": 412000.0}, **extra}  # fmt: skip


def streams_of(activity: ParsedActivity) -> dict[str, Any]:
    """A parsed activity's streams as the API returns them keyed by type (running cadence per foot)."""
    columns = activity.streams.columns

    def stream(values: np.ndarray | list) -> dict[str, Any]:
        data = values.tolist() if isinstance(values, np.ndarray) else values
        return {"data": data, "series_type": "distance", "original_size": len(data), "resolution": "high"}

    out = {"time": stream(columns["time_s"])}
    for key, column, scale in (("distance", "distance_m", 1.0), ("altitude", "altitude_m", 1.0),
                               ("heartrate", "heart_rate_bpm", 1.0), ("cadence", "cadence_spm", 0.5)):  # fmt: skip
        if column in columns:
            out[key] = stream(np.nan_to_num(columns[column] * scale).round(2))
    if "lat_deg" in columns:
        out["latlng"] = stream([[round(a, 7), round(b, 7)] for a, b in zip(columns["lat_deg"], columns["lon_deg"],
                                                                             strict=True)])  # fmt: skip
    return out


def detail_for(activity: ParsedActivity, activity_id: int) -> dict[str, Any]:
    """A DetailedActivity with the numbers of a parsed file, so the synced run matches the imported one."""
    summary = summary_activity(activity_id, activity.start_utc, distance=activity.distance_m or 0.0,
                               elapsed=round(activity.elapsed_s), name="Bloemendaal beach run")  # fmt: skip
    summary.update(moving_time=activity.moving_s, total_elevation_gain=activity.ascent_m,
                   average_heartrate=activity.avg_hr_bpm, max_heartrate=activity.max_hr_bpm,
                   average_cadence=(activity.avg_cadence_spm or 0) / 2, utc_offset=activity.utc_offset_s)  # fmt: skip
    return detailed_activity(summary)


# --- cassettes ---------------------------------------------------------------------------------------------------

READ_LIMIT = {"X-ReadRateLimit-Limit": ["100,1000"], "X-RateLimit-Limit": ["200,2000"]}


def exchange(method: str, url: str, body: Any, *, status: int = 200, usage: str = "5,50",
             params: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    query = f"?{urlencode(params)}" if params else ""
    headers = {"Content-Type": ["application/json; charset=utf-8"], **READ_LIMIT,
               "X-ReadRateLimit-Usage": [usage], "X-RateLimit-Usage": [usage]}  # fmt: skip
    message = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}[status]
    return {
        "request": {"body": None, "headers": {}, "method": method, "uri": url + query},
        "response": {
            "status": {"code": status, "message": message},
            "headers": headers,
            "body": {"string": json.dumps(body)},
        },
    }


def listing(page: int, items: list[dict], after: int | None = None, per_page: int = 100) -> dict[str, Any]:
    params: dict[str, Any] = {"page": page, "per_page": per_page}
    if after is not None:
        params["after"] = after
    return exchange("GET", f"{API}/athlete/activities", items, params=params)


def detail(activity: dict[str, Any], *, status: int = 200, usage: str = "5,50") -> dict[str, Any]:
    body = activity if status == 200 else {"message": "Record Not Found", "errors": []}
    return exchange("GET", f"{API}/activities/{activity['id']}", body, status=status, usage=usage,
                    params={"include_all_efforts": False})  # fmt: skip


def streams(activity_id: int, body: dict[str, Any], *, status: int = 200, usage: str = "5,50") -> dict[str, Any]:
    return exchange("GET", f"{API}/activities/{activity_id}/streams", body, status=status, usage=usage,
                    params={"keys": ",".join(STREAM_KEYS), "key_by_type": True})  # fmt: skip


def token(access: str, refresh: str, expires_at: int, athlete: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"token_type": "Bearer", "access_token": access, "refresh_token": refresh,
                            "expires_at": expires_at, "expires_in": 21600}  # fmt: skip
    if athlete:
        body["athlete"] = {"id": 134815, "username": "annaruns", "resource_state": 2, "firstname": "Anna",
                           "lastname": "Berg", "city": "Haarlem", "country": "Netherlands", "sex": "F"}  # fmt: skip
    return exchange("POST", TOKEN_URL, body)


def cassette(tmp_path: Path, name: str, interactions: list[dict[str, Any]]) -> vcr.cassette.Cassette:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))
    recorder = vcr.VCR(record_mode="none", match_on=["method", "scheme", "host", "port", "path", "query"])
    return recorder.use_cassette(str(path), allow_playback_repeats=False)


# --- fixtures ----------------------------------------------------------------------------------------------------


@pytest.fixture
def athlete(db: Database) -> Iterator[tuple[Database, int]]:
    yield db, ensure_athlete(db)


def _link(db: Database, athlete_id: int, expires_at: int = FAR_FUTURE) -> None:
    with db.session() as session:
        session.add(StravaLinkRow(athlete_id=athlete_id, client_id=4242, client_secret="s3cr3t-app-key",
                                  access_token="access-1", refresh_token="refresh-1", expires_at=expires_at,
                                  scope="read,activity:read_all", created_at=datetime.now(UTC)))  # fmt: skip


def _row(db: Database, athlete_id: int) -> StravaLinkRow:
    with db.session() as session:
        row = session.query(StravaLinkRow).filter_by(athlete_id=athlete_id).one()
        session.expunge(row)
        return row


def _parsed_fit(shared_data: Path) -> ParsedActivity:
    return parse_payload((shared_data / FIT_RUN).read_bytes(), "bloemendaal.fit").activities[0]


# --- the pure mapping --------------------------------------------------------------------------------------------


def test_the_api_names_map_onto_the_export_names() -> None:
    assert sport_label("TrailRun") == "trail run" and sport_label("VirtualRun") == "virtual run"
    start = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    manual = activity_from_api(detailed_activity(summary_activity(9, start, manual=True)), None)
    assert manual.streams.columns == {} and manual.device == "Strava (manual entry)"
    assert (manual.shoes, manual.rpe, manual.avg_cadence_spm) == ("Pegasus 40", 4.0, 169.0)
    trail = activity_from_api({**summary_activity(10, start), "sport_type": "TrailRun"})
    assert (trail.sport, trail.sub_sport) == ("run", "trail")


def test_rate_limit_waits_and_token_refresh_margins() -> None:
    at = datetime(2026, 12, 5, 10, 7, 30, tzinfo=UTC)
    assert rate_limit_wait((99, 500), (100, 1000), at) == 0
    assert rate_limit_wait((100, 500), (100, 1000), at) == pytest.approx(7.5 * 60 + 1)  # to 10:15
    assert rate_limit_wait((10, 1000), (100, 1000), at) == pytest.approx((13 * 3600 + 52 * 60 + 30) + 1)
    assert token_needs_refresh(None, 0) and token_needs_refresh(1000, 800) and not token_needs_refresh(1000, 600)
    assert resume_after(datetime(2026, 1, 1, tzinfo=UTC)) == int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) - 3600


# --- linking -----------------------------------------------------------------------------------------------------


def test_connect_keeps_the_tokens_and_disconnect_forgets_them(athlete, tmp_path: Path) -> None:
    db, athlete_id = athlete
    with cassette(tmp_path, "connect", [token("access-1", "refresh-1", FAR_FUTURE, athlete=True)]) as played:
        status = connect(db, athlete_id, 4242, "s3cr3t-app-key", "code-from-redirect", "read,activity:read_all")
    assert played.all_played
    assert status.connected and status.athlete == "Anna Berg" and status.client_id == 4242
    assert "s3cr3t" not in json.dumps(status.as_json()) and "access-1" not in json.dumps(status.as_json())
    with pytest.raises(StravaError, match="activities"):
        connect(db, athlete_id, 4242, "s3cr3t-app-key", "code", "read")  # the runner unticked activity access
    deauthorize = exchange("POST", "https://www.strava.com/oauth/deauthorize", {"access_token": "access-1"})
    with cassette(tmp_path, "disconnect", [deauthorize]) as played:
        assert disconnect(db, athlete_id) is True
    assert played.all_played and not strava_status(db, athlete_id).connected
    assert disconnect(db, athlete_id) is False


def test_an_expiring_token_is_refreshed_and_the_new_pair_saved_first(athlete, tmp_path: Path) -> None:
    db, athlete_id = athlete
    _link(db, athlete_id, expires_at=int(time.time()) + 60)  # expires within the 5-minute margin
    with cassette(tmp_path, "refresh", [token("access-2", "refresh-2", FAR_FUTURE), listing(1, [])]) as played:
        summary = sync(db, athlete_id)
    assert played.all_played and summary.listed == 0
    row = _row(db, athlete_id)
    assert (row.access_token, row.refresh_token, row.expires_at) == ("access-2", "refresh-2", FAR_FUTURE)


# --- syncing -----------------------------------------------------------------------------------------------------


def test_paging_a_manual_entry_a_deleted_run_and_a_rate_limit_wait(athlete, tmp_path: Path) -> None:
    db, athlete_id = athlete
    _link(db, athlete_id)
    start = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    run = summary_activity(2001, start, name="Easy Monday")
    manual = summary_activity(2002, start + timedelta(days=1), name="Treadmill at the hotel", manual=True)
    gone = summary_activity(2003, start + timedelta(days=2), name="Deleted since")
    short_streams = {"time": {"data": [0, 1, 2, 3], "series_type": "time", "original_size": 4, "resolution": "high"},
                     "distance": {"data": [0, 3, 6, 9], "series_type": "time", "original_size": 4,
                                  "resolution": "high"},
                     "heartrate": {"data": [120, 122, 125, 126], "series_type": "time", "original_size": 4,
                                   "resolution": "high"}}  # fmt: skip
    waits: list[float] = []
    interactions = [
        listing(1, [run, manual], per_page=2),
        listing(2, [gone], per_page=2),
        detail(detailed_activity(run), usage="100,300"),  # the 15-minute read window used up: wait, then go on
        streams(2001, {"message": "Rate Limit Exceeded"}, status=429, usage="100,300"),
        streams(2001, short_streams),
        detail(detailed_activity(manual)),  # a manual entry: no streams asked for
        detail(gone, status=404),
    ]
    with cassette(tmp_path, "paging", interactions) as played:
        summary = sync(db, athlete_id, sleep=waits.append, page_size=2)
    assert played.all_played
    data = summary.as_json()
    assert data["listed"] == 3 and data["imported"] == 2 and data["deleted_on_strava"] == ["2003: Deleted since"]
    assert len(waits) == 2 and all(0 < w <= 901 for w in waits) and data["waited_for_rate_limit_s"] > 0
    rows = {row.name: row for row in list_activities(db, athlete_id)}
    assert set(rows) == {"Easy Monday", "Treadmill at the hotel"}
    assert rows["Easy Monday"].shoes == "Pegasus 40"
    assert _row(db, athlete_id).newest_synced_start.astimezone(UTC) == start + timedelta(days=1)


def test_an_interrupted_sync_goes_on_where_it_stopped(athlete, tmp_path: Path) -> None:
    db, athlete_id = athlete
    _link(db, athlete_id)
    start = datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
    first, second = summary_activity(3001, start), summary_activity(3002, start + timedelta(days=2))
    broken = [listing(1, [first, second]), detail(detailed_activity(first)), streams(3001, {}),
              detail(detailed_activity(second)), streams(3002, {"message": "error"}, status=500)]  # fmt: skip
    with cassette(tmp_path, "broken", broken), pytest.raises(StravaError, match="run it again"):
        sync(db, athlete_id)
    assert [row.name for row in list_activities(db, athlete_id)] == ["Morning Run"]
    after = resume_after(start)
    again = [listing(1, [first, second], after=after), detail(detailed_activity(second)), streams(3002, {})]
    with cassette(tmp_path, "again", again) as played:  # the first run is not fetched again
        summary = sync(db, athlete_id)
    assert played.all_played and summary.as_json()["imported"] == 1 and summary.as_json()["already_synced"] == 1
    assert len(list_activities(db, athlete_id)) == 2


def test_a_synced_run_gives_the_load_of_the_same_run_imported_from_its_file(
    athlete, shared_data: Path, tmp_path: Path
) -> None:
    db, athlete_id = athlete
    update_profile(db, athlete_id, {"max_hr": 190, "resting_hr": 50})
    other_db = Database(f"sqlite:///{tmp_path / 'from-file.sqlite'}")
    try:
        other_id = ensure_athlete(other_db)
        update_profile(other_db, other_id, {"max_hr": 190, "resting_hr": 50})
        assert import_paths(other_db, other_id, [shared_data / FIT_RUN], workers=1).as_json()["imported"] == 1
        parsed = _parsed_fit(shared_data)
        _link(db, athlete_id)
        run = detail_for(parsed, 4001)
        with cassette(tmp_path, "same-run", [listing(1, [run]), detail(run), streams(4001, streams_of(parsed))]):
            assert sync(db, athlete_id).as_json()["imported"] == 1
        synced, _ = athlete_sessions(db, athlete_id)
        imported, _ = athlete_sessions(other_db, other_id)
        assert len(synced) == len(imported) == 1
        a, b = synced[0], imported[0]
        assert (a.local_start, a.local_date, a.sport) == (b.local_start, b.local_date, b.sport)
        assert a.distance_m == pytest.approx(b.distance_m, rel=1e-6)
        assert a.duration_s == pytest.approx(b.duration_s)
        assert a.ascent_m == pytest.approx(b.ascent_m)
        assert a.trimp is not None and a.trimp == pytest.approx(b.trimp, rel=1e-3)
    finally:
        other_db.dispose()


def test_a_run_already_imported_from_a_file_is_not_fetched_again(athlete, shared_data: Path, tmp_path: Path) -> None:
    """The first sync starts an hour before the newest run already here; a listed run that the importer's duplicate
    rule matches with a stored one (the bulk export's copy) costs no more requests."""
    db, athlete_id = athlete
    import_paths(db, athlete_id, [shared_data / FIT_RUN], workers=1)
    parsed = _parsed_fit(shared_data)
    _link(db, athlete_id)
    copy = detail_for(parsed, 5001)
    later = summary_activity(5002, parsed.start_utc + timedelta(days=1), name="Next day")
    after = resume_after(parsed.start_utc)
    interactions = [listing(1, [copy, later], after=after), detail(detailed_activity(later)), streams(5002, {})]
    with cassette(tmp_path, "dup", interactions) as played:
        data = sync(db, athlete_id).as_json()
    assert played.all_played
    assert data["already_imported_from_files"] == 1 and data["imported"] == 1 and data["possible_duplicates"] == 0
    assert sorted(row.name or "" for row in list_activities(db, athlete_id))[-1] == "Next day"


def test_without_a_link_sync_says_what_to_do(athlete) -> None:
    db, athlete_id = athlete
    with pytest.raises(StravaError, match="strava connect"):
        sync(db, athlete_id)


def test_no_request_leaves_the_cassettes(athlete, tmp_path: Path) -> None:
    """Record mode "none": a request that is not in the cassette fails instead of reaching Strava."""
    db, athlete_id = athlete
    _link(db, athlete_id)
    with cassette(tmp_path, "empty", []), pytest.raises(Exception) as raised:
        sync(db, athlete_id)
    assert "CannotOverwriteExistingCassetteException" in type(raised.value).__name__ or "cassette" in str(
        raised.value
    ).lower()
    assert os.environ.get("STRAVA_CLIENT_SECRET") is None


# --- the command line ----------------------------------------------------------------------------------------------


def test_cli_connect_catches_the_redirect_and_never_prints_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import threading
    import urllib.error
    import urllib.request

    from typer.testing import CliRunner

    from gluteguard.cli import strava as strava_cli
    from gluteguard.cli.app import app

    monkeypatch.setattr(strava_cli.secrets, "token_urlsafe", lambda _n: "state-from-gluteguard")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answers: list[int] = []

    def approve() -> None:  # what the browser does after the runner approves on Strava's page
        base = f"http://127.0.0.1:{port}/strava/callback"
        approved = "state=state-from-gluteguard&code=abc&scope=read,activity:read_all"
        for query in ("state=someone-else&code=evil", approved):
            for _ in range(100):
                try:
                    with urllib.request.urlopen(f"{base}?{query}", timeout=5) as response:
                        answers.append(response.status)
                    break
                except urllib.error.HTTPError as error:
                    answers.append(error.code)
                    break
                except OSError:
                    time.sleep(0.05)  # not listening yet

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    runner = CliRunner()
    path = tmp_path / "cli-connect.yaml"
    path.write_text(yaml.safe_dump({"interactions": [token("access-9", "refresh-9", FAR_FUTURE, athlete=True)],
                                    "version": 1}))  # fmt: skip
    recorder = vcr.VCR(record_mode="none", ignore_localhost=True)
    with recorder.use_cassette(str(path)):
        thread = threading.Thread(target=approve)
        thread.start()
        done = runner.invoke(app, ["--db", url, "strava", "connect", "--client-id", "4242", "--client-secret",
                                   "s3cr3t-app-key", "--no-browser", "--port", str(port)])  # fmt: skip
        thread.join(timeout=30)
    assert done.exit_code == 0, done.output
    assert answers == [400, 200]  # a redirect with another state is refused
    assert "Linked to Strava as Anna Berg" in done.output
    assert "client_id=4242" in done.output and "state=state-from-gluteguard" in done.output
    status = runner.invoke(app, ["--db", url, "strava", "status", "--json"])
    assert json.loads(status.output)["connected"] is True
    for output in (done.output, status.output):
        assert "s3cr3t" not in output and "access-9" not in output and "refresh-9" not in output


# --- the web page -------------------------------------------------------------------------------------------------


def test_the_import_page_links_syncs_and_unlinks(tmp_path: Path) -> None:
    import re
    from urllib.parse import parse_qs, urlparse

    from fastapi.testclient import TestClient

    from gluteguard.web import app as web_app

    app = web_app.create_app(f"sqlite:///{tmp_path / 'web.sqlite'}", allowed_hosts=("testserver",))
    with TestClient(app) as client:
        page = client.get("/import")
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        assert "Link Strava" in page.text and "Authorization Callback Domain" in page.text
        assert client.post("/strava/connect", data={"client_id": "four", "client_secret": "x",
                                                    "csrf_token": csrf}).status_code == 400  # fmt: skip
        away = client.post("/strava/connect", data={"client_id": "4242", "client_secret": "s3cr3t-app-key",
                                                    "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
        assert away.status_code == 303
        target = urlparse(away.headers["location"])
        query = parse_qs(target.query)
        assert (target.netloc, target.path) == ("www.strava.com", "/oauth/authorize")
        assert query["client_id"] == ["4242"] and query["redirect_uri"] == ["http://testserver/strava/callback"]
        assert "activity:read_all" in query["scope"][0]
        state = query["state"][0]
        forged = client.get("/strava/callback", params={"state": "not-ours", "code": "abc"})
        assert forged.status_code == 400 and "does not belong to a link begun here" in forged.text
        with cassette(tmp_path, "web-link", [token("access-5", "refresh-5", FAR_FUTURE, athlete=True)]) as played:
            back = client.get("/strava/callback", params={"state": state, "code": "abc",
                                                          "scope": "read,activity:read_all"})  # fmt: skip
        assert played.all_played and back.status_code == 200 and "Linked to Strava as" in back.text
        assert "Anna Berg" in back.text and "s3cr3t" not in back.text and "access-5" not in back.text
        with cassette(tmp_path, "web-sync", [listing(1, [])]) as played:
            started = client.post("/strava/sync", data={"csrf_token": csrf}, follow_redirects=False)
            assert started.status_code == 303  # at once: the sync is a background job, followed on the Import page
            job_id = parse_qs(urlparse(started.headers["location"]).query)["strava_job"][0]
            deadline = time.monotonic() + 20
            while (job := client.get(f"/api/v1/jobs/{job_id}").json())["status"] in ("queued", "running"):
                assert time.monotonic() < deadline, job
                time.sleep(0.05)
        assert played.all_played and job["kind"] == "strava_sync" and job["result"]["listed"] == 0
        assert job["done"] == 0 and job["total"] is None and job["elapsed_s"] is not None  # nothing listed
        synced = client.get(started.headers["location"])
        assert synced.status_code == 200 and "0 new from Strava" in synced.text and "Sync now" in synced.text
        assert "that sync is no longer known" in client.get("/import?strava_job=nope").text.lower()
        refused = client.get("/strava/callback", params={"error": "access_denied", "state": state})
        assert "Strava did not link" in refused.text
        deauthorize = exchange("POST", "https://www.strava.com/oauth/deauthorize", {"access_token": "access-5"})
        with cassette(tmp_path, "web-unlink", [deauthorize]) as played:
            gone = client.post("/strava/disconnect", data={"csrf_token": csrf})
        assert played.all_played and "Unlinked from Strava" in gone.text and "Link Strava" in gone.text
    app.state.db.dispose()


def test_a_sync_job_fails_at_once_without_a_link_and_is_tried_again_when_strava_is_unreachable(athlete) -> None:
    from gluteguard.services.job_work import is_input_problem, perform
    from gluteguard.services.jobs import JobKind
    from gluteguard.services.strava import StravaError

    db, athlete_id = athlete
    with pytest.raises(StravaError, match="not linked to Strava yet") as refused:
        perform(db, JobKind.STRAVA_SYNC, athlete_id, {}, [], lambda _done, _total: None)
    assert is_input_problem(refused.value)  # a worker fails it at once: linking again is the runner's to do
    assert not is_input_problem(StravaError("cannot reach Strava (timeout); run it again later", final=False))
