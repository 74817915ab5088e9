"""/track, /compare and /export: targets against results by year, comparisons across places, CSV export."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import InputFile, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.common import MAX_KEYWORD, is_private, send
from handlers.context import App, Context, QueryCache
from render import charts, replies, texts
from render.replies import Button, Reply, esc
from store import series
from store.series import CompareQuery, SeriesFact, TrackQuery

log = logging.getLogger(__name__)

CB_TRACK = "trk"  # trk:<token of "place\x1fmetric"> — track a chosen place/metric
_SEP = "\x1f"
MAX_CHOICE_BUTTONS = 8
SOURCE_WIDTH = 80  # characters of a source sentence quoted under each year
NEW = filters.UpdateType.MESSAGE
MAX_EXPORT_BYTES = 50 * 1024 * 1024  # Telegram refuses bots' documents over 50 MB


# --------------------------------------------------------------------------- pure rendering


def _source(f: SeriesFact) -> str:
    when = f.doc_date or (str(f.doc_year) if f.doc_year else texts.UNKNOWN_DATE)
    return esc(f"{f.title or f.doc} · {when}")


def _choice_buttons(queries: QueryCache, pairs: Sequence[tuple[str, str, str]]) -> tuple[tuple[Button, ...], ...]:
    """Buttons (label, place, metric) that track the chosen pair, two per row."""
    budget = replies.MAX_CALLBACK_DATA - len(CB_TRACK) - 1
    buttons = [
        Button(label, replies.callback(CB_TRACK, queries.token(f"{place}{_SEP}{metric}", budget)))
        for label, place, metric in pairs[:MAX_CHOICE_BUTTONS]
    ]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))


def _growth(query: TrackQuery) -> bool:
    """True when the tracked figures are rates of change (增长5%), not levels."""
    return any(f.growth for r in query.rows for f in (r.target, r.result) if f is not None)


def track_title(query: TrackQuery, metric_text: str) -> str:
    """Plain-text chart title: place · metric (增速 when rates were asked for)."""
    growth = _growth(query)
    metric = query.metric.name or metric_text
    return f"{query.place.name} · {metric}" + ("（增速）" if growth else "")


def track_reply(query: TrackQuery, place_text: str, metric_text: str, queries: QueryCache) -> Reply:
    """The year-by-year table with sources, or what to choose when the input did not resolve."""
    place = query.place.name
    if place is None:
        lines = [texts.TRACK_UNKNOWN_PLACE.format(place=replies.echo(place_text))]
        if query.place.choices:
            lines.append(texts.TRACK_CHOOSE_PLACE)
        pairs = [(p, p, metric_text) for p in query.place.choices]
        return Reply("\n".join(lines), _choice_buttons(queries, pairs))
    if not query.rows:
        if not query.metrics:
            return Reply(texts.TRACK_NO_METRICS.format(place=esc(place)))
        lines = []
        if metric_text and query.metric.name is None:
            lines.append(texts.TRACK_UNKNOWN_METRIC.format(metric=replies.echo(metric_text)))
        elif metric_text:
            lines.append(texts.TRACK_NO_DATA.format(place=esc(place), metric=esc(query.metric.name)))
        lines.append(texts.TRACK_CHOOSE_METRIC.format(place=esc(place)))
        ordered = list(dict.fromkeys([*(c for c in query.metric.choices if c in query.metrics), *query.metrics]))
        return Reply("\n".join(lines), _choice_buttons(queries, [(m, place, m) for m in ordered]))
    title = texts.TRACK_TITLE_GROWTH if _growth(query) else texts.TRACK_TITLE
    lines = [title.format(place=esc(place), metric=esc(query.metric.name))]
    for row in query.rows:
        lines.append("")
        lines.append(texts.TRACK_YEAR.format(
            year=row.year,
            target=esc(row.target.span) if row.target else texts.TRACK_NONE_VALUE,
            result=esc(row.result.span) if row.result else texts.TRACK_NONE_VALUE,
            status=texts.TRACK_STATUS[row.status],
        ))
        if row.target is not None:
            lines.append(texts.TRACK_TARGET_SOURCE.format(
                sentence=replies.snippet(row.target.sentence, row.target.span, SOURCE_WIDTH),
                source=_source(row.target),
            ))
        if row.result is not None:
            lines.append(texts.TRACK_RESULT_SOURCE.format(
                sentence=replies.snippet(row.result.sentence, row.result.span, SOURCE_WIDTH),
                source=_source(row.result),
            ))
    lines += ["", f"<i>{texts.TRACK_LEGEND}</i>"]
    return Reply("\n".join(lines))


def compare_reply(query: CompareQuery, metric_text: str) -> Reply:
    """The compared figures with their sources, or what is missing."""
    lines: list[str] = []
    if query.metric.name is None:
        lines.append(texts.TRACK_UNKNOWN_METRIC.format(metric=replies.echo(metric_text)))
        if query.metric.choices:
            lines.append("、".join(esc(c) for c in query.metric.choices))
        lines.append(texts.COMPARE_USAGE)
        return Reply("\n".join(lines))
    unknown = [typed for typed, r in query.places if r.name is None]
    if unknown:
        known = {c for _, r in query.places for c in r.choices}
        lines.append(texts.COMPARE_UNKNOWN_PLACES.format(
            places="、".join(replies.echo(u) for u in unknown), known="、".join(esc(k) for k in sorted(known)),
        ))
    if not any(r.fact for r in query.rows):
        if query.rows:
            lines.append(texts.COMPARE_NO_DATA.format(metric=esc(query.metric.name)))
        return Reply("\n".join(lines) or texts.COMPARE_USAGE)
    lines.append(texts.COMPARE_TITLE.format(metric=esc(query.metric.name), year=query.year))
    for row in query.rows:
        if row.fact is None:
            lines.append(texts.COMPARE_ROW_NONE.format(place=esc(row.place)))
            continue
        mark = texts.COMPARE_TARGET_MARK if row.fact.target else ""
        lines.append(texts.COMPARE_ROW.format(place=esc(row.place), value=esc(row.fact.span), mark=mark))
        lines.append(texts.COMPARE_SOURCE.format(
            sentence=replies.snippet(row.fact.sentence, row.fact.span, SOURCE_WIDTH),
            source=_source(row.fact),
        ))
    return Reply("\n".join(lines))


def chart_labels(title: str) -> charts.ChartLabels:
    """The chart words from texts (titles are plain text: matplotlib draws no HTML)."""
    return charts.ChartLabels(
        title=title, target=texts.CHART_TARGET, result=texts.CHART_RESULT,
        source_prefix=texts.CHART_SOURCE, no_value=texts.CHART_NO_VALUE,
    )


# --------------------------------------------------------------------------- handlers


async def _track(message: Message, context: Context, place_text: str, metric_text: str, *, quote: bool) -> None:
    store = context.bot_data.store
    query = await asyncio.to_thread(series.track_query, store.index, place_text, metric_text or None)
    reply = track_reply(query, place_text, metric_text, context.bot_data.queries)
    if query.rows:
        title = track_title(query, metric_text)
        png = await asyncio.to_thread(charts.track_chart, query.rows, chart_labels(title))
        await message.reply_photo(
            InputFile(png, filename="track.png"),
            caption=esc(texts.TRACK_CAPTION.format(place=query.place.name, metric=query.metric.name)),
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
    if text is None or _SEP not in text or not isinstance(query.message, Message):
        await query.answer(texts.EXPIRED)
        return
    await query.answer()
    place, _, metric = text.partition(_SEP)
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
    if place is not None and place.name is None:
        lines = [texts.TRACK_UNKNOWN_PLACE.format(place=replies.echo(place_text or ""))]
        if place.choices:
            lines.append(texts.TRACK_CHOOSE_PLACE + "、".join(esc(c) for c in place.choices))
        lines.append(texts.EXPORT_USAGE_HINT)
        await send(message, Reply("\n".join(lines)))
        return
    if metric is not None and metric.name is None:
        lines = [texts.TRACK_UNKNOWN_METRIC.format(metric=replies.echo(metric_text or ""))]
        if metric.choices:
            lines.append("、".join(esc(c) for c in metric.choices))
        lines.append(texts.EXPORT_USAGE_HINT)
        await send(message, Reply("\n".join(lines)))
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
