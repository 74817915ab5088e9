"""CLI contracts for web intake: `ingest URL…` (and `feeds …` in test_feeds_cli)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.bot.test_cli import run_cli
from tests.webkit import ARTICLES, LAYOUTS


def test_ingest_urls_prints_one_line_per_page(
    web: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    web.expect_request("/news.html").respond_with_data(
        LAYOUTS["news"](ARTICLES[1]), content_type="text/html; charset=utf-8"
    )
    web.expect_request("/gone").respond_with_data("", status=404)
    db = tmp_path / "bot.db"
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", "1")
    result = run_cli(["ingest", web.url_for("/news.html"), web.url_for("/gone")], db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("added") and web.url_for("/news.html") in lines[0]
    assert lines[1].startswith("refused") and "HTTP 404" in lines[1]
    sources = run_cli(["sources"], db)
    assert ARTICLES[1].title in sources.stdout and "2024-01-22" in sources.stdout
    monkeypatch.delenv("FETCH_ALLOW_PRIVATE")
    result = run_cli(["ingest", web.url_for("/news.html")], db)
    assert "FETCH_ALLOW_PRIVATE" in result.stdout and result.returncode == 1


def test_feeds_add_list_poll_remove(web: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from tests.webkit import rss

    items = []
    for i, art in enumerate(ARTICLES):
        path = f"/n/{i}.html"
        web.expect_request(path).respond_with_data(LAYOUTS["news"](art), content_type="text/html")
        items.append({"title": art.title, "link": web.url_for(path), "guid": f"g{i}"})
    web.expect_request("/rss.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    web.expect_request("/dead.xml").respond_with_data("", status=404)
    db = tmp_path / "bot.db"
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", "1")
    added = run_cli(["feeds", "add", web.url_for("/rss.xml"), "--name", "测试源", "--interval", "15"], db)
    assert added.returncode == 0 and "#1" in added.stdout, added.stderr
    assert run_cli(["feeds", "add", web.url_for("/dead.xml")], db).returncode == 0
    duplicate = run_cli(["feeds", "add", web.url_for("/rss.xml")], db)
    assert duplicate.returncode == 2 and "已经添加" in duplicate.stderr
    listed = run_cli(["feeds", "list", "--jsonl"], db)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["name"], r["interval"], r["paused"]) for r in rows] == [
        (1, "测试源", 15, False),
        (2, "", 30, False),
    ]
    polled = run_cli(["feeds", "poll", "--once"], db)
    assert polled.returncode == 0, polled.stderr
    lines = polled.stdout.splitlines()
    assert lines[0].startswith("#1 测试源: new — 3 new"), lines
    assert lines[1].startswith("#2 ") and ": failed — 服务器返回 HTTP 404" in lines[1]
    assert run_cli(["feeds", "poll", "--once"], db).stdout.startswith("no feed is due")
    again = run_cli(["feeds", "poll", "--once", "--all"], db)
    assert again.stdout.splitlines()[0].startswith("#1 测试源: unchanged — 0 new, 0 changed, 3 unchanged")
    sources = run_cli(["sources"], db).stdout
    assert all(art.title in sources for art in ARTICLES)
    removed = run_cli(["feeds", "remove", "2"], db)
    assert removed.returncode == 0 and "removed feed #2" in removed.stdout
    assert run_cli(["feeds", "remove", "2"], db).returncode == 1
