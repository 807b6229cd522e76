"""Where the database is: ``--db``, then ``GLUTEGUARD_DB``, then the per-user SQLite file.

The standard library (and platformdirs) only: ``gluteguard today`` asks this before anything heavy is imported.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_DB = "GLUTEGUARD_DB"
__all__ = ["ENV_DB", "default_database_url", "resolve_database_url", "sqlite_path"]


def default_database_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("gluteguard", appauthor=False))
    return f"sqlite:///{data_dir / 'gluteguard.sqlite'}"


def resolve_database_url(cli_value: str | None = None) -> str:
    """``--db`` wins over ``GLUTEGUARD_DB``, which wins over the per-user SQLite file.

    A bare path (no ``scheme://``) means a SQLite file at that path.
    """
    value = cli_value or os.environ.get(ENV_DB) or default_database_url()
    if "://" not in value:
        value = f"sqlite:///{Path(value).expanduser().resolve()}"
    if value.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask SQLAlchemy for psycopg2.
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``sqlite:///path``); None for another database or an in-memory one."""
    if not url.startswith("sqlite:///"):
        return None
    database = url.split("///", 1)[1].split("?", 1)[0]
    return Path(database) if database and database != ":memory:" else None
