"""The BM25 top of the answering hot path: the compiled kernel gives exactly the reference rows and scores."""

from __future__ import annotations

import random

import numpy as np
import pytest

from store.answering import _Bm25Parts, _top_rows
from store.index import SearchIndex
from tests.store.textkit import store_of_texts

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


def test_kernel_top_is_the_reference(index: SearchIndex) -> None:
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
