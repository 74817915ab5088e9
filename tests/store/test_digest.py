"""Pure digest and announcement content: rotation, topics, new documents, escaping, length."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from store.digest import (
    MESSAGE_LIMIT,
    Corpus,
    DigestDocument,
    DigestFact,
    announcement_html,
    build_digest,
    excerpt_html,
    rotation_order,
    text_announcement_html,
    top_figures,
    utf16_len,
)

T0 = datetime(2024, 5, 1, tzinfo=UTC)
DAY = date(2024, 5, 2)


def _corpus(n_docs: int = 2, per_doc: int = 4, title: str = "新区{d}号文件") -> Corpus:
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


def test_consecutive_days_differ_until_the_corpus_is_exhausted_then_start_over():
    corpus = _corpus()
    eligible = {f.id for f in rotation_order(corpus)}
    sent: set[int] = set()
    days: list[tuple[int, ...]] = []
    since = T0 + timedelta(days=10)  # nothing new: rotation only
    for _ in range(10):
        digest = build_digest(corpus, local_date=DAY, since=since, sent_ids=sent, max_items=3)
        if digest.restarted:
            break
        assert not set(digest.fact_ids) & sent
        sent |= set(digest.fact_ids)
        days.append(digest.fact_ids)
    assert sent == eligible
    assert len(days) == 3 and all(days)
    again = build_digest(corpus, local_date=DAY, since=since, sent_ids=sent, max_items=3)
    assert again.restarted and again.fact_ids == days[0]


def test_rotation_interleaves_documents():
    order = rotation_order(_corpus())
    assert [f.document_id for f in order[:4]] == [1, 2, 1, 2]


def test_topics_filter_figures_and_documents():
    corpus = _corpus()
    digest = build_digest(corpus, local_date=DAY, since=None, sent_ids=set(), topics=["港口"], max_items=10)
    assert set(digest.fact_ids) <= {101, 201}
    assert "主题：港口" in digest.html
    nothing = build_digest(corpus, local_date=DAY, since=None, sent_ids=set(), topics=["航天"])
    assert nothing.empty and "暂无与所选主题相关的新内容" in nothing.html


def test_topic_match_folds_full_width_and_case():
    corpus = Corpus(
        (DigestDocument(id=1, title="GDP 报告"),),
        (DigestFact(id=1, document_id=1, kind="money", span="1亿元", sentence="ＧＤＰ达到1亿元"),),
    )
    assert [f.id for f in rotation_order(corpus, ["gdp"])] == [1]


def test_new_documents_since_last_digest_come_first_with_their_top_figures():
    corpus = _corpus(n_docs=3)
    since = T0 + timedelta(days=2, hours=1)  # documents 1 and 2 were already covered
    digest = build_digest(corpus, local_date=DAY, since=since, sent_ids=set())
    assert digest.document_ids == (3,)
    assert digest.html.index("新文章") < digest.html.index("新区3号文件") < digest.html.index("数据与目标回顾")
    # Figures shown under the new document are not repeated in the rotation part.
    doc3_figures = {f.id for f in top_figures(corpus.facts_of(3))}
    assert not doc3_figures & set(digest.fact_ids)


def test_every_rotation_figure_carries_its_source():
    digest = build_digest(_corpus(), local_date=DAY, since=T0 + timedelta(days=9), sent_ids=set(), max_items=4)
    assert digest.html.count("—— 《新区") == len(digest.fact_ids) == 4
    assert "2024年5月2日（周四）" in digest.html


def test_html_is_escaped():
    corpus = _corpus(n_docs=1, title="<b>A&B</b> \"新区\"")
    digest = build_digest(corpus, local_date=DAY, since=None, sent_ids=set())
    assert "&lt;b&gt;A&amp;B&lt;/b&gt; &quot;新区&quot;" in digest.html
    assert "<b>A&B</b>" not in digest.html
    assert excerpt_html("a<b>2亿元&c", "2亿元") == "a&lt;b&gt;<b>2亿元</b>&amp;c"


def test_message_stays_within_the_limit_and_cut_figures_are_left_for_later():
    corpus = _corpus(n_docs=40, per_doc=30, title="很长的标题" * 30 + "{d}")
    digest = build_digest(corpus, local_date=DAY, since=None, sent_ids=set(), max_documents=40, max_items=200)
    assert utf16_len(digest.html) <= MESSAGE_LIMIT
    assert len(digest.document_ids) < 40
    small = build_digest(corpus, local_date=DAY, since=T0 + timedelta(days=99), sent_ids=set(), max_items=500, limit=1500)
    assert utf16_len(small.html) <= 1500 and 0 < len(small.fact_ids) < 50


def test_excerpt_trims_long_sentences_around_the_span():
    sentence = "前" * 100 + "12亿元" + "后" * 100
    html = excerpt_html(sentence, "12亿元", width=10)
    assert html == "…" + "前" * 10 + "<b>12亿元</b>" + "后" * 10 + "…"


def test_announcement_has_title_region_date_figures_and_targets():
    corpus = _corpus(n_docs=1)
    doc = corpus.documents[0]
    html = announcement_html(doc, corpus.facts_of(1))
    assert "新文章：新区1号文件" in html and "区域1" in html and "2023-01-01" in html
    assert "关键数据" in html and "目标" in html and "🎯" in html
    assert utf16_len(html) <= MESSAGE_LIMIT
    assert text_announcement_html("<开会> & 通知") == "📢 <b>公告</b>\n\n&lt;开会&gt; &amp; 通知"
