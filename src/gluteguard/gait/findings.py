"""Findings → actions for the stride analysis, from the rules in ``findings.toml`` (pure).

The TOML holds every threshold, message, exercise id and source; this module reads it, validates it (listing
every problem at once) and evaluates the rules against per-side metric means. Rules never fire on fewer clean
steps than the minimum; that gate is applied by the caller (``analysis``), which knows the step counts.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gluteguard.rules_data import rules_data

FINDING_KINDS = frozenset({"asymmetry", "side_at_least", "increase"})
VIEWS = frozenset({"rear", "side"})
FORBIDDEN_PHRASES = ("you have",)  # house rule: health wording never asserts a condition
FROM_DATA = "from_data"
QUALITY_WEIGHTS = ("visibility_weight", "confidence_weight", "clean_steps_weight")  # [quality], QualityWeights' order


class FindingsRulesError(ValueError):
    """findings.toml is malformed; the message lists every problem."""


@dataclass(frozen=True)
class MetricInfo:
    name: str
    unit: str
    views: tuple[str, ...]
    smallest_change: float | None  # None = derive from the clip's spread (FROM_DATA)
    meaning: str
    validity: str
    source: str
    in_findings: bool = True  # False: too weak in 2D to ground a finding, shown as a secondary cue only
    landmarks: tuple[str, ...] = ()  # body points it is measured from, without the side ("hip", "heel")
    label: str = ""  # its name in plain words, for the runner (the code stays in the JSON)


@dataclass(frozen=True)
class QualityWeights:
    """Weights of the clip's quality score: visibility·seen share + confidence·mean confidence + clean_steps·steps."""

    visibility: float
    confidence: float
    clean_steps: float


@dataclass(frozen=True)
class FindingRule:
    code: str
    metric: str
    kind: str
    threshold: float
    message: str
    exercises: tuple[str, ...]
    cue: str
    source: str


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    exercises: tuple[str, ...]
    cue: str
    source: str
    side: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "exercises": list(self.exercises),
            "cue": self.cue,
            "source": self.source,
            "side": self.side,
        }


@dataclass(frozen=True)
class FindingsRules:
    min_clean_steps_per_side: int
    min_clean_steps_source: str
    cadence_smallest_change_pct: float
    cadence_source: str
    cadence_cue_raise_pct: tuple[float, float]  # the cues' metronome range: step rate + low % to + high %
    cadence_cue_source: str
    quality_weights: QualityWeights
    quality_source: str
    repeatability_min_steps_per_half: int
    repeatability_source: str
    metrics: dict[str, MetricInfo]
    findings: tuple[FindingRule, ...]


def finding_labels(codes: Iterable[str], rules: FindingsRules) -> tuple[str, ...]:
    """Each finding's metric in plain words, once each, in the given order ("Pelvic drop", "Overstride (…)"); a code
    this version does not know (saved by a newer one) reads as itself."""
    metric_of = {rule.code: rule.metric for rule in rules.findings}
    labels: list[str] = []
    for code in codes:
        metric = rules.metrics.get(metric_of.get(code, ""))
        label = (metric.label or metric.name) if metric is not None else code
        if label not in labels:
            labels.append(label)
    return tuple(labels)


def load_raw() -> dict[str, Any]:
    """The parsed findings.toml, a fresh copy on each call, so tests can break it."""
    return copy.deepcopy(rules_data("gluteguard.gait", "findings.toml"))


