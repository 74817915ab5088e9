"""Digest subscriptions and announcements: /subscribe /unsubscribe /settings /timezone /digest /announce."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from telegram import (
    Chat,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers import browse
from handlers.common import markup
from handlers.context import App, Context
from render import texts
from render.digest import text_announcement_html
from render.html import MAX_MESSAGE as MESSAGE_LIMIT
from render.html import esc, utf16_len, visible_text
from render.replies import Reply
from render.settings import (
    CB_SETTINGS,
    announce_summary,
    settings_buttons,
    settings_text,
    subscribed_text,
    timezone_set_text,
)
from store import subscriptions as subs
from store.chats import ChatRef, Defaults, Settings
from store.normalize import normalize_question
from store.redaction import redact_html
from store.views import IngestReport

if TYPE_CHECKING:
    from delivery.engine import Push

log = logging.getLogger(__name__)

MAX_TOPICS = 10
MAX_TOPIC_LENGTH = 20
# Commands also work as channel posts: only a channel's admins can post there.
COMMANDS = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
_TIME_LIKE = re.compile(r"^[0-9０-９]{1,2}[:：][0-9０-９]*$")
_ANNOUNCE_RE = re.compile(r"^/announce(?:@\w+)?\s+(.+)$", re.DOTALL)
_MANAGERS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


# --- pure parsing and rendering -----------------------------------------------------------------


def parse_subscribe(args: Sequence[str]) -> tuple[tuple[int, int] | None, list[str]] | str:
    """Split /subscribe arguments into an optional (hour, minute) and topics; a str is an error."""
    when: tuple[int, int] | None = None
    topics: list[str] = []
    for arg in args:
        if when is None and _TIME_LIKE.match(arg.strip()):
            when = subs.parse_hhmm(arg)
            if when is None:
                return texts.PUSH_BAD_TIME.format(value=esc(arg[:10]))
            continue
        topic = normalize_question(arg).strip("，,、;；")
        if topic:
            topics.append(topic)
    topics = list(dict.fromkeys(topics))
    if len(topics) > MAX_TOPICS or any(len(t) > MAX_TOPIC_LENGTH for t in topics):
        return texts.PUSH_TOO_MANY_TOPICS.format(limit=MAX_TOPICS, length=MAX_TOPIC_LENGTH)
    return when, topics


# --- plumbing -----------------------------------------------------------------------------------


def _push(context: Context) -> Push | None:
    return context.bot_data.push


def _now(push: Push) -> datetime:
    return push.clock()


def _default_time(push: Push) -> str:
    return f"{push.config.default_hour:02d}:{push.config.default_minute:02d}"


def _defaults(push: Push) -> Defaults:
    config = push.config
    return Defaults(config.default_hour, config.default_minute, config.default_timezone)


def _chat_ref(chat: Chat, message: Message | None) -> ChatRef:
    return ChatRef(chat.id, chat.type, _chat_title(chat), _thread(message))


def _thread(message: Message | None) -> int | None:
    """The forum topic a message was sent in (None outside topics and in General)."""
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


def _chat_title(chat: Chat) -> str:
    return chat.title or chat.username or chat.first_name or ""


def _keyboard(sub: subs.Subscription | None) -> InlineKeyboardMarkup | None:
    return markup(Reply("", settings_buttons(sub)))


async def _reply(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    return await message.reply_text(
        redact_html(text), reply_markup=markup, link_preview_options=LinkPreviewOptions(is_disabled=True),
        do_quote=message.chat.type != ChatType.PRIVATE,
    )


async def may_manage(update: Update, context: Context) -> bool:
    """True when the sender may change this chat's subscription (group admins, private user)."""
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
        return True  # a channel post comes from one of the channel's admins
    message = update.effective_message
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True  # an anonymous group admin posts as the group itself
    user = update.effective_user
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("getChatMember %s/%s failed: %s", chat.id, user.id, exc)
        return False
    return member.status in _MANAGERS


# --- commands -----------------------------------------------------------------------------------


async def subscribe(update: Update, context: Context) -> None:
    """/subscribe [HH:MM] [关键词…] — daily digest at that time, optionally on topics."""
    message, chat, push = update.effective_message, update.effective_chat, _push(context)
    if message is None or chat is None or push is None:
        return
    parsed = parse_subscribe(context.args or [])
    if isinstance(parsed, str):
        await _reply(message, parsed)
        return
    if not await may_manage(update, context):
        await _reply(message, texts.PUSH_ADMINS_ONLY)
        return
    when, topics = parsed
    user = update.effective_user
    sub, next_at = await asyncio.to_thread(
        context.bot_data.chats.subscribe, _chat_ref(chat, message), now=_now(push),
        defaults=_defaults(push), when=when, topics=topics, by=user.id if user else None,
    )
    log.info("chat %s subscribed at %s %s topics=%s", chat.id, sub.time_text, sub.timezone, sub.topics)
    await _reply(message, subscribed_text(sub, next_at))


