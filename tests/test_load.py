"""The load engine against hand-computed expectations (pure: sessions in, numbers out)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gluteguard.load.metrics import load_state, run_spikes
from gluteguard.load.rules import load_rules
from gluteguard.load.series import Session, daily_series

DAY0 = date(2026, 1, 1)


def run(day: date | int, km: float, *, hour: int = 7, sport: str = "run", minutes: float = 60.0) -> Session:
    if isinstance(day, int):
        day = DAY0 + timedelta(days=day)
    return Session(
        activity_id=hash((day, hour, km, sport)) & 0xFFFF,
        local_start=datetime.combine(day, datetime.min.time()).replace(hour=hour),
        sport=sport,
        distance_m=km * 1000.0,
        duration_s=minutes * 60.0,
    )


def state(sessions: list[Session], day: date | int):
    if isinstance(day, int):
        day = DAY0 + timedelta(days=day)
    return load_state(sessions, daily_series(sessions, last_day=day), day)


@pytest.mark.parametrize(
    ("km", "category"),
    [(5.0, "none"), (11.0, "none"), (11.01, "small"), (13.0, "small"), (13.01, "moderate"), (20.0, "moderate"),
     (20.01, "large"), (30.0, "large")],
)  # fmt: skip
def test_spike_categories_at_their_boundaries(km: float, category: str) -> None:
    # Frandsen 2025: ≤10 % none, >10–30 % small, >30–100 % moderate, >100 % large; the longest before is 10 km.
    history = [run(0, 4.0), run(10, 10.0), run(20, 8.0)]
    last = state([*history, run(35, km)], 35).last_run
    assert last.previous_longest_m == 10_000.0
    assert last.spike_ratio == pytest.approx(km / 10.0)
    assert last.spike_category == category


def test_first_runs_and_runs_after_a_break_have_no_history() -> None:
    sessions = [run(0, 5.0), run(3, 6.0), run(29, 7.0)]
    assert state(sessions, 29).last_run.spike_category == "no_history"  # under 30 days of history
    assert state([*sessions, run(30, 7.0)], 30).last_run.spike_category == "none"  # day 30: day 0 is in the window
    after_break = [run(0, 5.0), run(5, 6.0), run(50, 5.0)]  # no run in the 30 days before day 50
    spike = state(after_break, 50).last_run
    assert spike.spike_category == "no_history" and spike.spike_ratio is None
    assert any(w.code == "no_history" for w in state(after_break, 50).warnings)


def test_cap_after_a_spike_is_ten_percent_over_the_new_longest() -> None:
    sessions = [run(0, 8.0), run(20, 10.0), run(40, 12.0)]
    result = state(sessions, 40)
    assert result.last_run.spike_category == "small"  # 12 / 10 = 1.2
    assert result.longest_run_30d_m == 12_000.0
    assert result.next_run_cap_m == pytest.approx(13_200.0)  # the example
    assert state(sessions, 39).next_run_cap_m == pytest.approx(11_000.0)  # the day before: 1.10 × 10 km
    # the 30 days up to and including the day: on day 49 they are days 20..49, so 12 km (day 40) and 10 km
    # (day 20) are in; on day 70 (days 41..70) no run is left, and there is no cap to give
    assert state(sessions, 49).longest_run_30d_m == 12_000.0
    assert state(sessions, 70).longest_run_30d_m == 0.0 and state(sessions, 70).next_run_cap_m is None


def test_the_decided_cap_replaces_the_engine_cap_everywhere() -> None:
    # the day's decision (symptoms, tolerated runs) gives the cap; the warnings quote it, never their own
    sessions = [run(0, 8.0), run(20, 8.0), run(35, 12.0)]
    day = DAY0 + timedelta(days=35)
    decided = load_state(sessions, daily_series(sessions, day), day, next_run=(5_500.0, "amber symptoms"))
    assert decided.next_run_cap_m == pytest.approx(5_500.0) and decided.cap_reason == "amber symptoms"
    spike = next(w for w in decided.warnings if w.code == "single_run_spike")
    assert "5.5 km" in spike.message and "13.2" not in spike.message
    stopped = load_state(sessions, daily_series(sessions, day), day, next_run=(0.0, "no running"))
    spike = next(w for w in stopped.warnings if w.code == "single_run_spike")
    assert "No running today" in spike.message


def test_several_runs_on_one_day() -> None:
    sessions = [run(0, 10.0), run(35, 6.0, hour=7), run(35, 12.0, hour=18)]
    spikes = run_spikes(sessions, daily_series(sessions, DAY0 + timedelta(days=35)))
    morning, evening = spikes[-2], spikes[-1]
    # day 0 is outside the 30 days before day 35 (days 5..34): the morning run has nothing to compare with,
    # and only the morning run stands before the evening run
    assert morning.spike_category == "no_history" and morning.previous_longest_m is None
    assert evening.previous_longest_m == 6_000.0 and evening.spike_category == "moderate"
    series = daily_series(sessions, DAY0 + timedelta(days=35))
    i = series.index(DAY0 + timedelta(days=35))
    assert series.longest_run_m[i] == 12_000.0 and series.run_distance_m[i] == 18_000.0 and series.runs[i] == 2


def test_month_boundary_window() -> None:
    # 2026 is not a leap year: the 30 days before 1 March are 30 January … 28 February.
    sessions = [run(date(2025, 12, 1), 3.0), run(date(2026, 1, 30), 10.0), run(date(2026, 3, 1), 11.5)]
    assert state(sessions, date(2026, 3, 1)).last_run.previous_longest_m == 10_000.0
    sessions[1] = run(date(2026, 1, 29), 10.0)  # one day earlier falls out of the window
    assert state(sessions, date(2026, 3, 1)).last_run.spike_category == "no_history"


def test_week_numbers_by_hand() -> None:
    # days 0..27 chronic weeks of 20, 20, 20 km; previous week (days 21..27) 20 km; this week (28..34) 30 km.
    sessions = [run(d, 10.0) for d in (8, 11, 15, 18, 22, 25)] + [run(d, 10.0) for d in (28, 30, 33)]
    sessions += [run(1, 5.0), run(4, 5.0)]
    result = state(sessions, 34)
    assert result.week["distance_m"] == 30_000.0 and result.week["previous_week_m"] == 20_000.0
    assert result.week["change_pct"] == pytest.approx(50.0)
    assert result.week["uncoupled_ratio"] == pytest.approx(30.0 / 20.0)  # days 7..27 = 60 km / 3 weeks
    assert any(w.code == "weekly_jump" for w in result.warnings)


def test_pmc_matches_an_independent_recursion() -> None:
    sessions = [run(d, 5.0 + (d % 5)) for d in range(0, 120, 2)]
    result = state(sessions, 119)
    loads = np.zeros(120)
    for s in sessions:
        loads[(s.local_date - DAY0).days] += s.distance_m / 1000
    ctl = atl = 0.0
    history = []
    for value in loads:
        ctl = ctl + (value - ctl) * (1 - math.exp(-1 / 42))
        atl = atl + (value - atl) * (1 - math.exp(-1 / 7))
        history.append((ctl, atl))
    assert result.pmc["ctl"] == pytest.approx(history[-1][0])
    assert result.pmc["atl"] == pytest.approx(history[-1][1])
    assert result.pmc["tsb"] == pytest.approx(history[-2][0] - history[-2][1])  # form shown the next day
    assert result.pmc["ramp_per_week"] == pytest.approx(history[-1][0] - history[-8][0])
    acute = chronic = 0.0
    for value in loads:
        acute = value * 2 / 8 + (1 - 2 / 8) * acute
        chronic = value * 2 / 29 + (1 - 2 / 29) * chronic
    assert result.acwr == pytest.approx(acute / chronic)


def test_monotony_and_strain_by_hand() -> None:
    sessions = [run(d, km) for d, km in zip(range(30, 37), (10, 0.0001, 10, 0.0001, 10, 0.0001, 10), strict=True)]
    sessions = [run(0, 1.0)] + [s for s in sessions if s.distance_m > 1]
    result = state(sessions, 36)
    daily = np.array([10, 0, 10, 0, 10, 0, 10], dtype=float)
    assert result.monotony == pytest.approx(daily.mean() / daily.std())
    assert result.strain == pytest.approx(daily.sum() * daily.mean() / daily.std())
    same = [run(0, 1.0)] + [run(d, 8.0) for d in range(30, 37)]
    assert state(same, 36).monotony == load_rules().monotony_max  # identical days: SD 0 → the maximum
    assert any(w.code == "monotony" and w.severity == "warning" for w in state(same, 36).warnings)


def test_gaps_are_no_data_not_rest() -> None:
    sessions = [run(0, 5.0), run(2, 5.0), run(40, 5.0), run(43, 5.0)]
    series = daily_series(sessions, DAY0 + timedelta(days=43))
    assert not series.no_data[1] and not series.no_data[2]
    assert series.no_data[3:40].all() and not series.no_data[40:].any()
    assert state(sessions, 20).no_data and any(w.code == "no_data" for w in state(sessions, 20).warnings)
    walks = [run(0, 5.0), *[run(d, 3.0, sport="walk") for d in range(1, 40, 5)], run(40, 5.0)]
    assert not daily_series(walks, DAY0 + timedelta(days=40)).no_data.any()  # walks are data too


def test_every_warning_has_words_and_a_source() -> None:
    sessions = [run(d, 8.0) for d in range(0, 35)] + [run(35, 20.0)]
    for warning in state(sessions, 35).warnings:
        assert warning.message and warning.source and warning.severity in ("info", "caution", "warning", "high")


# --- properties ------------------------------------------------------------------------------------------

histories = st.lists(
    st.tuples(st.integers(0, 89), st.floats(0.5, 40.0), st.sampled_from(["run", "run", "walk", "ride"])),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(histories, st.integers(0, 95))
def test_cap_never_exceeds_ten_percent_over_the_30_day_longest(history, day) -> None:
    sessions = [run(d, km, sport=sport, hour=6 + i % 12) for i, (d, km, sport) in enumerate(history)]
    result = state(sessions, day)
    longest = max(
        (s.distance_m for s in sessions if s.is_run and 0 <= day - (s.local_date - DAY0).days < 30), default=0.0
    )
    assert result.longest_run_30d_m == longest
    if result.next_run_cap_m is not None:
        assert result.next_run_cap_m <= 1.10 * longest + 1e-6


@settings(max_examples=150, deadline=None)
@given(histories, st.floats(0.5, 40.0), st.integers(1, 60))
def test_a_rest_day_never_raises_todays_spike_unless_it_pushes_a_run_out_of_the_window(history, km, gap) -> None:
    """Moving today's run one day later (one more rest day before it) can only change its category by
    letting an old run leave the 30-day look-back — the evidence's definition, not an artefact."""
    order = ["no_history", "none", "small", "moderate", "large"]
    past = [run(d, k, sport=s) for d, k, s in history]
    today = 90 + gap
    before = state([*past, run(today, km)], today).last_run
    after = state([*past, run(today + 1, km)], today + 1).last_run
    left_window = any(s.is_run and (s.local_date - DAY0).days == today - 30 for s in past)
    if not left_window and before.spike_category != "no_history":
        assert order.index(after.spike_category) <= order.index(before.spike_category)


