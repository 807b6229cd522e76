"""The account rules from ``rules.toml`` as typed values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from gluteguard.rules_data import Table, rules_data


class Role(StrEnum):
    ATHLETE = "athlete"
    CLINICIAN = "clinician"
    ADMIN = "admin"


class Action(StrEnum):
    READ = "read"
    ATHLETE_WRITE = "athlete_write"
    CLINICIAN_WRITE = "clinician_write"
    EXPORT = "export"
    NOTES = "notes"
    PLAN_ORDERS = "plan_orders"


class Scope(StrEnum):
    OWN = "own"
    LINKED = "linked"
    NONE = "none"


@dataclass(frozen=True)
class RoleRule:
    scope: Scope
    actions: frozenset[Action]


@dataclass(frozen=True)
class AccountRules:
    roles: dict[Role, RoleRule]
    password_min: int
    password_max: int
    common_passwords: frozenset[str]
    password_source: str
    username_min: int
    username_max: int
    username_pattern: re.Pattern[str]
    max_failures: int
    failure_window_minutes: int
    login_source: str
    session_max_age_days: int
    invite_code_length: int
    invite_alphabet: str
    invite_valid_days: int
    audit_pages: dict[str, str]
    audit_other: str
    audit_read: str
    audit_write: str
    audit_care: dict[str, str]


def account_rules() -> AccountRules:
    return rules_data("gluteguard.accounts", "rules.toml", _parse)


def _parse(t: Table) -> AccountRules:
    roles = {
        Role(name): RoleRule(Scope(rule["scope"]), frozenset(Action(a) for a in rule["actions"]))
        for name, rule in t["roles"].items()
    }
    if set(roles) != set(Role):
        raise ValueError(f"accounts/rules.toml [roles] must name exactly {', '.join(Role)}")
    return AccountRules(
        roles=roles,
        password_min=int(t["passwords"]["min_length"]),
        password_max=int(t["passwords"]["max_length"]),
        common_passwords=frozenset(p.lower() for p in t["passwords"]["common"]),
        password_source=t["passwords"]["source"],
        username_min=int(t["usernames"]["min_length"]),
        username_max=int(t["usernames"]["max_length"]),
        username_pattern=re.compile(t["usernames"]["pattern"]),
        max_failures=int(t["login"]["max_failures"]),
        failure_window_minutes=int(t["login"]["window_minutes"]),
        login_source=t["login"]["source"],
        session_max_age_days=int(t["sessions"]["max_age_days"]),
        invite_code_length=int(t["invites"]["code_length"]),
        invite_alphabet=t["invites"]["alphabet"],
        invite_valid_days=int(t["invites"]["valid_days"]),
        audit_pages=dict(t["audit"]["pages"]),
        audit_other=t["audit"]["other"],
        audit_read=t["audit"]["read"],
        audit_write=t["audit"]["write"],
        audit_care=dict(t["audit"]["care"]),
    )
