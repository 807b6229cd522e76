"""The roster's order: the athlete who needs the clinician most first (clinic/roster.toml)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gluteguard.clinic.roster import AthleteDay, needs_of, rank, roster_rules

TODAY = date(2026, 12, 5)


def _day(name: str, status: str | None = "green", action: str | None = "self_manage", last: int | None = 0,
         spike: int | None = None) -> AthleteDay:  # fmt: skip
    return AthleteDay(
        athlete_id=hash(name) % 1000,
        name=name,
        today=TODAY,
        status=status,
        action=action,
        headline="",
        running_allowed=status != "red",
        last_checkin=None if last is None else TODAY - timedelta(days=last),
        spike_days=() if spike is None else (TODAY - timedelta(days=spike),),
    )


def test_warning_signs_then_pain_then_spikes_then_missed_check_ins() -> None:
    days = [
        _day("Gus"),
        _day("Ada", last=5),
        _day("Bea", status="amber"),
        _day("Cal", spike=2),
        _day("Dee", status="red", action="see_clinician"),
        _day("Eve", status="red"),
        _day("Fay", status=None, action=None, last=None),
        _day("Hal", status="amber", action="urgent"),
        _day("Ivy", spike=9),  # a spike more than a week ago is not new
    ]
    order = [entry.day.name for entry in rank(days)]
    assert order == ["Hal", "Dee", "Eve", "Cal", "Ada", "Bea", "Fay", "Gus", "Ivy"]
    assert needs_of(_day("Ada", last=5))[0][1] == "No check-in for 5 days"
    assert needs_of(_day("Ada", last=roster_rules().missed_after_days - 1)) == ()


@given(st.lists(st.tuples(st.sampled_from(["green", "amber", "red", None]),
                          st.sampled_from(["self_manage", "see_clinician", "urgent", "emergency", None]),
                          st.one_of(st.none(), st.integers(0, 30))), max_size=12))  # fmt: skip
def test_nobody_with_a_warning_sign_sits_below_someone_without(raw: list) -> None:
    days = [_day(f"a{i}", status, action, last) for i, (status, action, last) in enumerate(raw)]
    warned = [entry.day.action in ("emergency", "urgent", "see_clinician") for entry in rank(days)]
    assert warned == sorted(warned, reverse=True)


def test_a_new_stride_finding_and_skipped_strength_sessions_are_needs() -> None:
    from dataclasses import replace

    rules = roster_rules()
    found = replace(_day("Joy"), stride_on=TODAY - timedelta(days=3), stride_finding="Pelvic drop")
    assert needs_of(found) == (("new_stride_finding", "New stride finding: Pelvic drop"),)
    old = replace(found, stride_on=TODAY - timedelta(days=rules.stride_new_for_days))
    assert needs_of(old) == ()
    lax = replace(_day("Kit"), adherent=False)
    assert needs_of(lax) == (("low_adherence", "Strength sessions mostly skipped lately"),)
    assert needs_of(replace(lax, adherent=None)) == needs_of(replace(lax, adherent=True)) == ()
    order = [entry.day.name for entry in rank([lax, _day("Ada", last=5), found, _day("Cal", spike=2)])]
    assert order == ["Cal", "Joy", "Ada", "Kit"]  # a spike, then the stride, then engagement


def test_recent_adherence_judges_only_finished_weeks_in_the_window() -> None:
    from gluteguard.plan.adherence import PlanLogEntry, monday_of, recent_adherence, week_logs

    def strength(day: date, outcome: str, _n: int) -> PlanLogEntry:
        return PlanLogEntry(f"{day.isoformat()}-strength", day, "strength", outcome)  # the weekly session

    monday = monday_of(TODAY)
    skipped = [strength(monday - timedelta(weeks=w, days=-n), "skipped", n) for w in (1, 2, 3) for n in (0, 2)]
    done_long_ago = [strength(monday - timedelta(weeks=8, days=-n), "done", n) for n in (0, 2)]
    this_week = [strength(monday, "done", 0), strength(monday + timedelta(days=1), "done", 1)]
    logs = week_logs([*skipped, *done_long_ago, *this_week], TODAY)
    assert recent_adherence(logs, TODAY, 4) is False  # the unfinished week and week 8 do not count
    assert recent_adherence(logs, TODAY, 0) is None
    assert recent_adherence(week_logs(this_week, TODAY), TODAY, 4) is None
