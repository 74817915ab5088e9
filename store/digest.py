"""Digest and announcement content: pure selection over plain data (render/digest.py makes the HTML)."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Iterator, Sequence, Set
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
    """Every document and figure a digest can draw from, in ingestion order.

    What every chat's digest needs (per-document lists, keyword matches, rotation orders) is
    computed once per corpus, lazily, and shared by all chats: a corpus is immutable, so a new
    corpus version is a new `Corpus` and starts afresh.
    """

    documents: tuple[DigestDocument, ...] = ()
    facts: tuple[DigestFact, ...] = ()
    outcomes: tuple[DigestOutcome, ...] = ()
    _docs: dict[int, DigestDocument] = field(init=False, repr=False, compare=False)
    _index: _CorpusIndex | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_docs", {d.id: d for d in self.documents})

    @property
    def index(self) -> _CorpusIndex:
        """The shared, lazily built lookups of this corpus."""
        index = self._index
        if index is None:
            with _INDEX_LOCK:
                index = self._index
                if index is None:
                    index = _CorpusIndex(self)
                    object.__setattr__(self, "_index", index)
        return index

    def document(self, doc_id: int) -> DigestDocument | None:
        """Return one document by id."""
        return self._docs.get(doc_id)

    def facts_of(self, doc_id: int) -> list[DigestFact]:
        """Return the figures of one document."""
        return list(self.index.facts_by_doc.get(doc_id, ()))

    def outcomes_of(self, doc_id: int) -> list[DigestOutcome]:
        """Return the results one document reports for earlier targets."""
        return list(self.index.outcomes_by_doc.get(doc_id, ()))


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


# Full-width ASCII (！ … ～, U+FF01–U+FF5E) folds to ASCII for topic matching.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# Bounds on what one corpus remembers for chats: keywords (each a set of matching figures),
# topic selections (each a rotation read so far) and new-document lists. Larger keeps more
# chats' work shared in a fan-out; smaller caps memory. Exceeding one clears it (recomputed).
_MAX_TERMS = 512
_MAX_SELECTIONS = 4096
_MAX_NEW_LISTS = 4096
_INDEX_LOCK = threading.Lock()

TopicKey = frozenset[str] | None


def normalize_topic(text: str) -> str:
    """Fold a topic keyword for matching (case, full-width letters and digits)."""
    return text.translate(_FULL_WIDTH).strip().casefold()


def topic_key(topics: Sequence[str]) -> TopicKey:
    """Return the chat's topics as matching sees them: None for none set, else the folded keywords."""
    if not topics:
        return None
    return frozenset(normalize_topic(t) for t in topics if t.strip())


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


def _is_ideograph(char: str) -> bool:
    """True for a CJK unified ideograph: topic folding leaves it alone and makes it from nothing else."""
    code = ord(char)
    return 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0x20000 <= code <= 0x3FFFF


def _eligible(fact: DigestFact) -> bool:
    return fact.kind in ROTATION_KINDS or fact.target


@dataclass(frozen=True, slots=True)
class _Term:
    """Everything one folded keyword matches in a corpus (by `matches_topics` semantics)."""

    facts: frozenset[int]  # fact ids
    documents: frozenset[int]  # documents a topic filter keeps (`new_documents`)


