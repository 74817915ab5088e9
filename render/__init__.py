"""Pure rendering of what the bot sends (no I/O, no Telegram): charts so far."""
