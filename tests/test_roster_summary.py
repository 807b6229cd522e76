"""The roster's kept days (services/roster.py, issue 17's scale target): an athlete's day is decided once per data
version and day and then read back in a few queries; any write the decision reads makes it decided again, and
what the roster shows is always what the athlete's own decision says — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gluteguard.accounts.policy import Principal
from gluteguard.services import accounts, care, roster
from gluteguard.services.athletes import local_today, update_profile
from gluteguard.services.checkins import save_checkin
from gluteguard.services.clinician import record_visit
from gluteguard.services.coach import decision_on
from gluteguard.services.plan import log_item
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, AthleteDaySummaryRow

PASSWORD = "correct horse battery"


@dataclass
class Clinic:
    db: Database
    athletes: list[int]
    cleo: Principal


def _login(db: Database, name: str) -> Principal:
    return accounts.authenticate(db, name, PASSWORD, "127.0.0.1").principal


@pytest.fixture
def clinic(db: Database) -> Iterator[Clinic]:
    accounts.create_user(db, "cleo", PASSWORD, "clinician", display_name="Cleo Physio")
    ids = []
    for name in ("anna", "ben", "cara"):
        info = accounts.create_user(db, name, PASSWORD, "athlete", display_name=name.title(), timezone="UTC")
        code, _ = accounts.create_invite(db, _login(db, "cleo"))
        accounts.accept_invite(db, _login(db, name), code)
        assert info.athlete_id is not None
        ids.append(info.athlete_id)
    yield Clinic(db, ids, _login(db, "cleo"))


@pytest.fixture
def decided(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The athletes whose day the roster decided (rather than read back)."""
    seen: list[int] = []
    original = roster.athlete_day

    def counting(db: Database, athlete_id: int, name: str) -> roster.AthleteDay:
        seen.append(athlete_id)
        return original(db, athlete_id, name)

    monkeypatch.setattr(roster, "athlete_day", counting)
    return seen


def _import_one_run(db: Database, athlete_id: int, folder) -> None:
    from gluteguard.samples.runner import one_hour_run
    from gluteguard.services.importer import import_paths

    run = folder / "run.fit"
    run.write_bytes(one_hour_run(0))
    assert import_paths(db, athlete_id, [run]).as_json()["activity_ids"]


def _by_id(entries: list) -> dict[int, object]:
    return {entry.day.athlete_id: entry.day for entry in entries}


def test_a_day_is_decided_once_then_read_back(clinic: Clinic, decided: list[int]) -> None:
    first = roster.roster(clinic.db, clinic.cleo)
    assert sorted(decided) == sorted(clinic.athletes)
    decided.clear()
    again = roster.roster(clinic.db, clinic.cleo)
    assert decided == []
    assert _by_id(again) == _by_id(first)


def test_a_check_in_decides_that_athlete_again_and_the_roster_shows_it(clinic: Clinic, decided: list[int]) -> None:
    db, ben = clinic.db, clinic.athletes[1]
    roster.roster(db, clinic.cleo)
    decided.clear()
    today = local_today(db, ben).isoformat()
    save_checkin(db, ben, {"date": today, "pain_at_rest": 7, "pain_locations": ["lateral_hip"]})
    entries = roster.roster(db, clinic.cleo)
    assert decided == [ben]
    day = _by_id(entries)[ben]
    own = decision_on(db, ben)
    assert (day.status, day.action, day.headline) == (own.status, own.action, own.headline.message)
    assert entries[0].day.athlete_id == ben  # the one who needs the physio first


