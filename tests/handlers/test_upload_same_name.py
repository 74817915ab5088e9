"""Uploads under a name already stored: a different text is a new document; replacing is explicit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from render import texts
from tests.conftest import BotHarness, button_data, buttons, make_settings, running_bot
from tests.dbkit import database_url
from tests.fake_bot_api import FakeBotApi, parse_html

ADMIN = 42


def article(place: str, figure: int) -> bytes:
    return f"{place}推进项目建设\n\n2024年，{place}新签约项目{figure}个，总投资{figure * 3}亿元。\n".encode()


@pytest.fixture
async def own_bot(tmp_path: Path, fake_api: FakeBotApi) -> AsyncIterator[tuple[BotHarness, Any]]:
    """A polling bot over its own store (the shared seeded one stays at two documents)."""
    from store.service import FactStore

    store = FactStore.open(database_url(tmp_path, "upload"))
    async with running_bot(fake_api, make_settings(fake_api, admin_ids=str(ADMIN)), store) as harness:
        yield harness, store


async def upload(bot: BotHarness, content: bytes, file_name: str | None) -> Any:
    update = bot.api.make_document(content, file_name=file_name or "x.txt", user_id=ADMIN)
    if file_name is None:  # Telegram omits the name of some files
        del update["message"]["document"]["file_name"]
    return await bot.exchange(update, predicate=lambda c: c.chat_id == ADMIN, timeout=60)


async def test_same_name_different_text_is_a_new_document_until_an_admin_replaces(
    own_bot: tuple[BotHarness, Any],
) -> None:
    bot, store = own_bot
    first = await upload(bot, article("甲测试新区", 31), "新建文本文档.txt")
    assert parse_html(first.text).startswith("已收录《")
    assert not buttons(first)
    old_id = next(d.id for d in store.documents() if d.name == "新建文本文档.txt")

    second = await upload(bot, article("乙测试新区", 47), "新建文本文档.txt")
    plain = parse_html(second.text)
    assert plain.startswith("已收录《") and f"编号 {old_id}" in plain, plain
    names = {d.name: d.id for d in store.documents()}
    assert "新建文本文档.txt" in names and "新建文本文档-2.txt" in names  # nothing silently replaced
    new_id = names["新建文本文档-2.txt"]
    assert "31个" in (await bot.private("甲测试新区新签约项目多少个？", user_id=ADMIN)).text
    assert "47个" in (await bot.private("乙测试新区新签约项目多少个？", user_id=ADMIN)).text

    # Only an admin may replace.
    message = bot.api.messages[(ADMIN, second.result["message_id"])]
    data = button_data(second, texts.BUTTON_REPLACE)
    mark = bot.api.mark()
    bot.api.push(bot.api.make_callback_query(message, data, user_id=1001))
    refused = await bot.api.wait_for("answerCallbackQuery", since=mark)
    assert refused.params.get("text") == texts.UPLOAD_NOT_ADMIN
    assert old_id in {d.id for d in store.documents()}

    mark = bot.api.mark()
    bot.api.push(bot.api.make_callback_query(message, data, user_id=ADMIN))
    done = await bot.api.wait_for("sendMessage", lambda c: c.chat_id == ADMIN, since=mark, timeout=30)
    assert parse_html(done.text) == texts.UPLOAD_REPLACED.format(old=old_id, new=new_id)
    assert {d.name: d.id for d in store.documents()} == {**{
        n: i for n, i in names.items() if n not in ("新建文本文档.txt", "新建文本文档-2.txt")
    }, "新建文本文档.txt": new_id}
    assert "31个" not in (await bot.private("甲测试新区新签约项目多少个？", user_id=ADMIN)).text

    # A second press finds nothing left to replace.
    mark = bot.api.mark()
    bot.api.push(bot.api.make_callback_query(message, data, user_id=ADMIN))
    gone = await bot.api.wait_for("sendMessage", lambda c: c.chat_id == ADMIN, since=mark, timeout=30)
    assert parse_html(gone.text) == texts.UPLOAD_REPLACE_GONE.format(old=old_id, new=new_id)


async def test_files_sent_without_a_name_do_not_replace_each_other(own_bot: tuple[BotHarness, Any]) -> None:
    bot, store = own_bot
    for place, figure in (("丙测试新区", 12), ("丁测试新区", 23), ("戊测试新区", 34)):
        call = await upload(bot, article(place, figure), None)
        assert parse_html(call.text).startswith("已收录《"), call.text
    names = sorted(d.name for d in store.documents() if d.name.startswith("upload"))
    assert names == ["upload-2.txt", "upload-3.txt", "upload.txt"]
    for place, figure in (("丙测试新区", 12), ("丁测试新区", 23), ("戊测试新区", 34)):
        answer = await bot.private(f"{place}新签约项目多少个？", user_id=ADMIN)
        assert f"{figure}个" in answer.text, answer.text


async def test_same_text_under_the_same_name_is_unchanged(own_bot: tuple[BotHarness, Any]) -> None:
    bot, store = own_bot
    await upload(bot, article("己测试新区", 15), "a.txt")
    again = await upload(bot, article("己测试新区", 15), "a.txt")
    assert parse_html(again.text) == texts.UPLOAD_UNCHANGED and not buttons(again)
    assert [d.name for d in store.documents()].count("a.txt") == 1
