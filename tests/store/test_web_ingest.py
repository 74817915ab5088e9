"""Web intake against a local HTTP server: three site layouts, PDF, DOCX, and every refusal."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from werkzeug import Request, Response

from store.db import init_db, make_engine, session_scope
from store.ingest import fetch as fetch_module
from store.ingest.fetch import FetchError, FetchPolicy, fetch, resolve
from store.ingest.html import clean_title, clean_url, decode_html, is_chrome_line
from store.ingest.writer import ingest_bytes, ingest_paths, ingest_url
from store.models import Document, Fact, Sentence
from tests.dbkit import database_url
from tests.webkit import ARTICLES, CHROME_WORDS, LAYOUTS, NEWS_DEV, make_docx, make_pdf, news_page

ALLOW = FetchPolicy(allow_private=True, read_timeout=1.0, total_timeout=5.0)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(database_url(tmp_path, "web"))
    init_db(eng)
    return eng


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as s:
        yield s


def _counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.exec(select(func.count()).select_from(t)).one() for t in (Document, Sentence, Fact)
    )


def _sentences(session: Session, doc_id: int) -> list[tuple[str, str]]:
    rows = session.exec(
        select(Sentence.kind, Sentence.text)
        .where(Sentence.document_id == doc_id)
        .order_by(col(Sentence.position))
    ).all()
    return [(k, t) for k, t in rows]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_each_layout_yields_the_article_without_chrome(
    layout: str, web: HTTPServer, session: Session
) -> None:
    article = ARTICLES[sorted(LAYOUTS).index(layout)]
    path = f"/{layout}/article.html"
    body = LAYOUTS[layout](article)
    # The portal declares GB2312 only in <meta>: the header names no charset.
    web.expect_request(path).respond_with_data(body, content_type="text/html")
    url = web.url_for(path) + "?utm_source=feed&id=7"
    report = ingest_url(url, session=session, policy=ALLOW)
    assert report.status == "added", report.reason
    doc = session.get(Document, report.document_id)
    assert doc is not None
    assert doc.title == article.title
    assert doc.date == article.day
    assert doc.url == web.url_for(path) + "?id=7"  # tracking parameters dropped
    sentences = _sentences(session, doc.id or 0)
    assert "".join(t for k, t in sentences if k == "body") == "".join(article.paragraphs)
    assert [t for k, t in sentences if k == "title"] == [article.title]
    for word in (*CHROME_WORDS, "首页", "政务公开", "相关新闻", "微博"):
        assert not any(word in t for _, t in sentences), (word, sentences)
    assert report.facts > 0


def test_canonical_link_names_the_document_and_a_refetch_is_unchanged(
    web: HTTPServer, session: Session
) -> None:
    article = ARTICLES[1]
    canonical = "https://news.example.com/2024/01/22/c_1.htm"
    web.expect_request("/c.html").respond_with_data(
        news_page(article, canonical=canonical + "?spm=1"), content_type="text/html; charset=utf-8"
    )
    first = ingest_url(web.url_for("/c.html"), session=session, policy=ALLOW)
    assert first.status == "added", first.reason
    assert first.name == canonical
    doc = session.get(Document, first.document_id)
    assert doc is not None and doc.url == canonical
    again = ingest_url(web.url_for("/c.html"), session=session, policy=ALLOW)
    assert again.status == "unchanged"
    assert again.document_id == first.document_id


def test_a_changed_page_replaces_its_document(web: HTTPServer, session: Session) -> None:
    article = ARTICLES[0]
    web.expect_ordered_request("/p.html").respond_with_data(
        LAYOUTS["news"](article), content_type="text/html"
    )
    changed = type(article)(article.title, article.day, article.source, [*article.paragraphs, "截至目前，已有18个项目开工建设。"])
    web.expect_ordered_request("/p.html").respond_with_data(
        LAYOUTS["news"](changed), content_type="text/html"
    )
    first = ingest_url(web.url_for("/p.html"), session=session, policy=ALLOW)
    second = ingest_url(web.url_for("/p.html"), session=session, policy=ALLOW)
    assert (first.status, second.status) == ("added", "replaced")
    assert session.exec(select(func.count()).select_from(Document)).one() == 1


def test_pdf_and_docx_by_url_and_as_files(web: HTTPServer, session: Session, tmp_path: Path) -> None:
    pdf_article, docx_article = ARTICLES[0], ARTICLES[2]
    pdf = make_pdf(pdf_article.paragraphs, title=pdf_article.title)
    docx = make_docx(docx_article.paragraphs, title=docx_article.title)
    web.expect_request("/r.pdf").respond_with_data(pdf, content_type="application/pdf")
    web.expect_request("/download").respond_with_data(
        docx,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    for url, article in ((web.url_for("/r.pdf"), pdf_article), (web.url_for("/download"), docx_article)):
        report = ingest_url(url, session=session, policy=ALLOW)
        assert report.status == "added", report.reason
        doc = session.get(Document, report.document_id)
        assert doc is not None and doc.title == article.title and doc.url == url
        body = "".join(t for k, t in _sentences(session, doc.id or 0) if k == "body")
        for paragraph in article.paragraphs:
            assert paragraph in body
    # The same bytes as files: same content hash, so nothing new.
    (tmp_path / "r.pdf").write_bytes(pdf)
    (tmp_path / "r.docx").write_bytes(docx)
    reports = ingest_paths([tmp_path / "r.pdf", tmp_path / "r.docx"], session=session)
    assert [r.status for r in reports] == ["unchanged", "unchanged"]


def test_uploaded_html_file_is_read_as_a_page(session: Session) -> None:
    article = ARTICLES[2]
    report = ingest_bytes(LAYOUTS["blog"](article), name="page.html", session=session)
    assert report.status == "added", report.reason
    doc = session.get(Document, report.document_id)
    assert doc is not None and doc.title == article.title and doc.date == article.day
    assert doc.url is None


def _slow(request: Request) -> Response:
    time.sleep(2.5)
    return Response("<p>迟到的内容。</p>", content_type="text/html")


def _huge(request: Request) -> Response:
    chunk = b"<p>" + "很长的页面。".encode() * 5000 + b"</p>"

    def body() -> Iterator[bytes]:
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            yield chunk

    return Response(body(), content_type="text/html", headers={"Content-Length": str(50 * 1024 * 1024)})


def _huge_unsized(request: Request) -> Response:
    chunk = b"<p>" + "很长的页面。".encode() * 5000 + b"</p>"

    def body() -> Iterator[bytes]:
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            yield chunk

    return Response(body(), content_type="text/html")


def test_refusals_say_why_and_change_nothing(web: HTTPServer, session: Session) -> None:
    web.expect_request("/missing").respond_with_data("not here", status=404)
    web.expect_request("/slow").respond_with_handler(_slow)
    web.expect_request("/loop-a").respond_with_data("", status=302, headers={"Location": "/loop-b"})
    web.expect_request("/loop-b").respond_with_data("", status=302, headers={"Location": "/loop-a"})
    web.expect_request("/huge").respond_with_handler(_huge)
    web.expect_request("/huge-unsized").respond_with_handler(_huge_unsized)
    web.expect_request("/logo.png").respond_with_data(b"\x89PNG\r\n", content_type="image/png")
    web.expect_request("/empty").respond_with_data("<html><body></body></html>", content_type="text/html")
    web.expect_request("/fine").respond_with_data(LAYOUTS["news"](ARTICLES[0]), content_type="text/html")
    before = _counts(session)
    # Generous overall time so a loaded machine does not turn "too big" into "too slow".
    strict = FetchPolicy(allow_private=True, read_timeout=0.5, total_timeout=30.0, max_bytes=1024 * 1024)
    cases = {
        web.url_for("/missing"): "HTTP 404",
        web.url_for("/slow"): "超时",
        web.url_for("/loop-a"): "重定向循环",
        web.url_for("/huge"): "内容太大",
        web.url_for("/huge-unsized"): "内容太大",
        web.url_for("/logo.png"): "不支持的内容类型 image/png",
        web.url_for("/empty"): "正文",
        "ftp://127.0.0.1/file.txt": "只接受 http/https",
        "file:///etc/passwd": "只接受 http/https",
    }
    for url, why in cases.items():
        started = time.monotonic()
        report = ingest_url(url, session=session, policy=strict)
        assert report.status == "refused", url
        assert why in (report.reason or ""), (url, report.reason)
        assert time.monotonic() - started < 30.0
    # Loopback without FETCH_ALLOW_PRIVATE: refused before any connection.
    report = ingest_url(web.url_for("/fine"), session=session, policy=FetchPolicy())
    assert report.status == "refused"
    assert "127.0.0.1" in (report.reason or "") and "FETCH_ALLOW_PRIVATE" in (report.reason or "")
    assert _counts(session) == before


def test_cli_style_list_mixes_files_and_urls(web: HTTPServer, session: Session, tmp_path: Path) -> None:
    web.expect_request("/a.html").respond_with_data(LAYOUTS["blog"](ARTICLES[2]), content_type="text/html")
    text = tmp_path / "note.txt"
    text.write_text("示范区新闻\n\n今年示范区新增企业120家，同比增长15%。\n", encoding="utf-8")
    reports = ingest_paths([text, web.url_for("/a.html"), "gopher://x/1"], session=session, policy=ALLOW)
    assert [r.status for r in reports] == ["added", "added", "refused"]


def test_environment_setting_allows_private_addresses(
    web: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    web.expect_request("/ok").respond_with_data("<p>好。</p>", content_type="text/html")
    monkeypatch.delenv("FETCH_ALLOW_PRIVATE", raising=False)
    with pytest.raises(FetchError, match="FETCH_ALLOW_PRIVATE"):
        fetch(web.url_for("/ok"), policy=FetchPolicy.from_env())
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", "1")
    assert fetch(web.url_for("/ok"), policy=FetchPolicy.from_env()).status == 200


def _fake_dns(answers: dict[str, str]) -> object:
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> object:
        if host in answers:
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    return getaddrinfo


@pytest.mark.parametrize(
    "address", ["10.0.0.5", "192.168.1.20", "172.16.3.4", "169.254.169.254", "127.0.0.2", "::1", "::ffff:127.0.0.1", "fe80::1", "0.0.0.0"]
)
def test_names_resolving_to_private_addresses_are_refused(
    address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _fake_dns({"intranet.example": address}))
    with pytest.raises(FetchError, match="拒绝访问"):
        resolve("http://intranet.example/x", allow_private=False)
    # No connection is attempted; with the setting the same name resolves.
    assert resolve("http://intranet.example/x", allow_private=True)[3] == address


def test_redirect_to_a_private_address_is_refused(web: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first hop is allowed (stands in for a public site); the redirect target is checked again."""
    web.expect_request("/go").respond_with_data(
        "", status=301, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    real = fetch_module.resolve
    first = web.url_for("/go")

    def resolve_public_first(url: str, *, allow_private: bool) -> tuple[str, str, int, str]:
        return real(url, allow_private=allow_private or url == first)

    monkeypatch.setattr(fetch_module, "resolve", resolve_public_first)
    with pytest.raises(FetchError, match=r"169\.254\.169\.254"):
        fetch(first, policy=FetchPolicy(allow_private=False))


def test_conditional_get_returns_not_modified(web: HTTPServer) -> None:
    web.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    web.expect_request("/feed").respond_with_data("<rss/>", content_type="application/rss+xml", headers={"ETag": '"v1"'})
    first = fetch(web.url_for("/feed"), policy=ALLOW)
    assert first.status == 200 and first.etag == '"v1"'
    second = fetch(web.url_for("/feed"), policy=ALLOW, etag=first.etag)
    assert second.not_modified and second.body == b""


def test_gbk_declared_only_in_meta_is_decoded() -> None:
    page = '<html><head><meta charset="GBK"><title>新区</title></head><body>开发区建设</body></html>'
    assert "开发区建设" in decode_html(page.encode("gbk"))
    assert "开发区建设" in decode_html(page.encode("gbk"), declared=None)
    # an explicit header charset wins over <meta>
    assert "开发区建设" in decode_html(page.replace("GBK", "utf-8").encode("gbk"), declared="gbk")


@pytest.mark.parametrize(
    "line",
    [
        "您现在的位置：首页 > 新闻中心 > 工作动态",
        "首页 > 新闻 > 正文",
        "分享到：微信 微博 QQ空间",
        "发布时间：2023-03-27 来源：市政府办公室 字号：[大 中 小]",
        "【打印本页】【关闭窗口】",
        "上一篇：东湖新区召开招商推介会",
        "主办单位：示范区管委会办公室 版权所有 ICP备05001234号",
        "微信 微博 QQ空间",
    ],
)
def test_chrome_lines(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "今年一季度，临港示范区新签约项目42个，总投资386亿元，同比增长21%。",
        "示范区负责人表示，下一步将加快项目落地。",
        "2023年，全区生产总值增长6.5%。",
    ],
)
def test_body_lines_are_not_chrome(line: str) -> None:
    assert not is_chrome_line(line)


