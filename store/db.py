"""Database engine, schema creation and first-use seeding."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine, func, select

import store.subscriptions  # noqa: F401  (registers the push tables for init_db)
from store import models
from store.paths import DEFAULT_DATABASE_URL, SEEDS_DIR, sqlite_path

log = logging.getLogger(__name__)


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
    """Create an engine; for SQLite, create the folder and enable WAL and foreign keys."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"check_same_thread": False, "timeout": 30} if url.startswith("sqlite") else {}
    engine = create_engine(url, connect_args=connect_args)
    if url.startswith("sqlite"):

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
    """Create every table that does not exist yet."""
    _ = models  # the tables register themselves on import
    SQLModel.metadata.create_all(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session; the caller commits at its unit of work, errors roll back."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except Exception:
            session.rollback()
            raise


def document_count(*, session: Session) -> int:
    """Return how many documents are stored."""
    return int(session.exec(select(func.count()).select_from(models.Document)).one())


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
