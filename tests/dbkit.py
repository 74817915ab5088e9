"""Test databases from one place: SQLite files by default, PostgreSQL when TEST_DATABASE_URL is set.

TEST_DATABASE_URL names a PostgreSQL server (tests/pg_server.py starts a throwaway one and sets
it); each new test database is then a new database on that server. Every fixture and test takes
its database from here.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import os
import re
import shutil
import sqlite3
import tempfile
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


def _create_database(name: str, template: str | None = None) -> str:
    from sqlalchemy import create_engine, text

    server = server_url()
    assert server is not None
    db_name = re.sub(r"[^a-z0-9_]", "_", f"t{os.getpid()}_{next(_counter)}_{name}".lower())[:60]
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{db_name}"{suffix}'))
    finally:
        engine.dispose()
    return f"{server.rpartition('/')[0]}/{db_name}"


def database_url(directory: Path, name: str = "bot") -> str:
    """A new, empty database: `<directory>/<name>.db` on SQLite, a new database on the server."""
    if not on_postgres():
        return f"sqlite:///{directory / name}.db"
    return _create_database(name)


@functools.lru_cache(maxsize=1)
def _seeded_template() -> str:
    """A migrated database filled from seeds/, made once per test process (copied, never used)."""
    from store.service import FactStore

    if on_postgres():
        url = _create_database("template")
    else:
        folder = Path(tempfile.mkdtemp(prefix="seeded-template-"))
        atexit.register(shutil.rmtree, folder, True)
        url = f"sqlite:///{folder / 'bot.db'}"
    FactStore.open(url).engine.dispose()  # no connection left: PostgreSQL copies only idle ones
    return url


def seeded_database_url(directory: Path, name: str = "bot") -> str:
    """A new database holding the seeds (a copy of a template: no re-seeding per test)."""
    template = _seeded_template()
    if on_postgres():
        return _create_database(name, template=template.rpartition("/")[2])
    target = directory / f"{name}.db"
    with sqlite3.connect(template.removeprefix("sqlite:///")) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # WAL included
    return f"sqlite:///{target}"


sqlite_only = pytest.mark.skipif(on_postgres(), reason="about SQLite files (this pass is PostgreSQL)")
