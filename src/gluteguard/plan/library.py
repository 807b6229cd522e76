"""The exercise library from ``exercises.toml`` as typed values, with a validator that lists every problem.

The data file holds the content and its sources; this module only reads it, checks it and filters it, so content
changes never need a code change and a broken edit fails loudly with every problem listed at once.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Set
from dataclasses import dataclass
from functools import cache
from typing import Any

from gluteguard.rules_data import rules_data

# The code relies on these names (stage filtering, the ladder, compression checks); the file's vocabulary must
# contain them, and entries may only use what the file's vocabulary declares.
KINDS = frozenset({"warmup", "foam_roll", "strength", "stretch", "sitting_break", "return_to_run"})
SYMPTOMATIC = "symptomatic"
GLUTE_STAGES = (1, 2, 3, 4)
MIN_PER_GLUTE_STAGE = 2
# Equipment nobody has to own: never a reason to leave an exercise out.
NO_EQUIPMENT = "none"
FORBIDDEN_PHRASES = ("you have",)  # house rule: health wording never asserts a condition
# What a return-to-run step holds at most; "walk" and "hops" hold no running (the day's headline depends on it).
SESSION_KINDS = ("walk", "hops", "walk_run", "run")
RUNNING_SESSION_KINDS = frozenset({"walk_run", "run"})

_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_REQUIRED = (
    "id",
    "name",
    "kind",
    "purpose",
    "targets",
    "stage",
    "dosage",
    "equipment",
    "cues",
    "mistakes",
    "progression",
    "regression",
    "avoid_when",
    "adduction",
    "sources",
)


class LibraryError(ValueError):
    """The exercise file has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("exercises.toml has problems:\n- " + "\n- ".join(problems))


@dataclass(frozen=True)
class Dosage:
    sets: int
    effort: str
    reps: int | None = None
    hold_s: int | None = None
    duration_min: float | None = None
    each_side: bool = False
    frequency: str = ""


@dataclass(frozen=True)
class Interval:
    """One part of a return-to-run session: walk or run for ``minutes``, or hops (``minutes`` None: the runner ends
    it; ``note`` says which hops)."""

    do: str  # walk | run | hops
    minutes: float | None = None
    note: str = ""


# What each kind of return-to-run session may hold (the headline's promise: a walk day has no running in it).
INTERVALS_ALLOWED = {"walk": {"walk"}, "hops": {"walk", "hops"}, "walk_run": {"walk", "run"}, "run": {"run"}}


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    kind: str
    purpose: str
    targets: tuple[str, ...]
    stage: int
    dosage: Dosage
    equipment: tuple[str, ...]
    cues: tuple[str, ...]
    mistakes: tuple[str, ...]
    progression: str
    regression: str
    avoid_when: frozenset[str]
    adduction: bool
    sources: tuple[str, ...]
    ladder_step: int | None = None
    session: str = ""
    session_kind: str = ""  # return_to_run: walk | hops | walk_run | run (SESSION_KINDS)
    in_short: str = ""  # return_to_run: the session in a few words, for the day's headline
    intervals: tuple[Interval, ...] = ()  # return_to_run: the session as a watch workout takes it, done ``repeats``×
    repeats: int = 1

    @property
    def holds_running(self) -> bool:
        """A return-to-run step with running in it (a walk or hop step has none)."""
        return self.session_kind in RUNNING_SESSION_KINDS

    @property
    def is_glute_stage(self) -> bool:
        return self.kind == "strength" and self.stage in GLUTE_STAGES