@pytest.mark.parametrize("write", ["profile", "plan_log", "visit", "order", "checkin", "import", "activity_change"])
def test_every_write_the_decision_reads_changes_the_version(clinic: Clinic, write: str, tmp_path) -> None:
    db, anna = clinic.db, clinic.athletes[0]
    if write == "activity_change":
        _import_one_run(db, anna, tmp_path)
    before = roster.data_versions(db, clinic.athletes)
    today = local_today(db, anna)
    if write == "profile":
        update_profile(db, anna, {"max_hr": 185})
    elif write == "plan_log":
        item = next(i for i in decision_on(db, anna).items)
        log_item(db, anna, item.id, "done")
    elif write == "visit":
        record_visit(db, anna, "cleared", today, today, by="Cleo Physio")
    elif write == "order":
        care.set_order(db, clinic.cleo, anna, "stage_hold", reason="until Friday")
    elif write == "import":
        _import_one_run(db, anna, tmp_path)
    elif write == "activity_change":  # a review, a histogram filled in later: a change to a row that stays
        with db.session() as session:
            session.scalars(select(Activity).where(Activity.athlete_id == anna)).first().duplicate_status = "kept"
    else:
        save_checkin(db, anna, {"date": today.isoformat(), "pain_during_run": 2})
    after = roster.data_versions(db, clinic.athletes)
    assert after[anna] != before[anna]
    assert {k: v for k, v in after.items() if k != anna} == {k: v for k, v in before.items() if k != anna}


def test_a_new_day_is_decided_again(clinic: Clinic, decided: list[int]) -> None:
    db = clinic.db
    roster.roster(db, clinic.cleo)
    with db.session() as session:  # as if kept yesterday
        for row in session.query(AthleteDaySummaryRow).all():
            row.day = row.day - timedelta(days=1)
    decided.clear()
    roster.roster(db, clinic.cleo)
    assert sorted(decided) == sorted(clinic.athletes)


def test_the_nightly_re_decision_keeps_the_day_for_the_roster(clinic: Clinic, decided: list[int]) -> None:
    db = clinic.db
    for athlete in clinic.athletes:
        roster.refresh_summary(db, athlete)
    decided.clear()  # refresh_summary decided each once
    roster.roster(db, clinic.cleo)
    assert decided == []
    with db.session() as session:
        kept = session.query(AthleteDaySummaryRow).all()
        assert len(kept) == 3 and all(row.day == local_today(db, row.athlete_id) for row in kept)


def test_a_saved_stride_finding_and_skipped_strength_sessions_reach_the_roster(clinic: Clinic, tmp_path) -> None:
    from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text
    from gluteguard.plan.adherence import monday_of
    from gluteguard.samples.gait_synth import synthetic_run
    from gluteguard.services.gait import StrideOptions, analyze_stride, save_stride
    from gluteguard.store.models import PlanLogRow

    db, (anna, ben, _) = clinic.db, clinic.athletes
    today = local_today(db, anna)
    clip = tmp_path / "rear.csv"
    clip.write_text(keypoints_csv_text(synthetic_run(view="rear", seconds=12.0, pelvic_drop_deg=(4.0, 7.5),
                                                     noise_px=0.5, seed=3)), encoding="utf-8")  # fmt: skip
    result = analyze_stride(db, anna, clip, StrideOptions(view="rear", recorded_on=today - timedelta(days=2)))
    assert result.analysis.findings
    save_stride(db, anna, result)
    monday = monday_of(today)
    with db.session() as session:  # three finished weeks with both strength sessions skipped, as ben logged them
        for weeks in (1, 2, 3):
            for offset in (0, 3):
                day = monday - timedelta(weeks=weeks) + timedelta(days=offset)
                session.add(PlanLogRow(athlete_id=ben, item_id=f"{day.isoformat()}-strength", day=day,
                                       kind="strength", outcome="skipped", logged_at=datetime.now(UTC)))  # fmt: skip
    entries = roster.roster(db, clinic.cleo)
    needs = {entry.day.athlete_id: dict(entry.needs) for entry in entries}
    assert needs[anna]["new_stride_finding"] == "New stride finding: Pelvic drop"
    assert needs[ben]["low_adherence"] == "Strength sessions mostly skipped lately"
    again = {entry.day.athlete_id: dict(entry.needs) for entry in roster.roster(db, clinic.cleo)}  # read back
    assert again == needs
