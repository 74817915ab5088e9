"""The digest fan-out engine: daily jobs, claims, batched preparation, sends, restart recovery, previews.

Delivery guarantee (per chat and local day): a `Delivery` row is claimed (`pending`) before
anything is sent, moved to `sending` (committed) right before the HTTP call and to `sent`
right after it. At start the claims of a previous process are settled: `pending` ones are
sent if still within the grace window, `sending` ones become `unknown` and are NOT re-sent.
This is at-most-once for the one message per worker that may be in flight when the process
dies: a duplicate digest is worse for a chat than a missing one, and Telegram offers no
idempotency key to tell the two cases apart. Errors for which Telegram certainly did not
take the message (429, 5xx, refused connections) are retried (delivery/retry.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, RetryAfter, TelegramError
from telegram.ext import CallbackContext, Job, JobQueue

from delivery.announcements import Announcer
from delivery.batching import Batcher
from delivery.config import Clock, PushConfig, Sleep, utcnow
from delivery.errors import Failure, classify, describe, retry_seconds
from delivery.report import FanoutReport
from delivery.unit import UnitOfWork
from render.digest import Digest, render_digest
from render.html import MAX_MESSAGE as MESSAGE_LIMIT
from store import redaction
from store import subscriptions as subs
from store.digest import Corpus
from store.subscriptions import catch_up_slot, latest_slot, zone

log = logging.getLogger(__name__)

JOB_PREFIX = "digest:"


def job_name(chat_id: int) -> str:
    """Return the job name (and APScheduler id) of a chat's digest."""
    return f"{JOB_PREFIX}{chat_id}"


@dataclass(frozen=True, slots=True)
class _Prepared:
    delivery_id: int
    chat_id: int
    digest: Digest
    started_at: datetime
    thread_id: int | None = None  # the forum topic the chat subscribed in


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
        self._work = UnitOfWork(engine)
        self._sem: asyncio.Semaphore | None = None
        self._job_queue: JobQueue[Any] | None = None
        self._due: list[int] = []
        self._flusher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._corpus_lock = threading.Lock()
        self._preparer: Batcher[tuple[int, bool], _Prepared | str] = Batcher(self._prepare_batch)
        self._recorder: Batcher[subs.SentDigest, None] = Batcher(self._record_batch)
        self._corpus: Corpus | None = None
        self._corpus_version: tuple[int, int, int] | None = None
        self.announcer = Announcer(
            work=self._work, bot=bot, config=self.config, now=lambda: self.clock(),
            sleep=lambda seconds: self._sleep(seconds), semaphore=lambda: self.semaphore, live=deliver,
        )

    async def _db(self, fn: Any, /, **kwargs: Any) -> Any:
        return await self._work.run(fn, **kwargs)

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
        with self._work.session() as session:
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
        policy = self.config.retry
        started, failures = self.clock(), 0
        while True:
            try:
                report = await self.fanout(batch)
            except Exception as exc:
                failures += 1
                if not policy.claim_again(failures) or self.clock() - started > self.config.grace:
                    log.error("digest fan-out of %s chats given up after %s failures: %s", len(batch), failures, exc)
                    return
                delay = policy.backoff(failures)
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
        with self._work.session() as session:
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
        with self._work.session() as session:
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
        with self._work.session() as session:
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
                digest = render_digest(subs.chat_digest(
                    sub, corpus=corpus, local_date=delivery.local_date, now=now,
                    sent_ids=sent[delivery.chat_id],
                ))
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
        with self._work.session() as session:
            subs.record_sent_many(session=session, sent=items, now=self.clock())
            session.commit()
        return [None] * len(items)

    async def _finish(self, delivery_id: int, status: str, error: str | None = None) -> None:
        await self._db(
            subs.finish_delivery, delivery_id=delivery_id, status=status, now=self.clock(), error=error
        )

    async def _deliver_one(self, delivery_id: int, *, allow_inactive: bool = False) -> str:
        policy = self.config.retry
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
                except TelegramError as exc:
                    failure = classify(exc, in_topic=prepared.thread_id is not None)
                    if failure is Failure.GONE:
                        await self._chat_gone(prepared.chat_id, delivery_id, exc)
                        return "forbidden"
                    if isinstance(exc, ChatMigrated):
                        if not await self._migrated(prepared.chat_id, exc.new_chat_id, delivery_id):
                            return "skipped"
                        continue
                    if failure is Failure.TOPIC_GONE:
                        # The forum topic was deleted: the digest goes to the chat itself.
                        log.info("chat %s: topic %s is gone (%s)", prepared.chat_id, prepared.thread_id, exc)
                        await self._db(subs.clear_thread, chat_id=prepared.chat_id)
                        await self._finish(delivery_id, subs.PENDING, describe(exc))
                        continue
                    failures += 1
                    flood = isinstance(exc, RetryAfter)
                    step = policy.after(failure, failures, retry_after=retry_seconds(exc) if isinstance(exc, RetryAfter) else 0.0)
                    if step.again:
                        if not flood:
                            log.warning(
                                "digest to chat %s failed (%s); retry in %.1fs", prepared.chat_id, exc, step.delay
                            )
                        await self._finish(delivery_id, subs.PENDING, str(exc) if flood else describe(exc))
                        await self._sleep(step.delay)
                        continue
                    if step.status == subs.UNKNOWN:
                        log.warning(
                            "digest to chat %s: %s after the request was sent; not retried "
                            "(at most once)", prepared.chat_id, exc,
                        )
                    elif flood:
                        log.error("digest to chat %s given up after repeated flood control", prepared.chat_id)
                    else:
                        log.error("digest to chat %s failed %s times, last: %s", prepared.chat_id, failures, exc)
                    await self._finish(delivery_id, step.status, f"flood control: {exc}" if flood else describe(exc))
                    return step.status
                except Exception as exc:
                    # A bug, not a Telegram answer: whether the message left is unknown.
                    await self._finish(delivery_id, subs.UNKNOWN, describe(exc))
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
        reason = describe(exc)
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
        with self._work.session() as session:
            sub = subs.get_subscription(session=session, chat_id=chat_id)
            tz = zone(sub.timezone if sub else self.config.default_timezone) or UTC
            plan = subs.digest_for_chat(
                session=session, chat_id=chat_id, local_date=now.astimezone(tz).date(), now=now,
                corpus=self.corpus(session),
            )
        return render_digest(plan, limit=limit)

    # --- announcements (delivery/announcements.py) ---

    async def announce_documents(self, document_ids: Sequence[int]) -> FanoutReport:
        """Announce new documents once to every announce chat (a re-ingested text: no-op)."""
        return await self.announcer.announce_documents(document_ids)

    async def announce_text(self, text: str, *, key: str) -> FanoutReport:
        """Post an admin's free text once to every announce chat."""
        return await self.announcer.announce_text(text, key=key)

    async def post_pending_announcements(self) -> FanoutReport:
        """Post the documents ingestion recorded for announcement."""
        return await self.announcer.post_pending_announcements()

    async def resume_announcements(self) -> FanoutReport:
        """Send announcements a previous process claimed but never attempted."""
        return await self.announcer.resume_announcements()
