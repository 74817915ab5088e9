"""Shared handler plumbing: addressing rules, sending rendered replies, editing pages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, NetworkError
from telegram.ext import CallbackContext

from delivery.errors import FAILURES, maybe_delivered, transient
from render import replies, texts
from render.replies import Reply
from store.redaction import redact_html

log = logging.getLogger(__name__)

MAX_QUESTION = 200  # characters; longer text is not a question
MAX_KEYWORD = 50


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (None without buttons)."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in reply.buttons]
    )


def is_private(message: Message) -> bool:
    """True for a private chat with the bot."""
    return message.chat.type == ChatType.PRIVATE


def addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The text of a message meant for the bot, without the @mention; None when not for us.

    Private chats: every text. Groups: a reply to one of the bot's messages or a text that
    @mentions the bot; other group chatter is not ours to answer.
    """
    text = message.text or ""
    if is_private(message):
        return text
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return strip_mention(message, bot_username)
    mention = f"@{bot_username}".lower()
    for entity, value in message.parse_entities([MessageEntity.MENTION]).items():
        if entity.type == MessageEntity.MENTION and value.lower() == mention:
            return strip_mention(message, bot_username)
    return None


def strip_mention(message: Message, bot_username: str) -> str:
    """Message text with mentions of the bot removed."""
    text = message.text or ""
    mention = f"@{bot_username}".lower()
    out, pos = [], 0
    for _entity, value in sorted(
        message.parse_entities([MessageEntity.MENTION]).items(), key=lambda ev: ev[0].offset
    ):
        if value.lower() != mention:
            continue
        start = text.find(value, pos)
        if start < 0:
            continue
        out.append(text[pos:start])
        pos = start + len(value)
    out.append(text[pos:])
    return " ".join("".join(out).split())


def addressed_command(message: Message, bot_username: str) -> bool:
    """True when a /command is for us: always in private, only `/cmd@us` in groups."""
    if is_private(message):
        return True
    first = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    _, _, target = first.partition("@")
    return target.lower() == bot_username.lower()


# A reply that failed because the Bot API was unreachable is retried (backoff RETRY_FIRST…
# RETRY_MAX seconds) for up to OUTAGE_PATIENCE seconds: a question asked just before an outage
# is answered when it ends. Meanwhile that chat's later updates wait, so its order holds;
# a longer outage gives the reply up rather than hold the chat for ever.
OUTAGE_PATIENCE = 600.0
RETRY_FIRST = 1.0
RETRY_MAX = 15.0
T = TypeVar("T")


async def patiently(call: Callable[[], Awaitable[T]], *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> T:
    """Await a Bot API call, retrying while the API is unreachable and nothing was delivered."""
    delay, waited = RETRY_FIRST, 0.0
    while True:
        try:
            return await call()
        except NetworkError as exc:
            if not transient(exc) or maybe_delivered(exc) or waited >= OUTAGE_PATIENCE:
                raise
            FAILURES.warn(log, "Bot API unreachable, reply held for a retry", exc)
            await sleep(delay)
            waited += delay
            delay = min(RETRY_MAX, delay * 2)


async def send(message: Message, reply: Reply, *, quote: bool | None = None) -> list[Message]:
    """Send a rendered reply into the message's chat (and topic), split over messages if long."""
    parts = reply.messages()
    keyboard = markup(reply)
    if quote is None:
        quote = not is_private(message)
    sent: list[Message] = []
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        sent.append(await patiently(
            lambda part=part, last=last, n=n: message.reply_text(  # type: ignore[misc]
                redact_html(part), reply_markup=keyboard if last else None, do_quote=quote and n == 0
            )
        ))
    return sent


async def send_after_press(update: Update, context: CallbackContext[Any, Any, Any, Any], reply: Reply) -> None:
    """Send a new message into the chat of a pressed button (old messages may be inaccessible)."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        await send(query.message, reply, quote=False)
        return
    chat = update.effective_chat
    if chat is None:
        return  # a button on an inline-mode message: there is no chat to write to
    keyboard = markup(reply)
    parts = reply.messages()
    for n, part in enumerate(parts):
        await patiently(
            lambda part=part, n=n: context.bot.send_message(  # type: ignore[misc]
                chat.id, redact_html(part), reply_markup=keyboard if n == len(parts) - 1 else None
            )
        )


async def edit(query: CallbackQuery, reply: Reply) -> None:
    """Replace a paged message in place; an unchanged page is not an error.

    A message Telegram no longer lets us edit (too old, deleted) gets the page as a new
    message instead; the press has already been answered, so nothing is raised.
    """
    try:
        await patiently(
            lambda: query.edit_message_text(redact_html(reply.single()), reply_markup=markup(reply))
        )
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            log.debug("page unchanged: %s", exc)
            return
        log.info("could not edit message (%s); sending the page as a new message", exc)
        if isinstance(query.message, Message):
            await send(query.message, reply, quote=False)


async def download_limited(url: str, limit: int, *, timeout: float = 60.0) -> bytes | None:
    """Download `url`, stopping as soon as more than `limit` bytes arrived (then None).

    Telegram may omit `file_size`; counting while reading keeps an oversized file out of
    memory and out of the store either way.
    """
    parts = urlsplit(url)
    url = urlunsplit(parts._replace(path=quote(parts.path)))  # as PTB's File does (UTF-8 names)
    chunks: list[bytes] = []
    total = 0
    async with httpx.AsyncClient(timeout=timeout) as client, client.stream("GET", url) as response:
        response.raise_for_status()
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return None
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > limit:
                return None
            chunks.append(chunk)
    return b"".join(chunks)


async def page_callback(query: CallbackQuery) -> tuple[str, int, str] | None:
    """(prefix, page, token) of a paging button, or None after telling the user it expired."""
    try:
        return replies.parse_callback(query.data or "")
    except ValueError:
        await query.answer(texts.EXPIRED)
        return None