def validate_rules(raw: Mapping[str, Any], exercise_ids: set[str] | None = None) -> list[str]:
    """Every problem in a parsed findings.toml (empty when fine). ``exercise_ids`` also checks the exercise ids."""
    problems: list[str] = []
    if not isinstance(raw.get("min_clean_steps_per_side"), int) or raw.get("min_clean_steps_per_side", 0) < 2:
        problems.append("min_clean_steps_per_side must be an integer ≥ 2")
    if not raw.get("min_clean_steps_source"):
        problems.append("min_clean_steps_source is missing")
    cadence = raw.get("cadence", {})
    if not isinstance(cadence.get("smallest_change_pct"), int | float) or not cadence.get("source"):
        problems.append("[cadence] needs smallest_change_pct and source")
    raise_pct = cadence.get("cue_raise_pct")
    if (
        not isinstance(raise_pct, list)
        or len(raise_pct) != 2
        or not all(isinstance(p, int | float) and p > 0 for p in raise_pct)
        or not cadence.get("cue_source")
    ):
        problems.append("[cadence] needs cue_raise_pct (two positive percentages) and cue_source")
    quality = raw.get("quality", {})
    weights = [quality.get(key) for key in QUALITY_WEIGHTS]
    if not all(isinstance(w, int | float) and w >= 0 for w in weights) or not quality.get("source"):
        problems.append(f"[quality] needs {', '.join(QUALITY_WEIGHTS)} (numbers ≥ 0) and source")
    metrics = raw.get("metric", {})
    if not metrics:
        problems.append("no [metric.*] sections")
    for name, info in metrics.items():
        where = f"metric.{name}"
        for key in ("unit", "meaning", "validity", "source"):
            if not isinstance(info.get(key), str) or not info.get(key):
                problems.append(f"{where}: {key} missing or empty")
        views = info.get("views")
        if not isinstance(views, list) or not views or not set(views) <= VIEWS:
            problems.append(f"{where}: views must be a non-empty subset of {sorted(VIEWS)}")
        change = info.get("smallest_change")
        if not (change == FROM_DATA or (isinstance(change, int | float) and change > 0)):
            problems.append(f"{where}: smallest_change must be a positive number or {FROM_DATA!r}")
        if not isinstance(info.get("in_findings", True), bool):
            problems.append(f"{where}: in_findings must be true or false")
        elif info.get("in_findings") is False and not info.get("in_findings_source"):
            problems.append(f"{where}: in_findings = false needs in_findings_source")
    codes: set[str] = set()
    for i, rule in enumerate(raw.get("finding", [])):
        where = f"finding[{i}] ({rule.get('code', '?')})"
        code = rule.get("code")
        if not isinstance(code, str) or not code:
            problems.append(f"{where}: code missing")
        elif code in codes:
            problems.append(f"{where}: duplicate code")
        else:
            codes.add(code)
        if rule.get("metric") not in metrics:
            problems.append(f"{where}: metric {rule.get('metric')!r} has no [metric.*] section")
        elif metrics[rule["metric"]].get("in_findings") is False:
            problems.append(f"{where}: metric {rule['metric']!r} has in_findings = false")
        if rule.get("kind") not in FINDING_KINDS:
            problems.append(f"{where}: kind must be one of {sorted(FINDING_KINDS)}")
        threshold = rule.get("threshold")
        if not isinstance(threshold, int | float) or not math.isfinite(threshold) or threshold <= 0:
            problems.append(f"{where}: threshold must be a positive number")
        for key in ("message", "cue", "source"):
            text = rule.get(key)
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{where}: {key} missing or empty")
            elif any(phrase in text.lower() for phrase in FORBIDDEN_PHRASES):
                problems.append(f"{where}: {key} asserts a condition ({FORBIDDEN_PHRASES}); say what it fits")
        message = rule.get("message", "")
        if isinstance(message, str) and "fits the pattern" not in message:
            problems.append(f"{where}: message should say what the pattern 'fits', not what it is")
        exercises = rule.get("exercises")
        if not isinstance(exercises, list) or not all(isinstance(e, str) for e in exercises):
            problems.append(f"{where}: exercises must be a list of ids")
        elif exercise_ids is not None:
            unknown = sorted(set(exercises) - exercise_ids)
            if unknown:
                problems.append(f"{where}: unknown exercise ids {unknown}")
    return problems


def load_rules() -> FindingsRules:
    return rules_data("gluteguard.gait", "findings.toml", _parse)


