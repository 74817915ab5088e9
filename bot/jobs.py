"""Wiring of the delivery engine into the Application: `services.push`, the tick job, start and stop hooks."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from delivery.config import PushConfig
from delivery.engine import Push
from delivery.errors import FAILURES

if TYPE_CHECKING:
    from bot.app import Services
    from bot.config import Settings
    from handlers.context import App

log = logging.getLogger(__name__)


def install(app: App, settings: Settings, services: Services, *, deliver: bool = True) -> Push | None:
    """Attach the delivery engine to an Application: `services.push`, the repeating tick, stop hook.

    With `deliver=False` (the console, whose HTTP layer is not Telegram) settings and previews
    work but nothing is claimed or sent, so no real chat's day is used up by the console.
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

    async def tick(_context: Any) -> None:
        try:
            await push.tick()
        except Exception as exc:  # the database is away: the next tick claims again
            FAILURES.warn(log, "push tick failed", exc)

    async def start(_app: Any) -> None:
        interval = push.config.tick
        job_queue.run_repeating(
            tick, interval=interval, first=0.0, name="push-tick",
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )

    services.on_startup.append(start)
    previous = app.post_stop

    async def post_stop(application: Any) -> None:
        await push.stop()
        await push.release()
        if previous is not None:
            await previous(application)

    app.post_stop = post_stop
    return push
