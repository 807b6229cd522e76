"""Which plan phase a runner is in today (pure; the rules and their sources are in ``phases.toml``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from gluteguard.rules_data import Table, rules_data

NO_EXERCISE_ACTIONS = frozenset({"emergency", "urgent"})


@dataclass(frozen=True)
class DayState:
    """One day's symptom report, reduced to what the phase needs."""

    day: date
    status: str  # green | amber | red
    action: str  # emergency | urgent | see_clinician | self_manage


@dataclass(frozen=True)
class ReturnCriteria:
    """Entry to the walk/run ladder (clinical.md §5.2): a pain-free brisk walk and no positive stance test.
    None means not known yet, which does not open the ladder."""

    brisk_walk_pain_free: bool | None = None
    stance_test_positive: bool | None = None

    @property
    def met(self) -> bool:
        return self.brisk_walk_pain_free is True and self.stance_test_positive is False


@dataclass(frozen=True)
class PhaseDecision:
    phase: str  # blocked | settle | return | manage | prevent
    why: str
    source: str
    first_step_only: bool = False  # return, criteria not met yet: the ladder stays at its first step (a brisk walk)


def phase_rules() -> dict[str, dict]:
    """Each phase's table in ``phases.toml``, by its id."""
    return rules_data("gluteguard.plan", "phases.toml", _by_id)


def _by_id(table: Table) -> dict[str, dict]:
    return {phase["id"]: phase for phase in table["phase"]}


def _decision(phase: str, extra: str = "") -> PhaseDecision:
    rule = phase_rules()[phase]
    return PhaseDecision(phase, rule["why"] + extra, rule["source"])


def _held_at_first_step(criteria: ReturnCriteria | None) -> PhaseDecision:
    """The ladder held at its first step, saying which criterion is not known yet and how to tell it (an unanswered
    one holds the ladder as surely as a painful one, and a runner cannot guess where to answer it)."""
    rule = phase_rules()["return"]
    known = criteria or ReturnCriteria()
    missing = [rule["hold_walk_unknown"]] if known.brisk_walk_pain_free is None else []
    missing += [rule["hold_stance_unknown"]] if known.stance_test_positive is None else []
    why = " ".join([rule["why"], rule["hold_why"], *missing])
    return PhaseDecision("return", why, rule["source"], first_step_only=True)


def choose_phase(
    today: DayState | None, recent: Sequence[DayState], criteria: ReturnCriteria | None = None
) -> PhaseDecision:
    """Today's phase from today's report, the days before it, and the return-to-run criteria."""
    if today is None:
        return _decision("prevent")
    if today.action in NO_EXERCISE_ACTIONS:
        return _decision("blocked")
    if today.status == "red":
        return _decision("settle")
    if criteria is not None and criteria.brisk_walk_pain_free is False:
        # A brisk walk that hurts rules running out, red spell or not (clinical.md §5.2's first criterion).
        return _held_at_first_step(criteria)
    window = timedelta(days=phase_rules()["return"]["return_window_days"])
    settled_recently = any(d.status == "red" and today.day - window <= d.day < today.day for d in recent)
    if settled_recently:
        if (criteria or ReturnCriteria()).met:
            return _decision("return")
        # clinical.md §5.2 orders it: a pain-free brisk walk, then a pain-free stance test, then running.
        return _held_at_first_step(criteria)
    if today.status == "amber":
        return _decision("manage")
    return _decision("prevent")
