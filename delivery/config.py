"""Delivery settings (digest times, grace, concurrency, retry, send rate) and the paced rate limiter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.ext import AIORateLimiter

from delivery.retry import RetryPolicy
from store import subscriptions as subs

BURST = 1.25  # bucket size of the overall limiter, in messages
# Every replica looks for due digests, announcements and feeds this often: shorter serves a slot
# (and takes over a dead replica's fan-out) sooner, at the cost of a few queries per tick.
TICK_SECONDS = 1.0
# The fan-out lease: renewed every tick; a replica that stops renewing loses it after this long,
# and the next replica to tick takes the fan-out over (longer tolerates a stalled event loop,
# shorter resumes a dead replica's fan-out sooner).
LEASE = timedelta(seconds=10)
Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PushConfig:
    """Delivery settings (see Settings: DIGEST_*, PUSH_*, ANNOUNCE_CHAT_IDS)."""

    announce_chat_ids: tuple[int, ...] = ()
    # More new documents than this at once (a bulk `bot ingest`) become ONE summary post per
    # announce chat instead of a flood of posts paced at the group limit.
    announce_batch: int = 5
    announce_poll: float = 2.0  # seconds between looks for documents recorded by `bot ingest`
    default_hour: int = 8
    default_minute: int = 0
    default_timezone: str = subs.DEFAULT_TIMEZONE
    grace: timedelta = timedelta(hours=2)
    concurrency: int = 8
    max_attempts: int = 5
    backoff_base: float = 2.0
    backoff_max: float = 300.0
    rate: float = 28.0  # messages per second, overall
    group_per_minute: int = 20
    limiter_retries: int = 3
    tick: float = TICK_SECONDS
    lease: timedelta = LEASE

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy of every send and claim."""
        return RetryPolicy(attempts=self.max_attempts, base=self.backoff_base, cap=self.backoff_max)

    @classmethod
    def from_settings(cls, settings: Any) -> PushConfig:
        """Build the config from Settings, tolerating settings that lack the push keys."""
        hour, minute = subs.parse_hhmm(str(getattr(settings, "digest_time", "08:00"))) or (8, 0)
        return cls(
            announce_chat_ids=tuple(getattr(settings, "announce_chat_ids", ()) or ()),
            announce_batch=int(getattr(settings, "announce_batch", 5)),
            default_hour=hour,
            default_minute=minute,
            default_timezone=str(getattr(settings, "timezone", subs.DEFAULT_TIMEZONE)),
            grace=timedelta(minutes=float(getattr(settings, "digest_grace_minutes", 120))),
            concurrency=int(getattr(settings, "push_concurrency", 8)),
            max_attempts=int(getattr(settings, "push_max_attempts", 5)),
            rate=float(getattr(settings, "push_rate", 28.0)),
            group_per_minute=int(getattr(settings, "push_group_per_minute", 20)),
        )


def rate_limiter_args(settings: Any) -> dict[str, Any]:
    """Return AIORateLimiter arguments paced for broadcasts (PUSH_RATE, 20/min per group)."""
    config = PushConfig.from_settings(settings)
    # PTB's default bucket holds a whole second (30 messages): a fan-out then starts with a
    # burst of 30 on top of the steady 30/s and trips flood control. A bucket of 1.25 messages
    # spaces sends evenly (any one-second window holds at most rate + 1.25, 29 at 28/s) and
    # still lets a late event-loop wake-up catch up a quarter slot instead of losing it.
    return {
        "overall_max_rate": BURST,
        "overall_time_period": BURST / config.rate,
        "group_max_rate": config.group_per_minute,
        "group_time_period": 60,
        "max_retries": config.limiter_retries,
    }


def make_rate_limiter(settings: Any) -> AIORateLimiter:
    """Return the broadcast-paced AIORateLimiter for a Bot built outside the Application."""
    return AIORateLimiter(**rate_limiter_args(settings))
