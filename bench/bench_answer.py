"""Answer latency, index build time and bot RSS at several archive sizes, against rank_bm25 in the same process.

`python -m bench.bench_answer --sizes seeds,1k,10k` builds (or reuses) one database per size,
then starts one fresh worker process per size that opens the store like the bot does, builds
the index, and asks the gold questions in-process after a warm-up pass, two ways: as a question
never seen before (every cache of earlier questions cleared before each one: answers, phrase
and name look-ups, rows read, memoised number parsing) and as a repeated question (the answer
cache). Then, in the same process and on the same sentences and tokens, it runs the usual first
attempt: rank_bm25's BM25Okapi over jieba search tokens.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import re
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import common

log = logging.getLogger(__name__)

READY = "READY"
_PREPARE = "import sys; from store.service import FactStore; FactStore.open(sys.argv[1], seed=False).warm()"
RESULT = "RESULT "


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def _peak_rss() -> int:
    # ru_maxrss is in KiB on Linux.
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def clear_question_caches(index: Any) -> None:
    """Forget every earlier question: the index's caches, the store's memoised per-text functions, compiled regexes.

    Load-once caches (lexicons, gazetteers: `lru_cache(maxsize=1)`) stay: a running bot has them; so does
    a sentence's own analysis that no question changes (`SearchIndex.mention_cache`, see the README).
    """
    index.clear_caches()
    # Python's own cache of compiled regular expressions: a question's names become patterns (a place not
    # followed by 新区…), which a truly new question compiles. Literal patterns are compiled again too, which
    # a running bot would not do: this errs on the slow side (≈ 0.1 ms of the median at 10k).
    re.purge()
    for name, module in list(sys.modules.items()):
        if not name.startswith("store."):
            continue
        for value in list(vars(module).values()):
            info = getattr(value, "cache_info", None)
            if callable(info) and getattr(value, "__module__", None) == name and info().maxsize != 1:
                value.cache_clear()


def _run_stats(samples_per_run: list[list[float]]) -> dict[str, Any]:
    """Median over runs of each run's median and p99 (seconds), plus the pooled values."""
    pooled = [s for run in samples_per_run for s in run]
    return {
        "runs": len(samples_per_run),
        "samples": len(pooled),
        "median": common.median([common.median(r) for r in samples_per_run]),
        "p99": common.median([common.percentile(r, 99) for r in samples_per_run]),
        "pooled_median": common.median(pooled),
        "pooled_p99": common.percentile(pooled, 99),
        "max": max(pooled),
    }


def _load_sentences(db: Path) -> tuple[list[str], list[list[str]], bool]:
    """Texts and stored search tokens of the sentences the store indexes (body and headings)."""
    with sqlite3.connect(db) as conn:
        try:
            rows = conn.execute(
                "SELECT text, tokens FROM sentence WHERE kind IN ('body', 'heading')"
                " ORDER BY document_id, position, id"
            ).fetchall()
        except sqlite3.OperationalError:
            rows = [(t, "") for (t,) in conn.execute("SELECT text FROM sentence ORDER BY id")]
    texts = [r[0] for r in rows]
    stored = all(r[1] for r in rows[:1000])
    if stored:
        return texts, [r[1].split() for r in rows], True
    from store.tokenize import index_tokens

    return texts, [index_tokens(t) for t in texts], False


