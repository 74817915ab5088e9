"""Inline mode end to end: @bot 京东方 → InlineQueryResultArticles."""

from __future__ import annotations

from render import texts
from tests.conftest import BotHarness
from tests.fake_bot_api import parse_html


async def test_inline_query_returns_articles_with_descriptions(bot: BotHarness) -> None:
    call = await bot.exchange(bot.api.make_inline_query("京东方青岛项目总投资多少"), "answerInlineQuery")
    assert call.ok, call.response
    results = call.params["results"]
    assert 1 <= len(results) <= 50
    first = results[0]
    assert first["type"] == "article"
    assert first["title"].startswith("81.7亿元")
    assert first["description"]
    content = first["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert parse_html(content["message_text"]).startswith("81.7亿元")


async def test_inline_short_keyword(bot: BotHarness) -> None:
    call = await bot.exchange(bot.api.make_inline_query("京东方"), "answerInlineQuery")
    assert call.ok
    assert len(call.params["results"]) <= 50


async def test_inline_empty_query_offers_help_button(bot: BotHarness) -> None:
    call = await bot.exchange(bot.api.make_inline_query("   "), "answerInlineQuery")
    assert call.params["results"] == []
    assert call.params["button"] == {"text": texts.INLINE_HELP_BUTTON, "start_parameter": "help"}


async def test_inline_hostile_query(bot: BotHarness) -> None:
    for query in ("<b>&</code>", "'; DROP TABLE fact; --", "😀" * 100, "字" * 256):
        call = await bot.exchange(bot.api.make_inline_query(query), "answerInlineQuery")
        assert call.ok, (query, call.response)
