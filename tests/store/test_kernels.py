"""The kernels of the answering hot path (store/kernels.py), compiled and as plain Python, against reference computations."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import kernels
from store.answering import _Bm25Parts, _top_rows
from store.index import CharGrams, SearchIndex
from store.kernels import (
    FOLLOWING_STEPS_MAX,
    documents_mentioning,
    following_bits,
    following_rows,
    row_table,
    top_rows,
    union_sorted,
)
from tests.store.textkit import store_of_texts

GOLD = Path(__file__).resolve().parents[1] / "data" / "questions.jsonl"
WORDS = ["开发区", "项目", "投资", "增长", "企业", "园区", "产业", "创新", "工业", "出口", "新区", "基地"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """An index over invented texts whose sentences share a small vocabulary (long, overlapping postings)."""
    rng = random.Random(7)
    texts = {}
    for d in range(30):
        sentences = []
        for _ in range(rng.randint(4, 12)):
            words = rng.sample(WORDS, rng.randint(1, 6))
            figure = f"{rng.randint(1, 900)}亿元" if rng.random() < 0.5 else ""
            sentences.append("".join(words) + figure + "。")
        texts[f"doc{d:02d}.txt"] = f"第{d}号园区动态\n" + "".join(sentences)
    store = store_of_texts(tmp_path_factory.mktemp("bm25"), texts)
    return store.index


def _reference(index: SearchIndex, parts: _Bm25Parts, limit: int) -> tuple[list[int], list[float]]:
    """Every row's score added up row by row (float32, in part order); the best `limit`, ties to the earlier row."""
    scores: dict[int, np.float32] = {}
    for rows, weight in zip(parts.rows, parts.weights, strict=True):
        for row in rows.tolist():
            scores[row] = scores.get(row, np.float32(0.0)) + index.norm[row] * weight
    for docs, bonus in parts.doc_bonus:
        for row in scores:
            if int(index.doc_of_row[row]) in set(docs.tolist()):
                scores[row] += np.float32(bonus)
    boost = index.bm25_rows()["boost"]
    final = {row: np.float32(s * boost[row]) for row, s in scores.items()}
    best = sorted(final, key=lambda r: (-final[r], r))[:limit]
    return best, [float(final[r]) for r in best]


def _random_parts(index: SearchIndex, rng: random.Random) -> _Bm25Parts:
    parts = _Bm25Parts()
    for _ in range(rng.randint(1, 6)):
        share = rng.choice([0.02, 0.1, 0.4, 0.8])
        rows = np.flatnonzero(np.random.default_rng(rng.randint(0, 10**6)).random(index.size) < share)
        if len(rows):
            parts.rows.append(rows.astype(np.int32))
            parts.weights.append(np.float32(rng.uniform(0.5, 12.0)))
    if not parts.rows:
        parts.rows.append(np.arange(min(3, index.size), dtype=np.int32))
        parts.weights.append(np.float32(3.0))
    doc_ids = sorted({int(d) for d in index.doc_of_row.tolist()})
    for _ in range(rng.randint(0, 2)):
        docs = np.asarray(sorted(rng.sample(doc_ids, rng.randint(1, 4))), dtype=np.int32)
        parts.doc_bonus.append((docs, rng.uniform(1.0, 9.0)))
    return parts


def test_kernel_top_is_the_reference(index: SearchIndex, mode: str) -> None:
    """On random parts (long, overlapping lists; document bonuses), the kernel gives the reference rows and scores."""
    rng = random.Random(11)
    for _ in range(150):
        parts = _random_parts(index, rng)
        limit = rng.choice([1, 3, 8, 20, 500])
        rows, scores = _top_rows(index, parts, limit)
        want_rows, want_scores = _reference(index, parts, limit)
        assert rows.tolist() == want_rows
        assert scores.tolist() == want_scores
        assert not index.bm25_rows()["score"].any()  # the shared score slots are left zeroed


@st.composite
def _top_cases(draw: st.DrawFn) -> tuple:
    """A row table, parts, bonuses and a limit drawn from few values, so that equal scores (ties) are common."""
    size = draw(st.integers(1, 120))
    norm = np.array(draw(st.lists(st.sampled_from([0.5, 1.0, 1.25, 1.6903]), min_size=size, max_size=size)),
                    dtype=np.float32)
    boost = np.array(draw(st.lists(st.sampled_from([1.0, 1.15]), min_size=size, max_size=size)), dtype=np.float32)
    document = np.cumsum(draw(st.lists(st.booleans(), min_size=size, max_size=size))).astype(np.int32)
    part_rows = draw(st.lists(st.sets(st.integers(0, size - 1), min_size=1), min_size=1, max_size=6))
    weights = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 2.5, 7.3]), min_size=len(part_rows),
                            max_size=len(part_rows)))
    documents = int(document[-1]) + 1
    bonuses = draw(st.lists(st.tuples(st.sets(st.integers(0, documents - 1)), st.sampled_from([0.8, 2.0, 4.47])),
                            max_size=3))
    limit = draw(st.integers(1, size + 3))
    return norm, boost, document, [sorted(r) for r in part_rows], weights, bonuses, limit


