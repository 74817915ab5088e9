"""Test databases from one place: SQLite files by default, PostgreSQL when TEST_DATABASE_URL is set.

TEST_DATABASE_URL names a PostgreSQL server (tests/pg_server.py starts a throwaway one and sets
it); each call of `database_url` then creates a fresh database on that server.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest

ENV = "TEST_DATABASE_URL"
_counter = itertools.count()


def server_url() -> str | None:
    """The PostgreSQL server the suite runs against, or None for SQLite."""
    return os.environ.get(ENV) or None


def on_postgres() -> bool:
    """True when this pass runs on PostgreSQL."""
    return server_url() is not None


def database_url(directory: Path, name: str = "bot") -> str:
    """A new, empty database: `<directory>/<name>.db` on SQLite, a new database on the server."""
    server = server_url()
    if server is None:
        return f"sqlite:///{directory / name}.db"
    from sqlalchemy import create_engine, text

    db_name = re.sub(r"[^a-z0-9_]", "_", f"t{os.getpid()}_{next(_counter)}_{name}".lower())[:60]
    base, _, _ = server.rpartition("/")
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    finally:
        engine.dispose()
    return f"{base}/{db_name}"


sqlite_only = pytest.mark.skipif(on_postgres(), reason="about SQLite files (this pass is PostgreSQL)")
