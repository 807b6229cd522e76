"""Accounts on a shared server: creating and managing them, logging in, invitations, care links and the audit log.

The rules (who may do what, password and throttling limits) are the pure ``accounts`` domain; this module only
stores and reads. Passwords are hashed with Argon2id (pwdlib); invite codes are kept as SHA-256 hashes only.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from gluteguard.accounts.policy import AccountError, Principal, check_password, clean_invite_code, clean_username
from gluteguard.accounts.rules import Role, account_rules
from gluteguard.services.athletes import Profile, system_timezone
from gluteguard.store.models import (
    Athlete,
    AuditEventRow,
    CareLinkRow,
    InviteRow,
    LoginFailureRow,
    ServerSecretRow,
    UserRow,
)
from gluteguard.store.timeutil import as_utc

if TYPE_CHECKING:
    from pwdlib import PasswordHash
    from sqlalchemy.orm import Session

    from gluteguard.store.db import Database

MAX_DISPLAY_NAME = 120
WRONG_LOGIN = "wrong user name or password"  # one message for both: it must not tell which names exist


@cache
def _hasher() -> PasswordHash:
    from pwdlib import PasswordHash

    return PasswordHash.recommended()  # Argon2id with the library's current parameters


@cache
def _dummy_hash() -> str:
    # Verified against when the name is unknown, so a wrong name costs the same time as a wrong password.
    return _hasher().hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: Role
    athlete_id: int | None
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role.value,
            "athlete_id": self.athlete_id,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


@dataclass(frozen=True)
class CareLink:
    """One clinician who can (or could) see one athlete."""

    id: int
    clinician_id: int
    clinician_name: str
    athlete_id: int
    athlete_name: str
    since: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "clinician_id": self.clinician_id,
            "clinician_name": self.clinician_name,
            "athlete_id": self.athlete_id,
            "athlete_name": self.athlete_name,
            "since": self.since.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "active": self.active,
        }


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor_name: str
    action: str  # read | write
    what: str

    def as_json(self) -> dict:
        return {"at": self.at.isoformat(), "actor_name": self.actor_name, "action": self.action, "what": self.what}


def _user_info(row: UserRow) -> UserInfo:
    return UserInfo(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        athlete_id=row.athlete_id,
        disabled=row.disabled_at is not None,
        created_at=as_utc(row.created_at),
        last_login_at=as_utc(row.last_login_at) if row.last_login_at else None,
    )


def _display_name(raw: str | None, username: str) -> str:
    name = " ".join((raw or "").split())
    if len(name) > MAX_DISPLAY_NAME:
        raise AccountError(f"display name: use at most {MAX_DISPLAY_NAME} characters")
    return name or username


def _user_by_name(session: Session, username: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))
    if row is None:
        raise AccountError(f"no account named {username.strip().lower()!r}")
    return row


def has_accounts(db: Database) -> bool:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(UserRow)) > 0


def create_user(
    db: Database,
    username: str,
    password: str,
    role: Role | str,
    *,
    display_name: str | None = None,
    timezone: str | None = None,
    now: datetime | None = None,
) -> UserInfo:
    """A new account; an athlete gets their own athlete record (profile, history) in the same transaction."""
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"role: use one of {', '.join(Role)}") from None
    name = clean_username(username)
    check_password(password, name)
    shown = _display_name(display_name, name)
    now = now or datetime.now(UTC)
    password_hash = _hasher().hash(password)
    with db.session() as session:
        if session.scalar(select(UserRow.id).where(UserRow.username == name)) is not None:
            raise AccountError(f"an account named {name!r} exists already")
        athlete_id = None
        if role is Role.ATHLETE:
            profile = Profile(name=shown[:120], timezone=timezone or system_timezone()).as_dict()
            athlete = Athlete(**profile, created_at=now, updated_at=now)
            session.add(athlete)
            session.flush()
            athlete_id = athlete.id
        row = UserRow(
            username=name,
            display_name=shown,
            role=role.value,
            password_hash=password_hash,
            athlete_id=athlete_id,
            session_epoch=0,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return _user_info(row)


def list_users(db: Database) -> list[UserInfo]:
    with db.session() as session:
        return [_user_info(row) for row in session.scalars(select(UserRow).order_by(UserRow.role, UserRow.username))]


def get_user(db: Database, username: str) -> UserInfo:
    with db.session() as session:
        return _user_info(_user_by_name(session, username))


def set_disabled(db: Database, username: str, disabled: bool, now: datetime | None = None) -> UserInfo:
    """Disable (every session ends, logging in is refused) or enable an account."""
    with db.session() as session:
        row = _user_by_name(session, username)
        if disabled and row.disabled_at is None:
            row.disabled_at = now or datetime.now(UTC)
            row.session_epoch += 1
        elif not disabled:
            row.disabled_at = None
        return _user_info(row)


def reset_password(db: Database, username: str, password: str) -> UserInfo:
    """A new password; every session signed before it ends."""
    with db.session() as session:
        row = _user_by_name(session, username)
        check_password(password, row.username)
        row.password_hash = _hasher().hash(password)
        row.session_epoch += 1
        return _user_info(row)


def change_password(db: Database, user_id: int, current: str, new: str) -> None:
    """The person's own change: the current password first; other sessions end (this one is re-signed)."""
    with db.session() as session:
        row = session.get(UserRow, user_id)
        if row is None or not _hasher().verify(current, row.password_hash):
            raise AccountError("the current password is not right")
        check_password(new, row.username)
        row.password_hash = _hasher().hash(new)
        row.session_epoch += 1


