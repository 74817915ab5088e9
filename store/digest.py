"""Digest and announcement content: pure selection over plain data (render/digest.py makes the HTML)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from store.ranking import fact_weight

# Kinds that make a figure worth repeating in a daily rotation; dates and durations alone
# ("1月28日", "3年") say little without their sentence and are only kept when they are targets.
ROTATION_KINDS = frozenset({"money", "count", "percent", "area", "rank"})


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


# --- selection --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """A new document in a digest, with the figures and target outcomes shown under it."""

    document: DigestDocument
    figures: tuple[DigestFact, ...] = ()
    outcomes: tuple[DigestOutcome, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestItem:
    """A figure of the rotation, with the document it comes from."""

    fact: DigestFact
    document: DigestDocument | None


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """What one chat's digest shows, before rendering: new documents, then rotation figures.

    Rendering (render/digest.py) may cut entries and items that do not fit in one message;
    what it cut is not recorded as sent, so it comes another day.
    """

    local_date: date
    topics: tuple[str, ...] = ()
    entries: tuple[DigestEntry, ...] = ()
    items: tuple[DigestItem, ...] = ()
    restarted: bool = False  # the rotation was exhausted and started over


def select_digest(
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
) -> DigestPlan:
    """Choose one chat's digest: new documents since `since`, then figures it has not yet been sent.

    A new document that reports results for earlier targets brings those outcomes along.

    The rotation follows `rotation_order`; figures in `sent_ids` and figures shown under a new
    document are skipped, and once every eligible figure has been sent the rotation starts
    over (`restarted`).
    """
    entries: list[DigestEntry] = []
    shown_facts: set[int] = set()
    for doc in new_documents(corpus, since=since, topics=topics)[:max_documents]:
        figures = top_figures(
            (f for f in corpus.facts_of(doc.id) if matches_topics(f, doc, topics)),
            limit=figures_per_document,
        )
        outcomes = [o for o in corpus.outcomes_of(doc.id) if outcome_matches(o, topics)]
        entries.append(DigestEntry(doc, tuple(figures), tuple(outcomes[:outcomes_per_document])))
        shown_facts.update(f.id for f in figures)

    order = rotation_order(corpus, topics)
    remaining = [f for f in order if f.id not in sent_ids and f.id not in shown_facts]
    restarted = False
    if not remaining and order:
        remaining = [f for f in order if f.id not in shown_facts]
        restarted = True
    items = tuple(DigestItem(f, corpus.document(f.document_id)) for f in remaining[:max_items])
    return DigestPlan(
        local_date=local_date, topics=tuple(topics), entries=tuple(entries), items=items,
        restarted=restarted,
    )


def utc(dt: datetime | None) -> datetime | None:
    """Return a datetime as timezone-aware UTC (naive values are taken to be UTC)."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
