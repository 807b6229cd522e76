"""Pydantic models of the JSON API: request bodies (validated, extra fields refused) and the main responses, so
the OpenAPI schema says what each endpoint takes and gives.

Response models allow extra fields: the JSON the CLI prints is the contract and may grow; a model lists what a
page can rely on, never filters what the service returns. Request models leave ranges and choices to the service
layer where it already has one-line messages for them (a check-in's pain 0–10, a profile's time zone).
"""

from __future__ import annotations

from datetime import date as Date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from gluteguard.symptoms.model import PAIN_LOCATIONS


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


# --- today, status, about ------------------------------------------------------------------------------------


class WarningOut(_Out):
    code: str
    severity: str
    message: str
    source: str


class NextRunOut(_Out):
    kind: Literal["none", "ladder", "distance", "easy"]
    summary: str
    basis: str
    source: str
    cap_m: float | None = None
    ladder_step: int | None = None
    longest_tolerated_m: float | None = None
    longest_tolerated_on: str | None = None


class ReasonOut(_Out):
    code: str
    message: str
    source: str


class HoldOut(_Out):
    code: str
    action: str
    since: str
    blocks_running: bool
    lifted_by: Literal["cleared", "booked"]
    message: str
    source: str


class OrderNoticeOut(_Out):
    """A coach's or physio's order binding the day, in the words every view prints."""

    order_id: int
    kind: Literal["stage_hold", "stage_lower", "exclude_exercise"]
    message: str
    by: str
    since: str
    until: str | None
    source: str


class TodayOut(_Out):
    date: str
    status: Literal["green", "amber", "red"] | None
    action: str | None
    phase: str
    running_allowed: bool
    running_today: bool = Field(description="Running allowed, and today's step of the way back is not a walk or hops")
    next_run_cap_m: float | None
    next_run: NextRunOut
    headline: ReasonOut
    headline_kind: Literal[
        "warning_sign", "no_running", "no_checkin", "run", "walk_run", "walk", "hops", "rest", "rest_no_run_yet"
    ]
    reasons: list[ReasonOut]
    holds: list[HoldOut]
    warnings: list[WarningOut]
    items: list[dict]
    orders: list[OrderNoticeOut] = []
    sitting_yesterday: dict | None = None
    sitting_note: str | None = None


class ClinicianVisitIn(_In):
    kind: Literal["cleared", "booked"]
    by: str | None = Field(default=None, max_length=200, description="Who cleared you (required for a clearance)")
    date: Date | None = Field(default=None, description="Local day; default today")
    note: str | None = Field(default=None, max_length=2000)


class OrderIn(_In):
    kind: Literal["stage_hold", "stage_lower", "exclude_exercise"]
    stage: int | None = Field(default=None, ge=1, le=4, description="stage_lower: the stage to use (below today's)")
    exercise_id: str | None = Field(default=None, max_length=80, description="exclude_exercise: the exercise's id")
    until: Date | None = Field(default=None, description="The last day it applies; default until lifted")
    reason: str | None = Field(default=None, max_length=500, description="Why, in a few words (the athlete sees it)")


class OrderOut(_Out):
    id: int
    kind: Literal["stage_hold", "stage_lower", "exclude_exercise"]
    by: str
    stage: int | None
    exercise_id: str | None
    starts_on: str
    ends_on: str | None
    revoked_at: str | None
    active: bool


class NoteIn(_In):
    text: str = Field(max_length=4000, description="The clinician's own note (never shown to the athlete)")


class NoteOut(_Out):
    id: int
    author: str
    text: str
    created_at: str


class ClinicianVisitOut(_Out):
    date: str
    kind: Literal["cleared", "booked"]
    by: str | None
    note: str | None


class SourceOut(_Out):
    source: str
    cited_in: list[str]


class AboutOut(_Out):
    name: str
    version: str
    disclaimer: str
    source_count: int
    sources: list[SourceOut]


# --- profile ---------------------------------------------------------------------------------------------------


class ProfileOut(_Out):
    name: str
    birth_year: int | None
    sex: str | None
    weight_kg: float | None = None
    max_hr: int | None
    resting_hr: int | None
    units: str
    timezone: str
    running_days: list[str]
    long_run_day: str | None
    work_days: list[str]
    work_start: str | None
    work_end: str | None
    equipment: list[str]


