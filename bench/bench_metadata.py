"""Document metadata (title, date, regions) against hand-written gold for the news-dev texts.

Gold: tests/data/news_dev_metadata.jsonl, written by reading ../shared/corpus/news-dev/docs (metadata
only). A title is right when it equals the gold title (or an accepted variant) once whitespace,
punctuation, pinyin glosses and traditional characters are folded away; a text without a headline
has "title": null and its title is right when it starts the way the text's first body sentence does
("lead"). A date is right when it equals the gold date (or one in "date_ok"); it is *invented* when
it claims more than the gold allows (a different day, a day where only the year is certain, any date
where the text gives none). The primary place (first gold region) must be among the regions.

Docs 01–20 are for tuning, 21–40 for checking; both halves are reported.

    python -m bench.bench_metadata [--docs DIR] [--verbose] [--cli]

--cli scores what `python -m bot sources --jsonl` reports after `python -m bot ingest DIR` into a
temporary database (the contract the project is scored through) instead of parsing in-process.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "news_dev_metadata.jsonl"
DOCS = ROOT.parent / "shared" / "corpus" / "news-dev" / "docs"
TUNE_LAST = 20  # docs 01–20 tune, 21–40 check

_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
_NOISE = re.compile(r"[\s\u3000,，:：;；!！?？、·•|丨—\-–\"“”'‘’《》〈〉()（）【】\[\]]+")


def fold(text: str) -> str:
    """Title/lead comparison form: no glosses, spaces or punctuation; simplified characters."""
    from store.normalize import fold_width, to_simplified

    return _NOISE.sub("", to_simplified(fold_width(_PINYIN.sub("", text))))


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    """The gold records, in file order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def title_ok(gold: dict[str, Any], title: str) -> bool:
    """True when the title matches the gold title, a variant, or (no headline) the lead."""
    got = fold(title)
    if not got:
        return False
    if gold.get("title") is None:
        leads = [fold(lead)[:8] for lead in gold.get("lead", [])]
        return any(got[: len(lead)] == lead for lead in leads)
    return got in {fold(t) for t in [gold["title"], *gold.get("title_alt", [])]}


def date_verdict(gold: dict[str, Any], date: str | None) -> str:
    """'ok', 'invented' (claims more than the text allows) or 'missed' (less precise or absent)."""
    accepted = [gold.get("date"), *gold.get("date_ok", [])]
    if date in accepted:
        return "ok"
    if date is None:
        return "missed"
    if any(a is not None and a.startswith(date) for a in accepted):
        return "missed"
    return "invented"


def region_ok(gold: dict[str, Any], regions: Iterable[str]) -> bool:
    """True when the gold primary place is among the regions (names compared via the gazetteer)."""
    from store import places

    def key(name: str) -> str:
        place = places.lookup(name)
        return place.name if place else name

    return key(gold["regions"][0]) in {key(r) for r in regions}


@dataclass
class Score:
    """Counts for one half of the set."""

    docs: int = 0
    titles: int = 0
    dates: int = 0
    invented: list[str] = field(default_factory=list)
    regions: int = 0

    def line(self, label: str) -> str:
        """One summary line."""
        n = max(self.docs, 1)
        return (
            f"{label}: titles {self.titles}/{self.docs} ({100 * self.titles / n:.0f}%), "
            f"dates {self.dates}/{self.docs} ({100 * self.dates / n:.0f}%), invented {len(self.invented)}, "
            f"primary place {self.regions}/{self.docs} ({100 * self.regions / n:.0f}%)"
        )


def parse(path: Path) -> dict[str, Any]:
    """The metadata the ingestion pipeline derives from one text file."""
    from store.ingest.decode import decode_bytes
    from store.ingest.parse import parse_document

    doc = parse_document(decode_bytes(path.read_bytes(), name=path.name), name=path.name)
    return {"title": doc.title, "date": doc.date, "regions": doc.regions}


def via_cli(docs: Path) -> dict[str, dict[str, Any]]:
    """Metadata per document as `python -m bot sources --jsonl` reports it after ingesting the folder."""
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bot.db'}"}
        env.pop("TELEGRAM_BOT_TOKEN", None)
        run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "check": True}
        subprocess.run([sys.executable, "-m", "bot", "ingest", str(docs)], **run)  # type: ignore[call-overload]
        out = subprocess.run([sys.executable, "-m", "bot", "sources", "--jsonl"], **run)  # type: ignore[call-overload]
    return {r["doc"]: r for r in map(json.loads, out.stdout.splitlines())}


def evaluate(docs: Path = DOCS, *, verbose: bool = False, cli: bool = False) -> tuple[Score, Score]:
    """Score the tuning half (01–20) and the check half (21–40)."""
    tune, check = Score(), Score()
    reported = via_cli(docs) if cli else {}
    for gold in load_gold():
        got = reported[gold["doc"]] if cli else parse(docs / gold["doc"])
        half = tune if int(gold["doc"][:2]) <= TUNE_LAST else check
        half.docs += 1
        t_ok = title_ok(gold, got["title"])
        verdict = date_verdict(gold, got["date"])
        r_ok = region_ok(gold, got["regions"])
        half.titles += t_ok
        half.dates += verdict == "ok"
        half.regions += r_ok
        if verdict == "invented":
            half.invented.append(f"{gold['doc']}: {got['date']} (gold {gold.get('date')})")
        if verbose and not (t_ok and verdict == "ok" and r_ok):
            print(
                f"{gold['doc']}\n  title {'ok ' if t_ok else 'BAD'} {got['title']!r}\n"
                f"  date  {verdict:8} {got['date']!r} (gold {gold.get('date')!r} {gold.get('date_ok', [])})\n"
                f"  place {'ok ' if r_ok else 'BAD'} {got['regions']} (gold {gold['regions'][0]})"
            )
    return tune, check


def main(argv: list[str] | None = None) -> int:
    """Print the scores of both halves; exit 1 when the corpus is missing."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=Path, default=DOCS)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--cli", action="store_true", help="score `python -m bot sources --jsonl` output")
    args = ap.parse_args(argv)
    if not args.docs.is_dir():
        print(f"news-dev docs not found at {args.docs}", file=sys.stderr)
        return 1
    tune, check = evaluate(args.docs, verbose=args.verbose, cli=args.cli)
    print(tune.line("docs 01-20 (tune)"))
    print(check.line("docs 21-40 (check)"))
    for s in (*tune.invented, *check.invented):
        print("  invented:", s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
