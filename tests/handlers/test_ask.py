"""Questions end to end: the real Application polls the fake Bot API; we chat as a user."""

from __future__ import annotations

import pytest

from render import texts
from tests.conftest import BotHarness, button_data, buttons
from tests.fake_bot_api import parse_html

GROUP = -1001234567890


async def test_private_question_answers_with_figure_quote_and_source(bot: BotHarness) -> None:
    call = await bot.private("京东方青岛项目总投资多少？")
    assert call.ok
    assert call.params["parse_mode"] == "HTML"
    assert call.text.startswith("<b>81.7亿元</b>")
    plain = parse_html(call.text)
    assert "总投资81.7亿元" in plain  # the quoted source sentence
    assert "来源：青岛经济技术开发区" in plain and "2023" in plain
    labels = [b["text"] for b in buttons(call)]
    assert labels[0] == texts.BUTTON_PARAGRAPH
    assert "reply_parameters" not in call.params  # no quoting in a private chat


async def test_more_answers_pages_by_editing_the_same_message(bot: BotHarness) -> None:
    first = await bot.private("西海岸新区重点项目总投资多少？")
    assert texts.BUTTON_MORE in [b["text"] for b in buttons(first)]
    second = await bot.press(first, texts.BUTTON_MORE)
    assert second.ok
    assert second.params["message_id"] == first.result["message_id"]
    assert "第 2/" in parse_html(second.text)
    back = await bot.press(second, texts.BUTTON_BACK)
    assert back.text == first.text
    assert bot.api.calls("answerCallbackQuery")  # every press stops the spinner


async def test_paragraph_button_sends_the_whole_paragraph(bot: BotHarness) -> None:
    first = await bot.private("京东方青岛项目总投资多少？")
    paragraph = await bot.press(first, texts.BUTTON_PARAGRAPH, method="sendMessage")
    plain = parse_html(paragraph.text)
    assert plain.startswith("原文段落")
    assert "81.7亿元" in plain
    assert len(plain) >= len(parse_html(first.text).split("\n")[1].strip())
    assert "来源：" in plain


async def test_question_with_traditional_characters(bot: BotHarness) -> None:
    call = await bot.private("京東方青島項目總投資多少")
    assert "81.7亿元" in call.text


async def test_no_answer_is_helpful_and_has_no_figure(bot: BotHarness) -> None:
    call = await bot.private("火星基地的GDP是多少？")
    plain = parse_html(call.text)
    assert plain.startswith("没有找到「火星基地的GDP是多少？」的可靠答案")
    assert texts.EXAMPLE_QUESTIONS[0] in plain
    assert "81.7亿元" not in plain
    assert any(b["callback_data"].startswith("ex:") for b in buttons(call))


async def test_example_button_asks_the_example(bot: BotHarness) -> None:
    start = await bot.private("/start")
    data = button_data(start, "京东方")
    message = bot.api.messages[(1001, start.result["message_id"])]
    answer = await bot.exchange(bot.api.make_callback_query(message, data))
    assert "81.7亿元" in answer.text


async def test_no_answer_suggests_closest_names_as_search_buttons(bot: BotHarness) -> None:
    call = await bot.private("王台老工业区的天气怎么样")
    plain = parse_html(call.text)
    assert "你是不是想找：王台老工业区" in plain
    search = [b for b in buttons(call) if b["callback_data"].startswith("sr:")]
    assert search, buttons(call)
    edited = await bot.press(call, search[0]["text"])
    assert "王台老工业区" in parse_html(edited.text) and "共找到" in parse_html(edited.text)


async def test_ask_command_and_its_usage(bot: BotHarness) -> None:
    call = await bot.private("/ask 贝卡尔特增资多少？")
    assert "5000万美元" in call.text
    usage = await bot.private("/ask")
    assert parse_html(usage.text) == texts.ASK_USAGE


@pytest.mark.parametrize(
    "text",
    [
        "<b>京东方</b>投资多少",
        "AT&T & 京东方 投资?",
        "</code><script>alert(1)</script>",
        "'; DROP TABLE document; --",
        "1 OR 1=1",
        "😀🚀 京东方 😀",
        "？？？",
        "\u200b",
        "a" * 199,
    ],
)
async def test_hostile_or_odd_questions_get_a_valid_reply(bot: BotHarness, text: str) -> None:
    call = await bot.private(text)
    assert call.ok, call.response  # the fake server rejects broken HTML, like Telegram
    parse_html(call.text)


async def test_4096_character_question_is_refused_politely(bot: BotHarness) -> None:
    call = await bot.private("京" * 4096)
    assert call.ok
    assert "问题太长了（4096 字）" in parse_html(call.text)


