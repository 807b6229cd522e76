"""A coach's or physio's orders on an athlete's plan and their own notes about the athlete: stored, read back, and
each write logged in the athlete's audit log in the words of what was done, in the same transaction.

Who may do it is ``accounts.policy.may`` (``plan_orders``, ``notes``); what an order does to the plan is the pure
``plan.orders`` and the decision (``coach.decide``), which read the orders this module loads (``list_orders``).

Notes are the clinician's own record about the athlete: shown to the athlete's linked clinicians, never to the
athlete, and not in the athlete's data export (``services.data_rights``); the audit log tells the athlete when one
was written or read, and deleting the account deletes them with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from gluteguard.accounts.policy import Principal, care_words, may
from gluteguard.accounts.rules import Action
from gluteguard.plan.library import load_library
from gluteguard.plan.orders import STAGE_KINDS, ClinicianOrder, OrderKind, in_force, order_words
from gluteguard.plan.progression import progression_rules
from gluteguard.services.accounts import record_audit_in
from gluteguard.services.athletes import local_today
from gluteguard.services.cache import scoped
from gluteguard.services.versions import version_columns
from gluteguard.store.db import Database
from gluteguard.store.models import ClinicianNoteRow, ClinicianOrderRow
from gluteguard.store.timeutil import as_utc

MAX_NOTE, MAX_REASON = 4000, 500
# Exercises the plan chooses (a return-to-run step is a session of the ladder, not a choice to leave out).
EXCLUDABLE_KINDS = frozenset({"warmup", "foam_roll", "strength", "stretch", "sitting_break"})


class CareError(ValueError):
    """An order or note that cannot be recorded; one line naming the field."""


class CareRefused(CareError):
    """The person may not do this for this athlete (not a coach or physio linked to them)."""


@dataclass(frozen=True)
class OrderRecord:
    """An order as its forms and the API show it: the plain order, who set and lifted it, and when."""

    order: ClinicianOrder
    clinician_id: int | None
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    exercise_name: str | None

    def active_on(self, day: date) -> bool:
        return self.order.in_force(day, day)

    def as_json(self, today: date) -> dict:
        o = self.order
        return {
            "id": o.id,
            "kind": o.kind.value,
            "by": o.by,
            "stage": o.stage,
            "exercise_id": o.exercise_id,
            "exercise_name": self.exercise_name,
            "reason": o.reason or None,
            "starts_on": o.starts_on.isoformat(),
            "ends_on": o.ends_on.isoformat() if o.ends_on else None,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_by": self.revoked_by,
            "active": self.active_on(today),
        }


@dataclass(frozen=True)
class Note:
    id: int
    author: str
    author_id: int | None
    text: str
    created_at: datetime

    def as_json(self) -> dict:
        return {"id": self.id, "author": self.author, "text": self.text, "created_at": self.created_at.isoformat()}


def _require(actor: Principal | None, action: Action, athlete_id: int) -> Principal:
    if actor is None or not may(actor, action, athlete_id):
        what = "keep notes about them" if action is Action.NOTES else "set or lift orders on their plan"
        raise CareRefused(f"only a coach or physio linked to this athlete can {what}")
    return actor


def _order(row: ClinicianOrderRow) -> ClinicianOrder:
    return ClinicianOrder(
        id=row.id,
        kind=OrderKind(row.kind),
        by=row.clinician_name,
        starts_on=row.starts_on,
        stage=row.stage,
        exercise_id=row.exercise_id,
        reason=row.reason or "",
        ends_on=row.ends_on,
        revoked_on=row.revoked_on,
    )


def _record(row: ClinicianOrderRow) -> OrderRecord:
    exercise = load_library().get(row.exercise_id or "")
    return OrderRecord(
        order=_order(row),
        clinician_id=row.clinician_id,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
        revoked_by=row.revoked_by_name,
        exercise_name=exercise.name if exercise else None,
    )


# --- reading: what the decision takes in, and what the forms list ---------------------------------------------------


def list_orders(db: Database, athlete_id: int) -> tuple[ClinicianOrder, ...]:
    """Every order on the athlete's plan, lifted ones included (the past keeps what was decided then)."""
    query = select(ClinicianOrderRow).where(ClinicianOrderRow.athlete_id == athlete_id).order_by(ClinicianOrderRow.id)
    with db.session() as session:
        return tuple(_order(row) for row in session.scalars(query))


