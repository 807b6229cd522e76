"""The runner's own records: the profile, activities and their files, check-ins, self-tests, the plan log,
clearances, stride analyses, the wearables' sitting data, the Strava link."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gluteguard.store.models.base import Base, utc_now


class Athlete(Base):
    __tablename__ = "athlete"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="me")
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(16))
    weight_kg: Mapped[float | None] = mapped_column(Float)
    max_hr: Mapped[int | None] = mapped_column(Integer)
    resting_hr: Mapped[int | None] = mapped_column(Integer)
    units: Mapped[str] = mapped_column(String(4), default="km")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    running_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    long_run_day: Mapped[str | None] = mapped_column(String(3))
    work_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    work_start: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", local
    work_end: Mapped[str | None] = mapped_column(String(5))
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SourceFile(Base):
    """One imported file, with its original bytes (compressed) so activities can be re-derived."""

    __tablename__ = "source_file"
    __table_args__ = (UniqueConstraint("athlete_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)  # where it came from, e.g. "export.zip!activities/123.fit.gz"
    format: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_zlib: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict | None] = mapped_column(JSON)  # export metadata that came with it (Strava CSV row)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    activities: Mapped[list[Activity]] = relationship(back_populates="source_file")


class Activity(Base):
    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_athlete_start", "athlete_id", "start_utc"),
        # The activities' version (services/versions.py) from the index alone: count, newest id, last change.
        Index("ix_activity_athlete_updated", "athlete_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"))
    source_file_id: Mapped[int | None] = mapped_column(ForeignKey("source_file.id", ondelete="CASCADE"), index=True)
    session_index: Mapped[int] = mapped_column(Integer, default=0)
    start_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    utc_offset_s: Mapped[int | None] = mapped_column(Integer)  # None: the file did not say
    sport: Mapped[str] = mapped_column(String(16), index=True)
    sub_sport: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(Text)
    elapsed_s: Mapped[float] = mapped_column(Float)
    moving_s: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    ascent_m: Mapped[float | None] = mapped_column(Float)
    avg_hr: Mapped[float | None] = mapped_column(Float)
    max_hr: Mapped[float | None] = mapped_column(Float)
    avg_cadence_spm: Mapped[float | None] = mapped_column(Float)
    device: Mapped[str | None] = mapped_column(String(120))
    shoes: Mapped[str | None] = mapped_column(String(200))
    rpe: Mapped[float | None] = mapped_column(Float)
    commute: Mapped[bool | None] = mapped_column(Boolean)
    partial_reason: Mapped[str | None] = mapped_column(Text)
    # Review state of a possible duplicate: None (not one), "possible", or "kept" after review.
    duplicate_status: Mapped[str | None] = mapped_column(String(16))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    n_samples: Mapped[int] = mapped_column(Integer, default=0)
    # Seconds at each whole bpm (zlib'd uint32[251]): TRIMP for any resting/max heart rate without streams.
    hr_histogram: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set on insert and on every change through SQLAlchemy (a review, a histogram filled in later): what the
    # decision's cache and the roster compare.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, onupdate=utc_now)

    source_file: Mapped[SourceFile | None] = relationship(back_populates="activities")
    stream: Mapped[ActivityStream | None] = relationship(
        back_populates="activity", cascade="all, delete-orphan", uselist=False
    )


class ActivityStream(Base):
    """Per-sample columns of one activity, kept apart so listing activities never loads them."""

    __tablename__ = "activity_stream"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True)
    codec: Mapped[str] = mapped_column(String(16))
    columns: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    activity: Mapped[Activity] = relationship(back_populates="stream")


class CheckInRow(Base):
    """One day's check-in (validated answers as JSON); one per athlete and local day, editable."""

    __tablename__ = "checkin"
    # The second index answers "how many, and when last changed" per athlete from the index alone (the roster's
    # data versions for hundreds of athletes, services/roster.py), without reading the answers.
    __table_args__ = (
        UniqueConstraint("athlete_id", "day"),
        Index("ix_checkin_athlete_updated", "athlete_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When a red-flag answer last turned to "yes" (None: none ever did): a clearance lifts only what came before it,
    # and editing another answer of the day is not a new flag.
    flags_raised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SelfTestRow(Base):
    """A home self-test on a day: kind ``single_leg_stance`` or ``palpation``, results per side as JSON."""

    __tablename__ = "self_test"
    __table_args__ = (UniqueConstraint("athlete_id", "day", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    results: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FunctionCheckRow(Base):
    """The weekly lateral-hip function check (own words, 0–100), global change, and a clinician's VISA-G."""

    __tablename__ = "function_check"
    __table_args__ = (UniqueConstraint("athlete_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict] = mapped_column(JSON)
    score: Mapped[int] = mapped_column(Integer)
    global_change: Mapped[str | None] = mapped_column(String(20))
    visa_g: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanLogRow(Base):
    """Adherence: a plan item marked done or skipped (item ids are stable: ``2026-11-23-run-0``)."""

    __tablename__ = "plan_log"
    __table_args__ = (UniqueConstraint("athlete_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(80))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(10))  # done | skipped
    logged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClinicianVisitRow(Base):
    """A clinician's clearance (lifts every warning sign raised on or before its day) or a booked visit (lifts
    the see-a-clinician ones), as the runner recorded it."""

    __tablename__ = "clinician_visit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # cleared | booked
    by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GaitSessionRow(Base):
    """One saved stride analysis: the summary JSON (metrics, quality, findings) and where it came from.

    Frames, keypoints and per-step detail are not kept: the summary is what history and the plan use."""

    __tablename__ = "gait_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    recorded_on: Mapped[date] = mapped_column(Date, index=True)
    source_name: Mapped[str] = mapped_column(String(255))
    input_kind: Mapped[str] = mapped_column(String(20))  # video | keypoints_csv | openpose | trc | c3d | synthetic
    view: Mapped[str] = mapped_column(String(10))  # rear | side
    summary: Mapped[dict] = mapped_column(JSON)
    findings: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StepRow(Base):
    """Steps counted over an interval by a wearable (Apple Health, Garmin monitoring, Fitbit)."""

    __tablename__ = "wearable_step"
    __table_args__ = (
        UniqueConstraint("athlete_id", "source", "start_utc", "end_utc"),
        Index("ix_wearable_step_athlete_start", "athlete_id", "start_utc"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(120))
    start_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    steps: Mapped[float] = mapped_column(Float)
    level: Mapped[str | None] = mapped_column(String(32))


class StandHourRow(Base):
    """Apple's stand hours: stood (and moved) for at least a minute in that clock hour, or not."""

    __tablename__ = "stand_hour"
    __table_args__ = (UniqueConstraint("athlete_id", "source", "hour_start_utc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(120))
    hour_start_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stood: Mapped[bool] = mapped_column(Boolean)


class SedentaryDayRow(Base):
    """A device's daily sedentary minutes, when that is all it exports (Fitbit)."""

    __tablename__ = "sedentary_day"
    __table_args__ = (UniqueConstraint("athlete_id", "source", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(120))
    day: Mapped[date] = mapped_column(Date)
    sedentary_min: Mapped[float] = mapped_column(Float)


class SittingBreakRow(Base):
    """A break from sitting logged from a reminder (done, snoozed or skipped), with the move offered."""

    __tablename__ = "sitting_break"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    at_utc: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    outcome: Mapped[str] = mapped_column(String(10))  # done | snoozed | skipped
    move_id: Mapped[str | None] = mapped_column(String(80))




class StravaLinkRow(Base):
    """An athlete's link to their Strava account (issue 18): their own API application and its tokens, refreshed
    before they expire, never printed; and how far the sync has come (resumable)."""

    __tablename__ = "strava_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), unique=True)
    client_id: Mapped[int] = mapped_column(Integer)
    client_secret: Mapped[str] = mapped_column(String(128))
    access_token: Mapped[str | None] = mapped_column(String(128))
    refresh_token: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[int | None] = mapped_column(BigInteger)  # epoch seconds
    scope: Mapped[str | None] = mapped_column(String(255))
    strava_athlete_id: Mapped[int | None] = mapped_column(BigInteger)
    strava_athlete_name: Mapped[str | None] = mapped_column(String(255))
    pending_state: Mapped[str | None] = mapped_column(String(64))  # a web link begun, waiting for Strava's redirect
    newest_synced_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