async def unsubscribe(update: Update, context: Context) -> None:
    """/unsubscribe — stop the daily digest (settings are kept)."""
    message, chat, push = update.effective_message, update.effective_chat, _push(context)
    if message is None or chat is None or push is None:
        return
    if not await may_manage(update, context):
        await _reply(message, texts.PUSH_ADMINS_ONLY)
        return
    was_active = await asyncio.to_thread(context.bot_data.chats.deactivate, chat.id, reason="unsubscribed")
    await _reply(message, texts.PUSH_UNSUBSCRIBED if was_active else texts.PUSH_NOT_SUBSCRIBED)


async def _load(context: Context, push: Push, chat_id: int) -> Settings:
    """Return a chat's subscription and, when active, its next delivery time."""
    return await asyncio.to_thread(context.bot_data.chats.settings, chat_id, now=_now(push))


async def show_settings(update: Update, context: Context) -> None:
    """/settings — current time, zone and topics, with buttons to change them."""
    message, chat, push = update.effective_message, update.effective_chat, _push(context)
    if message is None or chat is None or push is None:
        return
    sub, next_at = await _load(context, push, chat.id)
    text = settings_text(
        sub, next_at=next_at, default_time=_default_time(push), default_zone=push.config.default_timezone
    )
    await _reply(message, text, _keyboard(sub))


async def set_timezone(update: Update, context: Context) -> None:
    """/timezone Area/City — the zone the delivery time is read in."""
    message, chat, push = update.effective_message, update.effective_chat, _push(context)
    if message is None or chat is None or push is None:
        return
    sub, _ = await _load(context, push, chat.id)
    args = context.args or []
    if len(args) != 1:
        current = sub.timezone if sub else push.config.default_timezone
        await _reply(message, texts.PUSH_TIMEZONE_USAGE.format(zone=esc(current)))
        return
    tz = subs.zone(args[0])
    if tz is None:
        await _reply(message, texts.PUSH_TIMEZONE_UNKNOWN.format(value=esc(args[0][:40])))
        return
    if sub is None:
        await _reply(message, texts.PUSH_NOT_SUBSCRIBED)
        return
    if not await may_manage(update, context):
        await _reply(message, texts.PUSH_ADMINS_ONLY)
        return
    updated, next_at = await asyncio.to_thread(
        context.bot_data.chats.set_timezone, chat.id, tz.key, now=_now(push)
    )
    if updated is None:  # removed meanwhile
        await _reply(message, texts.PUSH_NOT_SUBSCRIBED)
        return
    await _reply(message, timezone_set_text(tz.key, next_at))


async def preview_digest(update: Update, context: Context) -> None:
    """/digest — today's digest now, as a preview (not counted, rotation untouched)."""
    message, chat, push = update.effective_message, update.effective_chat, _push(context)
    if message is None or chat is None or push is None:
        return
    await _send_preview(message, chat.id, push)


async def _send_preview(message: Message, chat_id: int, push: Push) -> None:
    note = texts.PUSH_PREVIEW_NOTE + "\n\n"
    digest = await asyncio.to_thread(push.preview, chat_id, limit=MESSAGE_LIMIT - utf16_len(note))
    await _reply(message, note + digest.html)


async def announce(update: Update, context: Context) -> None:
    """/announce 文本 — an admin posts a free text to every announce chat."""
    message, push = update.effective_message, _push(context)
    if message is None or push is None:
        return
    user = update.effective_user
    if not context.bot_data.is_admin(user.id if user else None):
        await _reply(message, texts.PUSH_ANNOUNCE_ADMINS_ONLY)
        return
    match = _ANNOUNCE_RE.match(message.text or "")
    text = match.group(1).strip() if match else ""
    if not text:
        await _reply(message, texts.PUSH_ANNOUNCE_USAGE)
        return
    if not push.config.announce_chat_ids:
        await _reply(message, texts.PUSH_ANNOUNCE_NO_CHATS)
        return
    # Telegram counts the shown text (entities parsed) in UTF-16 code units, and so does the note.
    length = utf16_len(text)
    limit = MESSAGE_LIMIT - utf16_len(visible_text(text_announcement_html("")))
    if length > limit:
        await _reply(message, texts.PUSH_ANNOUNCE_TOO_LONG.format(length=length, limit=limit))
        return
    # Keyed by the command message: a re-delivered update does not post twice.
    report = await push.announce_text(text, key=f"{message.chat_id}:{message.message_id}")
    await _reply(message, _announce_summary(report.outcomes, len(push.config.announce_chat_ids)))


def _announce_summary(outcomes: Mapping[str, int], total: int) -> str:
    sent = int(outcomes.get(subs.SENT, 0))
    failed = sum(int(n) for k, n in outcomes.items() if k != subs.SENT and k != "skipped")
    return announce_summary(sent=sent, failed=failed, total=total)


async def announce_upload(message: Message, context: Context, report: IngestReport) -> None:
    """After an admin's upload stored a new document, announce it (hook for handlers/admin.py)."""
    push = _push(context)
    if push is None or report.status not in ("added", "replaced") or report.document_id is None:
        return
    if not push.config.announce_chat_ids:
        return
    result = await push.announce_documents([report.document_id])
    await _reply(message, _announce_summary(result.outcomes, len(push.config.announce_chat_ids)))


