"""Admin replies: upload and link ingestion reports, the replace button, the feed list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from render import texts
from render.html import esc
from render.replies import Button, Reply, callback
from store.views import IngestReport

CB_REPLACE = "rpl"  # rpl:<old document id>:<new document id> — the new upload replaces the old one


class FeedLine(Protocol):
    """What the /feeds list shows of a feed (store.feeds.FeedView)."""

    @property
    def id(self) -> int: ...

    @property
    def url(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def interval_minutes(self) -> int: ...

    @property
    def paused(self) -> bool: ...

    @property
    def last_status(self) -> str: ...

    @property
    def last_error(self) -> str | None: ...


def ingest_text(report: IngestReport, *, name: str, title: str | None) -> str:
    """Return what became of an uploaded file or a fetched link (`title`: the stored document's)."""
    if not report.ok:
        reason = report.reason or ""
        for prefix in (name, report.name):  # the report names the input too
            reason = reason.removeprefix(f"{prefix}: ")
        return texts.UPLOAD_REFUSED.format(name=esc(name), reason=esc(reason))
    if report.status == "unchanged":
        return texts.UPLOAD_UNCHANGED
    return texts.UPLOAD_DONE.format(
        title=esc(title or name), sentences=report.sentences, facts=report.facts,
        number=report.document_id,
    )


def upload_reply(report: IngestReport, *, name: str, title: str | None) -> Reply:
    """The upload report; when the name was already taken, a button to replace that document."""
    text = ingest_text(report, name=name, title=title)
    same = [int(d) for d in report.details.get("same_name_ids", ())] if report.ok else []
    if not same or report.document_id is None:
        return Reply(text)
    note = texts.UPLOAD_SAME_NAME.format(old=same[0], name=esc(report.name))
    button = Button(texts.BUTTON_REPLACE, callback(CB_REPLACE, same[0], report.document_id))
    return Reply(f"{text}\n{note}", ((button,),))


def _state(feed: FeedLine) -> str:
    if feed.paused:
        return texts.FEED_STATE_PAUSED.format(error=esc(feed.last_error or ""))
    if not feed.last_status:
        return texts.FEED_STATE_NEW
    if feed.last_status == "failed":
        return texts.FEED_STATE_FAILED.format(error=esc(feed.last_error or ""))
    return texts.FEED_STATE_OK


def feeds_html(feeds: Sequence[FeedLine]) -> str:
    """The /feeds list as HTML."""
    if not feeds:
        return texts.FEEDS_EMPTY
    lines = [texts.FEEDS_HEADER.format(count=len(feeds))]
    for feed in feeds:
        lines.append(
            texts.FEED_LINE.format(
                id=feed.id,
                name=esc(feed.name or "—"),
                interval=feed.interval_minutes,
                state=_state(feed),
                url=esc(feed.url),
            )
        )
    return "\n\n".join(lines)


def feed_added_text(feed: FeedLine) -> str:
    """Return the confirmation of /addfeed."""
    return texts.FEED_ADDED.format(id=feed.id, name=esc(feed.name or feed.url), interval=feed.interval_minutes)


def feed_removed_text(feed: FeedLine) -> str:
    """Return the confirmation of /rmfeed."""
    return texts.FEED_REMOVED.format(id=feed.id, name=esc(feed.name or feed.url))


def feed_paused_text(feed_id: int, name: str, *, failures: int, reason: str) -> str:
    """Return the note to admins that a feed was paused after repeated failures."""
    return texts.FEED_PAUSED_NOTICE.format(id=feed_id, name=esc(name), failures=failures, reason=esc(reason))
