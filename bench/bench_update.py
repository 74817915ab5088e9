"""Adding and replacing one article in a large archive: index update time and peak memory."""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import common

ARTICLE = "青岛西海岸新区\n\n2024年，西海岸新区新签约项目{count}个，总投资{money}亿元。\n"


def _rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main(argv: list[str] | None = None) -> int:
    """Copy a benchmark database, then time adding and replacing one article through FactStore."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="10k", help="benchmark database to copy (seeds, 1k, 10k)")
    args = parser.parse_args(argv)
    common.setup_logging()
    from store.service import FactStore

    source = common.db_path(args.size)
    if not source.exists():
        print(f"{source} is missing: run `python -m bench.run_all --sizes {args.size}` first")
        return 2
    with tempfile.TemporaryDirectory(dir=common.OUT_DIR) as tmp:
        db = Path(tmp) / "bot.db"
        shutil.copy(source, db)
        snapshot = source.with_name(source.name + ".index")
        if snapshot.exists():
            shutil.copytree(snapshot, db.with_name(db.name + ".index"))
        store = FactStore.open(f"sqlite:///{db}")
        started = time.perf_counter()
        store.warm()
        ready = time.perf_counter() - started
        rss_ready = _rss_mb()
        article = Path(tmp) / "update.txt"
        timings = []
        for step, (count, money) in (("add", (35, 420)), ("replace", (41, 515))):
            article.write_text(ARTICLE.format(count=count, money=money), encoding="utf-8")
            started = time.perf_counter()
            report = store.ingest_paths([article])[0]
            timings.append((step, report.status, time.perf_counter() - started))
        answer = store.ask("西海岸新区新签约项目多少个？")
        assert answer and "41个" in answer[0].text, "the replaced article must be the one answered"
        rows = [(step, status, f"{seconds:.1f}") for step, status, seconds in timings]
        print(common.machine_line())
        print(f"size {args.size}: index ready in {ready:.1f} s, RSS {rss_ready} MB")
        print(common.table(["step", "status", "ingest + index update + snapshot s"], rows))
        print(f"peak RSS {_rss_mb()} MB")
        common.write_result("update", {"size": args.size, "ready": ready, "steps": timings,
                                       "rss_ready_mb": rss_ready, "peak_rss_mb": _rss_mb()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
