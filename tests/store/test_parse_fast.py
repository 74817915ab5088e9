"""The question parser's fast paths give exactly what the plain computations they replace give."""

from __future__ import annotations

import numpy as np
import pytest

from store import answering
from store.service import FactStore
from tests.store.conftest import load_jsonl

QUESTIONS = [q["q"] for name in ("questions.jsonl", "own_questions.jsonl", "blind_questions.jsonl")
             for q in load_jsonl(name)]


def test_parent_documents_are_those_naming_the_zones_city_twice(seeded_store: FactStore) -> None:
    index = seeded_store.index
    checked = 0
    for question in QUESTIONS:
        pq = answering.parse_question(question, index)
        plan = answering._plan(index, pq)
        for canon, docs in plan.parent_docs.items():
            rows = answering._entity_rows(index, plan.parents[canon][:2])
            found, counts = np.unique(index.doc_of_row[rows], return_counts=True)
            assert docs == set(found[counts >= answering.ABOUT_MIN_MENTIONS].tolist()), question
            checked += 1
    assert checked > 10


def test_the_zone_city_table_gives_what_each_question_would_read(
    seeded_store: FactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = seeded_store.index
    answering.prepare(index)
    assert answering.built_already(answering._ZONE_CITIES, (index.doc_keys,))
    parsed = [answering.parse_question(q, index) for q in QUESTIONS]
    with_table = [answering._plan(index, pq) for pq in parsed]
    monkeypatch.setattr(answering, "built_already", lambda name, sources: None)
    without = [answering._plan(index, pq) for pq in parsed]
    assert sum(bool(p.parent_named) for p in with_table) > 10
    for a, b in zip(with_table, without, strict=True):
        assert (a.parent_named, a.parent_docs) == (b.parent_named, b.parent_docs)
