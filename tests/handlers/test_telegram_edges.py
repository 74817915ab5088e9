"""Issue E 17 and 18: upload limit without file_size, failed edits, inline 「原文段落」, refusals."""

from __future__ import annotations

import logging

import pytest

from render import texts
from tests.conftest import BotHarness, button_data
from tests.fake_bot_api import parse_html

QUESTION = "西海岸新区重点项目总投资多少？"
ADMIN = 42


async def test_upload_limit_holds_when_telegram_omits_file_size(bot: BotHarness) -> None:
    store = bot.app.bot_data.store
    before = len(store.documents())
    line = "测试新区计划总投资120亿元，建设35个重点项目。\n".encode()
    content = line * (21 * 1024 * 1024 // len(line))  # 21 MB, over Telegram's 20 MB download limit
    update = bot.api.make_document(content, file_name="big.txt", user_id=ADMIN, with_size=False)
    call = await bot.exchange(update, predicate=lambda c: c.chat_id == ADMIN, timeout=60)
    assert parse_html(call.text) == texts.UPLOAD_TOO_BIG_UNKNOWN.format(limit=20 * 1024)
    assert len(store.documents()) == before


async def test_refusal_names_the_file_once(bot: BotHarness) -> None:
    update = bot.api.make_document(bytes(range(256)) * 20, file_name="photo.txt", user_id=ADMIN)
    call = await bot.exchange(update, predicate=lambda c: c.chat_id == ADMIN)
    plain = parse_html(call.text)
    assert plain.startswith("没有收录 photo.txt：") and plain.count("photo.txt") == 1, plain


async def test_a_failed_edit_answers_the_press_once_and_sends_the_page_instead(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    answer = await bot.private(QUESTION)
    message = bot.api.messages[(1001, answer.result["message_id"])]
    bot.api.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
    mark = bot.api.mark()
    caplog.set_level(logging.INFO)
    press = bot.api.make_callback_query(message, button_data(answer, texts.BUTTON_MORE))
    page = await bot.exchange(press, "sendMessage", lambda c: c.chat_id == 1001)
    assert "第 2/" in parse_html(page.text)
    await bot.private("/help")  # everything the press caused has happened by now
    assert len(bot.api.calls("answerCallbackQuery", since=mark)) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "Traceback" not in caplog.text


async def test_paragraph_button_on_an_inline_message_is_sent_privately_or_shown(bot: BotHarness) -> None:
    answer = await bot.private(QUESTION)
    data = button_data(answer, texts.BUTTON_PARAGRAPH)
    press = bot.api.make_inline_callback_query(data, user_id=1001)
    mark = bot.api.mark()
    sent = await bot.exchange(press, "sendMessage", lambda c: c.chat_id == 1001)
    assert parse_html(sent.text).startswith("原文段落")
    ack = await bot.api.wait_for("answerCallbackQuery", since=mark)
    assert ack.params.get("text") == texts.PARAGRAPH_SENT_PRIVATELY

    # A user who never started the bot cannot be written to: the paragraph becomes an alert.
    bot.api.forbid_chat(2002)
    press = bot.api.make_inline_callback_query(data, user_id=2002)
    alert = await bot.exchange(press, "answerCallbackQuery")
    assert alert.params.get("show_alert") is True
    assert 10 < len(alert.params["text"]) <= 200
