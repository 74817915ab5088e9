"""Telegram-facing handlers, pure HTML rendering and user-facing texts."""
