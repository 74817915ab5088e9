"""RSS/Atom feeds: add, list, remove, claim due feeds, and poll them (conditional GET, backoff, pause)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from store.ingest.decode import IngestError
from store.ingest.fetch import FetchError, FetchPolicy, fetch, is_http_url
from store.ingest.html import clean_url
from store.models import Document, Feed, FeedItem, utcnow
from store.views import IngestReport

log = logging.getLogger(__name__)

# Polling schedule. A shorter interval finds news sooner but costs the sites more requests.
DEFAULT_INTERVAL_MINUTES = 30
MIN_INTERVAL_MINUTES = 5
# Backoff after a failed poll: interval × 2^(failures-1), at most this long.
MAX_BACKOFF = dt.timedelta(hours=24)
# After this many failed polls in a row the feed is paused and the admins are told.
PAUSE_AFTER_FAILURES = 5
# An item page that fails this many times is not fetched again until the feed changes it.
ITEM_MAX_FAILURES = 3
# Items read from one poll (newest first in most feeds); more are left for later polls.
MAX_ITEMS_PER_POLL = 50
# A poller owns a claimed feed this long (another replica may take it over afterwards).
CLAIM_LEASE = dt.timedelta(minutes=15)
# What a feed response may be; anything else is refused before parsing.
_FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/x-rss+xml",
        "application/feed+xml",
        "text/plain",
        "",
    }
)
_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"

STATUS_NEW = "new"
STATUS_CHANGED = "changed"
STATUS_UNCHANGED = "unchanged"
STATUS_FAILED = "failed"


class FeedError(ValueError):
    """A feed that cannot be added or found; the message says why."""


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------------------
# Feed list
# ---------------------------------------------------------------------------------------------


def add_feed(
    url: str,
    *,
    session: Session,
    name: str = "",
    interval_minutes: int = DEFAULT_INTERVAL_MINUTES,
    added_by: int | None = None,
) -> Feed:
    """Store a new feed (due at once); FeedError for a bad URL, a duplicate or a bad interval."""
    url = url.strip()
    if not is_http_url(url):
        raise FeedError(f"不是有效的 http/https 链接：{url}")
    if interval_minutes < MIN_INTERVAL_MINUTES:
        raise FeedError(f"轮询间隔至少 {MIN_INTERVAL_MINUTES} 分钟")
    existing = session.exec(select(Feed).where(Feed.url == url)).first()
    if existing is not None:
        raise FeedError(f"这个订阅源已经添加过了（编号 {existing.id}）")
    feed = Feed(
        url=url,
        name=name.strip(),
        interval_minutes=interval_minutes,
        added_by=added_by,
        next_poll_at=utcnow(),
    )
    session.add(feed)
    session.commit()
    session.refresh(feed)
    log.info("feed %s added: %s", feed.id, url)
    return feed


def list_feeds(*, session: Session) -> list[Feed]:
    """All feeds in the order they were added."""
    return list(session.exec(select(Feed).order_by(col(Feed.id))).all())


def get_feed(feed_id: int, *, session: Session) -> Feed | None:
    """One feed by id."""
    return session.get(Feed, feed_id)


def remove_feed(feed_id: int, *, session: Session) -> FeedView | None:
    """Delete a feed and its item records (documents stay); what the feed was, or None."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        return None
    view = FeedView.of(feed)
    url = feed.url
    session.expunge(feed)
    connection = session.connection()
    connection.execute(delete(FeedItem).where(col(FeedItem.feed_id) == feed_id))
    connection.execute(delete(Feed).where(col(Feed.id) == feed_id))
    session.commit()
    log.info("feed %s removed: %s", feed_id, url)
    return view


