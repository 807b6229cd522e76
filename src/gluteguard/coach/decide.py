"""The day's decision — may the runner run, how far, in which phase, and what else to do — computed once (pure).

``decide(history, day)`` reads only ``history.until(day)``: the past is decided with what was known then, a day
ahead with what is known now. ``decide_week`` is the decisions of a week's days. Every view renders these
objects and nothing else. Wording: ``decision.toml``; rules: the symptom, load, phase and plan TOML files.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from gluteguard.coach.course import memo, phase_on, progress_on, report_on
from gluteguard.coach.decision import DayDecision, NextRun, WeekPlan
from gluteguard.coach.history import AthleteHistory
from gluteguard.load.rules import load_rules
from gluteguard.plan.adherence import WeekLog, monday_of
from gluteguard.plan.generator import ladder_step_on, plan_day, run_index_on, usual_session_ids
from gluteguard.plan.inputs import NO_RUN_PHASES, WEEKDAYS, PlanInputs, PlanItem, week_rules
from gluteguard.plan.library import Exercise, load_library, return_to_run_ladder
from gluteguard.plan.orders import OrderNotice, exclusions, notices
from gluteguard.plan.phase import PhaseDecision
from gluteguard.plan.progression import Progress, progression_rules, stage_bounds
from gluteguard.plan.week import outline
from gluteguard.rules_data import rules_data
from gluteguard.symptoms.model import LAST_DAY, PAIN_FIELDS, check_day
from gluteguard.symptoms.status import StatusReport, cap_adjustment
from gluteguard.symptoms.triage import NO_RUNNING_ACTIONS, Reason, action_message

# How far ahead a rest day looks for the next run the plan holds.
LOOK_AHEAD_DAYS = 6


def wording() -> dict[str, dict[str, str]]:
    return rules_data("gluteguard.coach", "decision.toml")


# --- the next run -------------------------------------------------------------------------------------------------


def tolerated(history: AthleteHistory, run_day: date, day: date) -> bool:
    """Whether a run on ``run_day`` counts as tolerated when deciding ``day`` (load/rules.toml [cap]): running was
    allowed that day, no day from it to two after was amber or red (a carried or held status counts), and — for a
    runner who checks in — a check-in in those days says how it went (silence is not yet known, not tolerated)."""
    rules = load_rules()
    settle_by = min(run_day + timedelta(days=rules.cap_tolerance_days_after), history.horizon(day))
    on_the_day = report_on(history, run_day)
    if on_the_day is not None and not on_the_day.running_allowed:
        return False  # a run against a stop says nothing about what the hip is used to
    span = (run_day + timedelta(days=k) for k in range((settle_by - run_day).days + 1))
    if any((r := report_on(history, d)) is not None and r.status in rules.cap_not_tolerated_statuses for d in span):
        return False
    checks_in = bool(history.checkins_between(day - timedelta(days=rules.spike_window_days + 2), day))
    # How it went: a check-in after the run day, or the run day's own answers about the run (a morning check-in
    # made before the run says nothing about it).
    said = any(
        c.date > run_day or c.pain_during_run is not None or c.pain_after_run is not None
        for c in history.checkins_between(run_day, settle_by)
    )
    return not checks_in or said


def longest_tolerated_run(history: AthleteHistory, day: date) -> tuple[float, date] | None:
    """The longest run of the 30 days before ``day`` that the hip tolerated (``tolerated``); None when none did."""
    rules = load_rules()
    best: tuple[float, date] | None = None
    for run in history.runs_between(day - timedelta(days=rules.spike_window_days), day - timedelta(days=1)):
        if run.distance_m < rules.cap_min_run_m:
            continue  # no distance recorded: it says nothing about the distance the hip is used to
        if (best is None or run.distance_m > best[0]) and tolerated(history, run.local_date, day):
            best = (run.distance_m, run.local_date)
    return best


def _no_cap_basis(history: AthleteHistory, day: date) -> str:
    """Why there is no ceiling: no run in the 30 days before, none with a distance, or none tolerated."""
    rules, words = load_rules(), wording()["next_run"]
    runs = history.runs_between(day - timedelta(days=rules.spike_window_days), day - timedelta(days=1))
    if not runs:
        return words["easy_no_history"]
    if all(run.distance_m < rules.cap_min_run_m for run in runs):
        return words["easy_no_distance"]
    return words["easy_none_tolerated"]


def _next_run(
    history: AthleteHistory, day: date, report: StatusReport | None, inputs: PlanInputs, blocking: Reason | None
) -> NextRun:
    words = wording()["next_run"]
    rules = load_rules()
    if inputs.phase.phase in NO_RUN_PHASES:
        basis = blocking or Reason("no_running", inputs.phase.why, inputs.phase.source)
        return NextRun("none", words["none"], basis.message, basis.source)
    if inputs.phase.phase == "return":
        step = ladder_step_on(inputs, run_index_on(inputs, day))
        ladder = return_to_run_ladder()[step - 1]
        return NextRun(
            "ladder",
            words["ladder"].format(step=step, session=ladder.session),
            words["ladder_basis"],
            "; ".join(ladder.sources),
            ladder_step=step,
        )
    longest = longest_tolerated_run(history, day)
    if longest is None:
        source = f"{rules.cap_source}; {rules.cap_tolerance_source}"
        return NextRun("easy", words["easy"], _no_cap_basis(history, day), source)
    adjustment, _ = cap_adjustment(report) if report is not None else (1.0, None)
    factor = rules.cap_factor * adjustment
    cap = longest[0] * factor
    basis = words["distance_basis"].format(
        factor=f"{factor:.2f}",
        longest_km=f"{longest[0] / 1000:.1f}",
        longest_date=longest[1].isoformat(),
        amber=words["amber"] if adjustment < 1.0 else "",
    )
    return NextRun(
        "distance",
        words["distance"].format(km=f"{cap / 1000:.1f}"),
        basis,
        f"{rules.cap_source}; {rules.cap_tolerance_source}",
        cap_m=cap,
        longest_tolerated_m=longest[0],
        longest_tolerated_on=longest[1],
    )


def _with_planned_run(history: AthleteHistory, day: date, ceiling: NextRun, items: tuple[PlanItem, ...]) -> NextRun:
    """The ceiling joined with the run the plan holds next — today's, or the next day's with one (decided from
    what is known today) — so every view says the same distance the plan says."""
    if ceiling.kind == "none":
        return ceiling
    words = wording()["next_run"]
    for ahead in range(LOOK_AHEAD_DAYS + 1):
        on = day + timedelta(days=ahead)
        if on > LAST_DAY:
            break
        decided = None if ahead == 0 else decide(history, on)
        if decided is not None and not decided.running_allowed:
            break
        run = next((item for item in (items if decided is None else decided.items) if item.kind == "run"), None)
        if run is None:
            continue
        # The run is described by its own day's decision (its phase may differ from today's).
        base = decided.next_run if decided is not None else ceiling
        if base.kind == "ladder" and base.ladder_step is not None:
            session = return_to_run_ladder()[base.ladder_step - 1].session
            what = words["planned_ladder"].format(step=base.ladder_step, session=session)
        elif run.distance_cap_m:
            title = run.title[0].lower() + run.title[1:]
            what = words["planned_distance"].format(title=title, km=f"{run.distance_cap_m / 1000:.1f}")
            if base.cap_m and run.distance_cap_m < base.cap_m - 50:
                what += words["planned_ceiling"].format(km=f"{base.cap_m / 1000:.1f}")
        else:
            what = f"{run.title.lower()}: {words['easy'][0].lower()}{words['easy'][1:].rstrip('.')}"
        when = words["today"] if ahead == 0 else on.strftime("%A %d %b")
        summary = words["planned"].format(when=when, what=what)
        return replace(base, summary=summary, planned_on=on, planned_m=run.distance_cap_m)
    return ceiling


# --- the decision -------------------------------------------------------------------------------------------------


def _plan_inputs(
    history: AthleteHistory, day: date, phase: PhaseDecision, report: StatusReport | None, progress: Progress
) -> PlanInputs:
    monday = monday_of(day)
    profile = history.profile
    # The week's volume budget rests on the 7 days before the week (for a week ahead, the last 7 days known): the
    # same for each of its days, and never shrunk by runs that have not happened yet.
    last_known = min(monday - timedelta(days=1), history.horizon(day))  # a week ahead: the last 7 days known
    last_7 = sum(r.distance_m for r in history.runs_between(last_known - timedelta(days=6), last_known))
    logs = history.week_logs(monday + timedelta(days=6)).get(monday, WeekLog())
    # The stage the week started at, kept within what the day's phase allows (a red day mid-week: isometrics), and
    # never above what a clinician's order in force that day allows (an order set mid-week binds from its day).
    low, high = stage_bounds(phase.phase)
    stage, why = max(low, min(progress.stage, high)), progress.why
    orders = history.orders_on(day)
    if orders.stage_ceiling is not None and orders.stage_ceiling < stage:
        stage = orders.stage_ceiling
        why = progression_rules()["stage"]["ordered_why"].format(stage=stage)
    return PlanInputs(
        week_of=monday,
        phase=phase,
        cap_m=None,
        last_7_days_m=last_7,
        running_days=profile.running_days or tuple(week_rules()["defaults"]["running_days"]),
        long_run_day=profile.long_run_day,
        work_days=profile.work_days,
        equipment=profile.equipment,
        stage=stage,
        ladder_step=1 if phase.first_step_only else progress.ladder_step,
        progress_why=why,
        weeks_at_stage=progress.weeks_at_stage,
        skipped_item_ids=frozenset(logs.skipped_ids),
        symptom_action=report.action if report else None,
        stride_cues=history.stride_cues(monday),
        shoes=history.shoe_use(monday, week_rules()["shoes"]["window_days"]),
        lateral_hip_pain_recent=_side_of_hip_pain_recent(history, day),
        tender_hip_bone=_tender_hip_bone_recent(history, day),
        ran_day_before_week=bool(history.runs_between(monday - timedelta(days=1), monday - timedelta(days=1))),
        stage_ceiling=orders.stage_ceiling,
        exclusions=exclusions(orders),
    )


def _order_notices(history: AthleteHistory, day: date, stage: int) -> tuple[OrderNotice, ...]:
    """The clinician's orders binding the day, in the words every view prints (plan/orders.toml)."""
    orders = history.orders_on(day)
    if not orders.all:
        return ()
    names = {eid: exercise.name for eid, exercise in load_library().items() if eid in orders.excluded}
    return notices(orders, stage, names)