def log_out_everywhere(db: Database, user_id: int) -> int:
    """End every session of this account; returns the new epoch (the caller re-signs its own if it stays)."""
    with db.session() as session:
        row = session.get(UserRow, user_id)
        if row is None:
            raise AccountError("no such account")
        row.session_epoch += 1
        return row.session_epoch


def principal_epoch(db: Database, user_id: int) -> int:
    """The account's current session epoch (to re-sign the session that changed it)."""
    with db.session() as session:
        row = session.get(UserRow, user_id)
        if row is None:
            raise AccountError("no such account")
        return row.session_epoch


def _linked(session: Session, clinician_id: int) -> frozenset[int]:
    return frozenset(
        session.scalars(
            select(CareLinkRow.athlete_id).where(
                CareLinkRow.clinician_id == clinician_id, CareLinkRow.revoked_at.is_(None)
            )
        )
    )


def _principal(session: Session, row: UserRow) -> Principal:
    role = Role(row.role)
    return Principal(
        user_id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=role,
        athlete_id=row.athlete_id,
        linked=_linked(session, row.id) if role is Role.CLINICIAN else frozenset(),
    )


def principal_for_session(db: Database, user_id: int, epoch: int) -> Principal | None:
    """The person a signed session names, or None when the account is gone, disabled or the session outdated."""
    with db.session() as session:
        row = session.get(UserRow, user_id)
        if row is None or row.disabled_at is not None or row.session_epoch != epoch:
            return None
        return _principal(session, row)


@dataclass(frozen=True)
class LoggedIn:
    principal: Principal
    epoch: int


def authenticate(db: Database, username: str, password: str, address: str, now: datetime | None = None) -> LoggedIn:
    """Check a login. Refused (AccountError, one line) when the name or the address has failed too often lately,
    when the name or password is wrong (one message for both), or when the account is disabled."""
    from gluteguard.accounts.policy import throttled_until

    rules = account_rules()
    now = now or datetime.now(UTC)
    name = (username or "").strip().lower()[:64]
    keys = (f"user:{name}", f"addr:{address[:120]}")
    with db.session() as session:
        window_start = now - timedelta(minutes=rules.failure_window_minutes)
        session.execute(delete(LoginFailureRow).where(LoginFailureRow.at < window_start))  # old ones are noise
        for key in keys:
            stamps = session.scalars(select(LoginFailureRow.at).where(LoginFailureRow.key == key))
            failures = [as_utc(at) for at in stamps]
            until = throttled_until(failures, now, rules)
            if until is not None:
                minutes = max(1, round((until - now).total_seconds() / 60))
                raise AccountError(f"too many failed logins: try again in {minutes} min")
        row = session.scalar(select(UserRow).where(UserRow.username == name))
        # verify_and_update also says when the stored hash's parameters are older than the library's current ones
        good, rehashed = _hasher().verify_and_update(password or "", row.password_hash if row else _dummy_hash())
        if row is None or not good:
            session.add_all(LoginFailureRow(key=key, at=now) for key in keys)
            failed = True
        else:
            failed = False
            if row.disabled_at is not None:
                raise AccountError("this account is disabled: ask the server's admin")
            row.last_login_at = now
            if rehashed is not None:
                row.password_hash = rehashed
            session.execute(delete(LoginFailureRow).where(LoginFailureRow.key == keys[0]))
            logged_in = LoggedIn(_principal(session, row), row.session_epoch)
    if failed:  # raised after the commit, so the failure is counted
        raise AccountError(WRONG_LOGIN)
    return logged_in


