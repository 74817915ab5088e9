"""Database engine, schema migrations at start and first-use seeding."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, func, select, table
from sqlalchemy.engine import Connection, Engine

from store import migrations
from store.paths import DEFAULT_DATABASE_URL, SEEDS_DIR, normalize_url, sqlite_path

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger(__name__)

# Light table handle: the start-up checks need no SQLModel (its import costs a cold CLI call).
_DOCUMENT = table("document")

# Server connections older than this are replaced before use (PostgreSQL closes idle
# connections, firewalls drop them); pre-ping catches those dropped sooner, at one round trip
# per checkout.
POOL_RECYCLE_SECONDS = 1800

class DatabaseUnavailable(Exception):
    """The database at DATABASE_URL cannot be opened or read; the message is one line naming it."""


def database_problem(url: str, exc: BaseException) -> DatabaseUnavailable | None:
    """A one-line DatabaseUnavailable for a database error (not a file, corrupt, unreachable), else None."""
    import sqlite3

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DatabaseUnavailable):
        return exc
    if isinstance(exc, DBAPIError):
        reason = str(exc.orig)
    elif isinstance(exc, sqlite3.DatabaseError):  # DB-API reads (the index) bypass SQLAlchemy
        reason = str(exc)
    else:
        return None
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: show it as given
        shown = url
    reason = " ".join(reason.split()) or type(exc).__name__
    return DatabaseUnavailable(f"配置错误 DATABASE_URL: {shown} is not a usable database ({reason})")


def make_engine(url: str = DEFAULT_DATABASE_URL) -> Engine:
    """Create an engine; SQLite: create the folder, WAL and foreign keys; servers: pre-ping and recycle."""
    url = normalize_url(url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_recycle=POOL_RECYCLE_SECONDS)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        if path is not None:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


def init_db(engine: Engine) -> None:
    """Bring the schema to the newest migration (creating every table on an empty database)."""
    migrations.upgrade(engine)


def prepare(engine: Engine, *, seed: bool = True, seeds_dir: Path = SEEDS_DIR) -> None:
    """Migrate, and fill an empty database from seeds/, under the migration lock (races are safe)."""
    with migrations.migration_lock(engine) as conn:
        migrations.upgrade_locked(conn)
        empty = not _has_documents(conn)
        conn.rollback()  # end the read, so SQLite's writer below is not behind a reader
        if seed and empty:
            ensure_seeded(engine, seeds_dir)


def is_ready(engine: Engine) -> bool:
    """True when the schema is current and the database holds documents (nothing to prepare)."""
    with engine.connect() as conn:
        return migrations.is_current(conn) and _has_documents(conn)


def _has_documents(conn: Connection) -> bool:
    return bool(conn.execute(select(func.count()).select_from(_DOCUMENT)).scalar())


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session; the caller commits at its unit of work, errors roll back."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except Exception:
            session.rollback()
            raise


def document_count(*, session: Session) -> int:
    """Return how many documents are stored."""
    return int(session.execute(select(func.count()).select_from(_DOCUMENT)).scalar_one())


def ensure_seeded(engine: Engine, seeds_dir: Path = SEEDS_DIR) -> int:
    """Fill an empty database from the seed articles; return how many were ingested."""
    from store.ingest.writer import ingest_paths  # local: ingestion pulls in extraction/jieba

    with session_scope(engine) as session:
        if document_count(session=session) > 0:
            return 0
        seeds = sorted(p for p in seeds_dir.glob("*.txt") if p.is_file())
        reports = ingest_paths(seeds, session=session)
    added = sum(1 for r in reports if r.status == "added")
    log.info("seeded %s documents from %s", added, seeds_dir)
    return added
