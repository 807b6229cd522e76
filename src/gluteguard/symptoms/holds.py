"""Warning signs that hold: a red-flag answer keeps its action until a clinician's clearance (or, for a
see-a-clinician sign, a booked visit) is recorded — later check-ins without the answer do not lift it (pure).

Which actions hold and what lifts them lives in ``triage_rules.toml`` ``[holds]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from gluteguard.symptoms.triage import NO_RUNNING_ACTIONS, Reason, Triage, TriageRule, TriageRules, triage_rules

VISIT_KINDS = ("cleared", "booked")


@dataclass(frozen=True)
class ClinicianVisit:
    """A recorded clearance by a clinician, or a booked visit, on a local day."""

    day: date
    kind: str  # cleared | booked
    by: str | None = None
    note: str | None = None

    def as_dict(self) -> dict:
        return {"date": self.day.isoformat(), "kind": self.kind, "by": self.by, "note": self.note}


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
        }


def _lifted_by(action: str, rules: TriageRules) -> str | None:
    if action in rules.hold_until_cleared:
        return "cleared"
    if action in rules.hold_until_booked:
        return "booked"
    return None


def last_lift(visits: Iterable[ClinicianVisit], lifted_by: str, day: date) -> date | None:
    """The last day on or before ``day`` that lifts a hold of this kind: a clearance lifts every hold, a booked
    visit only the see-a-clinician ones."""
    kinds = {"cleared"} if lifted_by == "cleared" else {"cleared", "booked"}
    days = [v.day for v in visits if v.kind in kinds and v.day <= day]
    return max(days, default=None)


def is_lifted(rule: TriageRule, raised_on: date, visits: Iterable[ClinicianVisit], day: date) -> bool:
    """Whether a sign raised on ``raised_on`` has been lifted by ``day`` (a visit on or after the day it was raised)."""
    kind = _lifted_by(rule.action, triage_rules())
    if kind is None:
        return False
    lift = last_lift(visits, kind, day)
    return lift is not None and raised_on <= lift


def holds_in_force(
    raised: Iterable[tuple[date, Triage]], visits: tuple[ClinicianVisit, ...], day: date
) -> tuple[Hold, ...]:
    """The holds on ``day`` from the triage of each earlier check-in with a red-flag answer (oldest first).

    A sign counts from the first day it was raised after the last visit that lifts it; each rule holds once.
    """
    rules = triage_rules()
    found: dict[str, Hold] = {}
    for raised_on, checked in raised:
        if raised_on > day:
            continue
        for rule in checked.matched:
            kind = _lifted_by(rule.action, rules)
            if kind is None or not rule.from_answers or is_lifted(rule, raised_on, visits, day):
                continue
            if rule.code not in found:
                found[rule.code] = Hold(
                    rule.code, rule.action, raised_on, rule.message, rule.source, rule.no_self_tests, kind
                )
    return tuple(sorted(found.values(), key=lambda h: (-rules.severity(h.action), h.since, h.code)))