def delete_own_account(db: Database, athlete: Principal, password: str) -> dict[str, int]:
    """An athlete deletes their account and every row of their data, after giving their password again."""
    from gluteguard.services.data_rights import delete_everything

    if athlete.role is not Role.ATHLETE or athlete.athlete_id is None:
        raise AccountError("only an athlete account holds data to delete; an admin removes other accounts")
    with db.session() as session:
        row = session.get(UserRow, athlete.user_id)
        if row is None or not _hasher().verify(password or "", row.password_hash):
            raise AccountError("the password is not right")
    return delete_everything(db, athlete.athlete_id)


# --- invitations and care links ---


def _code_hash(code: str) -> str:
    return hashlib.sha256(clean_invite_code(code).encode()).hexdigest()


def create_invite(db: Database, clinician: Principal, now: datetime | None = None) -> tuple[str, datetime]:
    """A new one-time code for ``clinician`` to hand an athlete, and when it expires. Only its hash is stored."""
    if clinician.role is not Role.CLINICIAN:
        raise AccountError("only a coach or physio account can invite athletes")
    rules = account_rules()
    now = now or datetime.now(UTC)
    code = "".join(secrets.choice(rules.invite_alphabet) for _ in range(rules.invite_code_length))
    expires = now + timedelta(days=rules.invite_valid_days)
    with db.session() as session:
        session.add(InviteRow(code_sha256=_code_hash(code), clinician_id=clinician.user_id, created_at=now,
                              expires_at=expires))  # fmt: skip
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}", expires


def accept_invite(db: Database, athlete: Principal, code: str, now: datetime | None = None) -> CareLink:
    """The athlete accepts a clinician's code: from now the clinician sees their data (until revoked)."""
    if athlete.role is not Role.ATHLETE or athlete.athlete_id is None:
        raise AccountError("only an athlete account can accept an invitation")
    now = now or datetime.now(UTC)
    with db.session() as session:
        invite = session.scalar(select(InviteRow).where(InviteRow.code_sha256 == _code_hash(code)))
        if invite is None or invite.used_at is not None or as_utc(invite.expires_at) <= now:
            raise AccountError("this invitation code is not valid (used, expired or mistyped): ask for a new one")
        clinician = session.get(UserRow, invite.clinician_id)
        if clinician is None or clinician.disabled_at is not None:
            raise AccountError("the account that made this invitation is no longer active")
        invite.used_at = now
        invite.used_by_athlete_id = athlete.athlete_id
        existing = session.scalar(
            select(CareLinkRow).where(
                CareLinkRow.clinician_id == clinician.id,
                CareLinkRow.athlete_id == athlete.athlete_id,
                CareLinkRow.revoked_at.is_(None),
            )
        )
        link = existing or CareLinkRow(clinician_id=clinician.id, athlete_id=athlete.athlete_id, created_at=now)
        session.add(link)
        session.flush()
        _audit(session, athlete, athlete.athlete_id, "write", f"shared your data with {clinician.display_name}", now)
        return _care_link(session, link)


