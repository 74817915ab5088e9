"""Browsing commands: /targets, /projects, /search, /sources, /source N, and their page buttons."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from telegram import Update

from handlers.common import MAX_KEYWORD, edit, page_callback, send
from handlers.context import Context
from render import replies, texts
from store.normalize import normalize_question


def _argument(context: Context) -> str:
    """The command's argument text, whitespace collapsed."""
    return " ".join(context.args or [])


def targets_page(context: Context, region: str, page: int) -> replies.Reply:
    """Render a page of targets for `region` ('' = every region)."""
    store = context.bot_data.store
    groups = store.targets(region or None)
    if not groups:
        return replies.targets_none_reply(region, list(store.targets(None)) if region else [])
    token = context.bot_data.queries.token(region)
    return replies.targets_reply(groups, page, token, region or None)


def projects_page(context: Context, keyword: str, page: int) -> replies.Reply:
    """Render a page of project investments matching `keyword` ('' = all)."""
    hits = context.bot_data.store.projects(keyword or None)
    if not hits:
        return replies.projects_none_reply(keyword)
    token = context.bot_data.queries.token(keyword)
    return replies.projects_reply(hits, page, token, keyword or None)


def search_page(context: Context, keyword: str, page: int) -> replies.Reply:
    """Render a page of sentences containing `keyword`."""
    hits = context.bot_data.store.search(keyword)
    if not hits:
        return replies.Reply(texts.SEARCH_NONE.format(keyword=replies.echo(keyword)))
    # Highlight what was found: the simplified keyword and any alias it matched (BOE → 京东方).
    terms = list(dict.fromkeys([normalize_question(keyword), *(h.matched for h in hits if h.matched)]))
    token = context.bot_data.queries.token(keyword)
    return replies.search_reply(hits, page, token, keyword, terms)


async def _first_page(
    update: Update, context: Context, page: Callable[[Context, str, int], replies.Reply]
) -> None:
    """Reply with page 0 of a list whose optional argument is a keyword (or a usage hint)."""
    message = update.effective_message
    if message is None:
        return
    keyword = _argument(context)
    if len(keyword) > MAX_KEYWORD:
        await send(message, replies.Reply(texts.KEYWORD_TOO_LONG.format(limit=MAX_KEYWORD)))
        return
    await send(message, await asyncio.to_thread(page, context, keyword, 0))


async def targets(update: Update, context: Context) -> None:
    """/targets [地区] — goals and plans grouped by region."""
    await _first_page(update, context, targets_page)


async def projects(update: Update, context: Context) -> None:
    """/projects [关键词] — project investments, largest first."""
    await _first_page(update, context, projects_page)


async def search(update: Update, context: Context) -> None:
    """/search 关键词 — matching sentences with the keyword highlighted."""
    message = update.effective_message
    if message is None:
        return
    keyword = _argument(context)
    if not keyword:
        await send(message, replies.Reply(texts.SEARCH_USAGE))
        return
    if len(keyword) > MAX_KEYWORD:
        await send(message, replies.Reply(texts.KEYWORD_TOO_LONG.format(limit=MAX_KEYWORD)))
        return
    await send(message, await asyncio.to_thread(search_page, context, keyword, 0))


async def sources(update: Update, context: Context) -> None:
    """/sources — the ingested documents."""
    message = update.effective_message
    if message is None:
        return
    documents = await asyncio.to_thread(context.bot_data.store.documents)
    await send(message, replies.sources_reply(documents))


async def source(update: Update, context: Context) -> None:
    """/source N — one document's summary and key figures."""
    message = update.effective_message
    if message is None:
        return
    args = context.args or []
    if len(args) != 1 or not args[0].isdecimal():
        await send(message, replies.Reply(texts.SOURCE_USAGE))
        return
    store = context.bot_data.store
    doc = store.document(int(args[0]))
    if doc is None:
        await send(message, replies.source_not_found(args[0], store.documents()))
        return
    facts = await asyncio.to_thread(store.key_facts, doc.id)
    await send(message, replies.source_reply(doc, facts))


_PAGES = {
    replies.CB_TARGETS: targets_page,
    replies.CB_PROJECTS: projects_page,
    replies.CB_SEARCH: search_page,
}


async def on_page(update: Update, context: Context) -> None:
    """◀/▶ on a list: edit the message to the requested page (search buttons send a new one)."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    parsed = await page_callback(query)
    if parsed is None:
        return
    prefix, page, token = parsed
    if prefix == replies.CB_SOURCES:
        await query.answer()
        documents = await asyncio.to_thread(context.bot_data.store.documents)
        await edit(query, replies.sources_reply(documents, page))
        return
    argument = context.bot_data.queries.resolve(token)
    build = _PAGES.get(prefix)
    if argument is None or build is None:
        await query.answer(texts.EXPIRED)
        return
    await query.answer()
    await edit(query, await asyncio.to_thread(build, context, argument, page))
