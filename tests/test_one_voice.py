"""One decision, every view: the CLI's JSON (today, status, load, plan), the API and the rendered pages say the same
about running, the next run and the phase — on SQLite and PostgreSQL, in scenarios and over random histories."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.services.athletes import ensure_athlete, local_today, update_profile
from gluteguard.services.checkins import save_checkin
from gluteguard.store.db import Database
from gluteguard.store.models import Activity
from gluteguard.web.app import create_app

MON = date(2026, 10, 5)  # a Monday in the past: every day here is decided as it was known then
WED = MON + timedelta(days=2)
URGENT = {"groin_pain_worse_with_running": True, "limp": True, "pain_on_hopping": True}


def add_run(db: Database, athlete: int, day: date, km: float) -> None:
    start = datetime.combine(day, time(7), tzinfo=UTC)
    with db.session() as session:
        session.add(Activity(athlete_id=athlete, start_utc=start, end_utc=start + timedelta(seconds=km * 360),
                             utc_offset_s=0, sport="run", elapsed_s=km * 360, moving_s=km * 360,
                             distance_m=km * 1000, n_samples=0, created_at=datetime.now(UTC)))  # fmt: skip


def seed(db: Database) -> int:
    """Six green weeks before MON: Tue/Thu/Sat/Sun runs (10 km on Sundays) and a green check-in on each."""
    athlete = ensure_athlete(db)
    update_profile(db, athlete, {"timezone": "UTC", "running_days": ["tue", "thu", "sat", "sun"],
                                 "long_run_day": "sun"})  # fmt: skip
    for offset in range(42, 0, -1):
        day = MON - timedelta(days=offset)
        if day.weekday() in (1, 3, 5, 6):
            add_run(db, athlete, day, 10.0 if day.weekday() == 6 else 6.0)
            save_checkin(db, athlete, {"date": day.isoformat(), "pain_during_run": 1, "pain_next_morning": 0})
    return athlete


def cli(url: str, *args: str) -> dict | list | None:
    """Run a command as a runner would; its JSON output when it was asked for ``--json``."""
    result = CliRunner().invoke(app, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if "--json" in args else None


def plan_day(url: str, day: date) -> dict:
    plan = cli(url, "plan", "--week-of", day.isoformat(), "--json")
    return next(d for d in plan["days"] if d["date"] == day.isoformat())


def runs_in(entry: dict) -> list[dict]:
    return [item for item in entry["items"] if item["kind"] == "run"]


# ---------------------------------------------------------------------------------------------------- scenarios


def test_an_urgent_flag_stops_every_view_until_a_clearance(db: Database, tmp_path: Path) -> None:
    url = db.url
    seed(db)
    flag = tmp_path / "flag.json"
    flag.write_text(json.dumps({"date": WED.isoformat(), "pain_at_rest": 3, "pain_locations": ["groin"],
                                "red_flags": URGENT}))  # fmt: skip
    cli(url, "checkin", "--from-json", str(flag), "--json")
    assert runs_in(plan_day(url, WED - timedelta(days=1)))  # Tuesday was planned before the flag
    for offset in range(0, 12):  # the rest of this week and all of the next
        day = WED + timedelta(days=offset)
        entry, today = plan_day(url, day), cli(url, "today", "--date", day.isoformat(), "--json")
        status, load = (
            cli(url, "status", "--date", day.isoformat(), "--json"),
            cli(url, "load", "--date", day.isoformat(), "--json"),
        )
        assert not runs_in(entry) and not runs_in(today), day
        for view in (entry, today, status, load):
            assert view["running_allowed"] is False and view["phase"] == "blocked", (day, view)
        assert today["next_run_cap_m"] == 0.0 and load["next_run_cap_m"] == 0.0
        assert status["action"] == "urgent" and status["holds"][0]["since"] == WED.isoformat()
    # the calendar file has no run from the flag on
    ics = tmp_path / "week.ics"
    CliRunner().invoke(app, ["--db", url, "plan", "--week-of", WED.isoformat(), "--ics", str(ics)])
    events = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    run_days = {e.decoded("dtstart") for e in events if "-run-" in str(e["uid"]) and e.get("status") != "CANCELLED"}
    assert run_days and max(run_days) < WED
    cancelled = {e.decoded("dtstart") for e in events if e.get("status") == "CANCELLED" and "-run-" in str(e["uid"])}
    assert cancelled == {WED + timedelta(days=k) for k in (1, 3, 4)}  # Thu, Sat, Sun: cancelled on re-import
    strength = {str(e["uid"]) for e in events if e.get("status") == "CANCELLED" and "-strength" in str(e["uid"])}
    assert strength == {f"{WED.isoformat()}-strength@gluteguard"}  # no exercise while blocked
    # a later check-in without the flag does not lift it; the clearance does, from its day
    cli(url, "checkin", "--date", (WED + timedelta(days=3)).isoformat(), "--pain-at-rest", "0")
    assert cli(url, "status", "--date", (WED + timedelta(days=4)).isoformat(), "--json")["running_allowed"] is False
    cleared_on = WED + timedelta(days=5)
    recorded = cli(url, "cleared", "--by", "Dr Jones, sports physician", "--date", cleared_on.isoformat(),
                   "--note", "MRI clear", "--json")  # fmt: skip
    assert recorded["recorded"]["kind"] == "cleared"
    assert (
        cli(url, "status", "--date", (cleared_on - timedelta(days=1)).isoformat(), "--json")["running_allowed"] is False
    )
    after = cli(url, "today", "--date", cleared_on.isoformat(), "--json")
    assert after["running_allowed"] is True and after["action"] != "urgent"
    assert any(runs_in(plan_day(url, cleared_on + timedelta(days=k))) for k in range(1, 8))
    assert cli(url, "clearances", "--json")[0]["by"] == "Dr Jones, sports physician"
    weeks = cli(url, "load", "--history", "--weeks", "3", "--date", (WED + timedelta(days=4)).isoformat(), "--json")
    assert weeks[-1]["week_start"] == MON.isoformat() and weeks[-1]["cap_at_end_m"] == 0.0  # held at week's end


def test_a_clearance_lifts_only_what_was_answered_before_it(db: Database) -> None:
    seed(db)
    cli(db.url, "cleared", "--by", "Dr Jones", "--date", WED.isoformat())
    # entered after the clearance, on its day or back-dated before it: these were never seen by the clinician
    cli(
        db.url, "checkin", "--date", WED.isoformat(), "--red-flag", "trauma_or_fall", "--red-flag", "cannot_bear_weight"
    )
    status = cli(db.url, "status", "--date", WED.isoformat(), "--json")
    assert status["action"] == "emergency" and status["running_allowed"] is False
    cli(db.url, "checkin", "--date", (WED - timedelta(days=1)).isoformat(), "--red-flag",
        "saddle_numbness_or_bladder_bowel_change")  # fmt: skip
    later = cli(db.url, "status", "--date", (WED + timedelta(days=2)).isoformat(), "--json")
    assert later["action"] == "emergency" and {h["code"] for h in later["holds"]} >= {"cauda_equina_signs"}
    # a clearance recorded after them lifts them
    cli(db.url, "cleared", "--by", "Dr Jones", "--date", (WED + timedelta(days=1)).isoformat())
    assert cli(db.url, "status", "--date", (WED + timedelta(days=2)).isoformat(), "--json")["running_allowed"]


def test_a_red_day_is_not_lifted_by_silence(db: Database) -> None:
    seed(db)
    cli(db.url, "checkin", "--date", WED.isoformat(), "--pain-during-run", "7", "--pain-after-run", "7")
    for offset in (0, 3, 5, 9):
        day = WED + timedelta(days=offset)
        assert cli(db.url, "status", "--date", day.isoformat(), "--json")["status"] == "red", offset
        assert not runs_in(plan_day(db.url, day))
    cli(db.url, "checkin", "--date", (WED + timedelta(days=10)).isoformat(), "--pain-at-rest", "0",
        "--pain-next-morning", "0")  # fmt: skip
    assert cli(db.url, "status", "--date", (WED + timedelta(days=10)).isoformat(), "--json")["running_allowed"]


def test_a_run_that_hurt_does_not_raise_the_cap_in_any_view(db: Database) -> None:
    athlete = seed(db)
    sunday = MON - timedelta(days=1)
    with db.session() as session:  # Sunday's long run becomes a 20 km spike …
        spike = session.query(Activity).filter(Activity.distance_m == 10_000.0).order_by(Activity.start_utc.desc())
        spike.first().distance_m = 20_000.0
    save_checkin(db, athlete, {"date": MON.isoformat(), "pain_after_run": 4, "pain_next_morning": 2})  # … that hurt
    save_checkin(db, athlete, {"date": WED.isoformat(), "pain_at_rest": 0, "pain_next_morning": 0})
    load = cli(db.url, "load", "--date", WED.isoformat(), "--json")
    today = cli(db.url, "today", "--date", WED.isoformat(), "--json")
    assert load["longest_run_30d_m"] == 20_000.0  # the record still shows the spike …
    assert load["next_run"]["longest_tolerated_m"] == 10_000.0  # … but it is not the baseline
    assert load["next_run_cap_m"] <= 11_000.0 + 1e-6 and today["next_run_cap_m"] == load["next_run_cap_m"]
    assert sunday.isoformat() not in load["next_run"]["basis"]
    assert all(w["message"].count("20.0 km") <= 1 and "22.0 km" not in w["message"] for w in load["warnings"])
    week = cli(db.url, "plan", "--week-of", WED.isoformat(), "--json")
    caps = [i["distance_cap_m"] for d in week["days"] for i in runs_in(d) if i.get("distance_cap_m")]
    assert caps and max(caps) <= 11_000.0 + 1e-6
    weeks = cli(db.url, "load", "--history", "--weeks", "2", "--date", WED.isoformat(), "--json")
    assert weeks[0]["longest_run_m"] == 20_000.0 and weeks[0]["cap_at_end_m"] <= 11_000.0 + 1e-6


# ------------------------------------------------------------------------------- every view, random histories


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("voice") / "template.sqlite"
    database = Database(f"sqlite:///{path}")
    seed(database)
    database.dispose()
    return path


def _html_view(client: TestClient, day: date) -> dict:
    page = client.get("/", params={"date": day.isoformat()}).text
    kind = re.search(r'data-next-run="(\w+)"', page).group(1)
    phase = re.search(r'data-phase="(\w+)"', page).group(1)
    plan = client.get("/plan", params={"week_of": day.isoformat()}).text
    section = plan.split(f'id="day-{day.isoformat()}"', 1)[1].split('<section class="day', 1)[0]
    load = client.get("/load", params={"date": day.isoformat()}).text
    return {
        "today_allowed": "data-no-running" not in page.split("cap-heading", 1)[0],
        "kind": kind,
        "phase": phase,
        "plan_allowed": "data-no-running" not in section,
        "plan_runs": section.count('class="item kind-run"'),
        "load_kind": re.search(r'data-next-run="(\w+)"', load).group(1),
    }


# Each example builds a database and renders a dozen views: few examples, and no long shrinking in CI.
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    entries=st.lists(
        st.tuples(st.integers(0, 13), st.sampled_from([None, 2, 5, 7]),
                  st.sampled_from([{}, {}, URGENT, {"limp": True}, {"saddle_numbness_or_bladder_bowel_change": True}])),
        max_size=4, unique_by=lambda e: e[0]),
    runs=st.lists(st.tuples(st.integers(-6, 13), st.floats(3.0, 25.0)), max_size=4),
    clearance=st.one_of(st.none(), st.integers(0, 13)),
    days=st.lists(st.integers(0, 13), min_size=2, max_size=3, unique=True),
)  # fmt: skip
def test_every_view_renders_the_same_decision(template: Path, entries, runs, clearance, days) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "voice.sqlite"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
        db = Database(url)
        for offset, pain, flags in entries:
            save_checkin(db, 1, {"date": (MON + timedelta(days=offset)).isoformat(), "pain_during_run": pain,
                                 "red_flags": flags})  # fmt: skip
        for offset, km in runs:
            add_run(db, 1, MON + timedelta(days=offset), km)
        db.dispose()
        if clearance is not None:
            cli(url, "cleared", "--by", "Dr Who", "--date", (MON + timedelta(days=clearance)).isoformat())
        with TestClient(create_app(url, allowed_hosts=("testserver",))) as client:
            for offset in days:
                day = MON + timedelta(days=offset)
                iso = day.isoformat()
                today, status = cli(url, "today", "--date", iso, "--json"), cli(url, "status", "--date", iso, "--json")
                load, entry = cli(url, "load", "--date", iso, "--json"), plan_day(url, day)
                api_today = client.get("/api/v1/today", params={"date": iso}).json()
                api_load = client.get("/api/v1/load", params={"date": iso}).json()
                api_plan = client.get("/api/v1/plan", params={"week_of": iso}).json()
                api_entry = next(d for d in api_plan["days"] if d["date"] == iso)
                html = _html_view(client, day)
                allowed, next_run, phase = today["running_allowed"], today["next_run"], today["phase"]
                views = [load, entry, api_today, api_load, api_entry] + ([status] if status else [])
                for view in views:
                    assert view["running_allowed"] is allowed and view["phase"] == phase, (iso, view)
                    assert view["next_run"] == next_run, (iso, view)
                assert load["next_run_cap_m"] == today["next_run_cap_m"] == api_today["next_run_cap_m"]
                assert html["today_allowed"] is allowed and html["plan_allowed"] is allowed
                assert html["kind"] == html["load_kind"] == next_run["kind"] and html["phase"] == phase
                assert html["plan_runs"] == len(runs_in(entry)) == len(runs_in(today))
                assert allowed or not runs_in(entry)
                if next_run["cap_m"] is not None:
                    assert next_run["cap_m"] <= 1.10 * next_run["longest_tolerated_m"] + 1e-6


def test_today_on_the_command_line_says_what_to_do_first(db: Database) -> None:
    seed(db)
    runner = CliRunner()
    calm = runner.invoke(app, ["--db", db.url, "today", "--date", MON.isoformat()])
    decided = cli(db.url, "today", "--date", MON.isoformat(), "--json")
    lines = calm.output.splitlines()
    assert calm.exit_code == 0 and lines[1] == decided["headline"]["message"]  # the web page's words
    assert decided["next_run"]["summary"] in lines[1] and "No running today" not in calm.output
    save_checkin(db, 1, {"date": WED.isoformat(), "red_flags": {"cannot_bear_weight": True}})
    stopped = runner.invoke(app, ["--db", db.url, "today", "--date", WED.isoformat()])
    decided = cli(db.url, "today", "--date", WED.isoformat(), "--json")
    lines = stopped.output.splitlines()
    assert lines[1].startswith("Stop running and see a clinician") and lines[1] == decided["headline"]["message"]
    assert lines[2] == "No running today."
    assert lines[3].startswith("• Stop running and see a clinician within a day or two because not being able")
    assert stopped.output.index("No running today.") < stopped.output.index("Today's plan")


def test_days_ahead_are_projections_and_impossible_days_are_one_line(db: Database) -> None:
    seed(db)
    today = local_today(db, 1)
    ahead = cli(db.url, "today", "--date", (today + timedelta(days=3)).isoformat(), "--json")
    assert ahead["projected"] is True and ahead["decided_on"] == today.isoformat()
    runner = CliRunner()
    future = runner.invoke(app, ["--db", db.url, "checkin", "--date", (today + timedelta(days=1)).isoformat(),
                                 "--pain-at-rest", "2"])  # fmt: skip
    assert future.exit_code == 1 and "is after today" in future.output
    for args in (["status", "--date", "9999-12-31"], ["today", "--date", "0001-01-02"],
                 ["checkin", "--date", "0001-01-02", "--pain-at-rest", "1"]):  # fmt: skip
        result = runner.invoke(app, ["--db", db.url, *args])
        assert result.exit_code == 1 and "Traceback" not in result.output, args
        assert "1900-01-01–2200-12-31" in result.output, result.output
    with TestClient(create_app(db.url, allowed_hosts=("testserver",))) as client:
        for path in ("/?date=0001-01-01", "/plan?week_of=9999-12-31", "/load?date=0001-01-02"):
            response = client.get(path)
            assert response.status_code < 500 and "1900" in response.text, path


def test_a_past_day_keeps_what_was_logged_when_a_later_check_in_turns_it_red(db: Database) -> None:
    seed(db)
    tuesday = (MON + timedelta(days=1)).isoformat()
    run_id = runs_in(plan_day(db.url, MON + timedelta(days=1)))[0]["id"]
    cli(db.url, "done", run_id, "--json")
    cli(db.url, "checkin", "--date", tuesday, "--pain-during-run", "7")  # the run hurt: the day is red now
    entry = plan_day(db.url, MON + timedelta(days=1))
    assert not runs_in(entry) and entry["running_allowed"] is False
    assert [(i["id"], i["outcome"]) for i in entry["logged_items"]] == [(run_id, "done")]
    text = CliRunner().invoke(app, ["--db", db.url, "plan", "--week-of", tuesday]).output
    assert "(done, logged before the day was decided again)" in text


def test_editing_another_answer_of_a_cleared_day_does_not_bring_the_sign_back(db: Database) -> None:
    seed(db)
    cli(db.url, "checkin", "--date", WED.isoformat(), "--red-flag", "cannot_bear_weight")
    cli(db.url, "cleared", "--by", "Dr Jones", "--date", WED.isoformat())
    assert cli(db.url, "status", "--date", WED.isoformat(), "--json")["running_allowed"] is True
    cli(db.url, "checkin", "--date", WED.isoformat(), "--sitting-hours", "6")  # the same day, another answer
    assert cli(db.url, "status", "--date", WED.isoformat(), "--json")["running_allowed"] is True
    cli(db.url, "checkin", "--date", WED.isoformat(), "--red-flag", "hot_swollen_joint")  # a new sign: holds
    assert cli(db.url, "status", "--date", WED.isoformat(), "--json")["running_allowed"] is False
