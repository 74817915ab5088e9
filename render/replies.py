"""Answers, lists and documents as Telegram HTML with buttons (pure: store values in, text out).

Nothing here talks to Telegram or the database; every function is a plain value transformation,
so it is tested without a bot. All source and user text passes through `esc`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from render import texts
from render.html import (
    MAX_MESSAGE,
    doc_date,
    esc,
    first_message,
    highlight,
    mark_span,
    shorten,
    snippet,
    source_line,
    split_html,
    utf16_len,
    visible_text,
)
from store.views import Answer, DocumentInfo, FactHit, SentenceHit

if TYPE_CHECKING:
    from store.answering import Missing

__all__ = [
    "MAX_MESSAGE", "doc_date", "esc", "first_message", "highlight", "mark_span", "shorten",
    "snippet", "source_line", "split_html", "utf16_len", "visible_text",
]

MAX_CALLBACK_DATA = 64
MAX_INLINE_RESULTS = 50
ECHO_LIMIT = 40  # characters of user text repeated back in a reply

# Callback data prefixes (each ≤ 4 characters; data is `prefix:page:token` or `prefix:id`).
CB_ANSWER = "ans"  # ans:<page>:<question token>  — page through answers by editing
CB_PARAGRAPH = "para"  # para:<sentence_id>:<doc_id> — send the whole source paragraph
CB_EXAMPLE = "ex"  # ex:<n>                        — ask example question n
CB_TARGETS = "tg"  # tg:<page>:<region token>
CB_PROJECTS = "pj"  # pj:<page>:<keyword token>
CB_SEARCH = "sr"  # sr:<page>:<keyword token>
CB_SOURCES = "src"  # src:<page>
TOKEN_BUDGET = MAX_CALLBACK_DATA - len("para:") - 10  # bytes left for a token after prefix/page

PAGE_TARGETS = 6
PAGE_PROJECTS = 8
PAGE_SEARCH = 5
PAGE_SOURCES = 10


@dataclass(frozen=True, slots=True)
class Button:
    """An inline keyboard button with callback data."""

    text: str
    data: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A rendered reply: HTML text (possibly longer than one message) and button rows."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    def messages(self) -> list[str]:
        """The text split into Telegram-sized messages (buttons go on the last one)."""
        return split_html(self.text)

    def single(self) -> str:
        """The text cut to one message (for edits and inline results)."""
        return first_message(self.text)


@dataclass(frozen=True, slots=True)
class InlineArticle:
    """One inline-mode result: id, title, one-line description and the message it sends."""

    id: str
    title: str
    description: str
    text: str


def echo(text: str) -> str:
    """User text to repeat back: one line, shortened, escaped."""
    return esc(shorten(text, ECHO_LIMIT))


# --- callback data -------------------------------------------------------------------------


def callback(prefix: str, *parts: object) -> str:
    """Join callback data; refuse anything over Telegram's 64 bytes."""
    data = ":".join([prefix, *(str(p) for p in parts)])
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback data over {MAX_CALLBACK_DATA} bytes: {data!r}")
    return data


def parse_callback(data: str) -> tuple[str, int, str]:
    """Split `prefix:page:token` (token may contain ':'); raise ValueError on bad data."""
    prefix, page, token = ([*data.split(":", 2), "", ""])[:3]
    return prefix, int(page), token


def _pager(prefix: str, page: int, pages: int, token: str | None) -> tuple[Button, ...]:
    """◀/▶ buttons for a paged list."""
    extra = () if token is None else (token,)
    row = []
    if page > 0:
        row.append(Button(texts.BUTTON_PREV_PAGE, callback(prefix, page - 1, *extra)))
    if page + 1 < pages:
        row.append(Button(texts.BUTTON_NEXT_PAGE, callback(prefix, page + 1, *extra)))
    return tuple(row)


