"""Admin uploads: a .txt file sent in a private chat by a user in ADMIN_IDS is ingested."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from handlers import render, texts
from handlers.common import download_limited, send
from handlers.context import Context

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


async def on_document(update: Update, context: Context) -> None:
    """Ingest an uploaded .txt article (admins only) and report what was stored."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    data = context.bot_data
    user = update.effective_user
    if not data.is_admin(user.id if user else None):
        await send(message, render.Reply(texts.UPLOAD_NOT_ADMIN))
        return
    document = message.document
    name = document.file_name or "upload.txt"
    if not name.lower().endswith(".txt"):
        await send(message, render.Reply(texts.UPLOAD_BAD_TYPE))
        return
    if document.file_size and document.file_size > MAX_UPLOAD_BYTES:
        size, limit = document.file_size // 1024, MAX_UPLOAD_BYTES // 1024
        await send(message, render.Reply(texts.UPLOAD_TOO_BIG.format(size=size, limit=limit)))
        return
    file = await document.get_file()
    # file_size may be absent (in the update and in getFile): the limit holds while reading.
    content = await download_limited(file.file_path or "", MAX_UPLOAD_BYTES)
    if content is None:
        await send(message, render.Reply(texts.UPLOAD_TOO_BIG_UNKNOWN.format(limit=MAX_UPLOAD_BYTES // 1024)))
        return
    # Ingestion tokenises and writes the DB: keep it off the event loop.
    report = await asyncio.to_thread(data.store.ingest_bytes, content, name=name)
    log.info("admin %s uploaded %s: %s", user.id if user else None, name, report.status)
    if not report.ok:
        reason = (report.reason or "").removeprefix(f"{name}: ")  # the report names the file too
        text = texts.UPLOAD_REFUSED.format(name=render.esc(name), reason=render.esc(reason))
    elif report.status == "unchanged":
        text = texts.UPLOAD_UNCHANGED
    else:
        doc = data.store.document(report.document_id) if report.document_id is not None else None
        text = texts.UPLOAD_DONE.format(
            title=render.esc(doc.title if doc else name),
            sentences=report.sentences,
            facts=report.facts,
            number=report.document_id,
        )
    await send(message, render.Reply(text))
    for hook in data.on_ingested:  # e.g. announcements of the new document (handlers/push.py)
        await hook(message, context, report)
