"""Why the week's plan holds what it holds — each item's rule, each exercise slot's choice and every candidate left
out — for a physiotherapist to audit a plan in a minute (``plan --explain``, the Plan page, the API). Pure: it
re-runs the selection the plan itself ran for each day (``plan.generator.explain_day``), so it cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gluteguard.coach.decision import DayDecision, WeekPlan
from gluteguard.plan.generator import explain_day
from gluteguard.plan.inputs import PlanInputs
from gluteguard.plan.library import avoid_vocabulary, load_library
from gluteguard.plan.routines import selection_state


@dataclass
class SlotAudit:
    """One exercise slot over the week: what it chose on which days, and what it left out and why."""

    slot: str
    item: str
    purpose: str
    why: str
    source: str
    chosen: dict[str, list[date]] = field(default_factory=dict)  # exercise id → days
    left_out: dict[str, str] = field(default_factory=dict)  # exercise id → why (for ones never chosen)

    def as_dict(self) -> dict:
        names = load_library()
        return {
            "slot": self.slot,
            "item": self.item,
            "purpose": self.purpose,
            "why": self.why,
            "source": self.source,
            "chosen": [
                {"id": eid, "name": names[eid].name, "days": [d.isoformat() for d in days]}
                for eid, days in self.chosen.items()
            ],
            "left_out": [
                {"id": eid, "name": names[eid].name, "why": why}
                for eid, why in self.left_out.items()
                if eid not in self.chosen
            ],
        }


@dataclass(frozen=True)
class ItemAudit:
    """A plan item over the week: its days, why it is there and its source."""

    kind: str
    title: str
    days: tuple[date, ...]
    why: str
    source: str

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "days": [d.isoformat() for d in self.days],
            "why": self.why,
            "source": self.source,
        }


@dataclass(frozen=True)
class WeekAudit:
    week_of: date
    phases: tuple[dict, ...]  # each run of days in one phase: from, to, phase, why, source
    conditions: tuple[dict, ...]  # each condition that held on some day: code, meaning, days
    equipment: tuple[str, ...]
    items: tuple[ItemAudit, ...]
    slots: tuple[SlotAudit, ...]

    def as_dict(self) -> dict:
        return {
            "week_of": self.week_of.isoformat(),
            "phases": list(self.phases),
            "conditions": list(self.conditions),
            "equipment": list(self.equipment),
            "items": [item.as_dict() for item in self.items],
            "slots": [slot.as_dict() for slot in self.slots],
        }


def _inputs(day: DayDecision) -> PlanInputs:
    assert day.plan_inputs is not None, "a decided day carries the inputs its plan was made from"
    return day.plan_inputs


def _phases(week: WeekPlan) -> tuple[dict, ...]:
    spans: list[dict] = []
    for day in week.days:
        if spans and spans[-1]["phase"] == day.phase and spans[-1]["why"] == day.phase_why:
            spans[-1]["to"] = day.date.isoformat()
            continue
        spans.append({"from": day.date.isoformat(), "to": day.date.isoformat(), "phase": day.phase,
                      "why": day.phase_why, "source": day.phase_source})  # fmt: skip
    return tuple(spans)


def _conditions(week: WeekPlan) -> tuple[dict, ...]:
    meaning = avoid_vocabulary()
    days: dict[str, list[str]] = {}
    for day in week.days:
        for code in sorted(selection_state(_inputs(day)).conditions):
            days.setdefault(code, []).append(day.date.isoformat())
    return tuple({"code": code, "meaning": meaning[code], "days": on} for code, on in days.items())


def explain_week(week: WeekPlan) -> WeekAudit:
    """The audit of a decided week: every item with its rule, every slot with what it chose and left out."""
    items: dict[tuple[str, str], list] = {}
    slots: dict[str, SlotAudit] = {}
    for day in week.days:
        for item in day.items:
            key = (item.kind, item.title)
            entry = items.setdefault(key, [[], item.why, item.source])
            entry[0].append(day.date)
        for choices in explain_day(_inputs(day), day.date).values():
            for choice in choices:
                audit = slots.setdefault(
                    choice.slot, SlotAudit(choice.slot, choice.item, choice.purpose, choice.why, choice.source)
                )
                for exercise in choice.chosen:
                    audit.chosen.setdefault(exercise.id, []).append(day.date)
                for exercise_id, why in choice.left_out:
                    # A reason other than the rotation says more: keep it over "rotates in on another occasion".
                    if exercise_id not in audit.left_out or audit.left_out[exercise_id].startswith("rotates"):
                        audit.left_out[exercise_id] = why
    return WeekAudit(
        week_of=week.week_of,
        phases=_phases(week),
        conditions=_conditions(week),
        equipment=_inputs(week.lead).equipment,
        items=tuple(
            ItemAudit(kind, title, tuple(days), why, source) for (kind, title), (days, why, source) in items.items()
        ),
        slots=tuple(slots.values()),
    )
