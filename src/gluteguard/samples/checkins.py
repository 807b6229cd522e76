"""The sample runner's check-ins: quiet weeks, an irritated hip after the week-13 spike, settling after.

Written as a story a physio would recognise (clinical.md §5.1): pain during the long run rises to 5/10,
the next morning is worse than usual (amber), lying on that side wakes the runner, and with the load cut back the
numbers settle over three weeks. Self-tests on two days fit the pattern, then ease.
"""

from __future__ import annotations

from datetime import date, timedelta

from gluteguard.samples.runner import DEFAULT_END_DATE, SAMPLE_WEEKS, SPIKE_WEEK

# Days after the spike run (day 0 = the Sunday of week 13) → answers beyond the quiet baseline.
_AFTER_SPIKE: dict[int, dict] = {
    0: {"pain_during_run": 5, "pain_after_run": 4, "pain_locations": ["lateral_hip"], "side": "right"},
    1: {"pain_next_morning": 2, "pain_at_rest": 1, "night_pain": 1, "wakes_lying_on_side": True,
        "morning_stiffness_min": 15, "pain_locations": ["lateral_hip"], "side": "right",
        "tender_on_pressing": ["right"]},
    2: {"pain_next_morning": 2, "pain_at_rest": 1, "night_pain": 1, "pain_locations": ["lateral_hip"],
        "side": "right", "tender_on_pressing": ["right"]},
    4: {"pain_during_run": 4, "pain_after_run": 3, "night_pain": 1, "pain_locations": ["lateral_hip"],
        "side": "right"},
    5: {"pain_next_morning": 1, "night_pain": 1, "pain_locations": ["lateral_hip"], "side": "right"},
    8: {"pain_during_run": 3, "pain_after_run": 2, "pain_next_morning": 1, "night_pain": 0,
        "pain_locations": ["lateral_hip"], "side": "right"},
    11: {"pain_during_run": 2, "pain_next_morning": 0, "night_pain": 0, "brisk_walk_pain_free": False},
    15: {"pain_during_run": 1, "pain_next_morning": 0, "night_pain": 0, "brisk_walk_pain_free": True},
    19: {"pain_during_run": 1, "pain_next_morning": 0, "night_pain": 0, "brisk_walk_pain_free": True},
}  # fmt: skip
# Self-tests (days after the spike): the stance test and palpation fit the pattern, then ease.
SELF_TESTS: dict[int, dict] = {
    2: {"stance": {"right": (14.0, 4), "left": (None, 0)}, "palpation": {"right": True, "left": False}},
    16: {"stance": {"right": (None, 0), "left": (None, 0)}, "palpation": {"right": False, "left": False}},
}


def spike_day(end_date: date | None = None) -> date:
    """The Sunday of the spike week, for a history whose last week ends on ``end_date``."""
    end = end_date or DEFAULT_END_DATE
    week_end = end - timedelta(days=7 * (SAMPLE_WEEKS - SPIKE_WEEK))
    return week_end - timedelta(days=(week_end.weekday() - 6) % 7)


def sample_checkins(end_date: date | None = None) -> list[dict]:
    """Check-ins every other day over the last six weeks of the history (fields as ``gluteguard checkin``)."""
    end = end_date or DEFAULT_END_DATE
    spike = spike_day(end)
    answers: list[dict] = []
    day = end - timedelta(days=41)
    while day <= end:
        offset = (day - spike).days
        entry = {"date": day.isoformat(), "sitting_hours": 7.5 if day.weekday() < 5 else 2.0}
        if offset in _AFTER_SPIKE:
            entry.update(_AFTER_SPIKE[offset])
        elif day.toordinal() % 2 == 0:
            entry.update({"pain_at_rest": 0, "night_pain": 0, "pain_next_morning": 0})
        else:
            day += timedelta(days=1)
            continue
        answers.append(entry)
        day += timedelta(days=1)
    return answers
