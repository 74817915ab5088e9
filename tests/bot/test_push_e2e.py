"""Digests and announcements end to end against the fake Bot API: fan-out, faults, kill, commands, CLI."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from delivery.config import PushConfig
from delivery.engine import Push
from render import texts
from store import subscriptions as subs
from store.db import session_scope
from store.service import FactStore
from tests.bot.pushkit import (
    FakeClock,
    add_subscriptions,
    deliveries,
    fresh_db,
    make_bot,
    no_sleep,
    settings_for,
)
from tests.conftest import TEST_TOKEN, BotHarness, button_data, buttons, running_bot
from tests.fake_bot_api import Call, FakeBotApi, parse_html

ROOT = Path(__file__).resolve().parents[2]
SLOT = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
ANNOUNCE = (-1001111111111, -1002222222222)
ADMIN = 42
GROUP = -1005555555555
ARTICLE = (
    "推送新区：创新驱动加快发展\n\n"
    "2023年，推送新区完成固定资产投资120亿元，同比增长12.5%。\n\n"
    "推送新区新签约重点项目35个，总投资达到260亿元。\n\n"
    "推送新区力争年内新引进高新技术企业50家。\n"
)


@pytest.fixture
def push_db(tmp_path: Path) -> str:
    """A fresh copy of the seeded database."""
    return fresh_db(tmp_path)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


async def _push(api: FakeBotApi, database_url: str, clock: FakeClock, **config: Any) -> Push:
    return Push(
        engine=FactStore.open(database_url).engine, bot=await make_bot(api),
        config=PushConfig(**config), clock=clock, sleep=no_sleep,
    )


def _counts(api: FakeBotApi) -> Counter[Any]:
    return Counter(c.chat_id for c in api.sent_messages())


# --- fan-out ------------------------------------------------------------------------------------


async def test_fanout_to_1000_chats_with_429_and_403_then_restart_sends_no_second_digest(
    api: FakeBotApi, push_db: str
) -> None:
    """Every reachable chat gets exactly one digest; blocked chats are switched off."""
    clock = FakeClock(SLOT)
    push = await _push(api, push_db, clock, concurrency=16)
    chats = list(range(20_001, 21_001))
    add_subscriptions(push.engine, chats)
    blocked = set(chats[::50])  # 20 chats blocked the bot
    flooded = chats[7:500:100]  # 5 chats answered 429 first
    for chat in blocked:
        api.forbid_chat(chat)
    for chat in flooded:
        api.retry_after(chat, 1, times=1)
    report = await push.fanout()
    assert report.outcomes == {subs.SENT: 980, "forbidden": 20}
    counts = _counts(api)
    assert set(counts) == set(chats) - blocked and set(counts.values()) == {1}
    statuses = Counter(c.status for c in api.calls("sendMessage"))
    assert statuses[429] == 5 and statuses[403] == 20
    with session_scope(push.engine) as session:
        active = {s.chat_id for s in subs.active_subscriptions(session=session)}
    assert active == set(chats) - blocked
    rows = deliveries(push.engine)
    assert all(len(r) == 1 for r in rows.values()) and len(rows) == 1000
    assert Counter(r[0].status for r in rows.values()) == {subs.SENT: 980, subs.FAILED: 20}

    # Restart later the same day: start-up recovery and the daily job both find the day done.
    clock.advance(timedelta(minutes=40))
    mark = api.mark()
    restarted = await _push(api, push_db, clock, concurrency=16)
    assert not (await restarted.resume()).outcomes
    assert not (await restarted.fanout()).outcomes
    assert api.sent_messages(since=mark) == []


WORKER = """
import asyncio, sys
from datetime import datetime
from telegram.ext import ExtBot
from delivery.config import PushConfig, make_rate_limiter
from delivery.engine import Push
from store.service import FactStore

database_url, base_url, token, now, concurrency = sys.argv[1:6]

class Rate:
    push_rate = 5000.0

