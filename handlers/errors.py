"""The error handler: log the failure (with its traceback unless the Bot API was unreachable), then tell the user briefly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from delivery.errors import FAILURES, transient
from handlers.context import Context
from render import texts

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Log an exception raised by a handler, job or the poller, then answer the user in one line.

    An unreachable Bot API is not a bug: one line per failure kind per interval, no traceback
    (during an outage every poll fails).
    """
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if transient(error):
        assert error is not None
        what = "polling the Bot API failed" if update_id is None else f"update {update_id} not answered"
        FAILURES.warn(log, what, error)
    else:
        log.error("error while handling update %s", update_id, exc_info=error)
    if not isinstance(update, Update):
        return  # a job or the poller failed: nobody to answer
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(texts.ERROR_SHORT)
        elif update.effective_message is not None and update.effective_chat is not None:
            await update.effective_message.reply_text(texts.ERROR)
    except TelegramError as exc:
        # Telegram itself may be what failed; never let the error handler raise.
        FAILURES.warn(log, "could not tell the user about the error", exc)
