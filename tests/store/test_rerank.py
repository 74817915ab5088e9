"""The rerank's shortcuts give what the full per-sentence checks give (matching, the coverage bound)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from store import answering as A
from store.index import SearchIndex
from store.metrics import word_synonyms
from store.normalize import strip_pinyin_glosses
from store.service import FactStore
from tests.store.conftest import load_jsonl


def _plan_of(plain: list[tuple[str, float]], metric_surfaces: tuple[str, ...] = ()) -> A._QueryPlan:
    return A._QueryPlan(
        plain=plain, entities=[], total=sum(w for _t, w in plain), qyears_by_doc={}, metric_surfaces=metric_surfaces,
        clause=[((t,), w) for t, w in plain],
    )


def test_weight_in_counts_each_group_once_in_group_order() -> None:
    groups = [(("绿色", "低碳"), 1.25), (("项目",), 0.5), (("缺席",), 4.0)]
    assert A._weight_in(groups, "绿色低碳项目") == 1.25 + 0.5
    assert A._weight_in(groups, "其他") == 0
    # The same additions, in the same order, as sum() over the matched weights.
    weights = [0.1, 0.2, 0.3, 0.7]
    assert A._weight_in([((str(i),), w) for i, w in enumerate(weights)], "0123") == sum(weights)


def test_matched_finds_what_find_finds() -> None:
    word = next(w for w in ("获批", "批复", "开工") if word_synonyms(w))
    other = word_synonyms(word)[0]
    plan = _plan_of([(word, 1.0), ("园区", 0.5), (A.METRIC_TERM, 2.0)], metric_surfaces=("地区生产总值", "gdp"))
    for text in (f"今年{other}园区", "gdp增长", f"{word}", "无关", "地区生产总值和园区"):
        expected = sum(w for t, w in plan.plain if A._find(plan, t, text) >= 0)
        assert A._matched(plan, text) == expected, text


QUESTIONS = [q["q"] for q in load_jsonl("questions.jsonl")][:20]


def test_candidates_turned_down_early_could_not_be_shown(seeded_store: FactStore) -> None:
    """A candidate turned down before its entities are checked has a coverage below the minimum with them."""
    index = seeded_store.index
    checked = 0
    for question, row, pq, plan in _candidates(seeded_store, QUESTIONS):
        if _one_row(index, row, pq, plan).missing != A.PLACE_OR_CONTENT:
            continue
        text = strip_pinyin_glosses(index.search_text(row))
        doc_id = int(index.doc_of_row[row])
        doc = index.documents.get(doc_id)
        matched = A._matched(plan, text)
        if doc is not None and matched < plan.plain_total:
            title = index.doc_text_lower(doc_id)
            matched += A.SUBJECT_IN_DOCUMENT * sum(
                w for t, w in plan.plain if t != A.METRIC_TERM and len(t) >= 2 and t not in text and t in title
            )
        evidence = A._entity_evidence(index, A._sentence(index, row), pq, plan)
        topic_missing = plan.plain_total > 0 and matched / plan.plain_total < A.MIN_TOPIC_COVERAGE
        coverage = (matched + evidence.weight) / plan.total if evidence is not None and plan.total > 0 else 0.0
        assert topic_missing or coverage < A.MIN_COVERAGE, (question, row)
        checked += 1
    assert checked > 0


def _one_row(index: SearchIndex, row: int, pq: A.ParsedQuestion, plan: A._QueryPlan) -> A._Candidate:
    """The rerank of one row alone; a row turned down on its words alone as such (missing PLACE_OR_CONTENT)."""
    cand = A._rows_features(index, [row], pq, plan)[0]
    return cand if cand is not None else A._Candidate(row, 0.0, 0.0, None, (), (), True, A.PLACE_OR_CONTENT)


def _candidates(store: FactStore, questions: list[str]) -> Iterator[tuple[str, int, A.ParsedQuestion, A._QueryPlan]]:
    """Every BM25 candidate of each question, with the question's parse and plan."""
    for question in questions:
        pq = A.parse_question(question, store.index)
        if not pq.terms:
            continue
        plan = A._plan(store.index, pq)
        rows, _scores = A._bm25_candidates(store.index, pq, limit=A.RERANK_DEPTH)
        for row in rows.tolist():
            yield question, row, pq, plan


def test_candidates_read_at_once_are_read_as_one_by_one(seeded_store: FactStore) -> None:
    """The batched rerank gives each row what the one-row rerank gives it; its reads are index.search_text()'s."""
    index = seeded_store.index
    by_question: dict[str, list[int]] = {}
    plans = {}
    for question, row, pq, plan in _candidates(seeded_store, QUESTIONS):
        by_question.setdefault(question, []).append(row)
        plans[question] = (pq, plan)
    assert by_question
    for question, rows in by_question.items():
        pq, plan = plans[question]
        batched = A._rows_features(index, rows, pq, plan)
        for row, cand in zip(rows, batched, strict=True):
            alone = _one_row(index, row, pq, plan)
            if cand is None:
                assert alone.missing == A.PLACE_OR_CONTENT, (question, row)
            else:
                assert cand == alone, (question, row)


def test_a_sentence_reads_its_text_and_the_rows_before_it_in_its_paragraph(seeded_store: FactStore) -> None:
    index = seeded_store.index
    for row in [0, 1, 2, index.size - 1, *range(3, index.size, 7)]:
        sen = A._sentence(index, row)
        paragraph = index.paragraph_rows(row)
        assert sen.previous == list(range(max(paragraph.start, row - 2), row)), row
        assert sen.raw == index.search_text(row)
        assert A._previous_texts(index, sen) == [index.search_text(r) for r in sen.previous]
        assert A._title(index, sen) == (index.doc_text_lower(sen.doc_id) if sen.doc is not None else "")


def test_about_asked_of_a_few_documents_is_documents_about(seeded_store: FactStore) -> None:
    """_is_about() of any document (candidates' or not) is membership in _documents_about()."""
    index = seeded_store.index
    all_docs = sorted(index.documents)
    checked = 0
    for question in QUESTIONS:
        pq = A.parse_question(question, index)
        if not pq.terms:
            continue
        plan = A._plan(index, pq)
        matching = A._matching(plan)
        _rows, _scores = A._bm25_candidates(index, pq, limit=A.RERANK_DEPTH)
        for canon in pq.entities:
            expected = set(A._documents_about(index, pq, canon).tolist())
            assert {d for d in all_docs if A._is_about(index, pq, matching, canon, d)} == expected, (question, canon)
            checked += len(expected)
    assert checked > 0


def test_about_by_few_or_early_mentions_is_documents_about(seeded_store: FactStore) -> None:
    """The same on made-up entities: stretches of sentences, named once early, once late or often."""
    index = seeded_store.index
    pq = A.parse_question(QUESTIONS[0], index)
    plan = A._plan(index, pq)
    matching = A._matching(plan)
    all_docs = sorted(index.documents)
    leads = 0
    for row in range(0, index.size, 3):
        surface = index.search_text(row)[2:6]
        if len(surface) < 4:
            continue
        canon = f"made-up {row}"
        pq.entities[canon] = (surface,)
        expected = set(A._documents_about(index, pq, canon).tolist())
        assert {d for d in all_docs if A._is_about(index, pq, matching, canon, d)} == expected, surface
        rows = A._named_rows(index, pq, canon)
        leads += sum(1 for d in expected if int(np.count_nonzero(index.doc_of_row[rows] == d)) == 1)
    assert leads > 0  # documents about it by an early mention alone were checked
