"""Home self-tests and the weekly function check: instructions, safety and scoring (pure, data in TOML)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gluteguard.rules_data import Table, rules_data
from gluteguard.symptoms.model import CheckIn


class SelfTestError(ValueError):
    """An invalid self-test or function-check answer; one line naming it."""


def self_test_instructions() -> Table:
    return rules_data("gluteguard.symptoms", "selftests.toml")


def function_check_items() -> Table:
    return rules_data("gluteguard.symptoms", "function_check.toml")


@dataclass(frozen=True)
class StanceSide:
    side: str  # left | right
    seconds_to_pain: float | None  # None: no familiar pain within 30 s
    pain_nrs: int = 0

    @property
    def positive(self) -> bool:
        rules = self_test_instructions()["single_leg_stance"]
        return (
            self.seconds_to_pain is not None
            and self.seconds_to_pain <= rules["max_seconds"]
            and self.pain_nrs >= rules["min_pain_nrs"]
        )


@dataclass(frozen=True)
class SelfTestDay:
    """The self-tests recorded on one day, by side."""

    day: date
    stance: dict[str, StanceSide]
    palpation: dict[str, bool]  # pressing reproduces the familiar pain


def stance_side(side: str, seconds_to_pain: float | None, pain_nrs: int | None) -> StanceSide:
    if side not in ("left", "right"):
        raise SelfTestError("side: left or right")
    if seconds_to_pain is not None and not 0 <= seconds_to_pain <= 60:
        raise SelfTestError("seconds_to_pain: 0–60, or empty when no pain came within 30 s")
    if pain_nrs is not None and not 0 <= pain_nrs <= 10:
        raise SelfTestError("pain_nrs: 0–10")
    return StanceSide(side, seconds_to_pain, pain_nrs or 0)


def stance_test_safe(today: CheckIn | None) -> tuple[bool, str | None]:
    """Whether today's answers allow the single-leg stance test, and why not."""
    if today is None:
        return True, None
    rules = self_test_instructions()["single_leg_stance"]
    raised = [flag for flag in rules["unsafe_flags"] if today.red_flags.get(flag)]
    raised += [f"{place} pain" for place in rules["unsafe_locations"] if place in today.pain_locations]
    if raised:
        return False, self_test_instructions()["single_leg_stance"]["skip_if"] + f" (today: {', '.join(raised)})"
    return True, None


@dataclass(frozen=True)
class FunctionCheck:
    answers: dict[str, int]
    score: int  # 0–100, 100 = no trouble in any domain
    global_change: str | None
    visa_g: int | None  # a VISA-G score done with a clinician, 0–100

    @property
    def global_success(self) -> bool:
        return self.global_change == function_check_items()["global_change"]["success_from"]


def score_function_check(
    answers: dict[str, int], global_change: str | None = None, visa_g: int | None = None
) -> FunctionCheck:
    items = [item["id"] for item in function_check_items()["items"]]
    missing = [item for item in items if item not in answers]
    unknown = sorted(set(answers) - set(items))
    if missing or unknown:
        raise SelfTestError(
            f"function check: answer every item ({', '.join(items)})"
            + (f"; unknown {', '.join(unknown)}" if unknown else "")
        )
    for item, value in answers.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
            raise SelfTestError(f"function check {item}: a whole number 0–10")
    choices = function_check_items()["global_change"]["choices"]
    if global_change is not None and global_change not in choices:
        raise SelfTestError(f"global_change: one of {', '.join(choices)}")
    if visa_g is not None and not 0 <= visa_g <= 100:
        raise SelfTestError("visa_g: 0–100")
    score = round(100 * sum(answers.values()) / (10 * len(items)))
    return FunctionCheck(dict(answers), score, global_change, visa_g)
