"""Inline mode: `@bot 京东方` → answers as InlineQueryResultArticles."""

from __future__ import annotations

import asyncio

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)

from handlers.common import MAX_QUESTION
from handlers.context import Context
from render import replies, texts

CACHE_SECONDS = 60


async def on_inline_query(update: Update, context: Context) -> None:
    """Answer an inline query with up to 50 articles (none, plus a help button, when empty)."""
    query = update.inline_query
    if query is None:
        return
    question = " ".join(query.query.split())[:MAX_QUESTION]
    help_button = InlineQueryResultsButton(text=texts.INLINE_HELP_BUTTON, start_parameter="help")
    if not question:
        await query.answer([], button=help_button, cache_time=CACHE_SECONDS)
        return
    answers = await asyncio.to_thread(context.bot_data.store.ask, question, limit=replies.MAX_INLINE_RESULTS)
    results = [
        InlineQueryResultArticle(
            id=article.id,
            title=article.title,
            description=article.description,
            input_message_content=InputTextMessageContent(article.text),
        )
        for article in replies.inline_articles(answers)
    ]
    await query.answer(results, button=help_button, cache_time=CACHE_SECONDS)
