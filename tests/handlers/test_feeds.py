"""Feeds and links through the real Application: /feeds /addfeed /rmfeed, polling job, URL and .docx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from bot.feeds_job import poll_and_announce
from render import texts
from tests.conftest import BotHarness, make_settings, running_bot
from tests.dbkit import database_url
from tests.fake_bot_api import FakeBotApi, parse_html
from tests.webkit import ARTICLES, LAYOUTS, make_docx, rss

ADMIN = 42
ANNOUNCE = -1003333333333


@pytest.fixture
async def feed_bot(
    fake_api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotHarness]:
    from store.service import FactStore

    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", "1")
    store = FactStore.open(database_url(tmp_path, "feeds"))
    settings = make_settings(fake_api, admin_ids=str(ADMIN), announce_chat_ids=str(ANNOUNCE))
    async with running_bot(fake_api, settings, store) as harness:
        yield harness


def _text(call: Any) -> str:
    return parse_html(call.text)


async def test_admins_manage_feeds_and_new_items_are_announced_once(
    feed_bot: BotHarness, web: HTTPServer
) -> None:
    api = feed_bot.api
    items = []
    for i, article in enumerate(ARTICLES):
        path = f"/n/{i}.html"
        web.expect_request(path).respond_with_data(LAYOUTS["news"](article), content_type="text/html")
        items.append({"title": article.title, "link": web.url_for(path), "guid": f"g{i}"})
    web.expect_request("/rss.xml").respond_with_data(rss(items), content_type="application/rss+xml")

    assert _text(await feed_bot.private("/feeds", user_id=1001)) == texts.FEEDS_NOT_ADMIN
    assert _text(await feed_bot.private("/addfeed", user_id=ADMIN)) == texts.FEED_ADD_USAGE
    assert _text(await feed_bot.private("/feeds", user_id=ADMIN)) == texts.FEEDS_EMPTY
    added = _text(await feed_bot.private(f"/addfeed {web.url_for('/rss.xml')} 园区新闻", user_id=ADMIN))
    assert added.startswith("已添加订阅源 1：园区新闻"), added
    bad = _text(await feed_bot.private("/addfeed ftp://example.com/x", user_id=ADMIN))
    assert bad.startswith("没有添加：")
    listed = _text(await feed_bot.private("/feeds", user_id=ADMIN))
    assert "园区新闻" in listed and web.url_for("/rss.xml") in listed and texts.FEED_STATE_NEW in listed

    first = await poll_and_announce(feed_bot.app)
    assert [len(r.new_documents) for r in first] == [3]
    # Recorded with the documents; the fan-out lease holder (this bot) posts them at its tick.
    await api.wait_until(lambda: len(api.sent_messages(ANNOUNCE)) >= 3, timeout=10)
    announced = api.sent_messages(ANNOUNCE)
    assert len(announced) == 3
    assert all(any(a.title in _text(c) for c in announced) for a in ARTICLES)
    second = await poll_and_announce(feed_bot.app, force=True)
    assert [r.status for r in second] == ["unchanged"]
    assert len(api.sent_messages(ANNOUNCE)) == 3
    # The new documents are answerable at once (the index was refreshed).
    answer = await feed_bot.private("临港示范区一季度新签约项目多少个？", user_id=1001)
    assert "42个" in _text(answer)

    removed = _text(await feed_bot.private("/rmfeed 1", user_id=ADMIN))
    assert removed.startswith("已删除订阅源 1")
    assert _text(await feed_bot.private("/rmfeed 1", user_id=ADMIN)) == texts.FEED_NOT_FOUND.format(id=1)
    assert _text(await feed_bot.private("/rmfeed x", user_id=ADMIN)) == texts.FEED_RM_USAGE


async def test_admin_link_and_docx_upload_are_ingested(feed_bot: BotHarness, web: HTTPServer) -> None:
    api = feed_bot.api
    web.expect_request("/page.html").respond_with_data(LAYOUTS["portal"](ARTICLES[2]), content_type="text/html")
    url = web.url_for("/page.html")
    replies = await feed_bot.replies_until_sentinel(api.make_private_text(url, user_id=ADMIN), ADMIN)
    assert _text(replies[0]).startswith("正在抓取")
    assert _text(replies[1]) .startswith(f"已收录《{ARTICLES[2].title}》"), [_text(r) for r in replies]
    assert any(ARTICLES[2].title in _text(c) for c in api.sent_messages(ANNOUNCE))
    # A non-admin's link is a question like any other text (nothing fetched).
    hits = len(web.log)
    await feed_bot.private(url, user_id=1001)
    assert len(web.log) == hits

    docx = make_docx(ARTICLES[1].paragraphs, title=ARTICLES[1].title)
    update = api.make_document(
        docx,
        file_name="report.docx",
        mime_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        user_id=ADMIN,
    )
    replies = await feed_bot.replies_until_sentinel(update, ADMIN)
    assert _text(replies[0]).startswith(f"已收录《{ARTICLES[1].title}》"), [_text(r) for r in replies]


async def test_a_failing_feed_is_paused_and_admins_are_told(feed_bot: BotHarness, web: HTTPServer) -> None:
    from store.feeds import PAUSE_AFTER_FAILURES

    web.expect_request("/down.xml").respond_with_data("", status=500)
    await feed_bot.private(f"/addfeed {web.url_for('/down.xml')}", user_id=ADMIN)
    mark = feed_bot.api.mark()
    for _ in range(PAUSE_AFTER_FAILURES):
        (result,) = await poll_and_announce(feed_bot.app, force=True)
        assert result.status == "failed"
    notices = [_text(c) for c in feed_bot.api.sent_messages(ADMIN, since=mark)]
    assert len(notices) == 1 and "已暂停" in notices[0] and "HTTP 500" in notices[0]
    assert await poll_and_announce(feed_bot.app, force=True) == []
    listed = _text(await feed_bot.private("/feeds", user_id=ADMIN))
    assert "已暂停" in listed
