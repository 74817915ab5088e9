"""PostgreSQL against SQLite at one size: cold `python -m bot ask` and start-to-index-ready.

The SQLite benchmark database (bench/common.py) is copied row for row into a database on a
throwaway PostgreSQL server (tests/pg_server.py: 127.0.0.1, temporary folder, removed after).
Each command gets one warm-up run per database (it writes the index snapshot), then N
alternating runs; start-to-index-ready = `FactStore.open(url).warm()` in a fresh process. The
figure is PostgreSQL's median over SQLite's (target ≤ 1.5×).
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import common

log = logging.getLogger(__name__)

QUESTION = "京东方青岛项目总投资多少？"
READY = "import sys; from store.service import FactStore; FactStore.open(sys.argv[1]).warm()"
_COPY_CHUNK = 5_000  # rows per executemany while copying


def copy_database(source_url: str, target_url: str) -> dict[str, int]:
    """Copy documents, sentences and facts (ids kept) into a migrated empty database."""
    from sqlalchemy import func, insert, select, text

    from store import db, migrations
    from store.models import Document, Fact, Sentence

    source, target = db.make_engine(source_url), db.make_engine(target_url)
    migrations.upgrade(source)  # an older benchmark database gets the current schema first
    migrations.upgrade(target)
    counts = {}
    with source.connect() as src, target.begin() as dst:
        for model in (Document, Sentence, Fact):
            table = model.__table__  # type: ignore[attr-defined]
            rows = src.execute(select(table).order_by(table.c.id)).mappings()
            n = 0
            while chunk := rows.fetchmany(_COPY_CHUNK):
                dst.execute(insert(table), [dict(r) for r in chunk])
                n += len(chunk)
            counts[table.name] = n
            if dst.dialect.name == "postgresql":  # the id sequence continues after the copied ids
                dst.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"),
                                               select(func.max(table.c.id)).scalar_subquery())))
        dst.execute(text("ANALYZE"))
    source.dispose()
    target.dispose()
    return counts


def _time(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=common.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - started


def run(*, runs: int, label: str) -> dict[str, Any]:
    """Measure; print the table; write bench/out/postgres.json."""
    from tests.pg_server import Server

    sizes = dict(common.parse_sizes(label))
    bench_db = common.ensure_db(label, sizes[label])
    server = Server()
    index_dir = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        server.start()
        from sqlalchemy import create_engine, text

        admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE bench"))
        admin.dispose()
        pg_url = server.url.rpartition("/")[0] + "/bench"
        started = time.perf_counter()
        copied = copy_database(bench_db.url, pg_url)
        log.info("copied %s into PostgreSQL in %.1fs", copied, time.perf_counter() - started)
        urls = {"SQLite": bench_db.url, "PostgreSQL": pg_url}
        commands = {
            "ask": lambda url: [sys.executable, "-m", "bot", "ask", QUESTION],
            "ready": lambda url: [sys.executable, "-c", READY, url],
        }
        envs = {name: {**common.bench_env(url), "INDEX_DIR": str(index_dir)} for name, url in urls.items()}
        # INDEX_DIR for both: SQLite's snapshot would otherwise be beside its file (same cost).
        times: dict[str, dict[str, list[float]]] = {n: {c: [] for c in commands} for n in urls}
        for name, url in urls.items():
            for make in commands.values():
                _time(make(url), envs[name])  # warm-up: writes the snapshot
        for _ in range(runs):
            for cmd_name, make in commands.items():
                for name, url in urls.items():
                    times[name][cmd_name].append(_time(make(url), envs[name]))
    finally:
        server.stop()
    medians = {n: {c: common.median(v) for c, v in t.items()} for n, t in times.items()}
    out: dict[str, Any] = {"db": bench_db.to_json(), "runs": runs, "copied": copied, "times": times,
                           "medians": medians}
    out["table"] = common.table(
        ["command", "SQLite median s", "PostgreSQL median s", "PostgreSQL / SQLite"],
        [
            [label_, f"{medians['SQLite'][c]:.3f}", f"{medians['PostgreSQL'][c]:.3f}",
             f"{medians['PostgreSQL'][c] / medians['SQLite'][c]:.2f}×"]
            for c, label_ in (("ask", f'python -m bot ask "{QUESTION}"'),
                              ("ready", "start to index ready (open + warm)"))
        ],
    )
    path = common.write_result("postgres", out)
    print(out["table"])
    print(f"({runs} alternating runs after one warm-up each, {bench_db.label} database; {path})")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_postgres", description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--size", default="1k", help="database size (default 1k)")
    args = p.parse_args(argv)
    common.setup_logging()
    run(runs=args.runs, label=args.size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
