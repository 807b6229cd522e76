"""Warning signs that hold: a red-flag answer keeps its action until a clinician's clearance (or, for a
see-a-clinician sign, a booked visit) is recorded — later check-ins without the answer do not lift it (pure).

Which actions hold and what lifts them lives in ``triage_rules.toml`` ``[holds]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from gluteguard.symptoms.triage import NO_RUNNING_ACTIONS, Reason, Triage, TriageRule, TriageRules, triage_rules

VISIT_KINDS = ("cleared", "booked")


@dataclass(frozen=True)
class ClinicianVisit:
    """A recorded clearance by a clinician, or a booked visit, on a local day."""

    day: date
    kind: str  # cleared | booked
    by: str | None = None
    note: str | None = None
    recorded_at: datetime | None = None  # when it was recorded (UTC): it lifts only what was known then

    def as_dict(self) -> dict:
        recorded = self.recorded_at.isoformat() if self.recorded_at else None
        return {
            "date": self.day.isoformat(),
            "kind": self.kind,
            "by": self.by,
            "note": self.note,
            "recorded_at": recorded,
        }


@dataclass(frozen=True)
class Hold:
    """A warning sign in force on a day: the rule that raised it, and since when."""

    code: str
    action: str
    since: date
    message: str
    source: str
    no_self_tests: bool
    lifted_by: str  # cleared | booked: what the runner records to lift it

    @property
    def blocks_running(self) -> bool:
        return self.action in NO_RUNNING_ACTIONS

    def reason(self, rules: TriageRules | None = None) -> Reason:
        texts = (rules or triage_rules()).hold_texts
        lift = texts["lift_cleared"] if self.lifted_by == "cleared" else texts["lift_booked"]
        note = texts["message"].format(since=self.since.isoformat(), lift=lift)
        return Reason(self.code, f"{self.message} {note}", f"{self.source}; {texts['source']}")

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "action": self.action,
            "since": self.since.isoformat(),
            "blocks_running": self.blocks_running,
            "lifted_by": self.lifted_by,
            "message": self.message,
            "source": self.source,
            "reason": self.reason().as_dict(),  # the message with how to lift it, as every view says it
        }


def _lifted_by(action: str, rules: TriageRules) -> str | None:
    if action in rules.hold_until_cleared:
        return "cleared"
    if action in rules.hold_until_booked:
        return "booked"
    return None


def _lifts(visit: ClinicianVisit, kind: str, raised_on: date, saved_at: datetime | None, day: date) -> bool:
    """A visit lifts a sign when it is dated on or after the sign's day (and by ``day``), and was recorded after
    the answer that raised it: a red flag entered after a clearance, or back-dated before it, is not lifted."""
    kinds = {"cleared"} if kind == "cleared" else {"cleared", "booked"}
    if visit.kind not in kinds or not raised_on <= visit.day <= day:
        return False
    return saved_at is None or visit.recorded_at is None or saved_at <= visit.recorded_at


def is_lifted(
    rule: TriageRule,
    raised_on: date,
    visits: Iterable[ClinicianVisit],
    day: date,
    saved_at: datetime | None = None,
) -> bool:
    """Whether a sign raised on ``raised_on`` (by an answer saved at ``saved_at``) has been lifted by ``day``."""
    kind = _lifted_by(rule.action, triage_rules())
    return kind is not None and any(_lifts(visit, kind, raised_on, saved_at, day) for visit in visits)


def holds_in_force(
    raised: Iterable[tuple[date, Triage, datetime | None]], visits: tuple[ClinicianVisit, ...], day: date
) -> tuple[Hold, ...]:
    """The holds on ``day`` from the triage of each earlier check-in with a red-flag answer (its day, triage and
    when it was saved; oldest first). A sign counts from the first day it was raised and not lifted since; each
    rule holds once."""
    rules = triage_rules()
    found: dict[str, Hold] = {}
    for raised_on, checked, saved_at in raised:
        if raised_on > day:
            continue
        for rule in checked.matched:
            kind = _lifted_by(rule.action, rules)
            if kind is None or not rule.from_answers or is_lifted(rule, raised_on, visits, day, saved_at):
                continue
            if rule.code not in found:
                found[rule.code] = Hold(
                    rule.code, rule.action, raised_on, rule.message, rule.source, rule.no_self_tests, kind
                )
    # Most severe first, then the oldest, then in the rules file's order (as the day's own triage lists them), so
    # the sign the file puts first — e.g. the same-day growth-plate sign before the general limp — leads.
    order = {rule.code: index for index, rule in enumerate(rules.rules)}
    return tuple(
        sorted(
            found.values(), key=lambda h: (-rules.severity(h.action), h.since, order.get(h.code, len(order)), h.code)
        )
    )