def revoke_link(db: Database, actor: Principal, link_id: int, now: datetime | None = None) -> CareLink:
    """End a care link: the athlete it concerns or the clinician on it may; nobody else learns it exists."""
    now = now or datetime.now(UTC)
    with db.session() as session:
        link = session.get(CareLinkRow, link_id)
        allowed = link is not None and (
            (actor.role is Role.ATHLETE and link.athlete_id == actor.athlete_id)
            or (actor.role is Role.CLINICIAN and link.clinician_id == actor.user_id)
        )
        if not allowed or link is None:
            raise AccountError("no such link")
        if link.revoked_at is None:
            link.revoked_at = now
            _audit(session, actor, link.athlete_id, "write", "ended a data-sharing link", now)
        return _care_link(session, link)


def _care_link(session: Session, link: CareLinkRow) -> CareLink:
    clinician = session.get(UserRow, link.clinician_id)
    athlete = session.get(Athlete, link.athlete_id)
    return CareLink(
        id=link.id,
        clinician_id=link.clinician_id,
        clinician_name=clinician.display_name if clinician else "a deleted account",
        athlete_id=link.athlete_id,
        athlete_name=athlete.name if athlete else "",
        since=as_utc(link.created_at),
        revoked_at=as_utc(link.revoked_at) if link.revoked_at else None,
    )


def care_team(db: Database, athlete_id: int) -> list[CareLink]:
    """Who can see this athlete's data now, and who could before (newest first)."""
    with db.session() as session:
        rows = session.scalars(
            select(CareLinkRow).where(CareLinkRow.athlete_id == athlete_id).order_by(CareLinkRow.created_at.desc())
        )
        return [_care_link(session, row) for row in rows]


def linked_athletes(db: Database, clinician: Principal) -> list[CareLink]:
    """The athletes this clinician may see now (one query: a roster may hold hundreds)."""
    query = (
        select(CareLinkRow, Athlete.name)
        .join(Athlete, Athlete.id == CareLinkRow.athlete_id)
        .where(CareLinkRow.clinician_id == clinician.user_id, CareLinkRow.revoked_at.is_(None))
        .order_by(CareLinkRow.created_at)
    )
    with db.session() as session:
        return [
            CareLink(id=link.id, clinician_id=link.clinician_id, clinician_name=clinician.name,
                     athlete_id=link.athlete_id, athlete_name=name, since=as_utc(link.created_at), revoked_at=None)
            for link, name in session.execute(query)
        ]  # fmt: skip


# --- the audit log ---


def _audit(session: Session, actor: Principal, athlete_id: int, action: str, what: str, now: datetime) -> None:
    session.add(AuditEventRow(athlete_id=athlete_id, actor_id=actor.user_id, actor_name=actor.name,
                              action=action, what=what[:200], at=now))  # fmt: skip


def record_audit_in(session: Session, actor: Principal, athlete_id: int, action: str, what: str,
                    now: datetime) -> None:  # fmt: skip
    """Log it within the caller's transaction: a change and its audit line are stored together or not at all."""
    _audit(session, actor, athlete_id, action, what, now)


def record_audit(db: Database, actor: Principal, athlete_id: int, action: str, what: str,
                 now: datetime | None = None) -> None:  # fmt: skip
    """Log what a person did to an athlete's data (a clinician's every read and write)."""
    with db.session() as session:
        _audit(session, actor, athlete_id, action, what, now or datetime.now(UTC))


def audit_log(db: Database, athlete_id: int, limit: int = 200) -> list[AuditEvent]:
    with db.session() as session:
        rows = session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.athlete_id == athlete_id)
            .order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
            .limit(limit)
        )
        return [AuditEvent(as_utc(r.at), r.actor_name, r.action, r.what) for r in rows]


# --- the session-signing secret ---


def session_secret(db: Database) -> str:
    """The key that signs session cookies: made once and kept in the database, so every web process agrees and a
    restart keeps people logged in."""
    with db.session() as session:
        row = session.get(ServerSecretRow, "session")
        if row is not None:
            return row.value
    value = secrets.token_urlsafe(48)
    try:
        with db.session() as session:
            session.add(ServerSecretRow(name="session", value=value, created_at=datetime.now(UTC)))
        return value
    except IntegrityError:  # two processes started at once: the first one stored wins
        with db.session() as session:
            return session.get(ServerSecretRow, "session").value  # type: ignore[union-attr]

