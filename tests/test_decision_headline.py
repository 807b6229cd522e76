"""The day's headline never says what the rest of the day contradicts (issue 16): "You may run" only on a day whose
session holds running, never on a walk or hop step of the way back to running, a rest day, a red or blocked day,
or a run whose ceiling would be 0 km — through the pure core, for every ladder step, and on the demo runner's
database in the CLI text, ``today --json``, the web Today page and the .ics calendar."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.coach.decide import decide, headline_for, headline_kind
from gluteguard.coach.decision import DayDecision, NextRun
from gluteguard.coach.history import AthleteHistory, PlanProfile
from gluteguard.load.series import Session
from gluteguard.plan.generator import plan_day, week_runs
from gluteguard.plan.inputs import PlanInputs
from gluteguard.plan.library import return_to_run_ladder
from gluteguard.plan.phase import PhaseDecision, phase_rules
from gluteguard.services.coach import decision_on
from gluteguard.services.demo import build_demo
from gluteguard.store.db import Database
from gluteguard.symptoms.model import CheckIn, parse_checkin
from gluteguard.symptoms.selftests import SelfTestDay, stance_side
from gluteguard.web.app import create_app

MON = date(2026, 10, 5)  # a Monday
PROFILE = PlanProfile(running_days=("tue", "thu", "sat", "sun"), long_run_day="sun")
DEMO_END = date(2026, 11, 22)
MAY_RUN = "You may run"
URGENT = {"groin_pain_worse_with_running": True, "limp": True, "pain_on_hopping": True}


def run(day: date, km: float) -> Session:
    return Session(day.toordinal(), datetime.combine(day, time(7)), "run", km * 1000, km * 360)


def checkin(day: date, **answers: object) -> CheckIn:
    return parse_checkin({"date": day.isoformat(), **answers})


def green_weeks(weeks: int = 6, km: float = 6.0) -> tuple[list[Session], list[CheckIn]]:
    """Tue/Thu/Sat/Sun runs (the Sunday one longer) with a pain-free check-in on each, before MON."""
    runs, checkins = [], []
    for offset in range(weeks * 7, 0, -1):
        day = MON - timedelta(days=offset)
        if day.weekday() in (1, 3, 5, 6):
            runs.append(run(day, km * 1.6 if day.weekday() == 6 else km))
            checkins.append(checkin(day, pain_during_run=0, pain_after_run=0, pain_next_morning=0))
    return runs, checkins


def history(runs: list[Session], checkins: list[CheckIn], self_tests: tuple[SelfTestDay, ...] = ()) -> AthleteHistory:
    by_day = {c.date: c for c in checkins}  # one check-in a day: the last one given
    return AthleteHistory(
        profile=PROFILE,
        sessions=tuple(sorted(runs, key=lambda s: s.local_start)),
        checkins=tuple(by_day[d] for d in sorted(by_day)),
        self_tests=self_tests,
    )


def sessions_today(decision: DayDecision) -> list:
    return [item for item in decision.items if item.kind == "run"]


def assert_headline_fits_the_day(decision: DayDecision) -> None:
    """What the headline says agrees with the day's items, its next run and whether running is allowed."""
    text, runs = decision.headline.message, sessions_today(decision)
    where = (decision.date, text)
    running_today = [item for item in runs if item.holds_running]
    if MAY_RUN in text:
        assert decision.running_allowed and running_today, where
        assert all(item.distance_cap_m is None or item.distance_cap_m >= 500 for item in running_today), where
        assert decision.next_run.cap_m is None or decision.next_run.cap_m > 0, where
    if running_today and decision.report is not None and decision.action == "self_manage":
        assert MAY_RUN in text, where
    if runs and not running_today:  # a walk or hop step of the way back to running
        assert "no running yet" in text and MAY_RUN not in text, where
    if not runs:
        assert MAY_RUN not in text, where
    if not decision.running_allowed:
        assert not runs and MAY_RUN not in text, where
        assert "No running today" in text or decision.headline_kind == "warning_sign", where
    if "No run planned today" in text or "A rest day" in text:
        assert not runs, where
    assert "0.0 km" not in text, where


# --- the pure core, scenario by scenario --------------------------------------------------------------------------


