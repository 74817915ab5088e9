"""Digest delivery engine with a controllable clock: times, jobs, restarts, catch-up, errors."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from telegram.error import BadRequest, NetworkError, TimedOut

from delivery.config import PushConfig
from delivery.engine import Push
from delivery.errors import maybe_delivered
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
from tests.fake_bot_api import FakeBotApi

SH = ZoneInfo("Asia/Shanghai")
# 2024-05-01 08:30 in Shanghai is 00:30 UTC.
SLOT = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)
DAY = date(2024, 5, 1)


@pytest.fixture
def push_db(tmp_path: Path) -> str:
    """A fresh copy of the seeded database."""
    return fresh_db(tmp_path)


# --- pure time logic ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("8:30", (8, 30)), ("08:30", (8, 30)), ("０８：３０", (8, 30)), ("23:59", (23, 59)),
     ("24:00", None), ("8:5", None), ("830", None), ("早上", None), ("8:60", None)],
)
def test_parse_hhmm(text: str, expected: tuple[int, int] | None) -> None:
    assert subs.parse_hhmm(text) == expected


def test_0830_shanghai_is_0030_utc() -> None:
    before = datetime(2024, 5, 1, 0, 0, tzinfo=UTC)
    assert subs.next_slot(8, 30, SH, before) == SLOT
    assert subs.next_slot(8, 30, SH, SLOT) == SLOT + timedelta(days=1)
    assert subs.latest_slot(8, 30, SH, SLOT) == SLOT
    assert subs.latest_slot(8, 30, SH, SLOT - timedelta(seconds=1)) == SLOT - timedelta(days=1)
    assert subs.latest_slot(8, 30, SH, SLOT).date() == DAY  # the local day of the slot


def test_catch_up_only_within_grace_and_only_for_slots_the_subscription_had() -> None:
    grace = timedelta(hours=2)
    since = datetime(2024, 1, 1, tzinfo=UTC)

    def late(now: datetime, scheduled_since: datetime = since) -> datetime | None:
        return subs.catch_up_slot(8, 30, SH, now=now, grace=grace, scheduled_since=scheduled_since)

    assert late(SLOT + timedelta(minutes=30)) == SLOT
    assert late(SLOT + timedelta(hours=2)) == SLOT
    assert late(SLOT + timedelta(hours=2, seconds=1)) is None
    assert late(SLOT + timedelta(days=1) - timedelta(minutes=1)) is None  # missed by a day
    assert late(SLOT + timedelta(minutes=30), scheduled_since=SLOT + timedelta(minutes=10)) is None


def test_ambiguous_transport_errors_are_not_retried() -> None:
    def caused(exc: Exception, cause: Exception) -> Exception:
        exc.__cause__ = cause
        return exc

    assert maybe_delivered(caused(TimedOut(), httpx.ReadTimeout("read")))  # type: ignore[arg-type]
    assert maybe_delivered(caused(NetworkError("x"), httpx.RemoteProtocolError("eof")))  # type: ignore[arg-type]
    assert not maybe_delivered(caused(TimedOut(), httpx.PoolTimeout("pool")))  # type: ignore[arg-type]
    assert not maybe_delivered(caused(NetworkError("x"), httpx.ConnectError("refused")))  # type: ignore[arg-type]
    assert not maybe_delivered(NetworkError("Bad Gateway"))  # Telegram answered 502
    assert not maybe_delivered(BadRequest("chat not found"))


# --- the engine against the fake Bot API --------------------------------------------------------


@pytest.fixture
async def api() -> Any:
    async with FakeBotApi() as server:
        yield server


async def _push(api: FakeBotApi, database_url: str, clock: FakeClock, **config: Any) -> Push:
    store = FactStore.open(database_url)
    bot = await make_bot(api)
    return Push(
        engine=store.engine, bot=bot, config=PushConfig(**config), clock=clock, sleep=no_sleep
    )


async def _app(api: FakeBotApi, database_url: str, clock: FakeClock) -> Any:
    from bot.app import Services, build_application

    app = build_application(settings_for(api, database_url), Services(store=FactStore.open(database_url)))
    await app.initialize()
    push = app.bot_data.services.push
    push.clock, push._sleep = clock, no_sleep
    return app


async def test_the_tick_sends_at_0830_local_once_a_day(api: FakeBotApi, push_db: str) -> None:
    clock = FakeClock(datetime(2024, 5, 1, 0, 0, tzinfo=UTC))
    push = await _push(api, push_db, clock)
    add_subscriptions(push.engine, [501], hour=8, minute=30)
    mark = api.mark()
    await push.tick()
    await push.join()
    assert api.sent_messages(501, since=mark) == []  # 08:00 local: not yet
    clock.set(SLOT - timedelta(seconds=1))
    await push.tick()
    await push.join()
    assert api.sent_messages(501, since=mark) == []
    clock.set(SLOT)  # 08:30 in Shanghai = 00:30 UTC
    await push.tick()
    await push.join()
    assert len(api.sent_messages(501, since=mark)) == 1
    # Later ticks the same day (or a second process) find the day claimed: nothing.
    clock.advance(timedelta(minutes=5))
    await push.tick()
    await push.join()
    assert len(api.sent_messages(501, since=mark)) == 1
    clock.set(SLOT + timedelta(days=1))
    await push.tick()
    await push.join()
    sent = api.sent_messages(501, since=mark)
    assert len(sent) == 2
    assert sent[0].text != sent[1].text  # the rotation moved on
    assert {d.local_date for d in deliveries(push.engine)[501]} == {DAY, DAY + timedelta(days=1)}
    assert not any(d.late for d in deliveries(push.engine)[501])


async def test_a_subscription_made_in_one_process_is_served_by_another(api: FakeBotApi, push_db: str) -> None:
    clock = FakeClock(SLOT - timedelta(hours=1))
    first = await _app(api, push_db, clock)
    await first.process_update(_update(first, api.make_private_text("/subscribe 08:30 投资", user_id=601)))
    await first.shutdown()

    other = await _push(api, push_db, clock)  # another replica: it never saw the command
    mark = api.mark()
    clock.set(SLOT + timedelta(seconds=2))
    await other.tick()
    await other.join()
    assert len(api.sent_messages(601, since=mark)) == 1


async def test_one_replica_at_a_time_holds_the_fanout_lease(api: FakeBotApi, push_db: str) -> None:
    clock = FakeClock(SLOT)
    first, second = await _push(api, push_db, clock), await _push(api, push_db, clock)
    add_subscriptions(first.engine, [651, 652], hour=8, minute=30)
    assert await first.tick() is not None
    assert await second.tick() is None  # the lease is taken: no claim, no send
    await first.join()
    assert [len(api.sent_messages(c)) for c in (651, 652)] == [1, 1]
    # The first stops renewing (killed): after the lease time the second takes over.
    clock.advance(first.config.lease / 2)
    assert await second.tick() is None
    clock.advance(first.config.lease)
    assert await second.tick() is not None
    assert await first.tick() is None and not first.may_send()
    # Released at stop: the other takes it at its next tick.
    await second.release()
    assert await first.tick() is not None


async def test_the_tick_settles_only_stale_claims_of_other_processes(api: FakeBotApi, push_db: str) -> None:
    clock = FakeClock(SLOT)
    live, other = await _push(api, push_db, clock), await _push(api, push_db, clock)
    add_subscriptions(live.engine, [661, 662], hour=8, minute=30)
    with session_scope(live.engine) as session:
        claims = subs.claim_deliveries(session=session, claims=[(c, DAY, SLOT) for c in (661, 662)], now=SLOT)
        assert subs.begin_sending_many(session=session, delivery_ids=[claims[0].id], now=SLOT, holder=live.holder_id)
        session.commit()
    # A replica taking the lease while 661 is in flight elsewhere leaves it alone…
    clock.advance(timedelta(seconds=1))
    await other.tick()
    await other.join()
    assert deliveries(live.engine)[661][0].status == subs.SENDING
    assert api.sent_messages(661) == [] and len(api.sent_messages(662)) == 1
    # …and settles it as unknown (never re-sent) once it is older than the lease.
    clock.advance(other.config.lease)
    await other.tick()
    await other.join()
    assert deliveries(live.engine)[661][0].status == subs.UNKNOWN
    assert api.sent_messages(661) == []


def _update(app: Any, data: dict[str, Any]) -> Any:
    from telegram import Update

    return Update.de_json({"update_id": 1, **data}, app.bot)


async def test_digest_missed_by_30_minutes_is_sent_on_start_but_not_one_missed_by_a_day(
    api: FakeBotApi, push_db: str
) -> None:
    clock = FakeClock(SLOT + timedelta(minutes=30))
    push = await _push(api, push_db, clock)
    add_subscriptions(push.engine, [701], hour=8, minute=30)
    add_subscriptions(push.engine, [702], hour=8, minute=30)
    report = await push.resume()
    assert report.outcomes[subs.SENT] == 2
    assert all(d[0].late for d in deliveries(push.engine).values())
    # A restart a little later the same day sends nothing again.
    again = await (await _push(api, push_db, FakeClock(SLOT + timedelta(minutes=50)))).resume()
    assert not again.outcomes
    assert len(api.sent_messages(701)) == len(api.sent_messages(702)) == 1

    # Down from before yesterday's 08:30 until 07:30 today: yesterday's digest is not sent late.
    mark = api.mark()
    later = FakeClock(SLOT + timedelta(days=2) - timedelta(hours=1))
    report = await (await _push(api, push_db, later)).resume()
    assert not report.outcomes
    assert api.sent_messages(since=mark) == []


async def test_resume_sends_pending_claims_and_never_resends_an_in_flight_one(
    api: FakeBotApi, push_db: str
) -> None:
    clock = FakeClock(SLOT + timedelta(minutes=1))
    push = await _push(api, push_db, clock)
    add_subscriptions(push.engine, [801, 802, 803], hour=8, minute=30)
    with session_scope(push.engine) as session:
        claims = subs.claim_deliveries(
            session=session, claims=[(c, DAY, SLOT) for c in (801, 802, 803)], now=SLOT
        )
        subs.begin_sending(session=session, delivery_id=claims[1].id, now=SLOT)  # 802 in flight
        session.commit()
    report = await push.resume()
    assert report.outcomes[subs.SENT] == 2 and report.unknown_marked == 1
    assert [len(api.sent_messages(c)) for c in (801, 802, 803)] == [1, 0, 1]
    assert deliveries(push.engine)[802][0].status == subs.UNKNOWN


async def test_forbidden_deactivates_migration_moves_and_errors_are_retried(
    api: FakeBotApi, push_db: str
) -> None:
    clock = FakeClock(SLOT)
    app = await _app(api, push_db, clock)
    push: Push = app.bot_data.services.push
    try:
        add_subscriptions(push.engine, [901, -902, -1000000000903, 904], hour=8, minute=30)
        api.forbid_chat(901)
        api.migrate_chat(-902, -1000000000902)
        api.retry_after(-1000000000903, 1, times=1)
        api.fail_next("sendMessage", 500, "Internal Server Error")
        report = await push.fanout()
        assert report.outcomes == {subs.SENT: 3, "forbidden": 1}
        assert api.sent_messages(901) == [] and api.sent_messages(-902) == []
        assert len(api.sent_messages(-1000000000902)) == 1
        assert len(api.sent_messages(-1000000000903)) == 1
        assert len(api.sent_messages(904)) == 1
        with session_scope(push.engine) as session:
            blocked = subs.get_subscription(session=session, chat_id=901)
            assert blocked is not None and not blocked.active
            assert "blocked" in (blocked.deactivated_reason or "")
            assert subs.get_subscription(session=session, chat_id=-902) is None
            moved = subs.get_subscription(session=session, chat_id=-1000000000902)
            assert moved is not None and moved.active
        # The 429 was honoured (tried again after the wait) and the 500 retried with backoff.
        retried = [c.status for c in api.calls("sendMessage") if c.chat_id == -1000000000903]
        assert 429 in retried and retried[-1] == 200
        assert 500 in [c.status for c in api.calls("sendMessage")]
    finally:
        await app.shutdown()


async def test_a_persistent_error_gives_up_and_does_not_stop_the_others(api: FakeBotApi, push_db: str) -> None:
    push = await _push(api, push_db, FakeClock(SLOT), max_attempts=3)
    add_subscriptions(push.engine, [1001, 1002], hour=8, minute=30)
    for _ in range(3):
        api.fail_next("sendMessage", 500, "Internal Server Error")
    report = await push.fanout([1001])
    assert report.outcomes == {subs.FAILED: 1}
    assert (await push.fanout()).outcomes == {subs.SENT: 1}  # 1001's day is used up (failed)
    assert deliveries(push.engine)[1001][0].status == subs.FAILED
    assert "Internal Server Error" in (deliveries(push.engine)[1001][0].error or "")


async def test_rotation_differs_day_to_day_and_topics_filter(api: FakeBotApi, push_db: str) -> None:
    clock = FakeClock(SLOT)
    push = await _push(api, push_db, clock)
    add_subscriptions(push.engine, [1101], hour=8, minute=30)
    add_subscriptions(push.engine, [1102], hour=8, minute=30, topics=["京东方"])
    texts = []
    for day in range(3):
        clock.set(SLOT + timedelta(days=day))
        await push.fanout([1101, 1102])
        texts.append(api.sent_messages(1101)[-1].text)
    assert len(set(texts)) == 3
    for call in api.sent_messages(1102):
        assert "京东方" in call.text
    with session_scope(push.engine) as session:
        assert len(subs.sent_fact_ids(session=session, chat_id=1101)) >= 10


async def test_preview_records_nothing(api: FakeBotApi, push_db: str) -> None:
    push = await _push(api, push_db, FakeClock(SLOT))
    add_subscriptions(push.engine, [1201])
    first = push.preview(1201)
    assert push.preview(1201).html == first.html
    assert deliveries(push.engine) == {}
    assert "开发区新闻简报" in first.html


async def test_a_failed_claim_is_claimed_at_the_next_tick(api: FakeBotApi, push_db: str) -> None:
    """Issue E 11: a dropped database connection during the claim does not lose the day."""
    from sqlalchemy.exc import OperationalError

    clock = FakeClock(SLOT)
    push = await _push(api, push_db, clock)
    add_subscriptions(push.engine, [601, 602], hour=8, minute=30)
    original = push._claim_tick
    calls: list[int] = []

    def flaky(now: datetime) -> list[int]:
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return original(now)

    push._claim_tick = flaky  # type: ignore[method-assign]
    try:
        for _ in range(3):
            clock.advance(timedelta(seconds=1))
            with contextlib.suppress(OperationalError):
                await push.tick()
        await push.join()
        assert [len(api.sent_messages(c)) for c in (601, 602)] == [1, 1]
        assert len(calls) == 3
    finally:
        await push.bot.shutdown()


async def test_the_tick_leaves_an_announcement_in_flight_elsewhere_alone(api: FakeBotApi, push_db: str) -> None:
    from sqlmodel import select

    chat = -1000000000777
    clock = FakeClock(SLOT)
    push = await _push(api, push_db, clock, announce_chat_ids=(chat,))
    with session_scope(push.engine) as session:
        (ann,) = subs.claim_announcements(session=session, key="text:x", chat_ids=[chat], text="hi", now=SLOT)
        assert ann.id is not None
        assert subs.begin_announcement(session=session, announcement_id=ann.id, now=SLOT)  # another replica sends
        session.commit()

    def status() -> str:
        with session_scope(push.engine) as session:
            return session.exec(select(subs.Announcement.status)).one()

    clock.advance(timedelta(seconds=1))
    await push.tick()
    await push.join()
    assert status() == subs.SENDING and api.sent_messages(chat) == []
    clock.advance(push.config.lease)  # that replica is gone: settled, never re-sent
    await push.tick()
    await push.join()
    assert status() == subs.UNKNOWN and api.sent_messages(chat) == []


async def test_the_tick_loads_a_changed_corpus_before_any_digest_is_due(api: FakeBotApi, push_db: str) -> None:
    clock = FakeClock(SLOT - timedelta(hours=1))
    push = await _push(api, push_db, clock)
    await push.tick()
    assert push._warming is None  # nobody subscribed: no corpus kept in memory
    add_subscriptions(push.engine, [701], hour=8, minute=30)
    await push.tick()
    assert push._warming is not None
    push._warming.join(timeout=30)
    with session_scope(push.engine) as session:
        loaded = push.corpus(session, refresh=False)
        assert loaded.facts  # loaded by the tick, an hour before the slot
        assert push.corpus(session) is loaded  # unchanged documents: not loaded again
    assert api.sent_messages(701) == []
