"""Telegram HTML primitives every message shares: one escape, one 4096 splitter, one source line."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Protocol

from render import texts

MAX_MESSAGE = 4096  # Telegram's limit on one message, in UTF-16 code units
TITLE_MAX = 80  # characters of a document title in list items and digests

_SENTENCE_END = frozenset("。！？!?；;…")
_ATOM_RE = re.compile(r"<[^<>]*>|&#?\w+;|[\s\S]")
_TAG_NAME_RE = re.compile(r"</?([a-zA-Z][\w-]*)")


class SourceDocument(Protocol):
    """What a source line shows of a document (store.views.DocumentInfo, store.digest.DigestDocument)."""

    @property
    def title(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def regions(self) -> tuple[str, ...]: ...

    @property
    def date(self) -> str | None: ...

    @property
    def year(self) -> int | None: ...

    @property
    def url(self) -> str | None: ...


# --- text primitives ----------------------------------------------------------------------


def esc(text: object) -> str:
    """Escape text for Telegram HTML (&, <, > and quotes, so it is safe inside attributes too)."""
    return html.escape(str(text), quote=True)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram's 4096 limit counts."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """Collapse whitespace and cut to `limit` characters with an ellipsis (plain text)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(1, limit - 1)].rstrip() + texts.ELLIPSIS


def link_html(inner_html: str, url: str | None) -> str:
    """Wrap already-escaped HTML in a link to `url` (http/https only), else return it unchanged."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return inner_html
    return f'<a href="{esc(url)}">{inner_html}</a>'


def mark_span(text: str, span: str | None, at: int | None = None) -> str:
    """Escape `text`, putting `span` in bold: at offset `at` when it stands there, else its first occurrence."""
    if span:
        if at is None or text[at : at + len(span)] != span:
            at = text.find(span)
        if at >= 0:
            return f"{esc(text[:at])}<b>{esc(span)}</b>{esc(text[at + len(span):])}"
    return esc(text)


def snippet(text: str, span: str | None = None, width: int = 100, *, bold: bool = True) -> str:
    """Escaped window of `text` around `span` (bold unless told otherwise), with ellipses."""
    text = " ".join(text.split())
    if len(text) > width:
        at = text.find(span) if span else -1
        start = 0 if at < 0 else max(0, min(at - width // 3, len(text) - width))
        window = text[start : start + width]
        head = texts.ELLIPSIS if start > 0 else ""
        tail = texts.ELLIPSIS if start + width < len(text) else ""
        if span and span not in window:
            span = None
        body = mark_span(window, span) if bold else esc(window)
        return head + body + tail
    return mark_span(text, span) if bold else esc(text)


def highlight(text: str, terms: Sequence[str]) -> str:
    """Escape `text`, putting every occurrence of any term (case-insensitive) in bold."""
    needles = sorted({t for t in terms if t}, key=len, reverse=True)
    if not needles:
        return esc(text)
    pattern = re.compile("|".join(re.escape(t) for t in needles), re.IGNORECASE)
    out, pos = [], 0
    for match in pattern.finditer(text):
        out.append(esc(text[pos : match.start()]))
        out.append(f"<b>{esc(match.group(0))}</b>")
        pos = match.end()
    out.append(esc(text[pos:]))
    return "".join(out)


# --- the source line ----------------------------------------------------------------------


def doc_date(doc: SourceDocument) -> str:
    """The best-known date of a document, or 日期不详."""
    return doc.date or (str(doc.year) if doc.year else texts.UNKNOWN_DATE)


def source_line(doc: SourceDocument | None) -> str:
    """`title · region · date`, escaped; the title links to the document's URL when it has one."""
    if doc is None:
        return texts.UNKNOWN_SOURCE
    parts = [doc.title or doc.name, "、".join(doc.regions), doc_date(doc)]
    shown = [esc(p) for p in parts if p]
    if shown:
        shown[0] = link_html(shown[0], doc.url)
    return " · ".join(shown)


# --- splitting ------------------------------------------------------------------------------


def _tag(atom: str) -> tuple[str, bool] | None:
    """(name, is_closing) for a tag atom, else None."""
    if not atom.startswith("<") or len(atom) < 3:
        return None
    match = _TAG_NAME_RE.match(atom)
    if match is None:
        return None
    return match.group(1).lower(), atom.startswith("</")


def split_html(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split well-formed HTML into messages of ≤ `limit` UTF-16 units.

    Cuts fall on a line break or sentence end when there is one (never inside a tag or an
    entity); tags open at a cut are closed at the end of one message and reopened at the start
    of the next. Sizes are counted on the raw HTML, which is never less than what Telegram
    counts after parsing, so every piece is accepted.
    """
    if not text.strip():
        return []
    if utf16_len(text) <= limit:
        return [text]
    atoms = _ATOM_RE.findall(text)
    chunks: list[str] = []
    start = 0
    open_tags: list[tuple[str, str]] = []  # (name, opening tag) at `start`
    while start < len(atoms):
        prefix = [opening for _, opening in open_tags]
        stack = list(open_tags)
        size = sum(utf16_len(p) for p in prefix)
        closing = sum(len(name) + 3 for name, _ in stack)
        line_break = sentence_break = None
        i = start
        while i < len(atoms):
            atom = atoms[i]
            tag = _tag(atom)
            new_closing = closing
            if tag is not None:
                new_closing += -(len(tag[0]) + 3) if tag[1] else len(tag[0]) + 3
            if size + utf16_len(atom) + new_closing > limit and i > start:
                break
            size += utf16_len(atom)
            closing = new_closing
            if tag is not None:
                if tag[1]:
                    if stack and stack[-1][0] == tag[0]:
                        stack.pop()
                else:
                    stack.append((tag[0], atom))
            i += 1
            if atom == "\n":
                line_break = (i, list(stack), size)
            elif atom in _SENTENCE_END:
                sentence_break = (i, list(stack), size)
        if i >= len(atoms):
            chunks.append("".join(prefix + atoms[start:]).rstrip())
            break
        if line_break and line_break[2] >= limit // 2:
            cut, cut_stack = line_break[0], line_break[1]
        elif sentence_break or line_break:
            best = max((b for b in (sentence_break, line_break) if b), key=lambda b: b[0])
            cut, cut_stack = best[0], best[1]
        else:
            cut, cut_stack = i, stack
        closers = "".join(f"</{name}>" for name, _ in reversed(cut_stack))
        chunks.append("".join(prefix + atoms[start:cut]).rstrip() + closers)
        start = cut
        while start < len(atoms) and atoms[start].isspace():
            start += 1
        open_tags = cut_stack
    return [c for c in chunks if visible_text(c).strip()]


def visible_text(fragment: str) -> str:
    """The text Telegram would show for an HTML fragment."""
    return html.unescape(re.sub(r"<[^<>]*>", "", fragment))


def first_message(text: str, limit: int = MAX_MESSAGE) -> str:
    """The first message of `text`, with an ellipsis when the rest was dropped."""
    parts = split_html(text, limit - 1)
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return parts[0] + texts.ELLIPSIS