@settings(max_examples=100, deadline=None)
@given(histories, st.integers(0, 89), st.floats(0.5, 40.0))
def test_walks_and_rides_never_change_run_spikes(history, day, km) -> None:
    sessions = [run(d, k, sport=s, hour=6 + i % 12) for i, (d, k, s) in enumerate(history)]
    last = DAY0 + timedelta(days=95)
    base = run_spikes(sessions, daily_series(sessions, last, first_day=DAY0))
    extra = [*sessions, run(day, km, sport="walk", hour=23)]
    assert run_spikes(extra, daily_series(extra, last, first_day=DAY0)) == base


def test_daily_totals_include_walks_trimp_and_session_rpe() -> None:
    walk = Session(2, datetime(2026, 2, 5, 12), "hike", 6000.0, 7200.0, ascent_m=300.0)
    rpe_run = Session(3, datetime(2026, 2, 5, 7), "run", 8000.0, 2400.0, ascent_m=50.0, trimp=70.0, rpe=6.0)
    day = date(2026, 2, 5)
    totals = load_state([walk, rpe_run], daily_series([walk, rpe_run], day), day).day
    assert totals == {
        "run_distance_m": 8000.0,
        "run_time_s": 2400.0,
        "walk_distance_m": 6000.0,
        "ascent_m": 350.0,
        "runs": 1,
        "longest_run_m": 8000.0,
        "trimp": 70.0,
        "session_rpe": 240.0,  # 40 minutes × RPE 6 (Foster 2001)
    }


