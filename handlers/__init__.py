"""Telegram-facing handlers, pure HTML rendering and user-facing texts; `register(app)` wires them."""

from __future__ import annotations

from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from handlers import admin, ask, browse, commands, feeds, inline, push, track
from handlers.context import App
from render import replies, texts
from render.admin import CB_REPLACE

# Only new messages; edits go to ask.on_edited, which edits the earlier answer.
NEW = filters.UpdateType.MESSAGE


def register(app: App) -> None:
    """Add every handler, in order: the first matching handler in group 0 wins."""
    group_commands = {command for command, _ in texts.MENU_GROUP}
    for command, description in texts.MENU_PRIVATE:
        app.bot_data.add_menu(command, description, group=command in group_commands)

    # 1. Commands.
    app.add_handler(CommandHandler("start", commands.start, filters=NEW))
    app.add_handler(CommandHandler("help", commands.help_command, filters=NEW))
    app.add_handler(CommandHandler("ask", ask.ask_command, filters=NEW))
    app.add_handler(CommandHandler("targets", browse.targets, filters=NEW))
    app.add_handler(CommandHandler("projects", browse.projects, filters=NEW))
    app.add_handler(CommandHandler("search", browse.search, filters=NEW))
    app.add_handler(CommandHandler("sources", browse.sources, filters=NEW))
    app.add_handler(CommandHandler("source", browse.source, filters=NEW))

    # 2. Other features register here, before the catch-alls below (e.g. push.register(app)).
    push.register(app)
    feeds.register(app)
    track.register(app)

    # 3. Catch-alls: unknown commands, then questions, uploads and everything else.
    app.add_handler(MessageHandler(NEW & filters.COMMAND, commands.unknown_command))
    feeds.register_links(app)  # an admin's link in a private chat is fetched, not asked
    app.add_handler(MessageHandler(NEW & filters.TEXT & ~filters.COMMAND, ask.on_text))
    app.add_handler(
        MessageHandler(NEW & filters.ChatType.PRIVATE & filters.Document.ALL, admin.on_document)
    )
    app.add_handler(
        MessageHandler(
            NEW & filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
            ask.on_not_text,
        )
    )

    # An edited question is answered again, by editing our answer.
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT, ask.on_edited))

    # 4. Buttons and inline mode.
    app.add_handler(CallbackQueryHandler(ask.on_answer_page, pattern=rf"^{replies.CB_ANSWER}:"))
    app.add_handler(CallbackQueryHandler(ask.on_paragraph, pattern=rf"^{replies.CB_PARAGRAPH}:"))
    app.add_handler(CallbackQueryHandler(ask.on_example, pattern=rf"^{replies.CB_EXAMPLE}:"))
    app.add_handler(
        CallbackQueryHandler(
            browse.on_page,
            pattern=rf"^({replies.CB_TARGETS}|{replies.CB_PROJECTS}|{replies.CB_SEARCH}|{replies.CB_SOURCES}):",
        )
    )
    app.add_handler(CallbackQueryHandler(admin.on_replace, pattern=rf"^{CB_REPLACE}:"))
    app.add_handler(CallbackQueryHandler(commands.unknown_button))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
