"""/start, /help, menus, unknown commands, non-text messages and resilience, end to end."""

from __future__ import annotations

import logging

import pytest

from render import texts
from tests.conftest import BotHarness, buttons
from tests.fake_bot_api import parse_html

GROUP = -1009876543210


async def test_start_welcomes_with_example_question_buttons(bot: BotHarness) -> None:
    call = await bot.private("/start")
    assert "开发区新闻助手" in parse_html(call.text)
    labels = [b["text"] for b in buttons(call)]
    assert labels == list(texts.EXAMPLE_QUESTIONS)
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(call))


async def test_start_help_deep_link_shows_help(bot: BotHarness) -> None:
    call = await bot.private("/start help")
    assert "/targets" in parse_html(call.text)


async def test_help_lists_every_command_and_inline_usage(bot: BotHarness) -> None:
    plain = parse_html((await bot.private("/help")).text)
    for command in ("/ask", "/targets", "/projects", "/search", "/sources", "/source"):
        assert command in plain
    assert f"@{bot.api.bot_username} 京东方" in plain


async def test_command_menus_are_set_for_private_chats_and_groups(bot: BotHarness) -> None:
    private = bot.api.commands['{"type": "all_private_chats"}']
    group = bot.api.commands['{"type": "all_group_chats"}']
    assert [c["command"] for c in private][:2] == ["start", "ask"]
    assert "start" not in [c["command"] for c in group]
    assert {"ask", "targets", "projects", "search", "sources", "help"} <= {c["command"] for c in group}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in c["description"]) for c in private)


async def test_unknown_command_names_the_right_usage(bot: BotHarness) -> None:
    call = await bot.private("/frobnicate 1 2")
    plain = parse_html(call.text)
    assert plain.startswith("没有 /frobnicate 这个命令")
    assert "/ask" in plain and "/help" in plain


async def test_unknown_command_with_html_is_escaped(bot: BotHarness) -> None:
    call = await bot.private("/x<b>&")
    assert call.ok


async def test_group_unknown_command_only_when_addressed_to_us(bot: BotHarness) -> None:
    ignored = bot.api.make_group_text("/frobnicate", chat_id=GROUP)
    assert await bot.replies_until_sentinel(ignored, GROUP) == []
    other_bot = bot.api.make_group_text("/start@other_bot", chat_id=GROUP)
    assert await bot.replies_until_sentinel(other_bot, GROUP) == []
    call = await bot.group(f"/frobnicate@{bot.api.bot_username}", chat_id=GROUP)
    assert "没有 /frobnicate 这个命令" in parse_html(call.text)


async def test_sticker_and_photo_in_private_get_a_polite_reply(bot: BotHarness) -> None:
    sticker = await bot.exchange(bot.api.make_sticker())
    assert parse_html(sticker.text) == texts.NOT_TEXT
    photo = await bot.exchange(bot.api.make_photo(caption="这是什么"))
    assert parse_html(photo.text) == texts.NOT_TEXT


async def test_sticker_and_photo_in_groups_are_ignored(bot: BotHarness) -> None:
    for update in (bot.api.make_sticker(chat_id=GROUP), bot.api.make_photo(chat_id=GROUP)):
        assert await bot.replies_until_sentinel(update, GROUP) == []


async def test_unknown_update_types_do_not_stop_polling(bot: BotHarness) -> None:
    bot.api.push({"some_future_update": {"x": 1}})
    bot.api.push({"message_reaction": {"chat": bot.api.chat(1001), "message_id": 1, "date": 0,
                                       "old_reaction": [], "new_reaction": []}})
    bot.api.push({"channel_post": {"message_id": 1, "date": 0, "chat": {"id": -1001, "type": "channel", "title": "c"},
                                   "text": "京东方"}})
    call = await bot.private("/help")
    assert call.ok


async def test_a_reply_failing_with_a_server_error_is_retried_and_polling_goes_on(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    bot.api.fail_next("sendMessage", 500, "Internal Server Error")
    with caplog.at_level(logging.WARNING):
        answer = await bot.exchange(
            bot.api.make_private_text("/help"), predicate=lambda c: c.ok, timeout=30
        )
    assert "/targets" in parse_html(answer.text)  # the reply itself, not an apology
    assert bot.api.calls("sendMessage")[0].status == 500
    (record,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Internal Server Error" in record.getMessage() and record.exc_info is None
    assert (await bot.private("/help")).ok


async def test_a_handler_bug_is_logged_with_its_traceback_then_apologised_for(
    bot: BotHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = bot.app.bot_data.store

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(store, "ask", broken)
    with caplog.at_level(logging.ERROR, logger="handlers.errors"):
        apology = await bot.private("京东方青岛项目总投资多少？")
    assert parse_html(apology.text) == texts.ERROR
    record = next(r for r in caplog.records if r.name == "handlers.errors")
    assert record.exc_info is not None


async def test_blocked_user_does_not_stop_polling(bot: BotHarness) -> None:
    bot.api.forbid_chat(3003)
    mark = bot.api.mark()
    bot.api.push(bot.api.make_private_text("/help", user_id=3003))
    await bot.api.wait_for("sendMessage", lambda c: c.chat_id == 3003, since=mark)
    assert (await bot.private("/help")).ok


async def test_token_never_appears_in_replies(bot: BotHarness) -> None:
    from tests.conftest import TEST_TOKEN

    await bot.private("/help")
    await bot.private("京东方青岛项目总投资多少？")
    for call in bot.api.calls():
        assert TEST_TOKEN not in str(call.params)
