"""Shared fixtures: the real data beside the repo, and fresh databases (SQLite always, PostgreSQL when
``GLUTEGUARD_TEST_PG_URL`` points at a server — ``make test`` starts one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from gluteguard.store.db import Database

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PG_ENV = "GLUTEGUARD_TEST_PG_URL"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not present at {SHARED_DATA} (CI lays ../shared beside the clone)")
    return SHARED_DATA


def _fresh_pg_database(admin_url: str) -> tuple[str, str]:
    name = f"gg_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def _drop_pg_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _throwaway_pg(skip_reason: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped after it (skipped, with the reason, without a server)."""
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        pytest.skip(skip_reason)
    url, name = _fresh_pg_database(admin_url)
    try:
        yield url
    finally:
        _drop_pg_database(admin_url, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    yield from _throwaway_pg(f"PostgreSQL run needs {PG_ENV} (make test starts a throwaway server)")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'only.sqlite'}")
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL of an empty PostgreSQL database (the shared server's only database)."""
    yield from _throwaway_pg(f"the multi-user server runs on PostgreSQL only: needs {PG_ENV} (make test starts one)")
