"""The plan on the wrist (issue 18): every workout written as FIT decodes with Garmin's SDK decoder and with
fitdecode, step by step as planned; every step of the way back to running adds up to its session; a run keeps to
the day's cap and the easy heart-rate range; a day whose decision allows no running writes no run workout; the
calendar names the files that ``plan --fit`` writes."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from pathlib import Path

import fitdecode
import pytest
from garmin_fit_sdk import Decoder, Stream
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.coach.decide import decide_week
from gluteguard.coach.history import AthleteHistory, PlanProfile
from gluteguard.load.series import Session
from gluteguard.plan.inputs import PlanItem
from gluteguard.plan.library import load_library, return_to_run_ladder
from gluteguard.plan.workouts import SessionDay, Workout, easy_heart_rate, has_workout, week_workouts
from gluteguard.reports.fit_workouts import workout_to_fit
from gluteguard.symptoms.model import CheckIn, parse_checkin

MON = date(2026, 10, 5)
PROFILE = PlanProfile(running_days=("tue", "thu", "sat", "sun"), long_run_day="sun")


def _decode(data: bytes) -> list[dict]:
    """The workout steps as Garmin's own decoder reads them; fitdecode must agree on the count and names."""
    stream = Stream.from_byte_array(bytearray(data))
    decoder = Decoder(stream)
    assert decoder.is_fit() and decoder.check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    assert messages["file_id_mesgs"][0]["type"] == "workout"
    steps = messages["workout_step_mesgs"]
    assert messages["workout_mesgs"][0]["num_valid_steps"] == len(steps)
    with fitdecode.FitReader(io.BytesIO(data)) as reader:
        names = [frame.get_value("wkt_step_name", fallback=None) for frame in reader
                 if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "workout_step"]  # fmt: skip
    assert names == [step.get("wkt_step_name") for step in steps]
    return steps


def _played(steps: list[dict]) -> list[dict]:
    """The steps in the order the watch does them: repeats followed back to their first step."""
    out: list[dict] = []
    index = 0
    counts: dict[int, int] = {}
    while index < len(steps):
        step = steps[index]
        if step["duration_type"] == "repeat_until_steps_cmplt":
            counts[index] = counts.get(index, 1) + 1
            if counts[index] <= step["repeat_steps"]:
                index = step["duration_step"]
                continue
        else:
            out.append(step)
        index += 1
    return out


