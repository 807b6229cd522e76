"""Red-flag triage: the day's check-in plus a little context → an action level, with every reason and its source.

The rules live in ``triage_rules.toml``; this module only evaluates them (pure). The most severe matching action
wins and every matching reason is listed, so the milder findings are not hidden behind the worst one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gluteguard.rules_data import Table, rules_data
from gluteguard.symptoms.model import PAIN_FIELDS, PAIN_LOCATIONS, RED_FLAGS, CheckIn
from gluteguard.symptoms.selftests import SelfTestDay, StanceSide

NO_RUNNING_ACTIONS = frozenset({"urgent", "emergency"})
_HIP_SIDES = ("left", "right")


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    source: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "source": self.source}


@dataclass(frozen=True)
class SelfTests:
    """The latest home self-tests (``symptoms.selftests``, merged from ``SelfTestDay``s).

    A side that is absent was not tested, so it can neither fit nor rule out the pattern.
    """

    stance: dict[str, StanceSide] = field(default_factory=dict)
    palpation: dict[str, bool] = field(default_factory=dict)  # by side: pressing reproduces the familiar pain
    tested_on: date | None = None

    def stance_positive(self, side: str) -> bool | None:
        result = self.stance.get(side)
        return None if result is None else result.positive

    def tender(self, side: str) -> bool | None:
        return self.palpation.get(side)


def merge_self_tests(history: list[SelfTestDay]) -> SelfTests | None:
    """The latest result per test and side of the days given (oldest first); None when there are none."""
    if not history:
        return None
    stance: dict[str, StanceSide] = {}
    palpation: dict[str, bool] = {}
    for entry in history:  # oldest first, so later days overwrite
        stance.update(entry.stance)
        palpation.update(entry.palpation)
    return SelfTests(stance=stance, palpation=palpation, tested_on=history[-1].day)


@dataclass(frozen=True)
class TriageContext:
    """What the day's check-in cannot say by itself. None = unknown, and an unknown never fires a rule."""

    weeks_self_managed: float = 0.0  # weeks since self-management (exercise + load advice) started
    adherent: bool | None = None  # exercises and load advice followed in most of those weeks
    improved_meaningfully: bool | None = None  # pain down ≥ 2 points or ≥ 30 % since the start
    progressive_weakness: bool = False  # leg weakness that is getting worse (asked after a weakness/tingling flag)
    worsening_despite_load_reduction: bool = False
    nights_woken_7d: int | None = None  # nights of the last 7 with hip pain at night
    self_tests: SelfTests | None = None
    age_years: int | None = None  # this calendar year minus the profile's birth year
    weekly_run_km: float | None = None  # mean weekly running distance over the last 28 days


@dataclass(frozen=True)
class TriageInput:
    checkin: CheckIn
    context: TriageContext = field(default_factory=TriageContext)


@dataclass(frozen=True)
class Triage:
    action: str
    reasons: tuple[Reason, ...]
    self_tests_allowed: bool = True
    matched: tuple[TriageRule, ...] = ()  # the rules behind the reasons, most severe first

    @property
    def running_allowed(self) -> bool:
        return self.action not in NO_RUNNING_ACTIONS


@dataclass(frozen=True)
class TriageRule:
    code: str
    action: str
    message: str
    source: str
    all_flags: tuple[str, ...] = ()
    any_groups: tuple[tuple[str, ...], ...] = ()
    context: tuple[tuple[str, Any], ...] = ()
    no_self_tests: bool = False

    @property
    def from_answers(self) -> bool:
        """The rule fires on a red-flag answer (so it can hold), not on the history alone."""
        return bool(self.all_flags or self.any_groups)


@dataclass(frozen=True)
class TriageRules:
    actions: tuple[str, ...]  # mildest first
    action_messages: dict[str, str]
    rules: tuple[TriageRule, ...]
    screen_interval_days: int
    screen_trigger_pain: int
    screen_trigger_places: frozenset[str]
    screen_source: str
    hold_until_cleared: frozenset[str] = frozenset()
    hold_until_booked: frozenset[str] = frozenset()
    hold_texts: dict[str, str] = field(default_factory=dict)  # message, lift_cleared, lift_booked, source

    def severity(self, action: str) -> int:
        return self.actions.index(action)