def _strings(value: Any) -> list[str]:
    """Every string inside a nested TOML value, so text rules apply to all fields at once."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _check_entry(e: dict[str, Any], where: str, kinds: set[str], equipment: set[str], avoid: set[str]) -> list[str]:
    problems: list[str] = []
    missing = [f for f in _REQUIRED if f not in e]
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}")
    if e.get("kind") not in kinds:
        problems.append(f"{where}: kind {e.get('kind')!r} not in the vocabulary")
    stage = e.get("stage")
    if not isinstance(stage, int) or isinstance(stage, bool) or not 0 <= stage <= 4:
        problems.append(f"{where}: stage {stage!r} must be an integer 0–4")
    elif stage and e.get("kind") != "strength":
        problems.append(f"{where}: only strength entries can have a glute stage")
    for item in e.get("equipment", []):
        if item not in equipment:
            problems.append(f"{where}: equipment {item!r} not in the vocabulary")
    if not e.get("equipment"):
        problems.append(f'{where}: equipment is empty (use ["none"])')
    for item in e.get("avoid_when", []):
        if item not in avoid:
            problems.append(f"{where}: avoid_when {item!r} not in the vocabulary")
    if not [s for s in e.get("sources", []) if isinstance(s, str) and s.strip()]:
        problems.append(f"{where}: no source")
    if not [s for s in e.get("cues", []) if isinstance(s, str) and s.strip()]:
        problems.append(f"{where}: no cues")
    dosage = e.get("dosage")
    if not isinstance(dosage, dict):
        problems.append(f"{where}: dosage missing")
    else:
        if not any(dosage.get(k) for k in ("reps", "hold_s", "duration_min")):
            problems.append(f"{where}: dosage needs reps, hold_s or duration_min")
        if not isinstance(dosage.get("sets"), int) or dosage.get("sets", 0) < 1:
            problems.append(f"{where}: dosage sets must be a positive integer")
        if not str(dosage.get("effort", "")).strip():
            problems.append(f"{where}: dosage effort is empty")
    if e.get("adduction") is True and SYMPTOMATIC not in e.get("avoid_when", []):
        problems.append(f"{where}: adduction entry must list {SYMPTOMATIC!r} in avoid_when")
    elif not isinstance(e.get("adduction"), bool):
        problems.append(f"{where}: adduction must be true or false")
    for link in ("progression", "regression"):
        if e.get(link) and e.get(link) == e.get("id"):
            problems.append(f"{where}: {link} points at itself")
    is_ladder = e.get("kind") == "return_to_run"
    if is_ladder and (not isinstance(e.get("ladder_step"), int) or not str(e.get("session", "")).strip()):
        problems.append(f"{where}: return_to_run entries need ladder_step and session")
    if is_ladder and (e.get("session_kind") not in SESSION_KINDS or not str(e.get("in_short", "")).strip()):
        kinds = ", ".join(SESSION_KINDS)
        problems.append(f"{where}: return_to_run entries need session_kind (one of {kinds}) and in_short")
    if is_ladder:
        problems += _interval_problems(e, where)
    for key in ("ladder_step", "session_kind", "in_short", "intervals", "repeats"):
        if not is_ladder and key in e:
            problems.append(f"{where}: {key} only belongs on return_to_run entries")
    for text in _strings(e):
        for phrase in FORBIDDEN_PHRASES:
            if phrase in text.lower():
                problems.append(f"{where}: text says {phrase!r}: {text!r}")
    return problems


def _interval_problems(e: dict[str, Any], where: str) -> list[str]:
    """A return-to-run step's intervals: known parts, the ones its session_kind allows, minutes that add up to the
    session's ``duration_min`` (when it has one)."""
    intervals, repeats = e.get("intervals"), e.get("repeats")
    if not isinstance(intervals, list) or not intervals or not isinstance(repeats, int) or repeats < 1:
        return [f"{where}: return_to_run entries need intervals (a list) and repeats (a positive integer)"]
    problems: list[str] = []
    allowed = INTERVALS_ALLOWED.get(str(e.get("session_kind")), set())
    for part in intervals:
        do, minutes = part.get("do"), part.get("min")
        if do not in allowed:
            problems.append(f"{where}: interval {do!r} is not allowed in a {e.get('session_kind')} session")
        if do == "hops" and (minutes is not None or not str(part.get("note", "")).strip()):
            problems.append(f"{where}: a hops interval has a note and no minutes (the runner ends it)")
        if do in ("walk", "run") and (not isinstance(minutes, int | float) or minutes <= 0):
            problems.append(f"{where}: a {do} interval needs positive minutes")
    if problems:
        return problems
    total = repeats * sum(part.get("min", 0) for part in intervals)
    duration = (e.get("dosage") or {}).get("duration_min")
    if duration is not None and abs(total - duration) > 1e-9:
        problems.append(f"{where}: intervals add up to {total:g} min, the session lasts {duration:g}")
    return problems