async def main():
    bot = ExtBot(token, base_url=base_url, rate_limiter=make_rate_limiter(Rate()))
    async with bot:
        push = Push(
            engine=FactStore.open(database_url).engine, bot=bot,
            config=PushConfig(concurrency=int(concurrency)),
            clock=lambda: datetime.fromisoformat(now),
        )
        resumed = await push.resume()
        report = await push.fanout()
        print("resumed", dict(resumed.outcomes), resumed.unknown_marked, "fanout", dict(report.outcomes))

asyncio.run(main())
"""


async def _run_worker(api: FakeBotApi, database_url: str, now: datetime, concurrency: int, kill_after: int | None) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER, database_url, api.base_url, TEST_TOKEN, now.isoformat(),
        str(concurrency), cwd=str(ROOT), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    if kill_after is not None:
        start = len(api.sent_messages())

        def kill_at_nth_send(call: Call) -> None:
            # Runs inside the server after the send is recorded, before it is answered: the
            # worker dies with this message delivered but not yet confirmed to it.
            if call.method == "sendMessage" and call.ok and len(api.sent_messages()) - start >= kill_after:
                api.on_call = None
                os.kill(proc.pid, signal.SIGKILL)

        api.on_call = kill_at_nth_send
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    api.on_call = None
    return proc.returncode or 0, out.decode()


async def test_killed_mid_fanout_then_restarted_completes_without_duplicates(api: FakeBotApi, push_db: str) -> None:
    engine = FactStore.open(push_db).engine
    chats = list(range(30_001, 30_201))
    add_subscriptions(engine, chats)
    now = SLOT + timedelta(minutes=1)

    code, out = await _run_worker(api, push_db, now, concurrency=1, kill_after=60)
    assert code == -signal.SIGKILL, out
    assert len(api.sent_messages()) == 60
    states = Counter(rows[0].status for rows in deliveries(engine).values())
    assert states == {subs.SENT: 59, subs.SENDING: 1, subs.PENDING: 140}

    code, out = await _run_worker(api, push_db, now + timedelta(minutes=2), concurrency=1, kill_after=None)
    assert code == 0, out
    counts = _counts(api)
    assert set(counts) == set(chats) and set(counts.values()) == {1}
    states = Counter(rows[0].status for rows in deliveries(engine).values())
    # The one in flight at the kill reached Telegram but was never confirmed: it is recorded
    # as unknown and, at most once, not sent again.
    assert states == {subs.SENT: 199, subs.UNKNOWN: 1}


async def test_kill_with_concurrent_sends_never_duplicates(api: FakeBotApi, push_db: str) -> None:
    engine = FactStore.open(push_db).engine
    chats = list(range(31_001, 31_201))
    add_subscriptions(engine, chats)
    now = SLOT + timedelta(minutes=1)
    code, _ = await _run_worker(api, push_db, now, concurrency=4, kill_after=50)
    assert code == -signal.SIGKILL
    code, out = await _run_worker(api, push_db, now, concurrency=4, kill_after=None)
    assert code == 0, out
    counts = _counts(api)
    assert max(counts.values()) == 1
    rows = {chat: r[0] for chat, r in deliveries(engine).items()}
    missing = set(chats) - set(counts)
    # Only sends in flight at the kill can be missing, and each is on record as unknown.
    assert len(missing) <= 3
    assert all(rows[c].status == subs.UNKNOWN for c in missing)


# --- commands through the real Application ------------------------------------------------------


@pytest.fixture
async def push_bot(api: FakeBotApi, push_db: str) -> AsyncIterator[BotHarness]:

    settings = settings_for(
        api, push_db, admin_ids=str(ADMIN), announce_chat_ids=",".join(map(str, ANNOUNCE))
    )
    async with running_bot(api, settings, FactStore.open(push_db)) as harness:
        yield harness


def _sub(harness: BotHarness, chat_id: int) -> subs.Subscription | None:
    with session_scope(harness.app.bot_data.services.push.engine) as session:
        return subs.get_subscription(session=session, chat_id=chat_id)


def _job_zone(harness: BotHarness, chat_id: int) -> Any:
    """The zone the tick serves the chat's digest in; None when it is not served."""
    sub = _sub(harness, chat_id)
    return sub.timezone if sub is not None and sub.active else None