def test_a_run_day_and_a_rest_day_of_a_green_runner() -> None:
    runs, checkins = green_weeks()
    h = history(runs, checkins)
    tuesday, monday = decide(h, MON + timedelta(days=1)), decide(h, MON)
    assert tuesday.headline.message == f"You may run. {tuesday.next_run.summary}"
    assert tuesday.headline_kind == "run" and sessions_today(tuesday)[0].holds_running
    assert monday.headline.message.startswith("No run planned today. Next run — Tuesday 06 Oct: easy run, up to")
    assert monday.headline_kind == "rest" and not sessions_today(monday)
    for decision in (tuesday, monday):
        assert_headline_fits_the_day(decision)


def test_a_red_day_and_a_blocked_day_never_say_you_may_run() -> None:
    runs, checkins = green_weeks()
    tuesday, wednesday = MON + timedelta(days=1), MON + timedelta(days=2)
    red = decide(history(runs, [*checkins, checkin(tuesday, pain_during_run=7, pain_after_run=7)]), tuesday)
    assert red.headline.message.startswith("No running today: your hip is in the red zone.")
    assert red.headline_kind == "no_running" and not red.running_allowed
    blocked = decide(history(runs, [*checkins, checkin(wednesday, pain_at_rest=3, pain_locations=["groin"],
                                                       red_flags=URGENT)]), wednesday)  # fmt: skip
    assert blocked.headline.message.startswith("Stop running and see a clinician")
    assert blocked.headline_kind == "warning_sign" and not blocked.running_allowed
    for decision in (red, blocked):
        assert MAY_RUN not in decision.headline.message
        assert_headline_fits_the_day(decision)


def test_a_cut_back_amber_week_says_you_may_run_only_on_its_run_days() -> None:
    runs, checkins = green_weeks()
    amber = [*checkins, checkin(MON, pain_after_run=4, pain_next_morning=2)]
    days = [decide(history(runs, amber), MON + timedelta(days=k)) for k in range(3)]  # Mon–Wed: amber, cut back
    assert {d.phase for d in days} == {"manage"} and {d.status for d in days} == {"amber"}
    assert [d.headline_kind for d in days] == ["rest", "run", "rest"]
    assert "flat, no speed work" in sessions_today(days[1])[0].details
    for decision in days:
        assert (MAY_RUN in decision.headline.message) == bool(sessions_today(decision)), decision.date
        assert_headline_fits_the_day(decision)


def _return_history(walk_ok: bool) -> tuple[AthleteHistory, list[Session], list[CheckIn], tuple[SelfTestDay, ...]]:
    """A red day nine days before MON, settled two days later; the return criteria met (a pain-free brisk
    walk, a pain-free stance) or not (the walk still hurts)."""
    runs, checkins = green_weeks()
    red_day = MON - timedelta(days=9)
    runs = [r for r in runs if r.local_date < red_day]
    checkins = [c for c in checkins if c.date < red_day]
    checkins += [
        checkin(red_day, pain_at_rest=7, pain_locations=["lateral_hip"]),
        checkin(red_day + timedelta(days=2), pain_at_rest=0, brisk_walk_pain_free=walk_ok),
    ]
    tests = (SelfTestDay(red_day + timedelta(days=2), {"right": stance_side("right", None, None)}, {}),)
    return history(runs, checkins, tests), runs, checkins, tests


def test_the_way_back_to_running_walks_and_hops_without_you_may_run() -> None:
    h, runs, checkins, tests = _return_history(walk_ok=True)
    seen: dict[str, DayDecision] = {}
    for k in range(18):  # the way back, until the return window ends: each session done, a pain-free walk after
        day = MON + timedelta(days=k)
        decision = decide(h, day)
        assert decision.phase == "return", day
        assert_headline_fits_the_day(decision)
        seen.setdefault(decision.headline_kind, decision)
        if sessions_today(decision):
            runs.append(run(day, 3.0))
            checkins += [checkin(day, pain_during_run=0, pain_after_run=0, brisk_walk_pain_free=True),
                         checkin(day + timedelta(days=1), pain_next_morning=0, brisk_walk_pain_free=True)]  # fmt: skip
            h = history(runs, checkins, tests)
    assert {"walk", "hops", "rest_no_run_yet"} <= set(seen)
    walk = seen["walk"]
    assert walk.headline.message == "Today: a brisk walk, 30 min (step 1 of the way back to running), no running yet."
    (session,) = sessions_today(walk)
    assert "no running" in session.details and not session.holds_running
    assert [i.title for i in walk.items if i.kind in ("warmup", "stretch")] == ["Warm-up before the walk",
                                                                              "Stretch after the walk"]  # fmt: skip
    hops = seen["hops"]
    assert hops.headline.message.startswith("Today: a brisk walk, 20 min, then hops on both legs (step 2 of the way")
    assert hops.headline.message.endswith("no running yet.")
    rest = seen["rest_no_run_yet"]
    assert rest.headline.message.startswith("A rest day between the steps back to running, and no running yet. Next")
    assert "Next run" not in rest.headline.message


