"""/track, /compare and /export: targets against results by year, comparisons across places, CSV export."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import InputFile, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.common import MAX_KEYWORD, is_private, send
from handlers.context import App, Context
from render import charts, texts
from render.html import esc
from render.replies import Reply
from render.track import (
    CB_TRACK,
    SEP,
    chart_labels,
    compare_reply,
    export_unresolved,
    track_caption,
    track_reply,
    track_title,
)
from store import series

log = logging.getLogger(__name__)

NEW = filters.UpdateType.MESSAGE
MAX_EXPORT_BYTES = 50 * 1024 * 1024  # Telegram refuses bots' documents over 50 MB


# --------------------------------------------------------------------------- handlers


async def _track(message: Message, context: Context, place_text: str, metric_text: str, *, quote: bool) -> None:
    store = context.bot_data.store
    query = await asyncio.to_thread(series.track_query, store.index, place_text, metric_text or None)
    reply = track_reply(query, place_text, metric_text, context.bot_data.queries.token)
    if query.rows:
        title = track_title(query, metric_text)
        png = await asyncio.to_thread(charts.track_chart, query.rows, chart_labels(title))
        await message.reply_photo(
            InputFile(png, filename="track.png"),
            caption=track_caption(query),
            do_quote=quote,
        )
        quote = False
    await send(message, reply, quote=quote)


def _too_long(args: Sequence[str]) -> bool:
    return any(len(a) > MAX_KEYWORD for a in args)


async def track(update: Update, context: Context) -> None:
    """/track 地区 [指标] — targets against results by year, with a chart."""
    message = update.effective_message
    if message is None:
        return
    args = list(context.args or [])
    if not args:
        await send(message, Reply(texts.TRACK_USAGE))
        return
    if _too_long(args):
        await send(message, Reply(texts.KEYWORD_TOO_LONG.format(limit=MAX_KEYWORD)))
        return
    await _track(message, context, args[0], " ".join(args[1:]), quote=not is_private(message))


async def on_track_button(update: Update, context: Context) -> None:
    """A place or metric chosen from the buttons: track it."""
    query = update.callback_query
    if query is None:
        return
    token = (query.data or "").removeprefix(f"{CB_TRACK}:")
    text = context.bot_data.queries.resolve(token)
    if text is None or SEP not in text or not isinstance(query.message, Message):
        await query.answer(texts.EXPIRED)
        return
    await query.answer()
    place, _, metric = text.partition(SEP)
    await _track(query.message, context, place, metric, quote=False)


async def compare(update: Update, context: Context) -> None:
    """/compare 指标 地区1 地区2 … — one metric across places, with a bar chart."""
    message = update.effective_message
    if message is None:
        return
    args = list(context.args or [])
    if len(args) < 2:
        await send(message, Reply(texts.COMPARE_USAGE))
        return
    if _too_long(args):
        await send(message, Reply(texts.KEYWORD_TOO_LONG.format(limit=MAX_KEYWORD)))
        return
    store = context.bot_data.store
    query = await asyncio.to_thread(series.compare_query, store.index, args[0], args[1:])
    reply = compare_reply(query, args[0])
    quote = not is_private(message)
    if query.metric.name and any(r.fact for r in query.rows):
        title = texts.COMPARE_CHART_TITLE.format(metric=query.metric.name, year=query.year)
        png = await asyncio.to_thread(charts.compare_chart, query.rows, chart_labels(title))
        await message.reply_photo(InputFile(png, filename="compare.png"), caption=esc(title), do_quote=quote)
        quote = False
    await send(message, reply, quote=quote)


async def export(update: Update, context: Context) -> None:
    """/export [地区] [指标] — the matching targets and results as a CSV file."""
    message = update.effective_message
    if message is None:
        return
    args = list(context.args or [])
    if _too_long(args):
        await send(message, Reply(texts.KEYWORD_TOO_LONG.format(limit=MAX_KEYWORD)))
        return
    place_text = args[0] if args else None
    metric_text = " ".join(args[1:]) or None
    store = context.bot_data.store
    place, metric, facts = await asyncio.to_thread(series.export_query, store.index, place_text, metric_text)
    unresolved = export_unresolved(place_text, place, metric_text, metric)
    if unresolved is not None:
        await send(message, unresolved)
        return
    if not facts:
        await send(message, Reply(texts.EXPORT_NONE + "\n" + texts.EXPORT_USAGE_HINT))
        return
    data = await asyncio.to_thread(series.csv_bytes, facts)
    if len(data) > MAX_EXPORT_BYTES:
        await send(message, Reply(texts.EXPORT_TOO_BIG.format(count=len(facts)) + "\n" + texts.EXPORT_USAGE_HINT))
        return
    await message.reply_document(
        InputFile(data, filename=texts.EXPORT_FILE),
        caption=texts.EXPORT_CAPTION.format(count=len(facts)),
        do_quote=not is_private(message),
    )


def register(app: App) -> None:
    """Add /track, /compare, /export, their menu entries and the choice buttons."""
    for command, description, in_groups in texts.TRACK_MENU:
        app.bot_data.add_menu(command, description, group=in_groups)
    app.add_handler(CommandHandler("track", track, filters=NEW))
    app.add_handler(CommandHandler("compare", compare, filters=NEW))
    app.add_handler(CommandHandler("export", export, filters=NEW))
    app.add_handler(CallbackQueryHandler(on_track_button, pattern=rf"^{CB_TRACK}:"))
