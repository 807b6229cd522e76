"""A shared server keeps each athlete's data to the athlete and their linked clinicians, on every route.

The routes come from the app itself (every API route and page, the OpenAPI list included), so a route added later
is covered without touching this file; a new path parameter fails the test until it is given a value here. Each
route is called by everyone who must not reach athlete A — anonymous, athlete B, a clinician not linked to A, the
admin — with and without ``?athlete=A``, with a valid CSRF token (they are logged in: only scoping may stop them).
A's marker must never appear in their answers, and nothing of A's may change (a fingerprint of every row that
belongs to A, the audit log included). The linked clinician may read A but never write as A, except where the
route is one a clinician may use (a clearance).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gluteguard.services import accounts
from gluteguard.services.checkins import save_checkin
from gluteguard.services.importer import import_paths
from gluteguard.store.models import Base
from gluteguard.web.app import create_app

MARK = "Qxzmarker"
NOTE_SECRET = "Zqvnote"  # in Cleo's note about Anna: a clinician's own record, never shown to Anna herself
PASSWORD = "correct horse battery"
RUN_GPX = Path("gpx/corriporai-runpandas/gpx/nike_run.gpx")


@dataclass
class Server:
    app: object
    clients: dict[str, TestClient]
    anna_athlete: int
    values: dict[str, str]


def _login(app: object, username: str) -> TestClient:
    client = TestClient(app, base_url="http://localhost")
    client.get("/login")
    token = client.cookies.get("gg_csrf")
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    return client


def _anonymous(app: object) -> TestClient:
    client = TestClient(app, base_url="http://localhost")
    client.get("/login")  # a CSRF cookie like anyone's browser
    return client


@pytest.fixture
def server(pg_url: str, shared_data: Path, tmp_path: Path) -> Iterator[Server]:
    app = create_app(pg_url, multi_user=True)
    db = app.state.db
    anna = accounts.create_user(db, "anna", PASSWORD, "athlete", display_name=f"Anna {MARK}")
    accounts.create_user(db, "ben", PASSWORD, "athlete", display_name="Ben")
    accounts.create_user(db, "cleo", PASSWORD, "clinician", display_name="Cleo Physio")
    accounts.create_user(db, "dora", PASSWORD, "clinician", display_name="Dora Coach")
    accounts.create_user(db, "root", PASSWORD, "admin")
    athlete = anna.athlete_id
    assert athlete is not None
    gpx = tmp_path / "anna.gpx"
    text = (shared_data / RUN_GPX).read_text(encoding="utf-8")
    gpx.write_text(re.sub(r"<name>[^<]*</name>", f"<name>{MARK} long run</name>", text, count=1), encoding="utf-8")
    summary = import_paths(db, athlete, [gpx], workers=1)
    activity_id = summary.activity_ids[0]
    save_checkin(db, athlete, {"date": "2026-12-01", "pain_during_run": 8, "side": "left", "note": f"{MARK} note"})
    anna_principal = accounts.authenticate(db, "anna", PASSWORD, "127.0.0.1").principal
    cleo_principal = accounts.authenticate(db, "cleo", PASSWORD, "127.0.0.1").principal
    code, _ = accounts.create_invite(db, cleo_principal)
    link = accounts.accept_invite(db, anna_principal, code)
    from gluteguard.services import care  # Cleo's order on Anna's plan and her note: rows outsiders must not touch

    cleo_principal = accounts.authenticate(db, "cleo", PASSWORD, "127.0.0.1").principal
    order = care.set_order(db, cleo_principal, athlete, "exclude_exercise", exercise_id="side_steps")
    note = care.add_note(db, cleo_principal, athlete, f"{NOTE_SECRET} {MARK}")
    from gluteguard.services.job_work import JobOutcome
    from gluteguard.services.jobs import JobKind, JobRequest
    from gluteguard.web.api.stride import jobs_of

    class _Request:
        pass

    request = _Request()
    request.app = app  # type: ignore[attr-defined]
    # A's finished job, kept where the shared server keeps jobs (the database, read by the /jobs routes).
    job = jobs_of(request).record_finished(JobRequest(JobKind.STRIDE, athlete, f"{MARK} clip"),  # type: ignore[arg-type]
                                           JobOutcome({"label": MARK}, f"<p>{MARK}</p>"))  # fmt: skip
    values = {
        "activity_id": str(activity_id),
        "analysis_id": "1",
        "job_id": job.id,
        "day": "2026-12-01",
        "link_id": str(link.id),
        "athlete_id": str(athlete),
        "item_id": "2026-12-01-strength",
        "order_id": str(order.order.id),
        "note_id": str(note.id),
        "path": "plotly.min.js",
        "kind": "single_leg_stance",
        "name": "x",
    }
    with TestClient(app, base_url="http://localhost"):  # runs the app's start-up once
        clients = {name: _login(app, name) for name in ("anna", "ben", "cleo", "dora", "root")}
        clients["anonymous"] = _anonymous(app)
        yield Server(app, clients, athlete, values)
    db.dispose()


def _fingerprint(app: object, athlete_id: int) -> str:
    """Every row that belongs to the athlete (each table with an athlete key, the athlete row itself)."""
    db = app.state.db  # type: ignore[attr-defined]
    digest = hashlib.sha256()
    with db.session() as session:
        for table in Base.metadata.sorted_tables:
            key = table.c.get("athlete_id") if table.name != "athlete" else table.c.id
            if key is None:
                continue
            rows = session.execute(select(table).where(key == athlete_id)).all()
            for row in sorted(repr(tuple(row)) for row in rows):
                digest.update(f"{table.name}:{row}".encode())
    return digest.hexdigest()


def _routes(app: object) -> list[tuple[str, str, bool]]:
    """(method, path template, whether a linked clinician may write there) for every route in the app's OpenAPI
    description — pages included; the one route left out of it serves plotly.js, no athlete data."""
    found = []
    for path, operations in app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            found.append((method.upper(), path, bool(operation.get("x-clinician-may-write"))))
    return found


def _url(template: str, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        assert name in values, f"the isolation test needs a value for path parameter {name!r} ({template})"
        return values[name]

    return re.sub(r"\{([^}]+)\}", fill, template)


def _call(client: TestClient, method: str, url: str) -> tuple[int, str]:
    token = client.cookies.get("gg_csrf") or ""
    headers = {"x-csrf-token": token}
    if method == "GET":
        answer = client.get(url, headers=headers, follow_redirects=False)
    elif url.startswith("/api/"):
        answer = client.request(method, url, json={"date": "2026-12-02", "pain_during_run": 2, "kind": "cleared",
                                                   "by": "x"}, headers=headers, follow_redirects=False)  # fmt: skip
    else:
        answer = client.request(method, url, data={"csrf_token": token, "date": "2026-12-02", "kind": "cleared",
                                                   "by": "x", "pain_during_run": "2", "code": "AAAAA-BBBBB"},
                                headers=headers, follow_redirects=False)  # fmt: skip
    return answer.status_code, answer.text


def test_the_marker_is_visible_to_anna_and_her_physio(server: Server) -> None:
    """The control: the marker does show where it should, so its absence elsewhere means something."""
    a = server.anna_athlete
    assert MARK in server.clients["anna"].get("/api/v1/activities").text
    assert MARK in server.clients["anna"].get("/activities").text
    assert MARK in server.clients["cleo"].get(f"/api/v1/activities?athlete={a}").text
    assert MARK in server.clients["cleo"].get("/roster").text
    assert MARK not in server.clients["dora"].get("/roster").text


def test_no_route_reaches_anna_for_anyone_else(server: Server) -> None:
    a = server.anna_athlete
    before = _fingerprint(server.app, a)
    routes = _routes(server.app)
    assert len(routes) > 60, "the route list looks too short to be the whole app"
    outsiders = ("anonymous", "ben", "dora", "root")
    leaks, changes = [], []
    for method, template, _care in routes:
        if template in ("/logout", "/logout-everywhere"):
            continue  # they end the caller's own session (tested on their own below)
        base = _url(template, server.values)
        for name in outsiders:
            for url in (base, f"{base}{'&' if '?' in base else '?'}athlete={a}"):
                status, text = _call(server.clients[name], method, url)
                if MARK in text:
                    leaks.append(f"{name} {method} {url} → {status}")
                after = _fingerprint(server.app, a)
                if after != before:
                    changes.append(f"{name} {method} {url} → {status}")
                    before = after
    assert not leaks, "athlete A's data reached others:\n" + "\n".join(leaks)
    assert not changes, "others changed athlete A's data:\n" + "\n".join(changes)


def test_a_linked_clinician_reads_but_only_writes_where_allowed(server: Server) -> None:
    a = server.anna_athlete
    cleo = server.clients["cleo"]
    wrote = []
    for method, template, care in _routes(server.app):
        if method == "GET" or care or template in ("/logout", "/logout-everywhere") or template.startswith(
            ("/roster", "/account")
        ):
            continue  # the clinician's own pages (their roster, their links) are theirs to change
        url = _url(template, server.values)
        before = _fingerprint(server.app, a)
        status, _ = _call(cleo, method, f"{url}{'&' if '?' in url else '?'}athlete={a}")
        if _fingerprint(server.app, a) != before:
            wrote.append(f"{method} {url} → {status}")
    assert not wrote, "a clinician wrote as the athlete:\n" + "\n".join(wrote)


def test_clearance_by_the_linked_clinician_is_in_their_name_and_audited(server: Server) -> None:
    a = server.anna_athlete
    cleo, anna = server.clients["cleo"], server.clients["anna"]
    answer = cleo.post(f"/api/v1/clearances?athlete={a}", json={"kind": "cleared", "by": "someone else"},
                       headers={"x-csrf-token": cleo.cookies.get("gg_csrf") or ""})  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert answer.json()["by"] == "Cleo Physio"
    account = anna.get("/account").text
    assert "Cleo Physio" in account and "Cleo Physio changed your clearances" in account


def test_revoking_ends_the_clinicians_access_at_once(server: Server) -> None:
    a = server.anna_athlete
    cleo, anna = server.clients["cleo"], server.clients["anna"]
    assert cleo.get(f"/api/v1/today?athlete={a}").status_code == 200
    token = anna.cookies.get("gg_csrf")
    assert anna.post(f"/account/links/{server.values['link_id']}/revoke", data={"csrf_token": token},
                     follow_redirects=False).status_code == 303  # fmt: skip
    assert cleo.get(f"/api/v1/today?athlete={a}").status_code == 404
    assert MARK not in cleo.get("/roster").text


def test_sessions_end_when_they_should(server: Server) -> None:
    ben = server.clients["ben"]
    assert ben.get("/api/v1/today").status_code == 200
    db = server.app.state.db  # type: ignore[attr-defined]
    accounts.set_disabled(db, "ben", True)
    assert ben.get("/api/v1/today").status_code == 401
    assert ben.get("/", follow_redirects=False).headers["location"].startswith("/login")
    accounts.set_disabled(db, "ben", False)
    ben = _login(server.app, "ben")
    assert ben.get("/api/v1/today").status_code == 200
    token = ben.cookies.get("gg_csrf")
    assert ben.post("/logout-everywhere", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    stolen = TestClient(server.app, base_url="http://localhost")
    stolen.cookies.set("gg_session", "forged.cookie.value")
    assert stolen.get("/api/v1/today").status_code == 401


def test_a_clinicians_note_never_reaches_the_athlete(server: Server) -> None:
    """Every page and API read Anna can make: Cleo's note about her is not in any of them (her linked physio's
    are the only eyes on it)."""
    anna, a = server.clients["anna"], server.anna_athlete
    seen = []
    for method, template, _care in _routes(server.app):
        if method != "GET" or template.startswith(("/logout", "/export")):
            continue  # the export is a zip: tests/test_care_service.py reads it
        status, text = _call(anna, method, _url(template, server.values))
        if NOTE_SECRET in text:
            seen.append(f"GET {template} → {status}")
    assert not seen, "the athlete saw her clinician's note:\n" + "\n".join(seen)
    assert NOTE_SECRET in server.clients["cleo"].get(f"/api/v1/care/notes?athlete={a}").text
    assert anna.get("/api/v1/care/notes").status_code == 403


def test_a_linked_clinicians_order_shows_on_the_athletes_plan_with_the_name(server: Server) -> None:
    a = server.anna_athlete
    cleo, anna = server.clients["cleo"], server.clients["anna"]
    headers = {"x-csrf-token": cleo.cookies.get("gg_csrf") or ""}
    answer = cleo.post(f"/api/v1/orders?athlete={a}", json={"kind": "stage_hold", "reason": "scan on Friday"},
                       headers=headers)  # fmt: skip
    assert answer.status_code == 201, answer.text
    notices = anna.get("/api/v1/today").json()["orders"]
    assert any(n["message"].startswith("Held at stage") and "by Cleo Physio" in n["message"] for n in notices)
    assert "Held at stage" in anna.get("/plan").text and "by Cleo Physio" in anna.get("/").text
    assert "Cleo Physio held your strength stage at" in anna.get("/account").text
    own_token = {"x-csrf-token": anna.cookies.get("gg_csrf") or ""}
    own = anna.post("/api/v1/orders", json={"kind": "stage_hold"}, headers=own_token)
    assert own.status_code == 403 and "linked" in own.json()["detail"]
    lifted = cleo.post(f"/api/v1/orders/{answer.json()['id']}/lift?athlete={a}", headers=headers)
    assert lifted.status_code == 200 and lifted.json()["active"] is False


def test_a_clinician_sees_no_controls_they_may_not_use(server: Server) -> None:
    """Done/Skip and the check-in are the athlete's: on the physio's view of her Today they are not offered (the
    answer would be 403); the physio's own forms are on the Notes and orders page."""
    a = server.anna_athlete
    cleo, anna = server.clients["cleo"], server.clients["anna"]
    assert 'action="/plan/log"' in anna.get("/").text
    as_physio = cleo.get(f"/?athlete={a}").text
    assert 'action="/plan/log"' not in as_physio and 'class="button" href="/checkin"' not in as_physio
    assert 'action="/plan/log"' not in cleo.get(f"/plan?athlete={a}").text
    page = cleo.get(f"/care?athlete={a}")
    assert page.status_code == 200 and 'action="/care/orders"' in page.text and NOTE_SECRET in page.text
    assert anna.get("/care").status_code == 403