async def test_private_subscribe_settings_timezone_unsubscribe(push_bot: BotHarness) -> None:
    reply = await push_bot.private("/subscribe 08:30 港口 投資", user_id=1001)
    plain = parse_html(reply.text)
    assert "已订阅" in plain and "08:30" in plain and "港口、投资" in plain  # traditional folded
    sub = _sub(push_bot, 1001)
    assert sub is not None and sub.active and sub.topics == ["港口", "投资"] and sub.timezone == "Asia/Shanghai"
    assert str(_job_zone(push_bot, 1001)) == "Asia/Shanghai"

    bad = await push_bot.private("/subscribe 25:00", user_id=1001)
    assert "时间格式不对" in parse_html(bad.text)

    settings = await push_bot.private("/settings", user_id=1001)
    assert "08:30" in parse_html(settings.text) and "港口、投资" in parse_html(settings.text)
    edited = await push_bot.press(settings, "21:00", user_id=1001)
    assert "每天 21:00" in parse_html(edited.text)
    assert (_sub(push_bot, 1001) or subs.Subscription(chat_id=0)).hour == 21

    tz = await push_bot.private("/timezone Asia/Tokyo", user_id=1001)
    assert "Asia/Tokyo" in parse_html(tz.text)
    assert str(_job_zone(push_bot, 1001)) == "Asia/Tokyo"
    unknown = await push_bot.private("/timezone Mars/Base", user_id=1001)
    assert "不认识的时区" in parse_html(unknown.text)

    off = await push_bot.private("/unsubscribe", user_id=1001)
    assert parse_html(off.text) == texts.PUSH_UNSUBSCRIBED
    assert _job_zone(push_bot, 1001) is None
    sub = _sub(push_bot, 1001)
    assert sub is not None and not sub.active and sub.hour == 21  # settings kept


async def test_in_groups_only_admins_change_the_subscription(push_bot: BotHarness) -> None:
    api = push_bot.api
    refused = await push_bot.group("/subscribe 09:00", chat_id=GROUP, user_id=1001)
    assert parse_html(refused.text) == texts.PUSH_ADMINS_ONLY
    assert _sub(push_bot, GROUP) is None
    assert api.calls("getChatMember")

    api.set_member_status(GROUP, 1002, "administrator")
    ok = await push_bot.group("/subscribe 09:00", chat_id=GROUP, user_id=1002)
    assert "已订阅" in parse_html(ok.text)
    assert _job_zone(push_bot, GROUP) is not None

    settings = await push_bot.group("/settings", chat_id=GROUP, user_id=1001)  # anyone may look
    message = api.messages[(GROUP, settings.result["message_id"])]
    press = api.make_callback_query(message, button_data(settings, "07:00"), user_id=1001)
    answer = await push_bot.exchange(press, "answerCallbackQuery")
    assert answer.params.get("text") == texts.PUSH_ADMINS_ONLY_SHORT
    assert (_sub(push_bot, GROUP) or subs.Subscription(chat_id=0)).hour == 9

    refused = await push_bot.group("/unsubscribe", chat_id=GROUP, user_id=1001)
    assert parse_html(refused.text) == texts.PUSH_ADMINS_ONLY
    api.set_member_status(GROUP, 1003, "creator")
    off = await push_bot.group("/unsubscribe", chat_id=GROUP, user_id=1003)
    assert parse_html(off.text) == texts.PUSH_UNSUBSCRIBED