def _run_item(**kwargs: object) -> PlanItem:
    base = {"id": "2026-10-06-run-0", "kind": "run", "title": "Easy run", "details": "Up to 5.0 km.", "why": "w",
            "source": "s", "session_kind": "run"}  # fmt: skip
    return PlanItem(**{**base, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize("step", return_to_run_ladder(), ids=lambda s: f"step{s.ladder_step}")
def test_every_step_of_the_way_back_writes_its_session(step) -> None:
    item = _run_item(title=step.name, session_kind=step.session_kind, ladder_step=step.ladder_step)
    (workout,) = week_workouts([SessionDay(MON, True, (item,))], max_hr=190)
    played = _played(_decode(workout_to_fit(workout)))
    core = [s for s in played if s["intensity"] not in ("warmup", "cooldown")]
    minutes = {kind: sum(s.get("duration_time", 0) for s in core if s["wkt_step_name"].lower().startswith(kind)) / 60
               for kind in ("walk", "run")}  # fmt: skip
    planned = {kind: step.repeats * sum(i.minutes or 0 for i in step.intervals if i.do == kind) for kind in minutes}
    assert minutes == pytest.approx(planned)
    assert workout.sport == ("running" if step.holds_running else "walking")
    hops = [s for s in core if s["wkt_step_name"] == "Hops"]
    assert len(hops) == sum(i.do == "hops" for i in step.intervals)
    assert all(s["duration_type"] == "open" and s["notes"] for s in hops)
    for s in core:  # walks are never held to a heart rate; runs aim at the easy range
        if s["wkt_step_name"] == "Run easy":
            assert (s["custom_target_heart_rate_low"] - 100, s["custom_target_heart_rate_high"] - 100) == (114, 133)
        else:
            assert s["target_type"] == "open"
    if step.holds_running:
        assert played[-1]["intensity"] == "cooldown"
        assert played[0]["intensity"] == ("warmup" if step.intervals[0].do == "run" else "recovery")


def test_a_run_is_the_cap_as_a_distance_between_two_walks() -> None:
    item = _run_item(distance_cap_m=6437.4)
    (workout,) = week_workouts([SessionDay(MON, True, (item,))], max_hr=None)
    steps = _decode(workout_to_fit(workout))
    assert [s["intensity"] for s in steps] == ["warmup", "active", "cooldown"]
    assert steps[1]["duration_type"] == "distance" and steps[1]["duration_distance"] == pytest.approx(6437.0)
    assert steps[1]["target_type"] == "open"  # no maximum heart rate in the profile: no target
    assert steps[0]["duration_time"] == steps[2]["duration_time"] == 300
    no_cap = week_workouts([SessionDay(MON, True, (_run_item(),))], max_hr=180, heart_rate_target=False)[0]
    run = _decode(workout_to_fit(no_cap))[1]
    assert run["duration_type"] == "time" and run["duration_time"] == 20 * 60 and run["target_type"] == "open"
    assert easy_heart_rate(180) == (108, 126)


def test_a_strength_session_names_each_exercise_and_its_sets() -> None:
    library = load_library()
    chosen = [e for e in library.values() if e.kind == "strength" and e.dosage.reps][:3]
    item = PlanItem("2026-10-05-strength", "strength", "Strength, stage 2", "d", "w", "s",
                    exercises=tuple({"id": e.id, "name": e.name, "dosage": "x"} for e in chosen))  # fmt: skip
    (workout,) = week_workouts([SessionDay(MON, True, (item,))], max_hr=190)
    assert (workout.sport, workout.sub_sport) == ("training", "strength_training")
    played = _played(_decode(workout_to_fit(workout)))
    for exercise in chosen:
        sets = [s for s in played if s["wkt_step_name"] == exercise.name[:50]]
        assert len(sets) == exercise.dosage.sets
        assert all(s["duration_reps"] == exercise.dosage.reps * (2 if exercise.dosage.each_side else 1) for s in sets)
    assert {s["intensity"] for s in played} == {"active", "rest"}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["run", "walk_run", "walk", "hops", "strength", "tip"])),
                min_size=1, max_size=14))  # fmt: skip
def test_no_run_workout_on_a_day_without_running(days: list[tuple[bool, str]]) -> None:
    ladder = {e.session_kind: e.ladder_step for e in return_to_run_ladder()}
    session_days = []
    for number, (allowed, kind) in enumerate(days):
        day = MON + timedelta(days=number)
        if kind == "strength":
            item = PlanItem(f"{day}-strength", "strength", "Strength", "d", "w", "s",
                            exercises=({"id": next(iter(load_library())), "name": "x", "dosage": "y"},))  # fmt: skip
        elif kind == "tip":
            item = PlanItem(f"{day}-tip", "tip", "Tip", "d", "w", "s")
        else:
            item = _run_item(id=f"{day}-run-0", session_kind=kind, ladder_step=None if kind == "run" else ladder[kind])
        session_days.append(SessionDay(day, allowed, (item,)))
    workouts = week_workouts(session_days, max_hr=185)
    by_day = {d.date: d for d in session_days}
    for workout in workouts:
        day = by_day[workout.day]
        item = day.items[0]
        assert has_workout(item, day.running_allowed)
        assert day.running_allowed or workout.sport != "running"
    assert len({w.file_name for w in workouts}) == len(workouts)
    assert all(by_day[w.day].items[0].kind != "tip" for w in workouts)  # a tip is not a session


# --- from the one decision: a red week and a green one ----------------------------------------------------------


def _history(red_on: date | None) -> AthleteHistory:
    runs, checkins = [], []
    for offset in range(42, 0, -1):
        day = MON - timedelta(days=offset)
        if day.weekday() in (1, 3, 5, 6):
            km = 9.6 if day.weekday() == 6 else 6.0
            runs.append(Session(day.toordinal(), datetime.combine(day, time(7)), "run", km * 1000, km * 360))
            checkins.append(parse_checkin({"date": day.isoformat(), "pain_during_run": 0, "pain_after_run": 0,
                                           "pain_next_morning": 0}))  # fmt: skip
    if red_on is not None:
        checkins.append(parse_checkin({"date": red_on.isoformat(), "pain_during_run": 7, "pain_after_run": 7}))
    by_day: dict[date, CheckIn] = {c.date: c for c in checkins}
    return AthleteHistory(profile=PROFILE, sessions=tuple(runs), checkins=tuple(by_day[d] for d in sorted(by_day)))


