"""The day's decision and the week made of them, as typed objects; ``as_dict`` is their one JSON shape."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from gluteguard.plan.inputs import PlanInputs, PlanItem
from gluteguard.plan.orders import OrderNotice
from gluteguard.plan.workouts import has_workout, workout_file_name
from gluteguard.symptoms.holds import Hold
from gluteguard.symptoms.status import StatusReport
from gluteguard.symptoms.triage import Reason

# The headline kinds of a day on the way back whose session is a walk or hops, or a rest day before one: running is
# allowed by the symptoms and phase, but not yet by the return ladder.
NO_RUN_YET_HEADLINES = frozenset({"walk", "hops", "rest_no_run_yet"})


@dataclass(frozen=True)
class NextRun:
    """The next run: none today, a walk/run ladder step, a distance cap with its basis, or short and easy."""

    kind: str  # none | ladder | distance | easy
    summary: str  # the sentence every view prints
    basis: str  # why, in plain words
    source: str
    cap_m: float | None = None  # the ceiling: no run goes past it
    ladder_step: int | None = None
    longest_tolerated_m: float | None = None
    longest_tolerated_on: date | None = None
    planned_on: date | None = None  # the day of the next run the plan holds (today or a later day of the week)
    planned_m: float | None = None  # that run's distance in the plan (at most the ceiling)

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("longest_tolerated_on", "planned_on"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def _item_dict(item: PlanItem, running_allowed: bool = True) -> dict:
    data = {k: v for k, v in asdict(item).items() if v not in (None, ())}
    if has_workout(item, running_allowed):  # the file `plan --fit` writes for it; calendars name it
        data["workout_file"] = workout_file_name(item.id)
    return data


@dataclass(frozen=True)
class DayDecision:
    """What the runner may do on one day — computed once, rendered by every view."""

    date: date
    decided_on: date  # the last day whose data counted: the day itself, or today for a day ahead
    status: str | None  # green | amber | red; None before the first check-in
    action: str | None  # self_manage | see_clinician | urgent | emergency; None before the first check-in
    headline: Reason  # what to do today, in one sentence, with its source
    # Which headline that is (decide.headline_kind): warning_sign | no_running | no_checkin | run | walk_run | walk |
    # hops | rest | rest_no_run_yet — walk, hops and rest_no_run_yet hold no running today.
    headline_kind: str
    phase: str  # prevent | manage | settle | return | blocked
    phase_why: str
    phase_source: str
    running_allowed: bool
    next_run: NextRun
    reasons: tuple[Reason, ...]  # warning signs first, then the pain model's
    holds: tuple[Hold, ...]
    items: tuple[PlanItem, ...]
    stage: int
    ladder_step: int | None  # the step the week started at, in the return phase
    progress_why: str
    orders: tuple[OrderNotice, ...] = ()  # a coach's or physio's orders binding the day, each with its words
    cancelled: tuple[str, ...] = ()  # usual run/strength ids the day no longer holds (for calendars to cancel)
    assumed: tuple[str, ...] = ()  # what the plan took for granted because the profile does not say it
    report: StatusReport | None = field(default=None, compare=False, repr=False)
    plan_inputs: PlanInputs | None = field(default=None, compare=False, repr=False)

    @property
    def projected(self) -> bool:
        """Decided ahead of the day, from what is known now."""
        return self.decided_on < self.date

    @property
    def running_today(self) -> bool:
        """Whether the runner may run today: running is allowed and today's step of the way back, if any, is not a
        walk or hops with no running yet (the headline kinds that hold no running)."""
        return self.running_allowed and self.headline_kind not in NO_RUN_YET_HEADLINES

    @property
    def next_run_cap_m(self) -> float | None:
        """The distance ceiling of the next run; 0 when there is no running today (the load output's contract)."""
        return 0.0 if not self.running_allowed else self.next_run.cap_m

    def status_dict(self) -> dict | None:
        """``status --json``: the day's symptom report with the decision's running answer, phase and next run."""
        if self.report is None:
            return None
        return {
            **self.report.as_dict(),
            "running_allowed": self.running_allowed,
            "running_today": self.running_today,
            "phase": self.phase,
            "next_run": self.next_run.as_dict(),
            "headline": self.headline.as_dict(),
            "headline_kind": self.headline_kind,
        }

    def as_dict(self) -> dict:
        return {
            "date": self.date.isoformat(),
            "decided_on": self.decided_on.isoformat(),
            "projected": self.projected,
            "status": self.status,
            "action": self.action,
            "headline": self.headline.as_dict(),
            "headline_kind": self.headline_kind,
            "phase": self.phase,
            "phase_why": self.phase_why,
            "phase_source": self.phase_source,
            "running_allowed": self.running_allowed,
            "running_today": self.running_today,
            "next_run": self.next_run.as_dict(),
            "next_run_cap_m": self.next_run_cap_m,
            "reasons": [reason.as_dict() for reason in self.reasons],
            "holds": [hold.as_dict() for hold in self.holds],
            "items": [_item_dict(item, self.running_allowed) for item in self.items],
            "stage": self.stage,
            "ladder_step": self.ladder_step,
            "progress_why": self.progress_why,
            "orders": [notice.as_dict() for notice in self.orders],
            "cancelled": list(self.cancelled),
            "assumed": list(self.assumed),
        }


@dataclass(frozen=True)
class WeekPlan:
    """A week as the decisions of its days; ``lead`` (today, or the Monday) heads it and projects the outline."""

    week_of: date
    lead: DayDecision
    days: tuple[DayDecision, ...]
    outline: tuple[dict, ...]
    logged: dict[str, str]  # item id → done | skipped, for the week's days
    logged_elsewhere: dict[date, tuple[PlanItem, ...]] = field(default_factory=dict)  # logged, no longer planned

    @property
    def phase(self) -> str:
        return self.lead.phase

    @property
    def stage(self) -> int:
        return self.lead.stage

    @property
    def progress_why(self) -> str:
        return self.lead.progress_why

    @property
    def orders(self) -> tuple[OrderNotice, ...]:
        return self.lead.orders

    def as_dict(self) -> dict:
        lead = self.lead
        return {
            "week_of": self.week_of.isoformat(),
            "phase": lead.phase,
            "phase_why": lead.phase_why,
            "phase_source": lead.phase_source,
            "stage": lead.stage,
            "ladder_step": lead.ladder_step,
            "progress_why": lead.progress_why,
            "orders": [notice.as_dict() for notice in lead.orders],
            "decided_on": lead.decided_on.isoformat(),
            "lead": {
                "date": lead.date.isoformat(),
                "running_allowed": lead.running_allowed,
                "headline": lead.headline.message,
                "headline_kind": lead.headline_kind,
                "holds": [hold.as_dict() for hold in lead.holds],
                "assumed": list(lead.assumed),
            },
            "days": [
                {
                    "date": day.date.isoformat(),
                    "items": [
                        {**_item_dict(item), **({"outcome": self.logged[item.id]} if item.id in self.logged else {})}
                        for item in day.items
                    ],
                    "status": day.status,
                    "action": day.action,
                    "phase": day.phase,
                    "running_allowed": day.running_allowed,
                    "next_run": day.next_run.as_dict(),
                    "headline": day.headline.message,
                    "headline_kind": day.headline_kind,
                    "reasons": [reason.as_dict() for reason in day.reasons] if not day.running_allowed else [],
                    "projected": day.projected,
                    "orders": [notice.as_dict() for notice in day.orders],
                    "cancelled": list(day.cancelled),
                    # logged items the day's decision no longer holds (it turned red after the run), as planned
                    "logged_items": [
                        {**_item_dict(item), "outcome": self.logged[item.id]}
                        for item in self.logged_elsewhere.get(day.date, ())
                    ],
                }
                for day in self.days
            ],
            "outline": list(self.outline),
            "logged": dict(self.logged),
        }