def baseline_subset(questions: Sequence[str], sentences: int, budget: float = 2.5e6) -> list[int]:
    """Indices of the questions the baseline asks: all of them on small corpora; an evenly spread
    subset when rank_bm25's O(N) scan would not fit the time budget (sentences × questions)."""
    n = len(questions)
    k = max(5, min(n, int(budget // max(sentences, 1))))
    if k >= n:
        return list(range(n))
    return [round(i * (n - 1) / (k - 1)) for i in range(k)]


def _baseline(db: Path, questions: list[str], runs: int, limit: int) -> dict[str, Any]:
    """rank_bm25 BM25Okapi over the same sentences and tokens; query = the store's question tokens."""
    import numpy as np
    from rank_bm25 import BM25Okapi

    from store.tokenize import index_tokens

    t0 = time.perf_counter()
    texts, tokens, stored = _load_sentences(db)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    bm25 = BM25Okapi(tokens)
    t_build = time.perf_counter() - t0
    del tokens

    def ask(q: str) -> list[str]:
        scores = bm25.get_scores(list(dict.fromkeys(index_tokens(q))))
        k = min(limit, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [texts[i] for i in top if scores[i] > 0]

    ask(questions[0])
    per_run: list[list[float]] = []
    for _ in range(runs):
        samples = []
        for q in questions:
            t = time.perf_counter()
            ask(q)
            samples.append(time.perf_counter() - t)
        per_run.append(samples)
    return {"sentences": len(texts), "load_seconds": t_load, "build_seconds": t_build,
            "tokens_from_db": stored, **_run_stats(per_run)}


def worker(url: str, runs: int, baseline_runs: int, limit: int, profile: Path | None,
           refresh: bool = False) -> dict[str, Any]:
    """Run inside a fresh process: open + warm the store, time the questions, then the baseline."""
    t_start = time.perf_counter()
    from store.service import FactStore

    t_import = time.perf_counter()
    store = FactStore.open(url, seed=False)
    t_open = time.perf_counter()
    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    store.warm()
    if prof:
        prof.disable()
    t_ready = time.perf_counter()
    print(READY, flush=True)
    rss_ready = _rss()

    questions = [q["q"] for q in common.load_questions()]
    first: list[float] = []
    answered = 0
    for q in questions:  # warm-up pass; its timings are the first time each question is seen
        t = time.perf_counter()
        answered += bool(store.ask(q, limit=limit))
        first.append(time.perf_counter() - t)
    index = store.index
    if prof:
        prof.enable()
    # Never seen before: every cache of earlier questions is cleared before each question.
    # CPU time too: on a shared machine the wall time also counts the other processes' turns.
    cold_runs: list[list[float]] = []
    cold_cpu: list[list[float]] = []
    for _ in range(runs):
        samples, cpu = [], []
        for q in questions:
            clear_question_caches(index)
            t, c = time.perf_counter(), time.process_time()
            store.ask(q, limit=limit)
            samples.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        cold_runs.append(samples)
        cold_cpu.append(cpu)
    if prof and profile:
        prof.disable()
        prof.dump_stats(str(profile))
        log.debug("profile written to %s", profile)
    for q in questions:  # fill the answer cache again
        store.ask(q, limit=limit)
    per_run: list[list[float]] = []
    for _ in range(runs):
        samples = []
        for q in questions:
            t = time.perf_counter()
            store.ask(q, limit=limit)
            samples.append(time.perf_counter() - t)
        per_run.append(samples)
    result: dict[str, Any] = {
        "import_seconds": t_import - t_start,
        "open_seconds": t_open - t_import,
        "warm_seconds": t_ready - t_open,
        "ready_seconds_in_process": t_ready - t_start,
        "rss_ready": rss_ready,
        "rss_after_questions": _rss(),
        "peak_rss": _peak_rss(),
        "questions": len(questions),
        "answered": answered,
        "first_ask": {"median": common.median(first), "max": max(first)},
        "ask": _run_stats(cold_runs),  # a question never seen before (caches cleared)
        "ask_cpu": _run_stats(cold_cpu),  # the same, CPU time of the process
        "load_average": list(os.getloadavg()),
        "ask_cached": _run_stats(per_run),  # the same question asked again
        # Per-question medians of the never-seen path, slowest first: where the p99 comes from.
        "slowest": sorted(((common.median([run[i] for run in cold_runs]), q) for i, q in enumerate(questions)),
                          reverse=True)[:8],
    }
    if refresh:
        # What every `bot ingest` pays at the end (and a running bot after an upload): a rebuild
        # of the index from the database, snapshot included.
        t = time.perf_counter()
        store.refresh(rebuild=True)
        result["refresh_seconds"] = time.perf_counter() - t
        result["peak_rss_after_refresh"] = _peak_rss()
    if baseline_runs > 0:
        from store.paths import sqlite_path

        db = sqlite_path(url)
        if db is not None:
            subset = baseline_subset(questions, store.index.size)
            base = _baseline(db, [questions[i] for i in subset], baseline_runs, limit)
            # The speed-up compares both on the same questions.
            base["questions"] = len(subset)
            base["store_median_same_questions"] = common.median(
                [common.median([run[i] for i in subset]) for run in cold_runs])
            result["baseline"] = base
            result["peak_rss_with_baseline"] = _peak_rss()
    return result


def measure_size(db: common.BenchDb, *, runs: int, baseline_runs: int, limit: int,
                 profile: bool = False, refresh: bool = True) -> dict[str, Any]:
    """Start a worker for one database; time spawn → index ready from the outside as well."""
    cmd = [sys.executable, "-m", "bench.bench_answer", "--worker", "--url", db.url, "--runs", str(runs),
           "--baseline-runs", str(baseline_runs), "--limit", str(limit)]
    cmd.append("--refresh" if refresh else "--no-refresh")  # the worker's own default is to refresh
    # An untimed start first: a database built by older store code has no (valid) index snapshot
    # yet, and `bot ingest` leaves one behind, so the timed start below is the one users see.
    subprocess.run([sys.executable, "-c", _PREPARE, db.url], cwd=common.ROOT, env=common.bench_env(db.url),
                   check=True)
    prof_path = common.OUT_DIR / f"answer_{db.label}.prof"
    if profile:
        cmd += ["--profile-path", str(prof_path)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=common.ROOT, env=common.bench_env(db.url), stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    ready_wall: float | None = None
    result: dict[str, Any] | None = None
    for line in proc.stdout:
        if line.strip() == READY and ready_wall is None:
            ready_wall = time.perf_counter() - t0
        elif line.startswith(RESULT):
            result = json.loads(line[len(RESULT):])
    if proc.wait() != 0 or result is None:
        raise RuntimeError(f"answer worker failed for {db.label} (exit {proc.returncode})")
    result["ready_seconds_wall"] = ready_wall
    result["db"] = db.to_json()
    if profile:
        result["profile"] = str(prof_path)
        print(f"--- profile of warm() + question loop at {db.label} ({prof_path})")
        common.print_profile(prof_path)
    return result


def summary_rows(results: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Table rows: one per size."""
    rows = []
    for r in results:
        ask, base = r["ask"], r.get("baseline")
        x = base["median"] / base["store_median_same_questions"] if base else None
        speedup = "—" if x is None else (f"{x:,.0f}×" if x >= 10 else f"{x:.2f}×")
        rows.append([
            r["db"]["label"], f"{r['db']['documents']:,}", f"{r['db']['sentences']:,}",
            f"{r['ready_seconds_wall']:.2f}", f"{r['warm_seconds']:.2f}",
            common.fmt_ms(ask["median"], 3), common.fmt_ms(ask["p99"], 3),
            common.fmt_ms(r["ask_cpu"]["median"], 3) if "ask_cpu" in r else "—",
            common.fmt_ms(r["ask_cpu"]["p99"], 3) if "ask_cpu" in r else "—",
            common.fmt_ms(r["ask_cached"]["median"], 3) if "ask_cached" in r else "—",
            common.fmt_ms(base["median"], 1) if base else "—", common.fmt_ms(base["p99"], 1) if base else "—",
            speedup, f"{base['build_seconds']:.1f}" if base else "—",
            f"{r['peak_rss'] / 2**20:.0f}",
            f"{r['refresh_seconds']:.1f}" if "refresh_seconds" in r else "—",
            f"{r['answered']}/{r['questions']}",
        ])
    return rows


HEADERS = ["size", "docs", "sentences", "start→ready s", "warm() s", "new question median ms",
           "new question p99 ms", "new question CPU median ms", "new question CPU p99 ms", "repeated question median ms",
           "bm25 median ms", "bm25 p99 ms", "speed-up", "bm25 build s", "bot peak RSS MB",
           "rebuild from DB s", "answered"]


def run(sizes: str, *, runs: int, baseline_runs: int, limit: int = 5, seed: int = common.DEFAULT_SEED,
        rebuild: bool = False, profile: bool = False, refresh: bool = True) -> dict[str, Any]:
    """Measure every size; print the table; write bench/out/answer.json."""
    results = []
    for label, articles in common.parse_sizes(sizes):
        db = common.ensure_db(label, articles, seed=seed, rebuild=rebuild)
        log.info("answer latency at %s (%s sentences)", label, db.sentences)
        results.append(measure_size(db, runs=runs, baseline_runs=baseline_runs, limit=limit, profile=profile,
                                    refresh=refresh))
    out = {"runs": runs, "baseline_runs": baseline_runs, "limit": limit, "results": results,
           "table": common.table(HEADERS, summary_rows(results))}
    path = common.write_result("answer", out)
    print(out["table"])
    for r in results:
        if "load_average" in r:
            print(f"load average at {r['db']['label']}: " + " ".join(f"{x:.1f}" for x in r["load_average"]))
        slow = ", ".join(f"{q} {t * 1000:.1f}" for t, q in r["slowest"][:5])
        print(f"slowest at {r['db']['label']} (ms): {slow}")
    subsets = ", ".join(f"{r['db']['label']} {r['baseline']['questions']}" for r in results if r.get("baseline"))
    print(f"(store: medians over {runs} runs of the {results[0]['questions'] if results else 0} gold questions, "
          "each never seen before (caches cleared before it) or repeated (answer cache); "
          f"rank_bm25: {baseline_runs} runs in the same process over the same sentences and tokens, questions "
          f"per size: {subsets}; speed-up on the same questions; {path})")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_answer", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="seeds,1k,10k")
    p.add_argument("--runs", type=int, default=15, help="passes over the questions (store)")
    p.add_argument("--baseline-runs", type=int, default=3, help="passes over the questions (rank_bm25); 0 = skip")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--seed", type=int, default=common.DEFAULT_SEED)
    p.add_argument("--rebuild", action="store_true", help="rebuild the databases even if present")
    p.add_argument("--profile", action="store_true", help="cProfile warm() and the question loop")
    p.add_argument("--no-refresh", dest="refresh", action="store_false",
                   help="skip timing an index rebuild from the database (what each ingest pays)")
    p.add_argument("--refresh", dest="refresh", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--profile-path", dest="profile_path", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        result = worker(args.url, args.runs, args.baseline_runs, args.limit, args.profile_path, args.refresh)
        print(RESULT + json.dumps(result), flush=True)
        return 0
    common.setup_logging()
    run(args.sizes, runs=args.runs, baseline_runs=args.baseline_runs, limit=args.limit, seed=args.seed,
        rebuild=args.rebuild, profile=args.profile, refresh=args.refresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
