"""Ingestion throughput into SQLite against jieba's bare segmentation of the same text, in the same run.

`python -m bench.bench_ingest --articles 300 --runs 3` takes the first N articles of the 1k
archive, and alternates: ingest them through `FactStore.ingest_paths` into a fresh SQLite
database (index refresh included, as `python -m bot ingest` does), then segment the same
texts with `jieba.cut_for_search` (and `jieba.cut`). Throughputs are medians over the runs;
the ratio is taken within the run.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import common, corpus

log = logging.getLogger(__name__)


def _jieba_seconds(texts: Sequence[str], mode: str) -> float:
    import jieba

    cut = jieba.cut_for_search if mode == "cut_for_search" else jieba.cut
    t = time.perf_counter()
    for text in texts:
        for _ in cut(text):
            pass
    return time.perf_counter() - t


def _drop_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def _warm_up(paths: Sequence[Path], db: Path) -> None:
    """Load jieba, the user dictionary and the extraction lexicons once, as in a running bot."""
    from store.service import FactStore
    from store.tokenize import get_tokenizer

    get_tokenizer()
    _drop_db(db)
    FactStore.open(f"sqlite:///{db.resolve()}", seed=False).ingest_paths(paths)
    _drop_db(db)


def _ingest_seconds(paths: Sequence[Path], db: Path, profile: Path | None) -> tuple[float, int, int, float]:
    """Ingest into a fresh database; return (seconds, sentences, facts, index refresh seconds)."""
    from store.service import FactStore

    _drop_db(db)
    store = FactStore.open(f"sqlite:///{db.resolve()}", seed=False)
    store.warm()
    prof = cProfile.Profile() if profile else None
    t = time.perf_counter()
    if prof:
        prof.enable()
    reports = store.ingest_paths(paths)
    if prof and profile:
        prof.disable()
        prof.dump_stats(str(profile))
    seconds = time.perf_counter() - t
    refused = [r for r in reports if not r.ok]
    if refused:
        raise RuntimeError(f"{len(refused)} files refused, e.g. {refused[0].name}: {refused[0].reason}")
    t = time.perf_counter()
    store.refresh()
    refresh = time.perf_counter() - t
    return seconds, sum(r.sentences for r in reports), sum(r.facts for r in reports), refresh


def run(*, articles: int, runs: int, seed: int = common.DEFAULT_SEED, profile: bool = False) -> dict[str, Any]:
    """Measure; print the table; write bench/out/ingest.json."""
    source = common.corpus_dir(1000, seed)
    corpus.ensure_corpus(source, 1000, seed)
    paths = corpus.article_paths(source)[:articles]
    texts = list(corpus.iter_texts(paths))
    chars = sum(len(t) for t in texts)
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    _jieba_seconds(texts[:5], "cut_for_search")
    db = common.OUT_DIR / "ingest_tmp.db"
    # Warm-up on other articles (a different content hash), so nothing is skipped as unchanged.
    _warm_up(corpus.article_paths(source)[-3:], db)
    prof_path = common.OUT_DIR / "ingest.prof"
    rows = []
    for i in range(runs):
        ing, sentences, facts, refresh = _ingest_seconds(paths, db, prof_path if profile and i == 0 else None)
        search = _jieba_seconds(texts, "cut_for_search")
        accurate = _jieba_seconds(texts, "cut")
        rows.append({"ingest": ing, "cut_for_search": search, "cut": accurate, "refresh": refresh,
                     "sentences": sentences, "facts": facts, "loadavg": common.machine_info()["loadavg"]})
        log.info("run %s: ingest %.2f s, cut_for_search %.2f s, cut %.2f s", i + 1, ing, search, accurate)
    _drop_db(db)
    ingest_s = common.median([r["ingest"] for r in rows])
    search_s = common.median([r["cut_for_search"] for r in rows])
    cut_s = common.median([r["cut"] for r in rows])
    ratio = common.median([r["cut_for_search"] / r["ingest"] for r in rows])
    out = {
        "articles": len(paths), "chars": chars, "runs": rows,
        "ingest_chars_per_s": chars / ingest_s, "ingest_articles_per_s": len(paths) / ingest_s,
        "jieba_cut_for_search_chars_per_s": chars / search_s, "jieba_cut_chars_per_s": chars / cut_s,
        "ratio_vs_cut_for_search": ratio,
        "sentences_per_s": rows[0]["sentences"] / ingest_s,
    }
    out["table"] = common.table(
        ["what", "chars/s", "articles/s", "median s", "vs jieba cut_for_search"],
        [
            ["ingest → SQLite (FactStore.ingest_paths)", f"{out['ingest_chars_per_s']:,.0f}",
             f"{out['ingest_articles_per_s']:.1f}", f"{ingest_s:.2f}", f"{ratio:.2f}×"],
            ["jieba.cut_for_search (bare)", f"{out['jieba_cut_for_search_chars_per_s']:,.0f}",
             f"{len(paths) / search_s:.1f}", f"{search_s:.2f}", "1.00×"],
            ["jieba.cut (bare)", f"{out['jieba_cut_chars_per_s']:,.0f}", f"{len(paths) / cut_s:.1f}",
             f"{cut_s:.2f}", f"{search_s / cut_s:.2f}×"],
        ],
    )
    path = common.write_result("ingest", out)
    print(out["table"])
    print(f"({len(paths)} articles, {chars:,} chars, {rows[0]['sentences']:,} sentences, {rows[0]['facts']:,} facts; "
          f"medians of {runs} alternating runs; {path})")
    if profile:
        print(f"--- profile of one ingestion run ({prof_path})")
        common.print_profile(prof_path)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_ingest", description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=300, help="articles of the 1k archive to ingest per run")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=common.DEFAULT_SEED)
    p.add_argument("--profile", action="store_true", help="cProfile the first ingestion run")
    args = p.parse_args(argv)
    common.setup_logging()
    run(articles=args.articles, runs=args.runs, seed=args.seed, profile=args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
