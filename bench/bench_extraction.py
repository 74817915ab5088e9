"""Extraction recall on news-dev: is the expected `figure` among the facts of the expected sentence (per half)."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import corpus

log = logging.getLogger(__name__)

NEWS_DEV = corpus.ROOT.parent / "shared" / "corpus" / "news-dev"
# Docs 01–20 are the tuning half, 21–40 the held-out half.
TUNING_LAST_DOC = 20
_WS = re.compile(r"\s+")


def _squeeze(text: str) -> str:
    from store.normalize import to_simplified

    return to_simplified(_WS.sub("", text))


def _prepare(parsed: Any) -> Any:
    from store.ingest.writer import _prepare_rows

    return _prepare_rows(parsed)


def _parse(text: str, name: str) -> Any:
    from store.ingest.parse import parse_document

    return parse_document(text, name=name)


def doc_sentences(path: Path) -> list[tuple[str, list[str]]]:
    """(sentence text, fact spans) of every sentence of a document, as ingestion stores them."""
    parsed = _parse(path.read_text(encoding="utf-8"), path.name)
    rows, facts = _prepare(parsed)
    return [(row[3], [f[1] for f in found]) for row, found in zip(rows, facts, strict=True)]


def evaluate(questions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per half: questions whose expected sentence was found, and those whose figure is a fact span there."""
    cache: dict[str, list[tuple[str, list[str]]]] = {}
    halves: dict[str, dict[str, Any]] = {}
    for q in questions:
        if q.get("expect_none") or not q.get("figure"):
            continue
        doc = q["doc"]
        half = "tuning 01-20" if int(doc[:2]) <= TUNING_LAST_DOC else "held-out 21-40"
        h = halves.setdefault(half, {"questions": 0, "sentence": 0, "exact": 0, "contains": 0, "misses": []})
        h["questions"] += 1
        if doc not in cache:
            cache[doc] = doc_sentences(NEWS_DEV / "docs" / doc)
        wanted = [_squeeze(e) for e in q["expect"]] + [_squeeze(q["figure"])]
        figure = _squeeze(q["figure"])
        hits = [(s, sp) for s, sp in cache[doc] if all(w in _squeeze(s) for w in wanted)]
        if not hits:
            h["misses"].append({"id": q["id"], "figure": q["figure"], "why": "sentence not found"})
            continue
        h["sentence"] += 1
        spans = [_squeeze(x) for _, sp in hits for x in sp]
        if figure in spans:
            h["exact"] += 1
            h["contains"] += 1
        elif any(figure in x for x in spans):
            h["contains"] += 1
            h["misses"].append({"id": q["id"], "figure": q["figure"], "wider": [x for x in spans if figure in x]})
        else:
            h["misses"].append({"id": q["id"], "figure": q["figure"], "spans": [x for _, sp in hits for x in sp]})
    return halves


def main(argv: Sequence[str] | None = None) -> int:
    """Print extraction recall per half of news-dev (and the misses with --verbose)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    qfile = NEWS_DEV / "questions.jsonl"
    if not qfile.exists():
        print(f"news-dev not found at {NEWS_DEV}", file=sys.stderr)
        return 1
    questions = [json.loads(line) for line in qfile.read_text(encoding="utf-8").splitlines() if line.strip()]
    halves = evaluate(questions)
    if args.json:
        print(json.dumps(halves, ensure_ascii=False, indent=1))
        return 0
    print(f"{'half':<16} {'questions':>9} {'sentence':>9} {'exact span':>11} {'within span':>12}")
    for half in sorted(halves, key=lambda k: not k.startswith("tuning")):
        h = halves[half]
        print(f"{half:<16} {h['questions']:>9} {h['sentence']:>9} {h['exact']:>11} {h['contains']:>12}")
        if args.verbose:
            for miss in h["misses"]:
                print("   ", json.dumps(miss, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