class ProfileIn(_In):
    """Fields to change; the others keep their values. The name is not here: it says which athlete the app shows
    (``--athlete``), so renaming belongs to the CLI."""

    birth_year: int | None = Field(default=None, ge=1800, le=2200)
    sex: str | None = Field(default=None, max_length=16)
    weight_kg: float | None = Field(default=None, ge=0, le=1000)
    max_hr: int | None = Field(default=None, ge=0, le=1000)
    resting_hr: int | None = Field(default=None, ge=0, le=1000)
    units: str = Field(default=None, max_length=4)  # type: ignore[assignment]  # not nullable, only optional
    timezone: str = Field(default=None, max_length=64)  # type: ignore[assignment]
    running_days: list[str] | str = Field(default=None, max_length=7 * 12)  # type: ignore[assignment]
    long_run_day: str | None = Field(default=None, max_length=12)
    work_days: list[str] | str = Field(default=None, max_length=7 * 12)  # type: ignore[assignment]
    work_start: str | None = Field(default=None, max_length=5)
    work_end: str | None = Field(default=None, max_length=5)
    equipment: list[str] | str = Field(default=None, max_length=200)  # type: ignore[assignment]


# --- check-ins and self-tests ------------------------------------------------------------------------------------


class CheckInIn(_In):
    """A day's answers; a field left out keeps that day's stored answer (editing one answer keeps the rest).
    ``date`` defaults to today. Ranges and choices are checked by the check-in model (422 names the field)."""

    date: Date | None = None
    pain_during_run: int | None = None
    pain_after_run: int | None = None
    pain_next_morning: int | None = None
    pain_at_rest: int | None = None
    night_pain: int | None = None
    wakes_lying_on_side: bool | None = None
    morning_stiffness_min: int | None = None
    pain_locations: list[str] | str | None = Field(
        default=None,
        description="Where it hurts, any of: "
        + ", ".join(PAIN_LOCATIONS)
        + " (outer_thigh = side of the thigh, thigh = front or inner thigh); a list or a comma-separated string",
    )
    side: str | None = None
    tender_on_pressing: list[str] | str | None = None
    brisk_walk_pain_free: bool | None = None
    sitting_hours: float | None = None
    session_rpe: float | None = None
    note: str | None = None
    red_flags: dict[str, bool] | None = None
    screened: bool | None = None


class CheckInOut(_Out):
    date: str
    pain_during_run: int | None
    pain_after_run: int | None
    pain_next_morning: int | None
    pain_at_rest: int | None
    night_pain: int | None
    wakes_lying_on_side: bool | None
    morning_stiffness_min: int | None
    pain_locations: list[str]
    side: str | None
    tender_on_pressing: list[str]
    brisk_walk_pain_free: bool | None
    sitting_hours: float | None
    session_rpe: float | None
    note: str | None
    red_flags: dict[str, bool]
    screened: bool


class StanceSideIn(_In):
    seconds_to_pain: float | None = Field(default=None, description="Seconds to familiar pain; null: none in 30 s")
    pain_nrs: int | None = Field(default=None, description="That pain, 0–10")


class StanceIn(_In):
    date: Date | None = None
    left: StanceSideIn | None = None
    right: StanceSideIn | None = None


class PalpationIn(_In):
    date: Date | None = None
    left: bool | None = Field(default=None, description="Pressing the left hip reproduces the familiar pain")
    right: bool | None = None


class FunctionCheckIn(_In):
    date: Date | None = None
    answers: dict[str, int] = Field(description="item id → 0..10")
    global_change: str | None = Field(default=None, max_length=20)
    visa_g: int | None = Field(default=None, ge=0, le=100)


# --- plan, activities, sitting -----------------------------------------------------------------------------------


class PlanLogIn(_In):
    outcome: Literal["done", "skipped"]


class PlanLogOut(_Out):
    item_id: str
    date: str
    kind: str
    outcome: str


class ResolveIn(_In):
    decision: Literal["keep", "drop"]


class BreakIn(_In):
    outcome: Literal["done", "snoozed", "skipped"]
    at: AwareDatetime | None = Field(default=None, description="When (with a time zone); default now")
    move_id: str | None = Field(default=None, max_length=80)


class ImportFileOut(_Out):
    file: str
    status: str
    reason: str | None
    activity_ids: list[int]
    duplicate_ids: list[int]
    records: int


class ImportOut(_Out):
    imported: int
    possible_duplicates: int
    skipped_identical: int
    imported_by_another_import: int = Field(0, description="of the skipped files, those another import stored first")
    partial: list[dict]
    failed: list[dict]
    activity_ids: list[int]
    files: int
    results: list[ImportFileOut]


class JobOut(_Out):
    id: str
    kind: str
    label: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(ge=0, le=1)
    done: int = Field(0, description="units done: frames of a video, files of an import, activities of a sync")
    total: int | None = Field(None, description="units in all, once known")
    elapsed_s: float | None = Field(None, description="seconds since the job was queued (until it ended)")
    error: str | None
    result: dict | None = None
    report_url: str | None = None
