"""Schema migrations: an old (76270fd) database upgrades in place; racing starts are safe."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from store import migrations
from store.db import make_engine
from store.service import FactStore
from tests.dbkit import database_url

ROOT = Path(__file__).resolve().parents[2]
OLD_SCHEMA = Path(__file__).parent / "data" / "schema_76270fd.sql"
WHEN = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def _old_schema_ddl(dialect: str) -> list[str]:
    """The 76270fd create_all DDL (SQLite's, with PostgreSQL's own names for its types)."""
    text = "\n".join(ln for ln in OLD_SCHEMA.read_text("utf-8").splitlines() if not ln.startswith("--"))
    if dialect == "postgresql":
        text = text.replace("\tid INTEGER NOT NULL", "\tid SERIAL NOT NULL")
        text = text.replace("DATETIME", "TIMESTAMP WITH TIME ZONE")
    return [s.strip() for s in text.split(";") if s.strip()]


def _old_database(tmp_path: Path) -> str:
    """A database as 76270fd's main left it: its tables, no migration history, rows in each."""
    url = database_url(tmp_path, "old")
    engine = make_engine(url)
    t = {name: sa.table(name, *(sa.column(c) for c in cols)) for name, cols in {
        "document": ("id", "name", "path", "content_hash", "title", "regions", "authors", "year",
                     "date", "date_source", "char_count", "sentence_count", "fact_count",
                     "ingested_at"),
        "sentence": ("id", "document_id", "paragraph_no", "position", "kind", "text", "tokens"),
        "fact": ("id", "document_id", "sentence_id", "kind", "span", "start", "end", "value",
                 "unit", "qualifier", "target", "period", "subject", "metric", "label", "date"),
        "subscription": ("id", "chat_id", "chat_type", "title", "active", "hour", "minute",
                         "timezone", "topics", "created_at", "schedule_changed_at", "changed_by"),
        "delivery": ("id", "chat_id", "local_date", "slot_at", "status", "attempts", "late",
                     "claimed_at", "updated_at", "sent_at", "message_id"),
        "sentitem": ("id", "chat_id", "fact_id", "sent_at"),
        "announcement": ("id", "key", "chat_id", "document_id", "text", "status", "attempts",
                         "created_at", "updated_at", "message_id"),
    }.items()}
    with engine.begin() as conn:
        for statement in _old_schema_ddl(conn.dialect.name):
            conn.exec_driver_sql(statement)
        conn.execute(t["document"].insert(), [
            {"id": 1, "name": "a.txt", "path": "/x/a.txt", "content_hash": "h1", "title": "甲",
             "regions": json.dumps(["青岛西海岸新区"]), "authors": "[]", "year": 2023,
             "date": "2023-02-01", "date_source": "text", "char_count": 40, "sentence_count": 2,
             "fact_count": 2, "ingested_at": WHEN},
            {"id": 2, "name": "b.txt", "path": "", "content_hash": "h2", "title": "乙",
             "regions": "[]", "authors": "[]", "year": None, "date": None, "date_source": None,
             "char_count": 10, "sentence_count": 1, "fact_count": 0, "ingested_at": WHEN},
        ])
        conn.execute(t["sentence"].insert(), [
            {"id": 1, "document_id": 1, "paragraph_no": 0, "position": 0, "kind": "body",
             "text": "全年完成投资100亿元。", "tokens": "全年 完成 投资 100亿元"},
            {"id": 2, "document_id": 1, "paragraph_no": 0, "position": 1, "kind": "body",
             "text": "增长8%。", "tokens": "增长 8%"},
            {"id": 3, "document_id": 2, "paragraph_no": 0, "position": 0, "kind": "body",
             "text": "乙文。", "tokens": "乙文"},
        ])
        conn.execute(t["fact"].insert(), [
            {"id": 1, "document_id": 1, "sentence_id": 1, "kind": "money", "span": "100亿元",
             "start": 6, "end": 11, "value": 1e10, "unit": "CNY", "qualifier": None,
             "target": False, "period": 2023, "subject": None, "metric": "投资", "label": "投资",
             "date": None},
            {"id": 2, "document_id": 1, "sentence_id": 2, "kind": "percent", "span": "8%",
             "start": 2, "end": 4, "value": 8.0, "unit": "%", "qualifier": None, "target": True,
             "period": 2023, "subject": None, "metric": "增长", "label": "增长", "date": None},
        ])
        conn.execute(t["subscription"].insert(), [
            {"id": 1, "chat_id": 1001, "chat_type": "private", "title": "", "active": True,
             "hour": 8, "minute": 30, "timezone": "Asia/Shanghai", "topics": '["投资"]',
             "created_at": WHEN, "schedule_changed_at": WHEN, "changed_by": 1001},
        ])
        conn.execute(t["delivery"].insert(), [
            {"id": 1, "chat_id": 1001, "local_date": date(2024, 5, 1), "slot_at": WHEN,
             "status": "sent", "attempts": 1, "late": False, "claimed_at": WHEN,
             "updated_at": WHEN, "sent_at": WHEN, "message_id": 77},
        ])
        conn.execute(t["sentitem"].insert(), [
            {"id": 1, "chat_id": 1001, "fact_id": 1, "sent_at": WHEN}])
        conn.execute(t["announcement"].insert(), [
            {"id": 1, "key": "doc:h1", "chat_id": -1234, "document_id": 1, "text": "<b>甲</b>",
             "status": "sent", "attempts": 1, "created_at": WHEN, "updated_at": WHEN,
             "message_id": 5},
        ])
    engine.dispose()
    return url


