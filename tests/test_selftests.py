"""Self-tests and the weekly function check: the positivity rules, safety, scoring, storage over time."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.selftests import (
    function_check_due,
    function_checks,
    record_function_check,
    record_palpation,
    record_stance,
    self_test_history,
)
from gluteguard.store.db import Database
from gluteguard.symptoms.model import parse_checkin
from gluteguard.symptoms.selftests import SelfTestError, score_function_check, stance_side, stance_test_safe

ALL_TENS = {"night": 10, "stairs": 10, "walking": 10, "rising": 10, "single_leg": 10, "running": 10}


@pytest.mark.parametrize(
    ("seconds", "pain", "positive"),
    [(12, 3, True), (30, 2, True), (31, 5, False), (None, 0, False), (10, 1, False)],
)
def test_stance_positive_means_familiar_pain_of_two_or_more_within_30_seconds(seconds, pain, positive) -> None:
    assert stance_side("left", seconds, pain).positive is positive


def test_stance_test_is_skipped_on_warning_signs_and_groin_pain() -> None:
    assert stance_test_safe(parse_checkin({"date": "2026-11-02", "pain_at_rest": 2}))[0]
    for answers in (
        {"red_flags": {"limp": True}},
        {"pain_locations": "groin"},
        {"red_flags": {"cannot_bear_weight": True}},
    ):
        safe, reason = stance_test_safe(parse_checkin({"date": "2026-11-02", **answers}))
        assert not safe and reason


def test_function_check_scoring() -> None:
    assert score_function_check(ALL_TENS).score == 100
    half = {key: 5 for key in ALL_TENS}
    assert score_function_check(half, "much better").score == 50
    assert score_function_check(half, "much better").global_success
    with pytest.raises(SelfTestError, match="answer every item"):
        score_function_check({"night": 5})
    with pytest.raises(SelfTestError, match="0–10"):
        score_function_check({**ALL_TENS, "stairs": 11})
    with pytest.raises(SelfTestError, match="global_change"):
        score_function_check(ALL_TENS, "fantastic")
    with pytest.raises(SelfTestError, match="visa_g"):
        score_function_check(ALL_TENS, visa_g=120)


def test_tracked_over_time(db: Database) -> None:
    athlete = ensure_athlete(db)
    record_stance(db, athlete, date(2026, 11, 2), [stance_side("left", 8, 4)])
    record_stance(db, athlete, date(2026, 11, 9), [stance_side("left", 21, 3), stance_side("right", None, 0)])
    record_palpation(db, athlete, date(2026, 11, 9), {"left": True, "right": False})
    history = self_test_history(db, athlete)
    assert [d.day for d in history] == [date(2026, 11, 2), date(2026, 11, 9)]
    assert history[1].stance["left"].seconds_to_pain == 21 and history[1].palpation == {"left": True, "right": False}
    assert function_check_due(db, athlete, date(2026, 11, 2))
    record_function_check(db, athlete, date(2026, 11, 2), {k: 4 for k in ALL_TENS}, None, None)
    assert not function_check_due(db, athlete, date(2026, 11, 8))
    assert function_check_due(db, athlete, date(2026, 11, 9))
    record_function_check(db, athlete, date(2026, 11, 9), {k: 6 for k in ALL_TENS}, "better", 71)
    assert [c.score for _, c in function_checks(db, athlete)] == [40, 60]


def test_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--db", str(tmp_path / "s.sqlite")]
    stance = runner.invoke(
        app, [*base, "selftest", "stance", "--date", "2026-11-02", "--left", "9", "--left-pain", "3"]
    )
    assert stance.exit_code == 0 and "positive" in stance.output
    assert runner.invoke(app, [*base, "selftest", "palpation", "--date", "2026-11-02", "--left"]).exit_code == 0
    history = json.loads(runner.invoke(app, [*base, "selftest", "history", "--json"]).output)
    assert history[0]["stance"]["left"]["positive"] is True and history[0]["palpation"] == {"left": True}
    answers = [item for key in ALL_TENS for item in ("--answer", f"{key}=7")]
    check = runner.invoke(app, [*base, "function-check", "--date", "2026-11-02", *answers, "--json"])
    assert check.exit_code == 0 and json.loads(check.output)["score"] == 70
    bad = runner.invoke(app, [*base, "selftest", "stance", "--left", "ninety"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
