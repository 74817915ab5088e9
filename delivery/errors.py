"""Classification of Bot API failures: flood control, chat or topic gone, migrated, maybe delivered, transient."""

from __future__ import annotations

import enum
import logging
import time
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

# Transport errors raised before the request left this machine: it certainly was not delivered.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# BadRequest descriptions meaning the chat is gone for good (like Forbidden).
_GONE = ("chat not found", "group chat was deleted", "have no rights to send", "not enough rights")
# During an outage every poll and reply fails: one log line per failure kind per interval.
FAILURE_LOG_INTERVAL = 60.0


class Failure(enum.Enum):
    """What a failed send means for the message and for the chat."""

    RETRY_AFTER = "retry after"  # flood control: not delivered, wait as told and send again
    MIGRATED = "migrated"  # the group became a supergroup: send to the new id
    GONE = "gone"  # blocked, kicked, deleted or without rights: never send again
    TOPIC_GONE = "topic gone"  # the forum topic was deleted: send to the chat itself
    MAYBE_DELIVERED = "maybe delivered"  # the request may have reached Telegram: never re-send
    TRANSIENT = "transient"  # certainly not delivered (refused, 5xx, other refusals): retry with backoff


def maybe_delivered(exc: TelegramError) -> bool:
    """True when the request may have reached Telegram although it failed (never retry those)."""
    if not isinstance(exc, NetworkError) or isinstance(exc, BadRequest):
        return False
    cause = exc.__cause__
    if cause is None:
        return False  # Telegram answered with an error status: nothing was delivered
    return not isinstance(cause, _NOT_SENT)


def transient(exc: BaseException | None) -> bool:
    """True for a failure to reach the Bot API (not an answer refusing the request)."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def topic_gone(exc: TelegramError) -> bool:
    """True when Telegram refused the message because its forum topic no longer exists."""
    return isinstance(exc, BadRequest) and "thread not found" in exc.message.lower()


def chat_gone(exc: TelegramError) -> bool:
    """True when the chat will never take a message from the bot again."""
    if isinstance(exc, Forbidden):
        return True
    return isinstance(exc, BadRequest) and any(g in exc.message.lower() for g in _GONE)


def classify(exc: TelegramError, *, in_topic: bool = False) -> Failure:
    """Return what a failed send means; `in_topic` when it was sent into a forum topic."""
    if isinstance(exc, RetryAfter):
        return Failure.RETRY_AFTER
    if isinstance(exc, ChatMigrated):
        return Failure.MIGRATED
    if chat_gone(exc):
        return Failure.GONE
    if in_topic and topic_gone(exc):
        return Failure.TOPIC_GONE
    if maybe_delivered(exc):
        return Failure.MAYBE_DELIVERED
    return Failure.TRANSIENT


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds flood control asked us to wait."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def describe(exc: BaseException) -> str:
    """`Kind: message`, as stored in error columns."""
    return f"{type(exc).__name__}: {exc}"


class FailureLog:
    """Logs one line per failure kind per interval, counting the repeats it left out."""

    def __init__(self, interval: float = FAILURE_LOG_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self._skipped: Counter[str] = Counter()

    def warn(self, logger: logging.Logger, what: str, exc: BaseException) -> bool:
        """Log `what: <kind>` unless this kind was logged within the interval; True if logged."""
        kind = describe(exc)[:300]
        now = self._clock()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._skipped[kind] += 1
            return False
        if len(self._last) > 1000:  # kinds are few; never grow without bound
            self._last.clear()
        self._last[kind] = now
        skipped = self._skipped.pop(kind, 0)
        more = f" ({skipped} more like it since the last report)" if skipped else ""
        logger.warning("%s: %s%s", what, kind, more)
        return True


FAILURES = FailureLog()
