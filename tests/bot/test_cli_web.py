"""CLI contracts for web intake: `ingest URL…` (and `feeds …` in test_feeds_cli)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.bot.test_cli import run_cli
from tests.webkit import ARTICLES, LAYOUTS


@pytest.fixture
def web() -> Iterator[HTTPServer]:
    srv = HTTPServer(host="127.0.0.1", threaded=True)
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


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
