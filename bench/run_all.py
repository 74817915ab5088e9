"""Run every benchmark (`make bench`): archive, databases, ingestion, latency, accuracy, cold CLI; check targets.

Defaults finish within 30 minutes on the 2-core machine on a fresh clone (most of it is the
one-off 10k ingestion; databases and archives are reused from bench/out/ afterwards).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench import bench_accuracy, bench_answer, bench_cold_cli, bench_ingest, common

log = logging.getLogger(__name__)

MB = 2**20


def _targets(answer: dict[str, Any] | None, ingest: dict[str, Any] | None, accuracy: dict[str, Any] | None,
             cold: dict[str, Any] | None, total_s: float) -> list[list[str]]:
    rows: list[list[str]] = []

    def add(what: str, measured: str, ok: bool | None) -> None:
        rows.append([what, measured, "—" if ok is None else ("yes" if ok else "**no**")])

    by_label = {r["db"]["label"]: r for r in (answer or {}).get("results", [])}
    if "seeds" in by_label:
        a = by_label["seeds"]["ask"]
        add("seeds: new question median ≤ 2 ms", common.fmt_ms(a["median"], 3) + " ms", a["median"] <= 0.002)
    largest = max(by_label.values(), key=lambda r: r["db"]["articles"]) if by_label else None
    if largest is not None and largest["db"]["articles"] > 0:
        lab = largest["db"]["label"]
        a, base = largest["ask"], largest.get("baseline")
        # Issue F: a question never seen before (caches cleared), and the same question asked again.
        add(f"{lab}: new question median ≤ 2 ms", common.fmt_ms(a["median"], 2) + " ms", a["median"] <= 0.002)
        add(f"{lab}: new question p99 ≤ 10 ms", common.fmt_ms(a["p99"], 2) + " ms", a["p99"] <= 0.010)
        if "ask_cached" in largest:
            c = largest["ask_cached"]
            add(f"{lab}: repeated question median ≤ 1 ms", common.fmt_ms(c["median"], 3) + " ms",
                c["median"] <= 0.001)
        if base:
            speed = base["median"] / base["store_median_same_questions"]
            add(f"{lab}: ≥ 20× faster than rank_bm25 (same run)", f"{speed:.0f}×", speed >= 20)
        ready = largest["ready_seconds_wall"]
        add(f"{lab}: start-up (index ready) ≤ 15 s", f"{ready:.1f} s", ready <= 15)
        add(f"{lab}: bot RSS ≤ 1.5 GB", f"{largest['peak_rss'] / MB:.0f} MB", largest["peak_rss"] <= 1.5 * 1024 * MB)
    if ingest:
        r = ingest["ratio_vs_cut_for_search"]
        add("ingestion ≥ 50 % of jieba cut_for_search (same text, same run)", f"{r * 100:.0f} %", r >= 0.5)
    if accuracy:
        base = next((r for r in accuracy["results"] if r["db"]["articles"] == 0), None)
        for r in accuracy["results"]:
            if base is not None and r is not base:
                lost = len(r.get("lost", []))
                add(f"{r['db']['label']}: gold questions lost vs seeds ≤ 1",
                    f"{r['correct']}/{r['total']} vs {base['correct']}/{base['total']} (lost {lost})", lost <= 1)
    if cold:
        add("cold `bot ask` ≤ 1.3 × jieba initialize", f"{cold['ratio']:.2f}×", cold["ratio"] <= 1.3)
    add("whole run ≤ 30 min", f"{total_s / 60:.1f} min", total_s <= 30 * 60)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="seeds,1k,10k", help="archive sizes for latency (seeds,1k,10k or counts)")
    p.add_argument("--accuracy-sizes", default=None, help="default: seeds and the largest size")
    p.add_argument("--runs", type=int, default=15, help="passes over the questions for the store")
    p.add_argument("--baseline-runs", type=int, default=3, help="passes for rank_bm25 (0 = skip)")
    p.add_argument("--ingest-articles", type=int, default=300)
    p.add_argument("--ingest-runs", type=int, default=3)
    p.add_argument("--cold-runs", type=int, default=10)
    p.add_argument("--seed", type=int, default=common.DEFAULT_SEED)
    p.add_argument("--rebuild", action="store_true", help="rebuild the benchmark databases")
    p.add_argument("--skip", default="", help="comma list of: ingest,answer,accuracy,cold")
    args = p.parse_args(argv)
    common.setup_logging()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    t0 = time.perf_counter()
    sizes = common.parse_sizes(args.sizes)
    acc_sizes = args.accuracy_sizes or ",".join(dict.fromkeys(["seeds", max(sizes, key=lambda s: s[1])[0]]))

    timings: dict[str, float] = {}
    dbs = []
    for label, articles in sizes:  # build first, so the timed benchmarks below do not include it
        t = time.perf_counter()
        dbs.append(common.ensure_db(label, articles, seed=args.seed, rebuild=args.rebuild))
        timings[f"db {label}"] = time.perf_counter() - t

    ingest = answer = accuracy = cold = None
    if "ingest" not in skip:
        t = time.perf_counter()
        ingest = bench_ingest.run(articles=args.ingest_articles, runs=args.ingest_runs, seed=args.seed)
        timings["ingest"] = time.perf_counter() - t
    if "answer" not in skip:
        t = time.perf_counter()
        answer = bench_answer.run(args.sizes, runs=args.runs, baseline_runs=args.baseline_runs, seed=args.seed)
        timings["answer"] = time.perf_counter() - t
    if "accuracy" not in skip:
        t = time.perf_counter()
        accuracy = bench_accuracy.run(acc_sizes, seed=args.seed)
        timings["accuracy"] = time.perf_counter() - t
    if "cold" not in skip:
        t = time.perf_counter()
        cold = bench_cold_cli.run(runs=args.cold_runs)
        timings["cold"] = time.perf_counter() - t
    total = time.perf_counter() - t0

    builds = common.table(
        ["size", "documents", "sentences", "archive chars", "build (seeds + `bot ingest`) s"],
        [[d.label, f"{d.documents:,}", f"{d.sentences:,}", f"{d.corpus_chars:,}",
          "reused" + (" (stale code)" if d.stale else "") if d.build_seconds is None else f"{d.build_seconds:.0f}"]
         for d in dbs])
    targets = common.table(["target", "measured", "met"], _targets(answer, ingest, accuracy, cold, total))
    parts = [
        f"Machine: {common.machine_line()}",
        f"Command: `python -m bench.run_all {' '.join(argv if argv is not None else sys.argv[1:])}`".rstrip(),
        "", "Databases", builds,
    ]
    for title, res in (("Ingestion", ingest), ("Answer latency", answer), ("Gold questions", accuracy),
                       ("Cold CLI", cold)):
        if res is not None:
            parts += ["", title, res["table"]]
    parts += ["", "Targets", targets, "",
              "Stage times: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + f"; total {total:.0f} s"]
    text = "\n".join(parts)
    (common.OUT_DIR / "summary.md").write_text(text + "\n", encoding="utf-8")
    common.write_result("summary", {"timings": timings, "total_seconds": total, "markdown": text})
    print("\n" + "=" * 80 + "\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
