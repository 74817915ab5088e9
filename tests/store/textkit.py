"""A fact store over a few invented texts, and its top answer's figure: the answering tests' shared setup."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from store.service import FactStore
from tests.dbkit import database_url


def store_of_texts(folder: Path, texts: Mapping[str, str]) -> FactStore:
    """Write `texts` (file name → text) into `folder` and ingest them into a fresh store without seeds."""
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    fact_store = FactStore.open(database_url(folder), seed=False)
    reports = fact_store.ingest_paths(sorted(folder.glob("*.txt")))
    assert all(r.ok for r in reports), [r for r in reports if not r.ok]
    return fact_store


def top_figure(store: FactStore, question: str) -> str | None:
    """The bold figure of the top answer, or None when the store gives no answer."""
    answers = store.ask(question)
    return answers[0].figure if answers else None
