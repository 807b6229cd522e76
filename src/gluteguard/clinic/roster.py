"""A clinician's roster: each athlete's needs from their day's decision, and the order that puts need first.

Pure: ``services.roster`` gathers one :class:`AthleteDay` per linked athlete (their decision, last check-in, recent
load spikes) and :func:`rank` orders them by the rules in ``roster.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gluteguard.rules_data import Table, rules_data


@dataclass(frozen=True)
class Need:
    code: str
    rank: int
    words: str


@dataclass(frozen=True)
class RosterRules:
    needs: dict[str, Need]
    missed_after_days: int
    spike_new_for_days: int
    spike_categories: frozenset[str]
    stride_new_for_days: int
    adherence_weeks: int
    source: str


def roster_rules() -> RosterRules:
    return rules_data("gluteguard.clinic", "roster.toml", _parse)


def _parse(t: Table) -> RosterRules:
    needs = {n["code"]: Need(n["code"], int(n["rank"]), n["words"]) for n in t["needs"]}
    return RosterRules(needs, int(t["checkins"]["missed_after_days"]), int(t["spikes"]["new_for_days"]),
                       frozenset(t["spikes"]["categories"]), int(t["stride"]["new_for_days"]),
                       int(t["adherence"]["weeks"]), t["source"])  # fmt: skip


@dataclass(frozen=True)
class AthleteDay:
    """What the roster knows of one athlete today."""

    athlete_id: int
    name: str
    today: date
    status: str | None  # green | amber | red; None before the first check-in
    action: str | None  # self_manage | see_clinician | urgent | emergency
    headline: str
    running_allowed: bool
    last_checkin: date | None
    spike_days: tuple[date, ...] = ()  # days of runs beyond what the athlete was used to
    stride_on: date | None = None  # the day of the newest saved stride analysis with a finding
    stride_finding: str | None = None  # … and what it found, in plain words ("Pelvic drop, Overstride")
    adherent: bool | None = None  # strength sessions mostly done in the recent weeks; None: nothing logged


@dataclass(frozen=True)
class RosterEntry:
    day: AthleteDay
    needs: tuple[tuple[str, str], ...]  # (code, words), most urgent first
    rank: int

    @property
    def days_since_checkin(self) -> int | None:
        return None if self.day.last_checkin is None else (self.day.today - self.day.last_checkin).days

    def as_json(self) -> dict:
        d = self.day
        return {
            "athlete_id": d.athlete_id,
            "name": d.name,
            "status": d.status,
            "action": d.action,
            "headline": d.headline,
            "running_allowed": d.running_allowed,
            "last_checkin": d.last_checkin.isoformat() if d.last_checkin else None,
            "days_since_checkin": self.days_since_checkin,
            "stride_on": d.stride_on.isoformat() if d.stride_on else None,
            "stride_finding": d.stride_finding,
            "adherent": d.adherent,
            "needs": [{"code": code, "words": words} for code, words in self.needs],
            "rank": self.rank,
        }


def needs_of(day: AthleteDay, rules: RosterRules | None = None) -> tuple[tuple[str, str], ...]:
    """The athlete's needs today, most urgent first, in the roster's words."""
    rules = rules or roster_rules()
    codes: list[str] = []
    if day.action in ("emergency", "urgent", "see_clinician"):
        codes.append(day.action)
    if day.status in ("red", "amber"):
        codes.append(day.status)
    if any(0 <= (day.today - spike).days < rules.spike_new_for_days for spike in day.spike_days):
        codes.append("new_spike")
    if day.stride_on is not None and 0 <= (day.today - day.stride_on).days < rules.stride_new_for_days:
        codes.append("new_stride_finding")
    if day.adherent is False:
        codes.append("low_adherence")
    missed = None if day.last_checkin is None else (day.today - day.last_checkin).days
    if day.last_checkin is None:
        codes.append("never_checked_in")
    elif missed is not None and missed >= rules.missed_after_days:
        codes.append("missed_checkins")
    ordered = sorted(codes, key=lambda code: rules.needs[code].rank)
    return tuple((code, rules.needs[code].words.format(days=missed, finding=day.stride_finding or ""))
                 for code in ordered)  # fmt: skip


NO_NEED_RANK = 1_000


def rank(days: list[AthleteDay], rules: RosterRules | None = None) -> list[RosterEntry]:
    """The roster in order of need (see ``roster.toml``)."""
    rules = rules or roster_rules()
    entries = []
    for day in days:
        needs = needs_of(day, rules)
        entries.append(RosterEntry(day, needs, rules.needs[needs[0][0]].rank if needs else NO_NEED_RANK))

    def order(entry: RosterEntry) -> tuple:
        since = entry.days_since_checkin
        return (entry.rank, -len(entry.needs), -(since if since is not None else 10**6), entry.day.name.lower())

    return sorted(entries, key=order)