def test_titles_and_urls_are_cleaned() -> None:
    assert clean_title("临港示范区一季度新签约项目42个_工作动态_示范区门户网站") == "临港示范区一季度新签约项目42个"
    assert clean_title("东湖新区上半年固定资产投资增长12% | 东湖发布") == "东湖新区上半年固定资产投资增长12%"
    assert clean_title("您现在的位置：首页 > 新闻") == ""
    assert clean_url("HTTP://Example.com/a?utm_source=x&id=3&spm=a.b#top") == "http://example.com/a?id=3"


@pytest.mark.skipif(not NEWS_DEV.exists(), reason="shared news-dev corpus not available")
def test_news_dev_texts_in_every_layout(web: HTTPServer, session: Session) -> None:
    """Real texts (read from ../shared at test time) wrapped in each layout keep their body sentences."""
    from tests.webkit import Article

    files = sorted(NEWS_DEV.glob("*.txt"))[:6]
    for i, path in enumerate(files):
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        paragraphs = [ln for ln in lines[1:] if len(ln) > 30 and ln.endswith("。")][:8]
        if not paragraphs:
            continue
        layout = sorted(LAYOUTS)[i % len(LAYOUTS)]
        article = Article(lines[0][:40], "2023-06-01", "新闻网", paragraphs)
        route = f"/dev/{i}.html"
        web.expect_request(route).respond_with_data(LAYOUTS[layout](article), content_type="text/html")
        report = ingest_url(web.url_for(route), session=session, policy=ALLOW)
        assert report.status in ("added", "unchanged"), (path.name, report.reason)
        body = "".join(t for k, t in _sentences(session, report.document_id or 0) if k != "byline")
        kept = sum(1 for p in paragraphs if p.replace(" ", "") in body.replace(" ", ""))
        assert kept >= len(paragraphs) - 1, (path.name, layout)


def test_gzip_pages_are_read_and_gzip_bombs_stopped_at_the_cap(web: HTTPServer, session: Session) -> None:
    import gzip

    page = gzip.compress(LAYOUTS["news"](ARTICLES[0]))
    web.expect_request("/gz.html").respond_with_data(
        page, content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    bomb = gzip.compress(b"<html><body><p>" + b"0" * (30 * 1024 * 1024) + b"</p></body></html>")
    assert len(bomb) < 100 * 1024
    web.expect_request("/bomb.html").respond_with_data(
        bomb, content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    policy = FetchPolicy(allow_private=True, max_bytes=1024 * 1024)
    assert ingest_url(web.url_for("/gz.html"), session=session, policy=policy).status == "added"
    report = ingest_url(web.url_for("/bomb.html"), session=session, policy=policy)
    assert report.status == "refused" and "内容太大" in (report.reason or "")
