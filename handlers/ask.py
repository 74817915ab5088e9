"""Questions: free text in private chats, /ask, mentions and replies in groups; answer paging."""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, Update
from telegram.error import BadRequest, Forbidden

from handlers.common import (
    MAX_QUESTION,
    addressed_command,
    addressed_text,
    edit,
    is_private,
    markup,
    page_callback,
    patiently,
    send,
    send_after_press,
)
from handlers.context import Context
from render import replies, texts
from store.redaction import redact_html

log = logging.getLogger(__name__)

MAX_ANSWERS = 10  # answers reachable through 「更多答案」
ALERT_LIMIT = 200  # characters Telegram shows in a callback alert


def answer_for(context: Context, question: str, page: int = 0) -> replies.Reply:
    """Ask the store and render an answer page, or a helpful no-answer reply."""
    data = context.bot_data
    answers = data.store.ask(question, limit=MAX_ANSWERS)
    if answers:
        return replies.answer_reply(answers, page, data.queries.token(question))
    return replies.no_answer_reply(
        question, data.store.suggestions(question), data.queries.token, missing=data.store.missing(question)
    )


async def reply_to_question(message: Message, context: Context, question: str) -> None:
    """Parse checks (empty, too long), then answer into the message's chat."""
    question = " ".join(question.split())
    if not question:
        hint = texts.ASK_USAGE if is_private(message) else texts.GROUP_ASK_HINT
        await send(message, replies.Reply(hint.format(bot=replies.esc(context.bot.username))))
        return
    if len(question) > MAX_QUESTION:
        await send(message, replies.question_too_long(len(question), MAX_QUESTION))
        return
    log.info("question in chat %s: %s", message.chat_id, question)
    reply = await asyncio.to_thread(answer_for, context, question)
    previous = context.bot_data.answers.get((message.chat_id, message.message_id))
    if previous is not None:  # an edited question: correct our answer in place
        try:
            await patiently(
                lambda: context.bot.edit_message_text(
                    redact_html(reply.single()), chat_id=message.chat_id, message_id=previous,
                    reply_markup=markup(reply),
                )
            )
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("could not edit answer %s (%s); answering anew", previous, exc)
    sent = await send(message, reply)
    if sent:
        context.bot_data.remember_answer(message.chat_id, message.message_id, sent[0].message_id)


async def on_text(update: Update, context: Context) -> None:
    """Free text: always a question in private chats; in groups only when addressed to us."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    if message.via_bot is not None and message.via_bot.id == context.bot.id:
        return  # one of our own inline answers, posted by the user: not a question
    text = addressed_text(message, context.bot.username, context.bot.id)
    if text is None:
        return
    await reply_to_question(message, context, text)


async def on_edited(update: Update, context: Context) -> None:
    """An edited question (typo fixed): answer it again by editing our earlier answer.

    Only questions this process answered (their answer is remembered); in groups only an edit
    that still addresses the bot (/ask, a mention, a reply to us) counts.
    """
    message = update.edited_message
    if message is None or message.text is None:
        return
    if (message.chat_id, message.message_id) not in context.bot_data.answers:
        return  # not answered by this process (or long ago): a new reply could duplicate one
    text = message.text
    command, _, rest = text.partition(" ")
    if command.split("@")[0] == "/ask" and addressed_command(message, context.bot.username):
        question: str | None = rest
    elif text.startswith("/"):
        return  # other commands are not re-run on edits
    else:
        question = addressed_text(message, context.bot.username, context.bot.id)
    if question is None:
        return
    await reply_to_question(message, context, question)


async def ask_command(update: Update, context: Context) -> None:
    """/ask 问题 — the explicit way to ask, in groups and private chats."""
    message = update.effective_message
    if message is None:
        return
    question = " ".join(context.args or [])
    if not question:
        await send(message, replies.Reply(texts.ASK_USAGE))
        return
    await reply_to_question(message, context, question)


async def on_not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice…: a polite pointer in private chats (groups stay silent)."""
    message = update.effective_message
    if message is None or not is_private(message):
        return
    await send(message, replies.Reply(texts.NOT_TEXT))


async def on_answer_page(update: Update, context: Context) -> None:
    """「更多答案 ▶」/「◀ 上一条」: edit the message to show another answer."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    parsed = await page_callback(query)
    if parsed is None:
        return
    _, page, token = parsed
    question = context.bot_data.queries.resolve(token)
    if not question:
        await query.answer(texts.EXPIRED)
        return
    await query.answer()
    await edit(query, await asyncio.to_thread(answer_for, context, question, page))


async def on_paragraph(update: Update, context: Context) -> None:
    """「原文段落」: send the whole paragraph the answer sentence comes from."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    parts = query.data.split(":")
    if len(parts) < 2 or not parts[1].isdecimal():
        await query.answer(texts.EXPIRED)
        return
    store = context.bot_data.store
    paragraph = await asyncio.to_thread(store.paragraph, int(parts[1]))
    if not paragraph:
        await query.answer(texts.PARAGRAPH_MISSING)
        return
    doc = store.document(int(parts[2])) if len(parts) > 2 and parts[2].isdecimal() else None
    reply = replies.paragraph_reply(paragraph, doc)
    if query.message is None:
        # A button on an inline-mode message: no chat of ours to write into. Send the paragraph
        # privately; a user who never started the bot gets it as an alert instead.
        try:
            for part in reply.messages():
                await context.bot.send_message(query.from_user.id, redact_html(part))
        except (Forbidden, BadRequest) as exc:
            log.info("paragraph for an inline message not sent privately: %s", exc)
            await query.answer(replies.shorten(paragraph, ALERT_LIMIT), show_alert=True)
            return
        await query.answer(texts.PARAGRAPH_SENT_PRIVATELY)
        return
    await query.answer()
    await send_after_press(update, context, reply)


async def on_example(update: Update, context: Context) -> None:
    """An example-question button: ask it as if the user had typed it."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    _, _, number = query.data.partition(":")
    examples = texts.EXAMPLE_QUESTIONS
    if not number.isdecimal() or int(number) >= len(examples):
        await query.answer(texts.EXPIRED)
        return
    await query.answer()
    reply = await asyncio.to_thread(answer_for, context, examples[int(number)])
    await send_after_press(update, context, reply)