def resume_feed(feed_id: int, *, session: Session) -> Feed | None:
    """Un-pause a feed and make it due now."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        return None
    feed.paused, feed.failures, feed.next_poll_at = False, 0, utcnow()
    session.add(feed)
    session.commit()
    session.refresh(feed)
    return feed


def feed_links(document_id: int, *, session: Session) -> list[str]:
    """Every link a document is known under: its own URL, then the feed items that led to it."""
    doc = session.get(Document, document_id)
    links = [doc.url] if doc is not None and doc.url else []
    rows = session.exec(
        select(FeedItem.link).where(FeedItem.document_id == document_id).order_by(col(FeedItem.id))
    ).all()
    return list(dict.fromkeys([*links, *(r for r in rows if r)]))


def claim_due_feeds(
    *, session: Session, now: dt.datetime | None = None, force: bool = False
) -> list[int]:
    """Claim the feeds due now (all unpaused ones with `force`) for this poller; their ids."""
    now = now or utcnow()
    query = select(Feed.id).where(col(Feed.paused).is_(False))
    if not force:
        query = query.where(col(Feed.next_poll_at) <= now)
    free = or_(col(Feed.claimed_until).is_(None), col(Feed.claimed_until) < now)
    claimed: list[int] = []
    for feed_id in session.exec(query.where(free).order_by(col(Feed.next_poll_at))).all():
        if feed_id is None:
            continue
        result = session.connection().execute(
            update(Feed)
            .where(col(Feed.id) == feed_id, free)
            .values(claimed_until=now + CLAIM_LEASE)
        )
        if result.rowcount == 1:
            claimed.append(feed_id)
    session.commit()
    return claimed


# ---------------------------------------------------------------------------------------------
# Polling
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ItemOutcome:
    """What happened to one feed item in a poll."""

    guid: str
    link: str
    status: str  # added | replaced | unchanged | linked | refused | skipped
    document_id: int | None = None
    reason: str = ""


@dataclass(slots=True)
class PollResult:
    """One feed's poll: its status (new/changed/unchanged/failed), why, and the documents it made."""

    feed_id: int
    name: str
    url: str
    status: str
    reason: str = ""
    items: list[ItemOutcome] = field(default_factory=list)
    reports: list[IngestReport] = field(default_factory=list)
    paused: bool = False  # paused by this poll
    retry_in: dt.timedelta | None = None

    @property
    def new_documents(self) -> list[int]:
        """Documents this poll added (to announce)."""
        return [i.document_id for i in self.items if i.status == "added" and i.document_id]

    @property
    def changed_documents(self) -> list[int]:
        """Documents this poll replaced with a changed version."""
        return [i.document_id for i in self.items if i.status == "replaced" and i.document_id]

    def count(self, status: str) -> int:
        """Items with this outcome."""
        return sum(1 for i in self.items if i.status == status)

    def line(self) -> str:
        """One line for the CLI and logs: `#id name: status — details`."""
        head = f"#{self.feed_id} {self.name or self.url}: {self.status}"
        if self.status == STATUS_FAILED:
            tail = self.reason
            if self.paused:
                tail += f"；连续失败 {PAUSE_AFTER_FAILURES} 次，已暂停"
            elif self.retry_in is not None:
                tail += f"；{int(self.retry_in.total_seconds() // 60)} 分钟后重试"
            return f"{head} — {tail}"
        if self.reason:
            return f"{head} — {self.reason}"
        parts = [
            f"{self.count('added')} new",
            f"{self.count('replaced')} changed",
            f"{self.count('unchanged') + self.count('linked') + self.count('skipped')} unchanged",
        ]
        refused = [i for i in self.items if i.status == "refused"]
        if refused:
            parts.append(f"{len(refused)} refused ({refused[0].link}: {refused[0].reason})")
        return f"{head} — {', '.join(parts)}"


def item_date(entry: Any) -> tuple[str | None, str | None]:
    """(ISO timestamp with the feed's own offset, the day in that offset) of an entry, or Nones.

    feedparser's *_parsed fields are UTC: 07:30 +0800 would land on the previous day.
    """
    for key in ("published", "updated", "created", "dc_date"):
        raw = entry.get(key)
        if not raw:
            continue
        raw = str(raw).strip()
        when: dt.datetime | None = None
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            try:
                when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                when = None
        if when is not None:
            return when.isoformat(), when.date().isoformat()
    return None, None


