"""The document set as a whole: its version counter, and deleting or renaming documents."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlmodel import Session

from store.models import Document, DocumentSet, Fact, Sentence

log = logging.getLogger(__name__)

_VERSION_TABLE: Table = DocumentSet.__table__  # type: ignore[attr-defined]
_DOCUMENT_TABLE: Table = Document.__table__  # type: ignore[attr-defined]
_SENTENCE_TABLE: Table = Sentence.__table__  # type: ignore[attr-defined]
_FACT_TABLE: Table = Fact.__table__  # type: ignore[attr-defined]


def bump_version(*, session: Session) -> None:
    """Mark the document set changed, inside the caller's transaction (before its commit)."""
    conn = session.connection()
    table = _VERSION_TABLE.c
    bumped = conn.execute(update(_VERSION_TABLE).where(table.id == 1).values(version=table.version + 1))
    if not bumped.rowcount:
        conn.execute(insert(_VERSION_TABLE).values(id=1, version=1))


def read_version(connect: Callable[[], Any]) -> int | None:
    """The document-set version (one indexed row: cheap enough to poll); None before any change.

    `connect` returns a SQLAlchemy Connection; the table exists from migration 0003 on.
    """
    table = _VERSION_TABLE.c
    with connect() as conn:
        version = conn.execute(select(table.version).where(table.id == 1)).scalar()
    return int(version) if version is not None else None


def delete_documents(ids: Iterable[int], *, session: Session) -> None:
    """Delete documents with their sentences and facts, in the caller's transaction."""
    ids = list(ids)
    if not ids:
        return
    conn = session.connection()
    conn.execute(delete(_FACT_TABLE).where(_FACT_TABLE.c.document_id.in_(ids)))
    conn.execute(delete(_SENTENCE_TABLE).where(_SENTENCE_TABLE.c.document_id.in_(ids)))
    conn.execute(delete(_DOCUMENT_TABLE).where(_DOCUMENT_TABLE.c.id.in_(ids)))
    bump_version(session=session)


def free_name(name: str, *, session: Session) -> str:
    """`name` with the first free number added (新建文本文档-2.txt), for a second document so named."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    docs = _DOCUMENT_TABLE.c
    rows = session.connection().execute(select(docs.name).where(docs.name.startswith(stem, autoescape=True)))
    taken = {str(r[0]) for r in rows}
    number = 2
    while (candidate := f"{stem}-{number}{dot}{suffix}") in taken:
        number += 1
    return candidate


def replace_document(old_id: int, new_id: int, *, session: Session) -> bool:
    """Let document `new_id` take the place (and the name) of `old_id`, which is deleted; commits.

    False when either is gone (already replaced, or deleted meanwhile).
    """
    docs = _DOCUMENT_TABLE.c
    conn = session.connection()
    old_name = conn.execute(select(docs.name).where(docs.id == old_id)).scalar()
    exists = conn.execute(select(docs.id).where(docs.id == new_id)).scalar()
    if old_name is None or exists is None or old_id == new_id:
        session.rollback()
        return False
    delete_documents([old_id], session=session)
    conn.execute(update(_DOCUMENT_TABLE).where(docs.id == new_id).values(name=old_name))
    session.commit()
    log.info("document %s replaced by %s (%s)", old_id, new_id, old_name)
    return True
