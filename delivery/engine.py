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
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, RetryAfter, TelegramError

from delivery.announcements import Announcer
from delivery.batching import Batcher
from delivery.config import Clock, PushConfig, Sleep, utcnow
from delivery.errors import FAILURES, Failure, classify, describe, retry_seconds
from delivery.report import FanoutReport
from delivery.unit import UnitOfWork
from render.digest import Digest, render_digest
from render.html import MAX_MESSAGE as MESSAGE_LIMIT
from store import redaction
from store import subscriptions as subs
from store.digest import Corpus
from store.subscriptions import catch_up_slot, zone

log = logging.getLogger(__name__)

LEASE_NAME = "fanout"  # the lease under which one replica at a time sends digests and announcements
DEFERRED = "deferred"  # outcome of a claim left pending because this process may not send now
# A digest claimed more than this after its slot is marked `late` (sent by catch-up, not on time).
LATE_AFTER = timedelta(minutes=1)
# (chat, day) pairs remembered as claimed, so ticks skip their lookup; cleared beyond this many.
CLAIMED_MEMORY = 200_000


def _monotonic() -> float:
    return time.monotonic()


@dataclass(frozen=True, slots=True)
class _Prepared:
    delivery_id: int
    chat_id: int
    digest: Digest
    started_at: datetime
    thread_id: int | None = None  # the forum topic the chat subscribed in


