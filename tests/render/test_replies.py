"""Pure rendering: escaping, splitting at 4096 without cutting tags, callback data, pages."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.context import QueryCache
from render import replies, texts
from store.views import Answer, DocumentInfo, FactHit, FactView, SentenceHit
from tests.fake_bot_api import parse_html, utf16_len

DOC = DocumentInfo(id=2, name="004_x.txt", title="青岛开发区 <高质量> & 发展", regions=("青岛经济技术开发区",), year=2023)
SENTENCE = "京东方物联网移动显示端口器件青岛生产基地项目总投资81.7亿元，已竣工投产。"


def answer(figure: str | None = "81.7亿元", text: str = SENTENCE, sid: int = 11) -> Answer:
    fact = FactView(id=1, kind="money", span="81.7亿元", value=81.7e8, unit="CNY")
    return Answer(text=text, doc=DOC.name, score=1.0, facts=(fact,), sentence_id=sid, document=DOC, figure=figure)


def hit(span: str, sentence: str, *, target: bool = False, doc: DocumentInfo = DOC) -> FactHit:
    fact = FactView(id=1, kind="money", span=span, value=1.0, unit="CNY", target=target)
    return FactHit(fact=fact, sentence=sentence, document=doc)


def all_data(reply: replies.Reply) -> list[str]:
    return [b.data for row in reply.buttons for b in row]


# --- escaping -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["<b>", "a & b", "</code>", "<script>alert(1)</script>", "1 < 2 > 0"])
def test_esc_makes_any_text_safe_for_telegram(text: str) -> None:
    assert parse_html(replies.esc(text)) == text


def test_mark_span_bolds_the_figure_and_escapes_the_rest() -> None:
    assert replies.mark_span("a<b 81.7亿元 &", "81.7亿元") == "a&lt;b <b>81.7亿元</b> &amp;"
    assert replies.mark_span("no figure", "9亿元") == "no figure"


def test_highlight_all_occurrences_case_insensitively() -> None:
    out = replies.highlight("BOE 与 boe <合作>", ["boe"])
    assert out == "<b>BOE</b> 与 <b>boe</b> &lt;合作&gt;"
    assert parse_html(out) == "BOE 与 boe <合作>"


def test_snippet_windows_around_the_span() -> None:
    text = "前" * 200 + "81.7亿元" + "后" * 200
    out = replies.snippet(text, "81.7亿元", 60)
    assert "<b>81.7亿元</b>" in out
    assert out.startswith(texts.ELLIPSIS) and out.endswith(texts.ELLIPSIS)
    assert len(parse_html(out)) <= 62


def test_echo_shortens_and_escapes_user_text() -> None:
    out = replies.echo("<b>" * 100)
    assert out.startswith("&lt;b&gt;") and out.endswith(texts.ELLIPSIS)
    assert len(html.unescape(out)) <= replies.ECHO_LIMIT


# --- splitting ----------------------------------------------------------------------------


def assert_valid_parts(parts: list[str], limit: int) -> None:
    for part in parts:
        assert utf16_len(part) <= limit
        parse_html(part)  # raises on a cut tag or entity


def test_short_text_is_one_message() -> None:
    assert replies.split_html("<b>hi</b>") == ["<b>hi</b>"]
    assert replies.split_html("   ") == []


def test_long_text_splits_on_sentence_ends_and_reopens_tags() -> None:
    sentence = "青岛西海岸新区实施十三大创新突破行动。"
    text = "<blockquote>" + sentence * 400 + "</blockquote>"
    parts = replies.split_html(text)
    assert len(parts) > 1
    assert_valid_parts(parts, replies.MAX_MESSAGE)
    for part in parts:
        assert part.startswith("<blockquote>") and part.endswith("。</blockquote>")
    assert "".join(parse_html(p) for p in parts) == sentence * 400


def test_prefers_line_breaks_and_never_cuts_entities() -> None:
    line = "&amp;" * 50 + "\n"
    parts = replies.split_html(line * 200, 1000)
    assert_valid_parts(parts, 1000)
    assert all(p.endswith("&amp;") for p in parts)


def test_text_without_any_break_is_hard_cut_between_atoms() -> None:
    parts = replies.split_html("<i>" + "字" * 9000 + "</i>")
    assert_valid_parts(parts, replies.MAX_MESSAGE)
    assert sum(len(parse_html(p)) for p in parts) == 9000


def test_emoji_count_as_two_units() -> None:
    parts = replies.split_html("😀" * 3000)
    assert len(parts) == 2
    assert_valid_parts(parts, replies.MAX_MESSAGE)


_fragments = st.lists(
    st.one_of(
        st.text(alphabet="京东方投资亿元。！？；\n a&<>😀", min_size=1, max_size=40).map(replies.esc),
        st.tuples(st.sampled_from(["b", "i", "code", "blockquote"]), st.text("项目。\n", max_size=30)).map(
            lambda t: f"<{t[0]}>{replies.esc(t[1])}</{t[0]}>"
        ),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(_fragments, st.integers(min_value=60, max_value=500))
def test_split_property(fragments: list[str], limit: int) -> None:
    text = "".join(fragments)
    parts = replies.split_html(text, limit)
    assert_valid_parts(parts, limit)
    whole = re.sub(r"\s", "", parse_html(text))
    assert re.sub(r"\s", "", "".join(parse_html(p) for p in parts)) == whole


def test_first_message_adds_an_ellipsis_when_cut() -> None:
    out = replies.first_message("句子。" * 3000)
    assert utf16_len(out) <= replies.MAX_MESSAGE and out.endswith(texts.ELLIPSIS)


# --- callback data ------------------------------------------------------------------------


def test_callback_data_is_limited_to_64_bytes() -> None:
    assert replies.callback("ans", 1, "=q") == "ans:1:=q"
    with pytest.raises(ValueError, match="64 bytes"):
        replies.callback("ans", 1, "=" + "汉" * 30)
    assert replies.parse_callback("ans:2:=a:b") == ("ans", 2, "=a:b")
    with pytest.raises(ValueError):
        replies.parse_callback("ans:x:=q")


def test_query_cache_literal_tokens_and_lru_eviction() -> None:
    cache = QueryCache(capacity=2)
    assert cache.token("京东方") == "=京东方"
    long_tokens = [cache.token("很长的问题" * 10 + str(n)) for n in range(3)]
    assert all(t.startswith("#") for t in long_tokens)
    assert cache.resolve(long_tokens[0]) is None  # evicted
    assert cache.resolve(long_tokens[2]) == "很长的问题" * 10 + "2"
    assert cache.resolve("=京东方") == "京东方"
    assert cache.resolve("garbage") is None
    for token in [*long_tokens, "=" + "汉" * 16]:
        assert len(replies.callback("ans", 9999, token).encode()) <= 64


# --- answers ------------------------------------------------------------------------------


def test_answer_reply_shows_figure_quote_source_and_buttons() -> None:
    reply = replies.answer_reply([answer(), answer(sid=12)], 0, "=q")
    plain = parse_html(reply.text)
    assert reply.text.startswith("<b>81.7亿元</b>\n<blockquote>")
    assert SENTENCE in plain
    assert "来源：青岛开发区 <高质量> & 发展 · 青岛经济技术开发区 · 2023" in plain
    assert "第 1/2 条答案" in plain
    assert all_data(reply) == ["para:11:2", "ans:1:=q"]
    last = replies.answer_reply([answer(), answer(sid=12)], 5, "=q")  # clamped
    assert all_data(last) == ["para:12:2", "ans:0:=q"]
    assert [b.text for row in last.buttons for b in row] == [texts.BUTTON_PARAGRAPH, texts.BUTTON_BACK]


def test_answer_without_figure_and_with_a_huge_sentence() -> None:
    reply = replies.answer_reply([answer(figure=None, text="长" * 5000 + "81.7亿元")], 0, "=q")
    assert not reply.text.startswith("<b>")
    assert utf16_len(reply.text) <= replies.MAX_MESSAGE
    assert replies.answer_reply([answer()], 0, "=q").buttons[-1][0].text == texts.BUTTON_PARAGRAPH


def test_no_answer_reply_never_contains_a_figure_and_offers_help() -> None:
    cache = QueryCache()
    reply = replies.no_answer_reply("火星<b>开发区</b>投资多少", ["青岛开发区", "京东方"], cache.token)
    plain = parse_html(reply.text)
    assert "火星<b>开发区</b>投资多少" in plain
    assert "青岛开发区、京东方" in plain
    assert texts.EXAMPLE_QUESTIONS[0] in plain
    assert all_data(reply)[:2] == ["sr:0:=青岛开发区", "sr:0:=京东方"]
    assert "ex:0" in all_data(reply)


def test_inline_articles_are_capped_and_valid() -> None:
    articles = replies.inline_articles([answer(sid=n) for n in range(80)])
    assert len(articles) == 50
    assert len({a.id for a in articles}) == 50
    assert articles[0].title.startswith("81.7亿元")
    assert parse_html(articles[0].text).startswith("81.7亿元")
    assert len(articles[0].description) <= 80


# --- lists --------------------------------------------------------------------------------


def test_targets_reply_groups_by_region_and_pages() -> None:
    groups = {
        "青岛西海岸新区": [hit(f"{n}亿元", f"力争投资{n}亿元。", target=True) for n in range(5)],
        "青岛经济技术开发区": [hit(f"{n}个", f"计划新建{n}个项目。", target=True) for n in range(4)],
    }
    first = replies.targets_reply(groups, 0, "=")
    plain = parse_html(first.text)
    assert "📍 青岛西海岸新区" in plain and "第 1/2 页" in plain
    assert all_data(first) == ["tg:1:="]
    second = replies.targets_reply(groups, 1, "=")
    assert "📍 青岛经济技术开发区" in parse_html(second.text)
    assert all_data(second) == ["tg:0:="]


def test_projects_reply_lists_figures_in_order() -> None:
    hits = [hit("81.7亿元", "京东方项目总投资81.7亿元。"), hit("5000万美元", "贝卡尔特增资5000万美元。")]
    plain = parse_html(replies.projects_reply(hits, 0, "=", "京东方").text)
    assert plain.index("1. 81.7亿元") < plain.index("2. 5000万美元")
    assert "与「京东方」有关的项目" in plain


def test_search_reply_highlights_keyword() -> None:
    hits = [SentenceHit(sentence_id=n, text=f"京东方第{n}句<x>", document=DOC) for n in range(7)]
    reply = replies.search_reply(hits, 0, "=京东方", "京东方")
    assert "<b>京东方</b>第0句&lt;x&gt;" in reply.text
    assert "共找到 7 句" in parse_html(reply.text)
    assert all_data(reply) == ["sr:1:=京东方"]


def test_list_items_carry_the_answers_source_line() -> None:
    linked = DocumentInfo(id=4, name="c.html", title="成都 <高新区>", regions=("成都市",), date="2024-07",
                          url="https://a.cn/x?a=1&b=2")
    line = replies.source_line(linked)
    assert line.startswith('<a href="https://a.cn/x?a=1&amp;b=2">成都 &lt;高新区&gt;</a>')
    projects = replies.projects_reply([hit("81.7亿元", "总投资81.7亿元。", doc=linked)], 0, "=")
    targets = replies.targets_reply({"成都市": [hit("5%", "增长5%。", target=True, doc=linked)]}, 0, "=")
    search = replies.search_reply([SentenceHit(sentence_id=1, text="总投资81.7亿元。", document=linked)], 0, "=", "投资")
    for reply in (projects, targets, search):
        assert f"<i>{line}</i>" in reply.text  # the same line as under an answer
        parse_html(reply.text)


def test_sources_and_source_reply() -> None:
    docs = [DOC, DocumentInfo(id=3, name="b.txt", title="", fact_count=4)]
    plain = parse_html(replies.sources_reply(docs).text)
    assert "2. 青岛开发区 <高质量> & 发展" in plain
    assert "3. b.txt" in plain and "地区不详 · 日期不详 · 4 条数据" in plain
    one = parse_html(replies.source_reply(DOC, [hit("81.7亿元", SENTENCE, target=True)]).text)
    assert "关键数据" in one and "81.7亿元" in one and texts.TARGET_MARK in one
    assert "编号 2–3" in parse_html(replies.source_not_found("999", docs).text)
    assert parse_html(replies.sources_reply([]).text) == texts.SOURCES_EMPTY
