"""Schema migrations (Alembic, run in-process): upgrade to the newest revision under a lock.

The revision files live in versions/ and are numbered (0001_…, 0002_…); a revision's id is its
number, so the newest revision is known without importing Alembic or SQLAlchemy (cheap check at
every start).
A database made by create_all before migrations existed (tables, no alembic_version) is stamped
at 0001 — the schema of that time — and upgraded from there.
"""

from __future__ import annotations

import fcntl
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

SCRIPT_DIR = Path(__file__).resolve().parent
VERSIONS_DIR = SCRIPT_DIR / "versions"
BASELINE = "0001"  # the schema create_all made at commit 76270fd
# pg_advisory_lock key shared by every process migrating the same database ("devn" in ASCII).
_PG_LOCK_KEY = 0x6465766E
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")
VERSION_TABLE = "alembic_version"


@cache
def head_revision() -> str:
    """The newest revision: the highest-numbered file in versions/."""
    numbers = [m.group(1) for p in VERSIONS_DIR.iterdir() if (m := _REVISION_FILE.match(p.name))]
    return max(numbers)


def current_revision(conn: Connection) -> str | None:
    """The revision a database is at, or None when it has never been migrated."""
    from sqlalchemy import column, inspect, select, table

    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(select(column("version_num")).select_from(table(VERSION_TABLE))).scalar()


def is_current(conn: Connection) -> bool:
    """True when the database is at the newest revision."""
    return current_revision(conn) == head_revision()


@contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection held under the database-wide migration lock.

    PostgreSQL: a session advisory lock. SQLite file: an exclusive lock on `<file>.lock`
    beside it (fcntl, released when the process dies). In-memory SQLite needs none.
    """
    from sqlalchemy import func, select

    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_lock(_PG_LOCK_KEY)))
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(select(func.pg_advisory_unlock(_PG_LOCK_KEY)))
                conn.commit()
            return
        database = engine.url.database if conn.dialect.name == "sqlite" else None
        if not database or database == ":memory:" or database.startswith("file:"):
            yield conn
            return
        with open(f"{database}.lock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield conn
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _config(conn: Connection) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade_locked(conn: Connection, revision: str = "head") -> list[str]:
    """Upgrade on a connection that holds the migration lock; return [from, to] when it moved."""
    from alembic import command
    from sqlalchemy import inspect

    before = current_revision(conn)
    if revision == "head" and before == head_revision():
        return []
    cfg = _config(conn)
    if before is None and inspect(conn).has_table("document"):
        log.info("database without migration history: stamping it at %s", BASELINE)
        command.stamp(cfg, BASELINE)
        before = BASELINE
    command.upgrade(cfg, revision)
    conn.commit()
    after = current_revision(conn)
    log.info("database schema upgraded from %s to %s", before, after)
    return [str(before), str(after)]


def upgrade(engine: Engine, revision: str = "head") -> list[str]:
    """Bring the database to `revision` (default the newest), safe when processes race."""
    with migration_lock(engine) as conn:
        return upgrade_locked(conn, revision)
