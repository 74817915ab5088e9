"""PDF and Word (.docx) files to plain text (pypdf, python-docx); scans and encrypted files are refused."""

from __future__ import annotations

import io
import logging
import re

from store.ingest.decode import IngestError

log = logging.getLogger(__name__)

# Page furniture a PDF repeats on every page: "— 3 —", "- 12 -", "第 3 页", "3 / 20".
_PAGE_NUMBER = re.compile(r"^(?:[—\-－–]\s*\d{1,4}\s*[—\-－–]|第\s*\d{1,4}\s*页(?:\s*/?\s*共\s*\d+\s*页)?|\d{1,4}\s*/\s*\d{1,4}|\d{1,4})$")


def pdf_text(data: bytes, *, name: str) -> str:
    """The text of a PDF, page by page (line breaks as laid out; paragraph repair re-joins them)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported encryption
                raise IngestError(name, "PDF 已加密，无法读取") from exc
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        log.info("cannot read PDF %s: %r", name, exc)
        raise IngestError(name, "无法读取 PDF（文件损坏或不完整）") from exc
    lines = [
        line
        for page in pages
        for line in page.splitlines()
        if not _PAGE_NUMBER.match(line.strip())
    ]
    text = "\n".join(lines)
    if sum(1 for ch in text if not ch.isspace()) < 20:
        raise IngestError(name, "PDF 中没有可提取的文字（可能是扫描件）")
    return text


def docx_text(data: bytes, *, name: str) -> str:
    """The paragraphs and table cells of a Word .docx file, one paragraph per line."""
    import zipfile

    from docx import Document
    from docx.opc.exceptions import OpcError

    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, OpcError, KeyError, ValueError) as exc:
        raise IngestError(name, "无法读取 Word 文件（不是有效的 .docx）") from exc
    lines = [p.text.strip() for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
            if cells:
                lines.append("\t".join(cells))
    text = "\n\n".join(line for line in lines if line)
    if not text.strip():
        raise IngestError(name, "Word 文件中没有文字")
    return text
