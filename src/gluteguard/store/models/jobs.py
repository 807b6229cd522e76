"""Background work: a job's row and the files it was given."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gluteguard.store.models.base import Base


class BackgroundJobRow(Base):
    """One piece of heavy work (a stride video, an import, reprocessing, the nightly re-decision) and how it ended.

    Its athlete owns it: only their requests read it. On the shared server a Procrastinate worker runs it (``queue_id``
    is Procrastinate's job id); the result is written once, in the transaction that ends the job."""

    __tablename__ = "background_job"
    __table_args__ = (Index("ix_background_job_athlete_created", "athlete_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex: not guessable, not a count
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # stride | import | reprocess | redecide
    label: Mapped[str] = mapped_column(String(255))
    params: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))  # queued | running | done | failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # starts, including those a killed worker never ended
    result: Mapped[dict | None] = mapped_column(JSON)
    report: Mapped[str | None] = mapped_column(Text)  # a stride analysis's offline HTML report
    error: Mapped[str | None] = mapped_column(Text)
    queue_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BackgroundJobChunkRow(Base):
    """An uploaded file a job reads, in pieces (any worker that reaches the database can read it, and a 500 MB clip
    never sits in memory whole); removed in the transaction that ends the job."""

    __tablename__ = "background_job_chunk"

    job_id: Mapped[str] = mapped_column(ForeignKey("background_job.id", ondelete="CASCADE"), primary_key=True)
    file_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))  # the name the runner gave the file (shown, never a path)
    data: Mapped[bytes] = mapped_column(LargeBinary)
