"""Ingestion rows of traditional and spaced text: tokens from the simplified form, fact spans as written."""

from __future__ import annotations

from store.ingest.parse import parse_document
from store.ingest.writer import _prepare_rows

TEXT = (
    "西寧經開區去年經濟運行情況\n\n"
    "2024年，西寧經開區完成地區生產總值407.8 億元，同比增長6 . 5%。\n"
    "全區新增市場主體1 454戶，在全國國家級經開區綜合排名中位列第115位，較上年躍升21位。\n"
)


def test_tokens_are_simplified_and_facts_keep_the_source_text() -> None:
    parsed = parse_document(TEXT, name="trad.txt")
    rows, facts = _prepare_rows(parsed)
    body = [(row, found) for row, found in zip(rows, facts, strict=True) if found]
    assert body
    tokens = " ".join(row[4] for row, _ in body).split()
    assert "西宁" in tokens and "地区" in tokens and "增长" in tokens
    assert "區" not in "".join(tokens) and "億" not in "".join(tokens)
    spans = {}
    for row, found in body:
        text = row[3]
        for f in found:
            span, start, end = f[1], f[2], f[3]
            assert text[start:end] == span
            spans[span] = f
    assert spans["407.8 億元"][4] == 407.8e8
    assert spans["6 . 5%"][4] == 6.5
    assert spans["1 454戶"][5] == "户"
    assert spans["第115位"][0] == "rank"
    assert (spans["躍升21位"][0], spans["躍升21位"][5]) == ("rank", "rank_change")
    assert spans["407.8 億元"][10] == "地区生产总值"  # the metric is a simplified word of the clause
