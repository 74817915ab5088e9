"""Daily digest jobs and the delivery engine: claims, fan-out, retries, catch-up, announcements.

Delivery guarantee (per chat and local day): a `Delivery` row is claimed (`pending`) before
anything is sent, moved to `sending` (committed) right before the HTTP call and to `sent`
right after it. At start the claims of a previous process are settled: `pending` ones are
sent if still within the grace window, `sending` ones become `unknown` and are NOT re-sent.
This is at-most-once for the one message per worker that may be in flight when the process
dies: a duplicate digest is worse for a chat than a missing one, and Telegram offers no
idempotency key to tell the two cases apart. Errors for which Telegram certainly did not
take the message (429, 5xx, refused connections) are retried with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.ext import AIORateLimiter, Application, CallbackContext, Job, JobQueue
from telegram.warnings import PTBDeprecationWarning

from handlers.common import FAILURES, maybe_delivered
from store import redaction
from store import subscriptions as subs
from store.db import session_scope
from store.digest import (
    MESSAGE_LIMIT,
    Corpus,
    Digest,
    announcement_html,
    batch_announcement_html,
    text_announcement_html,
)
from store.subscriptions import catch_up_slot, latest_slot, parse_hhmm, zone

log = logging.getLogger(__name__)

JOB_PREFIX = "digest:"
BURST = 1.25  # bucket size of the overall limiter, in messages
# A fan-out whose claim step fails is retried this often (backoff up to PushConfig.backoff_max);
# with the defaults that spans about an hour, within the 2-hour grace window.
FANOUT_RETRIES = 15
T = TypeVar("T")
R = TypeVar("R")
Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

# BadRequest descriptions meaning the chat is gone for good (like Forbidden).
_GONE = ("chat not found", "group chat was deleted", "have no rights to send", "not enough rights")


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

    @classmethod
    def from_settings(cls, settings: Any) -> PushConfig:
        """Build the config from Settings, tolerating settings that lack the push keys."""
        hour, minute = parse_hhmm(str(getattr(settings, "digest_time", "08:00"))) or (8, 0)
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


def job_name(chat_id: int) -> str:
    """Return the job name (and APScheduler id) of a chat's digest."""
    return f"{JOB_PREFIX}{chat_id}"


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _topic_gone(exc: TelegramError) -> bool:
    return isinstance(exc, BadRequest) and "thread not found" in exc.message.lower()


def _gone(exc: TelegramError) -> bool:
    return isinstance(exc, BadRequest) and any(g in exc.message.lower() for g in _GONE)


# --- the engine ---------------------------------------------------------------------------------


@dataclass
class FanoutReport:
    """Outcomes of one fan-out (sent, empty, forbidden, failed, unknown, skipped…)."""

    outcomes: Counter[str] = field(default_factory=Counter)
    unknown_marked: int = 0
    expired: int = 0

    def add(self, outcome: str) -> None:
        """Count one chat's outcome."""
        self.outcomes[outcome] += 1

    def merge(self, other: FanoutReport) -> None:
        """Add another report's counts."""
        self.outcomes.update(other.outcomes)
        self.unknown_marked += other.unknown_marked
        self.expired += other.expired


@dataclass(frozen=True, slots=True)
class _Prepared:
    delivery_id: int
    chat_id: int
    digest: Digest
    started_at: datetime
    thread_id: int | None = None  # the forum topic the chat subscribed in


