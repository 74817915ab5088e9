"""Answers, digests and announcements link their source line to the document's URL (escaped)."""

from __future__ import annotations

from datetime import UTC, datetime

from render import replies
from render.digest import announcement_html
from render.html import link_html, source_line
from store.digest import DigestDocument, DigestFact
from store.views import DocumentInfo
from tests.fake_bot_api import parse_html

URL = 'https://news.example.cn/a?id=1&x="2"<script>'


def test_answer_source_line_links_to_the_url() -> None:
    doc = DocumentInfo(id=1, name="a.html", title="成都高新区 <上半年>", regions=("成都市",), date="2024-07", url=URL)
    line = replies.source_line(doc)
    assert line.startswith('<a href="https://news.example.cn/a?id=1&amp;x=&quot;2&quot;&lt;script&gt;">')
    assert "成都高新区 &lt;上半年&gt;</a> · 成都市 · 2024-07" in line
    parse_html(line)  # valid Telegram HTML
    plain = DocumentInfo(id=2, name="b.txt", title="无链接", date="2023")
    assert "<a " not in replies.source_line(plain)


def test_only_web_links_are_made() -> None:
    assert link_html("x", "javascript:alert(1)") == "x"
    assert link_html("x", None) == "x"
    assert link_html("x", "HTTP://a.cn/") == '<a href="HTTP://a.cn/">x</a>'


def test_digest_and_announcement_link_to_the_url() -> None:
    doc = DigestDocument(id=3, title="两江新区2023年GDP增长6.5%", regions=("重庆两江新区",), date="2024-02-02",
                         ingested_at=datetime(2024, 2, 2, tzinfo=UTC), url=URL)
    line = source_line(doc)
    assert line.startswith('<a href="https://news.example.cn/a?id=1&amp;x=')
    parse_html(line)
    fact = DigestFact(id=1, document_id=3, kind="percent", span="6.5%", value=6.5,
                      sentence="两江新区GDP同比增长6.5%。", target=False)
    text = announcement_html(doc, [fact])
    assert '<a href="https://news.example.cn/a?id=1&amp;x=' in text
    parse_html(text)