def _page_bounds(count: int, page: int, size: int) -> tuple[int, int]:
    """(clamped page, number of pages)."""
    pages = max(1, -(-count // size))
    return min(max(page, 0), pages - 1), pages


# --- documents ------------------------------------------------------------------------------


def doc_regions(doc: DocumentInfo) -> str:
    """The regions of a document joined by 、, or 地区不详."""
    return "、".join(doc.regions) or texts.UNKNOWN_REGION


# --- answers --------------------------------------------------------------------------------


def _answer_body(answer: Answer, width: int | None = None) -> list[str]:
    """Figure, quoted sentence and source line of one answer."""
    lines = []
    if answer.figure:
        lines.append(f"<b>{esc(answer.figure)}</b>")
    quote = (
        mark_span(answer.text, answer.figure, answer.figure_at)
        if width is None
        else snippet(answer.text, answer.figure, width)
    )
    lines.append(f"<blockquote>{quote}</blockquote>")
    lines.append(texts.ANSWER_SOURCE.format(source=source_line(answer.document)))
    return lines


def answer_reply(answers: Sequence[Answer], page: int, token: str) -> Reply:
    """One answer page: figure in bold, quoted sentence, source line, paragraph/more buttons."""
    page, total = _page_bounds(len(answers), page, 1)
    answer = answers[page]
    lines = _answer_body(answer)
    if total > 1:
        lines.append(f"<i>{texts.ANSWER_PAGE.format(page=page + 1, total=total)}</i>")
    text = "\n".join(lines)
    if utf16_len(text) > MAX_MESSAGE:  # a pathological sentence: quote a window instead
        body = _answer_body(answer, width=1500)
        text = "\n".join(body + lines[len(body) :])
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                texts.BUTTON_PARAGRAPH,
                callback(CB_PARAGRAPH, answer.sentence_id, answer.document.id),
            ),
        )
    ]
    nav = []
    if page > 0:
        nav.append(Button(texts.BUTTON_BACK, callback(CB_ANSWER, page - 1, token)))
    if page + 1 < total:
        nav.append(Button(texts.BUTTON_MORE, callback(CB_ANSWER, page + 1, token)))
    if nav:
        rows.append(tuple(nav))
    return Reply(text, tuple(rows))


def paragraph_reply(paragraph: str, doc: DocumentInfo | None, figure: str | None = None) -> Reply:
    """The whole source paragraph (split over messages if it is very long)."""
    lines = [texts.PARAGRAPH_HEADER, mark_span(paragraph, figure)]
    if doc is not None:
        lines.append(texts.ANSWER_SOURCE.format(source=source_line(doc)))
    return Reply("\n".join(lines))


def missing_line(missing: Missing | None) -> str | None:
    """资料里没有济南2025年的这个指标: what the corpus lacks for a question."""
    if missing is None or missing.requirement not in ("place", "period", "measure", "kind"):
        return None
    if not (missing.place or missing.period):
        return None
    return esc(texts.NO_ANSWER_MISSING.format(
        place=missing.place or "", period=missing.period or "",
        measure=missing.measure or texts.NO_ANSWER_MEASURE,
    ))


def no_answer_reply(
    question: str,
    suggestions: Sequence[str],
    token_for: Callable[[str], str],
    examples: Sequence[str] = texts.EXAMPLE_QUESTIONS,
    missing: Missing | None = None,
) -> Reply:
    """A helpful reply without any figure: what is missing, closest names (as search buttons) and examples."""
    lines = [texts.NO_ANSWER.format(question=echo(question))]
    line = missing_line(missing)
    if line:
        lines.append(line)
    if suggestions:
        lines.append(texts.NO_ANSWER_SUGGEST.format(names="、".join(esc(s) for s in suggestions)))
    lines.append("")
    lines.append(texts.NO_ANSWER_EXAMPLES)
    lines.extend(f"• {esc(q)}" for q in examples[:3])
    lines.append("")
    lines.append(texts.NO_ANSWER_HINT)
    rows: list[tuple[Button, ...]] = []
    names = [s for s in suggestions if s][:4]
    if names:
        rows.append(
            tuple(
                Button(texts.BUTTON_SEARCH.format(name=shorten(s, 12)), callback(CB_SEARCH, 0, token_for(s)))
                for s in names
            )
        )
    rows.extend(example_buttons(examples[:3]))
    return Reply("\n".join(lines), tuple(rows))


