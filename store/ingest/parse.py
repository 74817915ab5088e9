"""The parsed document and the pipeline from text to it (normalise, repair, tag, metadata)."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field

from store.ingest.metadata import (
    _derive_title,
    find_regions,
    find_year,
    mark_chrome,
    mark_delivery,
    publication_date,
)
from store.ingest.repair import (
    _NOT_A_NAME,
    _ROLE_RE,
    _TRAILING_AUTHORS,
    KIND_BODY,
    KIND_BYLINE,
    KIND_CAPTION,
    KIND_CHROME,
    KIND_HEADING,
    KIND_TITLE,
    _body_like,
    _is_heading_like,
    _is_standalone_caption,
    _Para,
    _repair_paragraphs,
    normalize_lines,
    split_sentences,
)
from store.tables import TextTable, find_tables

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ParsedParagraph:
    """One paragraph after repair and tagging: its role and its sentences."""

    kind: str  # body | heading | title | caption | byline
    sentences: list[str]
    table: TextTable | None = None  # a text table: its header line, then one sentence per row

    @property
    def text(self) -> str:
        """The paragraph's text (sentences concatenated)."""
        return "".join(self.sentences)


@dataclass(slots=True)
class ParsedDocument:
    """A normalised, repaired and tagged document with its metadata."""

    title: str
    regions: list[str]
    authors: list[str]
    year: int | None
    date: str | None
    date_source: str | None
    paragraphs: list[ParsedParagraph]
    text: str = ""  # the normalised text the content hash is taken over
    joins: list[str] = field(default_factory=list)  # repaired line breaks, "left|right" excerpts
    url: str | None = None  # the page's canonical link, when the document came from the web

    @property
    def content_hash(self) -> str:
        """sha256 of the normalised text (the document's identity)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def sentences(self, *kinds: str) -> list[str]:
        """All sentences, or those of the given paragraph kinds, in reading order."""
        return [s for p in self.paragraphs if not kinds or p.kind in kinds for s in p.sentences]


def parse_document(text: str, *, name: str) -> ParsedDocument:
    """Normalise, repair, tag and split a document's text, and derive its metadata (pure)."""
    lines = normalize_lines(text)
    normalized = "\n".join(lines)
    # Text tables are read apart (row by row); the prose around them is repaired as before.
    tables = find_tables(lines)
    paras: list[_Para] = []
    joins: list[str] = []
    after: dict[int, list[TextTable]] = {}  # id of the paragraph a table follows (-1: none) → tables
    start = 0
    for table in [*tables, None]:
        segment = lines[start : table.first] if table is not None else lines[start:]
        part, part_joins = _repair_paragraphs(segment)
        paras.extend(part)
        joins.extend(part_joins)
        if table is not None:
            after.setdefault(id(paras[-1]) if paras else -1, []).append(table)
            start = table.last + 1
    if joins:
        log.debug("%s: re-joined %s broken lines", name, len(joins))

    # Split trailing author lists "(王凯 王敏 李贝科)" off their paragraph.
    expanded: list[_Para] = []
    for para in paras:
        m = None if para.kind else _TRAILING_AUTHORS.search(para.text)
        if m:
            names = [
                n
                for n in re.split(r"[\s、]+", re.sub(_ROLE_RE, " ", m.group("names")))
                if n and not _NOT_A_NAME.search(n)
            ]
            if len(names) >= 2 or (names and re.match(_ROLE_RE, m.group("names"))):
                tail = m.group().strip()
                para.text = para.text[: m.start()].rstrip()
                expanded.append(para)
                expanded.append(_Para(tail, 0, para.gap_after, KIND_BYLINE, names=names))
                continue
        expanded.append(para)
    paras = expanded

    for i, para in enumerate(paras):
        if para.kind:
            continue
        if "维基文库" in para.text or ("公有领域" in para.text and "著作权法" in para.text):
            para.kind = KIND_BYLINE  # the wiki's licence note, not part of the report
        elif _is_standalone_caption(paras, i):
            para.kind = KIND_CAPTION

    mark_delivery(paras)
    mark_chrome(paras)
    body_text = "\n".join(p.text for p in paras if p.kind not in (KIND_BYLINE, KIND_CHROME))
    title, title_paras = _derive_title(paras, body_text)
    for para in paras:
        if para.kind == KIND_TITLE and para not in title_paras:
            para.kind = ""  # a first line locked as the title that turned out not to be it
    for para in title_paras:
        para.kind = KIND_TITLE
    lead = next((p.text for p in paras if not p.kind and _body_like(p.text)), "")
    for para in paras:
        if para.kind:
            continue
        para.kind = KIND_HEADING if _is_heading_like(para.text) else KIND_BODY

    delivery = " ".join(p.text for p in paras[:15] if p.kind == KIND_BYLINE and "人民代表大会" in p.text)
    # A title made from the lead's first sentence is no headline: it gets no title weight.
    regions = find_regions(title if title_paras else "", lead, body_text, delivery=delivery)
    year, _year_note = find_year(normalized)
    date, date_source = publication_date(paras, body_text, lead)
    if date is not None and date_source is not None and not date_source.startswith("year:"):
        year = int(date[:4])  # 今年/去年 in the text are relative to when it was written
    authors = list(dict.fromkeys(n for p in paras if p.kind == KIND_BYLINE for n in p.names))
    out = [ParsedParagraph(KIND_BODY, t.sentences(), t) for t in after.get(-1, [])]
    for p in paras:
        out.append(ParsedParagraph(p.kind, split_sentences(p.text)))
        out.extend(ParsedParagraph(KIND_BODY, t.sentences(), t) for t in after.get(id(p), []))
    return ParsedDocument(
        title=title,
        regions=regions,
        authors=authors,
        year=year,
        date=date,
        date_source=date_source,
        paragraphs=[p for p in out if p.sentences],
        text=normalized,
        joins=joins,
    )
