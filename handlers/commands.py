"""/start, /help and the reply to unknown commands."""

from __future__ import annotations

from telegram import Update

from handlers.common import addressed_command, send
from handlers.context import Context
from render import replies, texts


async def start(update: Update, context: Context) -> None:
    """Welcome the user and offer example questions as buttons."""
    message = update.effective_message
    if message is None:
        return
    if context.args and context.args[0] == "help":  # deep link from the inline-mode button
        await help_command(update, context)
        return
    user = update.effective_user
    name = replies.esc(user.first_name) if user is not None else ""
    reply = replies.Reply(texts.WELCOME.format(name=name), replies.example_buttons())
    await send(message, reply)


async def help_command(update: Update, context: Context) -> None:
    """Explain the commands, group usage and inline mode."""
    message = update.effective_message
    if message is None:
        return
    await send(message, replies.Reply(texts.HELP.format(bot=replies.esc(context.bot.username))))


async def unknown_command(update: Update, context: Context) -> None:
    """Name the right usage for a command we do not know (groups: only when addressed to us)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    if not addressed_command(message, context.bot.username):
        return  # probably meant for another bot in the group
    command = message.text.split(maxsplit=1)[0].split("@", 1)[0]
    await send(message, replies.Reply(texts.UNKNOWN_COMMAND.format(command=replies.echo(command))))


async def unknown_button(update: Update, context: Context) -> None:
    """A button whose data we no longer understand: stop the spinner with a short note."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.EXPIRED)
