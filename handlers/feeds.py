"""Admins' web intake: /feeds, /addfeed URL [名称], /rmfeed N, and a URL sent in a private chat."""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, Update
from telegram.ext import CommandHandler, MessageHandler, filters

from handlers.common import send
from handlers.context import App, Context
from render import replies, texts
from render.admin import feed_added_text, feed_removed_text, feeds_html, ingest_text
from store.feeds import FeedBook, FeedError

log = logging.getLogger(__name__)

NEW = filters.UpdateType.MESSAGE
# A private message that is nothing but one http(s) link.
URL_ONLY = r"^\s*https?://\S+\s*$"


def _admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return context.bot_data.is_admin(user.id if user else None)


def _book(context: Context) -> FeedBook:
    return context.bot_data.services.feeds


async def _admin_message(update: Update, context: Context) -> Message | None:
    """The command's message when an admin sent it; others are told the command is for admins."""
    message = update.effective_message
    if message is None:
        return None
    if not _admin(update, context):
        await send(message, replies.Reply(texts.FEEDS_NOT_ADMIN))
        return None
    return message


async def list_feeds(update: Update, context: Context) -> None:
    """/feeds — the feeds, their schedule and state (admins only)."""
    message = await _admin_message(update, context)
    if message is None:
        return
    feeds = await asyncio.to_thread(_book(context).feeds)
    await send(message, replies.Reply(feeds_html(feeds)))


async def add_feed(update: Update, context: Context) -> None:
    """/addfeed URL [名称] — add a feed; it is polled within a minute (admins only)."""
    message = await _admin_message(update, context)
    if message is None:
        return
    args = context.args or []
    if not args:
        await send(message, replies.Reply(texts.FEED_ADD_USAGE))
        return
    url, name = args[0], " ".join(args[1:])
    user = update.effective_user
    try:
        feed = await asyncio.to_thread(
            _book(context).add, url, name=name, added_by=user.id if user else None
        )
    except FeedError as exc:
        await send(message, replies.Reply(texts.FEED_ADD_FAILED.format(reason=replies.esc(str(exc)))))
        return
    log.info("admin %s added feed %s: %s", user.id if user else None, feed.id, feed.url)
    await send(message, replies.Reply(feed_added_text(feed)))


async def remove_feed(update: Update, context: Context) -> None:
    """/rmfeed N — remove feed N; its documents stay (admins only)."""
    message = await _admin_message(update, context)
    if message is None:
        return
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        await send(message, replies.Reply(texts.FEED_RM_USAGE))
        return
    feed_id = int(args[0])
    feed = await asyncio.to_thread(_book(context).remove, feed_id)
    if feed is None:
        await send(message, replies.Reply(texts.FEED_NOT_FOUND.format(id=feed_id)))
        return
    await send(message, replies.Reply(feed_removed_text(feed)))


async def on_url(update: Update, context: Context) -> None:
    """An admin's private message that is a link: fetch, ingest and report like an upload."""
    message = update.effective_message
    if message is None or not message.text:
        return
    data = context.bot_data
    url = message.text.strip()
    await send(message, replies.Reply(texts.URL_FETCHING.format(url=replies.esc(url))))
    policy = data.services.fetch_policy
    # Fetching and ingestion block (network, jieba, the DB): off the event loop.
    (report,) = await asyncio.to_thread(data.store.ingest_paths, [url], policy=policy)
    user = update.effective_user
    log.info("admin %s sent %s: %s", user.id if user else None, url, report.status)
    doc = data.store.document(report.document_id) if report.ok and report.document_id is not None else None
    text = ingest_text(report, name=url, title=doc.title if doc else None)
    await send(message, replies.Reply(text))
    for hook in data.on_ingested:  # announcements of the new document (handlers/push.py)
        await hook(message, context, report)


def register(app: App) -> None:
    """Add the feed commands (admins only)."""
    app.add_handler(CommandHandler("feeds", list_feeds, filters=NEW))
    app.add_handler(CommandHandler("addfeed", add_feed, filters=NEW))
    app.add_handler(CommandHandler("rmfeed", remove_feed, filters=NEW))


def register_links(app: App) -> None:
    """Add the admins' link handler (among the catch-alls, before questions)."""
    admins = filters.User(user_id=sorted(app.bot_data.admin_ids), allow_empty=False)
    app.add_handler(
        MessageHandler(
            NEW & filters.ChatType.PRIVATE & admins & filters.Regex(URL_ONLY), on_url
        )
    )