def _top_reference(norm: np.ndarray, boost: np.ndarray, document: np.ndarray, part_rows: list[list[int]],
                   weights: list[float], bonuses: list[tuple[set[int], float]], limit: int) -> list[tuple[int, float]]:
    """numpy's float32 sums part after part, each bonus of the row's document, times the boost; best first, ties to
    the earlier row."""
    scores = np.zeros(len(norm), dtype=np.float32)
    for rows, weight in zip(part_rows, weights, strict=True):
        index = np.asarray(rows, dtype=np.int64)
        scores[index] += norm[index] * np.float32(weight)
    touched = sorted({row for rows in part_rows for row in rows})
    final = {}
    for row in touched:
        score = scores[row]
        for docs, bonus in bonuses:
            if int(document[row]) in docs:
                score = np.float32(score + np.float32(bonus))
        final[row] = np.float32(score * boost[row])
    best = sorted(final, key=lambda r: (-final[r], r))[:limit]
    return [(row, float(final[row])) for row in best]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_top_cases())
def test_top_rows_is_the_float32_reference_with_ties(case: tuple, mode: str) -> None:
    """Any parts, weights, document bonuses, boosts and limit (equal scores frequent): the kernel's rows and scores are
    numpy's, in the same order (ties to the earlier row), and the table's score slots are left zero."""
    norm, boost, document, part_rows, weights, bonuses, limit = case
    table = row_table(norm, boost, document)
    postings = np.concatenate([np.asarray(r, dtype=np.int32) for r in part_rows])
    offsets = np.zeros(len(part_rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in part_rows], out=offsets[1:])
    bonus_documents = np.zeros((len(bonuses), int(document[-1]) + 1), dtype=np.bool_)
    for k, (docs, _bonus) in enumerate(bonuses):
        bonus_documents[k, sorted(docs)] = True
    bonus_values = np.array([bonus for _docs, bonus in bonuses], dtype=np.float32)
    rows, scores = top_rows(postings, offsets, np.array(weights, dtype=np.float32), table, bonus_documents,
                            bonus_values, limit)
    assert list(zip(rows.tolist(), scores.tolist(), strict=True)) == _top_reference(
        norm, boost, document, part_rows, weights, bonuses, limit)
    assert not table["score"].any()


def _random_layout(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Row → document and row → paragraph arrays: documents of 1–40 rows in order, paragraphs of 1–6 rows."""
    doc_of_row = np.repeat(np.arange(size), rng.integers(1, 40, size))[:size].astype(np.int32)
    para_of_row = np.repeat(np.arange(size), rng.integers(1, 6, size))[:size].astype(np.int32)
    return doc_of_row, para_of_row


def test_following_rows_are_the_next_sentences_of_the_paragraph(mode: str) -> None:
    """Rows one or two after each given row, in its document and paragraph: sorted, unique, none missed."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        size = int(rng.integers(1, 400))
        doc_of_row, para_of_row = _random_layout(rng, size)
        rows = np.flatnonzero(rng.random(size) < rng.choice([0.02, 0.3, 0.9])).astype(np.int32)
        steps = int(rng.integers(1, FOLLOWING_STEPS_MAX + 1))
        want = sorted({r + k for r in rows.tolist() for k in range(1, steps + 1) if r + k < size
                       and doc_of_row[r + k] == doc_of_row[r] and para_of_row[r + k] == para_of_row[r]})
        assert following_rows(rows, following_bits(doc_of_row, para_of_row), steps).tolist() == want


def test_documents_mentioning_counts_and_lead(mode: str) -> None:
    """Documents named often enough, or early enough when the name lies in few documents."""
    rng = np.random.default_rng(9)
    for _ in range(200):
        size = int(rng.integers(1, 400))
        doc_of_row, _para = _random_layout(rng, size)
        rows = np.flatnonzero(rng.random(size) < rng.choice([0.02, 0.2, 0.7])).astype(np.int32)
        min_mentions, lead, max_docs = int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(0, 20))
        docs = [int(d) for d in doc_of_row[rows].tolist()]
        found = sorted(set(docs))
        first_row = {d: min(r for r in range(size) if doc_of_row[r] == d) for d in found}
        earliest = {d: min(int(r) for r in rows.tolist() if doc_of_row[r] == d) for d in found}
        want = [d for d in found if docs.count(d) >= min_mentions
                or (len(found) <= max_docs and earliest[d] - first_row[d] < lead)]
        assert documents_mentioning(rows, doc_of_row, min_mentions, lead, max_docs).tolist() == want


