"""Sources to article text: which reader a file or response needs (text, HTML, PDF, DOCX) and its metadata."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from store.ingest.decode import IngestError, decode_bytes
from store.ingest.parse import ParsedDocument, parse_document

log = logging.getLogger(__name__)

KIND_TEXT = "text"
KIND_HTML = "html"
KIND_PDF = "pdf"
KIND_DOCX = "docx"

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SUFFIX_KINDS = {
    ".txt": KIND_TEXT,
    ".md": KIND_TEXT,
    ".html": KIND_HTML,
    ".htm": KIND_HTML,
    ".shtml": KIND_HTML,
    ".pdf": KIND_PDF,
    ".docx": KIND_DOCX,
}
SUPPORTED_SUFFIXES = tuple(SUFFIX_KINDS)
CONTENT_TYPE_KINDS = {
    "text/html": KIND_HTML,
    "application/xhtml+xml": KIND_HTML,
    "text/plain": KIND_TEXT,
    "text/markdown": KIND_TEXT,
    "application/pdf": KIND_PDF,
    DOCX_MIME: KIND_DOCX,
}
# Servers that do not say what they send: fall back on the URL's file suffix.
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})


@dataclass(frozen=True, slots=True)
class Source:
    """Article text from one source, and what the source itself says (title, day, canonical URL)."""

    text: str
    kind: str = KIND_TEXT
    title: str = ""
    date: str | None = None  # YYYY-MM-DD from metadata, a dateline or the feed
    date_source: str | None = None
    url: str | None = None


def kind_of_name(name: str) -> str | None:
    """The reader for a file name by its suffix, or None when the type is not accepted."""
    return SUFFIX_KINDS.get(PurePosixPath(name).suffix.lower())


def kind_of_response(url: str, content_type: str) -> str | None:
    """The reader for a fetched body by its Content-Type (or the URL suffix when untyped)."""
    if content_type in CONTENT_TYPE_KINDS:
        return CONTENT_TYPE_KINDS[content_type]
    if content_type in _UNTYPED:
        return kind_of_name(urlsplit(url).path) or (KIND_HTML if not content_type else None)
    return None


def suffix_reason(name: str) -> str:
    """Why a file type is refused, listing the accepted ones."""
    shown = PurePosixPath(name).suffix or "（无扩展名）"
    return f"不支持的文件类型 {shown}（只接受 {' / '.join(SUPPORTED_SUFFIXES)}）"


def read_source(
    data: bytes, *, name: str, kind: str, url: str | None = None, charset: str | None = None
) -> Source:
    """Turn a file's or response's bytes into article text with the source's own metadata."""
    if kind == KIND_TEXT:
        return Source(decode_bytes(data, name=name), kind, url=url)
    if not data.strip():
        raise IngestError(name, "文件为空")
    if kind == KIND_HTML:
        from store.ingest.html import decode_html, extract_page

        page = extract_page(decode_html(data, declared=charset), url=url, name=name)
        if not page.text.strip():
            raise IngestError(name, "网页中没有找到正文")
        return Source(page.text, kind, page.title, page.date, page.date_source, page.url)
    if kind == KIND_PDF:
        from store.ingest.office import pdf_text

        return Source(pdf_text(data, name=name), kind, url=url)
    if kind == KIND_DOCX:
        from store.ingest.office import docx_text

        return Source(docx_text(data, name=name), kind, url=url)
    raise IngestError(name, suffix_reason(name))


def parse_source(source: Source, *, name: str) -> ParsedDocument:
    """Parse a source's text; what the source states (title, day, URL) wins over what is inferred."""
    text = source.text
    title = source.title.strip()
    if title and not text.lstrip().startswith(title):
        text = f"{title}\n\n{text}"
    parsed = parse_document(text, name=name)
    if title:
        parsed.title = title
    if source.date:
        parsed.date = source.date
        parsed.date_source = source.date_source
        parsed.year = int(source.date[:4])
    parsed.url = source.url
    return parsed
