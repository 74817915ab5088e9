"""Error classification and the one retry policy: what is retried, after how long, and when it gives up."""

from __future__ import annotations

import httpx
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from delivery.errors import Failure, classify, retry_seconds
from delivery.retry import RetryPolicy
from store.subscriptions import FAILED, UNKNOWN


def caused(exc: Exception, cause: Exception) -> Exception:
    exc.__cause__ = cause
    return exc


def test_classify_each_kind() -> None:
    assert classify(RetryAfter(3)) is Failure.RETRY_AFTER
    assert classify(ChatMigrated(-100123)) is Failure.MIGRATED
    assert classify(Forbidden("bot was blocked by the user")) is Failure.GONE
    assert classify(BadRequest("Chat not found")) is Failure.GONE
    assert classify(BadRequest("Message thread not found"), in_topic=True) is Failure.TOPIC_GONE
    assert classify(BadRequest("Message thread not found")) is Failure.TRANSIENT  # not sent into a topic
    assert classify(caused(TimedOut(), httpx.ReadTimeout("read"))) is Failure.MAYBE_DELIVERED  # type: ignore[arg-type]
    assert classify(caused(NetworkError("x"), httpx.ConnectError("refused"))) is Failure.TRANSIENT  # type: ignore[arg-type]
    assert classify(NetworkError("Bad Gateway")) is Failure.TRANSIENT
    assert retry_seconds(RetryAfter(7)) == 7.0


def test_one_policy_backoff_and_limits() -> None:
    policy = RetryPolicy(attempts=3, base=2.0, cap=5.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 5.0, 5.0]
    assert policy.after(Failure.TRANSIENT, 1).again and policy.after(Failure.TRANSIENT, 1).delay == 2.0
    assert policy.after(Failure.TRANSIENT, 3).status == FAILED
    assert policy.after(Failure.MAYBE_DELIVERED, 1).status == UNKNOWN  # never re-sent on doubt
    assert policy.after(Failure.GONE, 1).status == FAILED
    flood = policy.after(Failure.RETRY_AFTER, 6, retry_after=9.0)
    assert flood.again and flood.delay == 9.0  # flood control waits as told, up to 2 × attempts
    assert policy.after(Failure.RETRY_AFTER, 7).status == FAILED