def test_union_sorted_is_the_set_union(mode: str) -> None:
    """Any number of sorted, unique lists (empty, overlapping, disjoint, nested) give their sorted union."""
    rng = np.random.default_rng(3)
    for _ in range(300):
        span = int(rng.integers(1, 2_000))
        lists = [np.flatnonzero(rng.random(span) < rng.choice([0.0, 0.01, 0.3, 1.0])).astype(np.int32)
                 for _ in range(int(rng.integers(0, 6)))]
        want = sorted(set().union(*(set(x.tolist()) for x in lists)))
        got = union_sorted(lists)
        assert got.dtype == np.int32
        assert got.tolist() == want


def test_pair_find_gives_every_start_of_the_needle(mode: str) -> None:
    """Every (overlapping) occurrence of needles of 2–6 characters in texts over a small alphabet, and no other."""
    rng = random.Random(17)
    for _ in range(300):
        blob = "".join(rng.choice("青岛开发区ab") for _ in range(rng.randint(0, 300)))
        grams = CharGrams.build(blob)
        for _ in range(5):
            needle = "".join(rng.choice("青岛开发区ab") for _ in range(rng.randint(2, 6)))
            want = [i for i in range(len(blob)) if blob.startswith(needle, i)]
            found = grams.find(needle)
            assert found is not None
            assert found.tolist() == want


def test_a_kernel_compiles_where_numba_cannot_cache_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """No writable cache directory (numba refuses cache=True): the kernel is compiled uncached, with a warning."""
    import numba

    real_njit = numba.njit

    def njit_without_cache_directory(**options: object) -> object:
        if options.get("cache"):
            raise RuntimeError("cannot cache function 'add_one': no locator available for file 'kernels.py'")
        return real_njit(**options)

    monkeypatch.setattr(numba, "njit", njit_without_cache_directory)

    def add_one(values: np.ndarray) -> np.ndarray:
        return values + 1

    with caplog.at_level(logging.WARNING, logger="store.kernels"):
        fast = kernels._jit(add_one, dict(add_one.__globals__))
    assert fast(np.arange(3)).tolist() == [1, 2, 3]
    assert "cannot cache add_one" in caplog.text


def test_a_kernel_runs_plain_until_handed_a_large_array(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small arrays: the plain function, no compilation; one longer than COMPILE_FROM_ELEMENTS compiles first."""
    compiles: list[int] = []

    def double(values: np.ndarray) -> np.ndarray:
        return values * 2

    kernel = kernels.Kernel(double)

    def fake_compile_now() -> None:
        compiles.append(1)
        kernel.fast = lambda values: values * 3  # stands for the machine code: tells which form ran

    monkeypatch.setattr(kernels, "compile_now", fake_compile_now)
    monkeypatch.setattr(kernels, "COMPILE_FROM_ELEMENTS", 5)
    assert kernel(np.arange(5)).tolist() == [0, 2, 4, 6, 8]
    assert not compiles
    assert kernel(np.ones(6, dtype=np.int64)).tolist() == [3] * 6
    assert kernel(np.arange(2)).tolist() == [0, 3]  # compiled once: compiled from then on
    assert compiles == [1]


def test_a_question_to_a_large_index_compiles_the_kernels_first(
    seeded_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From COMPILE_FROM_ROWS sentences on, a question compiles the kernels before it runs one; below, it does not."""
    from store.answering import ask

    index = seeded_store.index
    compiles: list[int] = []
    for kernel in kernels._KERNELS:
        monkeypatch.setattr(kernel, "fast", None)
    monkeypatch.setattr(kernels, "compile_now", lambda: compiles.append(1))
    monkeypatch.setattr(kernels, "COMPILE_FROM_ROWS", index.size + 1)
    ask(index, "京东方青岛项目总投资多少？")
    assert not compiles
    monkeypatch.setattr(kernels, "COMPILE_FROM_ROWS", index.size)
    ask(index, "京东方青岛项目总投资多少？")
    assert compiles == [1]


def test_the_answers_are_the_same_with_plain_kernels(seeded_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every gold question gets the same replies (rows, scores, figures) from the plain and the compiled kernels."""
    from bench.bench_answer import clear_question_caches
    from store.answering import ask

    index = seeded_store.index
    questions = [json.loads(line)["q"] for line in GOLD.read_text("utf-8").splitlines() if line.strip()]

    def replies() -> list[str]:
        out = []
        for question in questions:
            clear_question_caches(index)
            out.append(repr(ask(index, question, limit=5)))
        return out

    compiled = replies()
    for kernel in kernels._KERNELS:
        monkeypatch.setattr(kernel, "fast", None)
    monkeypatch.setattr(kernels, "COMPILE_FROM_ELEMENTS", 10**12)
    assert replies() == compiled
    assert any("81.7亿元" in reply for reply in compiled)
