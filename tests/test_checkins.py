"""Daily check-ins: validation, one per day and editable, nothing stored half; the CLI's three ways in."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.checkins import delete_checkin, get_checkin, list_checkins, save_checkin
from gluteguard.store.db import Database
from gluteguard.symptoms.model import PAIN_LOCATIONS, RED_FLAGS, CheckInError, parse_checkin

DAY = date(2026, 11, 2)


def test_one_checkin_per_day_and_edits_keep_other_answers(db: Database) -> None:
    athlete = ensure_athlete(db)
    first, created = save_checkin(db, athlete, {"date": "2026-11-02", "pain_during_run": 4, "side": "left"})
    assert created and first.pain_during_run == 4
    _, created = save_checkin(db, athlete, {"date": "2026-11-02", "night_pain": 3, "red_flags": {"limp": True}})
    assert not created
    stored = get_checkin(db, athlete, DAY)
    assert stored.pain_during_run == 4 and stored.night_pain == 3 and stored.side == "left"
    assert stored.flags_raised == ("limp",)
    assert len(list_checkins(db, athlete)) == 1
    assert delete_checkin(db, athlete, DAY) and get_checkin(db, athlete, DAY) is None


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"pain_during_run": 11}, "pain_during_run"),
        ({"pain_at_rest": -1}, "pain_at_rest"),
        ({"night_pain": 2.5}, "night_pain"),
        ({"pain_locations": "lateral_hip,elbow"}, "pain_locations"),
        ({"side": "middle"}, "side"),
        ({"tender_on_pressing": "both"}, "tender_on_pressing"),
        ({"sitting_hours": 25}, "sitting_hours"),
        ({"session_rpe": 11}, "session_rpe"),
        ({"red_flags": {"spontaneous_combustion": True}}, "red_flags"),
        ({"red_flags": {"limp": "perhaps"}}, "red_flags.limp"),
        ({"mood": "great"}, "unknown field"),
        ({"wakes_lying_on_side": "sometimes"}, "wakes_lying_on_side"),
    ],
)
def test_bad_values_name_the_field_and_store_nothing(db: Database, answers: dict, field: str) -> None:
    athlete = ensure_athlete(db)
    save_checkin(db, athlete, {"date": "2026-11-02", "pain_at_rest": 1})
    with pytest.raises(CheckInError, match=field.replace(".", r"\.")):
        save_checkin(db, athlete, {"date": "2026-11-02", "pain_during_run": 3, **answers})
    stored = get_checkin(db, athlete, DAY)
    assert stored.pain_at_rest == 1 and stored.pain_during_run is None  # the valid part was not stored either


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["pain_during_run", "night_pain", "sitting_hours", "side", "red_flags"]),
        st.one_of(st.none(), st.integers(-5, 30), st.text(max_size=5), st.floats(), st.booleans()),
    )
)
def test_parsing_anything_gives_a_checkin_or_one_clear_error(answers: dict) -> None:  # fmt: skip
    try:
        checkin = parse_checkin({"date": "2026-11-02", **answers})
    except CheckInError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for value in (checkin.pain_during_run, checkin.night_pain):
        assert value is None or 0 <= value <= 10
    assert set(checkin.as_dict()["red_flags"]) == set(RED_FLAGS)


def test_cli_flags_json_file_and_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--db", str(tmp_path / "c.sqlite")]
    done = runner.invoke(app, [*base, "checkin", "--date", "2026-11-02", "--pain-during-run", "5",
                               "--pain-locations", "lateral_hip,buttock", "--red-flag", "limp", "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    expected_keys = {"date", "pain_during_run", "pain_after_run", "pain_next_morning", "pain_at_rest", "night_pain",
                     "wakes_lying_on_side", "morning_stiffness_min", "pain_locations", "side", "tender_on_pressing",
                     "sitting_hours", "session_rpe", "note", "red_flags"}  # fmt: skip
    assert expected_keys <= set(data) and data["red_flags"]["limp"] is True
    answers = tmp_path / "day.json"
    answers.write_text(json.dumps({"date": "2026-11-03", "pain_next_morning": 2, "sitting_hours": 8}))
    assert runner.invoke(app, [*base, "checkin", "--from-json", str(answers)]).exit_code == 0
    bad = runner.invoke(app, [*base, "checkin", "--date", "2026-11-04", "--night-pain", "12"])
    assert bad.exit_code == 1 and "night_pain" in bad.output and "Traceback" not in bad.output
    listed = runner.invoke(app, [*base, "checkins", "--json"])
    assert [row["date"] for row in json.loads(listed.output)] == ["2026-11-02", "2026-11-03"]
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = runner.invoke(app, [*base, "checkin", "--from-json", str(broken)])
    assert result.exit_code == 1 and "cannot read" in result.output


def test_full_red_flag_screen_at_onboarding_weekly_and_on_trigger(db: Database, monkeypatch) -> None:
    """The interactive check-in asks every warning-sign question when the screen is due (scripted answers)."""
    from gluteguard.cli import checkin as checkin_cli
    from gluteguard.services.checkins import last_screen

    athlete = ensure_athlete(db)
    asked: list[str] = []

    def confirm(question: str, **_: object) -> bool:
        asked.append(question)
        return False

    def prompt(question: str, **_: object) -> str:
        if "[y/n, Enter to skip]" in question:  # a yes/no that may stay unanswered
            asked.append(question)
            return ""
        return "2" if "0–10" in question else ""

    monkeypatch.setattr(checkin_cli.Confirm, "ask", staticmethod(confirm))
    monkeypatch.setattr(checkin_cli.Prompt, "ask", staticmethod(prompt))
    first = checkin_cli._ask_interactively(DAY, last_screen(db, athlete, DAY))  # onboarding: never screened
    assert first["screened"] and set(first["red_flags"]) == set(RED_FLAGS)
    save_checkin(db, athlete, first)
    assert last_screen(db, athlete, DAY) == DAY
    asked.clear()
    three_days_later = date(2026, 11, 5)
    quiet = checkin_cli._ask_interactively(three_days_later, last_screen(db, athlete, three_days_later))
    assert "screened" not in quiet and len(asked) == 4  # ran?, lying on side, brisk walk, "any warning signs?"
    assert quiet["brisk_walk_pain_free"] is None  # Enter skips: no answer, never a "no"
    week_later = date(2026, 11, 9)
    assert checkin_cli._ask_interactively(week_later, last_screen(db, athlete, week_later))["screened"]


def test_knee_and_front_of_thigh_are_offered_and_stored_everywhere(tmp_path: Path) -> None:
    """clinical.md §4.3: a hip problem of youth can be felt only in the thigh or knee, so the check-in records them."""
    from gluteguard.symptoms.questions import questions
    from gluteguard.web.schemas import CheckInIn

    assert {"knee", "thigh"} <= set(PAIN_LOCATIONS)
    assert questions()["locations"]["thigh"] == "Front or inner thigh" and questions()["locations"]["knee"] == "Knee"
    described = CheckInIn.model_json_schema()["properties"]["pain_locations"]["description"]
    assert all(place in described for place in PAIN_LOCATIONS)
    runner = CliRunner()
    base = ["--db", str(tmp_path / "c.sqlite")]
    assert "thigh" in runner.invoke(app, [*base, "checkin", "--help"], env={"COLUMNS": "200"}).output
    done = runner.invoke(app, [*base, "checkin", "--date", "2026-11-02", "--pain-at-rest", "2",
                               "--pain-locations", "knee,thigh", "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["pain_locations"] == ["knee", "thigh"]
    elbow = runner.invoke(app, [*base, "checkin", "--date", "2026-11-03", "--pain-locations", "elbow"])
    assert elbow.exit_code == 1 and "knee" in elbow.output and "thigh" in elbow.output  # the allowed list names them


def test_checkin_help_shows_every_option_whole_at_80_columns() -> None:
    """A classic 80-column terminal: every option's full name and every warning sign's name, never cut with '…'."""
    shown = CliRunner().invoke(app, ["checkin", "--help"], terminal_width=80, env={"COLUMNS": "80"}).output
    assert "…" not in shown
    for option in ("--wakes-lying-on-side", "--brisk-walk-pain-free", "--tender-on-pressing", "--red-flag"):
        assert option in shown
    assert all(flag in shown for flag in RED_FLAGS)


def test_the_landing_question_asks_about_daily_life_not_hopping() -> None:
    from gluteguard.symptoms.questions import questions

    question = questions()["red_flags"]["pain_on_hopping"]
    assert "land" in question and "kerb" in question and "stairs" in question
    assert not question.lower().startswith("does hopping")


@pytest.mark.parametrize("place", ["knee", "thigh", "groin"])
def test_pain_away_from_the_side_of_the_hip_brings_the_warning_questions_at_once(monkeypatch, place: str) -> None:
    from gluteguard.cli import checkin as checkin_cli

    asked: list[str] = []

    def confirm(question: str, **_: object) -> bool:
        asked.append(question)
        return False

    def prompt(question: str, **_: object) -> str:
        if question.startswith("Where does it hurt?"):
            asked.append(question)
            assert asked.count(question) == 1, f"{place} was refused as a pain location"  # no endless re-asking
            return place
        return "" if "[y/n, Enter to skip]" in question or "0–10" not in question else "1"

    monkeypatch.setattr(checkin_cli.Confirm, "ask", staticmethod(confirm))
    monkeypatch.setattr(checkin_cli.Prompt, "ask", staticmethod(prompt))
    screened_yesterday = date(2026, 11, 1)
    answers = checkin_cli._ask_interactively(DAY, screened_yesterday)  # not due: only the trigger can ask
    assert answers["screened"] and set(answers["red_flags"]) == set(RED_FLAGS)
    assert answers["pain_locations"] == [place]


def test_places_are_picked_by_number_or_name_and_a_wrong_one_is_asked_again(monkeypatch) -> None:
    """The interactive check-in lists the places in plain words, numbered; a runner types numbers (or the names)."""
    from gluteguard.cli import checkin as checkin_cli
    from gluteguard.symptoms.questions import questions

    typed = iter(["elbow, 1", "1, 6 knee"])
    monkeypatch.setattr(checkin_cli.Prompt, "ask", staticmethod(lambda question, **_: next(typed)))
    places = questions()["locations"]
    assert checkin_cli._ask_locations("Where does it hurt?", places) == ["lateral_hip", "knee"]
    assert next(typed, None) is None  # "elbow" was refused and asked again
    assert "lateral_hip" not in questions()["other"]["pain_locations"]  # the question names no stored code


def test_a_check_in_with_no_answers_and_no_terminal_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "c.sqlite"), "checkin"])
    assert result.exit_code == 1 and "no answers given" in result.output
    listed = CliRunner().invoke(app, ["--db", str(tmp_path / "c.sqlite"), "checkins", "--json"])
    assert json.loads(listed.output) == []