def _palpation_negative(item: TriageInput) -> bool | None:
    """True only when every relevant side was pressed and none hurt; the check-in's own answer counts as tender."""
    tests = item.context.self_tests
    if tests is None:
        return None
    sides = (item.checkin.side,) if item.checkin.side in _HIP_SIDES else _HIP_SIDES
    if any(side in item.checkin.tender_on_pressing for side in sides):
        return False
    results = [tests.tender(side) for side in sides]
    return None if any(result is None for result in results) else not any(results)


def _pain_only_in(item: TriageInput, allowed: tuple[str, ...]) -> bool:
    # The check-in does not rank locations, so "mainly elsewhere" means: every place listed is one of these,
    # none of them at the side of the hip.
    return bool(item.checkin.pain_locations) and set(item.checkin.pain_locations) <= set(allowed)


def _pain_in_any(item: TriageInput, places: tuple[str, ...]) -> bool:
    return any(place in places for place in item.checkin.pain_locations)


def _worst_pain_at_least(item: TriageInput, low: int) -> bool:
    values = [getattr(item.checkin, name) for name in PAIN_FIELDS]
    return any(value is not None and value >= low for value in values)


def _pain_at_least(item: TriageInput, minima: tuple[tuple[str, int], ...]) -> bool:
    values = [getattr(item.checkin, name) for name, _ in minima]
    return all(value is not None and value >= low for value, (_, low) in zip(values, minima, strict=True))


# Each context condition of the rules file, as a predicate over the input and the rule's value.
_CONTEXT_CHECKS: dict[str, Callable[[TriageInput, Any], bool]] = {
    "weeks_self_managed_min": lambda item, low: item.context.weeks_self_managed >= low,
    "adherent": lambda item, want: item.context.adherent is want,
    "improved_meaningfully": lambda item, want: item.context.improved_meaningfully is want,
    "progressive_weakness": lambda item, want: item.context.progressive_weakness is want,
    "worsening_despite_load_reduction": lambda item, want: item.context.worsening_despite_load_reduction is want,
    "nights_woken_min": lambda item, low: (
        item.context.nights_woken_7d is not None and item.context.nights_woken_7d >= low
    ),
    "palpation_negative": lambda item, want: _palpation_negative(item) is want,
    "pain_locations_dominant": _pain_only_in,
    "pain_locations_any": _pain_in_any,
    "age_under": lambda item, limit: item.context.age_years is not None and item.context.age_years < limit,
    "weekly_run_km_min": lambda item, low: item.context.weekly_run_km is not None and item.context.weekly_run_km >= low,
    "pain_min": _pain_at_least,
    "worst_pain_min": _worst_pain_at_least,
}
_RULE_KEYS = {"code", "action", "message", "source", "all", "any", "no_self_tests"}


def _context_value(key: str, value: Any) -> Any:
    if key == "pain_min":
        bad = sorted(set(value) - set(PAIN_FIELDS))
        if bad:
            raise ValueError(f"triage rule pain_min: unknown pain field(s) {bad}")
        return tuple(sorted(value.items()))
    if key in ("pain_locations_dominant", "pain_locations_any"):
        if not value or set(value) - set(PAIN_LOCATIONS):
            raise ValueError(f"triage rule {key}: empty, or an unknown location in {value}")
        return tuple(value)
    return value


