"""The week's runs and strength sessions as watch workouts (issue 18), pure: the decided days in, workouts out.

A workout is what a watch steps through: a run is a walk first, the run as a distance within the day's cap (or the
time the plan gives when there is no cap yet), and a walk after; a return-to-run session is its walk, run and hop
intervals (``exercises.toml`` intervals × repeats) with a walk first when it starts by running; a strength session
is each exercise's sets of reps or holds with a rest between. The days come from the one decision
(``coach.decide``): a day whose decision allows no running gets no run workout, whatever its usual plan was.
``reports/fit_workouts.py`` writes them as FIT files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from gluteguard.plan.inputs import PlanItem
from gluteguard.plan.library import Exercise, load_library, return_to_run_ladder
from gluteguard.rules_data import rules_data

# intensity: warmup | active | recovery | rest | cooldown (the FIT profile's names)


@dataclass(frozen=True)
class Step:
    """One step: ``seconds``, ``metres`` or ``reps`` long, or open (ended with the lap key) when none is set."""

    name: str
    intensity: str
    seconds: float | None = None
    metres: float | None = None
    reps: int | None = None
    heart_rate: tuple[int, int] | None = None  # bpm, low–high
    notes: str = ""


@dataclass(frozen=True)
class Repeat:
    """``steps`` done ``times`` times."""

    times: int
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Workout:
    item_id: str  # the plan item it comes from (``done ID`` logs it)
    day: date
    name: str
    sport: str  # running | walking | training (FIT sport names)
    sub_sport: str  # generic | strength_training
    parts: tuple[Step | Repeat, ...]
    description: str

    @property
    def file_name(self) -> str:
        return workout_file_name(self.item_id)

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step in the order done, repeats written out."""
        out: list[Step] = []
        for part in self.parts:
            out += list(part.steps) * part.times if isinstance(part, Repeat) else [part]
        return tuple(out)


@dataclass(frozen=True)
class SessionDay:
    """A decided day as the workouts need it."""

    date: date
    running_allowed: bool
    items: tuple[PlanItem, ...]


def workout_file_name(item_id: str) -> str:
    """The file a plan item's workout is written to; the calendar event of the same item names it."""
    return f"gluteguard-{item_id}.fit"


@cache
def _rules() -> dict:
    return rules_data("gluteguard.plan", "workouts.toml")


def easy_heart_rate(max_hr: int | None) -> tuple[int, int] | None:
    """The easy range (bpm) an easy run aims at, from the profile's maximum heart rate; None without one."""
    if max_hr is None:
        return None
    rule = _rules()["easy_heart_rate"]
    return round(max_hr * rule["low_share"]), round(max_hr * rule["high_share"])


def _walk(name: str, minutes: float, intensity: str) -> Step:
    return Step(name, intensity, seconds=minutes * 60)


def _run_workout(day: date, item: PlanItem, heart_rate: tuple[int, int] | None) -> Workout:
    rules, words = _rules()["run"], _rules()["words"]
    if item.distance_cap_m is not None:
        run = Step(words["run_to_cap"].format(km=f"{item.distance_cap_m / 1000:.1f}"), "active",
                   metres=round(item.distance_cap_m), heart_rate=heart_rate, notes=words["run_note"])  # fmt: skip
    else:
        run = Step(words["run_no_cap"], "active", seconds=rules["no_cap_run_min"] * 60, heart_rate=heart_rate,
                   notes=words["run_no_cap_note"])  # fmt: skip
    parts = (_walk(words["warmup"], rules["warmup_walk_min"], "warmup"), run,
             _walk(words["cooldown"], rules["cooldown_walk_min"], "cooldown"))  # fmt: skip
    return Workout(item.id, day, item.title, "running", "generic", parts, item.details)