def _check_links(entries: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    ids = {e.get("id") for e in entries}
    nxt: dict[str, str] = {}
    for e in entries:
        for link in ("progression", "regression"):
            target = e.get(link)
            if target and target not in ids:
                problems.append(f"{e.get('id')}: {link} {target!r} does not exist")
        if e.get("progression") and e.get("progression") != e.get("id"):
            nxt[e["id"]] = e["progression"]
    # Each entry has at most one progression, so following the chain finds any cycle; report each cycle once.
    reported: set[frozenset[str]] = set()
    for start in nxt:
        seen: list[str] = []
        node: str | None = start
        while node is not None and node not in seen:
            seen.append(node)
            node = nxt.get(node)
        if node is not None:
            cycle = seen[seen.index(node) :]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                problems.append("progression cycle: " + " → ".join([*cycle, node]))
    return problems


def validate_library(raw: dict[str, Any]) -> list[str]:
    """Every problem in a parsed ``exercises.toml`` (an empty list means it is fine)."""
    problems: list[str] = []
    vocab = raw.get("vocabulary", {})
    kinds = set(vocab.get("kind", []))
    equipment = set(vocab.get("equipment", []))
    avoid = set(vocab.get("avoid_when", {}))
    if kinds != KINDS:
        problems.append(f"vocabulary.kind must be exactly {sorted(KINDS)}")
    if NO_EQUIPMENT not in equipment:
        problems.append(f"vocabulary.equipment must include {NO_EQUIPMENT!r}")
    if SYMPTOMATIC not in avoid:
        problems.append(f"vocabulary.avoid_when must include {SYMPTOMATIC!r}")
    entries = raw.get("exercise", [])
    if not entries:
        return [*problems, "no [[exercise]] entries"]

    seen_ids: set[str] = set()
    for n, e in enumerate(entries, start=1):
        eid = e.get("id")
        where = str(eid) if eid else f"entry {n}"
        if not isinstance(eid, str) or not _ID_RE.match(eid):
            problems.append(f"{where}: id must be snake_case")
        elif eid in seen_ids:
            problems.append(f"{where}: duplicate id")
        else:
            seen_ids.add(eid)
        problems.extend(_check_entry(e, where, kinds, equipment, avoid))
    problems.extend(_check_links(entries))

    for stage in GLUTE_STAGES:
        count = sum(1 for e in entries if e.get("kind") == "strength" and e.get("stage") == stage)
        if count < MIN_PER_GLUTE_STAGE:
            problems.append(f"glute stage {stage} has {count} entries, needs at least {MIN_PER_GLUTE_STAGE}")
    steps = sorted(
        e["ladder_step"] for e in entries if e.get("kind") == "return_to_run" and isinstance(e.get("ladder_step"), int)
    )
    if steps != list(range(1, len(steps) + 1)):
        problems.append(f"return-to-run ladder steps must run 1, 2, 3 … without gaps or repeats, got {steps}")
    return problems


def _exercise(e: dict[str, Any]) -> Exercise:
    d = e["dosage"]
    return Exercise(
        id=e["id"],
        name=e["name"],
        kind=e["kind"],
        purpose=e["purpose"],
        targets=tuple(e["targets"]),
        stage=e["stage"],
        dosage=Dosage(
            sets=d["sets"],
            effort=d["effort"],
            reps=d.get("reps"),
            hold_s=d.get("hold_s"),
            duration_min=d.get("duration_min"),
            each_side=d.get("each_side", False),
            frequency=d.get("frequency", ""),
        ),
        equipment=tuple(e["equipment"]),
        cues=tuple(e["cues"]),
        mistakes=tuple(e["mistakes"]),
        progression=e["progression"],
        regression=e["regression"],
        avoid_when=frozenset(e["avoid_when"]),
        adduction=e["adduction"],
        sources=tuple(e["sources"]),
        ladder_step=e.get("ladder_step"),
        session=e.get("session", ""),
        session_kind=e.get("session_kind", ""),
        in_short=e.get("in_short", ""),
        intervals=tuple(Interval(part["do"], part.get("min"), part.get("note", "")) for part in e.get("intervals", [])),
        repeats=e.get("repeats", 1),
    )


def load_raw() -> dict[str, Any]:
    """The parsed data file, a fresh copy on each call, so tests can break it."""
    return copy.deepcopy(rules_data("gluteguard.plan", "exercises.toml"))


@cache  # the checked library, built once from ``load_raw`` (a test may swap that for a broken copy)
def _library() -> tuple[Exercise, ...]:
    raw = load_raw()
    problems = validate_library(raw)
    if problems:
        raise LibraryError(problems)
    return tuple(_exercise(e) for e in raw["exercise"])


def load_library() -> dict[str, Exercise]:
    """All exercises by id, in file order. Parsed once; each call gets its own dict so callers cannot share edits."""
    return {e.id: e for e in _library()}


def avoid_vocabulary() -> dict[str, str]:
    """The avoid_when conditions and what each means, for callers building the ``conditions`` set."""
    return dict(rules_data("gluteguard.plan", "exercises.toml")["vocabulary"]["avoid_when"])


def by_kind(kind: str) -> list[Exercise]:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")
    return [e for e in _library() if e.kind == kind]


def glute_stage(stage: int) -> list[Exercise]:
    """The glute-progression strength entries of one LEAP-style stage (1–4)."""
    if stage not in GLUTE_STAGES:
        raise ValueError(f"glute stages are {GLUTE_STAGES}, got {stage}")
    return [e for e in _library() if e.is_glute_stage and e.stage == stage]


def return_to_run_ladder() -> list[Exercise]:
    return sorted(by_kind("return_to_run"), key=lambda e: e.ladder_step or 0)


def refusal(exercise: Exercise, conditions: Set[str], equipment: Set[str]) -> str | None:
    """Why an exercise does not fit today's conditions (avoid_when names) or the equipment at hand, in words;
    None when it fits.

    Compression positions are excluded while symptomatic even if the data forgot the tag, because that is the one
    rule the whole programme is built around (clinical.md §1.3).
    """
    vocabulary = avoid_vocabulary()
    for condition in sorted(exercise.avoid_when & conditions):
        return f"not now: {vocabulary[condition]}"
    if exercise.adduction and SYMPTOMATIC in conditions:
        return f"not now: {vocabulary[SYMPTOMATIC]}"
    missing = [item for item in exercise.equipment if item != NO_EQUIPMENT and item not in equipment]
    if missing:
        return f"needs {', '.join(m.replace('_', ' ') for m in missing)}, not in the profile's equipment"
    return None


def allowed(exercise: Exercise, conditions: Set[str], equipment: Set[str]) -> bool:
    """Whether an exercise fits today's conditions and the equipment at hand (``refusal`` says why not)."""
    return refusal(exercise, conditions, equipment) is None
