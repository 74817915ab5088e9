"""Admin uploads: a text, HTML, PDF or Word file sent in a private chat by a user in ADMIN_IDS is ingested."""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, Update
from telegram.error import BadRequest

from handlers.common import download_limited, send
from handlers.context import Context
from render import replies, texts
from render.admin import upload_reply
from store.ingest.sources import SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

# Telegram's Bot API lets a bot download files up to 20 MB.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


async def on_document(update: Update, context: Context) -> None:
    """Ingest an uploaded article file (admins only) and report what was stored."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    data = context.bot_data
    user = update.effective_user
    if not data.is_admin(user.id if user else None):
        await send(message, replies.Reply(texts.UPLOAD_NOT_ADMIN))
        return
    document = message.document
    name = document.file_name or "upload.txt"
    if not name.lower().endswith(SUPPORTED_SUFFIXES):
        await send(message, replies.Reply(texts.UPLOAD_BAD_TYPE))
        return
    if document.file_size and document.file_size > MAX_UPLOAD_BYTES:
        size, limit = document.file_size // 1024, MAX_UPLOAD_BYTES // 1024
        await send(message, replies.Reply(texts.UPLOAD_TOO_BIG.format(size=size, limit=limit)))
        return
    try:
        file = await document.get_file()
    except BadRequest as exc:
        if "too big" not in str(exc).lower():
            raise
        # Telegram refuses files over 20 MB even when the update did not say how big it is.
        await send(message, replies.Reply(texts.UPLOAD_TOO_BIG_UNKNOWN.format(limit=MAX_UPLOAD_BYTES // 1024)))
        return
    # file_size may be absent (in the update and in getFile): the limit holds while reading.
    content = await download_limited(file.file_path or "", MAX_UPLOAD_BYTES)
    if content is None:
        await send(message, replies.Reply(texts.UPLOAD_TOO_BIG_UNKNOWN.format(limit=MAX_UPLOAD_BYTES // 1024)))
        return
    # Ingestion tokenises and writes the DB: keep it off the event loop.
    # A different text under a stored name is a new document; replacing is the admin's choice.
    report = await asyncio.to_thread(data.store.ingest_bytes, content, name=name, replace=False)
    log.info("admin %s uploaded %s: %s", user.id if user else None, name, report.status)
    doc = data.store.document(report.document_id) if report.ok and report.document_id is not None else None
    await send(message, upload_reply(report, name=name, title=doc.title if doc else None))
    for hook in data.on_ingested:  # e.g. announcements of the new document (handlers/push.py)
        await hook(message, context, report)


async def on_replace(update: Update, context: Context) -> None:
    """「替换原文档」: the new upload takes the place of the same-named document (admins only)."""
    query = update.callback_query
    if query is None:
        return
    data = context.bot_data
    if not data.is_admin(query.from_user.id if query.from_user else None):
        await query.answer(texts.UPLOAD_NOT_ADMIN, show_alert=True)
        return
    try:
        _prefix, old, new = (query.data or "").split(":")
        old_id, new_id = int(old), int(new)
    except ValueError:
        await query.answer(texts.EXPIRED)
        return
    done = await asyncio.to_thread(data.store.replace_document, old_id, new_id)
    log.info("admin %s replaced document %s by %s: %s", query.from_user.id, old_id, new_id, done)
    await query.answer()
    text = texts.UPLOAD_REPLACED if done else texts.UPLOAD_REPLACE_GONE
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        log.debug("could not remove the replace button: %s", exc)
    if isinstance(query.message, Message):
        await send(query.message, replies.Reply(text.format(old=old_id, new=new_id)), quote=False)