def _rule(raw: dict[str, Any], actions: tuple[str, ...]) -> TriageRule:
    unknown = set(raw) - _RULE_KEYS - set(_CONTEXT_CHECKS)
    if unknown or raw["action"] not in actions or not raw.get("message") or not raw.get("source"):
        raise ValueError(f"triage rule {raw.get('code')!r}: unknown keys {sorted(unknown)}, or bad action/text")
    any_raw = raw.get("any", [])
    # ``any`` is one group of flags, or a list of groups (at least one flag from each).
    nested = bool(any_raw) and isinstance(any_raw[0], list)
    groups = tuple(tuple(group) for group in any_raw) if nested else ((tuple(any_raw),) if any_raw else ())
    flags = set(raw.get("all", [])).union(*groups)
    if flags - set(RED_FLAGS):
        raise ValueError(f"triage rule {raw['code']!r}: unknown flag(s) {sorted(flags - set(RED_FLAGS))}")
    context = tuple((key, _context_value(key, raw[key])) for key in _CONTEXT_CHECKS if key in raw)
    if not flags and not context:
        raise ValueError(f"triage rule {raw['code']!r} has no condition and would always match")
    return TriageRule(
        code=raw["code"],
        action=raw["action"],
        message=raw["message"],
        source=raw["source"],
        all_flags=tuple(raw.get("all", [])),
        any_groups=groups,
        context=context,
        no_self_tests=bool(raw.get("no_self_tests", False)),
    )


def triage_rules() -> TriageRules:
    return rules_data("gluteguard.symptoms", "triage_rules.toml", _parse)


def _parse(raw: Table) -> TriageRules:
    actions = tuple(raw["actions"]["order"])
    return TriageRules(
        actions=actions,
        action_messages={action: raw["actions"][action] for action in actions},
        rules=tuple(_rule(rule, actions) for rule in raw["rule"]),
        screen_interval_days=raw["screening"]["interval_days"],
        screen_trigger_pain=int(raw["screening"]["trigger_pain"]),
        screen_trigger_places=frozenset(raw["screening"]["trigger_places"]),
        screen_source=raw["screening"]["source"],
        hold_until_cleared=frozenset(raw["holds"]["until_cleared"]),
        hold_until_booked=frozenset(raw["holds"]["until_booked"]),
        hold_texts={key: raw["holds"][key] for key in ("message", "lift_cleared", "lift_booked", "source")},
    )


def rule_matches(rule: TriageRule, item: TriageInput) -> bool:
    flags = item.checkin.red_flags
    return (
        all(flags.get(flag) for flag in rule.all_flags)
        and all(any(flags.get(flag) for flag in group) for group in rule.any_groups)
        and all(_CONTEXT_CHECKS[key](item, value) for key, value in rule.context)
    )


def triage(item: TriageInput, rules: TriageRules | None = None) -> Triage:
    """The action for the day: the most severe matching rule's; reasons most severe first, file order within a level."""
    rules = rules or triage_rules()
    severity = {action: rank for rank, action in enumerate(rules.actions)}
    matched = sorted((r for r in rules.rules if rule_matches(r, item)), key=lambda r: -severity[r.action])
    return Triage(
        action=matched[0].action if matched else rules.actions[0],
        reasons=tuple(Reason(r.code, r.message, r.source) for r in matched),
        self_tests_allowed=not any(r.no_self_tests for r in matched),
        matched=tuple(matched),
    )


def action_message(action: str) -> str:
    """The plain-words headline for an action level (what to do, how soon)."""
    return triage_rules().action_messages[action]


def screen_triggered(
    pains: Iterable[int | None], places: Iterable[str], *, flag_raised: bool = False, status: str | None = None
) -> bool:
    """Whether the day's answers call for the full warning-sign questions at once (triage_rules.toml [screening])."""
    rules = triage_rules()
    return (
        max((pain or 0 for pain in pains), default=0) >= rules.screen_trigger_pain
        or bool(rules.screen_trigger_places & {place.strip().lower() for place in places})
        or flag_raised
        or status == "red"
    )


def screen_due(last_screen: date | None, today: date, *, triggered: bool = False) -> bool:
    """Red-flag questions are due at onboarding (never screened), weekly, and at once on a trigger (clinical.md §9)."""
    if triggered or last_screen is None:
        return True
    return (today - last_screen).days >= triage_rules().screen_interval_days
