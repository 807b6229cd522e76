"""Workouts (``plan/workouts.py``) as FIT workout files, written by Garmin's own SDK encoder (issue 18).

One file per workout: a ``file_id`` of type workout, the ``workout`` message (sport, name, number of steps) and its
``workout_step`` messages in order. A repeat is a step after the steps it repeats ("repeat until steps complete":
back to the first of them, this many times). Heart-rate targets are custom ranges in bpm, which FIT stores as the
value plus 100 (values up to 100 would mean % of the maximum). Copy the files to the watch's ``GARMIN/NewFiles``
folder over USB; the watch moves them into its workouts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from garmin_fit_sdk import Encoder

from gluteguard.plan.workouts import Repeat, Step, Workout

_FILE_ID, _WORKOUT, _WORKOUT_STEP = 0, 26, 27  # global message numbers (Profile['types']['mesg_num'])
_DEVELOPMENT = 255  # manufacturer "development": not a Garmin product
_PRODUCT = 1  # our own product number under "development"
_HR_BPM_OFFSET = 100  # custom heart-rate targets: > 100 means bpm + 100
_MAX_NAME = 50  # watches show about 15 characters of a step name; the file keeps up to this many
_MAX_NOTES = 100


def _step_fields(step: Step, index: int) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "mesg_num": _WORKOUT_STEP,
        "message_index": index,
        "wkt_step_name": step.name[:_MAX_NAME],
        "intensity": step.intensity,
    }
    if step.metres is not None:
        fields.update(duration_type="distance", duration_value=round(step.metres * 100))  # centimetres
    elif step.seconds is not None:
        fields.update(duration_type="time", duration_value=round(step.seconds * 1000))  # milliseconds
    elif step.reps is not None:
        fields.update(duration_type="reps", duration_value=step.reps)
    else:
        fields.update(duration_type="open", duration_value=0)
    if step.heart_rate is not None:
        low, high = step.heart_rate
        fields.update(target_type="heart_rate", target_value=0, custom_target_value_low=low + _HR_BPM_OFFSET,
                      custom_target_value_high=high + _HR_BPM_OFFSET)  # fmt: skip
    else:
        fields.update(target_type="open", target_value=0)
    if step.notes:
        fields["notes"] = step.notes[:_MAX_NOTES]
    return fields


def _steps(workout: Workout) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for part in workout.parts:
        if isinstance(part, Repeat):
            first = len(messages)
            messages += [_step_fields(step, len(messages) + k) for k, step in enumerate(part.steps)]
            messages.append({
                "mesg_num": _WORKOUT_STEP,
                "message_index": len(messages),
                "duration_type": "repeat_until_steps_cmplt",
                "duration_value": first,  # the step to go back to
                "target_type": "open",
                "target_value": part.times,  # how many times in all
            })  # fmt: skip
        else:
            messages.append(_step_fields(part, len(messages)))
    return messages


def workout_to_fit(workout: Workout, created: datetime | None = None, serial_number: int = 1) -> bytes:
    """The FIT workout file's bytes. ``serial_number`` (non-zero) and ``created`` tell two files apart on the
    watch; the same workout with the same two gives the same bytes."""
    steps = _steps(workout)
    encoder = Encoder()
    encoder.write_mesg({
        "mesg_num": _FILE_ID,
        "type": "workout",
        "manufacturer": _DEVELOPMENT,
        "product": _PRODUCT,
        "serial_number": max(1, serial_number),
        "time_created": created or datetime.combine(workout.day, datetime.min.time(), tzinfo=UTC),
    })  # fmt: skip
    encoder.write_mesg({
        "mesg_num": _WORKOUT,
        "sport": workout.sport,
        "sub_sport": workout.sub_sport,
        "num_valid_steps": len(steps),
        "wkt_name": workout.name[:_MAX_NAME],
    })  # fmt: skip
    for message in steps:
        encoder.write_mesg(message)
    return bytes(encoder.close())