def _recent_window(day: date) -> date:
    return day - timedelta(days=week_rules()["recent_pain"]["days"] - 1)


def _side_of_hip_pain_recent(history: AthleteHistory, day: date) -> bool:
    """Side-of-hip pain in the last 14 days (week_rules.toml [recent_pain]): a pain answer above 0 with the side of
    the hip or thigh among the places (or no place given), waking when lying on it, a tender hip bone, or a positive
    single-leg stance test."""
    since = _recent_window(day)
    for checkin in history.checkins_between(since, day):
        places = set(checkin.pain_locations)
        pains = [getattr(checkin, name) for name in PAIN_FIELDS]
        at_side = not places or bool(places & set(week_rules()["recent_pain"]["locations"]))
        if (at_side and any(p for p in pains if p)) or checkin.wakes_lying_on_side or checkin.tender_on_pressing:
            return True
    stance = [t for t in history.self_tests if since <= t.day <= history.horizon(day)]
    return any(side.positive for t in stance for side in t.stance.values())


def _tender_hip_bone_recent(history: AthleteHistory, day: date) -> bool:
    since = _recent_window(day)
    if any(c.tender_on_pressing for c in history.checkins_between(since, day)):
        return True
    tests = [t for t in history.self_tests if since <= t.day <= history.horizon(day)]
    return any(tender for t in tests for tender in t.palpation.values())


