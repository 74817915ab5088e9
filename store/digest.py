"""Digest and announcement content: pure selection and HTML rendering over plain data."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from store.ranking import fact_weight

MESSAGE_LIMIT = 4096
# Kinds that make a figure worth repeating in a daily rotation; dates and durations alone
# ("1月28日", "3年") say little without their sentence and are only kept when they are targets.
ROTATION_KINDS = frozenset({"money", "count", "percent", "area", "rank"})
_TITLE_MAX = 80
_EXCERPT_WIDTH = 30
_WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True, slots=True)
class DigestDocument:
    """A document as digests and announcements show it."""

    id: int
    title: str
    regions: tuple[str, ...] = ()
    date: str | None = None
    year: int | None = None
    ingested_at: datetime | None = None  # timezone-aware UTC
    key: str = ""  # content hash: the document's identity across re-ingestion
    name: str = ""
    url: str | None = None  # the page's canonical link, for documents from the web


@dataclass(frozen=True, slots=True)
class DigestFact:
    """A figure with the sentence it comes from."""

    id: int
    document_id: int
    kind: str
    span: str
    sentence: str
    label: str = ""
    target: bool = False
    period: int | None = None
    value: float | None = None


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    """A result a document reports for an earlier target (store/series.py), and whether it was met."""

    document_id: int
    place: str
    metric: str
    year: int
    target: str  # the target's span, e.g. 1200万人以上
    result: str  # the result's span, e.g. 1256万人
    status: str  # met | missed | unknown
    words: tuple[str, ...] = ()  # other names of the place and metric, for topic matching


@dataclass(frozen=True, slots=True)
class Corpus:
    """Every document and figure a digest can draw from, in ingestion order."""

    documents: tuple[DigestDocument, ...] = ()
    facts: tuple[DigestFact, ...] = ()
    outcomes: tuple[DigestOutcome, ...] = ()
    _docs: dict[int, DigestDocument] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_docs", {d.id: d for d in self.documents})

    def document(self, doc_id: int) -> DigestDocument | None:
        """Return one document by id."""
        return self._docs.get(doc_id)

    def facts_of(self, doc_id: int) -> list[DigestFact]:
        """Return the figures of one document."""
        return [f for f in self.facts if f.document_id == doc_id]

    def outcomes_of(self, doc_id: int) -> list[DigestOutcome]:
        """Return the results one document reports for earlier targets."""
        return [o for o in self.outcomes if o.document_id == doc_id]


@dataclass(frozen=True, slots=True)
class Digest:
    """One chat's digest: the HTML message and what it contains."""

    local_date: date
    html: str
    document_ids: tuple[int, ...] = ()
    fact_ids: tuple[int, ...] = ()  # rotation figures shown, to be remembered as sent
    restarted: bool = False  # the rotation was exhausted and started over
    empty: bool = False


def fact_score(fact: DigestFact) -> float:
    """Return how informative a figure is (the shared ranking of store.ranking)."""
    return fact_weight(fact)


def rank_facts(facts: Iterable[DigestFact]) -> list[DigestFact]:
    """Return figures most informative first; ties keep reading order."""
    return sorted(facts, key=lambda f: (-fact_score(f), f.id))


def top_figures(facts: Iterable[DigestFact], *, limit: int = 3) -> list[DigestFact]:
    """Return a document's key figures: best first, one per sentence, a target last if any."""
    ranked = rank_facts(f for f in facts if f.kind in ROTATION_KINDS or f.target)
    figures = [f for f in ranked if not f.target]
    targets = [f for f in ranked if f.target]
    chosen: list[DigestFact] = []
    sentences: set[str] = set()

    def take(pool: list[DigestFact], upto: int) -> None:
        for fact in pool:
            if len(chosen) >= upto:
                return
            if fact.sentence not in sentences:
                chosen.append(fact)
                sentences.add(fact.sentence)

    take(figures, limit - 1 if targets and limit > 1 else limit)
    take(targets, limit)
    take(figures, limit)
    return chosen