async def start_document(update: Update, context: Context) -> None:
    """/start doc_N — the deep link of an announcement's button: show that document."""
    payload = (context.args or [""])[0]
    context.args = [payload.removeprefix("doc_")]
    await browse.source(update, context)
    raise ApplicationHandlerStop


# --- settings buttons ---------------------------------------------------------------------------


async def on_settings_button(update: Update, context: Context) -> None:
    """Apply a settings button (time, zone, topics, on/off, preview) and redraw the settings."""
    query, chat, push = update.callback_query, update.effective_chat, _push(context)
    if query is None or query.data is None or chat is None or push is None:
        return
    _, _, action = query.data.partition(":")
    kind, _, value = action.partition(":")
    message = query.message if isinstance(query.message, Message) else None
    if kind == "p":
        await query.answer()
        if message is not None:
            await _send_preview(message, chat.id, push)
        return
    if not await may_manage(update, context):
        await query.answer(texts.PUSH_ADMINS_ONLY_SHORT, show_alert=True)
        return
    user_id = query.from_user.id if query.from_user else None
    hour = minute = None
    zone_name: str | None = None
    topics: list[str] | None = None
    if kind == "t" and len(value) == 4 and subs.parse_hhmm(f"{value[:2]}:{value[2:]}"):
        hour, minute = int(value[:2]), int(value[2:])
    elif kind == "z" and subs.zone(value) is not None:
        zone_name = value
    elif kind == "c":
        topics = []
    elif kind not in ("s", "u"):
        await query.answer(texts.EXPIRED)
        return

    chats, now = context.bot_data.chats, _now(push)
    if kind == "u":
        await asyncio.to_thread(chats.deactivate, chat.id, reason="unsubscribed")
        sub, next_at = await asyncio.to_thread(chats.settings, chat.id, now=now)
    else:
        sub, next_at = await asyncio.to_thread(
            chats.change, _chat_ref(chat, message), now=now, defaults=_defaults(push), by=user_id,
            activate=kind == "s", hour=hour, minute=minute, timezone=zone_name, topics=topics,
        )
    await query.answer(texts.PUSH_CHANGED)
    text = settings_text(
        sub, next_at=next_at, default_time=_default_time(push), default_zone=push.config.default_timezone
    )
    try:
        await query.edit_message_text(
            redact_html(text), reply_markup=_keyboard(sub),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    except BadRequest as exc:
        # The press is already answered: a message we may no longer edit gets a fresh one.
        if "not modified" not in str(exc).lower():
            log.info("could not edit the settings message (%s); sending it anew", exc)
            if message is not None:
                await _reply(message, text, _keyboard(sub))


async def on_migrate(update: Update, context: Context) -> None:
    """A group became a supergroup (migrate_to/from_chat_id): move its subscription at once."""
    message, push = update.effective_message, _push(context)
    if message is None or push is None:
        return
    if message.migrate_to_chat_id is not None:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    moved = await asyncio.to_thread(context.bot_data.chats.migrate, old, new)
    if not moved:
        return  # nothing subscribed, or the other service message already moved it
    log.info("chat %s migrated to %s: subscription moved", old, new)


async def on_my_chat_member(update: Update, context: Context) -> None:
    """The bot was removed from a chat (left, kicked, blocked): switch its subscription off."""
    change, push = update.my_chat_member, _push(context)
    if change is None or push is None:
        return
    status = change.new_chat_member.status
    if status not in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        return
    chat_id = change.chat.id
    reason = f"bot removed from the chat ({status})"
    if await asyncio.to_thread(context.bot_data.chats.deactivate, chat_id, reason=reason):
        log.info("chat %s deactivated: %s", chat_id, reason)


def register(app: App) -> None:
    """Add the push commands, the settings buttons, the deep link and the upload hook."""
    for command, description, in_groups in texts.PUSH_MENU:
        app.bot_data.add_menu(command, description, group=in_groups)
    # Group -1: runs before the general /start, which must not also answer the deep link.
    app.add_handler(
        CommandHandler(
            "start", start_document,
            filters=filters.UpdateType.MESSAGE & filters.Regex(r"^/start doc_\d+$"),
        ),
        group=-1,
    )
    app.add_handler(CommandHandler("subscribe", subscribe, filters=COMMANDS))
    app.add_handler(CommandHandler("unsubscribe", unsubscribe, filters=COMMANDS))
    app.add_handler(CommandHandler("settings", show_settings, filters=COMMANDS))
    app.add_handler(CommandHandler("timezone", set_timezone, filters=COMMANDS))
    app.add_handler(CommandHandler("digest", preview_digest, filters=COMMANDS))
    app.add_handler(CommandHandler("announce", announce, filters=filters.UpdateType.MESSAGE))
    app.add_handler(CallbackQueryHandler(on_settings_button, pattern=rf"^{CB_SETTINGS}:"))
    # Membership changes, in their own group so no other handler can take them first.
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate), group=-2)
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER), group=-2)
    app.bot_data.on_ingested.append(announce_upload)

