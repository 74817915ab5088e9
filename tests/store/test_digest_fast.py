"""The digest's shared per-corpus lookups choose exactly what the straightforward per-chat scan chose.

The reference functions below are the selection as it was written before the corpus index
(re-ranking and re-filtering the whole corpus for every chat); they are the specification the
fast path is checked against, on generated corpora and chats and on the seeded database.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence, Set
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.digest import build_digest
from store.digest import (
    Corpus,
    DigestDocument,
    DigestFact,
    DigestOutcome,
    matches_topics,
    new_documents,
    next_in_rotation,
    normalize_topic,
    outcome_matches,
    rank_facts,
    rotation_order,
    select_digest,
    top_figures,
    topic_facts,
)

T0 = datetime(2024, 5, 1, tzinfo=UTC)
DAY = date(2024, 5, 2)


# --- the reference: the selection before the index, verbatim in behaviour ---------------------


def _fold_reference(text: str) -> str:
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)
    return folded.strip().casefold()


def ref_rotation_order(corpus: Corpus, topics: Sequence[str] = ()) -> list[DigestFact]:
    per_doc: dict[int, list[DigestFact]] = {}
    for fact in corpus.facts:
        if not (fact.kind in {"money", "count", "percent", "area", "rank"} or fact.target):
            continue
        if matches_topics(fact, corpus.document(fact.document_id), topics):
            per_doc.setdefault(fact.document_id, []).append(fact)
    queues = [rank_facts(facts) for _, facts in sorted(per_doc.items())]
    order: list[DigestFact] = []
    seen_spans: set[tuple[int, str]] = set()
    depth = 0
    while any(depth < len(q) for q in queues):
        for queue in queues:
            if depth < len(queue):
                fact = queue[depth]
                if (fact.document_id, fact.span) not in seen_spans:
                    seen_spans.add((fact.document_id, fact.span))
                    order.append(fact)
        depth += 1
    return order


def _ref_facts_of(corpus: Corpus, doc_id: int) -> list[DigestFact]:
    return [f for f in corpus.facts if f.document_id == doc_id]


def _ref_document_matches(corpus: Corpus, doc: DigestDocument, topics: Sequence[str]) -> bool:
    head = _fold_reference(" ".join((doc.title, *doc.regions)))
    if any(_fold_reference(t) in head for t in topics if t.strip()):
        return True
    if any(outcome_matches(o, topics) for o in corpus.outcomes if o.document_id == doc.id):
        return True
    return any(matches_topics(f, doc, topics) for f in _ref_facts_of(corpus, doc.id))


def ref_new_documents(
    corpus: Corpus, *, since: datetime | None, topics: Sequence[str] = (), limit: int | None = None
) -> list[DigestDocument]:
    docs = []
    for doc in corpus.documents:
        if since is not None and (doc.ingested_at is None or doc.ingested_at <= since):
            continue
        if topics and not _ref_document_matches(corpus, doc, topics):
            continue
        docs.append(doc)
    return docs if limit is None else docs[:limit]


def ref_topic_facts(corpus: Corpus, doc_id: int, topics: Sequence[str]) -> list[DigestFact]:
    doc = corpus.document(doc_id)
    return [f for f in _ref_facts_of(corpus, doc_id) if matches_topics(f, doc, topics)]


def ref_next_in_rotation(
    corpus: Corpus, topics: Sequence[str], *, sent_ids: Set[int], shown: Set[int], limit: int
) -> tuple[list[DigestFact], bool]:
    order = ref_rotation_order(corpus, topics)
    remaining = [f for f in order if f.id not in sent_ids and f.id not in shown]
    restarted = False
    if not remaining and order:
        remaining = [f for f in order if f.id not in shown]
        restarted = True
    return remaining[: max(limit, 1)], restarted


def reference_digest(monkeypatch: pytest.MonkeyPatch, corpus: Corpus, **kwargs: object) -> object:
    """`build_digest` (selection and rendering) with the reference selection in place of the index."""
    with monkeypatch.context() as m:
        module = sys.modules[select_digest.__module__]
        for name, ref in (
            ("new_documents", ref_new_documents), ("topic_facts", ref_topic_facts),
            ("next_in_rotation", ref_next_in_rotation),
        ):
            m.setattr(module, name, ref)
        return build_digest(corpus, **kwargs)  # type: ignore[arg-type]


# --- generated corpora and chats ---------------------------------------------------------------

WORDS = ["港口", "投资", "GDP", "ｇｄｐ", "就业", "新区", "Ａ区", "a区", "项目 投资", "区域1"]
KINDS = ["money", "count", "percent", "area", "rank", "date", "duration", "other"]
TIMES = [None, T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2), T0 + timedelta(days=1)]


@st.composite
def corpora(draw: st.DrawFn) -> Corpus:
    n_docs = draw(st.integers(0, 6))
    docs = tuple(
        DigestDocument(
            id=d, title=draw(st.sampled_from(["新区{}号文件", "港口建设", "ＧＤＰ报告", "投资 项目"])).format(d),
            regions=tuple(draw(st.lists(st.sampled_from(["区域1", "青岛", "Ａ区"]), max_size=2))),
            ingested_at=draw(st.sampled_from(TIMES)),
        )
        for d in range(1, n_docs + 1)
    )
    facts = []
    fid = 0
    # Facts may also belong to a document that is not in the corpus (id n_docs + 1).
    for d in range(1, n_docs + 2):
        for _ in range(draw(st.integers(0, 6))):
            fid += draw(st.integers(1, 3))
            words = draw(st.lists(st.sampled_from(WORDS), max_size=3))
            facts.append(DigestFact(
                id=fid, document_id=d, kind=draw(st.sampled_from(KINDS)),
                span=draw(st.sampled_from(["1亿元", "2个", "3%", "4亿元"])),
                sentence="，".join(["今年", *words]) + draw(st.sampled_from(["。", "  ", "　"])),
                label=draw(st.sampled_from(["", "投资", "就业", "GDP"])),
                target=draw(st.booleans()),
                value=draw(st.sampled_from([None, 1.0, 1e9])),
            ))
    outcomes = tuple(
        DigestOutcome(document_id=draw(st.integers(1, max(1, n_docs))), place="青岛", metric=m,
                      year=2024, target="1", result="2", status="met", words=("GDP",) if m == "产值" else ())
        for m in draw(st.lists(st.sampled_from(["就业", "产值"]), max_size=2))
    )
    return Corpus(docs, tuple(facts), outcomes)


topic_lists = st.lists(st.sampled_from([*WORDS, " ", "ａ区", "无关"]), max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus=corpora(), topics=topic_lists, since=st.sampled_from(TIMES), limit=st.sampled_from([None, 0, 1, 2]))
def test_selection_is_the_reference_selection(corpus, topics, since, limit):
    assert rotation_order(corpus, topics) == ref_rotation_order(corpus, topics)
    assert new_documents(corpus, since=since, topics=topics, limit=limit) == ref_new_documents(
        corpus, since=since, topics=topics, limit=limit
    )
    for doc in corpus.documents:
        assert topic_facts(corpus, doc.id, topics) == ref_topic_facts(corpus, doc.id, topics)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    corpus=corpora(), topics=topic_lists, since=st.sampled_from(TIMES), data=st.data(),
    max_items=st.integers(0, 4), max_documents=st.integers(0, 3),
)
def test_digests_over_consecutive_days_are_the_reference_digests(
    monkeypatch, corpus, topics, since, data, max_items, max_documents
):
    ids = [f.id for f in corpus.facts]
    sent = set(data.draw(st.lists(st.sampled_from(ids), max_size=6))) if ids else set()
    for _ in range(4):  # consecutive days: each remembers what the previous one sent
        kwargs = {
            "local_date": DAY, "since": since, "sent_ids": sent, "topics": topics,
            "max_items": max_items, "max_documents": max_documents,
        }
        fast = build_digest(corpus, **kwargs)
        assert fast == reference_digest(monkeypatch, corpus, **kwargs)
        shown, restarted = next_in_rotation(corpus, topics, sent_ids=sent, shown=set(), limit=3)
        assert (shown, restarted) == ref_next_in_rotation(corpus, topics, sent_ids=sent, shown=set(), limit=3)
        sent = set(fast.fact_ids) if fast.restarted else sent | set(fast.fact_ids)


def test_folding_is_the_reference_folding():
    for text in ("ＧＤＰ　增长", " Ａ区 ", "ß区", "！～", "abc", ""):
        assert normalize_topic(text) == _fold_reference(text)


def test_the_seeded_database_chooses_what_the_reference_chose(seeded_store, monkeypatch):
    from sqlmodel import Session

    from store.subscriptions import load_corpus

    with Session(seeded_store.engine) as session:
        corpus = load_corpus(session=session)
    assert corpus.facts, "the seeds have figures"
    words = [*sorted({r for d in corpus.documents for r in d.regions})[:4], "投资", "GDP", "就业", "港口 投资"]
    before_all = min(d.ingested_at for d in corpus.documents if d.ingested_at) - timedelta(seconds=1)
    order = ref_rotation_order(corpus)
    for n, topics in enumerate([(), *([w] for w in words), words[:2], ["  "]]):
        sent = {f.id for f in order[: 7 * n]}
        for since in (None, before_all, T0 + timedelta(days=36500)):
            kwargs = {"local_date": DAY, "since": since, "sent_ids": sent, "topics": topics}
            assert build_digest(corpus, **kwargs) == reference_digest(monkeypatch, corpus, **kwargs)
        assert rotation_order(corpus, topics) == ref_rotation_order(corpus, topics)


def test_top_figures_of_the_index_match_the_document_scan():
    corpus = Corpus(
        (DigestDocument(id=1, title="港口"),),
        tuple(DigestFact(id=i, document_id=1, kind="money", span=f"{i}亿元", sentence=f"第{i}句") for i in range(5)),
    )
    assert top_figures(topic_facts(corpus, 1, ["港口"])) == top_figures(ref_topic_facts(corpus, 1, ["港口"]))
    assert corpus.facts_of(1) == _ref_facts_of(corpus, 1) and corpus.facts_of(2) == []