def normalize_topic(text: str) -> str:
    """Fold a topic keyword for matching (case, full-width letters and digits)."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)
    return folded.strip().casefold()


def _haystack(fact: DigestFact, doc: DigestDocument | None) -> str:
    parts = [fact.sentence, fact.label]
    if doc is not None:
        parts.append(doc.title)
        parts.extend(doc.regions)
    return normalize_topic(" ".join(parts))


def matches_topics(fact: DigestFact, doc: DigestDocument | None, topics: Sequence[str]) -> bool:
    """True when no topics are set or any topic occurs in the figure's sentence, label or source."""
    if not topics:
        return True
    hay = _haystack(fact, doc)
    return any(normalize_topic(t) in hay for t in topics if t.strip())


def outcome_matches(outcome: DigestOutcome, topics: Sequence[str]) -> bool:
    """True when no topics are set or a topic names the outcome's place or metric."""
    if not topics:
        return True
    hay = normalize_topic(" ".join((outcome.place, outcome.metric, *outcome.words)))
    return any(normalize_topic(t) in hay for t in topics if t.strip())


def rotation_order(corpus: Corpus, topics: Sequence[str] = ()) -> list[DigestFact]:
    """Return the figures eligible for the rotation, interleaving documents so days differ."""
    per_doc: dict[int, list[DigestFact]] = {}
    for fact in corpus.facts:
        if not (fact.kind in ROTATION_KINDS or fact.target):
            continue
        if matches_topics(fact, corpus.document(fact.document_id), topics):
            per_doc.setdefault(fact.document_id, []).append(fact)
    queues = [rank_facts(facts) for _, facts in sorted(per_doc.items())]
    order: list[DigestFact] = []
    seen_spans: set[tuple[int, str]] = set()
    depth = 0
    while any(depth < len(q) for q in queues):
        for queue in queues:
            if depth < len(queue):
                fact = queue[depth]
                # The same figure quoted twice in one article is one item of the rotation.
                if (fact.document_id, fact.span) not in seen_spans:
                    seen_spans.add((fact.document_id, fact.span))
                    order.append(fact)
        depth += 1
    return order


def new_documents(
    corpus: Corpus, *, since: datetime | None, topics: Sequence[str] = ()
) -> list[DigestDocument]:
    """Return documents ingested after `since` (all when None) that match the topics."""
    docs = []
    for doc in corpus.documents:
        if since is not None and (doc.ingested_at is None or doc.ingested_at <= since):
            continue
        if topics and not _document_matches(corpus, doc, topics):
            continue
        docs.append(doc)
    return docs


def _document_matches(corpus: Corpus, doc: DigestDocument, topics: Sequence[str]) -> bool:
    head = normalize_topic(" ".join((doc.title, *doc.regions)))
    if any(normalize_topic(t) in head for t in topics if t.strip()):
        return True
    if any(outcome_matches(o, topics) for o in corpus.outcomes_of(doc.id)):
        return True
    return any(matches_topics(f, doc, topics) for f in corpus.facts_of(doc.id))


# --- rendering ---------------------------------------------------------------------------------


def esc(text: str) -> str:
    """Escape text for Telegram HTML (quotes too: text may end up inside attributes)."""
    return html.escape(text, quote=True)


def link_html(inner_html: str, url: str | None) -> str:
    """Wrap already-escaped HTML in a link to the document's URL (http/https only), else return it."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return inner_html
    return f'<a href="{esc(url)}">{inner_html}</a>'


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def document_date(doc: DigestDocument) -> str:
    """Return a document's date as shown in source lines ('2023-02-02', '2023年' or '日期不详')."""
    if doc.date:
        return doc.date
    if doc.year:
        return f"{doc.year}年"
    return "日期不详"


def source_line(doc: DigestDocument | None) -> str:
    """Return the HTML source line of a figure: 《title》 · region · date."""
    if doc is None:
        return "来源不详"
    parts = [link_html(f"《{esc(_short(doc.title or doc.name or '无标题', _TITLE_MAX))}》", doc.url)]
    if doc.regions:
        parts.append(esc("、".join(doc.regions[:3])))
    parts.append(esc(document_date(doc)))
    return " · ".join(parts)


