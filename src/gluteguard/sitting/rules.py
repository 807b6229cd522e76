"""The sitting rules from ``rules.toml`` as typed values (every number there carries its source).

The file holds the numbers and the wording; this module only reads and checks them, so a changed threshold never
needs a code change and a broken edit fails loudly with every problem at once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from gluteguard.rules_data import rules_data


class SittingRulesError(ValueError):
    """``rules.toml`` has problems; ``problems`` lists every one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("sitting rules.toml has problems:\n- " + "\n- ".join(problems))


@dataclass(frozen=True)
class SittingRules:
    interval_min: int
    interval_source: str
    snooze_min: int
    snooze_source: str
    quiet_outside_work_hours: bool
    why: str
    why_source: str
    lead_in: str
    min_break_min: int
    min_break_source: str
    break_after_sedentary_min: int
    merge_window_min: int
    moving_steps_per_min: float
    moving_source: str
    min_cover_share: float
    max_spread_min: float
    stand_hour_means_worn: bool
    worn_gap_max_min: float
    carried_source_words: tuple[str, ...]
    stand_hour_min_steps: float
    stand_hour_source: str
    upright_target_min: int
    upright_progress_to_min: int
    target_source: str
    min_wearable_coverage: float
    desk_heavy_sitting_min: int
    desk_long_bout_min: int
    desk_lookahead_days: int
    desk_source: str
    desk_note: str
    desk_bout_part: str
    wording: dict[str, Any]
    source_labels: dict[str, str]

    def source_label(self, source: str) -> str:
        """Where the figures come from, in plain words (the JSON keeps the code)."""
        return self.source_labels.get(source, source.replace("_", " "))

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.interval_min)

    @property
    def snooze(self) -> timedelta:
        return timedelta(minutes=self.snooze_min)

    def with_interval(self, minutes: int) -> SittingRules:
        """The same rules with the runner's own interval (the 30 min default is editable, clinical.md §6.2)."""
        if not 5 <= minutes <= 240:
            raise ValueError(f"reminder interval {minutes} min is outside 5–240 min")
        return replace(self, interval_min=minutes)


def _problems(t: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    positive = {
        ("reminder", "interval_min"),
        ("reminder", "snooze_min"),
        ("break", "min_minutes"),
        ("break", "after_sedentary_min"),
        ("minutes", "moving_steps_per_min"),
        ("minutes", "max_spread_min"),
        ("minutes", "worn_gap_max_min"),
        ("stand_hour", "min_steps"),
        ("target", "upright_min_per_day"),
        ("desk_day", "heavy_sitting_min"),
        ("desk_day", "long_bout_min"),
        ("wording", "unseen_ranges_max"),
    }
    for section, key in sorted(positive):
        value = t.get(section, {}).get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            problems.append(f"[{section}] {key} must be a positive number, got {value!r}")
    for section, key in (("minutes", "min_cover_share"), ("source", "min_wearable_coverage")):
        value = t.get(section, {}).get(key)
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            problems.append(f"[{section}] {key} must be a share 0–1, got {value!r}")
    # Every section states where its numbers come from.
    for section, body in t.items():
        if isinstance(body, dict) and not any(k == "source" or k.endswith("_source") for k in body):
            problems.append(f"[{section}] has no source")
    words = t.get("minutes", {}).get("carried_source_words")
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        problems.append(f"[minutes] carried_source_words must be a list of words, got {words!r}")
    wording = t.get("wording", {})
    for key in ("method", "stand_hours_only", "unseen", "unseen_many", "self_reported", "no_data", "no_work_hours"):
        if not isinstance(wording.get(key), str) or not wording.get(key):
            problems.append(f"[wording] {key} is missing")
    labels = wording.get("source_labels", {})
    missing = [s for s in ("wearable", "stand_hours", "self_reported", "none") if not labels.get(s)]
    if missing:
        problems.append(f"[wording.source_labels] has no label for {', '.join(missing)}")
    if t.get("minutes", {}).get("overlap") != "max":
        problems.append("[minutes] overlap: only 'max' is implemented")
    reminder = t.get("reminder", {})
    if reminder.get("snooze_min", 0) >= reminder.get("interval_min", 0):
        problems.append("[reminder] snooze_min must be shorter than interval_min")
    if reminder.get("quiet_outside_work_hours") is not True:
        problems.append("[reminder] quiet_outside_work_hours: only true is implemented (prompts in work hours only)")
    if "you have" in str(t).lower():
        problems.append("wording says 'you have' (house rule: health wording never asserts a condition)")
    return problems


def parse_rules(t: dict[str, Any]) -> SittingRules:
    """Typed rules from a parsed rules file; raises SittingRulesError listing every problem."""
    problems = _problems(t)
    if problems:
        raise SittingRulesError(problems)
    r, b, m, d = t["reminder"], t["break"], t["minutes"], t["desk_day"]
    return SittingRules(
        interval_min=r["interval_min"],
        interval_source=r["interval_source"],
        snooze_min=r["snooze_min"],
        snooze_source=r["snooze_source"],
        quiet_outside_work_hours=r["quiet_outside_work_hours"],
        why=r["why"],
        why_source=r["why_source"],
        lead_in=r["lead_in"],
        min_break_min=b["min_minutes"],
        min_break_source=b["min_source"],
        break_after_sedentary_min=b["after_sedentary_min"],
        merge_window_min=b["merge_window_min"],
        moving_steps_per_min=m["moving_steps_per_min"],
        moving_source=m["moving_source"],
        min_cover_share=m["min_cover_share"],
        max_spread_min=m["max_spread_min"],
        stand_hour_means_worn=m["stand_hour_means_worn"],
        worn_gap_max_min=m["worn_gap_max_min"],
        carried_source_words=tuple(w.strip().lower() for w in m["carried_source_words"]),
        stand_hour_min_steps=t["stand_hour"]["min_steps"],
        stand_hour_source=t["stand_hour"]["source"],
        upright_target_min=t["target"]["upright_min_per_day"],
        upright_progress_to_min=t["target"]["progress_to_min"],
        target_source=t["target"]["source"],
        min_wearable_coverage=t["source"]["min_wearable_coverage"],
        desk_heavy_sitting_min=d["heavy_sitting_min"],
        desk_long_bout_min=d["long_bout_min"],
        desk_lookahead_days=d["lookahead_days"],
        desk_source=d["source"],
        desk_note=d["note"],
        desk_bout_part=d["bout_part"],
        wording={k: v for k, v in t["wording"].items() if k != "source_labels"},
        source_labels=dict(t["wording"]["source_labels"]),
    )


def load_raw() -> dict[str, Any]:
    """The parsed rules file, a fresh copy on each call, so tests can break it."""
    return copy.deepcopy(rules_data("gluteguard.sitting", "rules.toml"))


def load_rules() -> SittingRules:
    return rules_data("gluteguard.sitting", "rules.toml", parse_rules)
