"""A coach's or physio's orders and notes through the service layer, on SQLite and PostgreSQL (issue 17): only a
linked clinician may set them, the athlete's plan shows them with the clinician's name, the audit log says what was
done, notes never reach the athlete (nor their export), and deleting the account removes them."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gluteguard.accounts.policy import Principal
from gluteguard.services import accounts, care
from gluteguard.services.coach import decision_on, today_summary, week_plan
from gluteguard.services.data_rights import delete_everything, export_everything
from gluteguard.store.db import Database
from gluteguard.store.models import ClinicianNoteRow, ClinicianOrderRow

PASSWORD = "correct horse battery"


@dataclass
class Clinic:
    db: Database
    athlete: int
    anna: Principal
    cleo: Principal
    dora: Principal  # a clinician not linked to Anna
    root: Principal


def _login(db: Database, name: str) -> Principal:
    return accounts.authenticate(db, name, PASSWORD, "127.0.0.1").principal


@pytest.fixture
def clinic(db: Database) -> Iterator[Clinic]:
    anna = accounts.create_user(db, "anna", PASSWORD, "athlete", display_name="Anna Berg", timezone="UTC")
    accounts.create_user(db, "cleo", PASSWORD, "clinician", display_name="Cleo Physio")
    accounts.create_user(db, "dora", PASSWORD, "clinician", display_name="Dora Coach")
    accounts.create_user(db, "root", PASSWORD, "admin")
    code, _ = accounts.create_invite(db, _login(db, "cleo"))
    accounts.accept_invite(db, _login(db, "anna"), code)
    assert anna.athlete_id is not None
    yield Clinic(db, anna.athlete_id, _login(db, "anna"), _login(db, "cleo"), _login(db, "dora"), _login(db, "root"))


def _exercise_ids(db: Database, athlete: int) -> set[str]:
    """The exercises of this week from today on (the days before keep what was decided then)."""
    today = decision_on(db, athlete).date.isoformat()
    days = [d for d in week_plan(db, athlete).as_dict()["days"] if d["date"] >= today]
    return {e["id"] for d in days for i in d["items"] for e in i.get("exercises", [])}


def test_only_a_linked_clinician_sets_orders_or_keeps_notes(clinic: Clinic) -> None:
    db, a = clinic.db, clinic.athlete
    for outsider in (clinic.dora, clinic.anna, clinic.root, None):
        with pytest.raises(care.CareRefused):
            care.set_order(db, outsider, a, "stage_hold")
        with pytest.raises(care.CareRefused):
            care.set_order(db, outsider, a, "exclude_exercise", exercise_id="side_steps")
        with pytest.raises(care.CareRefused):
            care.add_note(db, outsider, a, "x")
        with pytest.raises(care.CareRefused):
            care.list_notes(db, outsider, a)
    with db.session() as session:
        assert session.query(ClinicianOrderRow).count() == session.query(ClinicianNoteRow).count() == 0
    assert not [e for e in accounts.audit_log(db, a) if e.actor_name == "Dora Coach"]


def test_the_athlete_sees_the_hold_with_the_name_and_the_audit_log_says_it(clinic: Clinic) -> None:
    db, a = clinic.db, clinic.athlete
    stage = decision_on(db, a).stage
    record = care.set_order(db, clinic.cleo, a, "stage_hold", reason="until the scan")
    assert record.order.stage == stage and record.order.by == "Cleo Physio"
    today = today_summary(db, a).as_dict()
    assert today["orders"][0]["message"].startswith(f"Held at stage {stage} by Cleo Physio")
    assert "until the scan" in today["orders"][0]["message"]
    assert week_plan(db, a).as_dict()["orders"][0]["by"] == "Cleo Physio"
    assert accounts.audit_log(db, a)[0].what == f"held your strength stage at {stage}"
    care.lift_order(db, clinic.cleo, a, record.order.id)
    assert decision_on(db, a).orders == ()
    assert accounts.audit_log(db, a)[0].what == f"lifted their order on your plan: held your strength stage at {stage}"


def test_an_exclusion_leaves_the_plan_and_lifting_it_brings_it_back(clinic: Clinic) -> None:
    db, a = clinic.db, clinic.athlete
    used = sorted(_exercise_ids(db, a) & {e for e, _ in care.excludable_exercises()})
    target = used[0]
    record = care.set_order(db, clinic.cleo, a, "exclude_exercise", exercise_id=target)
    assert target not in _exercise_ids(db, a)
    assert any(n.exercise_id == target and "Cleo Physio" in n.message for n in decision_on(db, a).orders)
    assert (
        accounts.audit_log(db, a)[0].what.startswith("left ")
        and "out of your plan" in accounts.audit_log(db, a)[0].what
    )
    with pytest.raises(care.CareError, match="left out already"):
        care.set_order(db, clinic.cleo, a, "exclude_exercise", exercise_id=target)
    care.lift_order(db, clinic.cleo, a, record.order.id)
    assert target in _exercise_ids(db, a)


def test_bad_orders_are_refused_in_one_line(clinic: Clinic) -> None:
    db, a = clinic.db, clinic.athlete
    for kwargs, words in (
        ({"kind": "stage_lower", "stage": 4}, "stage: the plan is at stage"),
        ({"kind": "stage_lower", "stage": 9}, "stage: use a stage from 1 to 4"),
        ({"kind": "exclude_exercise", "exercise_id": "rtr_step_03"}, "exercise: 'rtr_step_03' is not"),
        ({"kind": "exclude_exercise", "exercise_id": "nope"}, "exercise: 'nope'"),
        ({"kind": "walk_on_water"}, "kind: use one of"),
    ):
        with pytest.raises(care.CareError) as caught:
            care.set_order(db, clinic.cleo, a, **kwargs)  # type: ignore[arg-type]
        assert str(caught.value).startswith(words) and "\n" not in str(caught.value)
    with pytest.raises(care.CareError, match="no such order"):
        care.lift_order(db, clinic.cleo, a, 12345)


def test_a_lowered_stage_is_used_and_a_new_stage_order_replaces_the_clinicians_own(clinic: Clinic) -> None:
    db, a = clinic.db, clinic.athlete
    care.set_order(db, clinic.cleo, a, "stage_hold", current_stage=3)  # as if the plan were at stage 3
    care.set_order(db, clinic.cleo, a, "stage_lower", stage=1, current_stage=3)
    live = [r for r in care.order_records(db, a) if r.revoked_at is None]
    assert [(r.order.kind.value, r.order.stage) for r in live] == [("stage_lower", 1)]
    decision = decision_on(db, a)
    assert decision.stage == 1 and decision.orders[0].message.startswith("Lowered to stage 1 by Cleo Physio")


def test_notes_stay_with_clinicians_out_of_the_export_and_go_with_the_account(clinic: Clinic) -> None:
    db, a = clinic.db, clinic.athlete
    secret = "Zqv tender over the greater trochanter"
    note = care.add_note(db, clinic.cleo, a, secret)
    assert [n.text for n in care.list_notes(db, clinic.cleo, a)] == [secret]
    assert accounts.audit_log(db, a)[0].what == "wrote a note about you in their own records"
    with pytest.raises(care.CareRefused):
        care.withdraw_note(db, _login(db, "dora"), a, note.id)
    care.set_order(db, clinic.cleo, a, "exclude_exercise", exercise_id="side_steps")
    buffer = io.BytesIO()
    export_everything(db, a, buffer, week=week_plan(db, a).as_dict())
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    assert "tables/clinician_note.json" not in archive.namelist()
    assert all(secret not in archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    assert json.loads(archive.read("tables/clinician_order.json"))[0]["exercise_id"] == "side_steps"
    assert "notes your coach or physio keeps" in archive.read("README.txt").decode()
    care.withdraw_note(db, clinic.cleo, a, note.id)
    assert care.list_notes(db, clinic.cleo, a) == []
    removed = delete_everything(db, a)
    assert removed["clinician_note"] == 1 and removed["clinician_order"] == 1
    with db.session() as session:
        assert session.query(ClinicianNoteRow).count() == session.query(ClinicianOrderRow).count() == 0


def test_a_revoked_link_ends_the_clinicians_orders_too(clinic: Clinic) -> None:
    db, a = clinic.db, clinic.athlete
    link = accounts.care_team(db, a)[0]
    accounts.revoke_link(db, clinic.anna, link.id)
    with pytest.raises(care.CareRefused):
        care.set_order(db, _login(db, "cleo"), a, "stage_hold")
