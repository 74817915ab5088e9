"""Figure-level accuracy per question set and category, beside a plain rank_bm25 run on the same sentences.

A set is a JSONL file of questions (`expect`, `figure`, `expect_none`, optional `tags`) and the
documents it needs besides the seeds. Each set gets a fresh SQLite database in a temporary folder;
questions are asked in-process. An answerable question is right when the top answer's text holds
every `expect` string and its bold `figure` holds the expected figure (whitespace, width and
traditional characters compared alike); an `expect_none` question is right when there is no answer.
The baseline ranks the same indexed sentences with rank_bm25's BM25Okapi over the stored search
tokens, never abstains, and bolds the first figure of its top sentence.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import common

SHARED = common.ROOT.parent / "shared"
NEWS_DEV = SHARED / "corpus" / "news-dev"
DATA = common.ROOT / "tests" / "data"


@dataclass(frozen=True)
class QuestionSet:
    """Questions and the folder of documents they are about (None: the seeds only)."""

    name: str
    questions: Path
    docs: Path | tuple[Path, ...] | None
    figures: Path | None = None  # {"id", "figure"} lines for questions without their own `figure`


def default_sets() -> list[QuestionSet]:
    """The public seeds gold, news-dev (when ../shared is there) and the project's own questions."""
    # The public gold has no `figure`: the figure a user asking each question wants in bold is in
    # tests/data/seed_figures.jsonl (chosen from the question and its expect strings).
    sets = [QuestionSet("seeds gold", SHARED / "eval" / "questions.jsonl", None, DATA / "seed_figures.jsonl")]
    if (NEWS_DEV / "questions.jsonl").exists():
        sets.append(QuestionSet("news-dev", NEWS_DEV / "questions.jsonl", NEWS_DEV / "docs"))
        sets.append(QuestionSet("own (docs 21-40, seeds)", DATA / "own_questions.jsonl", NEWS_DEV / "docs"))
        # Written blind (without reading the answering code or the tuned sets) and scored once
        # before any fix; kept as a regression set. Needs the external reports beside news-dev.
        external = SHARED / "corpus" / "external"
        sets.append(
            QuestionSet("blind (external + docs 21-40)", DATA / "blind_questions.jsonl", (external, NEWS_DEV / "docs"))
        )
    return [s for s in sets if s.questions.exists()]


def _norm(text: str) -> str:
    from store.normalize import to_simplified

    return to_simplified("".join(unicodedata.normalize("NFKC", text or "").split()))


def _right(q: dict[str, Any], text: str | None, figure: str | None) -> bool:
    if q.get("expect_none"):
        return text is None
    if text is None:
        return False
    if not all(_norm(e) in _norm(text) for e in q.get("expect", [])):
        return False
    return not q.get("figure") or _norm(q["figure"]) in _norm(figure or "")


def categories(q: dict[str, Any], corrected: bool) -> list[str]:
    """The categories a question falls in: kind asked, traditional, typo, filler, region-bound, list."""
    from store.normalize import to_simplified
    from store.question import FILLERS, parse

    parsed = parse(q["q"])
    out = [f"kind:{parsed.kind or 'any'}"]
    tags = set(q.get("tags", []))
    if to_simplified(q["q"]) != q["q"] or "traditional" in tags:
        out.append("traditional")
    if corrected or "typo" in tags:
        out.append("typo")
    if any(w in q["q"] for w in FILLERS if len(w) > 1) or "filler" in tags:
        out.append("filler")
    if parsed.places or "region" in tags:
        out.append("region-bound")
    if parsed.kind == "list" or "list" in tags:
        out.append("list")
    if q.get("expect_none"):
        out.append("no answer")
    return out