def _ladder_step(next_run: NextRun) -> Exercise | None:
    """The return-to-run step the next run is (None for a run with a distance cap or a short easy run)."""
    if next_run.kind != "ladder" or next_run.ladder_step is None:
        return None
    return return_to_run_ladder()[next_run.ladder_step - 1]


def headline_kind(
    report: StatusReport | None, running_allowed: bool, items: tuple[PlanItem, ...], next_run: NextRun
) -> str:
    """Which of the day's headlines fits (decision.toml [headline]): a warning sign that stops running, a red day,
    no check-in yet, a run, walk/run intervals, a walk or a hop session with no running yet, or a rest day (before a
    run, or before a walk or hop step with no running yet)."""
    if report is not None and report.action in NO_RUNNING_ACTIONS:
        return "warning_sign"
    if not running_allowed:
        return "no_running"
    if report is None:
        return "no_checkin"
    session = next((item for item in items if item.kind == "run"), None)
    step = _ladder_step(next_run)
    if session is None:
        return "rest_no_run_yet" if step is not None and not step.holds_running else "rest"
    if step is not None:  # today's session is the next run: a step of the way back to running
        return step.session_kind if not step.holds_running else "walk_run"
    return "run" if session.holds_running else session.session_kind or "run"


def headline_for(kind: str, report: StatusReport | None, next_run: NextRun) -> Reason:
    """The day's headline of ``kind`` in the words of decision.toml [headline], with its source."""
    words = wording()["headline"]
    if kind == "warning_sign":
        assert report is not None and report.action is not None
        return Reason(report.action, action_message(report.action), report.reasons[0].source)
    if kind == "no_running":
        text = words["no_running"]
        if report is not None and report.action != "self_manage":
            text = f"{text} {action_message(report.action)}"
        return Reason("red", text, words["no_running_source"])
    step = _ladder_step(next_run)
    fields = {"summary": next_run.summary, "step": "", "in_short": ""}
    if step is not None:
        fields.update(step=str(step.ladder_step), in_short=step.in_short)
    text = words[kind].format(**fields)
    if report is None:
        return Reason("no_checkin", text, next_run.source)
    if report.action != "self_manage":
        text = f"{action_message(report.action)} {text}"
    return Reason(report.action, text, next_run.source)