def _dump(url: str) -> dict[str, list[dict[str, object]]]:
    engine = make_engine(url)
    out = {}
    with engine.connect() as conn:
        for name in ("document", "sentence", "fact", "subscription", "delivery", "sentitem",
                     "announcement"):
            rows = conn.execute(sa.select(sa.text("*")).select_from(sa.table(name)).order_by(
                sa.text("id"))).all()
            out[name] = [dict(r._mapping) for r in rows]
    engine.dispose()
    return out


def test_head_revision_is_alembics_single_head() -> None:
    """Revision files are numbered in one line; the cheap head check agrees with Alembic."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrations.SCRIPT_DIR))
    assert script.get_heads() == [migrations.head_revision()]
    for rev in script.walk_revisions():
        assert Path(rev.path).name.startswith(rev.revision + "_"), rev.path


def test_old_database_upgrades_in_place_with_everything_kept(tmp_path: Path) -> None:
    url = _old_database(tmp_path)
    before = _dump(url)
    store = FactStore.open(url, seed=False)  # stamps at 0001, then upgrades
    with store.engine.connect() as conn:
        assert migrations.current_revision(conn) == migrations.head_revision()
    after = _dump(url)
    # Every row of every table, value for value (later migrations may add columns).
    kept = {name: [{k: row[k] for k in rows[0]} for row in after[name]] for name, rows in before.items()}
    assert kept == before
    assert all(before.values())
    assert [d.name for d in store.documents()] == ["a.txt", "b.txt"]
    assert {f["span"] for f in store.facts()} == {"100亿元", "8%"}
    # The widened columns now take supergroup and > 2**31 ids.
    big = 2**40
    with store.engine.begin() as conn:
        conn.execute(sa.table("subscription", sa.column("chat_id")).update().values(chat_id=big))
        conn.execute(sa.table("announcement", sa.column("chat_id")).update().values(
            chat_id=-1001234567890))
    assert _dump(url)["subscription"][0]["chat_id"] == big


def test_opening_a_current_database_changes_nothing(tmp_path: Path) -> None:
    url = database_url(tmp_path)
    FactStore.open(url, seed=False)
    engine = make_engine(url)
    assert migrations.upgrade(engine) == []


def test_models_match_the_migrated_schema(tmp_path: Path) -> None:
    """A model change without its migration fails here (see README: adding a migration)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import store.models
    import store.subscriptions

    _ = store.models
    engine = make_engine(database_url(tmp_path))
    migrations.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


START = (
    "import sys\n"
    "from store.service import FactStore\n"
    "store = FactStore.open(sys.argv[1])\n"
    "print(len(store.documents()))\n"
)


def test_three_processes_starting_together_on_an_empty_database(tmp_path: Path) -> None:
    url = database_url(tmp_path, "race")
    procs = [
        subprocess.Popen([sys.executable, "-c", START, url], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
    counts = {int(out.strip()) for out, _ in outs}
    assert counts == {2}, outs  # the two seed articles, each stored once
