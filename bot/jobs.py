"""Wiring of the delivery engine into the Application: `services.push`, its start-up and stop hooks, jobs."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application

from delivery.config import PushConfig
from delivery.engine import Push

log = logging.getLogger(__name__)


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
            if not push.announcer.busy:
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
