"""Write realistic Garmin all-day monitoring FIT files (file type monitoring_b) with Garmin's SDK encoder.

No licensed real monitoring file from a current watch exists in the shared data (only the SDK's 2 kB
``MonitoringFile.fit``; shared/research/parsers.md §2.3), so tests build their own, written the way that
file is: a ``monitoring_info`` at each local midnight (UTC and local time side by side), then a
``monitoring`` message at every change of activity class and every few minutes while it lasts, with the
class and intensity packed in ``current_activity_type_intensity``, walking/running step counters that
accumulate over the local day, mostly ``timestamp_16`` times with a full ``timestamp`` every few hours, and
the day's totals (``duration_min`` = 1440) at the next midnight. The day: a desk worker who sleeps, sits
in long blocks broken by short walks, and runs in the evening. Seeded, so the same call gives the same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from garmin_fit_sdk import FIT_EPOCH_S, Encoder

_FILE_ID, _MONITORING, _MONITORING_INFO = 0, 55, 103
_ACTIVITY_NUMBER = {"running": 1, "walking": 6, "sedentary": 8}
VIVOSMART_PRODUCT = 1837  # Profile['types']['garmin_product'][1837] == "vivo_fit", as in the SDK sample
FULL_TIMESTAMP_EVERY_S = 6 * 3600


@dataclass(frozen=True)
class Interval:
    """One interval a parser must find: UTC seconds, steps in it, activity class."""

    start_s: int
    end_s: int
    steps: int
    level: str


@dataclass
class MonitoringTruth:
    data: bytes
    intervals: list[Interval] = field(default_factory=list)
    daily_steps: dict[str, dict[str, int]] = field(default_factory=dict)  # local day → level → steps
    timestamp16_wraps: int = 0  # messages whose 16-bit time wrapped past the last full timestamp's


def _day_plan(rng: random.Random) -> list[tuple[str, int]]:
    """(activity class, minutes) from local midnight to the next one."""
    plan: list[tuple[str, int]] = [("sedentary", 7 * 60 + rng.randint(0, 40))]  # asleep
    minute = plan[0][1]
    run_at = 18 * 60 + rng.randint(0, 60)
    ran = False
    while minute < 24 * 60:
        if not ran and minute >= run_at:
            block = ("running", rng.randint(25, 45))
            ran = True
        elif plan[-1][0] == "sedentary":
            block = ("walking", rng.randint(2, 12))
        else:
            block = ("sedentary", rng.randint(20, 110))
        block = (block[0], min(block[1], 24 * 60 - minute))
        plan.append(block)
        minute += block[1]
    return plan


def monitoring_file(
    first_day: date = date(2024, 3, 9),  # the US switch to daylight saving time is on the 10th
    days: int = 3,
    timezone: str = "America/Chicago",
    seed: int = 55,
) -> MonitoringTruth:
    """A monitoring_b file of ``days`` local days, and the intervals and day totals it encodes."""
    zone = ZoneInfo(timezone)
    rng = random.Random(seed)
    encoder = Encoder()
    truth = MonitoringTruth(data=b"")
    first_midnight = int(datetime.combine(first_day, datetime.min.time(), zone).timestamp())
    encoder.write_mesg({
        "mesg_num": _FILE_ID, "type": "monitoring_b", "manufacturer": "garmin", "product": VIVOSMART_PRODUCT,
        "serial_number": 3_882_708_276, "time_created": first_midnight - FIT_EPOCH_S,
    })  # fmt: skip
    last_full = 0
    previous_end = 0
    for index in range(days):
        day = first_day + timedelta(days=index)
        midnight = int(datetime.combine(day, datetime.min.time(), zone).timestamp())
        next_midnight = int(datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).timestamp())
        offset = int(datetime.fromtimestamp(midnight, UTC).astimezone(zone).utcoffset().total_seconds())
        encoder.write_mesg({
            "mesg_num": _MONITORING_INFO, "timestamp": midnight - FIT_EPOCH_S,
            "local_timestamp": midnight + offset - FIT_EPOCH_S, "activity_type": ["walking", "running"],
            "cycles_to_distance": [1.512, 1.944], "cycles_to_calories": [0.0438, 0.1186],
            "resting_metabolic_rate": 1650,
        })  # fmt: skip
        last_full = previous_end = midnight
        counters = {"walking": 0, "running": 0}
        t = midnight
        scale = (next_midnight - midnight) / 86_400  # 23 h on the spring-forward day
        for activity, minutes in _day_plan(rng):
            block_end = min(next_midnight, t + int(minutes * 60 * scale))
            step_every = 60 if activity != "sedentary" else 15 * 60
            while t < block_end:
                t = min(block_end, t + step_every)
                steps = 0
                if activity != "sedentary":
                    cadence = rng.randint(95, 120) if activity == "walking" else rng.randint(155, 175)
                    steps = cadence * (t - previous_end) // 60
                    counters[activity] += steps
                intensity = 0 if activity == "sedentary" else (2 if activity == "walking" else 5)
                message = {
                    "mesg_num": _MONITORING,
                    "current_activity_type_intensity": [_ACTIVITY_NUMBER[activity] | intensity << 5],
                }
                if t - last_full >= FULL_TIMESTAMP_EVERY_S:
                    message["timestamp"] = t - FIT_EPOCH_S
                    last_full = t
                else:
                    message["timestamp_16"] = (t - FIT_EPOCH_S) & 0xFFFF
                    if ((t - FIT_EPOCH_S) & 0xFFFF) < ((last_full - FIT_EPOCH_S) & 0xFFFF):
                        truth.timestamp16_wraps += 1
                if activity != "sedentary":
                    message["cycles"] = counters[activity] / 2.0  # scale 2: the raw counter is steps
                encoder.write_mesg(message)
                truth.intervals.append(Interval(previous_end, t, steps, activity))
                previous_end = t
        # The day's totals at the next local midnight, as the SDK sample file ends.
        for activity in ("walking", "running"):
            encoder.write_mesg({
                "mesg_num": _MONITORING, "timestamp": next_midnight - FIT_EPOCH_S, "activity_type": activity,
                "cycles": counters[activity] / 2.0, "duration_min": 1440,
            })  # fmt: skip
        truth.daily_steps[day.isoformat()] = dict(counters)
    truth.data = encoder.close()
    return truth