class _Rotation:
    """One topic selection's rotation order, read lazily as far as some chat needed it."""

    def __init__(self, queues: Iterator[list[DigestFact]]) -> None:
        self.items: list[DigestFact] = []
        self._gen: Iterator[DigestFact] | None = self._interleave(queues)

    @staticmethod
    def _interleave(queues: Iterator[list[DigestFact]]) -> Iterator[DigestFact]:
        # Depth by depth over the documents (in id order): every document's best figure,
        # then every second best …; the same figure quoted twice in one article is one item.
        seen: set[tuple[int, str]] = set()
        level: list[list[DigestFact]] = []
        depth = 0
        for queue in queues:
            if queue:
                level.append(queue)
                seen.add((queue[0].document_id, queue[0].span))
                yield queue[0]
        while level:
            depth += 1
            deeper = [q for q in level if len(q) > depth]
            for queue in deeper:
                fact = queue[depth]
                if (fact.document_id, fact.span) not in seen:
                    seen.add((fact.document_id, fact.span))
                    yield fact
            level = deeper

    def at(self, i: int) -> DigestFact | None:
        """Return the i-th figure of the rotation (None past its end), reading further if needed."""
        while i >= len(self.items) and self._gen is not None:
            nxt = next(self._gen, None)
            if nxt is None:
                self._gen = None
            else:
                self.items.append(nxt)
        return self.items[i] if i < len(self.items) else None


class _Selection:
    """What one set of topics selects in a corpus: matching figures, documents and the rotation."""

    def __init__(self, index: _CorpusIndex, key: TopicKey) -> None:
        self.key = key
        self.terms: tuple[frozenset[int], ...] = ()
        self.documents: frozenset[int] | None = None  # None: every document
        if key is None:
            doc_ids = index.rotation_documents
        else:
            terms = [index.term(t) for t in sorted(key)]
            self.terms = tuple(t.facts for t in terms)
            self.documents = frozenset().union(*(t.documents for t in terms))
            doc_ids = sorted(set().union(*(t.documents for t in terms)) & index.rotation_document_set)
        self.rotation = _Rotation(self._queue(index, d) for d in doc_ids)

    def matches(self, fact: DigestFact) -> bool:
        """True when the figure matches these topics."""
        return self.key is None or any(fact.id in facts for facts in self.terms)

    def _queue(self, index: _CorpusIndex, doc_id: int) -> list[DigestFact]:
        ranked = index.ranked(doc_id)
        return ranked if self.key is None else [f for f in ranked if self.matches(f)]


# Text of a corpus: (sentence, document id, fact ids), label → facts, (document id, title and regions).
_Texts = tuple[list[tuple[str, int, list[int]]], dict[str, list[DigestFact]], list[tuple[int, str]]]


