"""Accuracy of the public gold questions through `python -m bot ask --jsonl`, seeds only and with the archive.

Then, per question set (seeds gold, news-dev, the project's own questions), figure-level and
abstention accuracy with a per-category breakdown beside rank_bm25 on the same sentences
(bench/accuracy_sets.py).

Score: a question with `expect` is right when the top answer's `text` contains every expected
string; a question with `expect_none` is right when `answers` is empty. The archive is a
distractor, so the score with it must not fall more than one question below the seeds-only score.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench import common

log = logging.getLogger(__name__)


def score(question: dict[str, Any], answers: list[dict[str, Any]]) -> bool:
    """True when the answers satisfy the gold question."""
    if question.get("expect_none"):
        return not answers
    if not answers:
        return False
    text = answers[0].get("text", "")
    return all(e in text for e in question.get("expect", []))


def ask_jsonl(url: str, questions: Sequence[str], *, limit: int = 5) -> tuple[list[dict[str, Any]], float]:
    """Answers of `python -m bot ask --jsonl` on one database, in question order, and its wall time."""
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--jsonl", "--limit", str(limit)],
        input="".join(q + "\n" for q in questions), capture_output=True, text=True, cwd=common.ROOT,
        env=common.bench_env(url), check=False,
    )
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"bot ask failed ({proc.returncode}): {proc.stderr[-2000:]}")
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if [o.get("q") for o in lines] != list(questions):
        raise RuntimeError("bot ask --jsonl did not answer every question in order")
    return lines, seconds


def evaluate(db: common.BenchDb) -> dict[str, Any]:
    """Run the gold questions on one database."""
    gold = common.load_questions()
    outputs, seconds = ask_jsonl(db.url, [g["q"] for g in gold])
    per_question = []
    for g, o in zip(gold, outputs, strict=True):
        answers = o.get("answers", [])
        top = answers[0] if answers else None
        per_question.append({
            "id": g["id"], "q": g["q"], "ok": score(g, answers),
            "expect": g.get("expect") or ("(no answer)" if g.get("expect_none") else []),
            "top_doc": top.get("doc") if top else None, "top_text": top.get("text")[:120] if top else None,
            "top_from_archive": bool(top and str(top.get("doc", "")).startswith("syn")),
        })
    return {"db": db.to_json(), "correct": sum(p["ok"] for p in per_question), "total": len(per_question),
            "seconds": seconds, "questions": per_question}


def run(sizes: str, *, seed: int = common.DEFAULT_SEED, rebuild: bool = False, sets: bool = True) -> dict[str, Any]:
    """Evaluate every size and every question set; print the tables; write bench/out/accuracy*.json."""
    if sets:
        from bench import accuracy_sets

        accuracy_sets.run()
    if not sizes:
        return {}
    results = []
    for label, articles in common.parse_sizes(sizes):
        db = common.ensure_db(label, articles, seed=seed, rebuild=rebuild)
        log.info("gold questions at %s", label)
        results.append(evaluate(db))
    base = next((r for r in results if r["db"]["articles"] == 0), None)
    rows = []
    for r in results:
        lost = gained = "—"
        if base is not None and r is not base:
            ok_base = {p["id"] for p in base["questions"] if p["ok"]}
            ok_here = {p["id"] for p in r["questions"] if p["ok"]}
            lost = ", ".join(sorted(ok_base - ok_here)) or "none"
            gained = ", ".join(sorted(ok_here - ok_base)) or "none"
            r["lost"], r["gained"] = sorted(ok_base - ok_here), sorted(ok_here - ok_base)
        from_archive = sum(p["top_from_archive"] for p in r["questions"])
        rows.append([r["db"]["label"], f"{r['db']['documents']:,}", f"{r['correct']}/{r['total']}", lost, gained,
                     from_archive, f"{r['seconds']:.1f}"])
    out = {"results": results, "table": common.table(
        ["size", "docs", "correct", "lost vs seeds", "gained vs seeds", "top answer from archive", "CLI wall s"],
        rows)}
    path = common.write_result("accuracy", out)
    print(out["table"])
    for r in results:
        wrong = [p for p in r["questions"] if not p["ok"]]
        if wrong:
            print(f"\n{r['db']['label']}: wrong —")
            for p in wrong:
                print(f"  {p['id']} {p['q']}  expect {p['expect']}  got [{p['top_doc']}] {p['top_text']}")
    print(f"({path})")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_accuracy", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="seeds,10k")
    p.add_argument("--seed", type=int, default=common.DEFAULT_SEED)
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--no-sets", action="store_true", help="skip the per-set, per-category report")
    args = p.parse_args(argv)
    common.setup_logging()
    run(args.sizes, seed=args.seed, rebuild=args.rebuild, sets=not args.no_sets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
