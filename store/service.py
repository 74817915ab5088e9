"""FactStore: the one object the CLI and the bot use to reach documents, facts and answers."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from store.views import Answer, DocumentInfo, FactHit, IngestReport, SentenceHit

log = logging.getLogger(__name__)


class FactStore:
    """Documents, facts and the in-memory answering index over one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, database_url: str, *, seed: bool = True) -> FactStore:
        """Open (and create) the database; fill it from seeds/ when empty and `seed` is set."""
        raise NotImplementedError

    def warm(self) -> None:
        """Load jieba and build the index now rather than on the first question."""
        raise NotImplementedError

    def ask(self, question: str, *, limit: int = 5) -> list[Answer]:
        """Answer a Chinese question: best answer first; empty when the corpus cannot answer."""
        raise NotImplementedError

    def suggestions(self, question: str, *, limit: int = 5) -> list[str]:
        """Closest known entity names for a question that got no answer."""
        raise NotImplementedError

    def documents(self) -> list[DocumentInfo]:
        """All documents, oldest ingestion first (their `id` is the number users type)."""
        raise NotImplementedError

    def document(self, doc_id: int) -> DocumentInfo | None:
        """One document by id, or None."""
        raise NotImplementedError

    def key_facts(self, doc_id: int, *, limit: int = 8) -> list[FactHit]:
        """The most informative figures of one document (money, counts, targets first)."""
        raise NotImplementedError

    def paragraph(self, sentence_id: int) -> str | None:
        """The whole paragraph a sentence belongs to."""
        raise NotImplementedError

    def targets(self, region: str | None = None) -> dict[str, list[FactHit]]:
        """Target facts (plans, goals) grouped by region, optionally for one region (aliases ok)."""
        raise NotImplementedError

    def projects(self, keyword: str | None = None) -> list[FactHit]:
        """Investment figures of projects, largest first, optionally filtered by keyword."""
        raise NotImplementedError

    def search(self, keyword: str, *, limit: int = 50) -> list[SentenceHit]:
        """Sentences containing the keyword (aliases and traditional characters understood)."""
        raise NotImplementedError

    def ingest_paths(self, paths: Iterable[str | Path]) -> list[IngestReport]:
        """Ingest files or folders, then refresh the index; one report per file."""
        raise NotImplementedError

    def ingest_bytes(self, data: bytes, *, name: str) -> IngestReport:
        """Ingest one uploaded file's bytes, then refresh the index."""
        raise NotImplementedError

    def facts(self) -> Iterator[dict[str, Any]]:
        """Every fact as a `facts --jsonl` object (doc, kind, span, value, unit, target, period, sentence…)."""
        raise NotImplementedError
