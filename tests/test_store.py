"""Schema and settings: migrations match the models on both databases; URL resolution; SQLite pragmas."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from gluteguard.store.db import Database, DatabaseError, current_revision, head_revision
from gluteguard.store.location import resolve_database_url
from gluteguard.store.models import Base


def test_migrations_build_exactly_the_models(db_url: str) -> None:
    database = Database(db_url)
    try:
        assert current_revision(database.engine) == head_revision()
        with database.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
    finally:
        database.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    first = Database(db_url)
    first.dispose()
    second = Database(db_url)  # opening again runs the (empty) upgrade once more
    assert current_revision(second.engine) == head_revision()
    second.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'wal.sqlite'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    database.dispose()


def test_url_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GLUTEGUARD_DB", raising=False)
    assert resolve_database_url(None).startswith("sqlite:///") and "gluteguard" in resolve_database_url(None)
    monkeypatch.setenv("GLUTEGUARD_DB", str(tmp_path / "env.sqlite"))
    assert resolve_database_url(None) == f"sqlite:///{tmp_path / 'env.sqlite'}"
    assert resolve_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"  # --db wins
    assert resolve_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_unreachable_database_is_one_clear_line() -> None:
    with pytest.raises(DatabaseError) as raised:
        Database("postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
    message = str(raised.value)
    assert "\n" not in message and "secret" not in message and "cannot open database" in message


def test_codec_names_fit_their_column() -> None:
    from gluteguard.store.codec import CODEC_NAME, PLAIN_CODEC_NAME
    from gluteguard.store.models import ActivityStream

    limit = ActivityStream.__table__.c.codec.type.length
    assert len(CODEC_NAME) <= limit and len(PLAIN_CODEC_NAME) <= limit  # PostgreSQL enforces it, SQLite not