async def test_migration_and_removal_change_the_subscription_at_once(push_bot: BotHarness) -> None:
    """Issue E 13, 14: no failed send needed: the service updates themselves act."""
    api = push_bot.api
    old, new = -4001, -1004001000000
    api.set_member_status(old, 1001, "administrator")
    await push_bot.group(f"/subscribe@{api.bot_username} 09:00", chat_id=old)
    assert _sub(push_bot, old) is not None and _job_zone(push_bot, old) is not None

    api.chat_types[new] = "supergroup"
    api.push({"message": api.make_message(old, 1001, migrate_to_chat_id=new)})
    # The job is rescheduled right after the move is committed: wait for both.
    await api.wait_until(
        lambda: _sub(push_bot, new) is not None and _job_zone(push_bot, new) is not None, timeout=60
    )
    # Telegram also sends the new supergroup's side of the migration: it changes nothing more.
    await push_bot.replies_until_sentinel(
        {"message": api.make_message(new, 1001, migrate_from_chat_id=old)}, new
    )
    moved = _sub(push_bot, new)
    assert moved is not None and moved.active and moved.hour == 9
    assert _sub(push_bot, old) is None
    assert _job_zone(push_bot, old) is None and _job_zone(push_bot, new) is not None

    api.push(api.make_my_chat_member(new, "kicked"))
    await api.wait_until(
        lambda: not _sub(push_bot, new).active and _job_zone(push_bot, new) is None,  # type: ignore[union-attr]
        timeout=60,
    )
    assert "kicked" in (_sub(push_bot, new).deactivated_reason or "")  # type: ignore[union-attr]
    assert _job_zone(push_bot, new) is None
    private = await push_bot.private("/subscribe 07:00", user_id=5005)
    assert private.ok and _sub(push_bot, 5005).active  # type: ignore[union-attr]
    api.push(api.make_my_chat_member(5005, "kicked", user_id=5005))  # the user blocked the bot
    await api.wait_until(lambda: not _sub(push_bot, 5005).active, timeout=30)  # type: ignore[union-attr]
    assert all("/targets" in c.text for c in api.sent_messages(new))  # only the /help sentinel


async def test_a_subscription_made_in_a_forum_topic_gets_its_digest_there(push_bot: BotHarness) -> None:
    """Issue E 12: the digest goes to the topic /subscribe was sent in, not to General."""
    api = push_bot.api
    forum, topic = -1006006006006, 77
    api.set_member_status(forum, 1001, "administrator")
    command = api.make_group_text(
        f"/subscribe@{api.bot_username} 09:00", chat_id=forum, message_thread_id=topic,
        is_topic_message=True,
    )
    confirm = await push_bot.exchange(command, predicate=lambda c: c.chat_id == forum)
    assert confirm.params.get("message_thread_id") == topic
    sub = _sub(push_bot, forum)
    assert sub is not None and sub.message_thread_id == topic
    mark = api.mark()
    push: Push = push_bot.app.bot_data.services.push
    assert await push.send_now(forum) == subs.SENT
    (digest,) = api.sent_messages(forum, since=mark)
    assert digest.params.get("message_thread_id") == topic

    # The topic is deleted: the next day's digest goes to the chat itself, and stays there.
    push.clock = lambda: subs._now() + timedelta(days=1)
    api.fail_next("sendMessage", 400, "Bad Request: message thread not found")
    mark = api.mark()
    assert await push.send_now(forum) == subs.SENT
    sent = [c for c in api.sent_messages(forum, since=mark) if c.ok]
    assert len(sent) == 1 and "message_thread_id" not in sent[0].params
    assert _sub(push_bot, forum).message_thread_id is None  # type: ignore[union-attr]


async def test_a_settings_button_whose_message_cannot_be_edited_answers_once(push_bot: BotHarness) -> None:
    """Issue E 18: the press is answered once and the settings come as a new message."""
    api = push_bot.api
    shown = await push_bot.private("/settings", user_id=7007)
    api.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
    mark = api.mark()
    press = api.make_callback_query(
        api.messages[(7007, shown.result["message_id"])], button_data(shown, "09:00"), user_id=7007
    )
    again = await push_bot.exchange(press, "sendMessage", lambda c: c.chat_id == 7007)
    assert "09:00" in parse_html(again.text)
    await push_bot.private("/help", user_id=7007)
    assert len(api.calls("answerCallbackQuery", since=mark)) == 1