class _Batcher(Generic[T, R]):
    """Runs the items submitted while a batch is in the DB thread as the next batch.

    One thread hand-off and one transaction per batch instead of per chat: under a busy event
    loop each hand-off and each SQLite call waits for the GIL.
    """

    def __init__(self, run: Callable[[list[T]], list[R]], max_size: int = 200) -> None:
        self._run = run
        self._max = max_size
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Queue one item and wait for its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queue.append((item, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let the other workers of this loop iteration queue too
        while self._queue:
            batch, self._queue = self._queue[: self._max], self._queue[self._max :]
            try:
                results = await asyncio.to_thread(self._run, [item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


class Push:
    """Schedules each subscription as a daily job and delivers digests and announcements."""

    def __init__(
        self,
        *,
        engine: Engine,
        bot: Bot,
        config: PushConfig | None = None,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
        deliver: bool = True,
    ) -> None:
        self.engine = engine
        self.live = deliver
        self.bot = bot
        redaction.protect(bot.token)  # error columns never carry it, in any spelling
        self.config = config or PushConfig()
        self.clock = clock
        self._sleep = sleep
        self._sem: asyncio.Semaphore | None = None
        self._job_queue: JobQueue[Any] | None = None
        self._due: list[int] = []
        self._flusher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._posting = asyncio.Lock()  # one pass over recorded announcements at a time
        self._chat_locks: dict[int, asyncio.Lock] = {}  # announce chats (a few)
        self._corpus_lock = threading.Lock()
        self._db_lock = threading.Lock()
        self._preparer: _Batcher[tuple[int, bool], _Prepared | str] = _Batcher(self._prepare_batch)
        self._recorder: _Batcher[subs.SentDigest, None] = _Batcher(self._record_batch)
        self._corpus: Corpus | None = None
        self._corpus_version: tuple[int, int, int] | None = None

    # --- unit-of-work helper ---

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """Open a session holding this process's DB lock (SQLite has one writer anyway)."""
        with self._db_lock, session_scope(self.engine) as session:
            yield session

    def _tx(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Run one repository function in its own transaction and commit."""
        with self._session() as session:
            result = fn(session=session, **kwargs)
            session.commit()
            return result

    async def _db(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Run one unit of work off the event loop (SQLModel sessions are blocking)."""
        return await asyncio.to_thread(self._tx, fn, **kwargs)

    @property
    def semaphore(self) -> asyncio.Semaphore:
        """Bound on concurrent sends, shared by every fan-out of this process."""
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.config.concurrency)
        return self._sem

    # --- jobs ---

    def schedule(self, job_queue: JobQueue[Any], sub: subs.Subscription) -> Job[Any] | None:
        """(Re)register a chat's daily job at its time in its own time zone."""
        if not self.live:
            return None
        tz = zone(sub.timezone) or ZoneInfo(self.config.default_timezone)
        self._job_queue = job_queue
        if not sub.active:
            self.unschedule(job_queue, sub.chat_id)
            return None
        name = job_name(sub.chat_id)
        return job_queue.run_daily(
            self._job_callback,
            # An aware time: JobQueue reads a naive one as UTC.
            time=time(sub.hour, sub.minute, tzinfo=tz),
            name=name,
            data=sub.chat_id,
            job_kwargs={
                "id": name,
                "replace_existing": True,
                # APScheduler drops a run more than 1 s late by default; the claim makes a
                # late run harmless, so let it through within the catch-up window.
                "misfire_grace_time": int(self.config.grace.total_seconds()),
                "coalesce": True,
            },
        )

    def unschedule(self, job_queue: JobQueue[Any], chat_id: int) -> None:
        """Remove a chat's daily job if there is one."""
        for job in job_queue.get_jobs_by_name(job_name(chat_id)):
            job.schedule_removal()

    def register_jobs(self, job_queue: JobQueue[Any]) -> int:
        """Rebuild every active subscription's job from the database; return how many."""
        with self._session() as session:
            active = subs.active_subscriptions(session=session)
        for sub in active:
            self.schedule(job_queue, sub)
        self._job_queue = job_queue
        log.info("scheduled %s daily digests", len(active))
        return len(active)

    async def _job_callback(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        job = context.job
        if job is not None and isinstance(job.data, int):
            self.on_due(job.data)

    def on_due(self, chat_id: int) -> None:
        """Queue a chat whose time has come; chats due together form one fan-out."""
        self._due.append(chat_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_due())

    async def _flush_due(self) -> None:
        # Jobs of the same minute fire one task each; a short pause gathers them into one
        # claim transaction instead of thousands.
        await asyncio.sleep(0.05)
        while self._due:
            batch, self._due = self._due, []
            await self._fanout_retrying(batch)

    async def _fanout_retrying(self, batch: list[int]) -> None:
        """Fan out to `batch`, retrying a failed claim (e.g. a dropped database connection).

        Retrying is safe: claims are once per chat and day. Slots that left the grace window
        meanwhile are simply not claimed, so the retries end with the window at the latest.
        """
        started, failures = self.clock(), 0
        while True:
            try:
                report = await self.fanout(batch)
            except Exception as exc:
                failures += 1
                if failures >= FANOUT_RETRIES or self.clock() - started > self.config.grace:
                    log.error("digest fan-out of %s chats given up after %s failures: %s", len(batch), failures, exc)
                    return
                delay = self._backoff(failures)
                log.warning(
                    "digest fan-out of %s chats failed (%s: %s); retry %s in %.0f s",
                    len(batch), type(exc).__name__, exc, failures, delay,
                )
                await self._sleep(delay)
                continue
            log.info("digest fan-out of %s chats: %s", len(batch), dict(report.outcomes))
            return

    async def start(self, job_queue: JobQueue[Any], *, resume: bool = True) -> None:
        """Rebuild jobs and, in the background, settle the previous run and catch up."""
        self.register_jobs(job_queue)
        if resume:
            self.spawn(self.resume())

    def spawn(self, coro: Awaitable[Any]) -> None:
        """Run a coroutine in the background; `join` waits for it, `stop` cancels it."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def join(self) -> None:
        """Wait until background fan-outs (resume, due jobs) are done."""
        while self._tasks or (self._flusher is not None and not self._flusher.done()):
            pending = [*self._tasks, *([self._flusher] if self._flusher else [])]
            await asyncio.gather(*pending, return_exceptions=True)

    async def stop(self) -> None:
        """Cancel background work; claims not yet sent stay pending for the next start."""
        pending = [*self._tasks, *([self._flusher] if self._flusher else [])]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # --- fan-out ---

    async def fanout(self, chat_ids: Iterable[int] | None = None) -> FanoutReport:
        """Claim and send today's digest to the given (default: all) subscribed chats that are due."""
        now = self.clock()
        wanted = None if chat_ids is None else set(chat_ids)
        claims = await asyncio.to_thread(self._claim_due, wanted, now)
        return await self.deliver([d.id for d in claims if d.id is not None])

    def _claim_due(self, wanted: set[int] | None, now: datetime) -> list[subs.Delivery]:
        with self._session() as session:
            rows = []
            for sub in subs.active_subscriptions(session=session):
                if wanted is not None and sub.chat_id not in wanted:
                    continue
                tz = zone(sub.timezone) or ZoneInfo(self.config.default_timezone)
                slot = latest_slot(sub.hour, sub.minute, tz, now)
                if now - slot > self.config.grace:
                    continue  # a job fired long after its time (clock jump): not today's slot
                rows.append((sub.chat_id, slot.date(), slot))
            claims = subs.claim_deliveries(session=session, claims=rows, now=now)
            session.commit()
            self.corpus(session)
            return claims

    async def resume(self) -> FanoutReport:
        """Settle the previous process's claims and send digests missed within the grace window."""
        now = self.clock()
        resumable, unknown, expired, late = await asyncio.to_thread(self._recover, now)
        for d in unknown:
            log.warning(
                "digest to chat %s for %s may or may not have been delivered before the "
                "restart; not re-sent (at most once)", d.chat_id, d.local_date,
            )
        if expired:
            log.warning("%s claimed digests expired outside the grace window", len(expired))
        ids = [d.id for d in [*resumable, *late] if d.id is not None]
        if ids:
            log.info("resuming %s digests (%s claimed before, %s missed)", len(ids), len(resumable), len(late))
        report = await self.deliver(ids)
        report.unknown_marked, report.expired = len(unknown), len(expired)
        return report

    def _recover(
        self, now: datetime
    ) -> tuple[list[subs.Delivery], list[subs.Delivery], list[subs.Delivery], list[subs.Delivery]]:
        with self._session() as session:
            resumable, unknown, expired = subs.recover_deliveries(
                session=session, now=now, grace=self.config.grace
            )
            wanted: list[tuple[int, date, datetime]] = []
            for sub in subs.active_subscriptions(session=session):
                tz = zone(sub.timezone) or ZoneInfo(self.config.default_timezone)
                slot = catch_up_slot(
                    sub.hour, sub.minute, tz, now=now, grace=self.config.grace,
                    scheduled_since=subs.utc(sub.schedule_changed_at) or now,
                )
                if slot is not None:
                    wanted.append((sub.chat_id, slot.date(), slot))
            have = subs.deliveries_on(
                session=session, chat_ids=[w[0] for w in wanted], days=[w[1] for w in wanted]
            )
            missing = [w for w in wanted if (w[0], w[1]) not in have]
            late = subs.claim_deliveries(session=session, claims=missing, now=now, late=True)
            session.commit()
            self.corpus(session)
            return resumable, unknown, expired, late

    async def send_now(self, chat_id: int) -> str:
        """Send a subscribed chat's digest for its current local day now (still once per day)."""
        now = self.clock()

        def claim(session: Any) -> list[subs.Delivery] | None:
            sub = subs.get_subscription(session=session, chat_id=chat_id)
            if sub is None:
                return None
            day = now.astimezone(zone(sub.timezone) or UTC).date()
            self.corpus(session)
            return subs.claim_deliveries(session=session, claims=[(chat_id, day, now)], now=now)

        claims = await self._db(claim)
        if claims is None:
            return "not subscribed"
        if not claims or claims[0].id is None:
            return "already"
        return await self._deliver_one(claims[0].id, allow_inactive=True)

    async def deliver(self, delivery_ids: Sequence[int]) -> FanoutReport:
        """Send claimed digests concurrently (bounded); one chat's failure never stops the rest."""
        report = FanoutReport()
        results = await asyncio.gather(
            *(self._deliver_one(i) for i in delivery_ids), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                log.error("digest delivery crashed", exc_info=result)
                report.add(subs.FAILED)
            else:
                report.add(result)
        return report

    # --- one chat ---

    def corpus(self, session: Any, *, refresh: bool = True) -> Corpus:
        """Return the digest corpus, reloaded when documents changed (checked if `refresh`)."""
        with self._corpus_lock:
            if self._corpus is not None and not refresh:
                return self._corpus
            version = subs.corpus_version(session=session)
            if self._corpus is None or version != self._corpus_version:
                self._corpus = subs.load_corpus(session=session)
                self._corpus_version = version
            return self._corpus

    def _prepare_batch(self, items: list[tuple[int, bool]]) -> list[_Prepared | str]:
        """Claim pending deliveries for sending and build their digests, in one transaction."""
        now = self.clock()
        results: dict[int, _Prepared | str] = {}
        with self._session() as session:
            claims = subs.load_claims(session=session, delivery_ids=[i for i, _ in items])
            eligible: list[int] = []
            for delivery_id, allow_inactive in items:
                delivery, sub = claims.get(delivery_id, (None, None))
                if delivery is None or delivery.status != subs.PENDING:
                    results[delivery_id] = "skipped"
                elif sub is None or not (sub.active or allow_inactive):
                    subs.finish_delivery(
                        session=session, delivery_id=delivery_id, status=subs.EXPIRED, now=now,
                        error="unsubscribed before the send",
                    )
                    results[delivery_id] = "skipped"
                else:
                    eligible.append(delivery_id)
            # Compare-and-set: a claim another worker or process took meanwhile is skipped.
            owned = subs.begin_sending_many(session=session, delivery_ids=eligible, now=now)
            sent = subs.sent_fact_ids_many(
                session=session, chat_ids=[claims[i][0].chat_id for i in owned]
            )
            # The corpus is re-checked once per fan-out (in the claim step), not per chat.
            corpus = self.corpus(session, refresh=False)
            for delivery_id in eligible:
                if delivery_id not in owned:
                    results[delivery_id] = "skipped"
                    continue
                delivery, sub = claims[delivery_id]
                digest = subs.chat_digest(
                    sub, corpus=corpus, local_date=delivery.local_date, now=now,
                    sent_ids=sent[delivery.chat_id],
                )
                if digest.empty:
                    subs.finish_delivery(
                        session=session, delivery_id=delivery_id, status=subs.EMPTY, now=now
                    )
                    results[delivery_id] = subs.EMPTY
                else:
                    results[delivery_id] = _Prepared(
                        delivery_id, delivery.chat_id, digest, now,
                        sub.message_thread_id if sub is not None else None,
                    )
            session.commit()
        return [results[i] for i, _ in items]

    def _record_batch(self, items: list[subs.SentDigest]) -> list[None]:
        """Record accepted digests, in one transaction."""
        with self._session() as session:
            subs.record_sent_many(session=session, sent=items, now=self.clock())
            session.commit()
        return [None] * len(items)

    async def _finish(self, delivery_id: int, status: str, error: str | None = None) -> None:
        await self._db(
            subs.finish_delivery, delivery_id=delivery_id, status=status, now=self.clock(), error=error
        )

    def _backoff(self, attempt: int) -> float:
        return min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))

    async def _deliver_one(self, delivery_id: int, *, allow_inactive: bool = False) -> str:
        async with self.semaphore:
            failures = 0
            while True:
                prepared = await self._preparer.submit((delivery_id, allow_inactive))
                if isinstance(prepared, str):
                    return prepared
                try:
                    message = await self.bot.send_message(
                        prepared.chat_id,
                        prepared.digest.html,
                        parse_mode=ParseMode.HTML,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                        message_thread_id=prepared.thread_id,
                    )
                except Forbidden as exc:
                    await self._chat_gone(prepared.chat_id, delivery_id, exc)
                    return "forbidden"
                except ChatMigrated as exc:
                    if not await self._migrated(prepared.chat_id, exc.new_chat_id, delivery_id):
                        return "skipped"
                    continue
                except RetryAfter as exc:
                    failures += 1
                    if failures > 2 * self.config.max_attempts:
                        await self._finish(delivery_id, subs.FAILED, f"flood control: {exc}")
                        log.error("digest to chat %s given up after repeated flood control", prepared.chat_id)
                        return subs.FAILED
                    await self._finish(delivery_id, subs.PENDING, str(exc))
                    await self._sleep(_retry_seconds(exc))
                except TelegramError as exc:
                    if prepared.thread_id is not None and _topic_gone(exc):
                        # The forum topic was deleted: the digest goes to the chat itself.
                        log.info("chat %s: topic %s is gone (%s)", prepared.chat_id, prepared.thread_id, exc)
                        await self._db(subs.clear_thread, chat_id=prepared.chat_id)
                        await self._finish(delivery_id, subs.PENDING, f"{type(exc).__name__}: {exc}")
                        continue
                    if maybe_delivered(exc):
                        await self._finish(delivery_id, subs.UNKNOWN, f"{type(exc).__name__}: {exc}")
                        log.warning(
                            "digest to chat %s: %s after the request was sent; not retried "
                            "(at most once)", prepared.chat_id, exc,
                        )
                        return subs.UNKNOWN
                    if _gone(exc):
                        await self._chat_gone(prepared.chat_id, delivery_id, exc)
                        return "forbidden"
                    failures += 1
                    if failures >= self.config.max_attempts:
                        await self._finish(delivery_id, subs.FAILED, f"{type(exc).__name__}: {exc}")
                        log.error("digest to chat %s failed %s times, last: %s", prepared.chat_id, failures, exc)
                        return subs.FAILED
                    delay = self._backoff(failures)
                    log.warning("digest to chat %s failed (%s); retry in %.1fs", prepared.chat_id, exc, delay)
                    await self._finish(delivery_id, subs.PENDING, f"{type(exc).__name__}: {exc}")
                    await self._sleep(delay)
                except Exception as exc:
                    # A bug, not a Telegram answer: whether the message left is unknown.
                    await self._finish(delivery_id, subs.UNKNOWN, f"{type(exc).__name__}: {exc}")
                    log.exception("digest to chat %s crashed", prepared.chat_id)
                    return subs.UNKNOWN
                else:
                    await self._recorder.submit(
                        subs.SentDigest(
                            prepared.delivery_id, prepared.chat_id, message.message_id,
                            prepared.digest.fact_ids, prepared.digest.restarted, prepared.started_at,
                        )
                    )
                    return subs.SENT

    async def _chat_gone(self, chat_id: int, delivery_id: int, exc: TelegramError) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        await self._finish(delivery_id, subs.FAILED, reason)
        if await self._db(subs.deactivate, chat_id=chat_id, reason=reason):
            log.info("chat %s deactivated: %s", chat_id, exc)
        if self._job_queue is not None:
            self.unschedule(self._job_queue, chat_id)

    async def _migrated(self, old: int, new: int, delivery_id: int) -> bool:
        """Move a migrated group's subscription; True when its claim moved along to be retried."""
        moved = await self._db(subs.migrate_chat, old_chat_id=old, new_chat_id=new)
        log.info("chat %s migrated to %s (subscription moved: %s)", old, new, moved)
        if self._job_queue is not None:
            self.unschedule(self._job_queue, old)
            sub = await self._db(subs.get_subscription, chat_id=new)
            if sub is not None:
                self.schedule(self._job_queue, sub)

        def requeue(session: Any) -> bool:
            delivery = subs.get_delivery(session=session, delivery_id=delivery_id)
            if delivery is None or delivery.chat_id != new:
                subs.finish_delivery(
                    session=session, delivery_id=delivery_id, status=subs.FAILED, now=self.clock(),
                    error=f"migrated to {new}, which already has this day's digest",
                )
                return False
            subs.finish_delivery(
                session=session, delivery_id=delivery_id, status=subs.PENDING, now=self.clock(),
                error=f"migrated from {old}",
            )
            return True

        return bool(await self._db(requeue))

    # --- preview ---

    def preview(self, chat_id: int, *, limit: int = MESSAGE_LIMIT) -> Digest:
        """Build the digest a chat would get now, without recording anything."""
        now = self.clock()
        with self._session() as session:
            sub = subs.get_subscription(session=session, chat_id=chat_id)
            tz = zone(sub.timezone if sub else self.config.default_timezone) or UTC
            return subs.digest_for_chat(
                session=session, chat_id=chat_id, local_date=now.astimezone(tz).date(), now=now,
                corpus=self.corpus(session), limit=limit,
            )

    # --- announcements ---

    def _ask_button(self, document_id: int | None) -> InlineKeyboardMarkup | None:
        if document_id is None:
            return None
        try:
            username = self.bot.username
        except RuntimeError:  # bot not initialised: no deep link possible
            return None
        url = f"https://t.me/{username}?start=doc_{document_id}"
        return InlineKeyboardMarkup([[InlineKeyboardButton("🔎 向机器人提问这篇文章", url=url)]])

    async def announce_documents(self, document_ids: Sequence[int]) -> FanoutReport:
        """Announce new documents once to every announce chat (a re-ingested text: no-op)."""
        report = FanoutReport()
        if not self.config.announce_chat_ids or not self.live:
            return report
        for doc_id in document_ids:
            claims = await self._db(self._claim_document, document_id=doc_id)
            report.merge(await self._announce_all(claims))
        return report

    def _claim_document(self, *, session: Any, document_id: int) -> list[subs.Announcement]:
        docs = subs.load_documents(session=session, ids=[document_id])
        if not docs:
            log.warning("document %s not found; nothing announced", document_id)
            return []
        doc = docs[0]
        html = announcement_html(doc, subs.load_facts(session=session, document_ids=[document_id]))
        return list(
            subs.claim_announcements(
                session=session, key=f"doc:{doc.key or doc.id}", chat_ids=self.config.announce_chat_ids,
                text=html, now=self.clock(), document_id=document_id,
            )
        )

    def _doc_link(self, document_id: int) -> str | None:
        try:
            return f"https://t.me/{self.bot.username}?start=doc_{document_id}"
        except RuntimeError:  # bot not initialised: no deep link possible
            return None

    async def post_pending_announcements(self) -> FanoutReport:
        """Post the documents ingestion recorded for announcement (the job; also at start).

        Claiming the recorded documents and creating their announcement claims is one
        transaction, so a crash loses none; announcement claims are then sent (and resumed at
        the next start) like every other announcement.
        """
        if not self.live:
            return FanoutReport()
        async with self._posting:
            try:
                claims = await self._db(self._claim_pending)
            except Exception as exc:  # the database is away: the next pass tries again
                FAILURES.warn(log, "recorded announcements not claimed", exc)
                return FanoutReport()
            return await self._announce_all(claims)

    def _claim_pending(self, *, session: Any) -> list[subs.Announcement]:
        now = self.clock()
        claim = uuid.uuid4().hex
        doc_ids = subs.claim_pending_announcements(session=session, claim=claim, now=now)
        chats = self.config.announce_chat_ids
        if not doc_ids or not chats:
            return []
        docs = subs.load_documents(session=session, ids=doc_ids)  # replaced meanwhile: gone
        if len(docs) > self.config.announce_batch:
            log.info("announcing %s new documents in one summary post", len(docs))
            html = batch_announcement_html(docs, link=self._doc_link)
            return list(
                subs.claim_announcements(
                    session=session, key=f"batch:{claim}", chat_ids=chats, text=html, now=now
                )
            )
        claims: list[subs.Announcement] = []
        for doc in docs:
            facts = subs.load_facts(session=session, document_ids=[doc.id])
            claims.extend(
                subs.claim_announcements(
                    session=session, key=f"doc:{doc.key or doc.id}", chat_ids=chats,
                    text=announcement_html(doc, facts), now=now, document_id=doc.id,
                )
            )
        return claims

    async def announce_text(self, text: str, *, key: str) -> FanoutReport:
        """Post an admin's free text once to every announce chat."""
        if not self.live:
            return FanoutReport()
        claims = await self._db(
            subs.claim_announcements, key=f"text:{key}", chat_ids=self.config.announce_chat_ids,
            text=text_announcement_html(text), now=self.clock(),
        )
        return await self._announce_all(claims)

    async def resume_announcements(self) -> FanoutReport:
        """Send announcements a previous process claimed but never attempted."""
        claims = await self._db(subs.recover_announcements, now=self.clock(), grace=self.config.grace)
        return await self._announce_all(claims)

    async def _announce_all(self, claims: Sequence[subs.Announcement]) -> FanoutReport:
        report = FanoutReport()
        results = await asyncio.gather(
            *(self._announce_one(a) for a in claims if a.id is not None), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                log.error("announcement crashed", exc_info=result)
                report.add(subs.FAILED)
            else:
                report.add(result)
        return report

    async def _announce_one(self, ann: subs.Announcement) -> str:
        assert ann.id is not None
        ann_id, chat_id = ann.id, ann.chat_id
        # One announcement per chat at a time: the others stay `pending` (resumed after a
        # crash) instead of `sending` while they wait for the chat's rate limit.
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock, self.semaphore:
            failures = 0
            while True:
                if not await self._db(subs.begin_announcement, announcement_id=ann_id, now=self.clock()):
                    return "skipped"
                status, error, message_id = subs.SENT, None, None
                try:
                    message = await self.bot.send_message(
                        chat_id, ann.text, parse_mode=ParseMode.HTML,
                        reply_markup=self._ask_button(ann.document_id),
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
                    message_id = message.message_id
                except ChatMigrated as exc:
                    log.warning(
                        "announce chat %s migrated to %s: update ANNOUNCE_CHAT_IDS", chat_id, exc.new_chat_id
                    )
                    chat_id = exc.new_chat_id
                    await self._finish_announcement(ann_id, subs.PENDING, str(exc), chat_id=chat_id)
                    continue
                except RetryAfter as exc:
                    failures += 1
                    status, error = subs.PENDING, str(exc)
                    if failures > 2 * self.config.max_attempts:
                        status = subs.FAILED
                    await self._finish_announcement(ann_id, status, error)
                    if status == subs.FAILED:
                        return status
                    await self._sleep(_retry_seconds(exc))
                    continue
                except TelegramError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    failures += 1
                    if maybe_delivered(exc):
                        status = subs.UNKNOWN
                    elif isinstance(exc, Forbidden) or _gone(exc) or failures >= self.config.max_attempts:
                        status = subs.FAILED
                        log.error("announcement to chat %s failed: %s", chat_id, exc)
                    else:
                        await self._finish_announcement(ann_id, subs.PENDING, error)
                        await self._sleep(self._backoff(failures))
                        continue
                await self._finish_announcement(ann_id, status, error, message_id=message_id)
                return status

    async def _finish_announcement(
        self, ann_id: int, status: str, error: str | None, *, message_id: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        await self._db(
            subs.finish_announcement, announcement_id=ann_id, status=status, now=self.clock(),
            error=error, message_id=message_id, chat_id=chat_id,
        )


def install(
    app: Application[Any, Any, Any, Any, Any, Any], settings: Any, services: Any, *, deliver: bool = True
) -> Push | None:
    """Attach the delivery engine to an Application: `services.push`, start-up and stop hooks.

    With `deliver=False` (the console, whose HTTP layer is not Telegram) settings and previews
    work but nothing is scheduled or sent, so no real chat's day is used up by the console.
    """
    job_queue = app.job_queue
    if job_queue is None:
        log.warning("no JobQueue (install python-telegram-bot[job-queue]): digests are off")
        return None
    push = Push(
        engine=services.store.engine, bot=app.bot, config=PushConfig.from_settings(settings),
        deliver=deliver,
    )
    services.push = push
    if not deliver:
        return push

    async def start(_app: Any) -> None:
        await push.start(job_queue)

        async def announcements() -> None:
            await push.resume_announcements()  # claims a crash left behind
            await push.post_pending_announcements()  # documents recorded meanwhile

        push.spawn(announcements())

        async def poll(_context: Any) -> None:
            if not push._posting.locked():
                push.spawn(push.post_pending_announcements())

        interval = push.config.announce_poll
        job_queue.run_repeating(poll, interval=interval, first=interval, name="announcements")

    services.on_startup.append(start)
    previous = app.post_stop

    async def post_stop(application: Any) -> None:
        await push.stop()
        if previous is not None:
            await previous(application)

    app.post_stop = post_stop
    return push
