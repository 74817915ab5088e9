"""Test support for digests and announcements: a seeded DB per test, a fake clock, bulk subscribers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from store import subscriptions as subs
from tests.conftest import TEST_TOKEN
from tests.dbkit import seeded_database_url
from tests.fake_bot_api import FakeBotApi

SHANGHAI = "Asia/Shanghai"


class FakeClock:
    """A controllable `now()` for the delivery engine (no sleeping for the scheduler)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        """Jump to a moment."""
        self.now = now

    def advance(self, delta: timedelta) -> None:
        """Move forward."""
        self.now += delta


async def no_sleep(_seconds: float) -> None:
    """Backoff without waiting (RetryAfter from the server is still honoured by PTB's limiter)."""


def fresh_db(target_dir: Path) -> str:
    """A copy of the seeded template database (tests/dbkit.py); return its URL.

    Each test gets its own database: subscriptions must not leak into other tests.
    """
    return seeded_database_url(target_dir)


def add_subscriptions(
    engine: Engine,
    chat_ids: Iterable[int],
    *,
    hour: int = 8,
    minute: int = 30,
    timezone: str = SHANGHAI,
    created_at: datetime | None = None,
    topics: list[str] | None = None,
) -> None:
    """Subscribe many chats at once (bulk insert, as a fan-out benchmark needs)."""
    created = created_at or datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        {
            "chat_id": chat_id,
            "chat_type": "private" if chat_id > 0 else "supergroup",
            "title": "",
            "active": True,
            "hour": hour,
            "minute": minute,
            "timezone": timezone,
            "topics": topics or [],
            "created_at": created,
            "schedule_changed_at": created,
        }
        for chat_id in chat_ids
    ]
    with engine.begin() as conn:
        conn.execute(insert(subs.Subscription), rows)


def deliveries(engine: Engine) -> dict[int, list[subs.Delivery]]:
    """Every delivery row, by chat."""
    from sqlmodel import Session, select

    out: dict[int, list[subs.Delivery]] = {}
    with Session(engine) as session:
        for d in session.exec(select(subs.Delivery)):
            out.setdefault(d.chat_id, []).append(d)
    return out


def settings_for(api: FakeBotApi, database_url: str, **overrides: Any) -> Any:
    """Settings pointing at the fake server and a test database (never the developer's .env)."""
    from tests.conftest import make_settings

    values: dict[str, Any] = {"database_url": database_url, "push_rate": 5000.0}
    values.update(overrides)
    return make_settings(api, **values)


async def make_bot(api: FakeBotApi, *, rate: float = 5000.0) -> Any:
    """An initialised ExtBot with the broadcast rate limiter, talking to the fake server."""
    from telegram.ext import ExtBot

    from delivery.config import make_rate_limiter

    class _Rate:
        push_rate = rate

    bot: Any = ExtBot(
        TEST_TOKEN, base_url=api.base_url, base_file_url=api.base_file_url,
        rate_limiter=make_rate_limiter(_Rate()),
    )
    await bot.initialize()
    return bot
