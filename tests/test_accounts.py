"""Accounts on a shared server: the pure rules (who may do what, passwords, throttling) and the stored accounts,
links, invitations and audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gluteguard.accounts.policy import (
    AccountError,
    Principal,
    check_password,
    clean_invite_code,
    clean_username,
    may,
    throttled_until,
)
from gluteguard.accounts.rules import Action, Role, account_rules
from gluteguard.services import accounts
from gluteguard.store.db import Database

GOOD = "correct horse battery"
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_policy_scopes_each_role() -> None:
    athlete = Principal(1, "anna", "Anna", Role.ATHLETE, athlete_id=10)
    clinician = Principal(2, "cleo", "Cleo", Role.CLINICIAN, linked=frozenset({10}))
    admin = Principal(3, "root", "Root", Role.ADMIN)
    assert may(athlete, Action.READ, 10) and may(athlete, Action.ATHLETE_WRITE, 10)
    assert not may(athlete, Action.READ, 11) and not may(athlete, Action.CLINICIAN_WRITE, 10)
    assert may(clinician, Action.READ, 10) and may(clinician, Action.CLINICIAN_WRITE, 10)
    assert not may(clinician, Action.ATHLETE_WRITE, 10)  # a clinician never checks in or imports for the athlete
    assert not may(clinician, Action.READ, 11)
    assert not any(may(admin, action, 10) for action in Action)  # an admin sees no health data


def test_usernames_and_passwords() -> None:
    assert clean_username("  Anna.Berg@Example.org ") == "anna.berg@example.org"
    for bad in ("ab", "x" * 65, "anna berg", "-anna", "anna/../x"):
        with pytest.raises(AccountError, match="user name"):
            clean_username(bad)
    check_password(GOOD, "anna")
    for bad in ("short", "password1", "anna", "aaaaaaaaaaaa", "x" * 129):
        with pytest.raises(AccountError, match="password"):
            check_password(bad, "anna")
    with pytest.raises(AccountError):
        check_password("annaberg99x", "annaberg99x")
    assert clean_invite_code(" abcde-fgh23 ") == "ABCDEFGH23"


def test_throttling_slides() -> None:
    rules = account_rules()
    minute = timedelta(minutes=1)
    failures = [NOW - i * minute for i in range(rules.max_failures)]
    until = throttled_until(failures, NOW, rules)
    assert until is not None and until > NOW
    assert throttled_until(failures[:-1], NOW, rules) is None
    assert throttled_until(failures, until, rules) is None  # once the oldest counted one has aged out


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=20), st.integers(min_value=0, max_value=40))
def test_throttling_never_blocks_below_the_limit(minutes_ago: list[int], later: int) -> None:
    rules = account_rules()
    failures = [NOW - timedelta(minutes=m) for m in minutes_ago]
    until = throttled_until(failures, NOW, rules)
    recent = [f for f in failures if NOW - f < timedelta(minutes=rules.failure_window_minutes)]
    assert (until is None) == (len(recent) < rules.max_failures)
    if until is not None:
        assert NOW < until <= NOW + timedelta(minutes=rules.failure_window_minutes)


def _db(db_url: str) -> Database:
    return Database(db_url)


def test_accounts_lifecycle(db_url: str) -> None:
    db = _db(db_url)
    try:
        anna = accounts.create_user(db, "Anna", GOOD, "athlete", display_name="Anna Berg", timezone="Europe/Oslo")
        assert anna.athlete_id is not None and anna.username == "anna"
        with pytest.raises(AccountError, match="exists already"):
            accounts.create_user(db, "anna", GOOD, "athlete")
        with pytest.raises(AccountError, match="role"):
            accounts.create_user(db, "zed", GOOD, "superuser")
        cleo = accounts.create_user(db, "cleo", GOOD, Role.CLINICIAN, display_name="Cleo Physio")
        assert cleo.athlete_id is None

        logged = accounts.authenticate(db, "ANNA ", GOOD, "10.0.0.1")
        assert logged.principal.athlete_id == anna.athlete_id
        assert accounts.principal_for_session(db, anna.id, logged.epoch) is not None
        with pytest.raises(AccountError, match="wrong user name or password"):
            accounts.authenticate(db, "anna", "not the password", "10.0.0.1")
        with pytest.raises(AccountError, match="wrong user name or password"):
            accounts.authenticate(db, "nobody", GOOD, "10.0.0.1")

        # log out everywhere: the old session no longer holds
        epoch = accounts.log_out_everywhere(db, anna.id)
        assert accounts.principal_for_session(db, anna.id, logged.epoch) is None
        assert accounts.principal_for_session(db, anna.id, epoch) is not None

        # a reset password ends sessions too, and the old password stops working
        accounts.reset_password(db, "anna", "a brand new passphrase")
        assert accounts.principal_for_session(db, anna.id, epoch) is None
        with pytest.raises(AccountError):
            accounts.authenticate(db, "anna", GOOD, "10.0.0.2")
        accounts.authenticate(db, "anna", "a brand new passphrase", "10.0.0.2")

        accounts.set_disabled(db, "anna", True)
        with pytest.raises(AccountError, match="disabled"):
            accounts.authenticate(db, "anna", "a brand new passphrase", "10.0.0.3")
        accounts.set_disabled(db, "anna", False)
        accounts.authenticate(db, "anna", "a brand new passphrase", "10.0.0.3")
    finally:
        db.dispose()


def test_login_throttling_is_stored(db_url: str) -> None:
    db = _db(db_url)
    try:
        accounts.create_user(db, "anna", GOOD, "athlete")
        rules = account_rules()
        for i in range(rules.max_failures):
            with pytest.raises(AccountError, match="wrong"):
                accounts.authenticate(db, "anna", "wrong guess", f"10.0.1.{i}", now=NOW)
        # now even the right password waits: the name has failed too often (from any address)
        with pytest.raises(AccountError, match="too many failed logins"):
            accounts.authenticate(db, "anna", GOOD, "10.9.9.9", now=NOW + timedelta(minutes=1))
        later = NOW + timedelta(minutes=rules.failure_window_minutes + 1)
        assert accounts.authenticate(db, "anna", GOOD, "10.9.9.9", now=later).principal.username == "anna"
    finally:
        db.dispose()


def _principal(db: Database, username: str, password: str = GOOD) -> Principal:
    return accounts.authenticate(db, username, password, "127.0.0.1").principal


def test_invites_links_and_audit(db_url: str) -> None:
    db = _db(db_url)
    try:
        anna_info = accounts.create_user(db, "anna", GOOD, "athlete", display_name="Anna Berg")
        accounts.create_user(db, "ben", GOOD, "athlete")
        accounts.create_user(db, "cleo", GOOD, "clinician", display_name="Cleo Physio")
        anna, ben, cleo = (_principal(db, name) for name in ("anna", "ben", "cleo"))
        with pytest.raises(AccountError, match="coach or physio"):
            accounts.create_invite(db, anna)
        code, expires = accounts.create_invite(db, cleo, now=NOW)
        assert expires == NOW + timedelta(days=account_rules().invite_valid_days) and "-" in code
        with pytest.raises(AccountError, match="only an athlete"):
            accounts.accept_invite(db, cleo, code)
        link = accounts.accept_invite(db, anna, code.lower().replace("-", " "), now=NOW)  # typed loosely
        assert link.active and link.clinician_name == "Cleo Physio"
        with pytest.raises(AccountError, match="not valid"):
            accounts.accept_invite(db, ben, code)  # one use only
        assert _principal(db, "cleo").linked == frozenset({anna_info.athlete_id})
        assert [team.clinician_name for team in accounts.care_team(db, anna.athlete_id)] == ["Cleo Physio"]

        # an expired code is refused
        late_code, _ = accounts.create_invite(db, cleo, now=NOW - timedelta(days=30))
        with pytest.raises(AccountError, match="not valid"):
            accounts.accept_invite(db, ben, late_code, now=NOW)

        # Ben cannot end Anna's link, nor learn that it exists
        with pytest.raises(AccountError, match="no such link"):
            accounts.revoke_link(db, ben, link.id)
        accounts.record_audit(db, _principal(db, "cleo"), anna.athlete_id, "read", "viewed /plan", now=NOW)
        ended = accounts.revoke_link(db, anna, link.id, now=NOW + timedelta(hours=1))
        assert not ended.active
        assert _principal(db, "cleo").linked == frozenset()
        log = accounts.audit_log(db, anna.athlete_id)
        assert [event.what for event in log] == [
            "ended a data-sharing link",
            "viewed /plan",
            "shared your data with Cleo Physio",
        ]
        assert accounts.audit_log(db, ben.athlete_id) == []
    finally:
        db.dispose()


def test_session_secret_is_made_once(db_url: str) -> None:
    db = _db(db_url)
    try:
        first = accounts.session_secret(db)
        assert len(first) >= 48 and accounts.session_secret(db) == first
    finally:
        db.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(["invite", "accept", "revoke", "check"]), st.integers(0, 2), st.integers(0, 2)),
        max_size=14,
    )
)
def test_random_invites_and_revokes_never_leak(tmp_path_factory: pytest.TempPathFactory, steps: list) -> None:
    """Whatever the order of invitations, acceptances and revocations, a clinician reaches exactly the athletes
    whose last word was "accept" (a model of the links, checked against ``may`` after every step)."""
    folder = tmp_path_factory.mktemp("links")
    db = Database(f"sqlite:///{folder / 'links.sqlite'}")
    try:
        athletes = [accounts.create_user(db, f"athlete{i}", GOOD, "athlete") for i in range(3)]
        clinicians = [accounts.create_user(db, f"clinician{i}", GOOD, "clinician") for i in range(3)]
        codes: dict[int, list[str]] = {i: [] for i in range(3)}
        model: set[tuple[int, int]] = set()  # (clinician index, athlete index)
        for kind, c, a in steps:
            clinician = accounts.principal_for_session(db, clinicians[c].id, 0)
            athlete = accounts.principal_for_session(db, athletes[a].id, 0)
            assert clinician is not None and athlete is not None
            if kind == "invite":
                codes[c].append(accounts.create_invite(db, clinician)[0])
            elif kind == "accept" and codes[c]:
                accounts.accept_invite(db, athlete, codes[c].pop())
                model.add((c, a))
            elif kind == "revoke":
                for link in accounts.care_team(db, athletes[a].athlete_id):
                    if link.active and link.clinician_id == clinicians[c].id:
                        accounts.revoke_link(db, athlete, link.id)
                model.discard((c, a))
            for ci, info in enumerate(clinicians):
                seen = accounts.principal_for_session(db, info.id, 0)
                assert seen is not None
                for ai, athlete_info in enumerate(athletes):
                    allowed = may(seen, Action.READ, athlete_info.athlete_id)
                    assert allowed == ((ci, ai) in model)
                    assert not may(seen, Action.ATHLETE_WRITE, athlete_info.athlete_id)
    finally:
        db.dispose()


def test_the_audit_log_names_pages_in_plain_words() -> None:
    from gluteguard.accounts.policy import audit_words

    assert audit_words("/", True) == "looked at your Today page"
    assert audit_words("/plan/explain", True) == "looked at your plan"
    assert audit_words("/api/v1/activities/12", True) == "looked at your runs"
    assert audit_words("/clearance", False) == "changed your clearances"
    assert audit_words("/checkins-export", True) == "looked at other pages"  # a prefix must end at a slash