def _baseline(index: Any) -> Callable[[str], int | None]:
    """rank_bm25 over the index's sentences and their stored tokens (read back from the database)."""
    from rank_bm25 import BM25Okapi

    from store.tokenize import index_tokens

    corpus = [index_tokens(index.search_text(r)) or ["\x00"] for r in range(index.size)]
    bm25 = BM25Okapi(corpus)

    def top(question: str) -> int | None:
        from store.normalize import normalize_question

        scores = bm25.get_scores(index_tokens(normalize_question(question)))
        best = int(scores.argmax()) if len(scores) else -1
        return best if best >= 0 and scores[best] > 0 else None

    return top


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_questions(qset: QuestionSet) -> list[dict[str, Any]]:
    """A set's questions, each with its expected `figure` (its own, else the set's figures file)."""
    figures = {f["id"]: f["figure"] for f in _jsonl(qset.figures)} if qset.figures else {}
    return [{**q, "figure": q.get("figure") or figures.get(q["id"])} for q in _jsonl(qset.questions)]


def evaluate(qset: QuestionSet) -> dict[str, Any]:
    """Run one set through the store and the baseline; per-question results and per-category counts."""
    from store.answering import parse_question
    from store.service import FactStore

    questions = load_questions(qset)
    with tempfile.TemporaryDirectory(prefix="acc-") as tmp:
        store = FactStore.open(f"sqlite:///{Path(tmp) / 'bot.db'}")
        if qset.docs is not None:
            folders = qset.docs if isinstance(qset.docs, tuple) else (qset.docs,)
            store.ingest_paths(sorted(p for folder in folders for p in folder.glob("*.txt")))
        index = store.index
        baseline = _baseline(index)
        rows = []
        for q in questions:
            answers = store.ask(q["q"])
            top = answers[0] if answers else None
            row = baseline(q["q"])
            base_text = index.texts[row] if row is not None else None
            base_fig = next((f.span for f in sorted(index.read_facts(row), key=lambda f: f.start)), None) if (
                row is not None) else None
            corrected = bool(parse_question(q["q"], index).corrections)
            rows.append({
                "id": q["id"], "q": q["q"], "none": bool(q.get("expect_none")),
                "ok": _right(q, top.text if top else None, top.figure if top else None),
                "base_ok": _right(q, base_text, base_fig), "categories": categories(q, corrected),
            })
    return {"set": qset.name, "questions": rows}


def _pct(good: int, total: int) -> str:
    return f"{good}/{total} ({100 * good / total:.0f}%)" if total else "—"


def report(results: list[dict[str, Any]]) -> str:
    """One table per set: overall figure-level and abstention accuracy, then per category, bot vs rank_bm25."""
    out = []
    for r in results:
        rows = r["questions"]
        answerable = [x for x in rows if not x["none"]]
        none = [x for x in rows if x["none"]]
        table = [
            ["figure-level (answerable)", _pct(sum(x["ok"] for x in answerable), len(answerable)),
             _pct(sum(x["base_ok"] for x in answerable), len(answerable))],
            ["abstention (expect_none)", _pct(sum(x["ok"] for x in none), len(none)),
             _pct(sum(x["base_ok"] for x in none), len(none))],
        ]
        by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for x in rows:
            for c in x["categories"]:
                by_cat[c].append(x)
        for cat in sorted(by_cat):
            xs = by_cat[cat]
            table.append([cat, _pct(sum(x["ok"] for x in xs), len(xs)), _pct(sum(x["base_ok"] for x in xs), len(xs))])
        out.append(f"{r['set']}\n" + common.table(["", "bot", "rank_bm25"], table))
        wrong = [x for x in rows if not x["ok"]]
        if wrong:
            out.append("  wrong: " + ", ".join(f"{x['id']}" for x in wrong))
    return "\n\n".join(out)


def run(sets: list[QuestionSet] | None = None) -> dict[str, Any]:
    """Evaluate every set, print the tables and write bench/out/accuracy_sets.json."""
    results = [evaluate(s) for s in (sets if sets is not None else default_sets())]
    text = report(results)
    path = common.write_result("accuracy_sets", {"results": results, "table": text})
    print(text)
    print(f"({path})")
    return {"results": results, "table": text}