async def test_the_store_tables_survive_sql_looking_input(bot: BotHarness) -> None:
    await bot.private("'; DROP TABLE document; --")
    call = await bot.private("京东方青岛项目总投资多少？")
    assert "81.7亿元" in call.text


# --- groups -----------------------------------------------------------------------------


async def test_group_chatter_is_ignored(bot: BotHarness) -> None:
    update = bot.api.make_group_text("京东方青岛项目总投资多少？", chat_id=GROUP)
    assert await bot.replies_until_sentinel(update, GROUP) == []


async def test_group_ask_command_is_answered_with_a_quote(bot: BotHarness) -> None:
    call = await bot.group("/ask 京东方青岛项目总投资多少？", chat_id=GROUP)
    assert "81.7亿元" in call.text
    assert call.params["reply_parameters"]["message_id"] > 0


async def test_group_ask_addressed_to_us_with_username(bot: BotHarness) -> None:
    call = await bot.group(f"/ask@{bot.api.bot_username} 贝卡尔特增资多少？", chat_id=GROUP)
    assert "5000万美元" in call.text


async def test_group_mention_is_a_question(bot: BotHarness) -> None:
    call = await bot.group(f"@{bot.api.bot_username} 京东方青岛项目总投资多少？", chat_id=GROUP)
    assert "81.7亿元" in call.text


async def test_group_mention_without_question_gets_a_hint(bot: BotHarness) -> None:
    call = await bot.group(f"@{bot.api.bot_username}", chat_id=GROUP)
    assert "/ask" in parse_html(call.text)


async def test_group_reply_to_the_bot_is_a_question(bot: BotHarness) -> None:
    help_call = await bot.group("/help", chat_id=GROUP)
    bot_message = bot.api.messages[(GROUP, help_call.result["message_id"])]
    call = await bot.group("贝卡尔特增资多少？", chat_id=GROUP, reply_to=bot_message)
    assert "5000万美元" in call.text


async def test_group_reply_to_someone_else_is_ignored(bot: BotHarness) -> None:
    other = bot.api.make_message(GROUP, 2002, text="随便聊聊")
    update = bot.api.make_group_text("贝卡尔特增资多少？", chat_id=GROUP, reply_to=other)
    assert await bot.replies_until_sentinel(update, GROUP) == []


async def test_group_mention_of_another_bot_is_ignored(bot: BotHarness) -> None:
    update = bot.api.make_group_text("@some_other_bot 贝卡尔特增资多少？", chat_id=GROUP)
    assert await bot.replies_until_sentinel(update, GROUP) == []


async def test_group_answer_paging_works(bot: BotHarness) -> None:
    first = await bot.group("/ask 西海岸新区重点项目总投资多少？", chat_id=GROUP)
    second = await bot.press(first, texts.BUTTON_MORE)
    assert second.ok and second.params["chat_id"] == GROUP


async def test_edited_question_is_not_answered_twice(bot: BotHarness) -> None:
    message = bot.api.make_message(1001, 1001, text="贝卡尔特增资多少？")
    update = {"edited_message": {**message, "edit_date": message["date"] + 1}}
    assert await bot.replies_until_sentinel(update, 1001) == []


# --- buttons after a restart / junk callback data -------------------------------------------


@pytest.mark.parametrize("data", ["ans:1:#999999", "ans:x:=q", "tg:1:#424242", "para:abc", "ex:99", "zzz"])
async def test_stale_or_junk_buttons_are_answered_not_crashed(bot: BotHarness, data: str) -> None:
    start = await bot.private("/start")
    message = bot.api.messages[(1001, start.result["message_id"])]
    call = await bot.exchange(bot.api.make_callback_query(message, data), "answerCallbackQuery")
    assert call.ok
    assert call.params.get("text") in (texts.EXPIRED, texts.PARAGRAPH_MISSING)


async def test_our_own_inline_answer_posted_in_private_is_not_a_question(bot: BotHarness) -> None:
    message = bot.api.make_message(1001, 1001, text="81.7亿元 京东方…", via_bot=bot.api.bot_user())
    assert await bot.replies_until_sentinel({"message": message}, 1001) == []


async def test_paragraph_button_on_an_inaccessible_old_message_still_replies(bot: BotHarness) -> None:
    first = await bot.private("京东方青岛项目总投资多少？")
    inaccessible = {"chat": bot.api.chat(1001), "message_id": first.result["message_id"], "date": 0}
    press = bot.api.make_callback_query(inaccessible, button_data(first, texts.BUTTON_PARAGRAPH))
    call = await bot.exchange(press, predicate=lambda c: c.chat_id == 1001)
    assert parse_html(call.text).startswith("原文段落")
