"""SQLModel tables for documents, sentences, facts, and the feeds documents come from."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Return the current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


class Document(SQLModel, table=True):
    """One ingested article or report, identified by the hash of its text (and by its file path)."""

    # One document per ingested file path (uploads have none): two processes ingesting two
    # versions of one file cannot both insert.
    __table_args__ = (
        Index(
            "uq_document_path", "path", unique=True,
            sqlite_where=text("path != ''"), postgresql_where=text("path != ''"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)  # file name, e.g. 004_9ba4c9d2bb8ea06c.txt
    path: str = ""
    content_hash: str = Field(index=True, unique=True)
    title: str = ""
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    authors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    year: int | None = None
    date: str | None = None  # best-known ISO date (may be partial: 2023, 2023-02, 2023-02-02)
    date_source: str | None = None  # how the date was found, e.g. "text:1月28日"
    url: str | None = None  # canonical link of a web page or feed item (None for files)
    char_count: int = 0
    sentence_count: int = 0
    fact_count: int = 0
    ingested_at: datetime = Field(default_factory=utcnow)


class Sentence(SQLModel, table=True):
    """One sentence of a document, in reading order, with its paragraph and role."""

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    paragraph_no: int = 0
    position: int = 0  # order within the document
    kind: str = "body"  # body | heading | title | caption | byline
    text: str = ""
    tokens: str = ""  # space-joined search tokens, so the index is rebuilt without jieba


class Fact(SQLModel, table=True):
    """One figure extracted from a sentence (value in base units)."""

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    sentence_id: int = Field(foreign_key="sentence.id", index=True)
    kind: str = Field(index=True)  # money count percent area rank date duration other
    span: str = ""
    start: int = 0
    end: int = 0
    value: float | None = None
    unit: str = ""
    qualifier: str | None = None
    target: bool = False
    period: int | None = None
    subject: str | None = None
    metric: str | None = None
    label: str = ""
    date: str | None = None  # ISO date for kind == "date"


class DocumentSet(SQLModel, table=True):
    """One row (id 1): a version bumped in the same transaction as every change to the documents."""

    id: int | None = Field(default=None, primary_key=True)
    version: int = 0


class Feed(SQLModel, table=True):
    """An RSS/Atom feed polled on a schedule, with its HTTP validators and failure state."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(index=True, unique=True)
    name: str = ""
    interval_minutes: int = 30
    etag: str | None = None
    last_modified: str | None = None
    next_poll_at: datetime = Field(default_factory=utcnow, index=True)
    claimed_until: datetime | None = None  # a poller owns the feed until then
    last_polled_at: datetime | None = None
    last_status: str = ""  # new | changed | unchanged | failed
    last_error: str | None = None
    failures: int = 0  # consecutive failed polls
    paused: bool = False
    added_by: int | None = Field(default=None, sa_type=BigInteger)  # Telegram user id
    created_at: datetime = Field(default_factory=utcnow)


class FeedItem(SQLModel, table=True):
    """One item seen in a feed: its guid and link, its fingerprint, and the document it became."""

    __table_args__ = (UniqueConstraint("feed_id", "guid"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True)
    guid: str
    link: str = Field(default="", index=True)  # the page's canonical link once fetched
    title: str = ""
    published: str | None = None  # as the feed wrote it, ISO 8601 with its own UTC offset
    fingerprint: str = ""  # hash of what the feed says about the item (title, link, dates, summary)
    document_id: int | None = Field(default=None, index=True)  # no FK: replaced documents get new ids
    failures: int = 0
    last_error: str | None = None
    first_seen_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