def example_buttons(examples: Sequence[str] = texts.EXAMPLE_QUESTIONS) -> tuple[tuple[Button, ...], ...]:
    """One button per example question (callback `ex:<n>`)."""
    return tuple(
        (Button(shorten(q, 30), callback(CB_EXAMPLE, n)),) for n, q in enumerate(examples)
    )


def question_too_long(length: int, limit: int) -> Reply:
    """Refusal for a question longer than `limit` characters."""
    return Reply(texts.QUESTION_TOO_LONG.format(length=length, limit=limit))


def inline_articles(answers: Sequence[Answer]) -> list[InlineArticle]:
    """Inline results (≤ 50): title = figure, description = the sentence, text = the answer."""
    articles = []
    for n, answer in enumerate(answers[:MAX_INLINE_RESULTS]):
        head = answer.figure or shorten(answer.text, 30)
        place = answer.document.regions[0] if answer.document.regions else answer.document.title
        title = shorten(f"{head} · {place}", 60)
        description = shorten(answer.text, 80)
        text = first_message("\n".join(_answer_body(answer)))
        articles.append(InlineArticle(id=f"a{n}:{answer.sentence_id}", title=title, description=description, text=text))
    return articles


# --- lists ----------------------------------------------------------------------------------


def targets_reply(
    groups: dict[str, list[FactHit]], page: int, token: str, region: str | None = None
) -> Reply:
    """Target facts grouped by region, PAGE_TARGETS per page."""
    items = [(name, hit) for name, hits in groups.items() for hit in hits]
    page, pages = _page_bounds(len(items), page, PAGE_TARGETS)
    title = texts.TARGETS_TITLE_REGION.format(region=echo(region)) if region else texts.TARGETS_TITLE
    lines = [title]
    if pages > 1:
        lines[0] += f"  <i>{texts.PAGE.format(page=page + 1, total=pages)}</i>"
    current = None
    for number, (name, hit) in enumerate(
        items[page * PAGE_TARGETS : (page + 1) * PAGE_TARGETS], start=page * PAGE_TARGETS + 1
    ):
        if name != current:
            lines.append("")
            lines.append(f"<b>📍 {esc(name)}</b>")
            current = name
        lines.append(f"{number}. {snippet(hit.sentence, hit.fact.span, 110)}")
        lines.append(f"    <i>{source_line(hit.document)}</i>")
    nav = _pager(CB_TARGETS, page, pages, token)
    return Reply("\n".join(lines), (nav,) if nav else ())


def targets_none_reply(region: str, known: Sequence[str]) -> Reply:
    """No targets: none at all, or none for `region` (with the regions that have some)."""
    if not region:
        return Reply(texts.TARGETS_EMPTY)
    lines = [texts.TARGETS_NONE.format(region=echo(region))]
    if known:
        lines.append(texts.TARGETS_KNOWN.format(regions="、".join(esc(name) for name in known)))
    return Reply("\n".join(lines))


def projects_none_reply(keyword: str) -> Reply:
    """No project investments: none at all, or none matching `keyword`."""
    if keyword:
        return Reply(texts.PROJECTS_NONE.format(keyword=echo(keyword)))
    return Reply(texts.PROJECTS_EMPTY)


def projects_reply(hits: Sequence[FactHit], page: int, token: str, keyword: str | None = None) -> Reply:
    """Project investments, largest first, PAGE_PROJECTS per page."""
    page, pages = _page_bounds(len(hits), page, PAGE_PROJECTS)
    title = (
        texts.PROJECTS_TITLE_KEYWORD.format(keyword=echo(keyword)) if keyword else texts.PROJECTS_TITLE
    )
    if pages > 1:
        title += f"  <i>{texts.PAGE.format(page=page + 1, total=pages)}</i>"
    lines = [title, ""]
    for number, hit in enumerate(
        hits[page * PAGE_PROJECTS : (page + 1) * PAGE_PROJECTS], start=page * PAGE_PROJECTS + 1
    ):
        mark = texts.TARGET_MARK if hit.fact.target else ""
        lines.append(
            f"{number}. <b>{esc(hit.fact.span)}</b>{mark} — "
            f"{snippet(hit.sentence, hit.fact.span, 90, bold=False)}"
        )
        lines.append(f"    <i>{source_line(hit.document)}</i>")
    nav = _pager(CB_PROJECTS, page, pages, token)
    return Reply("\n".join(lines), (nav,) if nav else ())


