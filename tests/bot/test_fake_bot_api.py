"""The fake Bot API server speaks the real envelope and errors to a real PTB Bot."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from tests.conftest import TEST_TOKEN
from tests.fake_bot_api import FakeBotApi, parse_html


@pytest.fixture
async def tg(fake_api: FakeBotApi):
    bot = Bot(TEST_TOKEN, base_url=fake_api.base_url, base_file_url=fake_api.base_file_url)
    async with bot:
        yield bot


async def test_get_me_and_send_message_round_trip(fake_api: FakeBotApi, tg: Bot) -> None:
    assert tg.username == fake_api.bot_username
    message = await tg.send_message(42, "<b>81.7亿元</b> &amp; more", parse_mode="HTML")
    assert message.text == "81.7亿元 & more"
    call = fake_api.calls("sendMessage")[0]
    assert call.params["chat_id"] == 42
    assert call.text == "<b>81.7亿元</b> &amp; more"
    assert call.token == TEST_TOKEN


async def test_numeric_looking_text_stays_a_string(fake_api: FakeBotApi, tg: Bot) -> None:
    await tg.send_message(42, "123")
    assert fake_api.calls("sendMessage")[0].params["text"] == "123"


async def test_json_bodies_are_accepted(fake_api: FakeBotApi) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{fake_api.base_url}{TEST_TOKEN}/sendMessage"
        async with session.post(url, json={"chat_id": 5, "text": "hi"}) as response:
            body = await response.json()
    assert body["ok"] is True
    assert body["result"]["chat"]["id"] == 5


async def test_unknown_method_is_404(fake_api: FakeBotApi) -> None:
    url = f"{fake_api.base_url}{TEST_TOKEN}/noSuchMethod"
    async with aiohttp.ClientSession() as session, session.post(url) as response:
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<b>open", "Can't find end tag"),
        ("a < b", "Unexpected character"),
        ("<script>x</script>", 'Unsupported start tag "script"'),
        ("AT&T", "Can't find end of the entity"),
        ("<b>x</i>", "Unmatched end tag"),
    ],
)
async def test_bad_html_is_refused_like_telegram(fake_api: FakeBotApi, tg: Bot, text: str, fragment: str) -> None:
    with pytest.raises(BadRequest, match="parse entities"):
        await tg.send_message(1, text, parse_mode="HTML")
    assert fragment in fake_api.calls("sendMessage")[-1].response["description"]


def test_parse_html_counts_visible_text() -> None:
    assert parse_html('<a href="http://x">链接</a> &lt;b&gt; &#36;') == "链接 <b> $"


async def test_length_limits(fake_api: FakeBotApi, tg: Bot) -> None:
    await tg.send_message(1, "<b>" + "字" * 4096 + "</b>", parse_mode="HTML")  # tags don't count
    with pytest.raises(BadRequest, match="too long"):
        await tg.send_message(1, "字" * 4097)
    with pytest.raises(BadRequest, match="too long"):
        await tg.send_message(1, "😀" * 2049)  # UTF-16: 4098 units
    with pytest.raises(BadRequest, match="empty"):
        await tg.send_message(1, "<b> </b>", parse_mode="HTML")


async def test_callback_data_over_64_bytes_is_refused(tg: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="汉" * 22)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await tg.send_message(1, "hi", reply_markup=markup)


async def test_edit_message_text_and_not_modified(fake_api: FakeBotApi, tg: Bot) -> None:
    message = await tg.send_message(7, "one")
    await tg.edit_message_text("two", chat_id=7, message_id=message.message_id)
    with pytest.raises(BadRequest, match="not modified"):
        await tg.edit_message_text("two", chat_id=7, message_id=message.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await tg.edit_message_text("x", chat_id=7, message_id=999)
    assert fake_api.messages[(7, message.message_id)]["text"] == "two"


async def test_faults(fake_api: FakeBotApi, tg: Bot) -> None:
    fake_api.forbid_chat(10)
    with pytest.raises(Forbidden, match="blocked"):
        await tg.send_message(10, "x")
    fake_api.retry_after(11, 3, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
            await tg.send_message(11, "x")
    await tg.send_message(11, "x")
    fake_api.migrate_chat(-12, -10012)
    with pytest.raises(ChatMigrated) as migrated:
        await tg.send_message(-12, "x")
    assert migrated.value.new_chat_id == -10012
    fake_api.fail_next("sendMessage", 500, "Internal Server Error")
    with pytest.raises(Exception, match="Internal Server Error"):
        await tg.send_message(13, "x")
    assert fake_api.sent == {11: 1}
    assert [c.status for c in fake_api.calls("sendMessage")] == [403, 429, 429, 200, 400, 500]


async def test_global_rate_limit() -> None:
    async with FakeBotApi(rate_limit=3) as api, Bot(TEST_TOKEN, base_url=api.base_url) as tg:
        for chat in range(3):
            await tg.send_message(chat + 1, "x")
        with pytest.raises(RetryAfter):
            await tg.send_message(9, "x")


async def test_get_updates_long_poll_and_offset(fake_api: FakeBotApi, tg: Bot) -> None:
    waiting = asyncio.create_task(tg.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    pushed = fake_api.push(fake_api.make_private_text("/start"))
    updates = await asyncio.wait_for(waiting, 5)
    assert [u.update_id for u in updates] == [pushed["update_id"]]
    assert updates[0].message.text == "/start"
    assert updates[0].message.entities[0].type == "bot_command"
    assert fake_api.pending_updates == 1
    assert await tg.get_updates(offset=pushed["update_id"] + 1, timeout=0) == ()
    assert fake_api.pending_updates == 0


async def test_update_builders_parse_in_ptb(fake_api: FakeBotApi, tg: Bot) -> None:
    reply_target = (await tg.send_message(-100500, "bot says")).to_dict()
    builders = [
        fake_api.make_group_text("@devnews_test_bot 你好", chat_id=-100500, reply_to=reply_target),
        fake_api.make_callback_query(reply_target, "ans:1:=q"),
        fake_api.make_inline_query("京东方"),
        fake_api.make_document(b"text", file_name="a.txt"),
        fake_api.make_sticker(),
        fake_api.make_photo(caption="图"),
    ]
    for update in builders:
        fake_api.push(update)
    updates = await tg.get_updates(timeout=1)
    assert updates[0].message.reply_to_message.from_user.id == tg.id
    assert updates[0].message.parse_entities(["mention"]) != {}
    assert updates[1].callback_query.data == "ans:1:=q"
    assert updates[2].inline_query.query == "京东方"
    assert updates[3].message.document.file_name == "a.txt"
    assert updates[4].message.sticker is not None
    assert updates[5].message.photo and updates[5].message.caption == "图"


async def test_get_file_and_download(fake_api: FakeBotApi, tg: Bot) -> None:
    file_id = fake_api.add_file("新闻正文".encode(), "news.txt")
    file = await tg.get_file(file_id)
    assert bytes(await file.download_as_bytearray()) == "新闻正文".encode()
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await tg.get_file("nope")


async def test_send_document_is_multipart(fake_api: FakeBotApi, tg: Bot) -> None:
    message = await tg.send_document(3, b"a,b\n1,2\n", filename="facts.csv", caption="<b>表</b>", parse_mode="HTML")
    assert message.document.file_name == "facts.csv"
    call = fake_api.calls("sendDocument")[0]
    assert call.files["document"] == ("facts.csv", b"a,b\n1,2\n")
    assert call.params["caption"] == "<b>表</b>"


async def test_chat_member_status_and_get_chat(fake_api: FakeBotApi, tg: Bot) -> None:
    fake_api.set_member_status(-100, 5, "administrator")
    fake_api.set_member_status(-100, 6, "creator")
    assert isinstance(await tg.get_chat_member(-100, 5), ChatMemberAdministrator)
    assert isinstance(await tg.get_chat_member(-100, 6), ChatMemberOwner)
    for status in ("member", "left", "kicked", "restricted"):
        fake_api.set_member_status(-100, 7, status)
        assert (await tg.get_chat_member(-100, 7)).status == status
    chat = await tg.get_chat(-100)
    assert chat.type == "group"


async def test_set_my_commands_is_recorded_per_scope(fake_api: FakeBotApi, tg: Bot) -> None:
    from telegram import BotCommand, BotCommandScopeAllGroupChats

    await tg.set_my_commands([BotCommand("ask", "提问")], scope=BotCommandScopeAllGroupChats())
    assert fake_api.commands['{"type": "all_group_chats"}'] == [{"command": "ask", "description": "提问"}]
    with pytest.raises(BadRequest):
        await tg.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_leave_chat_then_sends_are_forbidden(fake_api: FakeBotApi, tg: Bot) -> None:
    await tg.leave_chat(-300)
    with pytest.raises(Forbidden, match="not a member"):
        await tg.send_message(-300, "x")


async def test_wait_for_times_out_with_a_useful_message(fake_api: FakeBotApi) -> None:
    with pytest.raises(AssertionError, match="no sendMessage within"):
        await fake_api.wait_for("sendMessage", timeout=0.05)


async def test_second_poller_ends_the_first_with_409(fake_api: FakeBotApi, tg: Bot) -> None:
    first = asyncio.create_task(tg.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    async with aiohttp.ClientSession() as session:
        url = f"{fake_api.base_url}{TEST_TOKEN}/getUpdates"
        async with session.post(url, json={"timeout": 0}) as response:
            assert (await response.json())["ok"] is True
    with pytest.raises(Exception, match="Conflict"):
        await asyncio.wait_for(first, 5)
