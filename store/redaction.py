"""Secret redaction: every spelling of a registered secret (the bot token) is replaced in text.

A token leaks in more forms than its own: Telegram's error descriptions echo request paths
lower-cased or capitalised, file URLs carry it percent-encoded (`%3A`), and a URL inside a
URL doubles that (`%253A`). `protect` registers a secret once at start-up; `redact` is applied
to every text the bot writes (log records, database error columns, replies).
"""

from __future__ import annotations

import re
import threading

PLACEHOLDER = "<TOKEN>"
HTML_PLACEHOLDER = "&lt;TOKEN&gt;"
# A token's secret half alone is still a credential; shorter fragments are not redacted,
# since they would also match ordinary words.
MIN_SECRET_PART = 8

_lock = threading.Lock()
_patterns: dict[str, re.Pattern[str]] = {}
# Longest secret first: the whole token is replaced before its secret half is looked for.
_ordered: tuple[re.Pattern[str], ...] = ()


def _char(ch: str) -> str:
    """A regex matching one character as itself (any case) or percent-encoded (once or twice)."""
    encoded = "".join(f"%(?:25)?{b:02x}" for b in ch.encode())
    return f"(?:{re.escape(ch)}|{encoded})"


def secret_pattern(secret: str) -> re.Pattern[str]:
    """Return the case-insensitive pattern of `secret` in any case and percent-encoding."""
    return re.compile("".join(_char(ch) for ch in secret), re.IGNORECASE)


def protect(secret: str | None) -> None:
    """Register a secret (and, for a bot token `id:secret`, its secret half) for `redact`."""
    if not secret:
        return
    parts = [secret]
    _, sep, tail = secret.partition(":")
    if sep and len(tail) >= MIN_SECRET_PART:
        parts.append(tail)
    global _ordered
    with _lock:
        for part in parts:
            if part not in _patterns:
                _patterns[part] = secret_pattern(part)
        _ordered = tuple(_patterns[k] for k in sorted(_patterns, key=len, reverse=True))


def redact(text: str, placeholder: str = PLACEHOLDER) -> str:
    """Return `text` with every registered secret, in any case or encoding, replaced."""
    for pattern in _ordered:
        if text:
            text = pattern.sub(placeholder, text)
    return text


def redact_html(text: str) -> str:
    """`redact` for Telegram HTML (the placeholder escaped)."""
    return redact(text, HTML_PLACEHOLDER)
