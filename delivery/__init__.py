"""Telegram out: the digest fan-out engine, announcements, error classification and one retry policy."""
