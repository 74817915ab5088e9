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


def index_dir_for(url: str, configured: str | Path | None = None) -> Path | None:
    """Folder of the index snapshot of a database (None for in-memory SQLite).

    With `configured` (or else the INDEX_DIR environment variable): a subfolder of it per database. Without: beside a SQLite
    file (`bot.db.index`), else under data/index/. The subfolder is named after the database
    and a hash of its URL (password left out); what the snapshot holds is checked against the
    database's documents at every load, so a stale one is brought up to date, never trusted.
    """
    import hashlib
    import os

    if configured is None:
        configured = os.environ.get("INDEX_DIR") or None
    url = normalize_url(url)
    file = sqlite_path(url)
    if url.startswith("sqlite") and file is None:
        return None
    if file is not None and configured is None:
        return file.with_name(file.name + ".index")
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    identity = "|".join(str(v) for v in (parsed.get_backend_name(), parsed.username, parsed.host,
                                         parsed.port, parsed.database))
    key = hashlib.sha256(identity.encode()).hexdigest()[:12]
    name = Path(parsed.database or "db").name
    return Path(configured if configured is not None else "data/index") / f"{name}-{key}"