def _fingerprint(entry: Any, link: str) -> str:
    parts = [
        str(entry.get("title", "")),
        link,
        str(entry.get("updated", "") or entry.get("published", "")),
        str(entry.get("summary", "")),
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _guid(entry: Any, link: str) -> str:
    guid = str(entry.get("id") or entry.get("guid") or link or "").strip()
    if not guid:
        guid = "title:" + hashlib.sha256(str(entry.get("title", "")).encode()).hexdigest()
    return guid


def parse_feed(body: bytes, *, url: str) -> Any:
    """feedparser's result for a feed body; FeedError when it is not well-formed RSS/Atom."""
    import xml.sax

    import feedparser

    parsed = feedparser.parse(body, response_headers={"content-location": url})
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(problem, xml.sax.SAXException):
        raise FeedError(f"XML 格式错误：{problem}")
    if not parsed.get("version"):
        raise FeedError("不是 RSS/Atom 订阅源（无法识别格式）")
    return parsed


def _finish(
    feed: Feed, result: PollResult, *, session: Session, now: dt.datetime, fetched: Any = None
) -> PollResult:
    """Record a poll's outcome on the feed: validators, schedule, failures, pause."""
    feed.last_polled_at = now
    feed.claimed_until = None
    feed.last_status = result.status
    interval = dt.timedelta(minutes=feed.interval_minutes)
    if result.status == STATUS_FAILED:
        feed.failures += 1
        feed.last_error = result.reason
        delay = min(interval * (2 ** (feed.failures - 1)), MAX_BACKOFF)
        feed.next_poll_at = now + delay
        result.retry_in = delay
        if feed.failures >= PAUSE_AFTER_FAILURES and not feed.paused:
            feed.paused = True
            result.paused = True
            log.warning("feed %s paused after %s failures: %s", feed.id, feed.failures, result.reason)
    else:
        feed.failures = 0
        feed.last_error = None
        feed.next_poll_at = now + interval
        if fetched is not None and not fetched.not_modified:
            feed.etag = fetched.etag
            feed.last_modified = fetched.last_modified
    session.add(feed)
    session.commit()
    return result


def poll_feed(
    feed_id: int,
    *,
    session: Session,
    policy: FetchPolicy | None = None,
    now: dt.datetime | None = None,
) -> PollResult:
    """Poll one feed: conditional GET, parse, fetch and ingest new or changed items, record the outcome."""
    policy = policy or FetchPolicy.from_env()
    now = now or utcnow()
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise FeedError(f"没有编号为 {feed_id} 的订阅源")
    result = PollResult(feed.id or feed_id, feed.name, feed.url, STATUS_UNCHANGED)
    etag, last_modified, url = feed.etag, feed.last_modified, feed.url
    session.rollback()  # no transaction open while fetching
    try:
        fetched = fetch(url, policy=policy, etag=etag, last_modified=last_modified, accept=_FEED_ACCEPT)
        if fetched.not_modified:
            result.reason = "304 Not Modified"
            return _finish(_reload(feed_id, session), result, session=session, now=now, fetched=fetched)
        if fetched.content_type not in _FEED_TYPES:
            raise FeedError(f"不是 RSS/Atom 订阅源（内容类型 {fetched.content_type}）")
        parsed = parse_feed(fetched.body, url=fetched.final_url)
    except (FetchError, FeedError) as exc:
        result.status = STATUS_FAILED
        result.reason = exc.reason if isinstance(exc, FetchError) else str(exc)
        return _finish(_reload(feed_id, session), result, session=session, now=now)

    feed = _reload(feed_id, session)
    for entry in list(parsed.entries)[:MAX_ITEMS_PER_POLL]:
        outcome, report = _poll_item(feed, entry, base=fetched.final_url, session=session, policy=policy, now=now)
        result.items.append(outcome)
        if report is not None:
            result.reports.append(report)
    if result.count("added"):
        result.status = STATUS_NEW
    elif result.count("replaced"):
        result.status = STATUS_CHANGED
    feed = _reload(feed_id, session)
    if not feed.name and parsed.feed.get("title"):
        feed.name = str(parsed.feed.get("title"))[:100]
        result.name = feed.name
    return _finish(feed, result, session=session, now=now, fetched=fetched)


def _reload(feed_id: int, session: Session) -> Feed:
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise FeedError(f"没有编号为 {feed_id} 的订阅源")
    return feed


def _poll_item(
    feed: Feed,
    entry: Any,
    *,
    base: str,
    session: Session,
    policy: FetchPolicy,
    now: dt.datetime,
) -> tuple[ItemOutcome, IngestReport | None]:
    """Ingest one feed item unless it is known unchanged (by guid, by link, or by content hash)."""
    from store.ingest.writer import fetch_source, ingest_source

    raw_link = str(entry.get("link") or "").strip()
    link = clean_url(urljoin(base, raw_link)) if raw_link else ""
    guid = _guid(entry, link)
    fingerprint = _fingerprint(entry, link)
    feed_id = feed.id or 0
    item = session.exec(
        select(FeedItem).where(FeedItem.feed_id == feed_id, FeedItem.guid == guid)
    ).first()
    if (
        item is not None
        and item.fingerprint == fingerprint
        and (item.document_id is not None or item.failures >= ITEM_MAX_FAILURES)
    ):
        return ItemOutcome(guid, link, "skipped", item.document_id, item.last_error or ""), None
    if not link or not is_http_url(link):
        return ItemOutcome(guid, link, "refused", reason="条目没有 http/https 链接"), None
    published, day = item_date(entry)
    if item is None:
        item = FeedItem(feed_id=feed_id, guid=guid, link=link, first_seen_at=now)
        # The same article already came in through another feed (or by hand): link, don't fetch.
        known = _document_by_link(link, session=session)
        if known is not None:
            item.title = str(entry.get("title", ""))[:300]
            item.published, item.fingerprint, item.document_id = published, fingerprint, known
            item.updated_at = now
            session.add(item)
            session.commit()
            return ItemOutcome(guid, link, "linked", known), None
    title = str(entry.get("title", ""))[:300]
    session.rollback()  # no transaction open while fetching and extracting
    try:
        source = fetch_source(link, policy=policy, date=day, date_source="feed" if day else None)
    except (FetchError, IngestError) as exc:
        reason = exc.reason
        item = _merge_item(item, session)
        item.failures += 1
        item.last_error = reason
        item.fingerprint = fingerprint
        item.title, item.published, item.updated_at = title, published, now
        session.add(item)
        session.commit()
        return ItemOutcome(guid, link, "refused", reason=reason), None
    name = source.url or link
    report = ingest_source(source, name=name, session=session, path=link)
    item = _merge_item(item, session)
    item.title, item.published, item.updated_at = title, published, now
    if not report.ok:
        item.failures += 1
        item.last_error = report.reason
        item.fingerprint = fingerprint
        session.add(item)
        session.commit()
        return ItemOutcome(guid, link, "refused", reason=report.reason or ""), report
    item.fingerprint, item.failures, item.last_error = fingerprint, 0, None
    item.document_id = report.document_id
    item.link = source.url or link
    session.add(item)
    replaced = [int(i) for i in report.details.get("replaced_ids", []) or []]
    if replaced and report.document_id is not None:
        # The replaced document's other feed items now point at its new version.
        session.connection().execute(
            update(FeedItem)
            .where(col(FeedItem.document_id).in_(replaced))
            .values(document_id=report.document_id)
        )
    session.commit()
    status = report.status if report.status in ("added", "replaced") else "unchanged"
    return ItemOutcome(guid, link, status, report.document_id), report


def _merge_item(item: FeedItem, session: Session) -> FeedItem:
    """The item attached to this session again (it may be new or detached by a rollback)."""
    if item.id is None:
        return item
    fresh = session.get(FeedItem, item.id)
    return fresh if fresh is not None else item


def _document_by_link(link: str, *, session: Session) -> int | None:
    doc_id = session.exec(
        select(FeedItem.document_id).where(
            FeedItem.link == link, col(FeedItem.document_id).is_not(None)
        )
    ).first()
    if doc_id is not None:
        return doc_id
    return session.exec(select(Document.id).where(Document.url == link)).first()


def poll_due(
    *,
    session: Session,
    policy: FetchPolicy | None = None,
    now: dt.datetime | None = None,
    force: bool = False,
) -> list[PollResult]:
    """Claim and poll every due feed (every unpaused one with `force`); one result per feed."""
    results = []
    for feed_id in claim_due_feeds(session=session, now=now, force=force):
        try:
            results.append(poll_feed(feed_id, session=session, policy=policy, now=now))
        except FeedError as exc:  # removed meanwhile
            log.info("feed %s not polled: %s", feed_id, exc)
    return results


# ---------------------------------------------------------------------------------------------
# For callers without a session (the bot's handlers and jobs)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedView:
    """A feed as shown in lists (detached from the database)."""

    id: int
    url: str
    name: str
    interval_minutes: int
    paused: bool
    failures: int
    last_status: str
    last_error: str | None
    last_polled_at: dt.datetime | None
    next_poll_at: dt.datetime | None

    @classmethod
    def of(cls, feed: Feed) -> FeedView:
        """The view of a stored feed."""
        return cls(
            id=feed.id or 0,
            url=feed.url,
            name=feed.name,
            interval_minutes=feed.interval_minutes,
            paused=feed.paused,
            failures=feed.failures,
            last_status=feed.last_status,
            last_error=feed.last_error,
            last_polled_at=_aware(feed.last_polled_at),
            next_poll_at=_aware(feed.next_poll_at),
        )


class FeedBook:
    """Add, list and remove feeds, each call in its own session."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def feeds(self) -> list[FeedView]:
        """All feeds, oldest first."""
        from store.db import session_scope

        with session_scope(self.engine) as session:
            return [FeedView.of(f) for f in list_feeds(session=session)]

    def add(
        self,
        url: str,
        *,
        name: str = "",
        interval_minutes: int = DEFAULT_INTERVAL_MINUTES,
        added_by: int | None = None,
    ) -> FeedView:
        """Add a feed (FeedError says why not)."""
        from store.db import session_scope

        with session_scope(self.engine) as session:
            feed = add_feed(
                url, session=session, name=name, interval_minutes=interval_minutes, added_by=added_by
            )
            return FeedView.of(feed)

    def remove(self, feed_id: int) -> FeedView | None:
        """Remove a feed; its view, or None when there is no such feed."""
        from store.db import session_scope

        with session_scope(self.engine) as session:
            return remove_feed(feed_id, session=session)
