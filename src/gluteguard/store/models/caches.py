"""What is decided from everything else and kept for speed: the roster's day of each athlete, the kept days of
``gluteguard today``. Never the source of anything."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gluteguard.store.models.base import Base


class AthleteDaySummaryRow(Base):
    """What a clinician's roster shows of one athlete's day, as their own decision gave it, kept with the version of
    the data it was decided from (``services/roster.py``): a cache, filled by the nightly re-decision and by the
    roster itself, never the source of anything the athlete sees."""

    __tablename__ = "athlete_day_summary"

    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str | None] = mapped_column(String(20))
    headline: Mapped[str] = mapped_column(Text)
    running_allowed: Mapped[bool] = mapped_column(Boolean)
    spike_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_checkin: Mapped[date | None] = mapped_column(Date)
    stride_on: Mapped[date | None] = mapped_column(Date)
    stride_finding: Mapped[str | None] = mapped_column(Text)
    adherent: Mapped[bool | None] = mapped_column(Boolean)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KeptDayRow(Base):
    """One coming day's summary (``today --json``) as decided after the last write, with the version of the data
    and of the code it was decided from (``services/today_kept.py`` writes it, ``store/today_kept.py`` reads it):
    a cache that ``gluteguard today`` shows only while both versions are unchanged and the day has come."""

    __tablename__ = "kept_day"

    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)  # the JSON text, exactly as ``today --json`` prints it
    runs_imported: Mapped[bool] = mapped_column(Boolean)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
