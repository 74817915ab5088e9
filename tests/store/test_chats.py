"""Chat settings and button texts as handlers call them: one unit of work per call (temp database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from store.chats import ChatRef, ChatSettings, Defaults, QueryTexts
from store.db import init_db, make_engine
from tests.dbkit import database_url

NOW = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
DEFAULTS = Defaults(hour=8, minute=0, timezone="Asia/Shanghai")
GROUP = ChatRef(-100, "supergroup", "园区群", thread_id=7)


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(database_url(tmp_path))
    init_db(engine)
    yield engine
    engine.dispose()


def test_subscribe_uses_the_defaults_then_keeps_the_chats_settings(engine) -> None:
    chats = ChatSettings(engine)
    assert chats.settings(GROUP.chat_id, now=NOW) == (None, None)
    sub, next_at = chats.subscribe(GROUP, now=NOW, defaults=DEFAULTS, topics=["港口"], by=1)
    assert (sub.hour, sub.minute, sub.timezone, sub.topics) == (8, 0, "Asia/Shanghai", ["港口"])
    assert sub.message_thread_id == 7 and next_at > NOW
    again, _ = chats.subscribe(GROUP, now=NOW, defaults=Defaults(9, 30, "Asia/Tokyo"), when=(18, 0))
    assert (again.hour, again.minute, again.timezone, again.topics) == (18, 0, "Asia/Shanghai", ["港口"])


def test_change_subscribes_when_needed_and_timezone_never_does(engine) -> None:
    chats = ChatSettings(engine)
    sub, next_at = chats.change(GROUP, now=NOW, defaults=DEFAULTS, hour=21, minute=0)
    assert sub is not None and sub.active and (sub.hour, sub.timezone) == (21, "Asia/Shanghai")
    assert next_at is not None
    assert chats.deactivate(GROUP.chat_id, reason="unsubscribed") is True
    assert chats.deactivate(GROUP.chat_id, reason="unsubscribed") is False
    off, off_next = chats.set_timezone(GROUP.chat_id, "Asia/Tokyo", now=NOW)
    assert off is not None and not off.active and off.timezone == "Asia/Tokyo" and off_next is None
    cleared, _ = chats.change(GROUP, now=NOW, defaults=DEFAULTS, topics=[])
    assert cleared is not None and cleared.active and cleared.hour == 21 and cleared.topics == []


def test_migrate_moves_the_subscription(engine) -> None:
    chats = ChatSettings(engine)
    chats.subscribe(GROUP, now=NOW, defaults=DEFAULTS)
    assert chats.migrate(GROUP.chat_id, -200) is True
    assert chats.settings(GROUP.chat_id, now=NOW) == (None, None)
    moved, _ = chats.settings(-200, now=NOW)
    assert moved is not None and moved.active


def test_query_texts_round_trip(engine) -> None:
    texts = QueryTexts(engine)
    assert texts.load("k") is None
    texts.save("k", "很长的问题" * 20)
    texts.save("k", "很长的问题" * 20)  # a repeated text is kept once
    assert QueryTexts(engine).load("k") == "很长的问题" * 20
