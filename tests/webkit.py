"""Test material for web intake: articles wrapped in three site layouts, generated PDF/DOCX, feeds."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

NEWS_DEV = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news-dev" / "docs"
if not NEWS_DEV.exists():
    NEWS_DEV = Path("/work/shared/corpus/news-dev/docs")

# Chrome the layouts put around the article; none of it may reach the stored sentences.
CHROME_WORDS = (
    "分享到",
    "您现在的位置",
    "当前位置",
    "字号",
    "打印本页",
    "关闭窗口",
    "版权所有",
    "ICP备",
    "上一篇",
    "扫一扫",
)


@dataclass(frozen=True)
class Article:
    """An article to wrap in a page: its title, day (YYYY-MM-DD), source and paragraphs."""

    title: str
    day: str
    source: str
    paragraphs: Sequence[str]


# Written for these tests (not from any source).
ARTICLES = (
    Article(
        "临港示范区一季度新签约项目42个",
        "2023-04-18",
        "临港示范区管委会",
        (
            "今年一季度，临港示范区新签约项目42个，总投资386亿元，同比增长21%。",
            "其中，先进制造业项目27个，总投资251亿元；现代服务业项目15个，总投资135亿元。",
            "示范区负责人表示，下一步将加快项目落地，力争全年新签约项目超过150个。",
        ),
    ),
    Article(
        "滨江高新区去年规上工业产值突破千亿元",
        "2024-01-22",
        "滨江日报",
        (
            "记者从滨江高新区获悉，2023年高新区规上工业总产值达到1036亿元，同比增长9.8%。",
            "高新技术企业数量达到812家，比上年增加96家；研发投入强度达到4.6%。",
            "今年，高新区将围绕集成电路和生物医药两大产业，再引进重点项目30个以上。",
        ),
    ),
    Article(
        "东湖新区上半年固定资产投资增长12%",
        "2021-07-01",
        "东湖新区发布",
        (
            "上半年，东湖新区完成固定资产投资528亿元，同比增长12%，高于全省平均水平。",
            "新区共有在建重点项目168个，其中亿元以上项目94个，完成投资312亿元。",
            "新区还新增市场主体1.2万户，实际使用外资2.3亿美元，同比增长18%。",
        ),
    ),
)


def _paras(article: Article) -> str:
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)


def portal_page(article: Article) -> bytes:
    """An old table-layout government portal, GBK declared only in <meta>, with an info line."""
    t = html.escape(article.title)
    page = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{t}_工作动态_示范区门户网站</title></head>
<body><table width="1000"><tr><td>
<table class="nav"><tr><td><a href="/">首页</a></td><td><a href="/zw">政务公开</a></td>
<td><a href="/xw">新闻中心</a></td><td><a href="/bs">办事服务</a></td><td><a href="/hd">互动交流</a></td></tr></table>
<div class="position">您现在的位置：<a href="/">首页</a> &gt; <a href="/xw">新闻中心</a> &gt; 工作动态</div>
<table class="main"><tr><td class="title">{t}</td></tr>
<tr><td class="info">发布时间：{article.day} 来源：{html.escape(article.source)} 浏览次数：1024 字号：[大 中 小]</td></tr>
<tr><td><div id="zoom">{_paras(article)}</div></td></tr>
<tr><td class="tools">【打印本页】【关闭窗口】</td></tr></table>
<div class="footer">主办单位：示范区管委会办公室 版权所有 ICP备05001234号 网站标识码：3702000001</div>
</td></tr></table></body></html>"""
    return page.encode("gbk")


def news_page(article: Article, *, canonical: str | None = None) -> bytes:
    """A news site: header navigation, a bare dateline with its source, share bar, related list."""
    t = html.escape(article.title)
    link = f'<link rel="canonical" href="{html.escape(canonical)}">' if canonical else ""
    page = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{t} - 滨江新闻网</title>{link}</head><body>
<header><nav><a href="/">首页</a> <a href="/local">本地</a> <a href="/biz">财经</a> <a href="/tech">科技</a></nav></header>
<main><article><h1>{t}</h1>
<div class="meta"><span>{article.day} 10:23</span> <span>来源：{html.escape(article.source)}</span></div>
<div class="content">{_paras(article)}</div>
<div class="share">分享到：微信 微博 QQ空间</div>
<div class="editor">责任编辑：林晓</div>
</article>
<aside><h3>相关新闻</h3><ul><li><a href="/a">2019-03-02 滨江新闻网举办读者见面会</a></li>
<li><a href="/b">2019-02-11 春运返程高峰到来</a></li></ul></aside></main>
<footer>Copyright © 2024 滨江新闻网 版权所有 扫一扫关注我们</footer></body></html>"""
    return page.encode("utf-8")


def blog_page(article: Article) -> bytes:
    """A modern page: meta tags carry the date and title, breadcrumbs, share icons, prev/next."""
    t = html.escape(article.title)
    page = f"""<html><head><meta charset="UTF-8">