async def test_digest_command_is_a_preview_that_records_nothing(push_bot: BotHarness) -> None:
    call = await push_bot.private("/digest", user_id=1001)
    plain = parse_html(call.text)
    assert plain.startswith("预览") and "开发区新闻简报" in plain and "——" not in plain[:10]
    assert "\n    —— " in plain  # figures carry their source line (the one answers use)
    assert deliveries(push_bot.app.bot_data.services.push.engine) == {}


async def test_announce_command_is_for_admins_only(push_bot: BotHarness) -> None:
    api = push_bot.api
    refused = await push_bot.private("/announce 明天上午十点召开发布会", user_id=1001)
    assert parse_html(refused.text) == texts.PUSH_ANNOUNCE_ADMINS_ONLY
    assert all(api.sent_messages(chat) == [] for chat in ANNOUNCE)

    done = await push_bot.private("/announce 明天上午十点召开<发布会> & 答记者问", user_id=ADMIN)
    assert "已发到 2/2" in parse_html(done.text)
    for chat in ANNOUNCE:
        (posted,) = api.sent_messages(chat)
        assert parse_html(posted.text) == "📢 公告\n\n明天上午十点召开<发布会> & 答记者问"


async def test_announce_length_is_counted_as_telegram_counts(push_bot: BotHarness) -> None:
    """UTF-16 units of the shown text: emoji count twice, `&` (sent as &amp;) once."""
    api = push_bot.api
    emoji = await push_bot.private("/announce " + "😀" * 2100, user_id=ADMIN)
    numbers = [int(n) for n in re.findall(r"\d+", parse_html(emoji.text))]
    assert len(numbers) == 2 and numbers[0] == 4200 and numbers[0] > numbers[1], emoji.text
    assert all(api.sent_messages(chat) == [] for chat in ANNOUNCE)

    ampersands = await push_bot.private("/announce " + "&" * 3000, user_id=ADMIN)
    assert "已发到 2/2" in parse_html(ampersands.text)


async def test_admin_upload_announces_once_and_bad_uploads_change_nothing(push_bot: BotHarness) -> None:
    api = push_bot.api
    store: FactStore = push_bot.app.bot_data.store
    before = len(store.documents())

    def upload(content: bytes, *, user: int, name: str = "push_article.txt", mime: str = "text/plain") -> Any:
        update = api.make_document(content, file_name=name, mime_type=mime, user_id=user)
        return push_bot.replies_until_sentinel(update, user)

    refused = await upload(ARTICLE.encode(), user=1001)
    assert [parse_html(c.text) for c in refused] == [texts.UPLOAD_NOT_ADMIN]
    big = await upload(b"x" * (20 * 1024 * 1024 + 1), user=ADMIN)
    assert "文件太大" in parse_html(big[0].text)
    binary = await upload(bytes(range(256)) * 20, user=ADMIN, name="binary.txt")
    assert parse_html(binary[0].text).startswith("没有收录")
    pdf = await upload(b"%PDF-1.4", user=ADMIN, name="a.pdf", mime="application/pdf")
    assert "无法读取 PDF" in parse_html(pdf[0].text)
    sheet = await upload(b"PK", user=ADMIN, name="a.xlsx", mime="application/zip")
    assert parse_html(sheet[0].text) == texts.UPLOAD_BAD_TYPE
    assert len(store.documents()) == before
    assert all(api.sent_messages(chat) == [] for chat in ANNOUNCE)

    replies = await upload(ARTICLE.encode(), user=ADMIN)
    assert parse_html(replies[0].text).startswith("已收录《")
    assert "已发到 2/2" in parse_html(replies[-1].text)
    doc_id = max(d.id for d in store.documents())
    for chat in ANNOUNCE:
        (posted,) = api.sent_messages(chat)
        plain = parse_html(posted.text)
        assert "新文章：推送新区" in plain and "120亿元" in plain and "日期：" in plain
        (button,) = buttons(posted)
        assert button["url"].endswith(f"?start=doc_{doc_id}")

    again = await upload(ARTICLE.encode(), user=ADMIN)
    assert [parse_html(c.text) for c in again] == [texts.UPLOAD_UNCHANGED]
    assert all(len(api.sent_messages(chat)) == 1 for chat in ANNOUNCE)

    # The announcement's button opens the document in a private chat.
    deep = await push_bot.private(f"/start doc_{doc_id}", user_id=1001)
    assert "推送新区" in parse_html(deep.text)


