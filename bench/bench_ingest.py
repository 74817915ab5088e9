"""Ingestion throughput into SQLite against jieba's bare segmentation of the same text, in the same run.

`python -m bench.bench_ingest --articles 300 --runs 3` takes the first N articles of the 1k
archive and alternates: (a) a fresh worker process warms up (jieba, lexicons: one small ingest
of other articles into a throw-away database), then ingests the N articles through
`FactStore.ingest_paths` into a fresh SQLite database (index refresh included, as
`python -m bot ingest` does); (b) this process segments the same texts with
`jieba.cut_for_search` and `jieba.cut`. A fresh worker per run matters: the store caches tokens
and facts per sentence, so a second ingest of the same text in one process measures the caches.
Throughputs are medians over the runs; the ratio is taken within each run.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bench import common, corpus

log = logging.getLogger(__name__)

RESULT = "RESULT "

# (module, attribute, phase): store functions timed in the worker; missing ones are skipped, so a
# refactor of the store only loses detail. Listed functions must not call each other (no double
# counting); whatever they do not cover is reported as the rest (SQLite writes, glue).
_PHASES = (
    ("store.ingest.parse", "parse_document", "decode + parse (paragraphs, sentences, metadata)"),
    ("store.tokenize", "index_tokens", "jieba tokens for the index"),
    ("store.ingest.writer", "_paragraph_facts", "fact extraction"),
    ("store.service", "build_index", "index rebuild after ingest"),
    ("store.index", "extend_index", "index update after ingest"),
    ("store.snapshot", "save_index", "index snapshot write"),
)
_REST = "SQLite writes + glue (rest)"


@contextlib.contextmanager
def _phase_timers() -> Iterator[dict[str, float]]:
    """Wrap the store functions of _PHASES with timers for the duration of the block."""
    import importlib

    totals: dict[str, float] = {}
    patched: list[tuple[Any, str, Any]] = []

    def wrap(fn: Callable[..., Any], phase: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[phase] = totals.get(phase, 0.0) + time.perf_counter() - t

        return timed

    for module_name, attr, phase in _PHASES:
        module = importlib.import_module(module_name)
        fn = getattr(module, attr, None)
        if callable(fn):
            patched.append((module, attr, fn))
            setattr(module, attr, wrap(fn, phase))
    try:
        yield totals
    finally:
        for module, attr, fn in patched:
            setattr(module, attr, fn)


def _drop_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def worker(paths: Sequence[Path], warm_paths: Sequence[Path], db: Path, profile: Path | None) -> dict[str, Any]:
    """In a fresh process: warm up, then ingest `paths` into a fresh database and time the phases."""
    from store.service import FactStore
    from store.tokenize import get_tokenizer

    get_tokenizer()
    warm_db = db.with_name(db.stem + "_warm.db")
    _drop_db(warm_db)
    FactStore.open(f"sqlite:///{warm_db.resolve()}", seed=False).ingest_paths(warm_paths)
    _drop_db(warm_db)

    _drop_db(db)
    store = FactStore.open(f"sqlite:///{db.resolve()}", seed=False)
    store.warm()
    prof = cProfile.Profile() if profile else None
    with _phase_timers() as phases:
        t = time.perf_counter()
        if prof:
            prof.enable()
        reports = store.ingest_paths(paths)
        if prof and profile:
            prof.disable()
            prof.dump_stats(str(profile))
        seconds = time.perf_counter() - t
    refused = [r for r in reports if not r.ok]
    _drop_db(db)
    phases = dict(phases)
    phases[_REST] = seconds - sum(phases.values())
    return {"seconds": seconds, "sentences": sum(r.sentences for r in reports), "facts": sum(r.facts for r in reports),
            "refused": [f"{r.name}: {r.reason}" for r in refused[:5]], "phases": phases}


def _jieba_seconds(texts: Sequence[str], mode: str) -> float:
    import jieba

    cut = jieba.cut_for_search if mode == "cut_for_search" else jieba.cut
    t = time.perf_counter()
    for text in texts:
        for _ in cut(text):
            pass
    return time.perf_counter() - t


def _spawn(paths_file: Path, db: Path, profile: Path | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.bench_ingest", "--worker", "--paths-file", str(paths_file), "--db", str(db)]
    if profile:
        cmd += ["--profile-path", str(profile)]
    proc = subprocess.run(cmd, cwd=common.ROOT, env=common.bench_env(f"sqlite:///{db.resolve()}"),
                          capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"ingest worker failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT):])
    return result


def run(*, articles: int, runs: int, seed: int = common.DEFAULT_SEED, profile: bool = False) -> dict[str, Any]:
    """Measure; print the table; write bench/out/ingest.json."""
    source = common.corpus_dir(1000, seed)
    corpus.ensure_corpus(source, 1000, seed)
    all_paths = corpus.article_paths(source)
    paths = all_paths[:articles]
    texts = list(corpus.iter_texts(paths))
    chars = sum(len(t) for t in texts)
    paths_file = common.OUT_DIR / "ingest_paths.json"
    # Warm-up articles come from the other end of the archive: different content, same genre.
    paths_file.write_text(json.dumps({"paths": [str(p) for p in paths], "warm": [str(p) for p in all_paths[-3:]]}),
                          encoding="utf-8")
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    _jieba_seconds(texts[:5], "cut_for_search")
    db = common.OUT_DIR / "ingest_tmp.db"
    prof_path = common.OUT_DIR / "ingest.prof"
    rows = []
    for i in range(runs):
        res = _spawn(paths_file, db, prof_path if profile and i == 0 else None)
        if res["refused"]:
            log.warning("refused during ingestion: %s", res["refused"])
        search = _jieba_seconds(texts, "cut_for_search")
        accurate = _jieba_seconds(texts, "cut")
        rows.append({"ingest": res["seconds"], "cut_for_search": search, "cut": accurate, "phases": res["phases"],
                     "sentences": res["sentences"], "facts": res["facts"],
                     "loadavg": common.machine_info()["loadavg"]})
        log.info("run %s: ingest %.2f s, cut_for_search %.2f s, cut %.2f s", i + 1, res["seconds"], search, accurate)
    ingest_s = common.median([r["ingest"] for r in rows])
    search_s = common.median([r["cut_for_search"] for r in rows])
    cut_s = common.median([r["cut"] for r in rows])
    ratio = common.median([r["cut_for_search"] / r["ingest"] for r in rows])
    phase_names = list(dict.fromkeys(k for r in rows for k in r["phases"]))
    phases = {k: common.median([r["phases"].get(k, 0.0) for r in rows]) for k in phase_names}
    out = {
        "articles": len(paths), "chars": chars, "runs": rows, "phases": phases,
        "ingest_chars_per_s": chars / ingest_s, "ingest_articles_per_s": len(paths) / ingest_s,
        "jieba_cut_for_search_chars_per_s": chars / search_s, "jieba_cut_chars_per_s": chars / cut_s,
        "ratio_vs_cut_for_search": ratio, "sentences_per_s": rows[0]["sentences"] / ingest_s,
    }
    out["table"] = common.table(
        ["what", "chars/s", "articles/s", "median s", "vs jieba cut_for_search (same run)"],
        [
            ["ingest → SQLite (FactStore.ingest_paths)", f"{out['ingest_chars_per_s']:,.0f}",
             f"{out['ingest_articles_per_s']:.1f}", f"{ingest_s:.2f}", f"{ratio:.2f}×"],
            ["jieba.cut_for_search (bare)", f"{out['jieba_cut_for_search_chars_per_s']:,.0f}",
             f"{len(paths) / search_s:.1f}", f"{search_s:.2f}", "1.00×"],
            ["jieba.cut (bare)", f"{out['jieba_cut_chars_per_s']:,.0f}", f"{len(paths) / cut_s:.1f}",
             f"{cut_s:.2f}", f"{common.median([r['cut_for_search'] / r['cut'] for r in rows]):.2f}×"],
        ],
    ) + "\n\n" + common.table(
        ["ingestion phase (median s)", "s", "share of ingest"],
        [[k, f"{v:.2f}", f"{v / ingest_s * 100:.0f} %"] for k, v in phases.items()],
    )
    path = common.write_result("ingest", out)
    print(out["table"])
    print(f"({len(paths)} articles, {chars:,} chars, {rows[0]['sentences']:,} sentences, {rows[0]['facts']:,} facts; "
          f"medians of {runs} alternating runs, a fresh ingest process per run; {path})")
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
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--paths-file", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--profile-path", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        spec = json.loads(args.paths_file.read_text(encoding="utf-8"))
        result = worker([Path(x) for x in spec["paths"]], [Path(x) for x in spec["warm"]], args.db,
                        args.profile_path)
        print(RESULT + json.dumps(result), flush=True)
        return 0
    common.setup_logging()
    run(articles=args.articles, runs=args.runs, seed=args.seed, profile=args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
