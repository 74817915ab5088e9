"""Feeds against a local HTTP server: RSS 0.91/1.0/2.0 and Atom, polling twice, changes, 304, refusals."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from werkzeug import Request, Response

from store.db import init_db, make_engine, session_scope
from store.feeds import (
    PAUSE_AFTER_FAILURES,
    FeedError,
    add_feed,
    claim_due_feeds,
    feed_links,
    item_date,
    list_feeds,
    poll_due,
    poll_feed,
    remove_feed,
)
from store.ingest.fetch import FetchPolicy
from store.models import Document, Feed, FeedItem
from tests.dbkit import database_url
from tests.webkit import Article, atom, news_page, rdf, rss

ALLOW = FetchPolicy(allow_private=True, read_timeout=1.0, total_timeout=30.0, max_bytes=1024 * 1024)


def article(i: int, extra: str = "") -> Article:
    """A distinct short article per number (written for these tests)."""
    return Article(
        f"示范区第{i}批重点项目集中签约",
        f"2024-03-{i % 28 + 1:02d}",
        "示范区融媒体中心",
        (
            f"本次集中签约项目{i + 3}个，总投资{i * 10 + 5}亿元，涉及先进制造和现代服务等领域。",
            f"示范区今年以来累计签约项目{i * 4 + 20}个，同比增长{i + 2}%。{extra}",
        ),
    )


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(database_url(tmp_path, "feeds"))
    init_db(eng)
    return eng


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as s:
        yield s


def _docs(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Document)).one())


def _serve_pages(web: HTTPServer, numbers: range, prefix: str = "/p") -> list[dict[str, str]]:
    items = []
    for i in numbers:
        path = f"{prefix}/{i}.html"
        web.expect_request(path).respond_with_data(news_page(article(i)), content_type="text/html")
        items.append(
            {
                "title": article(i).title,
                "link": web.url_for(path) + "?utm_source=rss",
                "guid": f"item-{i}",
                "pubDate": f"Mon, {i % 28 + 1:02d} Apr 2024 07:30:00 +0800",
            }
        )
    return items


def test_a_20_item_feed_polled_twice_ingests_each_item_once(web: HTTPServer, session: Session) -> None:
    items = _serve_pages(web, range(20))
    web.expect_request("/feed.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    feed = add_feed(web.url_for("/feed.xml"), session=session, name="示范区")
    first = poll_feed(feed.id or 0, session=session, policy=ALLOW)
    assert first.status == "new", first.line()
    assert len(first.new_documents) == 20 and first.count("refused") == 0
    assert _docs(session) == 20
    page_hits = sum(1 for req, _ in web.log if req.path.startswith("/p/"))
    second = poll_feed(feed.id or 0, session=session, policy=ALLOW)
    assert second.status == "unchanged", second.line()
    assert second.new_documents == [] and _docs(session) == 20
    # Unchanged items are not fetched again.
    assert sum(1 for req, _ in web.log if req.path.startswith("/p/")) == page_hits
    # The feed's date keeps its offset: 07:30 +0800 on 1 April is 1 April, not 31 March (UTC).
    doc = session.exec(select(Document).where(Document.title == article(0).title)).one()
    assert doc.date == "2024-04-01" and doc.date_source == "feed"
    assert doc.url == web.url_for("/p/0.html")  # tracking parameter dropped
    assert "20 new" in first.line() and "20 unchanged" in second.line()


def test_not_modified_costs_no_ingestion(web: HTTPServer, session: Session) -> None:
    items = _serve_pages(web, range(3))
    web.expect_request("/cond.xml", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    web.expect_request("/cond.xml").respond_with_data(
        rss(items), content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    feed = add_feed(web.url_for("/cond.xml"), session=session)
    assert poll_feed(feed.id or 0, session=session, policy=ALLOW).status == "new"
    requests_before = len(web.log)
    result = poll_feed(feed.id or 0, session=session, policy=ALLOW)
    assert (result.status, result.reason) == ("unchanged", "304 Not Modified")
    assert len(web.log) == requests_before + 1  # the feed only, no page
    assert _docs(session) == 3
    stored = session.get(Feed, feed.id)
    assert stored is not None and stored.etag == '"v1"' and stored.name == "示范区新闻"


def test_a_changed_item_replaces_its_document(web: HTTPServer, session: Session) -> None:
    pages = {f"/c/{i}.html": news_page(article(i)) for i in range(2)}
    for path in pages:
        web.expect_request(path).respond_with_handler(
            lambda req: Response(pages[req.path], content_type="text/html")
        )
    items = [
        {"title": article(i).title, "link": web.url_for(f"/c/{i}.html"), "guid": f"item-{i}",
         "pubDate": "Mon, 01 Apr 2024 07:30:00 +0800"}
        for i in range(2)
    ]
    feeds = [rss(items), rss([dict(items[0], pubDate="Tue, 02 Apr 2024 09:00:00 +0800"), items[1]])]
    web.expect_request("/changing.xml").respond_with_handler(
        lambda req: Response(feeds[0], content_type="application/rss+xml")
    )
    feed = add_feed(web.url_for("/changing.xml"), session=session)
    first = poll_feed(feed.id or 0, session=session, policy=ALLOW)
    assert first.status == "new"
    old_id = first.new_documents[0]
    # The feed updates item 0 and its page now carries a correction.
    feeds.pop(0)
    pages["/c/0.html"] = news_page(article(0, extra="记者更正：签约项目总数以管委会公布为准。"))
    second = poll_feed(feed.id or 0, session=session, policy=ALLOW)
    assert second.status == "changed", second.line()
    assert second.new_documents == [] and len(second.changed_documents) == 1
    new_id = second.changed_documents[0]
    assert new_id != old_id and session.get(Document, old_id) is None
    assert _docs(session) == 2
    item = session.exec(select(FeedItem).where(FeedItem.guid == "item-0")).one()
    assert item.document_id == new_id
    doc = session.get(Document, new_id)
    assert doc is not None and doc.date == "2024-04-02"


def test_atom_rss1_and_rss091_feeds(web: HTTPServer, session: Session) -> None:
    pages = _serve_pages(web, range(30, 36), prefix="/f")
    web.expect_request("/atom.xml").respond_with_data(
        atom(
            [
                {"title": p["title"], "link": p["link"], "id": f"urn:x:{k}", "updated": "2024-01-22T07:30:00+08:00"}
                for k, p in enumerate(pages[:2])
            ]
        ),
        content_type="application/atom+xml",
    )
    web.expect_request("/rdf.xml").respond_with_data(
        rdf([{"title": p["title"], "link": p["link"], "date": "2023-12-31T23:30:00-05:00"} for p in pages[2:4]]),
        content_type="application/rdf+xml",
    )
    web.expect_request("/old.xml").respond_with_data(
        rss([{"title": p["title"], "link": p["link"]} for p in pages[4:6]], version="0.91"),
        content_type="text/xml",
    )
    results = {}
    for path in ("/atom.xml", "/rdf.xml", "/old.xml"):
        feed = add_feed(web.url_for(path), session=session)
        results[path] = poll_feed(feed.id or 0, session=session, policy=ALLOW)
        assert results[path].status == "new", results[path].line()
        assert len(results[path].new_documents) == 2
    atom_doc = session.get(Document, results["/atom.xml"].new_documents[0])
    assert atom_doc is not None and atom_doc.date == "2024-01-22"
    rdf_doc = session.get(Document, results["/rdf.xml"].new_documents[0])
    assert rdf_doc is not None and rdf_doc.date == "2023-12-31"  # not 2024-01-01 (UTC)
    assert _docs(session) == 6


def test_same_article_on_two_sites_is_one_document_with_both_links(
    web: HTTPServer, session: Session
) -> None:
    page = news_page(article(50))
    for path in ("/site-a/story.html", "/site-b/reprint.html"):
        web.expect_request(path).respond_with_data(page, content_type="text/html")
    web.expect_request("/a.xml").respond_with_data(
        rss([{"title": "A", "link": web.url_for("/site-a/story.html"), "guid": "a-1"}]),
        content_type="application/rss+xml",
    )
    web.expect_request("/b.xml").respond_with_data(
        rss([{"title": "B", "link": web.url_for("/site-b/reprint.html"), "guid": "b-1"}]),
        content_type="application/rss+xml",
    )
    a = add_feed(web.url_for("/a.xml"), session=session)
    b = add_feed(web.url_for("/b.xml"), session=session)
    first = poll_feed(a.id or 0, session=session, policy=ALLOW)
    second = poll_feed(b.id or 0, session=session, policy=ALLOW)
    assert len(first.new_documents) == 1 and second.new_documents == []
    assert second.status == "unchanged"
    assert _docs(session) == 1
    links = feed_links(first.new_documents[0], session=session)
    assert links == [web.url_for("/site-a/story.html"), web.url_for("/site-b/reprint.html")]
    # A third feed with the same link is linked without fetching the page again.
    web.expect_request("/c.xml").respond_with_data(
        rss([{"title": "C", "link": web.url_for("/site-a/story.html"), "guid": "c-1"}]),
        content_type="application/rss+xml",
    )
    c = add_feed(web.url_for("/c.xml"), session=session)
    hits = sum(1 for req, _ in web.log if req.path == "/site-a/story.html")
    third = poll_feed(c.id or 0, session=session, policy=ALLOW)
    assert [i.status for i in third.items] == ["linked"]
    assert sum(1 for req, _ in web.log if req.path == "/site-a/story.html") == hits


def _slow(request: Request) -> Response:
    time.sleep(2.5)
    return Response("<rss/>", content_type="application/rss+xml")


def _huge(request: Request) -> Response:
    chunk = b"<!-- " + b"x" * 65536 + b" -->"

    def body() -> Iterator[bytes]:
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            yield chunk

    return Response(body(), content_type="application/rss+xml")


def test_feed_refusals_say_why_and_change_nothing(web: HTTPServer, session: Session) -> None:
    web.expect_request("/404.xml").respond_with_data("", status=404)
    web.expect_request("/slow.xml").respond_with_handler(_slow)
    web.expect_request("/loop1.xml").respond_with_data("", status=301, headers={"Location": "/loop2.xml"})
    web.expect_request("/loop2.xml").respond_with_data("", status=301, headers={"Location": "/loop1.xml"})
    web.expect_request("/big.xml").respond_with_handler(_huge)
    web.expect_request("/photo.xml").respond_with_data(b"\x89PNG\r\n", content_type="image/png")
    web.expect_request("/page.xml").respond_with_data("<html><body><p>不是订阅源。</p></body></html>", content_type="text/html")
    web.expect_request("/broken.xml").respond_with_data(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>坏</title><item><title>x</item></channel>',
        content_type="application/rss+xml",
    )
    strict = FetchPolicy(allow_private=True, read_timeout=0.5, total_timeout=30.0, max_bytes=1024 * 1024)
    cases = {
        "/404.xml": "HTTP 404",
        "/slow.xml": "超时",
        "/loop1.xml": "重定向循环",
        "/big.xml": "内容太大",
        "/photo.xml": "内容类型 image/png",
        "/page.xml": "内容类型 text/html",
        "/broken.xml": "XML 格式错误",
    }
    for path, why in cases.items():
        feed = add_feed(web.url_for(path), session=session)
        result = poll_feed(feed.id or 0, session=session, policy=strict)
        assert result.status == "failed", path
        assert why in result.reason, (path, result.reason)
        assert why in result.line() and "分钟后重试" in result.line()
    # A feed on 127.0.0.1 without FETCH_ALLOW_PRIVATE.
    items = _serve_pages(web, range(60, 61), prefix="/local")
    web.expect_request("/local.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    local = add_feed(web.url_for("/local.xml"), session=session)
    result = poll_feed(local.id or 0, session=session, policy=FetchPolicy(allow_private=False))
    assert result.status == "failed" and "FETCH_ALLOW_PRIVATE" in result.reason
    assert not any(req.path == "/local.xml" for req, _ in web.log)  # never connected
    assert _docs(session) == 0
    assert session.exec(select(func.count()).select_from(FeedItem)).one() == 0


def test_failures_back_off_then_pause(web: HTTPServer, session: Session) -> None:
    web.expect_request("/down.xml").respond_with_data("", status=503)
    feed = add_feed(web.url_for("/down.xml"), session=session, interval_minutes=10)
    start = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)
    delays = []
    paused = []
    for k in range(PAUSE_AFTER_FAILURES):
        now = start + dt.timedelta(days=k)
        result = poll_feed(feed.id or 0, session=session, policy=ALLOW, now=now)
        delays.append(result.retry_in)
        paused.append(result.paused)
    assert delays[:3] == [dt.timedelta(minutes=m) for m in (10, 20, 40)]
    assert paused == [False] * (PAUSE_AFTER_FAILURES - 1) + [True]
    stored = session.get(Feed, feed.id)
    assert stored is not None and stored.paused and stored.failures == PAUSE_AFTER_FAILURES
    assert "已暂停" in result.line()
    # A paused feed is never claimed, even when forced.
    assert claim_due_feeds(session=session, now=start + dt.timedelta(days=30), force=True) == []


def test_schedule_claims_only_due_feeds_once(web: HTTPServer, session: Session) -> None:
    items = _serve_pages(web, range(70, 71), prefix="/s")
    web.expect_request("/sched.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    feed = add_feed(web.url_for("/sched.xml"), session=session, interval_minutes=30)
    now = dt.datetime.now(dt.UTC)
    results = poll_due(session=session, policy=ALLOW, now=now)
    assert [r.feed_id for r in results] == [feed.id]
    assert poll_due(session=session, policy=ALLOW, now=now + dt.timedelta(minutes=29)) == []
    assert [r.feed_id for r in poll_due(session=session, policy=ALLOW, now=now + dt.timedelta(minutes=31))] == [feed.id]
    # A claim keeps a second poller away until it is released.
    later = now + dt.timedelta(hours=2)
    assert claim_due_feeds(session=session, now=later) == [feed.id]
    assert claim_due_feeds(session=session, now=later) == []


def test_feed_list_add_remove(session: Session) -> None:
    feed = add_feed("https://example.com/rss", session=session, name="例子", interval_minutes=60)
    with pytest.raises(FeedError, match="已经添加"):
        add_feed("https://example.com/rss", session=session)
    with pytest.raises(FeedError, match="http"):
        add_feed("ftp://example.com/rss", session=session)
    with pytest.raises(FeedError, match="间隔"):
        add_feed("https://example.com/other", session=session, interval_minutes=1)
    assert [(f.name, f.interval_minutes) for f in list_feeds(session=session)] == [("例子", 60)]
    assert remove_feed(feed.id or 0, session=session) is not None
    assert remove_feed(feed.id or 0, session=session) is None
    assert list_feeds(session=session) == []


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"published": "Mon, 22 Jan 2024 07:30:00 +0800"}, ("2024-01-22T07:30:00+08:00", "2024-01-22")),
        ({"updated": "2024-01-22T07:30:00+08:00"}, ("2024-01-22T07:30:00+08:00", "2024-01-22")),
        ({"published": "2024-01-21T23:30:00Z"}, ("2024-01-21T23:30:00+00:00", "2024-01-21")),
        ({"published": "not a date"}, (None, None)),
        ({}, (None, None)),
    ],
)
def test_item_dates_keep_their_offset(entry: dict[str, str], expected: tuple[str | None, str | None]) -> None:
    assert item_date(entry) == expected
