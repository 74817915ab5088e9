"""Issue E 15: 「更多答案 ▶」 on a long question works after a restart and in another process."""

from __future__ import annotations

from pathlib import Path

from handlers.context import QueryCache
from render import texts
from tests.bot.pushkit import fresh_db
from tests.conftest import BotHarness, button_data, make_settings
from tests.fake_bot_api import FakeBotApi, parse_html

# Longer than the callback budget, and still answered with more than one figure.
LONG_QUESTION = "请问一下，青岛西海岸新区今年的重点项目总投资一共是多少亿元呢？"


async def _running(api: FakeBotApi, database_url: str) -> BotHarness:
    from bot.app import Services, build_application, startup
    from store.service import FactStore

    app = build_application(make_settings(api), Services(store=FactStore.open(database_url)))
    await app.initialize()
    await startup(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=5)
    await app.start()
    return BotHarness(api, app)


async def _stop(harness: BotHarness) -> None:
    await harness.app.updater.stop()
    await harness.app.stop()
    await harness.app.shutdown()


def test_tokens_are_content_hashes() -> None:
    cache = QueryCache()
    token = cache.token(LONG_QUESTION)
    assert token.startswith("#") and token == QueryCache().token(LONG_QUESTION)
    assert cache.resolve(token) == LONG_QUESTION
    assert QueryCache().resolve(token) is None  # unknown without the database
    assert cache.resolve("#1") is None and cache.resolve("=短") == "短"


async def test_more_answers_on_a_long_question_survives_a_restart(tmp_path: Path) -> None:
    database = fresh_db(tmp_path)
    async with FakeBotApi() as api:
        first = await _running(api, database)
        try:
            answer = await first.private(LONG_QUESTION)
        finally:
            await _stop(first)
        data = button_data(answer, texts.BUTTON_MORE)
        assert "#" in data

        second = await _running(api, database)  # a restart: nothing in memory
        try:
            message = api.messages[(1001, answer.result["message_id"])]
            page = await second.exchange(api.make_callback_query(message, data), "editMessageText")
        finally:
            await _stop(second)
    assert page.ok and "第 2/" in parse_html(page.text)