def test_heart_rate_pmc_beside_the_distance_pmc() -> None:
    sessions = [
        Session(d, datetime(2026, 1, 1, 7) + timedelta(days=d), "run", 8000.0, 2400.0, trimp=50.0 + d)
        for d in range(0, 60, 3)
    ]
    day = date(2026, 3, 1)
    result = load_state(sessions, daily_series(sessions, day), day)
    ctl = 0.0
    for offset in range((day - date(2026, 1, 1)).days + 1):
        value = next((s.trimp for s in sessions if s.local_date == date(2026, 1, 1) + timedelta(days=offset)), 0.0)
        ctl += (value - ctl) * (1 - math.exp(-1 / 42))
    assert result.pmc_trimp["ctl"] == pytest.approx(ctl)
    assert state([run(0, 5.0)], 0).pmc_trimp is None  # no heart-rate load, no heart-rate PMC


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 60), min_size=0, max_size=900),
    st.sampled_from([1 - math.exp(-1 / 42), 1 - math.exp(-1 / 7), 2 / 8, 2 / 29]),
)
def test_block_exponential_equals_the_plain_recursion(loads, gain) -> None:
    from gluteguard.load.series import _exponential

    expected, value = [], 0.0
    for x in loads:
        value += (x - value) * gain
        expected.append(value)
    assert _exponential(np.array(loads), gain) == pytest.approx(expected, rel=1e-9, abs=1e-9)
