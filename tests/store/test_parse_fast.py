"""The question parser's fast paths give exactly what the plain computations they replace give."""

from __future__ import annotations

import numpy as np

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
