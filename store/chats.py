"""What handlers change and read for a chat, one unit of work per call: digest settings, button texts.

Handlers never open a session: they call these methods (off the event loop) and render the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from store import subscriptions as subs
from store.db import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session


@dataclass(frozen=True, slots=True)
class ChatRef:
    """The chat a command came from: id, type, title and forum topic (None: the chat itself)."""

    chat_id: int
    chat_type: str = "private"
    title: str = ""
    thread_id: int | None = None


@dataclass(frozen=True, slots=True)
class Defaults:
    """Delivery time and zone of a chat that subscribes without saying (DIGEST_TIME, TIMEZONE)."""

    hour: int
    minute: int
    timezone: str


# A subscription (None: never subscribed) and, when active, its next delivery time.
Settings = tuple[subs.Subscription | None, datetime | None]


def _settings(session: Session, chat_id: int, now: datetime) -> Settings:
    sub = subs.get_subscription(session=session, chat_id=chat_id)
    if sub is None or not sub.active:
        return sub, None
    return sub, subs.next_digest_at(session=session, sub=sub, now=now)


class ChatSettings:
    """A chat's digest subscription as the settings commands and buttons see it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def settings(self, chat_id: int, *, now: datetime) -> Settings:
        """Return a chat's subscription and, when active, its next delivery time."""
        with session_scope(self.engine) as session:
            return _settings(session, chat_id, now)

    def subscribe(
        self,
        chat: ChatRef,
        *,
        now: datetime,
        defaults: Defaults,
        when: tuple[int, int] | None = None,
        topics: Sequence[str] = (),
        by: int | None = None,
    ) -> tuple[subs.Subscription, datetime]:
        """Subscribe (or re-activate) a chat; a new one without a time gets the defaults."""
        with session_scope(self.engine) as session:
            existing = subs.get_subscription(session=session, chat_id=chat.chat_id)
            hour, minute = when or (None, None)
            if existing is None and when is None:
                hour, minute = defaults.hour, defaults.minute
            sub = subs.subscribe(
                session=session, chat_id=chat.chat_id, now=now, chat_type=chat.chat_type,
                title=chat.title, hour=hour, minute=minute, topics=list(topics) or None,
                timezone=None if existing is not None else defaults.timezone,
                by=by, thread_id=chat.thread_id,
            )
            next_at = subs.next_digest_at(session=session, sub=sub, now=now)
            session.commit()
            return sub, next_at

    def change(
        self,
        chat: ChatRef,
        *,
        now: datetime,
        defaults: Defaults,
        by: int | None = None,
        activate: bool = False,
        hour: int | None = None,
        minute: int | None = None,
        timezone: str | None = None,
        topics: Sequence[str] | None = None,
    ) -> Settings:
        """Change a chat's time, zone or topics; subscribes it first when `activate` or not active."""
        with session_scope(self.engine) as session:
            existing = subs.get_subscription(session=session, chat_id=chat.chat_id)
            if existing is None or activate or not existing.active:
                new = existing is None
                subs.subscribe(
                    session=session, chat_id=chat.chat_id, now=now, chat_type=chat.chat_type,
                    title=chat.title, by=by, thread_id=chat.thread_id, topics=topics,
                    hour=hour if hour is not None else (defaults.hour if new else None),
                    minute=minute if minute is not None else (defaults.minute if new else None),
                    timezone=timezone if timezone is not None else (defaults.timezone if new else None),
                )
            else:
                subs.update_subscription(
                    session=session, chat_id=chat.chat_id, now=now, by=by, hour=hour,
                    minute=minute, timezone=timezone, topics=topics,
                )
            result = _settings(session, chat.chat_id, now)
            session.commit()
            return result

    def set_timezone(self, chat_id: int, timezone: str, *, now: datetime) -> Settings:
        """Change the zone a subscription's time is read in (active or not; nothing if none)."""
        with session_scope(self.engine) as session:
            subs.update_subscription(session=session, chat_id=chat_id, now=now, timezone=timezone)
            result = _settings(session, chat_id, now)
            session.commit()
            return result

    def deactivate(self, chat_id: int, *, reason: str) -> bool:
        """Switch a chat's subscription off (settings kept); True when it was active."""
        with session_scope(self.engine) as session:
            was_active = subs.deactivate(session=session, chat_id=chat_id, reason=reason)
            session.commit()
            return was_active

    def migrate(self, old_chat_id: int, new_chat_id: int) -> bool:
        """Move a group's subscription to its new supergroup id; False when nothing moved."""
        with session_scope(self.engine) as session:
            moved = subs.migrate_chat(session=session, old_chat_id=old_chat_id, new_chat_id=new_chat_id)
            session.commit()
            return moved


class QueryTexts:
    """Texts too long for a button's callback data, stored under their hash (any replica reads them)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, key: str, text: str) -> None:
        """Store a button's text under its hash."""
        with session_scope(self.engine) as session:
            subs.save_query_text(session=session, key=key, text=text)
            session.commit()

    def load(self, key: str) -> str | None:
        """The text stored under a button's hash, or None."""
        with session_scope(self.engine) as session:
            return subs.load_query_text(session=session, key=key)