def _ladder_workout(day: date, item: PlanItem, step: Exercise, heart_rate: tuple[int, int] | None) -> Workout:
    rules, words = _rules()["run"], _rules()["words"]
    blocks: list[Step] = []
    for interval in step.intervals:
        if interval.do == "run":
            blocks.append(Step(words["interval_run"], "active", seconds=(interval.minutes or 0) * 60,
                               heart_rate=heart_rate))  # fmt: skip
        elif interval.do == "walk":
            blocks.append(_walk(words["interval_walk"], interval.minutes or 0,
                                "recovery" if step.holds_running else "active"))  # fmt: skip
        else:  # hops: as many as the note says, ended with the lap key
            blocks.append(Step(words["hops"], "active", notes=interval.note))
    parts: list[Step | Repeat] = []
    if step.holds_running and step.intervals[0].do == "run":
        parts.append(_walk(words["warmup"], rules["warmup_walk_min"], "warmup"))
    parts += [Repeat(step.repeats, tuple(blocks))] if step.repeats > 1 else blocks
    if step.holds_running:
        parts.append(_walk(words["cooldown"], rules["cooldown_walk_min"], "cooldown"))
    sport = "running" if step.holds_running else "walking"
    return Workout(item.id, day, item.title, sport, "generic", tuple(parts), item.details)


def _strength_workout(day: date, item: PlanItem, library: dict[str, Exercise]) -> Workout | None:
    rest = Step(_rules()["words"]["rest"], "rest", seconds=_rules()["strength"]["rest_s"])
    parts: list[Step | Repeat] = []
    for chosen in item.exercises:
        exercise = library.get(chosen.get("id", ""))
        if exercise is None:
            continue
        dosage = exercise.dosage
        side = " each side" if dosage.each_side else ""
        if dosage.reps:
            work = Step(exercise.name, "active", reps=dosage.reps * (2 if dosage.each_side else 1),
                        notes=f"{dosage.reps} reps{side}, {dosage.effort}")  # fmt: skip
        elif dosage.hold_s:
            work = Step(exercise.name, "active", seconds=dosage.hold_s, notes=f"hold {dosage.hold_s} s{side}")
        else:
            work = Step(exercise.name, "active", seconds=(dosage.duration_min or 1) * 60, notes=dosage.effort)
        parts.append(Repeat(dosage.sets, (work, rest)) if dosage.sets > 1 else work)
    if not parts:
        return None
    return Workout(item.id, day, item.title, "training", "strength_training", tuple(parts), item.details)


def is_session(item: PlanItem) -> bool:
    """The items that become workouts (and calendar events): runs and the weekly strength sessions, not the daily
    extras (the hip routine, the isometric holds), which the day's list carries."""
    return item.kind == "run" or (item.kind == "strength" and item.id.endswith("-strength"))


def has_workout(item: PlanItem, running_allowed: bool) -> bool:
    """Whether ``item`` becomes a workout on a day whose decision does (not) allow running: every session but a run
    on a day without running (the day's decision has the last word, whatever the usual plan was)."""
    return is_session(item) and (running_allowed or not item.holds_running)


def week_workouts(days: Iterable[SessionDay], max_hr: int | None, *, heart_rate_target: bool = True
                  ) -> tuple[Workout, ...]:  # fmt: skip
    """The workouts of the given days, in day order: every run the day's decision allows and every strength
    session. ``heart_rate_target``: runs aim at the easy range from ``max_hr`` (when known); else they are open."""
    heart_rate = easy_heart_rate(max_hr) if heart_rate_target else None
    ladder = {step.ladder_step: step for step in return_to_run_ladder()}
    library = load_library()
    workouts: list[Workout] = []
    for day in days:
        for item in (item for item in day.items if has_workout(item, day.running_allowed)):
            if item.kind == "run":
                step = ladder.get(item.ladder_step) if item.ladder_step is not None else None
                workout = (_ladder_workout(day.date, item, step, heart_rate) if step is not None
                           else _run_workout(day.date, item, heart_rate))  # fmt: skip
            else:
                workout = _strength_workout(day.date, item, library)
            if workout is not None:
                workouts.append(workout)
    return tuple(workouts)
