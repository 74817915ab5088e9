"""Digests and announcements as Telegram HTML, packed into one message (pure: plans in, text out)."""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime

from render import texts
from render.html import (
    MAX_MESSAGE,
    TITLE_MAX,
    doc_date,
    esc,
    link_html,
    shorten,
    source_line,
    utf16_len,
)
from store.digest import (
    Corpus,
    DigestDocument,
    DigestFact,
    DigestOutcome,
    DigestPlan,
    select_digest,
    top_figures,
)

EXCERPT_WIDTH = 30  # characters of the sentence shown on each side of a figure
# Room left for the "……另有 N 篇" line of a batch announcement, in UTF-16 units.
_MORE_LINE = 40


@dataclass(frozen=True, slots=True)
class Digest:
    """One chat's digest: the HTML message and what it shows (what was cut is not listed)."""

    local_date: date
    html: str
    document_ids: tuple[int, ...] = ()
    fact_ids: tuple[int, ...] = ()  # rotation figures shown, to be remembered as sent
    restarted: bool = False  # the rotation was exhausted and started over
    empty: bool = False


def _title(doc: DigestDocument, limit: int = TITLE_MAX) -> str:
    return shorten(doc.title or doc.name or texts.UNTITLED, limit)


def excerpt_html(sentence: str, span: str, *, width: int = EXCERPT_WIDTH) -> str:
    """Return the sentence around the span, escaped, with the span in bold."""
    sentence = " ".join(sentence.split())
    at = sentence.find(span) if span else -1
    if at < 0:
        return esc(shorten(sentence, 2 * width))
    start = max(0, at - width)
    end = min(len(sentence), at + len(span) + width)
    before = (texts.ELLIPSIS if start > 0 else "") + sentence[start:at]
    after = sentence[at + len(span) : end] + (texts.ELLIPSIS if end < len(sentence) else "")
    return f"{esc(before)}<b>{esc(span)}</b>{esc(after)}"


def figure_html(fact: DigestFact, doc: DigestDocument | None, *, with_source: bool) -> str:
    """Return one figure: mark, label, excerpt, and (if asked) its source line below."""
    mark = "🎯" if fact.target else "•"
    label = f"{esc(fact.label)}：" if fact.label else ""
    line = f"{mark} {label}「{excerpt_html(fact.sentence, fact.span)}」"
    if with_source:
        line += f"\n    —— {source_line(doc)}"
    return line


def outcome_html(outcome: DigestOutcome) -> str:
    """Return one line: 2024年 全国 城镇新增就业：目标 1200万人以上 → 实际 1256万人 ✅ 完成."""
    statuses = texts.DIGEST_OUTCOME_STATUS
    return texts.DIGEST_OUTCOME.format(
        year=outcome.year, place=esc(outcome.place), metric=esc(outcome.metric),
        target=esc(outcome.target), result=esc(outcome.result),
        status=statuses.get(outcome.status, statuses["unknown"]),
    )


def _document_block(
    doc: DigestDocument, figures: Sequence[DigestFact], outcomes: Sequence[DigestOutcome] = ()
) -> str:
    lines = [f"📄 <b>{esc(_title(doc))}</b>"]
    meta = [esc("、".join(doc.regions[:3])) if doc.regions else "", esc(doc_date(doc))]
    lines.append("    " + " · ".join(m for m in meta if m))
    lines.extend("    " + outcome_html(o) for o in outcomes)
    lines.extend("    " + figure_html(f, doc, with_source=False) for f in figures)
    return "\n".join(lines)


def format_local_date(day: date) -> str:
    """Return a date as 2024年5月1日（周三）."""
    return texts.DIGEST_DATE.format(
        year=day.year, month=day.month, day=day.day, weekday=texts.WEEKDAYS[day.weekday()]
    )


class _Packer:
    """Adds blocks to a message while its raw HTML stays within the limit.

    Counting the HTML (tags included) in UTF-16 units over-estimates what Telegram counts
    (the text after parsing), so a packed message is never refused as too long.
    """

    def __init__(self, head: str, foot: str, limit: int) -> None:
        self.blocks = [head]
        self.foot = foot
        self.limit = limit
        self.size = utf16_len(head) + utf16_len(foot) + 2

    def fits(self, *blocks: str) -> bool:
        return self.size + sum(utf16_len(b) + 2 for b in blocks) <= self.limit

    def add(self, block: str) -> bool:
        if not self.fits(block):
            return False
        self.blocks.append(block)
        self.size += utf16_len(block) + 2
        return True

    def text(self) -> str:
        return "\n\n".join([*self.blocks, self.foot]) if self.foot else "\n\n".join(self.blocks)