def test_a_brisk_walk_that_still_hurts_holds_the_first_step_and_its_words() -> None:
    h, *_ = _return_history(walk_ok=False)
    week = [decide(h, MON + timedelta(days=k)) for k in range(7)]
    assert {d.headline_kind for d in week} == {"walk", "rest_no_run_yet"}
    for decision in week:
        assert MAY_RUN not in decision.headline.message and "Next run" not in decision.headline.message
        assert_headline_fits_the_day(decision)


@pytest.mark.parametrize("step", [s.ladder_step for s in return_to_run_ladder()])
def test_every_step_of_the_way_back_says_whether_it_holds_running(step: int) -> None:
    """Walk/run intervals (steps 4–11) and the last step say "You may run"; the walk and hop steps never do."""
    phase = PhaseDecision("return", "", phase_rules()["return"]["source"])
    inputs = PlanInputs(week_of=MON, phase=phase, cap_m=None, last_7_days_m=0.0, running_days=("tue", "thu", "sat"),
                        ladder_step=step)  # fmt: skip
    day = MON + timedelta(days=week_runs(inputs)[0])
    items = plan_day(inputs, day)
    ladder = return_to_run_ladder()[step - 1]
    (session,) = [item for item in items if item.kind == "run"]
    assert session.title == ladder.name and session.session_kind == ladder.session_kind
    runs, checkins = green_weeks()
    report = decide(history(runs, checkins), MON).report  # a green day's report
    next_run = NextRun("ladder", "", "", "", ladder_step=step, planned_on=day)
    kind = headline_kind(report, True, items, next_run)
    words = {"walk": "walk", "hops": "hops", "walk_run": "walk_run", "run": "walk_run"}[ladder.session_kind]
    assert kind == words
    text = headline_for(kind, report, next_run).message
    assert (MAY_RUN in text) == ladder.holds_running == (step >= 4)
    assert f"step {step} of the way back to running" in text and ladder.in_short in text


def test_runs_with_no_distance_set_no_ceiling_of_zero() -> None:
    """A treadmill without a foot pod records 0 km: it gave "You may run … up to 0.0 km" before."""
    runs, checkins = green_weeks()
    no_distance = [Session(r.activity_id, r.local_start, "run", 0.0, 1800) for r in runs]
    h = history(no_distance, checkins)
    tuesday = decide(h, MON + timedelta(days=1))
    assert tuesday.next_run.kind == "easy" and tuesday.next_run.cap_m is None
    assert "no distance recorded" in tuesday.next_run.basis
    (session,) = sessions_today(tuesday)
    assert session.distance_cap_m is None and session.details == "Short and easy, 20–30 minutes."
    assert tuesday.headline.message == "You may run. Today: easy run: short and easy, 20–30 minutes."
    assert_headline_fits_the_day(tuesday)
    # one real run among them sets the ceiling again
    mixed = history([*no_distance, run(MON - timedelta(days=3), 5.0)], checkins)
    assert decide(mixed, MON + timedelta(days=1)).next_run.cap_m == pytest.approx(5500.0)


def test_no_check_in_yet_and_a_see_a_clinician_day_keep_their_words() -> None:
    runs, checkins = green_weeks()
    first = decide(history(runs, []), MON + timedelta(days=1))
    assert first.headline_kind == "no_checkin" and first.headline.message.startswith("No check-in yet:")
    assert_headline_fits_the_day(first)
    # pain when hopping: see a clinician, running allowed; the run day and the rest day keep their own words
    h = history(runs, [*checkins, checkin(MON, red_flags={"pain_on_hopping": True})])
    for day, kind, words in ((MON + timedelta(days=1), "run", MAY_RUN), (MON + timedelta(days=2), "rest",
                                                                         "No run planned today")):  # fmt: skip
        decision = decide(h, day)
        assert decision.action == "see_clinician" and decision.running_allowed
        assert decision.headline_kind == kind and words in decision.headline.message
        assert decision.headline.message.index(words) > 0  # after the see-a-clinician sentence
        assert_headline_fits_the_day(decision)


