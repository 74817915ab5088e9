"""Locations of the project's data (seeds, lexicon) and of SQLite database files."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"
LEXICON_DIR = SEEDS_DIR / "lexicon"
DEFAULT_DATABASE_URL = "sqlite:///data/bot.db"


def sqlite_path(url: str) -> Path | None:
    """Return the file path of a file-backed SQLite URL, else None (memory or another engine)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.endswith(":memory:") or url == prefix:
        return None
    return Path(url[len(prefix) :])


def normalize_url(url: str) -> str:
    """Use psycopg (v3) for PostgreSQL URLs that name no driver (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