def decide(history: AthleteHistory, day: date) -> DayDecision:
    """What the runner may do on ``day``, from the history known at the end of that day (or now, if later).
    Raises DayOutOfRange for a day before 1900 or after 2200."""
    check_day(day, margin_days=14)  # the days asked for are 1900–2200; their weeks and look-ahead reach a little past
    horizon = history.horizon(day)
    return memo(history, ("decision", day, horizon), lambda: _decide(history.until(horizon), day))


def _decide(history: AthleteHistory, day: date) -> DayDecision:
    report = report_on(history, day)
    phase = phase_on(history, day)
    progress = progress_on(history, monday_of(day))
    inputs = _plan_inputs(history, day, phase, report, progress)
    blocking = report.stop_reason if report is not None else None
    next_run = _next_run(history, day, report, inputs, blocking)
    inputs = replace(inputs, cap_m=next_run.cap_m, no_cap_details=wording()["next_run"]["easy"])
    items = plan_day(inputs, day)
    next_run = _with_planned_run(history, day, next_run, items)
    running_allowed = phase.phase not in NO_RUN_PHASES
    kind = headline_kind(report, running_allowed, items, next_run)
    planned_ids = {item.id for item in items}
    return DayDecision(
        date=day,
        decided_on=history.horizon(day),
        status=report.status if report else None,
        action=report.action if report else None,
        headline=headline_for(kind, report, next_run),
        headline_kind=kind,
        phase=phase.phase,
        phase_why=phase.why,
        phase_source=phase.source,
        running_allowed=running_allowed,
        next_run=next_run,
        reasons=report.reasons if report else (),
        holds=report.holds if report else (),
        items=items,
        stage=inputs.stage,
        ladder_step=inputs.ladder_step if phase.phase == "return" else None,
        progress_why=inputs.progress_why,
        orders=_order_notices(history, day, inputs.stage),
        cancelled=tuple(i for i in usual_session_ids(inputs, day) if i not in planned_ids),
        assumed=_assumed(history),
        report=report,
        plan_inputs=inputs,
    )


def _assumed(history: AthleteHistory) -> tuple[str, ...]:
    """What the plan took for granted because the profile does not say it, each in one sentence for the runner."""
    if history.profile.running_days:
        return ()
    defaults = week_rules()["defaults"]
    days = ", ".join(day.capitalize() for day in defaults["running_days"][:-1])
    days = f"{days} and {defaults['running_days'][-1].capitalize()}"
    return (defaults["assumed_running_days"].format(days=days),)


def decide_week(history: AthleteHistory, any_day: date, today: date) -> WeekPlan:
    """The week of ``any_day`` as the decisions of its days; ``today`` picks the day whose phase heads the week
    (today in this week, the last day of a past week, the Monday of one ahead) and projects the 4-week outline."""
    monday = monday_of(any_day)
    days = tuple(decide(history, monday + timedelta(days=k)) for k in range(7))
    # The day that heads the week: today in this week; a past week's last day (where it ended up); else the Monday.
    if monday <= today <= monday + timedelta(days=6):
        lead = days[(today - monday).days]
    else:
        lead = days[6] if monday + timedelta(days=6) < today else days[0]
    logged = history.logged(monday, monday + timedelta(days=6))
    return WeekPlan(
        week_of=monday,
        lead=lead,
        days=days,
        outline=outline(lead.plan_inputs),
        logged=logged,
        logged_elsewhere=_logged_elsewhere(history, days, logged),
    )


def _logged_elsewhere(
    history: AthleteHistory, days: tuple[DayDecision, ...], logged: dict[str, str]
) -> dict[date, tuple[PlanItem, ...]]:
    """Items logged done or skipped that their day's decision no longer holds (a check-in later that day turned
    it red after the run): as they were planned the evening before, so a past day shows what was logged."""
    found: dict[date, tuple[PlanItem, ...]] = {}
    for decision in days:
        ids = {item.id for item in decision.items}
        missing = {i for i in logged if i.startswith(decision.date.isoformat()) and i not in ids}
        if missing:
            before = decide(history.until(decision.date - timedelta(days=1)), decision.date)
            found[decision.date] = tuple(item for item in before.items if item.id in missing)
    return found


__all__ = [
    "WEEKDAYS",
    "decide",
    "decide_week",
    "headline_for",
    "headline_kind",
    "longest_tolerated_run",
    "phase_on",
    "progress_on",
    "report_on",
    "tolerated",
]
