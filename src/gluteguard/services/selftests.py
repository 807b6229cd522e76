"""Self-tests and the weekly function check: storing and reading them over time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from gluteguard.store.db import Database
from gluteguard.store.models import FunctionCheckRow, SelfTestRow
from gluteguard.symptoms.selftests import (
    FunctionCheck,
    SelfTestDay,
    StanceSide,
    function_check_items,
    score_function_check,
)


def _upsert_test(db: Database, athlete_id: int, day: date, kind: str, results: dict) -> None:
    with db.session() as session:
        row = session.scalar(
            select(SelfTestRow).where(
                SelfTestRow.athlete_id == athlete_id, SelfTestRow.day == day, SelfTestRow.kind == kind
            )
        )
        if row is None:
            session.add(
                SelfTestRow(athlete_id=athlete_id, day=day, kind=kind, results=results, created_at=datetime.now(UTC))
            )
        else:
            row.results = {**row.results, **results}
            row.created_at = datetime.now(UTC)  # last recorded: lets cached reports see the change


def record_stance(db: Database, athlete_id: int, day: date, sides: list[StanceSide]) -> None:
    results = {s.side: {"seconds_to_pain": s.seconds_to_pain, "pain_nrs": s.pain_nrs} for s in sides}
    _upsert_test(db, athlete_id, day, "single_leg_stance", results)


def record_palpation(db: Database, athlete_id: int, day: date, tender: dict[str, bool]) -> None:
    _upsert_test(db, athlete_id, day, "palpation", {side: bool(value) for side, value in tender.items()})


def self_test_history(db: Database, athlete_id: int, until: date | None = None) -> list[SelfTestDay]:
    query = select(SelfTestRow).where(SelfTestRow.athlete_id == athlete_id).order_by(SelfTestRow.day)
    if until is not None:
        query = query.where(SelfTestRow.day <= until)
    days: dict[date, SelfTestDay] = {}
    with db.session() as session:
        for row in session.scalars(query):
            entry = days.setdefault(row.day, SelfTestDay(row.day, {}, {}))
            if row.kind == "single_leg_stance":
                for side, result in row.results.items():
                    entry.stance[side] = StanceSide(side, result.get("seconds_to_pain"), result.get("pain_nrs") or 0)
            elif row.kind == "palpation":
                entry.palpation.update(row.results)
    return list(days.values())


def record_function_check(
    db: Database, athlete_id: int, day: date, answers: dict[str, int], global_change: str | None, visa_g: int | None
) -> FunctionCheck:
    check = score_function_check(answers, global_change, visa_g)  # validates before anything is written
    with db.session() as session:
        row = session.scalar(
            select(FunctionCheckRow).where(FunctionCheckRow.athlete_id == athlete_id, FunctionCheckRow.day == day)
        )
        if row is None:
            row = FunctionCheckRow(athlete_id=athlete_id, day=day, created_at=datetime.now(UTC))
            session.add(row)
        row.answers, row.score = check.answers, check.score
        row.global_change, row.visa_g = check.global_change, check.visa_g
    return check


def function_checks(db: Database, athlete_id: int) -> list[tuple[date, FunctionCheck]]:
    query = select(FunctionCheckRow).where(FunctionCheckRow.athlete_id == athlete_id).order_by(FunctionCheckRow.day)
    with db.session() as session:
        return [
            (row.day, FunctionCheck(row.answers, row.score, row.global_change, row.visa_g))
            for row in session.scalars(query)
        ]


def function_check_due(db: Database, athlete_id: int, today: date) -> bool:
    checks = function_checks(db, athlete_id)
    every = timedelta(days=function_check_items()["every_days"])
    return not checks or checks[-1][0] <= today - every
