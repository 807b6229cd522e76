"""The plan's plain data: what a day's plan is made from (``PlanInputs``), what it holds (``PlanItem``), the week
as a whole (``Plan``), and the layout constants and wording table they share (``week_rules.toml``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from gluteguard.plan.orders import Exclusion
from gluteguard.plan.phase import PhaseDecision
from gluteguard.rules_data import Table, rules_data

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SYMPTOMATIC_PHASES = frozenset({"manage", "settle", "return", "blocked"})
NO_RUN_PHASES = frozenset({"settle", "blocked"})
# Profile equipment (services.athletes.EQUIPMENT) → what the library's exercises need. Wall and chair are everywhere.
EQUIPMENT_PROVIDES = {
    "band": {"band"},
    "dumbbells": {"dumbbell"},
    "gym": {"gym_machine", "barbell", "dumbbell", "step", "band"},
    "foam_roller": {"foam_roller"},
    "step": {"step"},
}


def week_rules() -> Table:
    return rules_data("gluteguard.plan", "week_rules.toml")


@dataclass(frozen=True)
class StrideCue:
    """A stored stride finding the plan acts on (the stride analysis issue)."""

    code: str
    cue: str
    exercises: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class ShoeUse:
    """Distance per pair of shoes from the imported gear (Strava's activity gear)."""

    name: str
    total_m: float
    recent_m: float  # in the shoe window before the week (week_rules.toml [shoes])


@dataclass(frozen=True)
class PlanInputs:
    week_of: date  # the Monday the week starts on
    phase: PhaseDecision
    cap_m: float | None  # the load engine's next-run cap (already lowered for symptoms)
    last_7_days_m: float  # running distance of the 7 days before the week
    running_days: tuple[str, ...] = ("tue", "thu", "sat")
    long_run_day: str | None = "sat"
    work_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    equipment: tuple[str, ...] = ()
    stage: int = 1  # glute-medius stage 1–4
    ladder_step: int = 1  # walk/run ladder step 1–10 (return phase)
    progress_why: str = ""  # why the stage/step is where it is (progression.py)
    weeks_at_stage: int = 0
    skipped_item_ids: frozenset[str] = frozenset()  # items the runner marked skipped this week
    symptom_action: str | None = None  # the triage action of the day the plan was made on
    stride_cues: tuple[StrideCue, ...] = ()
    shoes: tuple[ShoeUse, ...] = ()
    no_cap_details: str = ""  # what a run says when there is no cap (the decision's basis); default below
    # Side-of-hip pain reported in the last 14 days (any pain answer, the side of the hip among the locations,
    # waking when lying on it, a tender hip bone or a positive stance test): no stretch or move that crosses the
    # midline or compresses the tendon, whatever the phase (clinical.md §1.3, §7).
    lateral_hip_pain_recent: bool = False
    tender_hip_bone: bool = False  # pressing the bony point on the side of the hip hurt in the last 14 days
    ran_day_before_week: bool = False  # a run on the Sunday before: the ladder does not run again on Monday
    # A clinician's orders (plan/orders.py): the highest strength stage allowed, and exercises never to choose.
    stage_ceiling: int | None = None
    exclusions: tuple[Exclusion, ...] = ()


@dataclass(frozen=True)
class PlanItem:
    id: str
    kind: str  # run | warmup | strength | stretch | sitting_breaks | tip | rest | clinician
    title: str
    details: str
    why: str
    source: str
    distance_cap_m: float | None = None
    exercises: tuple[dict, ...] = ()
    # A run item's session: run (a run, or the ladder's last step), walk_run (walk/run intervals), or a return-to-run
    # step with no running in it: walk, hops (the exercise library's session_kind). None for other items.
    session_kind: str | None = None
    ladder_step: int | None = None  # a return-to-run session: its step of the ladder (plan/library.py)

    @property
    def holds_running(self) -> bool:
        """A run item with running in it: not a walk or hop step of the way back to running."""
        return self.kind == "run" and self.session_kind in ("run", "walk_run")


@dataclass(frozen=True)
class PlanDay:
    date: date
    items: tuple[PlanItem, ...]


@dataclass(frozen=True)
class Plan:
    week_of: date
    phase: str
    phase_why: str
    phase_source: str
    days: tuple[PlanDay, ...] = field(default_factory=tuple)
    stage: int = 1
    ladder_step: int | None = None
    progress_why: str = ""
    outline: tuple[dict, ...] = ()

    def as_dict(self) -> dict:
        data = asdict(self)
        data["week_of"] = self.week_of.isoformat()
        for day in data["days"]:
            day["date"] = day["date"].isoformat()
            day["items"] = [{k: v for k, v in item.items() if v not in (None, ())} for item in day["items"]]
        data["outline"] = list(self.outline)
        return data