# --- CLI ----------------------------------------------------------------------------------------


def _cli_env(api: FakeBotApi, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ANNOUNCE_", "ADMIN_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=database_url, TELEGRAM_API_BASE_URL=api.base_url, **extra)
    return env


async def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=str(cwd), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return subprocess.CompletedProcess(args, proc.returncode or 0, out.decode(), err.decode())


async def test_cli_ingest_records_announcements_and_sends_nothing(
    api: FakeBotApi, push_db: str, tmp_path: Path
) -> None:
    article = tmp_path / "cli_article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    env = _cli_env(api, push_db, TELEGRAM_BOT_TOKEN=TEST_TOKEN, ANNOUNCE_CHAT_IDS=",".join(map(str, ANNOUNCE)))
    first = await _cli(["ingest", str(article)], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "added" in first.stdout and "1 announcement(s) recorded" in first.stdout
    again = await _cli(["ingest", str(article)], env, tmp_path)
    assert again.returncode == 0 and "unchanged" in again.stdout and "recorded" not in again.stdout
    quiet = tmp_path / "quiet.txt"
    quiet.write_text(ARTICLE.replace("120亿元", "130亿元"), encoding="utf-8")
    skipped = await _cli(["ingest", "--no-announce", str(quiet)], env, tmp_path)
    assert skipped.returncode == 0 and "added" in skipped.stdout and "recorded" not in skipped.stdout
    assert api.calls() == []  # the CLI is not a sender: the running bot posts
    with session_scope(FactStore.open(push_db).engine) as session:
        assert subs.pending_announcement_count(session=session) == 1


async def test_cli_digest_dry_run_and_subscribers(api: FakeBotApi, push_db: str, tmp_path: Path) -> None:
    engine = FactStore.open(push_db).engine
    add_subscriptions(engine, [4242], hour=7, minute=45, topics=["京东方"])
    env = _cli_env(api, push_db)
    dry = await _cli(["digest", "--chat", "4242", "--dry-run"], env, tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "next digest" in dry.stdout and "07:45 Asia/Shanghai" in dry.stdout
    assert "京东方" in dry.stdout and "主题：京东方" in dry.stdout
    listing = await _cli(["subscribers"], env, tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "4242" in listing.stdout and "07:45" in listing.stdout and "1 subscriptions, 1 active" in listing.stdout
    assert api.sent_messages() == [] and deliveries(engine) == {}

    send_env = _cli_env(api, push_db, TELEGRAM_BOT_TOKEN=TEST_TOKEN)
    sent = await _cli(["digest", "--chat", "4242"], send_env, tmp_path)
    assert sent.returncode == 0 and "chat 4242: sent" in sent.stdout, sent.stderr
    assert len(api.sent_messages(4242)) == 1
    again = await _cli(["digest", "--chat", "4242"], send_env, tmp_path)
    assert again.returncode == 1 and "already" in again.stdout  # still once per day
    assert len(api.sent_messages(4242)) == 1
    assert TEST_TOKEN not in sent.stdout + sent.stderr + again.stdout + again.stderr
