"""Which exercises fill a plan item, by purpose and by the runner's state (pure; the slots are in
``selection.toml``). Each choice keeps what it left out and why, so a plan can be audited (``plan --explain``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gluteguard.plan.library import NO_EQUIPMENT, Exercise, load_library
from gluteguard.plan.library import refusal as library_refusal
from gluteguard.rules_data import Table, rules_data

# Equipment anybody has: a version needing only these is the fallback when the runner owns something better.
EVERYWHERE = frozenset({NO_EQUIPMENT, "wall", "chair"})


@dataclass(frozen=True)
class Slot:
    id: str
    item: str  # the plan item it fills: warmup | stretch | strength | sitting_breaks
    purpose: str
    candidates: tuple[str, ...]
    pick: int | None  # None = every one that fits
    rotate: bool
    prefer_own_equipment: bool
    why: str
    source: str


@dataclass(frozen=True)
class SelectionState:
    """What the choice depends on: the conditions that hold (``avoid_when`` names) and the equipment at hand."""

    conditions: frozenset[str]
    kit: frozenset[str]
    excluded: tuple[tuple[str, str], ...] = ()  # (exercise id, why): a clinician's order left it out


@dataclass(frozen=True)
class Choice:
    """One slot's exercises for one occasion, with every candidate left out and the reason."""

    slot: str
    item: str
    purpose: str
    chosen: tuple[Exercise, ...]
    left_out: tuple[tuple[str, str], ...]  # (exercise id, why)
    why: str
    source: str

    def as_dict(self) -> dict:
        return {
            "slot": self.slot,
            "item": self.item,
            "purpose": self.purpose,
            "chosen": [e.id for e in self.chosen],
            "left_out": [{"id": eid, "why": why} for eid, why in self.left_out],
            "why": self.why,
            "source": self.source,
        }


def _parse(table: Table) -> tuple[Slot, ...]:
    library = load_library()
    slots = []
    for raw in table["slot"]:
        missing = [eid for eid in raw["candidates"] if eid not in library]
        if missing:
            raise ValueError(f"selection.toml slot {raw['id']}: unknown exercise(s) {missing}")
        pick = raw["pick"]
        slots.append(
            Slot(
                id=raw["id"],
                item=raw["item"],
                purpose=raw["purpose"],
                candidates=tuple(raw["candidates"]),
                pick=None if pick == "all" else int(pick),
                rotate=raw["rotate"] == "occasion",
                prefer_own_equipment=bool(raw["prefer_own_equipment"]),
                why=raw["why"],
                source=raw["source"],
            )
        )
    return tuple(slots)


def slots() -> tuple[Slot, ...]:
    return rules_data("gluteguard.plan", "selection.toml", _parse)


def slots_for(item: str) -> tuple[Slot, ...]:
    return tuple(s for s in slots() if s.item == item)


def refusal(exercise: Exercise, state: SelectionState) -> str | None:
    """Why ``exercise`` cannot be used in this state (None when it can): a clinician left it out, or the library's
    own check."""
    for excluded, why in state.excluded:
        if excluded == exercise.id:
            return why
    return library_refusal(exercise, state.conditions, state.kit)


def _rotated(pool: Sequence[Exercise], pick: int, occasion: int) -> list[Exercise]:
    start = (occasion * pick) % len(pool)
    return [pool[(start + i) % len(pool)] for i in range(min(pick, len(pool)))]


def choose(slot: Slot, state: SelectionState, occasion: int = 0) -> Choice:
    """The slot's exercises on its ``occasion``-th time round (a run, a strength session, a working day)."""
    library = load_library()
    candidates = [library[eid] for eid in slot.candidates]
    left_out: list[tuple[str, str]] = []
    fits: list[Exercise] = []
    for exercise in candidates:
        why = refusal(exercise, state)
        if why is None:
            fits.append(exercise)
        else:
            left_out.append((exercise.id, why))
    pool = fits
    if slot.prefer_own_equipment:
        own = [e for e in fits if not set(e.equipment) <= EVERYWHERE]
        if own:
            pool = own
            left_out += [(e.id, "a version with your own equipment is used instead") for e in fits if e not in own]
    if not pool:
        chosen: list[Exercise] = []
    elif slot.pick is None:
        chosen = list(pool)
    elif slot.rotate:
        chosen = _rotated(pool, slot.pick, occasion)
    else:
        chosen = pool[: slot.pick]
    unused = "rotates in on another occasion" if slot.rotate else "an exercise earlier in the list fits"
    left_out += [(e.id, unused) for e in pool if e not in chosen]
    return Choice(slot.id, slot.item, slot.purpose, tuple(chosen), tuple(left_out), slot.why, slot.source)


def glute_choice(
    stage_exercises: Sequence[Exercise], stage: int, state: SelectionState, why: str, source: str
) -> Choice:
    """Every exercise of the LEAP stage that fits: the staged abductor work is never rotated out. One a clinician
    left out is replaced by its easier version (its ``regression``, followed until one fits), if that is not in the
    session already."""
    chosen: list[Exercise] = []
    left_out: list[tuple[str, str]] = []
    excluded = dict(state.excluded)
    for exercise in stage_exercises:
        reason = refusal(exercise, state)
        if reason is None:
            chosen.append(exercise)
            continue
        left_out.append((exercise.id, reason))
        if exercise.id in excluded:
            stand_in = _easier_fit(exercise, state)
            if stand_in is not None and stand_in not in chosen and stand_in not in stage_exercises:
                chosen.append(stand_in)
    return Choice(f"glute_stage_{stage}", "strength", f"hip stabilisers, stage {stage}", tuple(chosen),
                  tuple(left_out), why, source)  # fmt: skip


def _easier_fit(exercise: Exercise, state: SelectionState) -> Exercise | None:
    """The first easier version down the ``regression`` links that fits this state (None when none does)."""
    library, seen = load_library(), {exercise.id}
    step = library.get(exercise.regression) if exercise.regression else None
    while step is not None and step.id not in seen:
        if refusal(step, state) is None:
            return step
        seen.add(step.id)
        step = library.get(step.regression) if step.regression else None
    return None


def choose_all(item: str, state: SelectionState, occasion: int) -> tuple[Choice, ...]:
    return tuple(choose(slot, state, occasion) for slot in slots_for(item))


def chosen_exercises(choices: Sequence[Choice]) -> list[Exercise]:
    """The exercises of several choices in order, each once."""
    return list(dict.fromkeys(e for choice in choices for e in choice.chosen))


__all__ = [
    "Choice",
    "SelectionState",
    "Slot",
    "choose",
    "choose_all",
    "chosen_exercises",
    "glute_choice",
    "refusal",
    "slots",
    "slots_for",
]