# --- the demo runner: every view renders the same headline ------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    database = Database(f"sqlite:///{path}")
    build_demo(database, end_date=DEMO_END, workers=2)
    database.dispose()
    return path


def _walk_day(url: str) -> date:
    db = Database(url)
    try:
        days = [decision_on(db, 1, DEMO_END - timedelta(days=k)) for k in range(56)]
    finally:
        db.dispose()
    return next(d.date for d in days if d.headline_kind == "walk")


def test_the_demo_runner_never_reads_you_may_run_on_a_day_without_running(demo_db: Path) -> None:
    db = Database(f"sqlite:///{demo_db}")
    days = [decision_on(db, 1, DEMO_END - timedelta(days=k)) for k in range(56)]
    db.dispose()
    for decision in days:
        assert_headline_fits_the_day(decision)
    kinds = {d.headline_kind for d in days}
    assert {"run", "rest", "walk"} <= kinds, kinds  # the demo's spike week leads to a walk back to running


def test_every_view_of_a_walk_day_says_no_running_yet(demo_db: Path) -> None:
    url = f"sqlite:///{demo_db}"
    walk_day = _walk_day(url)
    db = Database(url)
    headline = decision_on(db, 1, walk_day).headline.message
    db.dispose()
    assert MAY_RUN not in headline and "no running yet" in headline
    runner = CliRunner()
    text = runner.invoke(app, ["--db", url, "today", "--date", walk_day.isoformat()])
    assert text.exit_code == 0 and text.output.splitlines()[1] == headline
    as_json = json.loads(runner.invoke(app, ["--db", url, "today", "--date", walk_day.isoformat(), "--json"]).output)
    assert as_json["headline"]["message"] == headline and as_json["headline_kind"] == "walk"
    assert {"headline", "headline_kind", "next_run", "next_run_cap_m", "running_allowed", "items"} <= set(as_json)
    assert as_json["running_today"] is False  # allowed by the symptoms, not yet by the way back
    status = runner.invoke(app, ["--db", url, "status", "--date", walk_day.isoformat()]).output
    assert "running today: not yet" in status and "running today: yes" not in status
    on_the_day = ["--date", walk_day.isoformat(), "--json"]
    status_json = json.loads(runner.invoke(app, ["--db", url, "status", *on_the_day]).output)
    load_json = json.loads(runner.invoke(app, ["--db", url, "load", *on_the_day]).output)
    assert status_json["running_today"] is False and load_json["running_today"] is False
    plan = json.loads(runner.invoke(app, ["--db", url, "plan", "--week-of", walk_day.isoformat(), "--json"]).output)
    entry = next(d for d in plan["days"] if d["date"] == walk_day.isoformat())
    assert entry["headline"] == headline and entry["headline_kind"] == "walk"
    with TestClient(create_app(url, allowed_hosts=("testserver",))) as client:
        page = client.get("/", params={"date": walk_day.isoformat()}).text
        api = client.get("/api/v1/today", params={"date": walk_day.isoformat()}).json()
    card = page.split('id="cap-heading"', 1)[1].split("</section>", 1)[0]
    assert "Your next session" in card and headline in card and MAY_RUN not in card
    assert api["headline_kind"] == "walk" and api["headline"]["message"] == headline
    assert api["running_today"] is False


def test_the_calendar_of_a_walk_week_says_walk(demo_db: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{demo_db}"
    walk_day = _walk_day(url)
    ics = tmp_path / "week.ics"
    result = CliRunner().invoke(app, ["--db", url, "plan", "--week-of", walk_day.isoformat(), "--ics", str(ics)])
    assert result.exit_code == 0, result.output
    events = [e for e in Calendar.from_ical(ics.read_bytes()).walk("VEVENT") if e.decoded("dtstart") == walk_day]
    (walk,) = [e for e in events if "-run-" in str(e["uid"]) and e.get("status") != "CANCELLED"]
    assert "brisk walk" in str(walk["summary"]) and "Warm-up before the walk" in str(walk["description"])
