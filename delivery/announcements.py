"""Channel announcements: new documents (one post each, or one summary for a bulk ingest) and admin texts."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, RetryAfter, TelegramError

from delivery.config import PushConfig, Sleep
from delivery.errors import FAILURES, Failure, classify, describe, retry_seconds
from delivery.report import FanoutReport
from delivery.unit import UnitOfWork
from render import texts
from render.digest import announcement_html, batch_announcement_html, text_announcement_html
from store import subscriptions as subs

log = logging.getLogger(__name__)


class Announcer:
    """Claims announcements (once per key and chat) and posts them to the announce chats."""

    def __init__(
        self,
        *,
        work: UnitOfWork,
        bot: Bot,
        config: PushConfig,
        now: Callable[[], datetime],
        sleep: Sleep,
        semaphore: Callable[[], asyncio.Semaphore],
        live: bool = True,
    ) -> None:
        self._work = work
        self.bot = bot
        self.config = config
        self._now = now
        self._sleep = sleep
        self._semaphore = semaphore
        self.live = live
        self._posting = asyncio.Lock()  # one pass over recorded announcements at a time
        self._chat_locks: dict[int, asyncio.Lock] = {}  # announce chats (a few)
        self._inflight: set[int] = set()  # announcement ids this process is sending or about to

    @property
    def busy(self) -> bool:
        """True while a pass over recorded announcements is running."""
        return self._posting.locked()

    def _doc_link(self, document_id: int) -> str | None:
        try:
            return f"https://t.me/{self.bot.username}?start=doc_{document_id}"
        except RuntimeError:  # bot not initialised: no deep link possible
            return None

    def _ask_button(self, document_id: int | None) -> InlineKeyboardMarkup | None:
        url = None if document_id is None else self._doc_link(document_id)
        if url is None:
            return None
        return InlineKeyboardMarkup([[InlineKeyboardButton(texts.ANNOUNCE_ASK_BUTTON, url=url)]])

    async def announce_documents(self, document_ids: Sequence[int]) -> FanoutReport:
        """Announce new documents once to every announce chat (a re-ingested text: no-op)."""
        report = FanoutReport()
        if not self.config.announce_chat_ids or not self.live:
            return report
        for doc_id in document_ids:
            claims = await self._work.run(self._claim_document, document_id=doc_id)
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
                text=html, now=self._now(), document_id=document_id,
            )
        )

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
                claims = await self._work.run(self._claim_pending)
            except Exception as exc:  # the database is away: the next pass tries again
                FAILURES.warn(log, "recorded announcements not claimed", exc)
                return FanoutReport()
            return await self._announce_all(claims)

    def _claim_pending(self, *, session: Any) -> list[subs.Announcement]:
        now = self._now()
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
        claims = await self._work.run(
            subs.claim_announcements, key=f"text:{key}", chat_ids=self.config.announce_chat_ids,
            text=text_announcement_html(text), now=self._now(),
        )
        return await self._announce_all(claims)

    async def resume_announcements(self, *, stale_before: datetime | None = None) -> FanoutReport:
        """Send announcements claimed but never attempted; settle sends in flight before `stale_before`.

        Default `stale_before` (now): every other send in flight is from a stopped process.
        """
        now = self._now()
        claims = await self._work.run(
            subs.recover_announcements, now=now, grace=self.config.grace, stale_before=stale_before or now,
        )
        return await self._announce_all(claims)

    async def _announce_all(self, claims: Sequence[subs.Announcement]) -> FanoutReport:
        report = FanoutReport()
        # An announcement this process already sends (or waits to) is not started twice.
        fresh = [a for a in claims if a.id is not None and a.id not in self._inflight]
        self._inflight.update(a.id for a in fresh if a.id is not None)
        try:
            results = await asyncio.gather(*(self._announce_one(a) for a in fresh), return_exceptions=True)
        finally:
            self._inflight.difference_update(a.id for a in fresh if a.id is not None)
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
        policy = self.config.retry
        # One announcement per chat at a time: the others stay `pending` (resumed after a
        # crash) instead of `sending` while they wait for the chat's rate limit.
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock, self._semaphore():
            failures = 0
            while True:
                if not await self._work.run(subs.begin_announcement, announcement_id=ann_id, now=self._now()):
                    return "skipped"
                try:
                    message = await self.bot.send_message(
                        chat_id, ann.text, parse_mode=ParseMode.HTML,
                        reply_markup=self._ask_button(ann.document_id),
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
                except TelegramError as exc:
                    failure = classify(exc)
                    if isinstance(exc, ChatMigrated):
                        log.warning(
                            "announce chat %s migrated to %s: update ANNOUNCE_CHAT_IDS", chat_id, exc.new_chat_id
                        )
                        chat_id = exc.new_chat_id
                        await self._finish(ann_id, subs.PENDING, str(exc), chat_id=chat_id)
                        continue
                    failures += 1
                    flood = isinstance(exc, RetryAfter)
                    step = policy.after(failure, failures, retry_after=retry_seconds(exc) if isinstance(exc, RetryAfter) else 0.0)
                    error = str(exc) if flood else describe(exc)
                    if step.again:
                        await self._finish(ann_id, subs.PENDING, error)
                        await self._sleep(step.delay)
                        continue
                    if step.status == subs.FAILED and failure is not Failure.RETRY_AFTER:
                        log.error("announcement to chat %s failed: %s", chat_id, exc)
                    await self._finish(ann_id, step.status, error)
                    return step.status
                await self._finish(ann_id, subs.SENT, None, message_id=message.message_id)
                return subs.SENT

    async def _finish(
        self, ann_id: int, status: str, error: str | None, *, message_id: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        await self._work.run(
            subs.finish_announcement, announcement_id=ann_id, status=status, now=self._now(),
            error=error, message_id=message_id, chat_id=chat_id,
        )