class _CorpusIndex:
    """Lookups a corpus computes once and every chat's digest reads (thread-safe, lazily filled)."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.lock = threading.RLock()
        self.facts_by_doc: dict[int, list[DigestFact]] = {}
        self.outcomes_by_doc: dict[int, list[DigestOutcome]] = {}
        eligible_docs: set[int] = set()
        for fact in corpus.facts:
            self.facts_by_doc.setdefault(fact.document_id, []).append(fact)
            if _eligible(fact):
                eligible_docs.add(fact.document_id)
        for outcome in corpus.outcomes:
            self.outcomes_by_doc.setdefault(outcome.document_id, []).append(outcome)
        self.rotation_document_set = frozenset(eligible_docs)
        self.rotation_documents = sorted(eligible_docs)
        # Documents by ingestion time, for "new since": times[k:] are the ones after a cut.
        timed = sorted(
            (d.ingested_at, i) for i, d in enumerate(corpus.documents) if d.ingested_at is not None
        )
        self.times = [t for t, _ in timed]
        self.by_time = [i for _, i in timed]
        self._ranked: dict[int, list[DigestFact]] = {}
        self._terms: dict[str, _Term] = {}
        self._selections: dict[TopicKey, _Selection] = {}
        self._new: dict[tuple[int, TopicKey, int | None], list[DigestDocument]] = {}
        self._new_positions: dict[int, list[int]] = {}
        self._raw: _Texts | None = None
        self._folded: _Texts | None = None

    def ranked(self, doc_id: int) -> list[DigestFact]:
        """Return a document's rotation figures, most informative first."""
        ranked = self._ranked.get(doc_id)
        if ranked is None:
            ranked = rank_facts(f for f in self.facts_by_doc.get(doc_id, ()) if _eligible(f))
            self._ranked[doc_id] = ranked
        return ranked

    def selection(self, key: TopicKey) -> _Selection:
        """Return (building once) what a set of topics selects."""
        with self.lock:
            found = self._selections.get(key)
            if found is None:
                if len(self._selections) >= _MAX_SELECTIONS:
                    self._selections.clear()
                found = self._selections[key] = _Selection(self, key)
            return found

    def _texts(self, *, folded: bool) -> _Texts:
        # Each run of figures of one sentence (with the document), each label, each document's
        # title and regions: as stored (`folded` False) or folded like topics, each once.
        if self._raw is None:
            sentences: list[tuple[str, int, list[int]]] = []
            labels: dict[str, list[DigestFact]] = {}
            last: tuple[int, str] | None = None
            for fact in self.corpus.facts:
                if last is None or fact.document_id != last[0] or fact.sentence != last[1]:
                    last = (fact.document_id, fact.sentence)
                    sentences.append((fact.sentence, fact.document_id, []))
                sentences[-1][2].append(fact.id)
                labels.setdefault(fact.label, []).append(fact)
            heads = [(d.id, " ".join((d.title, *d.regions))) for d in self.corpus.documents]
            self._raw = (sentences, labels, heads)
        if not folded:
            return self._raw
        if self._folded is None:
            memo: dict[str, str] = {}

            def fold(text: str) -> str:
                norm = memo.get(text)
                if norm is None:
                    norm = memo[text] = normalize_topic(text)
                return norm

            raw_sentences, raw_labels, raw_heads = self._raw
            by_label: dict[str, list[DigestFact]] = {}
            for label, facts in raw_labels.items():
                by_label.setdefault(fold(label), []).extend(facts)
            self._folded = (
                [(fold(text), doc_id, ids) for text, doc_id, ids in raw_sentences],
                by_label,
                [(doc_id, fold(head)) for doc_id, head in raw_heads],
            )
        return self._folded

    def term(self, term: str) -> _Term:
        """Return (computing once) the figures and documents one folded keyword matches."""
        with self.lock:
            found = self._terms.get(term)
            if found is None:
                if len(self._terms) >= _MAX_TERMS:
                    self._terms.clear()
                found = self._terms[term] = self._match(term)
            return found

    def _match(self, term: str) -> _Term:
        corpus = self.corpus
        # A keyword of CJK ideographs only matches the stored text exactly where it matches
        # the folded text (folding never makes or removes an ideograph), so it skips folding.
        sentences, labels, heads = self._texts(folded=not all(map(_is_ideograph, term)))
        head_docs = {doc_id for doc_id, head in heads if term in head}
        facts: set[int] = set()
        docs: set[int] = set(head_docs)
        if " " in term:
            # A keyword with a space may span the parts of the haystack: test it whole.
            for fact in corpus.facts:
                if term in _haystack(fact, corpus.document(fact.document_id)):
                    facts.add(fact.id)
                    docs.add(fact.document_id)
        else:
            # Without a space a keyword lies within one part: sentence, label, title or region.
            for norm, doc_id, ids in sentences:
                if term in norm:
                    facts.update(ids)
                    docs.add(doc_id)
            for label, with_label in labels.items():
                if term in label:
                    facts.update(f.id for f in with_label)
                    docs.update(f.document_id for f in with_label)
            for doc_id in head_docs:
                facts.update(f.id for f in self.facts_by_doc.get(doc_id, ()))
        docs.update(o.document_id for o in corpus.outcomes if outcome_matches(o, (term,)))
        return _Term(frozenset(facts), frozenset(docs))

    def new_documents(self, since: datetime | None, key: TopicKey, limit: int | None) -> list[DigestDocument]:
        """Return the first `limit` documents ingested after `since` that the topics keep."""
        cut = -1 if since is None else bisect.bisect_right(self.times, since)
        memo = (cut, key, limit)
        with self.lock:
            found = self._new.get(memo)
            if found is None:
                if len(self._new) >= _MAX_NEW_LISTS:
                    self._new.clear()
                found = self._new[memo] = self._new_documents(cut, key, limit)
            return list(found)

    def _new_documents(self, cut: int, key: TopicKey, limit: int | None) -> list[DigestDocument]:
        documents = self.corpus.documents
        positions: Iterable[int]
        if cut < 0:
            positions = range(len(documents))
        else:
            positions = self._new_positions.get(cut) or []
            if not positions and cut < len(self.by_time):
                positions = self._new_positions[cut] = sorted(self.by_time[cut:])
        keep = None if key is None else self.selection(key).documents
        out: list[DigestDocument] = []
        for pos in positions:
            if limit is not None and len(out) >= limit:
                break
            doc = documents[pos]
            if keep is None or doc.id in keep:
                out.append(doc)
        return out

    def rotation(self, key: TopicKey, *, skip: Set[int], shown: Set[int], limit: int) -> tuple[list[DigestFact], bool]:
        """Return the next `limit` (at least one) rotation figures not in `skip` or `shown`.

        When every figure was sent, the rotation starts over (only `shown` is skipped) and
        the flag says so.
        """
        with self.lock:
            rotation = self.selection(key).rotation
            want = max(limit, 1)
            for excluded in (skip, None):
                out: list[DigestFact] = []
                i = 0
                while len(out) < want and (fact := rotation.at(i)) is not None:
                    if fact.id not in shown and (excluded is None or fact.id not in excluded):
                        out.append(fact)
                    i += 1
                if out or rotation.at(0) is None:
                    return out, excluded is None
            return [], True


