"""Read-only value objects handed from the store to the CLI and the Telegram handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A stored document's metadata, as shown in source lines and /sources."""

    id: int
    name: str
    title: str
    regions: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    year: int | None = None
    date: str | None = None
    fact_count: int = 0
    sentence_count: int = 0
    ingested_at: str | None = None  # ISO timestamp (UTC)
    url: str | None = None  # the page's canonical link, for documents from the web


@dataclass(frozen=True, slots=True)
class FactView:
    """One extracted figure, in base units, with what it measures."""

    id: int
    kind: str
    span: str
    value: float | None
    unit: str
    qualifier: str | None = None
    target: bool = False
    period: int | None = None
    label: str = ""
    subject: str | None = None
    metric: str | None = None
    date: str | None = None
    sentence_id: int = 0
    document_id: int = 0
    start: int = 0  # offsets of the span in its sentence
    end: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the fact as the JSON object of the `facts --jsonl` contract (minus doc/sentence)."""
        return {
            "kind": self.kind,
            "span": self.span,
            "value": self.value,
            "unit": self.unit,
            "qualifier": self.qualifier,
            "target": self.target,
            "period": self.period,
            "label": self.label,
            "subject": self.subject,
            "metric": self.metric,
            "date": self.date,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """One ranked answer: the source sentence(s), its document and the facts it carries."""

    text: str
    doc: str
    score: float
    facts: tuple[FactView, ...]
    sentence_id: int
    document: DocumentInfo
    figure: str | None = None  # the span that answers the question, shown in bold
    intent: str = "other"
    figure_at: int | None = None  # where the figure stands in `text` (the same number may occur twice)

    def to_json(self) -> dict[str, Any]:
        """Return the answer as in the `ask --jsonl` contract."""
        return {
            "text": self.text,
            "doc": self.doc,
            "score": round(self.score, 4),
            "figure": self.figure,
            "facts": [f.to_json() for f in self.facts],
        }


@dataclass(frozen=True, slots=True)
class SentenceHit:
    """A sentence matching a keyword search."""

    sentence_id: int
    text: str
    document: DocumentInfo
    score: float = 0.0
    matched: str = ""  # the surface form found in the text (an alias of the keyword, say)


@dataclass(frozen=True, slots=True)
class FactHit:
    """A fact together with its sentence and document (targets, projects, key figures)."""

    fact: FactView
    sentence: str
    document: DocumentInfo


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What happened to one input file during ingestion."""

    name: str
    path: str
    status: str  # added | unchanged | replaced | refused
    reason: str | None = None
    document_id: int | None = None
    sentences: int = 0
    facts: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True unless the file was refused."""
        return self.status != "refused"
