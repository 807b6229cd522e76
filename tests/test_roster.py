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