def rotation_order(corpus: Corpus, topics: Sequence[str] = ()) -> list[DigestFact]:
    """Return the figures eligible for the rotation, interleaving documents so days differ."""
    index = corpus.index
    with index.lock:
        rotation = index.selection(topic_key(topics)).rotation
        i = 0
        while rotation.at(i) is not None:
            i += 1
        return list(rotation.items)


def next_in_rotation(
    corpus: Corpus, topics: Sequence[str], *, sent_ids: Set[int], shown: Set[int], limit: int
) -> tuple[list[DigestFact], bool]:
    """Return a chat's next `limit` (at least one) rotation figures and whether the rotation restarted.

    Figures in `sent_ids` (already sent) and `shown` (in this digest) are skipped; once every
    figure was sent the rotation starts over. The rotation is computed once per corpus and set
    of topics and read only as far as the chat got, so this costs what the chat skips and shows.
    """
    return corpus.index.rotation(topic_key(topics), skip=sent_ids, shown=shown, limit=limit)


def topic_facts(corpus: Corpus, doc_id: int, topics: Sequence[str]) -> list[DigestFact]:
    """Return a document's figures that match the topics (all when none are set)."""
    index = corpus.index
    selection = index.selection(topic_key(topics))
    return [f for f in index.facts_by_doc.get(doc_id, ()) if selection.matches(f)]


def new_documents(
    corpus: Corpus, *, since: datetime | None, topics: Sequence[str] = (), limit: int | None = None
) -> list[DigestDocument]:
    """Return documents ingested after `since` (all when None) that match the topics (the first `limit`)."""
    return corpus.index.new_documents(since, topic_key(topics), limit)


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
    for doc in new_documents(corpus, since=since, topics=topics, limit=max_documents):
        figures = top_figures(topic_facts(corpus, doc.id, topics), limit=figures_per_document)
        outcomes = [o for o in corpus.outcomes_of(doc.id) if outcome_matches(o, topics)]
        entries.append(DigestEntry(doc, tuple(figures), tuple(outcomes[:outcomes_per_document])))
        shown_facts.update(f.id for f in figures)

    remaining, restarted = next_in_rotation(
        corpus, topics, sent_ids=sent_ids, shown=shown_facts, limit=max_items
    )
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