def excerpt_html(sentence: str, span: str, *, width: int = _EXCERPT_WIDTH) -> str:
    """Return the sentence around the span, escaped, with the span in bold."""
    sentence = " ".join(sentence.split())
    at = sentence.find(span) if span else -1
    if at < 0:
        return esc(_short(sentence, 2 * width))
    start = max(0, at - width)
    end = min(len(sentence), at + len(span) + width)
    before = ("…" if start > 0 else "") + sentence[start:at]
    after = sentence[at + len(span) : end] + ("…" if end < len(sentence) else "")
    return f"{esc(before)}<b>{esc(span)}</b>{esc(after)}"


def _figure_html(fact: DigestFact, doc: DigestDocument | None, *, with_source: bool) -> str:
    mark = "🎯" if fact.target else "•"
    label = f"{esc(fact.label)}：" if fact.label else ""
    line = f"{mark} {label}「{excerpt_html(fact.sentence, fact.span)}」"
    if with_source:
        line += f"\n    —— {source_line(doc)}"
    return line


_OUTCOME_STATUS = {"met": "✅ 完成", "missed": "❌ 未完成", "unknown": "❔ 无法判断"}


def outcome_html(outcome: DigestOutcome) -> str:
    """Return one line: 2024年 全国 城镇新增就业：目标 1200万人以上 → 实际 1256万人 ✅ 完成."""
    status = _OUTCOME_STATUS.get(outcome.status, _OUTCOME_STATUS["unknown"])
    return (
        f"📈 {outcome.year}年 {esc(outcome.place)} {esc(outcome.metric)}："
        f"目标 <b>{esc(outcome.target)}</b> → 实际 <b>{esc(outcome.result)}</b> {status}"
    )


def _document_block(
    doc: DigestDocument, figures: Sequence[DigestFact], outcomes: Sequence[DigestOutcome] = ()
) -> str:
    lines = [f"📄 <b>{esc(_short(doc.title or doc.name or '无标题', _TITLE_MAX))}</b>"]
    meta = [esc("、".join(doc.regions[:3])) if doc.regions else "", esc(document_date(doc))]
    lines.append("    " + " · ".join(m for m in meta if m))
    lines.extend("    " + outcome_html(o) for o in outcomes)
    lines.extend("    " + _figure_html(f, doc, with_source=False) for f in figures)
    return "\n".join(lines)


def format_local_date(day: date) -> str:
    """Return a date as 2024年5月1日（周三）."""
    return f"{day.year}年{day.month}月{day.day}日（周{_WEEKDAYS[day.weekday()]}）"


