"""Database connection: URL resolution, SQLite pragmas, and migrations to the latest schema on start."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
# ``revision = "0007"`` / ``down_revision = "0006"`` at the top of each migration script.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


class DatabaseError(Exception):
    """The database cannot be opened or migrated; the message is one line for the user."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets the web app read while an import writes; NORMAL sync is safe with WAL and much faster.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database (None when it has none yet).

    Read with plain SQL: importing Alembic (~0.1 s) on every open would make every command pay for an upgrade
    that is rarely due. Only a table holding several revisions (branches) is left to Alembic.
    """
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        revisions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        if len(revisions) <= 1:
            return revisions[0] if revisions else None
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(connection).get_current_revision()  # raises: more than one head


@cache
def _head_from_scripts() -> str | None:
    """The newest revision read from the migration scripts' text (no Alembic import), or None when the chain is
    anything but one plain line of single parents (then Alembic decides)."""
    parents: dict[str, str | None] = {}
    for script in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        if script.name.startswith("_"):
            continue
        found = dict(match.groups() for match in _REVISION_LINE.finditer(script.read_text(encoding="utf-8")))
        try:
            revision, parent = ast.literal_eval(found["revision"]), ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or not (parent is None or isinstance(parent, str)) or revision in parents:
            return None
        parents[revision] = parent
    if any(parent is not None and parent not in parents for parent in parents.values()):
        return None
    heads = set(parents) - set(parents.values())
    return heads.pop() if len(heads) == 1 else None


def head_revision() -> str | None:
    """The newest schema revision this version of gluteguard knows."""
    head = _head_from_scripts()
    if head is not None:
        return head
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the schema to the newest migration; returns (revision before, revision after).

    Alembic is imported only when an upgrade is due, so opening a current database stays cheap."""
    before = current_revision(engine)
    if before == head_revision():
        return before, before
    from alembic import command

    command.upgrade(_alembic_config(engine), "head")
    return before, current_revision(engine)


class Database:
    """An engine with its schema at the latest revision, and sessions on it."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        try:
            self.engine = make_engine(url)
            if migrate:
                upgrade(self.engine)
        except Exception as exc:
            raise DatabaseError(
                f"cannot open database {_redacted(url)}: {exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}"
            ) from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls back everything on an error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