<meta property="og:title" content="{t}">
<meta property="article:published_time" content="{article.day}T08:00:00+08:00">
<title>{t} | 东湖发布</title></head><body>
<div class="breadcrumb">首页 &gt; 新闻 &gt; 正文</div>
<div class="wrap"><h2 class="headline">{t}</h2>
<div class="body">{_paras(article)}</div>
<div class="share-icons"><span>微信</span> <span>微博</span> <span>QQ空间</span></div>
<div class="pager"><p>上一篇：东湖新区召开招商推介会</p><p>下一篇：东湖新区举办人才招聘会</p></div>
</div><div class="foot">版权所有 东湖新区融媒体中心</div></body></html>"""
    return page.encode("utf-8")


LAYOUTS = {"portal": portal_page, "news": news_page, "blog": blog_page}


def make_pdf(paragraphs: Sequence[str], title: str = "") -> bytes:
    """A PDF with the paragraphs in a built-in CJK font (no font file needed)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=16, wordWrap="CJK")
    head = ParagraphStyle("zh-title", parent=body, fontSize=16, leading=22)
    flow = ([Paragraph(html.escape(title), head)] if title else []) + [
        Paragraph(html.escape(p), body) for p in paragraphs
    ]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(flow)
    return buf.getvalue()


def make_docx(paragraphs: Sequence[str], title: str = "") -> bytes:
    """A Word .docx with a heading and the paragraphs."""
    from docx import Document

    doc = Document()
    if title:
        doc.add_heading(title, level=1)
    for p in paragraphs:
        doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def rss(items: Sequence[dict[str, str]], *, version: str = "2.0", title: str = "示范区新闻") -> bytes:
    """An RSS 2.0 (or 0.91/0.92) feed; items have link, title, guid?, pubDate?, description?."""
    rows = []
    for it in items:
        parts = [f"<title>{html.escape(it['title'])}</title>", f"<link>{html.escape(it['link'])}</link>"]
        if "guid" in it:
            parts.append(f'<guid isPermaLink="false">{html.escape(it["guid"])}</guid>')
        if "pubDate" in it:
            parts.append(f"<pubDate>{it['pubDate']}</pubDate>")
        if "description" in it:
            parts.append(f"<description>{html.escape(it['description'])}</description>")
        rows.append("<item>" + "".join(parts) + "</item>")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="{version}"><channel>'
        f"<title>{html.escape(title)}</title><link>http://example.invalid/</link>"
        f"<description>test</description>{''.join(rows)}</channel></rss>"
    ).encode()


def atom(items: Sequence[dict[str, str]], *, title: str = "高新区动态") -> bytes:
    """An Atom 1.0 feed; items have link, title, id, updated (RFC 3339) and summary?."""
    rows = []
    for it in items:
        rows.append(
            "<entry>"
            f"<title>{html.escape(it['title'])}</title>"
            f'<link rel="alternate" href="{html.escape(it["link"])}"/>'
            f"<id>{html.escape(it['id'])}</id><updated>{it['updated']}</updated>"
            + (f"<published>{it['published']}</published>" if "published" in it else "")
            + (f"<summary>{html.escape(it['summary'])}</summary>" if "summary" in it else "")
            + "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{html.escape(title)}</title><id>urn:test:feed</id>"
        f"<updated>2024-01-01T00:00:00Z</updated>{''.join(rows)}</feed>"
    ).encode()


def rdf(items: Sequence[dict[str, str]], *, title: str = "新区快讯") -> bytes:
    """An RSS 1.0 (RDF) feed; items have link, title and dc:date?."""
    rows = []
    for it in items:
        date = f"<dc:date>{it['date']}</dc:date>" if "date" in it else ""
        rows.append(
            f'<item rdf:about="{html.escape(it["link"])}"><title>{html.escape(it["title"])}</title>'
            f"<link>{html.escape(it['link'])}</link>{date}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="http://example.invalid/"><title>{html.escape(title)}</title>'
        f"<link>http://example.invalid/</link><description>test</description></channel>"
        f"{''.join(rows)}</rdf:RDF>"
    ).encode()
