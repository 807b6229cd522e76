"""A clinician's roster: every linked athlete's day, gathered from the same decision their own Today shows, ranked by
need (``clinic.roster``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from gluteguard.accounts.policy import AccountError, Principal
from gluteguard.accounts.rules import Role
from gluteguard.clinic.roster import AthleteDay, RosterEntry, rank, roster_rules
from gluteguard.gait.findings import finding_labels, load_rules
from gluteguard.plan.adherence import recent_adherence
from gluteguard.services.accounts import linked_athletes
from gluteguard.services.athletes import local_today, today_in
from gluteguard.services.coach import known_history, load_on
from gluteguard.services.versions import decision_sources
from gluteguard.store.db import Database
from gluteguard.store.models import (
    Athlete,
    AthleteDaySummaryRow,
    CheckInRow,
)


def last_checkin_day(db: Database, athlete_id: int) -> date | None:
    with db.session() as session:
        return session.scalar(select(func.max(CheckInRow.day)).where(CheckInRow.athlete_id == athlete_id))


def athlete_day(db: Database, athlete_id: int, name: str) -> AthleteDay:
    """One athlete's day as the roster sees it: their own decision (never re-derived here), the newest stride
    analysis with a finding, and how the strength sessions went lately."""
    rules = roster_rules()
    today = local_today(db, athlete_id)
    view = load_on(db, athlete_id, today)
    decision, last_run = view.decision, view.state.last_run
    spikes = ()
    if last_run is not None and last_run.spike_category in rules.spike_categories:
        spikes = (date.fromisoformat(last_run.date[:10]),)
    history = known_history(db, athlete_id)
    with_findings = [analysis for analysis in history.stride if analysis.cues and analysis.day <= today]
    newest = max(with_findings, key=lambda analysis: analysis.day, default=None)
    return AthleteDay(
        athlete_id=athlete_id,
        name=name,
        today=today,
        status=decision.status,
        action=decision.action,
        headline=decision.headline.message,
        running_allowed=decision.running_allowed,
        last_checkin=last_checkin_day(db, athlete_id),
        spike_days=spikes,
        stride_on=newest.day if newest is not None else None,
        stride_finding=", ".join(finding_labels((cue.code for cue in newest.cues), load_rules())) if newest else None,
        adherent=recent_adherence(history.week_logs(today), today, rules.adherence_weeks),
    )


def _version_queries() -> tuple[Select, ...]:
    """One aggregate row per athlete and table the decision reads (services/versions.py)."""
    return tuple(select(table.athlete_id, *columns).group_by(table.athlete_id)
                 for table, columns in decision_sources().values())  # fmt: skip


def data_versions(db: Database, athlete_ids: Sequence[int]) -> dict[int, str]:
    """Each athlete's data version (a digest), for many athletes in a few grouped queries."""
    if not athlete_ids:
        return {}
    parts: dict[int, list[str]] = {athlete_id: [] for athlete_id in athlete_ids}
    with db.session() as session:
        profiles = session.execute(select(Athlete.id, Athlete.updated_at).where(Athlete.id.in_(athlete_ids)))
        for athlete_id, updated in profiles:
            parts[athlete_id].append(repr(updated))
        for query in _version_queries():
            model = query.selected_columns[0].table
            found = {row[0]: row[1:] for row in session.execute(query.where(model.c.athlete_id.in_(athlete_ids)))}
            for athlete_id in athlete_ids:
                parts[athlete_id].append(repr(tuple(found.get(athlete_id, ()))))
    return {athlete_id: hashlib.sha256("|".join(bits).encode()).hexdigest() for athlete_id, bits in parts.items()}


def _todays(db: Database, athlete_ids: Sequence[int]) -> dict[int, date]:
    with db.session() as session:
        zones = dict(session.execute(select(Athlete.id, Athlete.timezone).where(Athlete.id.in_(athlete_ids))).all())
    return {athlete_id: today_in(ZoneInfo(zones.get(athlete_id) or "UTC")) for athlete_id in athlete_ids}


def _summary_row(day: AthleteDay, version: str) -> dict[str, Any]:
    return {"athlete_id": day.athlete_id, "day": day.today, "version": version, "status": day.status,
            "action": day.action, "headline": day.headline, "running_allowed": day.running_allowed,
            "spike_days": [d.isoformat() for d in day.spike_days], "last_checkin": day.last_checkin,
            "stride_on": day.stride_on, "stride_finding": day.stride_finding, "adherent": day.adherent,
            "computed_at": datetime.now(UTC)}  # fmt: skip


def _keep(db: Database, rows: list[dict[str, Any]]) -> None:
    """Store fresh summaries (a cache: two requests filling the same one at once is no error)."""
    for row in rows:
        try:
            with db.session() as session:
                session.merge(AthleteDaySummaryRow(**row))
        except IntegrityError:
            continue


def refresh_summary(db: Database, athlete_id: int, name: str = "") -> AthleteDay:
    """Decide the athlete's day now and keep it for the roster (the nightly re-decision calls this)."""
    day = athlete_day(db, athlete_id, name)
    _keep(db, [_summary_row(day, data_versions(db, [athlete_id])[athlete_id])])
    return day


def roster(db: Database, clinician: Principal) -> list[RosterEntry]:
    """The clinician's linked athletes, the one who needs them most first. An athlete's day is their own decision,
    kept per data version and day: only an athlete whose data changed since (or a new day) is decided again here,
    so the roster of hundreds of athletes is a few queries."""
    if clinician.role is not Role.CLINICIAN:
        raise AccountError("only a coach or physio account has a roster")
    links = linked_athletes(db, clinician)
    ids = [link.athlete_id for link in links]
    if not ids:
        return []
    todays, versions = _todays(db, ids), data_versions(db, ids)
    with db.session() as session:
        kept = {row.athlete_id: row for row in session.scalars(
            select(AthleteDaySummaryRow).where(AthleteDaySummaryRow.athlete_id.in_(ids)))}  # fmt: skip
        for row in kept.values():
            session.expunge(row)
    days: list[AthleteDay] = []
    fresh: list[dict[str, Any]] = []
    for link in links:
        row = kept.get(link.athlete_id)
        if row is not None and row.day == todays[link.athlete_id] and row.version == versions[link.athlete_id]:
            days.append(AthleteDay(
                athlete_id=link.athlete_id, name=link.athlete_name, today=row.day, status=row.status,
                action=row.action, headline=row.headline, running_allowed=row.running_allowed,
                last_checkin=row.last_checkin,  # check-ins are part of the version
                spike_days=tuple(date.fromisoformat(d) for d in row.spike_days or ()),
                stride_on=row.stride_on, stride_finding=row.stride_finding, adherent=row.adherent,
            ))  # fmt: skip
            continue
        day = athlete_day(db, link.athlete_id, link.athlete_name)
        days.append(day)
        fresh.append(_summary_row(day, versions[link.athlete_id]))
    _keep(db, fresh)
    return rank(days)