class Push:
    """Claims due digests from the database (one tick per replica) and delivers digests and announcements."""

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
        self._tasks: set[asyncio.Task[Any]] = set()
        # Identifies this process's claims and lease (a restarted process is a new holder).
        self.holder_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # Monotonic time until which the fan-out lease is ours; None: not ticking (CLI, tests).
        self._lease_until: float | None = None
        self._ticking = False
        self._stopping = False
        self._inflight: set[int] = set()  # delivery ids this process is sending or about to
        self._announcing: asyncio.Future[None] | None = None  # the tick's announcement pass
        self._claimed: set[tuple[int, date]] = set()  # (chat, day) pairs known to have a claim
        self._corpus_lock = threading.Lock()
        self._preparer: Batcher[tuple[int, bool], _Prepared | str] = Batcher(self._prepare_batch)
        self._recorder: Batcher[subs.SentDigest, None] = Batcher(self._record_batch)
        self._corpus: Corpus | None = None
        self._corpus_version: tuple[int, int, int] | None = None
        self._warming: threading.Thread | None = None  # background corpus (re)load
        self._has_subscribers = False  # seen by the last claim: a corpus is worth keeping warm
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

    # --- the tick: scheduling from the database ---

    async def tick(self) -> FanoutReport | None:
        """One scheduling step of this replica: hold the fan-out lease, then claim and send what is due.

        Every replica ticks; the one holding the lease (a row in the database, renewed each tick)
        settles stale claims, claims the due digests of every active subscription, and sends
        the pending ones and the recorded announcements, so the bot keeps one send rate however
        many replicas run. Returns None when another replica holds the lease (or a tick runs).
        """
        if self._ticking or self._stopping:
            return None
        self._ticking = True
        try:
            now = self.clock()
            held = await self._db(
                subs.acquire_lease, name=LEASE_NAME, holder=self.holder_id, now=now, ttl=self.config.lease,
            )
            if not held:
                if self._lease_until:
                    log.info("fan-out lease now held by another replica")
                self._lease_until = 0.0
                return None
            if not self._lease_until:
                log.info("fan-out lease taken by %s", self.holder_id)
            # Stop starting sends a tick before the lease could lapse unrenewed.
            self._lease_until = _monotonic() + self.config.lease.total_seconds() - self.config.tick
            ids = await asyncio.to_thread(self._claim_tick, now)
            if self._has_subscribers and (self._warming is None or not self._warming.is_alive()):
                # Load a changed corpus between slots, so the first digest due does not wait for
                # it; a daemon thread, so a stopping process never waits for a load either.
                self._warming = threading.Thread(target=self.warm_corpus, name="digest-corpus", daemon=True)
                self._warming.start()
            fresh = [i for i in ids if i not in self._inflight]
            if self._announcing is None or self._announcing.done():
                self._announcing = asyncio.ensure_future(self._announce_tick())
                self._tasks.add(self._announcing)
                self._announcing.add_done_callback(self._tasks.discard)
            if fresh:
                log.info("sending %s digests", len(fresh))
                report = FanoutReport()
                self.spawn(self._deliver_logged(fresh, report))
                return report
            return FanoutReport()
        finally:
            self._ticking = False

    def _claim_tick(self, now: datetime) -> list[int]:
        """Settle stale claims, expire old ones, claim the due digests; the pending ids, one transaction."""
        with self._work.session() as session:
            settled = subs.settle_stale_sends(
                session=session, holder=self.holder_id, stale_before=now - self.config.lease, now=now
            )
            for d in settled:
                log.warning(
                    "digest to chat %s for %s may or may not have been delivered by a stopped "
                    "process; not re-sent (at most once)", d.chat_id, d.local_date,
                )
            if subs.expire_pending(session=session, now=now, grace=self.config.grace):
                log.warning("claimed digests expired outside the grace window")
            _claims, seen = self._claim_due_slots(session, now, None)
            ids = subs.pending_delivery_ids(session=session, now=now, grace=self.config.grace)
            session.commit()
            self._remember(seen)
            if ids:
                self.corpus(session)
            return ids

    def _claim_due_slots(
        self, session: Any, now: datetime, wanted: set[int] | None
    ) -> tuple[list[subs.Delivery], list[tuple[int, date]]]:
        """Claim today's digest of every active subscription whose slot passed within the grace window.

        A slot set after it passed (a subscription made at 10:00 for 08:00) is tomorrow's; a
        (chat, day) already claimed by any process is never claimed again. Returns the claims
        now pending and the (chat, day) pairs that have a row once the caller commits.
        """
        due: list[tuple[int, date, datetime]] = []
        schedules = subs.active_schedules(session=session)
        self._has_subscribers = bool(schedules)
        for sched in schedules:
            if wanted is not None and sched.chat_id not in wanted:
                continue
            tz = zone(sched.timezone) or ZoneInfo(self.config.default_timezone)
            slot = catch_up_slot(
                sched.hour, sched.minute, tz, now=now, grace=self.config.grace, scheduled_since=sched.changed_at,
            )
            if slot is not None and (sched.chat_id, slot.date()) not in self._claimed:
                due.append((sched.chat_id, slot.date(), slot))
        if not due:
            return [], []
        have = subs.deliveries_on(session=session, chat_ids=[d[0] for d in due], days=[d[1] for d in due])
        missing = [d for d in due if (d[0], d[1]) not in have]
        late = [d for d in missing if now - d[2] > LATE_AFTER]
        on_time = [d for d in missing if now - d[2] <= LATE_AFTER]
        claims = [
            *subs.claim_deliveries(session=session, claims=on_time, now=now),
            *subs.claim_deliveries(session=session, claims=late, now=now, late=True),
        ]
        return claims, [(d[0], d[1]) for d in due]

    def _remember(self, pairs: list[tuple[int, date]]) -> None:
        """A committed (chat, day) keeps its row for good: later ticks skip its lookup."""
        if len(self._claimed) > CLAIMED_MEMORY:
            self._claimed.clear()
        self._claimed.update(pairs)

    async def _announce_tick(self) -> None:
        await self.announcer.resume_announcements(stale_before=self.clock() - self.config.lease)
        await self.post_pending_announcements()

    async def _deliver_logged(self, ids: list[int], report: FanoutReport) -> None:
        report.merge(await self.deliver(ids))
        log.info("digest fan-out of %s chats: %s", len(ids), dict(report.outcomes))

    def may_send(self) -> bool:
        """True while this process may start a send: not stopping, and holding the lease if it ticks."""
        if self._stopping:
            return False
        return self._lease_until is None or _monotonic() < self._lease_until

    async def release(self) -> None:
        """Give the fan-out lease up (at stop) so another replica takes over at its next tick."""
        if self._lease_until:
            self._lease_until = 0.0
            try:
                await self._db(subs.release_lease, name=LEASE_NAME, holder=self.holder_id, now=self.clock())
            except Exception as exc:  # the lease lapses by itself
                log.warning("could not release the fan-out lease: %s", exc)

    def spawn(self, coro: Awaitable[Any]) -> None:
        """Run a coroutine in the background; `join` waits for it, `stop` cancels it."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def join(self) -> None:
        """Wait until background fan-outs and announcements are done."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def drain(self, timeout: float) -> None:
        """Start no new send, let the in-flight ones finish (at most `timeout` s), give the lease up.

        Claims not yet attempted stay pending: another replica (or the next start) sends them.
        """
        self._stopping = True
        try:
            await asyncio.wait_for(self.join(), timeout)
        except TimeoutError:
            log.warning("sends still running after %.0f s: cancelled", timeout)
        await self.stop()
        await self.release()

    async def stop(self) -> None:
        """Cancel background work; claims not yet sent stay pending for another replica or the next start."""
        self._stopping = True
        pending = list(self._tasks)
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
            claims, seen = self._claim_due_slots(session, now, wanted)
            session.commit()
            self._remember(seen)
            self.corpus(session)
            return claims

    async def resume(self) -> FanoutReport:
        """Settle claims other processes left `sending`, claim digests missed within the grace window, send.

        For a start when no other process sends (one process, or the CLI); replicas use `tick`,
        which settles only claims older than the lease.
        """
        now = self.clock()
        unknown, expired, ids = await asyncio.to_thread(self._recover, now)
        if ids:
            log.info("resuming %s digests", len(ids))
        report = await self.deliver(ids)
        report.unknown_marked, report.expired = unknown, expired
        return report

    def _recover(self, now: datetime) -> tuple[int, int, list[int]]:
        with self._work.session() as session:
            unknown = subs.settle_stale_sends(session=session, holder=self.holder_id, stale_before=now, now=now)
            for d in unknown:
                log.warning(
                    "digest to chat %s for %s may or may not have been delivered before the "
                    "restart; not re-sent (at most once)", d.chat_id, d.local_date,
                )
            expired = subs.expire_pending(session=session, now=now, grace=self.config.grace)
            if expired:
                log.warning("%s claimed digests expired outside the grace window", expired)
            _claims, seen = self._claim_due_slots(session, now, None)
            ids = subs.pending_delivery_ids(session=session, now=now, grace=self.config.grace)
            session.commit()
            self._remember(seen)
            self.corpus(session)
            return len(unknown), expired, ids

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
        ids = [i for i in dict.fromkeys(delivery_ids) if i not in self._inflight]
        self._inflight.update(ids)
        try:
            results = await asyncio.gather(*(self._deliver_one(i) for i in ids), return_exceptions=True)
        finally:
            self._inflight.difference_update(ids)
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

    def warm_corpus(self) -> None:
        """Reload the digest corpus if documents changed (run in a thread by the tick)."""
        try:
            with self._work.session() as session:
                self.corpus(session)
        except Exception as exc:  # the next tick tries again; a due digest loads it itself
            FAILURES.warn(log, "digest corpus refresh failed", exc)

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
            owned = subs.begin_sending_many(session=session, delivery_ids=eligible, now=now, holder=self.holder_id)
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
                if not self.may_send():
                    return DEFERRED  # stays pending: the lease holder (or the next start) sends it
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

    async def _migrated(self, old: int, new: int, delivery_id: int) -> bool:
        """Move a migrated group's subscription; True when its claim moved along to be retried."""
        moved = await self._db(subs.migrate_chat, old_chat_id=old, new_chat_id=new)
        log.info("chat %s migrated to %s (subscription moved: %s)", old, new, moved)

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
