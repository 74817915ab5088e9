"""64-bit Telegram ids end to end (issue H): a supergroup -100… and a user id above 2**31.

Run on both databases (`make test`); on PostgreSQL these ids overflowed the old 32-bit columns.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from delivery.config import PushConfig
from delivery.engine import Push
from store import subscriptions as subs
from store.db import session_scope
from store.service import FactStore
from tests.bot.pushkit import FakeClock, deliveries, fresh_db, make_bot, no_sleep, settings_for
from tests.conftest import BotHarness, running_bot
from tests.fake_bot_api import FakeBotApi, parse_html

SUPERGROUP = -1001234567890
BIG_USER = 2**31 + 12_345  # private chat id = user id
BIG_ADMIN = 2**33 + 7
SLOT = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
ARTICLE = (
    "大号新区：推进高质量发展\n\n"
    "2023年，大号新区完成固定资产投资88亿元，同比增长9.5%。\n\n"
    "大号新区新签约重点项目17个，总投资达到160亿元。\n"
)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def harness(api: FakeBotApi, tmp_path) -> AsyncIterator[BotHarness]:

    url = fresh_db(tmp_path)
    settings = settings_for(
        api, url, admin_ids=f"{BIG_ADMIN},{BIG_USER}", announce_chat_ids=str(SUPERGROUP)
    )
    async with running_bot(api, settings, FactStore.open(url)) as harness:
        yield harness


def _engine(harness: BotHarness):
    return harness.app.bot_data.services.push.engine


def _sub(harness: BotHarness, chat_id: int) -> subs.Subscription | None:
    with session_scope(_engine(harness)) as session:
        return subs.get_subscription(session=session, chat_id=chat_id)


async def test_subscribe_settings_digest_and_announce_with_64_bit_ids(harness: BotHarness) -> None:
    api = harness.api
    # A user whose id is above 2**31, in a private chat.
    reply = await harness.private("/subscribe 08:30 投资", user_id=BIG_USER)
    assert "已订阅" in parse_html(reply.text)
    settings = await harness.private("/settings", user_id=BIG_USER)
    assert "08:30" in parse_html(settings.text)
    edited = await harness.press(settings, "21:00", user_id=BIG_USER)
    assert "每天 21:00" in parse_html(edited.text)
    sub = _sub(harness, BIG_USER)
    assert sub is not None and sub.chat_id == BIG_USER and sub.hour == 21
    preview = await harness.private("/digest", user_id=BIG_USER)
    assert parse_html(preview.text).startswith("预览")

    # A supergroup (-100…), changed by an admin whose id is above 2**32.
    api.set_member_status(SUPERGROUP, BIG_ADMIN, "administrator")
    ok = await harness.group("/subscribe 08:30", chat_id=SUPERGROUP, user_id=BIG_ADMIN)
    assert "已订阅" in parse_html(ok.text)
    group_settings = await harness.group("/settings", chat_id=SUPERGROUP, user_id=BIG_ADMIN)
    assert "08:30" in parse_html(group_settings.text)
    sub = _sub(harness, SUPERGROUP)
    assert sub is not None and sub.chat_id == SUPERGROUP and sub.changed_by == BIG_ADMIN
    group_preview = await harness.group("/digest", chat_id=SUPERGROUP, user_id=BIG_ADMIN)
    assert parse_html(group_preview.text).startswith("预览")

    # Announcements to the supergroup: a free text, then an admin upload (answerable at once).
    done = await harness.private("/announce 明天发布会", user_id=BIG_ADMIN)
    assert "已发到 1/1" in parse_html(done.text)
    update = api.make_document(ARTICLE.encode(), file_name="big_ids.txt", user_id=BIG_ADMIN)
    replies = await harness.replies_until_sentinel(update, BIG_ADMIN)
    assert parse_html(replies[0].text).startswith("已收录《")
    posted = [parse_html(c.text) for c in api.sent_messages(SUPERGROUP)]
    assert any("明天发布会" in p for p in posted) and any("大号新区" in p for p in posted)
    answer = await harness.private("大号新区新签约重点项目多少个？", user_id=BIG_USER)
    assert "17个" in parse_html(answer.text)
    from sqlmodel import Session, select

    with Session(_engine(harness)) as session:
        rows = session.exec(select(subs.Announcement)).all()
    assert {r.chat_id for r in rows} == {SUPERGROUP}
    assert all(r.status == subs.SENT and r.message_id for r in rows)


async def test_scheduled_digest_reaches_a_supergroup_and_a_big_user_id(
    api: FakeBotApi, tmp_path
) -> None:
    url = fresh_db(tmp_path)
    clock = FakeClock(SLOT)
    push = Push(
        engine=FactStore.open(url).engine, bot=await make_bot(api),
        config=PushConfig(), clock=clock, sleep=no_sleep,
    )
    with session_scope(push.engine) as session:
        for chat in (SUPERGROUP, BIG_USER):
            subs.subscribe(
                session=session, chat_id=chat, hour=8, minute=30, by=BIG_ADMIN,
                now=SLOT.replace(hour=0, minute=0),
            )
        session.commit()
    report = await push.fanout()
    assert report.outcomes == {subs.SENT: 2}
    assert {c.chat_id for c in api.sent_messages()} == {SUPERGROUP, BIG_USER}
    rows = deliveries(push.engine)
    assert set(rows) == {SUPERGROUP, BIG_USER}
    assert all(r[0].status == subs.SENT and r[0].message_id for r in rows.values())
