"""The daily symptom status (pain-monitoring model), the pattern screen, trend and meaningful change (pure).

Thresholds, messages and sources live in ``status_rules.toml``. ``status_report`` joins the day's status with the
red-flag triage and the signs that hold (a stop-running sign overrides the pain zones) into a typed report, and
``cap_adjustment`` turns that report into the share of the cap the day allows.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from gluteguard.load.rules import load_rules
from gluteguard.rules_data import Table, rules_data
from gluteguard.symptoms.holds import ClinicianVisit, Hold, is_lifted
from gluteguard.symptoms.model import PAIN_FIELDS, CheckIn
from gluteguard.symptoms.selftests import stance_test_safe
from gluteguard.symptoms.triage import (
    NO_RUNNING_ACTIONS,
    Reason,
    SelfTests,
    Triage,
    TriageContext,
    TriageInput,
    triage,
    triage_rules,
)

_EPS = 1e-9  # means of whole numbers: keep an exact 30 % or 2.0 from falling just short in floating point


@dataclass(frozen=True)
class StatusRule:
    code: str
    measure: str
    status: str
    message: str
    source: str
    low: float = float("-inf")
    high: float = float("inf")
    when_stopped: str = ""  # the finding without the load advice, for a day a warning sign stops running


@dataclass(frozen=True)
class PatternScreen:
    """Lateral hip pain + positive 30-s stance + tenderness, on one side: information, not a diagnosis."""

    fits: bool
    side: str | None
    met: tuple[str, ...]
    missing: tuple[str, ...]
    wording: str
    source: str


@dataclass(frozen=True)
class Trend:
    worst_pain_7d: float | None  # mean of the worst daily pain, the 7 days up to the day
    worst_pain_prev_7d: float | None  # the same for the 7 days before those
    week_rise: float | None
    rising: bool
    night_pain_7d: float | None
    night_rise: float | None  # the night's pain minus the mean of the 7 nights before
    night_rising: bool
    nights_woken_7d: int
    start_mean: float | None  # mean worst daily pain over the first 7 days of the history
    change_since_start: float | None  # last 7 days minus the start; negative = better
    change_percent: float | None
    direction: str | None  # "better" / "worse" / "same"; None until the two weeks do not overlap


@dataclass(frozen=True)
class SymptomStatus:
    date: date
    status: str
    reasons: tuple[Reason, ...]
    pattern: PatternScreen
    trend: Trend
    meaningful_change: bool
    baseline_morning_pain: int | None  # None: too few earlier quiet mornings to know the usual level
    checkin: CheckIn | None  # the check-in the status rests on: the day's, or one carried from the 2 days before
    # The reasons as they read on a day a warning sign stops running: no progression note, and each pain finding
    # without its load advice ("repeat the same run…" would contradict "stop running").
    reasons_when_stopped: tuple[Reason, ...] = ()


_MEASURES = (
    "pain_during_run",
    "pain_after_run",
    "pain_at_rest",
    "morning_above_baseline",
    "morning_without_baseline",
    "night_rise",
    "week_rise",
)


def _status_rule(raw: dict[str, Any]) -> StatusRule:
    low, high = raw.get("min", float("-inf")), raw.get("max", float("inf"))
    return StatusRule(
        raw["code"], raw["measure"], raw["status"], raw["message"], raw["source"], low, high, raw["when_stopped"]
    )


def status_rules() -> dict[str, Any]:
    return rules_data("gluteguard.symptoms", "status_rules.toml", _parse)


def _parse(table: Table) -> dict[str, Any]:
    raw = dict(table)
    raw["rules"] = tuple(_status_rule(rule) for rule in raw.pop("rule"))
    bad = [r.code for r in raw["rules"] if r.status not in raw["zones"]["order"] or r.measure not in _MEASURES]
    if bad:
        raise ValueError(f"status rules with an unknown status or measure: {bad}")
    return raw


def _worst(checkin: CheckIn) -> int | None:
    values = [getattr(checkin, name) for name in PAIN_FIELDS if getattr(checkin, name) is not None]
    return max(values) if values else None


def _by_day(history: Iterable[CheckIn], day: date) -> dict[date, CheckIn]:
    # Nothing after the day is used (no hindsight); of two check-ins on one date the later in the list wins.
    return {c.date: c for c in history if c.date <= day}


def _window(by_day: dict[date, CheckIn], end: date, days: int, value: Callable[[CheckIn], float | None]) -> list:
    dates = (end - timedelta(days=offset) for offset in range(days))
    return [v for d in dates if d in by_day and (v := value(by_day[d])) is not None]


def _mean(values: list, min_count: int = 1) -> float | None:
    return statistics.fmean(values) if len(values) >= max(min_count, 1) else None


def usual_morning_pain(history: Iterable[CheckIn], day: date) -> int | None:
    """Median next-morning pain on quiet days (during/after ≤ 3) of the 28 days before ``day``, rounded down; None
    with fewer than 3 such mornings (no usual level yet: a first check-in has nothing to be compared with)."""
    cfg = status_rules()["baseline"]
    quiet = [
        c.pain_next_morning
        for c in _by_day(history, day - timedelta(days=1)).values()
        if (day - c.date).days <= cfg["window_days"]
        and c.pain_next_morning is not None
        and all(v is None or v <= cfg["quiet_max"] for v in (c.pain_during_run, c.pain_after_run))
    ]
    return int(statistics.median_low(quiet)) if len(quiet) >= cfg["min_days"] else None


def _trend(by_day: dict[date, CheckIn], day: date, checkin: CheckIn | None) -> dict[str, Any]:
    cfg, meaningful = status_rules()["trend"], status_rules()["meaningful"]
    days, min_days = cfg["window_days"], cfg["min_days"]
    now = _mean(_window(by_day, day, days, _worst), min_days)
    before = _mean(_window(by_day, day - timedelta(days=days), days, _worst), min_days)
    nights_before = _window(by_day, (checkin.date if checkin else day) - timedelta(days=1), days, _night)
    night_before = _mean(nights_before, cfg["night_min_nights"])
    woken = _window(by_day, day, days, lambda c: _woken(c, cfg["nights_woken_min_pain"]))
    # The first day with a pain answer: walk the dates in order and stop at it (a check-in a day for years made
    # a full scan per report the slowest part of a plan; same result as the minimum over all of them).
    first = next((d for d in sorted(by_day) if _worst(by_day[d]) is not None), None)
    start, start_days = None, meaningful["start_days"]
    # The start week and the last week must not overlap, or a change would partly compare a day with itself.
    if first is not None and (day - timedelta(days=days - 1) - first).days >= start_days:
        start = _mean(_window(by_day, first + timedelta(days=start_days - 1), start_days, _worst))
    change = now - start if now is not None and start is not None else None
    return {
        "worst_pain_7d": now,
        "worst_pain_prev_7d": before,
        "week_rise": now - before if now is not None and before is not None else None,
        "night_pain_7d": _mean(_window(by_day, day, days, _night)),
        "night_rise": _night(checkin) - night_before
        if checkin and _night(checkin) is not None and night_before is not None
        else None,
        "nights_woken_7d": sum(woken),
        "start_mean": start,
        "change_since_start": change,
        "change_percent": 100 * change / start if change is not None and start else None,
        "direction": None if change is None else "better" if change < 0 else "worse" if change > 0 else "same",
    }


def _night(checkin: CheckIn) -> int | None:
    return checkin.night_pain


def _note(code: str, **values: object) -> Reason:
    note = status_rules()["notes"][code]
    return Reason(code, note["message"].format(**values), note["source"])


def _fresh(tests: SelfTests | None, day: date) -> SelfTests | None:
    # Tests older than the pattern look-back describe an earlier hip: they neither fit nor rule anything out.
    if tests is None or tests.tested_on is None:
        return tests
    return tests if 0 <= (day - tests.tested_on).days <= status_rules()["pattern"]["lookback_days"] else None


def _woken(checkin: CheckIn, min_pain: int) -> int:
    # Waking when lying on the sore side is the typical night complaint of gluteal tendinopathy (clinical.md §0).
    return int(checkin.wakes_lying_on_side is True or (checkin.night_pain or 0) >= min_pain)


def is_meaningful(start: float | None, change: float | None) -> bool:
    """≥ 2 points or ≥ 30 % of the start value, either direction (clinical.md §2.2, Farrar 2001)."""
    cfg = status_rules()["meaningful"]
    if start is None or change is None:
        return False
    return abs(change) >= cfg["points"] - _EPS or (start > 0 and abs(change) / start >= cfg["fraction"] - _EPS)


def pattern_screen(by_day: dict[date, CheckIn], day: date, tests: SelfTests | None) -> PatternScreen:
    cfg = status_rules()["pattern"]
    recent = [by_day[d] for d in sorted(by_day, reverse=True) if (day - d).days <= cfg["lookback_days"]]
    located = next((c for c in recent if c.pain_locations), None)
    side = next((c.side for c in recent if c.side), None)
    lateral = located is not None and any(loc in cfg["locations"] for loc in located.pain_locations)
    pressed = recent[0].tender_on_pressing if recent else ()

    def criteria(hip: str) -> dict[str, bool]:
        tender = (tests is not None and tests.tender(hip) is True) or hip in pressed
        return {
            "lateral_hip_pain": lateral,
            "stance_positive": tests is not None and tests.stance_positive(hip) is True,
            "tender": tender,
        }

    sides = (side,) if side in ("left", "right") else ("left", "right")
    best_side, best = max(((hip, criteria(hip)) for hip in sides), key=lambda pair: sum(pair[1].values()))
    met = tuple(name for name, ok in best.items() if ok)
    missing = tuple(name for name, ok in best.items() if not ok)
    fits = not missing
    wording = (
        cfg["fits"].format(side=best_side)
        if fits
        else cfg["not_fits"].format(missing="; ".join(cfg["criteria"][name] for name in missing))
    )
    return PatternScreen(fits, best_side if fits else side, met, missing, wording, cfg["source"])


def day_status(
    history: Iterable[CheckIn],
    day: date,
    *,
    baseline_morning_pain: int | None = None,
    self_tests: SelfTests | None = None,
) -> SymptomStatus:
    """Green / amber / red for ``day`` from the check-ins up to it, with every reason and its source."""
    rules = status_rules()
    by_day = _by_day(history, day)
    carry = rules["carry"]["days"]
    checkin = next((by_day[d] for d in (day - timedelta(days=k) for k in range(carry)) if d in by_day), None)
    baseline = baseline_morning_pain
    if baseline is None:
        baseline = usual_morning_pain(by_day.values(), checkin.date if checkin else day)
    trend = _trend(by_day, day, checkin)
    answers = {
        f: getattr(checkin, f) if checkin else None for f in ("pain_during_run", "pain_after_run", "pain_at_rest")
    }
    morning = checkin.pain_next_morning if checkin else None
    measures: dict[str, float | None] = {
        **answers,
        # Without a usual level there is nothing to be above: those rules stay quiet and the absolute ones judge.
        "morning_above_baseline": morning - baseline if morning is not None and baseline is not None else None,
        "morning_without_baseline": morning if baseline is None else None,
        "night_rise": trend["night_rise"],
        "week_rise": trend["week_rise"],
    }
    order = rules["zones"]["order"]
    fired = [r for r in rules["rules"] if (v := measures[r.measure]) is not None and r.low - _EPS <= v <= r.high + _EPS]
    fired.sort(key=lambda r: -order.index(r.status))
    status = fired[0].status if fired else order[0]
    reasons = [
        Reason(r.code, r.message.format(value=f"{measures[r.measure]:.3g}", baseline=baseline), r.source) for r in fired
    ]
    stopped = {r.code: r.when_stopped.format(value=f"{measures[r.measure]:.3g}", baseline=baseline) for r in fired}
    last = by_day[max(by_day)] if by_day else None
    held_red = (
        checkin is None
        and last is not None
        and rules["carry"]["red_holds_until_checkin"]
        and day_status(by_day.values(), last.date, baseline_morning_pain=baseline_morning_pain).status == "red"
    )
    if held_red:
        status = order[-1]
        reasons.insert(0, _note("red_held", checkin_date=last.date))
    elif not fired and checkin is not None:
        # "within the safe zone" needs a pain answer to stand on; a check-in without one says nothing either way
        reasons.append(_note("within_safe_zone" if _worst(checkin) is not None else "no_pain_answers"))
    if checkin is None and not held_red:
        reasons.append(_note("no_recent_checkin", carry_days=carry))
    elif checkin is not None and checkin.date != day:
        reasons.append(_note("carried_checkin", checkin_date=checkin.date))
    fired_measures = {r.measure for r in fired}
    drop = set(rules["stopped"]["drop"])
    when_stopped = tuple(
        Reason(r.code, stopped.get(r.code, r.message), r.source) for r in reasons if r.code not in drop
    )
    return SymptomStatus(
        date=day,
        status=status,
        reasons=tuple(reasons),
        pattern=pattern_screen(by_day, day, _fresh(self_tests, day)),
        trend=Trend(**trend, rising="week_rise" in fired_measures, night_rising="night_rise" in fired_measures),
        meaningful_change=is_meaningful(trend["start_mean"], trend["change_since_start"]),
        baseline_morning_pain=baseline,
        checkin=checkin,
        reasons_when_stopped=when_stopped,
    )


def report_span(day: date, last_checkin: date, first_pain: date | None) -> tuple[date, date | None]:
    """What the report of ``day`` looks at (it is the same as from the whole history): the check-ins from the
    first returned day on (the weeks before the day, or before the last check-in when a red day is held by
    silence), and those before the second (the first week with a pain answer, the start of the meaningful-change
    comparison; None when there is none)."""
    rules = status_rules()
    carry, trend = rules["carry"]["days"], rules["trend"]["window_days"]
    reach = max(rules["baseline"]["window_days"], 2 * trend, rules["pattern"]["lookback_days"]) + 2 * carry + 1
    start_end = first_pain + timedelta(days=rules["meaningful"]["start_days"]) if first_pain else None
    return min(day, last_checkin) - timedelta(days=reach), start_end


def first_pain_day(checkins: Iterable[CheckIn]) -> date | None:
    """The first day with a pain answer (check-ins oldest first)."""
    return next((c.date for c in checkins if _worst(c) is not None), None)


@dataclass(frozen=True)
class StatusReport:
    """The day's symptom status joined with the red-flag triage and the warning signs that hold."""

    date: date
    status: str  # green | amber | red, after any stop-running sign
    action: str  # self_manage | see_clinician | urgent | emergency
    reasons: tuple[Reason, ...]  # warning signs first (most severe first), then the pain model's
    pattern: PatternScreen
    self_tests_allowed: bool
    trend: Trend
    meaningful_change: bool
    running_allowed: bool
    pain_status: str  # the pain-monitoring model's zone alone
    holds: tuple[Hold, ...] = ()
    checkin_date: date | None = None  # the check-in the status rests on
    triage: Triage | None = None  # the triage of that check-in, before holds and lifts
    stop_reason: Reason | None = None  # why there is no running today (the sign or pain rule that stops it)

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "status": self.status,
            "action": self.action,
            "reasons": [reason.as_dict() for reason in self.reasons],
            "pattern": {**asdict(self.pattern), "self_tests_allowed": self.self_tests_allowed},
            "trend": asdict(self.trend),
            "meaningful_change": self.meaningful_change,
            "running_allowed": self.running_allowed,
            "pain_status": self.pain_status,
            "holds": [hold.as_dict() for hold in self.holds],
            "checkin_date": self.checkin_date.isoformat() if self.checkin_date else None,
        }


