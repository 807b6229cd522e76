"""A shared server's accounts, care links, invitations, the audit log, a clinician's notes and orders (multi-user
mode only; a single-user database keeps these tables empty)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gluteguard.store.models.base import Base


class UserRow(Base):
    """A person who logs in: an athlete (owning one athlete record), a clinician, or an admin."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(10))  # athlete | clinician | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    athlete_id: Mapped[int | None] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), unique=True)
    # Bumped by "log out everywhere", a password reset and disabling: sessions signed with an older value end.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CareLinkRow(Base):
    """A clinician may see an athlete from ``created_at`` until the athlete (or the clinician) revokes it."""

    __tablename__ = "care_link"
    __table_args__ = (Index("ix_care_link_clinician_athlete", "clinician_id", "athlete_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InviteRow(Base):
    """A one-time code a clinician hands an athlete; only its SHA-256 is kept."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_athlete_id: Mapped[int | None] = mapped_column(ForeignKey("athlete.id", ondelete="SET NULL"))


class LoginFailureRow(Base):
    """A failed login, kept for the throttling window: by the name tried and by the client's address."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), index=True)  # "user:<name>" or "addr:<ip>"
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEventRow(Base):
    """What a clinician read or wrote of an athlete's data (the athlete sees this list)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_athlete_at", "athlete_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))  # kept when the account is gone
    action: Mapped[str] = mapped_column(String(16))  # read | write
    what: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClinicianNoteRow(Base):
    """A clinician's own note about an athlete: shown to the athlete's clinicians only, never to the athlete."""

    __tablename__ = "clinician_note"
    __table_args__ = (Index("ix_clinician_note_athlete_created", "athlete_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(120))  # kept when the account is gone
    author_role: Mapped[str] = mapped_column(String(10))  # coach | physio | clinician
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClinicianOrderRow(Base):
    """A clinician's order on an athlete's plan: hold or lower the strength stage, or exclude an exercise."""

    __tablename__ = "clinician_order"
    __table_args__ = (Index("ix_clinician_order_athlete_kind", "athlete_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athlete.id", ondelete="CASCADE"))
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    clinician_name: Mapped[str] = mapped_column(String(120))
    clinician_role: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))  # stage_hold | stage_lower | exclude_exercise
    stage: Mapped[int | None] = mapped_column(Integer)
    exercise_id: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    starts_on: Mapped[date] = mapped_column(Date)  # the athlete's local day it was set
    ends_on: Mapped[date | None] = mapped_column(Date)  # the last day it applies (None: until lifted)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_on: Mapped[date | None] = mapped_column(Date)  # the athlete's local day it was lifted: no longer applies
    revoked_by_name: Mapped[str | None] = mapped_column(String(120))


class ServerSecretRow(Base):
    """The key that signs session cookies, made once per database so every web process on it agrees."""

    __tablename__ = "server_secret"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