def _parse(raw: dict[str, Any]) -> FindingsRules:
    problems = validate_rules(raw)
    if problems:
        raise FindingsRulesError("findings.toml: " + "; ".join(problems))
    metrics = {
        name: MetricInfo(
            name=name,
            unit=info["unit"],
            views=tuple(info["views"]),
            smallest_change=None if info["smallest_change"] == FROM_DATA else float(info["smallest_change"]),
            meaning=info["meaning"],
            validity=info["validity"],
            source=info["source"],
            in_findings=info.get("in_findings", True),
            landmarks=tuple(info.get("landmarks", ())),
            label=info.get("label") or name.replace("_", " "),
        )
        for name, info in raw["metric"].items()
    }
    findings = tuple(
        FindingRule(
            code=r["code"],
            metric=r["metric"],
            kind=r["kind"],
            threshold=float(r["threshold"]),
            message=r["message"],
            exercises=tuple(r["exercises"]),
            cue=r["cue"],
            source=r["source"],
        )
        for r in raw.get("finding", [])
    )
    low, high = raw["cadence"]["cue_raise_pct"]
    return FindingsRules(
        min_clean_steps_per_side=raw["min_clean_steps_per_side"],
        min_clean_steps_source=raw["min_clean_steps_source"],
        cadence_smallest_change_pct=float(raw["cadence"]["smallest_change_pct"]),
        cadence_source=raw["cadence"]["source"],
        cadence_cue_raise_pct=(float(low), float(high)),
        cadence_cue_source=raw["cadence"]["cue_source"],
        quality_weights=QualityWeights(*(float(raw["quality"][key]) for key in QUALITY_WEIGHTS)),
        quality_source=raw["quality"]["source"],
        repeatability_min_steps_per_half=int(raw["repeatability"]["min_steps_per_half"]),
        repeatability_source=raw["repeatability"]["source"],
        metrics=metrics,
        findings=findings,
    )


def _fill(template: str, values: Mapping[str, Any]) -> str:
    return template.format_map(values)


def derive_findings(
    side_means: Mapping[str, Mapping[str, float]],
    cadence_spm: float | None,
    baseline_means: Mapping[str, Mapping[str, float]] | None = None,
    rules: FindingsRules | None = None,
) -> list[Finding]:
    """Evaluate every rule. ``side_means`` maps metric → {"left": mean, "right": mean} (sides may be missing)."""
    rules = rules or load_rules()
    found: list[Finding] = []
    low, high = rules.cadence_cue_raise_pct
    cadence_values = {
        "cadence_plus_5": round(cadence_spm * (1 + low / 100)) if cadence_spm else f"+{low:g} %",
        "cadence_plus_10": round(cadence_spm * (1 + high / 100)) if cadence_spm else f"+{high:g} %",
    }
    for rule in rules.findings:
        means = {s: v for s, v in side_means.get(rule.metric, {}).items() if v is not None and math.isfinite(v)}
        fill: dict[str, Any] | None = None
        if rule.kind == "asymmetry" and len(means) == 2:
            worse = max(means, key=lambda s: means[s])
            better = "left" if worse == "right" else "right"
            if means[worse] - means[better] >= rule.threshold:
                fill = {"worse": worse, "better": better, "worse_value": means[worse], "better_value": means[better]}
        elif rule.kind == "side_at_least" and means:
            worse = max(means, key=lambda s: means[s])
            if means[worse] >= rule.threshold:
                fill = {"worse": worse, "worse_value": means[worse]}
        elif rule.kind == "increase" and baseline_means:
            before = baseline_means.get(rule.metric, {})
            rises = {
                s: v - before[s]
                for s, v in means.items()
                if before.get(s) is not None and math.isfinite(before[s]) and v - before[s] >= rule.threshold
            }
            if rises:
                worse = max(rises, key=lambda s: rises[s])
                fill = {"worse": worse, "worse_value": means[worse], "baseline_value": before[worse]}
        if fill is None:
            continue
        fill.update(cadence_values)
        found.append(
            Finding(
                code=rule.code,
                message=_fill(rule.message, fill),
                exercises=rule.exercises,
                cue=_fill(rule.cue, fill),
                source=rule.source,
                side=fill.get("worse"),
            )
        )
    return found