def search_reply(
    hits: Sequence[SentenceHit],
    page: int,
    token: str,
    keyword: str,
    terms: Sequence[str] = (),
) -> Reply:
    """Sentences containing the keyword (its forms in `terms` highlighted), PAGE_SEARCH per page."""
    terms = [keyword, *terms]
    page, pages = _page_bounds(len(hits), page, PAGE_SEARCH)
    title = texts.SEARCH_TITLE.format(keyword=echo(keyword), count=len(hits))
    if pages > 1:
        title += f"  <i>{texts.PAGE.format(page=page + 1, total=pages)}</i>"
    lines = [title, ""]
    for number, hit in enumerate(
        hits[page * PAGE_SEARCH : (page + 1) * PAGE_SEARCH], start=page * PAGE_SEARCH + 1
    ):
        text = " ".join(hit.text.split())
        at = max((text.lower().find(t.lower()) for t in terms), default=-1)
        if len(text) > 160 and at >= 0:
            start = max(0, at - 50)
            text = (texts.ELLIPSIS if start else "") + text[start : start + 160] + texts.ELLIPSIS
        lines.append(f"{number}. {highlight(text, terms)}")
        lines.append(f"    <i>{source_line(hit.document)}</i>")
    nav = _pager(CB_SEARCH, page, pages, token)
    return Reply("\n".join(lines), (nav,) if nav else ())


def sources_reply(docs: Sequence[DocumentInfo], page: int = 0) -> Reply:
    """The ingested documents: number, title, region, date and fact count."""
    if not docs:
        return Reply(texts.SOURCES_EMPTY)
    page, pages = _page_bounds(len(docs), page, PAGE_SOURCES)
    title = texts.SOURCES_TITLE.format(count=len(docs))
    if pages > 1:
        title += f"  <i>{texts.PAGE.format(page=page + 1, total=pages)}</i>"
    lines = [title, ""]
    for doc in docs[page * PAGE_SOURCES : (page + 1) * PAGE_SOURCES]:
        lines.append(f"<b>{doc.id}.</b> {esc(doc.title or doc.name)}")
        line = texts.SOURCE_LINE.format(
            regions=esc(doc_regions(doc)), date=esc(doc_date(doc)), facts=doc.fact_count
        )
        lines.append(f"    <i>{line}</i>")
    lines.append("")
    lines.append(texts.SOURCES_FOOTER)
    nav = _pager(CB_SOURCES, page, pages, None)
    return Reply("\n".join(lines), (nav,) if nav else ())


def source_reply(doc: DocumentInfo, key_facts: Sequence[FactHit]) -> Reply:
    """One document: metadata and its key figures."""
    lines = [f"<b>{doc.id}. {esc(doc.title or doc.name)}</b>"]
    lines.append(texts.SOURCE_REGIONS.format(regions=esc(doc_regions(doc))))
    lines.append(texts.SOURCE_DATE.format(date=esc(doc_date(doc))))
    if doc.authors:
        lines.append(texts.SOURCE_AUTHORS.format(authors=esc("、".join(doc.authors))))
    lines.append(texts.SOURCE_FILE.format(name=esc(doc.name)))
    lines.append(texts.SOURCE_COUNTS.format(sentences=doc.sentence_count, facts=doc.fact_count))
    lines.append("")
    if key_facts:
        lines.append(texts.SOURCE_KEY_FACTS)
        for hit in key_facts:
            mark = texts.TARGET_MARK if hit.fact.target else ""
            lines.append(f"• {snippet(hit.sentence, hit.fact.span, 90)}{mark}")
    else:
        lines.append(texts.SOURCE_NO_FACTS)
    return Reply("\n".join(lines))


def source_not_found(number: str, docs: Sequence[DocumentInfo]) -> Reply:
    """Reply for /source with an unknown number."""
    if not docs:
        return Reply(texts.SOURCES_EMPTY)
    return Reply(
        texts.SOURCE_NOT_FOUND.format(number=echo(number), first=docs[0].id, last=docs[-1].id)
    )