def utf16_len(text: str) -> int:
    """Return the length in UTF-16 code units, the unit of Telegram's 4096 limit."""
    return len(text.encode("utf-16-le")) // 2


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
    limit: int = MESSAGE_LIMIT,
) -> Digest:
    """Build one chat's digest: new documents since `since`, then figures it has not yet been sent.

    A new document that reports results for earlier targets says, per target, whether it was met.

    The rotation follows `rotation_order`; figures in `sent_ids` are skipped, and once every
    eligible figure has been sent the rotation starts over (`restarted`). Only figures that fit
    in the message are listed in `fact_ids`, so what was cut is sent another day.
    """
    topic_note = f"\n主题：{esc('、'.join(topics))}" if topics else ""
    head = f"<b>📰 开发区新闻简报 · {format_local_date(local_date)}</b>{topic_note}"
    foot = "直接发问即可追问，例如「西海岸新区GDP是多少」。/settings 修改订阅"
    packer = _Packer(head, foot, limit)

    docs = new_documents(corpus, since=since, topics=topics)[:max_documents]
    shown_docs: list[int] = []
    shown_facts: set[int] = set()
    if docs:
        packer.add("<b>新文章</b>")
        for doc in docs:
            figures = top_figures(
                (f for f in corpus.facts_of(doc.id) if matches_topics(f, doc, topics)),
                limit=figures_per_document,
            )
            outcomes = [o for o in corpus.outcomes_of(doc.id) if outcome_matches(o, topics)]
            if packer.add(_document_block(doc, figures, outcomes[:outcomes_per_document])):
                shown_docs.append(doc.id)
                shown_facts.update(f.id for f in figures)

    order = rotation_order(corpus, topics)
    remaining = [f for f in order if f.id not in sent_ids and f.id not in shown_facts]
    restarted = False
    if not remaining and order:
        remaining = [f for f in order if f.id not in shown_facts]
        restarted = True
    picked: list[int] = []
    if remaining:
        section = "<b>数据与目标回顾</b>"
        first = remaining[0]
        first_block = _figure_html(first, corpus.document(first.document_id), with_source=True)
        if packer.fits(section, first_block):
            packer.add(section)
            for fact in remaining[:max_items]:
                block = _figure_html(fact, corpus.document(fact.document_id), with_source=True)
                if not packer.add(block):
                    break
                picked.append(fact.id)

    empty = not shown_docs and not picked
    if empty:
        note = "暂无与所选主题相关的新内容。" if topics else "暂无可推送的内容。"
        packer.add(note)
    return Digest(
        local_date=local_date,
        html=packer.text(),
        document_ids=tuple(shown_docs),
        fact_ids=tuple(picked),
        restarted=restarted,
        empty=empty,
    )


def announcement_html(
    doc: DigestDocument, facts: Sequence[DigestFact], *, limit: int = MESSAGE_LIMIT
) -> str:
    """Return the announcement of a new document: title, region, date, key figures and targets."""
    title = link_html(esc(_short(doc.title or doc.name or "无标题", 2 * _TITLE_MAX)), doc.url)
    head_lines = [f"📢 <b>新文章：{title}</b>"]
    if doc.regions:
        head_lines.append(f"地区：{esc('、'.join(doc.regions[:5]))}")
    head_lines.append(f"日期：{esc(document_date(doc))}")
    packer = _Packer("\n".join(head_lines), "点下方按钮向机器人提问这篇文章。", limit)
    figures = top_figures((f for f in facts if not f.target), limit=4)
    targets = top_figures((f for f in facts if f.target), limit=3)
    if figures:
        packer.add("<b>关键数据</b>\n" + "\n".join(_figure_html(f, doc, with_source=False) for f in figures))
    if targets:
        packer.add("<b>目标</b>\n" + "\n".join(_figure_html(f, doc, with_source=False) for f in targets))
    return packer.text()


def batch_announcement_html(
    docs: Sequence[DigestDocument], *, link: Callable[[int], str | None], limit: int = MESSAGE_LIMIT
) -> str:
    """Return one post announcing many new documents: a line each (linked), as many as fit."""
    head = f"📢 <b>新收录 {len(docs)} 篇文章</b>"
    tail = "发送 /sources 查看全部文章，点标题向机器人提问。"
    lines: list[str] = []
    used = utf16_len(head) + utf16_len(tail) + 40  # room for the "…另有 N 篇" line
    for n, doc in enumerate(docs):
        title = esc(_short(doc.title or doc.name or "无标题", _TITLE_MAX))
        url = link(doc.id)
        shown = f'<a href="{esc(url)}">{title}</a>' if url else title
        line = f"• {shown}（{esc(document_date(doc))}）"
        if used + utf16_len(line) + 1 > limit:
            lines.append(f"……另有 {len(docs) - n} 篇")
            break
        lines.append(line)
        used += utf16_len(line) + 1
    return "\n".join([head, "", *lines, "", tail])


def text_announcement_html(text: str) -> str:
    """Return an admin's free-text announcement, escaped, under a heading."""
    return f"📢 <b>公告</b>\n\n{esc(text.strip())}"


def utc(dt: datetime | None) -> datetime | None:
    """Return a datetime as timezone-aware UTC (naive values are taken to be UTC)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
