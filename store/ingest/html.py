"""HTML pages to article text: charset, trafilatura main text, page chrome filter, title, date, canonical URL."""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from store.ingest.decode import IngestError

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
# GBK and GB2312 pages are decoded as GB18030 (a superset: pages labelled GB2312 often use GBK).
_GB_FAMILY = frozenset({"gbk", "gb2312", "gb_2312-80", "x-gbk", "csgb2312", "gb18030", "cp936"})


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(data: bytes, *, declared: str | None = None) -> str:
    """Decode page bytes: BOM, then the HTTP charset, then <meta charset>, then UTF-8, then GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    meta = _META_CHARSET.search(data[:8192])
    for label in (declared, meta.group(1).decode("ascii") if meta else None):
        codec = _codec(label)
        if codec is not None:
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


# ---------------------------------------------------------------------------------------------
# Page chrome: lines trafilatura keeps on portal pages that are not the article.
# ---------------------------------------------------------------------------------------------

_CHROME_LINE = re.compile(
    r"^(?:您现在的位置|你现在的位置|您的位置|当前位置|所在位置|位置)\s*[:：]"
    r"|^(?:分享到|分享至|分享)\s*[:：]?"
    r"|^【?\s*(?:字号|字体)\s*[:：]?\s*[【\[]?\s*[大中小]"
    r"|^[【\[]\s*[大中小]\s*[】\]]"
    r"|^(?:上一篇|下一篇|上一条|下一条|相关阅读|相关新闻|相关链接|延伸阅读|热点推荐|推荐阅读)\s*[:：]?"
    r"|^(?:扫一扫|扫描二维码|手机扫码|用手机扫描|微信扫一扫)"
    r"|(?:打印本页|关闭窗口|返回顶部|收藏本页|【打印】|【关闭】|\[打印\]|\[关闭\]|加入收藏|设为首页)"
    r"|(?:版权所有|Copyright|©|ICP备|ICP证|公网安备|网站标识码|主办单位|承办单位|技术支持)"
    r"|^(?:首页|首頁)\s*(?:[>＞»/|]|$)",
    re.IGNORECASE,
)
# A breadcrumb: short segments separated by > » ＞ / (首页 > 新闻 > 正文).
_CRUMB_SEP = re.compile(r"\s*[>＞»›]\s*")
# Labels of an article's information line (发布时间：… 来源：… 作者：… 浏览次数：…).
_INFO_LABEL = re.compile(
    r"(?:发布时间|发布日期|发稿时间|更新时间|时间|日期|来源|作者|编辑|责任编辑|浏览次数|阅读次数|点击数|点击量|浏览|阅读|字号)\s*[:：]"
)
_SHARE_WORDS = re.compile(r"^(?:(?:微信|微博|QQ空间|QQ好友|QQ|朋友圈|豆瓣|人人网|腾讯微博|新浪微博|空间|复制链接)[\s、|/]*){2,}$")


def is_chrome_line(line: str) -> bool:
    """True for page chrome: breadcrumbs, share bars, font-size and print links, footers, info lines."""
    text = line.strip()
    if not text:
        return False
    if _CHROME_LINE.search(text) and len(text) <= 120:
        return True
    if _SHARE_WORDS.match(text):
        return True
    parts = _CRUMB_SEP.split(text)
    if len(parts) >= 3 and all(0 < len(p) <= 12 for p in parts):
        return True
    # 发布时间：2023-03-27 来源：市政府办公室 字号：大 中 小 (two labels or more, short)
    return len(text) <= 100 and len(_INFO_LABEL.findall(text)) >= 2


# ---------------------------------------------------------------------------------------------
# Dates: metadata and datelines, never more precise than the evidence.
# ---------------------------------------------------------------------------------------------

_DATE_META_NAMES = frozenset(
    {
        "article:published_time",
        "og:published_time",
        "og:release_date",
        "pubdate",
        "publishdate",
        "publish_date",
        "publication_date",
        "publishtime",
        "firstpublishedtime",
        "datepublished",
        "dc.date",
        "dc.date.issued",
        "dcterms.issued",
        "sailthru.date",
    }
)
_ISO_DAY = re.compile(r"((?:19|20)\d{2})[-/.年]\s?(\d{1,2})[-/.月]\s?(\d{1,2})日?")
_DATELINE = re.compile(
    r"(?:发布时间|发布日期|发稿时间|发表时间|时间|日期)\s*[:：]\s*"
    r"((?:19|20)\d{2})\s?[-/.年]\s?(\d{1,2})\s?[-/.月]\s?(\d{1,2})"
)
# A line that is nothing but a date (and a time, a source): "2018-05-16 10:23  来源：新华网".
_DATE_ONLY_LINE = re.compile(
    r"^((?:19|20)\d{2})\s?[-/.年]\s?(\d{1,2})\s?[-/.月]\s?(\d{1,2})日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
    r"(?:\s+.{0,30})?$"
)


def _valid_day(y: str, m: str, d: str) -> str | None:
    import datetime as dt

    try:
        return dt.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


def meta_date(tree: object) -> str | None:
    """The publication day from <meta> tags (article:published_time, PubDate, …), or None."""
    for node in tree.iter("meta"):  # type: ignore[attr-defined]
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip().lower()
        if key in _DATE_META_NAMES:
            m = _ISO_DAY.search(node.get("content") or "")
            if m and (day := _valid_day(*m.groups())):
                return day
    return None


def dateline_date(lines: list[str], *, bare_within: int = 5) -> tuple[str, str] | None:
    """The day of a labelled dateline (发布时间：2023-03-27), or of a bare date line among the first
    `bare_within` lines or followed by its source (2018-05-16 10:23 来源：新华网), with the line."""
    for i, line in enumerate(lines):
        text = line.strip()
        m = _DATELINE.search(text) if len(text) <= 120 else None
        if m is None and (i < bare_within or "来源" in text) and len(text) <= 50:
            m = _DATE_ONLY_LINE.match(text)
        if m and (day := _valid_day(*m.groups())):
            return day, text[:60]
    return None


def _day_in_text(day: str, text: str) -> bool:
    """True when the page writes this day itself (so a library's date is not an invention)."""
    y, m, d = (int(p) for p in day.split("-"))
    return any(
        (int(g[0]), int(g[1]), int(g[2])) == (y, m, d) for g in _ISO_DAY.findall(text)
    )


# ---------------------------------------------------------------------------------------------
# Title and URL
# ---------------------------------------------------------------------------------------------

_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜|—{1,2}|–|\s-\s)\s*")
_TRACKING = re.compile(r"^(?:utm_\w+|spm|from|share_token|share_source|fbclid|gclid|isappinstalled|scene|wfr|ivk_sa)$", re.IGNORECASE)