def orders_version(db: Database, athlete_id: int) -> tuple:
    """Changes when an order is set or lifted (the decisions' cache key)."""
    query = select(*version_columns("orders")).where(ClinicianOrderRow.athlete_id == athlete_id)

    def ask() -> tuple:
        with db.session() as session:
            return tuple(session.execute(query).one())

    return scoped(("orders", db.url, athlete_id), ask)


def order_records(db: Database, athlete_id: int) -> list[OrderRecord]:
    """Every order with who set and lifted it, newest first (the athlete sees these too: they shape their plan)."""
    query = (
        select(ClinicianOrderRow)
        .where(ClinicianOrderRow.athlete_id == athlete_id)
        .order_by(ClinicianOrderRow.created_at.desc(), ClinicianOrderRow.id.desc())
    )
    with db.session() as session:
        return [_record(row) for row in session.scalars(query)]


def excludable_exercises() -> list[tuple[str, str]]:
    """(id, name) of every exercise an order may leave out, by name."""
    found = [(e.id, e.name) for e in load_library().values() if e.kind in EXCLUDABLE_KINDS]
    return sorted(found, key=lambda pair: pair[1].lower())


# --- orders ------------------------------------------------------------------------------------------------------


def _clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if len(text) > MAX_REASON:
        raise CareError(order_words()["errors"]["reason"].format(max=MAX_REASON))
    return text


def set_order(
    db: Database,
    actor: Principal | None,
    athlete_id: int,
    kind: str,
    *,
    stage: int | None = None,
    exercise_id: str | None = None,
    until: date | None = None,
    reason: str | None = None,
    today: date | None = None,
    current_stage: int | None = None,
    now: datetime | None = None,
) -> OrderRecord:
    """Record a clinician's order, in their name: ``stage_hold`` (at the plan's stage today), ``stage_lower`` (to
    ``stage``, below today's) or ``exclude_exercise`` (``exercise_id``). A clinician's new stage order replaces
    their own earlier one. ``current_stage`` is the plan's stage today (default: decided now)."""
    clinician = _require(actor, Action.PLAN_ORDERS, athlete_id)
    errors = order_words()["errors"]
    try:
        order_kind = OrderKind(kind)
    except ValueError:
        raise CareError(errors["kind"].format(kinds=", ".join(OrderKind))) from None
    today = today or local_today(db, athlete_id)
    if until is not None and until < today:
        raise CareError(errors["until"].format(today=today.isoformat()))
    why = _clean_reason(reason)
    rules = progression_rules()["stage"]
    first, last = rules["first"], rules["last"]
    exercise_name = ""
    if order_kind in STAGE_KINDS:
        if current_stage is None:
            from gluteguard.services.coach import decision_on  # the plan's stage today is the decision's

            current_stage = decision_on(db, athlete_id, today).stage
        if order_kind is OrderKind.STAGE_HOLD:
            stage = current_stage
        elif stage is None or not first <= stage <= last:
            raise CareError(errors["stage"].format(first=first, last=last))
        elif current_stage <= first:
            raise CareError(errors["stage_lowest"].format(current=current_stage))
        elif stage >= current_stage:
            raise CareError(errors["stage_not_lower"].format(current=current_stage, first=first,
                                                             below=current_stage - 1))  # fmt: skip
        exercise_id = None
    else:
        exercise = load_library().get((exercise_id or "").strip())
        if exercise is None or exercise.kind not in EXCLUDABLE_KINDS:
            raise CareError(errors["exercise"].format(exercise=(exercise_id or "").strip()[:80]))
        exercise_id, exercise_name, stage = exercise.id, exercise.name, None
    now = now or datetime.now(UTC)
    with db.session() as session:
        rows = session.scalars(select(ClinicianOrderRow).where(ClinicianOrderRow.athlete_id == athlete_id)).all()
        live = in_force([_order(r) for r in rows], today, today)
        if exercise_id is not None and exercise_id in live.excluded:
            by = live.excluded[exercise_id].by
            raise CareError(order_words()["errors"]["already"].format(exercise=exercise_name, by=by))
        if order_kind in STAGE_KINDS:  # one stage order per clinician: the new one replaces their own earlier one
            for row in rows:
                if row.kind in STAGE_KINDS and row.clinician_id == clinician.user_id and _order(row) in live.all:
                    row.revoked_at, row.revoked_on, row.revoked_by_name = now, today, clinician.name
        row = ClinicianOrderRow(
            athlete_id=athlete_id,
            clinician_id=clinician.user_id,
            clinician_name=clinician.name,
            clinician_role=clinician.role.value,
            kind=order_kind.value,
            stage=stage,
            exercise_id=exercise_id,
            reason=why or None,
            created_at=now,
            starts_on=today,
            ends_on=until,
        )
        session.add(row)
        session.flush()
        what = care_words(order_kind.value, stage=stage, exercise=exercise_name)
        record_audit_in(session, clinician, athlete_id, "write", what, now)
        return _record(row)


