"""Feed polling in every replica: a repeating job claims due feeds (a lease per feed), ingests, tells admins."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from telegram.error import TelegramError

from render.admin import feed_paused_text

if TYPE_CHECKING:
    from bot.app import Services
    from handlers.context import App
    from store.feeds import PollResult

log = logging.getLogger(__name__)

# How often the bot looks for due feeds; each feed keeps its own interval (default 30 min).
CHECK_EVERY_SECONDS = 60.0


def install(app: App, services: Services, *, enabled: bool = True) -> None:
    """Give the handlers the fetch policy and, when `enabled`, add the repeating poll job."""
    from bot.feeds_cli import fetch_policy

    services.fetch_policy = fetch_policy()
    job_queue = app.job_queue
    if not enabled or job_queue is None:
        return

    async def job(context: Any) -> None:
        await poll_and_announce(context.application)

    job_queue.run_repeating(
        job,
        interval=CHECK_EVERY_SECONDS,
        first=CHECK_EVERY_SECONDS / 2,
        name="feeds",
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": 60},
    )


async def poll_and_announce(app: App, *, force: bool = False) -> list[PollResult]:
    """Poll the due feeds off the event loop, announce new documents, tell admins of paused feeds."""
    from store.feeds import PAUSE_AFTER_FAILURES

    data = app.bot_data
    policy = data.services.fetch_policy
    try:
        # New documents are recorded for announcement with them; the replica holding the
        # fan-out lease posts them at its next tick (delivery/engine.py), at the bot's one rate.
        results: list[PollResult] = await asyncio.to_thread(
            data.store.poll_feeds, policy=policy, force=force, announce=True
        )
    except Exception:
        log.exception("feed poll failed")
        return []
    for result in results:
        log.info("%s", result.line())
    for result in results:
        if not result.paused:
            continue
        text = feed_paused_text(
            result.feed_id, result.name or result.url, failures=PAUSE_AFTER_FAILURES, reason=result.reason
        )
        for admin in sorted(data.admin_ids):
            try:
                await app.bot.send_message(admin, text)
            except TelegramError as exc:
                log.warning("could not tell admin %s that feed %s paused: %s", admin, result.feed_id, exc)
    return results