def clean_title(title: str, sitename: str = "") -> str:
    """A page title without the site name or section (标题_青岛新闻网 → 标题); "" for chrome."""
    title = " ".join(title.split())
    parts = [p for p in _TITLE_SPLIT.split(title) if p]
    if len(parts) > 1:
        kept = [p for p in parts if p != sitename]
        title = max(kept or parts, key=len)
    if not title or is_chrome_line(title):
        return ""
    return title


def clean_url(url: str) -> str:
    """The URL without tracking parameters (utm_*, spm, from …) and fragment."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), ""))


def canonical_url(tree: object, base: str) -> str:
    """The page's <link rel="canonical"> (or og:url) resolved against `base`, else `base`; cleaned."""
    for node in tree.iter("link"):  # type: ignore[attr-defined]
        if (node.get("rel") or "").strip().lower() == "canonical" and node.get("href"):
            href = urljoin(base, node.get("href").strip())
            if urlsplit(href).scheme in ("http", "https"):
                return clean_url(href)
    for node in tree.iter("meta"):  # type: ignore[attr-defined]
        if (node.get("property") or "").lower() == "og:url" and node.get("content"):
            href = urljoin(base, node.get("content").strip())
            if urlsplit(href).scheme in ("http", "https"):
                return clean_url(href)
    return clean_url(base)


# ---------------------------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------------------------


