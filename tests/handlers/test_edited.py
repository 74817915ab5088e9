"""Issue E 16: an edited question is answered by editing the bot's earlier answer."""

from __future__ import annotations

from tests.conftest import BotHarness
from tests.fake_bot_api import parse_html

GROUP = -1001234567890


async def test_an_edited_private_question_edits_the_answer(bot: BotHarness) -> None:
    api = bot.api
    update = api.make_private_text("京东方青岛项目总投资多少？")
    first = await bot.exchange(update, predicate=lambda c: c.chat_id == 1001)
    assert parse_html(first.text).startswith("81.7亿元")
    edited = await bot.exchange(
        api.make_edit(update["message"], "西海岸新区重点项目总投资多少？"), "editMessageText"
    )
    assert edited.params["message_id"] == first.result["message_id"]
    assert parse_html(edited.text).startswith("2953亿元")


async def test_in_groups_only_edits_addressing_the_bot_count(bot: BotHarness) -> None:
    api = bot.api
    mention = f"@{api.bot_username}"
    chatter = api.make_group_text("京东方青岛项目总投资多少？", chat_id=GROUP)
    assert await bot.replies_until_sentinel(chatter, GROUP) == []
    # An edit of chatter that still does not address the bot: nothing.
    mark = api.mark()
    assert await bot.replies_until_sentinel(api.make_edit(chatter["message"], "京东方总投资？"), GROUP) == []
    assert not api.calls("editMessageText", since=mark)

    asked = api.make_group_text(f"{mention} 京东方青岛项目总投资多少？", chat_id=GROUP)
    first = await bot.exchange(asked, predicate=lambda c: c.chat_id == GROUP)
    fixed = api.make_edit(asked["message"], f"{mention} 西海岸新区重点项目总投资多少？")
    edited = await bot.exchange(fixed, "editMessageText")
    assert edited.params["message_id"] == first.result["message_id"]
    assert parse_html(edited.text).startswith("2953亿元")
