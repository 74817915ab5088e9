"""HTML ingestion throughput against bare trafilatura extraction of the same pages, in the same run.

`python -m bench.bench_ingest_html --pages 150 --runs 3` wraps the first N articles of the 1k
archive in the three site layouts of the tests (an old GBK table portal, a news site, a page whose
date and title are in <meta>), writes them as .html files and alternates: (a) a fresh worker
process warms up (one small ingest into a throw-away database), then ingests the pages through
`FactStore.ingest_paths` into a fresh SQLite database, as `python -m bot ingest` does (decode,
trafilatura, chrome filter, repair, metadata, jieba, extraction, index refresh), and (b) this
process runs bare `trafilatura.extract(page, favor_precision=True)` on the same bytes, then our
page reader alone (`store.ingest.sources.read_source`: charset, trafilatura, chrome filter, title,
date, canonical URL — no jieba, no extraction, no writes). Throughputs are
medians over the runs, in characters of the article text per second; the ratio is per run.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import common, corpus

log = logging.getLogger(__name__)

RESULT = "RESULT "
PAGES_DIR = "html_pages"


def _article(text: str, index: int) -> Any:
    from tests.webkit import Article

    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title = lines[0][:60] if lines else f"第{index}篇"
    body = [line for line in lines[1:] if len(line) > 1] or [title + "。"]
    return Article(title, f"2023-{index % 12 + 1:02d}-{index % 27 + 1:02d}", "示范区融媒体中心", body)


def write_pages(count: int, seed: int) -> tuple[list[Path], list[int]]:
    """The first `count` archive articles as .html pages in the three layouts; (paths, text chars)."""
    from tests.webkit import LAYOUTS

    source = common.corpus_dir(1000, seed)
    corpus.ensure_corpus(source, 1000, seed)
    texts = list(corpus.iter_texts(corpus.article_paths(source)[:count]))
    folder = common.OUT_DIR / PAGES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.html"):
        old.unlink()
    layouts = sorted(LAYOUTS)
    paths = []
    for i, text in enumerate(texts):
        layout = layouts[i % len(layouts)]
        path = folder / f"{i:04d}_{layout}.html"
        path.write_bytes(LAYOUTS[layout](_article(text, i)))
        paths.append(path)
    return paths, [len(t) for t in texts]


def worker(pages: list[Path], warm: list[Path], db: Path) -> dict[str, Any]:
    """In a fresh process: warm up, then ingest the pages into a fresh database and time it."""
    from store.service import FactStore

    for path in (db, db.with_suffix(".warm.db")):
        path.unlink(missing_ok=True)
    FactStore.open(f"sqlite:///{db.with_suffix('.warm.db')}", seed=False).ingest_paths(warm)
    store = FactStore.open(f"sqlite:///{db}", seed=False)
    store.warm()
    t = time.perf_counter()
    reports = store.ingest_paths(pages)
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "added": sum(1 for r in reports if r.status == "added"),
        "refused": [f"{r.name}: {r.reason}" for r in reports if not r.ok][:5],
        "sentences": sum(r.sentences for r in reports),
        "facts": sum(r.facts for r in reports),
    }


def _spawn(spec: Path, db: Path) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.bench_ingest_html", "--worker", "--spec", str(spec), "--db", str(db)]
    proc = subprocess.run(cmd, cwd=common.ROOT, env=common.bench_env(f"sqlite:///{db.resolve()}"),
                          capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"ingest worker failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT):])
    return result


def _bare_seconds(pages: Sequence[bytes]) -> tuple[float, int]:
    """Seconds for bare trafilatura on every page, and the characters it returned."""
    from trafilatura import extract

    t = time.perf_counter()
    chars = 0
    for page in pages:
        chars += len(extract(page, favor_precision=True) or "")
    return time.perf_counter() - t, chars


def _reading_seconds(pages: Sequence[bytes]) -> float:
    """Seconds for our page reader alone (charset, trafilatura, chrome filter, title, date, URL)."""
    from store.ingest.sources import KIND_HTML, read_source

    t = time.perf_counter()
    for page in pages:
        read_source(page, name="bench.html", kind=KIND_HTML)
    return time.perf_counter() - t


def run(*, pages: int, runs: int, seed: int = common.DEFAULT_SEED) -> dict[str, Any]:
    """Measure; print the table; write bench/out/ingest_html.json."""
    paths, sizes = write_pages(pages + 3, seed)
    paths, warm = paths[:pages], paths[pages:]
    chars = sum(sizes[:pages])
    spec = common.OUT_DIR / "ingest_html_spec.json"
    spec.write_text(json.dumps({"pages": [str(p) for p in paths], "warm": [str(p) for p in warm]}), encoding="utf-8")
    blobs = [p.read_bytes() for p in paths]
    page_bytes = sum(len(b) for b in blobs)
    _bare_seconds(blobs[:3])  # trafilatura's own imports and caches
    _reading_seconds(blobs[:3])
    db = common.OUT_DIR / "ingest_html_tmp.db"
    rows = []
    for i in range(runs):
        res = _spawn(spec, db)
        if res["refused"]:
            log.warning("refused during ingestion: %s", res["refused"])
        bare, bare_chars = _bare_seconds(blobs)
        reading = _reading_seconds(blobs)
        rows.append({"ingest": res["seconds"], "reading": reading, "trafilatura": bare, "added": res["added"],
                     "sentences": res["sentences"], "facts": res["facts"], "bare_chars": bare_chars,
                     "loadavg": common.machine_info()["loadavg"]})
        log.info("run %s: ingest %.2f s, bare trafilatura %.2f s", i + 1, res["seconds"], bare)
    ingest_s = common.median([r["ingest"] for r in rows])
    bare_s = common.median([r["trafilatura"] for r in rows])
    ratio = common.median([r["trafilatura"] / r["ingest"] for r in rows])
    read_s = common.median([r["reading"] for r in rows])
    read_ratio = common.median([r["trafilatura"] / r["reading"] for r in rows])
    out = {
        "pages": len(paths), "page_bytes": page_bytes, "runs": rows, "ratio_vs_trafilatura": ratio,
        "article_chars": chars, "ingest_chars_per_s": chars / ingest_s, "trafilatura_chars_per_s": chars / bare_s,
        "ingest_pages_per_s": len(paths) / ingest_s, "trafilatura_pages_per_s": len(paths) / bare_s,
        "ingest_mb_per_s": page_bytes / ingest_s / 1e6, "trafilatura_mb_per_s": page_bytes / bare_s / 1e6,
        "machine": common.machine_info(),
    }
    out["table"] = common.table(
        ["what", "article chars/s", "pages/s", "HTML MB/s", "median s", "vs bare trafilatura (same run)"],
        [
            ["ingest → SQLite (FactStore.ingest_paths, .html)", f"{out['ingest_chars_per_s']:,.0f}",
             f"{out['ingest_pages_per_s']:.1f}",
             f"{out['ingest_mb_per_s']:.2f}", f"{ingest_s:.2f}", f"{ratio:.2f}×"],
            ["page → article text only (store.ingest.html: charset, trafilatura, chrome filter, date)",
             f"{chars / read_s:,.0f}", f"{len(paths) / read_s:.1f}", f"{page_bytes / read_s / 1e6:.2f}",
             f"{read_s:.2f}", f"{read_ratio:.2f}×"],
            ["trafilatura.extract(favor_precision=True) (bare)", f"{out['trafilatura_chars_per_s']:,.0f}",
             f"{out['trafilatura_pages_per_s']:.1f}",
             f"{out['trafilatura_mb_per_s']:.2f}", f"{bare_s:.2f}", "1.00×"],
        ],
    )
    path = common.write_result("ingest_html", out)
    print(out["table"])
    print(f"({len(paths)} pages in 3 layouts, {page_bytes / 1e6:.1f} MB of HTML, {chars:,} article chars, "
          f"{rows[0]['added']} documents, {rows[0]['sentences']:,} sentences, {rows[0]['facts']:,} facts; "
          f"medians of {runs} alternating runs, a fresh ingest process per run; {path})")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_ingest_html", description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, default=150, help="archive articles to wrap as pages")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=common.DEFAULT_SEED)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        spec = json.loads(args.spec.read_text(encoding="utf-8"))
        result = worker([Path(x) for x in spec["pages"]], [Path(x) for x in spec["warm"]], args.db)
        print(RESULT + json.dumps(result), flush=True)
        return 0
    common.setup_logging()
    run(pages=args.pages, runs=args.runs, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
