"""Pure rendering of every message the bot sends (no I/O, no Telegram, no database): HTML and charts."""