def _week(red_on: date | None) -> tuple[Workout, ...]:
    week = decide_week(_history(red_on), MON, MON)
    return week_workouts([SessionDay(d.date, d.running_allowed, d.items) for d in week.days], max_hr=190)


def test_a_green_week_has_its_runs_and_a_red_week_none() -> None:
    green = _week(None)
    runs = [w for w in green if w.sport == "running"]
    assert len(runs) == 4  # Tue, Thu, Sat, Sun
    for workout in runs:
        distance = [s for s in workout.steps if s.metres is not None]
        assert len(distance) == 1 and 0 < distance[0].metres <= 9.6 * 1.1 * 1000 + 1  # within the 110 % cap
    red = _week(MON)  # red today: the week ahead holds no running
    assert [w for w in red if w.sport == "running"] == []


def test_plan_fit_writes_the_files_the_calendar_names(tmp_path: Path) -> None:
    from gluteguard.services.demo import build_demo
    from gluteguard.store.db import Database

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    database = Database(url)
    build_demo(database, end_date=date(2026, 11, 22), workers=1)
    database.dispose()
    runner = CliRunner()
    folder, ics = tmp_path / "watch", tmp_path / "week.ics"
    done = runner.invoke(app, ["--db", url, "plan", "--week-of", "2026-11-16", "--fit", str(folder), "--ics", str(ics)])
    assert done.exit_code == 0, done.output
    assert "GARMIN/NewFiles" in done.output
    written = sorted(path.name for path in folder.iterdir())
    assert written, done.output
    for path in folder.iterdir():
        _decode(path.read_bytes())
    named = set()
    for event in Calendar.from_ical(ics.read_bytes()).walk("VEVENT"):
        for line in str(event.get("description", "")).splitlines():
            if line.startswith("Watch workout: "):
                named.add(line.removeprefix("Watch workout: ").split(" ")[0])
    assert named == set(written)


def test_the_plan_page_downloads_the_workouts_as_a_zip(tmp_path: Path) -> None:
    import zipfile

    from fastapi.testclient import TestClient

    from gluteguard.plan.workouts import easy_heart_rate
    from gluteguard.services.athletes import get_profile, update_profile
    from gluteguard.services.demo import build_demo
    from gluteguard.store.db import Database
    from gluteguard.web import app as web_app

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    database = Database(url)
    build_demo(database, end_date=date(2026, 11, 22), workers=1)
    database.dispose()
    app = web_app.create_app(url, allowed_hosts=("testserver",))
    with TestClient(app) as client:
        assert "/plan/workouts.zip?week_of=" in client.get("/plan", params={"week_of": "2026-11-16"}).text
        got = client.get("/plan/workouts.zip", params={"week_of": "2026-11-16"})
        assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
        assert 'filename="gluteguard-workouts-2026-11-16.zip"' in got.headers["content-disposition"]
        calendar = Calendar.from_ical(client.get("/plan.ics", params={"week_of": "2026-11-16"}).content)
        assert client.get("/plan/workouts.zip", params={"week_of": "someday"}).status_code == 400
        assert "target=open" in client.get("/plan", params={"week_of": "2026-11-16"}).text
        open_zip = client.get("/plan/workouts.zip", params={"week_of": "2026-11-16", "target": "open"})
        assert open_zip.status_code == 200  # (the targets themselves are checked on the core's workouts above)
        low, high = easy_heart_rate(get_profile(app.state.db, 1).max_hr) or (0, 0)
        assert f"{low}–{high} beats a minute" in client.get("/plan").text
        update_profile(app.state.db, 1, {"max_hr": None})  # no maximum: the page says the runs have no target
        assert "has no maximum heart rate" in client.get("/plan").text
    app.state.db.dispose()
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        names = [name for name in archive.namelist() if name.endswith(".fit")]
        assert "GARMIN/NewFiles" in archive.read("README.txt").decode()
        for name in names:
            _decode(archive.read(name))
    with zipfile.ZipFile(io.BytesIO(open_zip.content)) as archive:
        assert sorted(n for n in archive.namelist() if n.endswith(".fit")) == sorted(names)
    named = {line.removeprefix("Watch workout: ").split(" ")[0]
             for event in calendar.walk("VEVENT") for line in str(event.get("description", "")).splitlines()
             if line.startswith("Watch workout: ")}  # fmt: skip
    assert named == set(names) and names
