"""Pure digest selection: rotation, topics, new documents (render/digest.py has the HTML tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from store.digest import (
    Corpus,
    DigestDocument,
    DigestFact,
    DigestPlan,
    rotation_order,
    select_digest,
    top_figures,
)

T0 = datetime(2024, 5, 1, tzinfo=UTC)
DAY = date(2024, 5, 2)


def make_corpus(n_docs: int = 2, per_doc: int = 4, title: str = "新区{d}号文件") -> Corpus:
    """Documents d = 1..n ingested on day d, with alternating money/count figures and one target."""
    docs = tuple(
        DigestDocument(
            id=d,
            title=title.format(d=d),
            regions=(f"区域{d}",),
            date=f"2023-0{d}-01",
            ingested_at=T0 + timedelta(days=d),
        )
        for d in range(1, n_docs + 1)
    )
    facts = tuple(
        DigestFact(
            id=d * 100 + i,
            document_id=d,
            kind="money" if i % 2 == 0 else "count",
            span=f"{d}{i}亿元" if i % 2 == 0 else f"{d}{i}个",
            sentence=f"区域{d}今年完成项目投资{d}{i}亿元，新签约{d}{i}个{'港口' if i == 1 else '工业'}项目。",
            label="投资" if i % 2 == 0 else "项目",
            target=(i == 3),
        )
        for d in range(1, n_docs + 1)
        for i in range(per_doc)
    )
    return Corpus(docs, facts)


def _fact_ids(plan: DigestPlan) -> tuple[int, ...]:
    return tuple(item.fact.id for item in plan.items)


def test_consecutive_days_differ_until_the_corpus_is_exhausted_then_start_over():
    corpus = make_corpus()
    eligible = {f.id for f in rotation_order(corpus)}
    sent: set[int] = set()
    days: list[tuple[int, ...]] = []
    since = T0 + timedelta(days=10)  # nothing new: rotation only
    for _ in range(10):
        plan = select_digest(corpus, local_date=DAY, since=since, sent_ids=sent, max_items=3)
        if plan.restarted:
            break
        assert not set(_fact_ids(plan)) & sent
        sent |= set(_fact_ids(plan))
        days.append(_fact_ids(plan))
    assert sent == eligible
    assert len(days) == 3 and all(days)
    again = select_digest(corpus, local_date=DAY, since=since, sent_ids=sent, max_items=3)
    assert again.restarted and _fact_ids(again) == days[0]


def test_rotation_interleaves_documents():
    order = rotation_order(make_corpus())
    assert [f.document_id for f in order[:4]] == [1, 2, 1, 2]


def test_topics_filter_figures_and_documents():
    corpus = make_corpus()
    plan = select_digest(corpus, local_date=DAY, since=None, sent_ids=set(), topics=["港口"], max_items=10)
    assert set(_fact_ids(plan)) <= {101, 201}
    assert plan.topics == ("港口",)
    nothing = select_digest(corpus, local_date=DAY, since=None, sent_ids=set(), topics=["航天"])
    assert not nothing.entries and not nothing.items


def test_topic_match_folds_full_width_and_case():
    corpus = Corpus(
        (DigestDocument(id=1, title="GDP 报告"),),
        (DigestFact(id=1, document_id=1, kind="money", span="1亿元", sentence="ＧＤＰ达到1亿元"),),
    )
    assert [f.id for f in rotation_order(corpus, ["gdp"])] == [1]


def test_new_documents_since_last_digest_come_first_with_their_top_figures():
    corpus = make_corpus(n_docs=3)
    since = T0 + timedelta(days=2, hours=1)  # documents 1 and 2 were already covered
    plan = select_digest(corpus, local_date=DAY, since=since, sent_ids=set())
    assert [e.document.id for e in plan.entries] == [3]
    doc3_figures = {f.id for f in top_figures(corpus.facts_of(3))}
    assert {f.id for f in plan.entries[0].figures} == doc3_figures
    # Figures shown under the new document are not repeated in the rotation part.
    assert not doc3_figures & set(_fact_ids(plan))
    assert all(item.document is corpus.document(item.fact.document_id) for item in plan.items)
