"""Who may do what, decided from the acting person alone (pure: no database, no clock of its own).

A request on a shared server carries a :class:`Principal` (who is acting, and the athletes they may reach, read
once from the store) and names the athlete it acts on; :func:`may` is the single yes/no every route goes through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gluteguard.accounts.rules import AccountRules, Action, Role, Scope, account_rules


class AccountError(ValueError):
    """An account request that cannot be done; the message is one line for the person (never a secret)."""


@dataclass(frozen=True)
class Principal:
    """The person behind a request. ``athlete_id`` is their own athlete record (athletes only); ``linked`` holds
    the athletes who accepted this clinician and have not revoked the link."""

    user_id: int
    username: str
    display_name: str
    role: Role
    athlete_id: int | None = None
    linked: frozenset[int] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def reachable(self, rules: AccountRules | None = None) -> frozenset[int]:
        """Every athlete this person may act on at all."""
        scope = (rules or account_rules()).roles[self.role].scope
        if scope is Scope.OWN:
            return frozenset() if self.athlete_id is None else frozenset({self.athlete_id})
        if scope is Scope.LINKED:
            return self.linked
        return frozenset()


def may(principal: Principal, action: Action, athlete_id: int, rules: AccountRules | None = None) -> bool:
    """Whether ``principal`` may do ``action`` to athlete ``athlete_id``'s data (default: no)."""
    rules = rules or account_rules()
    return action in rules.roles[principal.role].actions and athlete_id in principal.reachable(rules)


def allowed(principal: Principal, athlete_id: int, rules: AccountRules | None = None) -> frozenset[Action]:
    """Everything ``principal`` may do to athlete ``athlete_id``'s data (what a page shows controls for)."""
    rules = rules or account_rules()
    return frozenset(action for action in Action if may(principal, action, athlete_id, rules))


def clean_username(raw: str, rules: AccountRules | None = None) -> str:
    """The stored form of a user name (trimmed, lower case), or AccountError saying what is wrong with it."""
    rules = rules or account_rules()
    name = (raw or "").strip().lower()
    if not rules.username_min <= len(name) <= rules.username_max:
        raise AccountError(f"user name: use {rules.username_min} to {rules.username_max} characters")
    if not rules.username_pattern.fullmatch(name):
        raise AccountError("user name: use letters, digits and . _ @ - only, starting with a letter or digit")
    return name


def check_password(password: str, username: str, rules: AccountRules | None = None) -> None:
    """AccountError when ``password`` is too short, too long, common, or the user name itself."""
    rules = rules or account_rules()
    if len(password) < rules.password_min:
        raise AccountError(f"password: use at least {rules.password_min} characters")
    if len(password) > rules.password_max:
        raise AccountError(f"password: use at most {rules.password_max} characters")
    folded = password.strip().lower()
    if folded in rules.common_passwords or folded == username.lower() or len(set(folded)) < 3:
        raise AccountError("password: this one is too easy to guess; a few unrelated words work well")


def throttled_until(
    failures: Iterable[datetime], now: datetime, rules: AccountRules | None = None
) -> datetime | None:
    """When logging in may be tried again, given the times of recent failures (None: it may now)."""
    rules = rules or account_rules()
    window = timedelta(minutes=rules.failure_window_minutes)
    recent = sorted(at for at in failures if now - at < window)
    if len(recent) < rules.max_failures:
        return None
    # The window slides: the attempt is allowed again once enough of the failures have aged out of it.
    return recent[-rules.max_failures] + window


def clean_invite_code(raw: str) -> str:
    """An invite code as typed (spaces, dashes, lower case forgiven) in its canonical form."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())



def audit_words(path: str, reading: bool, rules: AccountRules | None = None) -> str:
    """What a clinician's request reads as in the athlete's audit log ("looked at your plan")."""
    rules = rules or account_rules()
    bare = path.removeprefix("/api/v1") or "/"
    matches = [
        prefix for prefix in rules.audit_pages if bare == prefix or (prefix != "/" and bare.startswith(prefix + "/"))
    ]
    what = rules.audit_pages[max(matches, key=len)] if matches else rules.audit_other
    return (rules.audit_read if reading else rules.audit_write).format(what=what)


def care_words(what: str, rules: AccountRules | None = None, **fields: object) -> str:
    """What a clinician's order or note reads as in the athlete's audit log ("lowered your strength stage to 1")."""
    return (rules or account_rules()).audit_care[what].format(**fields)