# Extraction settings tried in order: precision first; layout tables are read as tables only when
# nothing else finds the article (old portals put the whole page in <table>s).
_ATTEMPTS = ((True, False), (False, False), (True, True))  # (favor_precision, include_tables)
_MIN_TEXT = 40  # characters of main text below which the next attempt is tried


def _extract(html: str) -> dict[str, Any] | None:
    """trafilatura's main text and metadata, with the first settings that find enough text."""
    from trafilatura import bare_extraction

    best: dict[str, Any] | None = None
    for precision, tables in _ATTEMPTS:
        result = bare_extraction(
            html,
            favor_precision=precision,
            include_tables=tables,
            include_comments=False,
            with_metadata=True,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
        if result is None:
            continue
        found = result.as_dict() if hasattr(result, "as_dict") else dict(result)
        text = str(found.get("text") or "")
        if len("".join(text.split())) >= _MIN_TEXT:
            return found
        best = best or found
    return best


def _cells_to_lines(text: str) -> list[str]:
    """Lines of extracted text; table rows ("| a | b |") become one line per cell, menus vanish."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not (line.startswith("|") and line.endswith("|")):
            lines.append(line)
            continue
        cells = [c.strip() for c in line.strip("|").split("|") if c.strip()]
        if len(cells) >= 3 and all(len(c) <= 8 for c in cells):
            continue  # a row of menu entries
        lines.extend(cells)
    return lines


def _data_table_lines(tree: Any, body: list[str]) -> list[str]:
    """The page's data tables as text lines (a row a line, cells between │), those read as tables.

    trafilatura leaves tables out (layout tables hold whole pages on old portals), so a table of figures
    is read from the page itself; a table the main text already holds is not added again.
    """
    from store.tables import find_tables

    seen = set(body)
    out: list[str] = []
    for table in tree.iter("table"):
        if table.find(".//table") is not None:
            continue  # a layout table around others
        lines: list[str] = []
        caption = table.find("caption")
        if caption is not None and (text := " ".join(caption.text_content().split())):
            lines.append(text)
        for tr in table.iter("tr"):
            cells = [" ".join(c.text_content().split()) for c in tr if c.tag in ("td", "th")]
            if any(cells):
                lines.append(" │ ".join(c or "—" for c in cells))
        for found in find_tables(lines):
            if found.rows[0].label_cells[0] in seen:
                continue
            out.extend(["", *lines[found.first : found.last + 1]])
    return out


@dataclass(frozen=True, slots=True)
class Page:
    """What a page says about itself: main text (paragraphs), title, day, site and canonical URL."""

    text: str
    title: str
    date: str | None
    date_source: str | None
    sitename: str
    url: str | None


def extract_page(html: str, *, url: str | None = None, name: str = "page") -> Page:
    """Main text and metadata of an HTML page (trafilatura, precision first, plus our chrome filter)."""
    import lxml.etree
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise IngestError(name, "无法解析网页（HTML 为空或损坏）") from exc
    found = _extract(html)
    if found is None:
        raise IngestError(name, "网页中没有找到正文")
    raw_lines = _cells_to_lines(found.get("text") or "")
    body = [line for line in raw_lines if line and not is_chrome_line(line)]
    page_text = tree.text_content() or ""
    sitename = (found.get("sitename") or "").strip()
    title = clean_title(found.get("title") or "", sitename)

    date: str | None = None
    source: str | None = None
    if day := meta_date(tree):
        date, source = day, "meta"
    elif dated := dateline_date(raw_lines) or dateline_date(
        [ln.strip() for ln in page_text.splitlines() if ln.strip()], bare_within=0
    ):
        date, source = dated[0], f"dateline:{dated[1]}"
    elif (day := found.get("date")) and _day_in_text(str(day)[:10], page_text):
        date, source = str(day)[:10], "page"
    page_url = canonical_url(tree, url) if url else None
    if body and title and body[0] == title:
        body = body[1:]
    tables = _data_table_lines(tree, raw_lines)
    return Page(
        text="\n\n".join(body) + ("\n" + "\n".join(tables) if tables else ""),
        title=title,
        date=date,
        date_source=source,
        sitename=sitename,
        url=page_url,
    )
