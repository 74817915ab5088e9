"""Cheap lookups of DATABASE_URL and the token (python-dotenv only): the CLI's cold path."""

from __future__ import annotations

import os
from pathlib import Path

from store.paths import DEFAULT_DATABASE_URL

ENV_FILE = ".env"
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def dotenv_value(key: str, env_file: str | Path = ENV_FILE) -> str | None:
    """Read one key from a .env file, or None when the file or the key is missing."""
    from dotenv import dotenv_values

    path = Path(env_file)
    if not path.is_file():
        return None
    try:
        return dotenv_values(path).get(key)
    except (OSError, UnicodeDecodeError):
        return None


def env_value(key: str) -> str | None:
    """Return a non-empty value from the environment, else from .env, else None."""
    value = os.environ.get(key) or dotenv_value(key)
    return value or None


def database_url_from_env() -> str:
    """Return DATABASE_URL from the environment or .env (default sqlite:///data/bot.db)."""
    return env_value("DATABASE_URL") or DEFAULT_DATABASE_URL


def log_level_from_env(default: str = "WARNING") -> str:
    """LOG_LEVEL from the environment or .env, upper-cased; ValueError (one line) when unknown."""
    value = env_value("LOG_LEVEL") or default
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"配置错误 LOG_LEVEL: {value!r} is not one of {', '.join(LOG_LEVELS)}")
    return level


def index_dir_from_env() -> str | None:
    """Return INDEX_DIR (where index snapshots live) from the environment or .env, or None."""
    return env_value("INDEX_DIR")


def token_configured() -> bool:
    """Return True when TELEGRAM_BOT_TOKEN is set in the environment or .env."""
    return env_value("TELEGRAM_BOT_TOKEN") is not None
