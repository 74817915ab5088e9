"""Engine and database locations: pre-ping on servers, psycopg URLs, where snapshots live."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from store.db import make_engine
from store.paths import index_dir_for, normalize_url
from tests.dbkit import database_url, on_postgres


def test_postgres_urls_get_psycopg() -> None:
    assert normalize_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalize_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalize_url("sqlite:///data/bot.db") == "sqlite:///data/bot.db"


def test_index_dir_beside_sqlite_else_under_index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INDEX_DIR", raising=False)
    assert index_dir_for(f"sqlite:///{tmp_path}/bot.db") == tmp_path / "bot.db.index"
    assert index_dir_for("sqlite://") is None
    pg = index_dir_for("postgresql+psycopg://bot:secret@db.example:5432/news")
    other = index_dir_for("postgresql+psycopg://bot:other@db.example:5432/news")
    assert pg is not None and pg.parent == Path("data/index") and pg.name.startswith("news-")
    assert pg == other  # the password is not part of the key
    assert index_dir_for("postgresql+psycopg://db.example/other") != pg
    monkeypatch.setenv("INDEX_DIR", str(tmp_path / "idx"))
    moved = index_dir_for(f"sqlite:///{tmp_path}/bot.db")
    assert moved is not None and moved.parent == tmp_path / "idx"
    assert index_dir_for(f"sqlite:///{tmp_path}/bot.db", tmp_path / "x") is not None


@pytest.mark.skipif(not on_postgres(), reason="server connections only (this pass is SQLite)")
def test_a_connection_dropped_by_the_server_is_replaced_before_use(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    engine = make_engine(url)
    with engine.connect() as conn:
        pid = conn.execute(sa.select(sa.func.pg_backend_pid())).scalar()
    killer = make_engine(url)
    with killer.connect() as conn:
        assert conn.execute(sa.select(sa.func.pg_terminate_backend(pid))).scalar()
    killer.dispose()
    with engine.connect() as conn:  # the pooled connection is dead: pre-ping replaces it
        assert conn.execute(sa.select(sa.func.pg_backend_pid())).scalar() != pid
    engine.dispose()