def lift_order(
    db: Database, actor: Principal | None, athlete_id: int, order_id: int, *, today: date | None = None,
    now: datetime | None = None,
) -> OrderRecord:  # fmt: skip
    """Lift an order on the athlete's plan (any linked clinician may: a colleague may take over the care)."""
    clinician = _require(actor, Action.PLAN_ORDERS, athlete_id)
    today = today or local_today(db, athlete_id)
    now = now or datetime.now(UTC)
    with db.session() as session:
        row = session.get(ClinicianOrderRow, order_id)
        if row is None or row.athlete_id != athlete_id:
            raise CareError(order_words()["errors"]["no_order"])
        if row.revoked_at is None:
            row.revoked_at, row.revoked_on, row.revoked_by_name = now, today, clinician.name
            record = _record(row)
            what = care_words("lifted", order=_order_summary(record))
            record_audit_in(session, clinician, athlete_id, "write", what, now)
        return _record(row)


def _order_summary(record: OrderRecord) -> str:
    """The order in a few words of the audit table ("held your strength stage at 2")."""
    o = record.order
    return care_words(o.kind.value, stage=o.stage, exercise=record.exercise_name or o.exercise_id or "")


# --- notes -------------------------------------------------------------------------------------------------------


def add_note(db: Database, actor: Principal | None, athlete_id: int, text: str,
             now: datetime | None = None) -> Note:  # fmt: skip
    """A clinician's own note about the athlete (seen by the athlete's clinicians only)."""
    clinician = _require(actor, Action.NOTES, athlete_id)
    body = (text or "").strip()
    if not body:
        raise CareError("note: write something first")
    if len(body) > MAX_NOTE:
        raise CareError(f"note: at most {MAX_NOTE} characters")
    now = now or datetime.now(UTC)
    with db.session() as session:
        row = ClinicianNoteRow(athlete_id=athlete_id, author_id=clinician.user_id, author_name=clinician.name,
                               author_role=clinician.role.value, text=body, created_at=now)  # fmt: skip
        session.add(row)
        session.flush()
        record_audit_in(session, clinician, athlete_id, "write", care_words("note_written"), now)
        return Note(row.id, row.author_name, row.author_id, row.text, as_utc(row.created_at))


def list_notes(db: Database, actor: Principal | None, athlete_id: int) -> list[Note]:
    """The notes the athlete's clinicians keep about them, newest first (withdrawn ones left out)."""
    _require(actor, Action.NOTES, athlete_id)
    query = (
        select(ClinicianNoteRow)
        .where(ClinicianNoteRow.athlete_id == athlete_id, ClinicianNoteRow.retracted_at.is_(None))
        .order_by(ClinicianNoteRow.created_at.desc(), ClinicianNoteRow.id.desc())
    )
    with db.session() as session:
        return [Note(r.id, r.author_name, r.author_id, r.text, as_utc(r.created_at)) for r in session.scalars(query)]


def withdraw_note(db: Database, actor: Principal | None, athlete_id: int, note_id: int,
                  now: datetime | None = None) -> None:  # fmt: skip
    """Withdraw one of one's own notes (it is kept, marked withdrawn, and no longer listed)."""
    clinician = _require(actor, Action.NOTES, athlete_id)
    now = now or datetime.now(UTC)
    with db.session() as session:
        row = session.get(ClinicianNoteRow, note_id)
        if row is None or row.athlete_id != athlete_id or row.retracted_at is not None:
            raise CareError("no such note")
        if row.author_id != clinician.user_id:
            raise CareRefused("only the clinician who wrote a note can withdraw it")
        row.retracted_at = now
        record_audit_in(session, clinician, athlete_id, "write", care_words("note_withdrawn"), now)
