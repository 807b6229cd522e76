"""A coach's or physio's orders on an athlete's plan, as plain data (pure): hold the strength stage where it is,
lower it, or leave an exercise out. The store reads them, the decision takes them as input, and the words every
view prints are rendered here once from ``orders.toml``.

An order applies to a day from the athlete's local day it was set until the day it was lifted (that day no longer
has it) or its own last day. Like everything the decision reads, it counts as known from its day on: the past keeps
what was decided then, and lifting an order today re-decides today and the days ahead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from gluteguard.rules_data import Table, rules_data


class OrderKind(StrEnum):
    STAGE_HOLD = "stage_hold"
    STAGE_LOWER = "stage_lower"
    EXCLUDE_EXERCISE = "exclude_exercise"


STAGE_KINDS = frozenset({OrderKind.STAGE_HOLD, OrderKind.STAGE_LOWER})


def order_words() -> Table:
    return rules_data("gluteguard.plan", "orders.toml")


@dataclass(frozen=True)
class ClinicianOrder:
    """One order as recorded: who set it (their name as shown), what it says, and the days it covers."""

    id: int
    kind: OrderKind
    by: str
    starts_on: date
    stage: int | None = None  # stage orders: the highest stage the plan may use
    exercise_id: str | None = None  # exclusions: the exercise left out
    reason: str = ""
    ends_on: date | None = None  # the last day it applies (None: until lifted)
    revoked_on: date | None = None  # the day it was lifted: from then on it does not apply

    def in_force(self, day: date, horizon: date) -> bool:
        """Whether it applies on ``day`` as known at the end of ``horizon`` (a day ahead is decided from today)."""
        known = self.starts_on <= min(day, horizon)
        lifted = self.revoked_on is not None and self.revoked_on <= horizon
        ran_out = self.ends_on is not None and day > self.ends_on
        return known and not lifted and not ran_out


@dataclass(frozen=True)
class OrdersInForce:
    """The orders that bind one day: the stage order with the lowest stage (the latest among equals), and each
    excluded exercise with the order that left it out."""

    stage: ClinicianOrder | None = None
    excluded: Mapping[str, ClinicianOrder] = field(default_factory=dict)
    all: tuple[ClinicianOrder, ...] = ()

    @property
    def stage_ceiling(self) -> int | None:
        return self.stage.stage if self.stage is not None else None


NONE_IN_FORCE = OrdersInForce()


def in_force(orders: Iterable[ClinicianOrder], day: date, horizon: date) -> OrdersInForce:
    """The orders binding ``day`` as known at the end of ``horizon``."""
    live = tuple(sorted((o for o in orders if o.in_force(day, horizon)), key=lambda o: (o.starts_on, o.id)))
    if not live:
        return NONE_IN_FORCE
    stage_orders = [o for o in live if o.kind in STAGE_KINDS and o.stage is not None]
    binding = min(stage_orders, key=lambda o: (o.stage, -o.starts_on.toordinal(), -o.id), default=None)
    excluded: dict[str, ClinicianOrder] = {}
    for order in live:
        if order.kind is OrderKind.EXCLUDE_EXERCISE and order.exercise_id:
            excluded.setdefault(order.exercise_id, order)  # the first to leave it out is the one named
    return OrdersInForce(binding, excluded, live)


@dataclass(frozen=True)
class Exclusion:
    """An exercise the plan must not choose, and the words that say why (the explain audit's reason)."""

    exercise_id: str
    why: str
    by: str


def exclusions(orders: OrdersInForce) -> tuple[Exclusion, ...]:
    words = order_words()["explain"]
    found = sorted(orders.excluded.items())
    return tuple(Exclusion(eid, words["left_out"].format(by=order.by), order.by) for eid, order in found)


@dataclass(frozen=True)
class OrderNotice:
    """An order in force as the decision shows it: its sentence, who set it and since when."""

    order_id: int
    kind: str
    message: str
    by: str
    since: date
    until: date | None
    source: str
    stage: int | None = None
    exercise_id: str | None = None

    def as_dict(self) -> dict:
        return {
            "order_id": self.order_id,
            "kind": self.kind,
            "message": self.message,
            "by": self.by,
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "source": self.source,
            "stage": self.stage,
            "exercise_id": self.exercise_id,
        }


def notices(orders: OrdersInForce, stage_used: int, exercise_names: Mapping[str, str]) -> tuple[OrderNotice, ...]:
    """The sentences of the orders binding a day: the stage order first, then each exclusion (by exercise name).
    ``stage_used`` is the stage the plan uses that day (lower than the order's when the pain keeps it lower)."""
    table = order_words()
    words = table["notice"]
    found: list[OrderNotice] = []
    ordered = ([orders.stage] if orders.stage is not None else []) + sorted(
        {o.id: o for o in orders.excluded.values()}.values(), key=lambda o: exercise_names.get(o.exercise_id or "", "")
    )
    for order in ordered:
        if order.kind in STAGE_KINDS:
            key = order.kind.value if stage_used >= (order.stage or 0) else f"{order.kind.value}_below"
            text = words[key].format(stage=order.stage, by=order.by, used=stage_used)
        else:
            name = exercise_names.get(order.exercise_id or "", order.exercise_id or "")
            text = words["exclude_exercise"].format(exercise=name, by=order.by)
        if order.ends_on is not None:
            text += words["until"].format(until=order.ends_on.strftime("%a %d %b"))
        if order.reason:
            text += words["reason"].format(by=order.by, reason=order.reason.rstrip(" ."))
        notice = OrderNotice(order.id, order.kind.value, text, order.by, order.starts_on, order.ends_on,
                             table["source"], order.stage, order.exercise_id)  # fmt: skip
        found.append(notice)
    return tuple(found)


__all__ = [
    "STAGE_KINDS",
    "ClinicianOrder",
    "Exclusion",
    "OrderKind",
    "OrderNotice",
    "OrdersInForce",
    "exclusions",
    "in_force",
    "notices",
    "order_words",
]
