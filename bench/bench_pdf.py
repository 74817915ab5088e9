"""PDF readers for CJK work reports: pypdf against pdfplumber on PDFs made from the external reports.

`python -m bench.bench_pdf [--reports 3] [--runs 3]` lays out reports of
`../shared/corpus/external` as A4 PDFs (reportlab, built-in STSong-Light CJK font, one paragraph
per source line), extracts the text with each reader and compares it with the source: characters
recovered (difflib over non-space characters), paragraphs found verbatim after the paragraph
repair (`store.ingest.sources`), and seconds per reader (median of the runs).
"""

from __future__ import annotations

import argparse
import difflib
import html
import io
import logging
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench import common

log = logging.getLogger(__name__)

EXTERNAL = common.ROOT.parent / "shared" / "corpus" / "external"
DEFAULT_REPORTS = ("gwr_2025_province_shandong.txt", "gwr_2025_province_guangdong.txt", "gwr_2024_national_state_council.txt")


def make_pdf(text: str) -> bytes:
    """An A4 PDF of the text, one paragraph per non-empty line."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=16, wordWrap="CJK")
    buf = io.BytesIO()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    SimpleDocTemplate(buf, pagesize=A4).build([Paragraph(html.escape(line), style) for line in lines])
    return buf.getvalue()


def read_pypdf(data: bytes) -> str:
    """Text of every page by pypdf."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def read_pdfplumber(data: bytes) -> str:
    """Text of every page by pdfplumber."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


READERS: dict[str, Callable[[bytes], str]] = {"pypdf": read_pypdf, "pdfplumber": read_pdfplumber}


def _compact(text: str) -> str:
    return "".join(text.split())


def score(source: str, extracted: str) -> dict[str, float]:
    """Share of the source's characters recovered in order, and of its paragraphs found whole."""
    from store.ingest.sources import Source, parse_source

    a, b = _compact(source), _compact(extracted)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    parsed = parse_source(Source(extracted), name="bench.pdf")
    got = _compact("".join(p.text for p in parsed.paragraphs))
    paragraphs = [_compact(line) for line in source.splitlines() if len(line.strip()) >= 20]
    whole = sum(1 for p in paragraphs if p in got)
    return {"recovered": same / max(1, len(a)), "whole": whole / max(1, len(paragraphs))}


def run(*, reports: Sequence[str], runs: int) -> dict[str, Any]:
    """Measure; print the table; write bench/out/pdf.json."""
    rows: list[dict[str, Any]] = []
    for name in reports:
        path = EXTERNAL / name
        if not path.exists():
            log.warning("%s not found; skipped", path)
            continue
        source = path.read_text(encoding="utf-8")
        pdf = make_pdf(source)
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        for reader, read in READERS.items():
            seconds = []
            text = ""
            for _ in range(runs):
                t = time.perf_counter()
                text = read(pdf)
                seconds.append(time.perf_counter() - t)
            quality = score(source, text)
            rows.append({"report": name, "reader": reader, "pages": pages, "chars": len(_compact(source)),
                         "seconds": common.median(seconds), **quality})
            log.info("%s %s: %.2f s, chars %.4f, paragraphs %.3f", name, reader, common.median(seconds),
                     quality["recovered"], quality["whole"])
    out: dict[str, Any] = {"rows": rows, "machine": common.machine_info()}
    out["table"] = common.table(
        ["report", "reader", "pages", "source chars", "chars recovered", "paragraphs whole", "seconds"],
        [[r["report"], r["reader"], r["pages"], f"{r['chars']:,}", f"{r['recovered'] * 100:.2f} %",
          f"{r['whole'] * 100:.1f} %", f"{r['seconds']:.2f}"] for r in rows],
    )
    path = common.write_result("pdf", out)
    print(out["table"])
    print(f"(median of {runs} runs per reader; {path})")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_pdf", description=__doc__.splitlines()[0])
    p.add_argument("--reports", nargs="*", default=list(DEFAULT_REPORTS), help="file names in shared/corpus/external")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    common.setup_logging()
    if not EXTERNAL.exists():
        print(f"{EXTERNAL} not found", file=sys.stderr)
        return 2
    run(reports=args.reports, runs=args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