def render_digest(plan: DigestPlan, *, limit: int = MAX_MESSAGE) -> Digest:
    """Render a digest plan as one message of at most `limit` UTF-16 units.

    Entries and rotation figures that do not fit are left out and not listed in the result,
    so the rotation sends them another day.
    """
    head = texts.DIGEST_TITLE.format(date=format_local_date(plan.local_date))
    if plan.topics:
        head += "\n" + texts.DIGEST_TOPICS.format(topics=esc("、".join(plan.topics)))
    packer = _Packer(head, texts.DIGEST_FOOTER, limit)

    shown_docs: list[int] = []
    if plan.entries:
        packer.add(texts.DIGEST_NEW_DOCUMENTS)
        for entry in plan.entries:
            if packer.add(_document_block(entry.document, entry.figures, entry.outcomes)):
                shown_docs.append(entry.document.id)

    picked: list[int] = []
    if plan.items:
        first = plan.items[0]
        if packer.fits(texts.DIGEST_ROTATION, figure_html(first.fact, first.document, with_source=True)):
            packer.add(texts.DIGEST_ROTATION)
            for item in plan.items:
                if not packer.add(figure_html(item.fact, item.document, with_source=True)):
                    break
                picked.append(item.fact.id)

    empty = not shown_docs and not picked
    if empty:
        packer.add(texts.DIGEST_EMPTY_TOPICS if plan.topics else texts.DIGEST_EMPTY)
    return Digest(
        local_date=plan.local_date,
        html=packer.text(),
        document_ids=tuple(shown_docs),
        fact_ids=tuple(picked),
        restarted=plan.restarted,
        empty=empty,
    )


def build_digest(
    corpus: Corpus,
    *,
    local_date: date,
    since: datetime | None,
    sent_ids: Set[int],
    topics: Sequence[str] = (),
    max_documents: int = 5,
    figures_per_document: int = 3,
    outcomes_per_document: int = 4,
    max_items: int = 5,
    limit: int = MAX_MESSAGE,
) -> Digest:
    """Select (store.digest.select_digest) and render one chat's digest."""
    plan = select_digest(
        corpus, local_date=local_date, since=since, sent_ids=sent_ids, topics=topics,
        max_documents=max_documents, figures_per_document=figures_per_document,
        outcomes_per_document=outcomes_per_document, max_items=max_items,
    )
    return render_digest(plan, limit=limit)


def announcement_html(
    doc: DigestDocument, facts: Sequence[DigestFact], *, limit: int = MAX_MESSAGE
) -> str:
    """Return the announcement of a new document: title, region, date, key figures and targets."""
    title = link_html(esc(_title(doc, 2 * TITLE_MAX)), doc.url)
    head_lines = [texts.ANNOUNCE_TITLE.format(title=title)]
    if doc.regions:
        head_lines.append(texts.ANNOUNCE_REGIONS.format(regions=esc("、".join(doc.regions[:5]))))
    head_lines.append(texts.ANNOUNCE_DATE.format(date=esc(doc_date(doc))))
    packer = _Packer("\n".join(head_lines), texts.ANNOUNCE_FOOTER, limit)
    figures = top_figures((f for f in facts if not f.target), limit=4)
    targets = top_figures((f for f in facts if f.target), limit=3)
    if figures:
        packer.add("\n".join([texts.ANNOUNCE_FIGURES, *(figure_html(f, doc, with_source=False) for f in figures)]))
    if targets:
        packer.add("\n".join([texts.ANNOUNCE_TARGETS, *(figure_html(f, doc, with_source=False) for f in targets)]))
    return packer.text()


def batch_announcement_html(
    docs: Sequence[DigestDocument], *, link: Callable[[int], str | None], limit: int = MAX_MESSAGE
) -> str:
    """Return one post announcing many new documents: a line each (linked), as many as fit."""
    head = texts.ANNOUNCE_BATCH_TITLE.format(count=len(docs))
    tail = texts.ANNOUNCE_BATCH_FOOTER
    lines: list[str] = []
    used = utf16_len(head) + utf16_len(tail) + _MORE_LINE
    for n, doc in enumerate(docs):
        line = f"• {link_html(esc(_title(doc)), link(doc.id))}（{esc(doc_date(doc))}）"
        if used + utf16_len(line) + 1 > limit:
            lines.append(texts.ANNOUNCE_BATCH_MORE.format(count=len(docs) - n))
            break
        lines.append(line)
        used += utf16_len(line) + 1
    return "\n".join([head, "", *lines, "", tail])


def text_announcement_html(text: str) -> str:
    """Return an admin's free-text announcement, escaped, under a heading."""
    return texts.ANNOUNCE_TEXT.format(text=esc(text.strip()))
