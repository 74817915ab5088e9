"""Start-up reads of a SQLite file through the standard library, not SQLAlchemy.

A cold CLI call (`python -m bot ask`) answers from the index snapshot; all it needs from the
database is "schema current?", the document-set version and the documents' ids, hashes and
names. Importing SQLAlchemy for that costs about 0.25 s — some 40 % of the whole call at 1k
articles — so on SQLite files these reads (fixed SELECTs, no parameters) use sqlite3 until the
store creates its engine; every other read and write goes through SQLAlchemy (store/db.py,
store/index.py, store/snapshot.py, store/documents.py …).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)


def _current(conn: sqlite3.Connection, head: str) -> bool:
    version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return version is not None and version[0] == head


def stored_documents(path: Path, head: str) -> list[tuple[int, str, str]] | None:
    """(id, content hash, name) of every document when the schema is at `head` and there are some, else None."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(path)
        try:
            conn.execute("BEGIN")  # both reads from one commit
            if not _current(conn, head):
                return None
            rows = conn.execute("SELECT id, content_hash, name FROM document").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:  # no such table, not a database …: the full path decides
        log.debug("sqlite probe of %s: %s", path, exc)
        return None
    return [(int(i), str(h), str(n)) for i, h, n in rows] or None


def document_set_version(path: Path, head: str) -> tuple[bool, int | None]:
    """(read at all, version): the document-set version of a current-schema file (None: no change yet)."""
    try:
        conn = sqlite3.connect(path)
        try:
            if not _current(conn, head):
                return False, None
            row = conn.execute("SELECT version FROM documentset WHERE id = 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.debug("sqlite probe of %s: %s", path, exc)
        return False, None
    return True, int(row[0]) if row else None