def status_report(
    history: Iterable[CheckIn],
    day: date,
    context: TriageContext | None = None,
    *,
    baseline_morning_pain: int | None = None,
    holds: tuple[Hold, ...] = (),
    visits: tuple[ClinicianVisit, ...] = (),
    saved_at: Mapping[date, datetime] | None = None,
) -> StatusReport:
    """The day's status joined with the red-flag triage; a stop-running sign turns the status red.

    ``holds`` are the signs earlier check-ins raised that are still in force (``symptoms.holds``); ``visits`` are
    the recorded clearances and bookings, which lift the day's own signs when they are dated on or after them and
    were recorded after the answer (``saved_at``: when each day's check-in was saved).
    """
    context = context or TriageContext()
    context = replace(context, self_tests=_fresh(context.self_tests, day))
    result = day_status(history, day, baseline_morning_pain=baseline_morning_pain, self_tests=context.self_tests)
    # Fill what the history can tell and the caller left unknown, so the "no improvement" and night rules can work.
    if context.improved_meaningfully is None and result.trend.direction is not None:
        context = replace(
            context, improved_meaningfully=result.meaningful_change and result.trend.direction == "better"
        )
    if context.nights_woken_7d is None:
        context = replace(context, nights_woken_7d=result.trend.nights_woken_7d)
    checked = triage(TriageInput(result.checkin or CheckIn(date=day), context))
    rules = triage_rules()
    raised_on = result.checkin.date if result.checkin else day
    held = {hold.code for hold in holds}
    # A clearance or booking dated on or after the check-in lifts what that check-in raised.
    saved = (saved_at or {}).get(raised_on)
    live = [
        rule for rule in checked.matched if rule.code not in held and not is_lifted(rule, raised_on, visits, day, saved)
    ]
    signs = sorted(
        [(rules.severity(h.action), h.since, h.reason(rules)) for h in holds]
        + [(rules.severity(r.action), raised_on, Reason(r.code, r.message, r.source)) for r in live],
        key=lambda sign: (-sign[0], sign[1]),
    )
    severity = max((sign[0] for sign in signs), default=0)
    action = rules.actions[severity]
    reasons = [sign[2] for sign in signs]
    status = result.status
    stops = action in NO_RUNNING_ACTIONS
    if stops:
        status = "red"
        reasons.append(_note("red_flag_override"))
    # "The plan may progress" or "repeat the same run" would contradict a stop: on such a day the pain model's
    # all-clear is left out and its findings lose their load advice (status_rules.toml [stopped]); every warning
    # stays.
    reasons.extend(result.reasons_when_stopped if stops else result.reasons)
    # Both safety lists must agree before a test that loads the hip is offered (triage rules and selftests.py).
    no_tests = any(rule.no_self_tests for rule in live) or any(hold.no_self_tests for hold in holds)
    stop_reason = None
    if stops:
        stop_reason = signs[0][2]  # the most severe sign
    elif status == "red":
        stop_reason = next((r for r in result.reasons if r.code not in ("carried_checkin", "no_recent_checkin")), None)
    return StatusReport(
        date=day,
        status=status,
        action=action,
        stop_reason=stop_reason,
        reasons=tuple(reasons),
        pattern=result.pattern,
        self_tests_allowed=not no_tests and stance_test_safe(result.checkin)[0],
        trend=result.trend,
        meaningful_change=result.meaningful_change,
        running_allowed=not stops and status != "red",
        pain_status=result.status,
        holds=holds,
        checkin_date=result.checkin.date if result.checkin else None,
        triage=checked,
    )


def cap_adjustment(report: StatusReport) -> tuple[float, str | None]:
    """The factor for the load engine's cap (itself 1.10 × the 30-day longest run) and why; green → (1.0, None)."""
    cfg, engine_factor = status_rules()["cap"], load_rules().cap_factor
    if report.status == "red" or report.action in NO_RUNNING_ACTIONS or not report.running_allowed:
        return cfg["red_of_longest"] / engine_factor, cfg["red_reason"]
    if report.status == "amber":
        return min(cfg["amber_of_longest"] / engine_factor, 1.0), cfg["amber_reason"]
    return 1.0, None
