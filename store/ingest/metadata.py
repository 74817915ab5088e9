"""Document metadata from its text: regions, year, date, title, section years."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from store.ingest.repair import (
    _DELIVERY,
    KIND_BYLINE,
    KIND_CAPTION,
    KIND_CHROME,
    KIND_TITLE,
    _is_heading_like,
    _Para,
    is_table_row,
    split_sentences,
)

log = logging.getLogger(__name__)

NATIONAL = "全国"
# A national government report opens with the State Council's formula; 全国 elsewhere ("居全国第18位")
# is a comparison, not the subject.
_NATIONAL_REPORT = re.compile(r"我代表国务院")


# --------------------------------------------------------------------------------------------
# Page chrome: breadcrumbs, source/time lines, share bars, navigation, footers
# --------------------------------------------------------------------------------------------

_SEP = r"(?:>|»|›|->|＞|→)"
_BREADCRUMB = re.compile(
    rf"^(?:.{{0,30}}?(?:当前位置|现在的位置|当前的位置|您的位置|所在位置)\s*[:：]|首页\s*{_SEP}|.{{0,20}}{_SEP}\s*正文$|"
    rf"首页\s+\S{{1,6}}\s+正文$|.{{0,24}}网\s*{_SEP}{{1,2}})"
)
# "label: value" lines of the page, not of the article.
_LABEL_LINE = re.compile(
    r"^[【\[（(]?\s*(?:发布时间|发布日期|发表时间|更新时间|时间|日期|来源|稿件来源|文章来源|信息来源|稿源|"
    r"作者|编辑|责任编辑|责编|编审|供稿|审核|校对|浏览次数|浏览|阅读|点击|字号|正在阅读|原标题|标题|摘要|核心提示|"
    r"索引号|发布机构|发文机关|发文日期|成文日期|文号|主题分类)"
    r"\s*[:：/]"
)
_FURNITURE = re.compile(
    r"分享到|分享至|分享让更多人看到|分享|打印此页|打印|关闭窗口|关闭|返回首页|返回顶部|收藏|小字号|大字号|"
    r"放大字体|缩小字体|字号|A\+|A-|关注微信|关注微博|微信|微博|朋友圈|相关新闻|相关阅读|相关|更\s*多|视频|"
    r"上一篇|下一篇|精彩推送|关键词|资料图片仅供参考|资料图片|资料图|图片来源网络|点击右上角微信好友|"
    r"请使用浏览器分享功能进行分享|打开网易新闻\s*查看精彩图片|无障碍|登录|注册|站群导航|网站地图|扫一扫|"
    r"二维码|纠错|举报|评论|点赞|首页|正文|新闻"
)
# A lead under a label (核心提示：今年前三季度，某新区实现…亿元，…): the article's own summary, not page furniture,
# when what follows the label is a sentence with a figure.
_LEAD_LABEL = re.compile(r"^[【\[（(]?\s*(?:摘要|核心提示|内容提要|内容摘要|提要|导读|导语)\s*[】\]）)]?\s*[:：]?\s*")
_LEAD_BODY = re.compile(r"[，,；;].*\d|\d.*[，,；;]")
# The headline of the previous or next article of the site: another article's news, not this one's.
_NEIGHBOUR_LINK = re.compile(r"^(?:上一篇|下一篇|上一条|下一条|上一页|下一页)\s*[:：]")
_HTML_TAG = re.compile(r"<[a-zA-Z/!][^>]{0,200}>")
_LANGUAGE_LINKS = re.compile(r"English|Русский|한국어|日本語|Français|Español")
_PAREN_NOTE = re.compile(r"^[（(【\[]\s*(?:未完|请认真阅读|文章来源|来源|责编|编辑|责任编辑|原标题)")
_ATTRIBUTION = re.compile(r"^据《[^》]{1,20}》$|^[（(][^）)]{2,20}(?:记者站|供稿|来源)[）)]$")
# A date (with optional time) standing for itself: 2023-07-29 22:23:23, 2018年06月12日 10:04,
# 2022/01/13/ 03:25, 25.05.2019 19:24, the pieces "2023" "03/07" "14:24" of a split date.
_TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_DATE_PIECES = re.compile(r"^[\d\s:/.\-年月日|]+$")
_HEAD_DATES = (
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:19|20)\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/年]\s*(?P<m>\d{1,2})(?:月|(?![\d/.\-]))"),
)
_DATE_LABEL = re.compile(r"(?:发布时间|发布日期|发表时间|更新时间|时间|日期)\s*[:：]")


def _simplified(text: str) -> str:
    from store.normalize import to_simplified

    return to_simplified(text)


def _han_count(text: str) -> int:
    return sum(1 for c in text if "\u3400" <= c <= "\u9fff")


def _nav_bar(text: str) -> bool:
    """Three or more short tokens and no sentence: a navigation or tool bar."""
    tokens = [t for t in re.split(r"[\s|｜/]+", text) if t]
    return not is_table_row(text) and len(tokens) >= 3 and all(len(t) <= 7 for t in tokens) and not re.search(r"[，。；！？]", text)


def is_date_line(text: str) -> bool:
    """A line that is a publication date/time stamp with at most a site or source name."""
    if len(text) > 70 or re.search(r"[，。；]", text):
        return False
    if _DATE_PIECES.match(text):
        return bool(re.search(r"\d", text))
    dated = any(p.search(text) for p in _HEAD_DATES[:2])
    return dated and (
        _TIME.search(text) is not None
        or _LABEL_LINE.match(text) is not None
        or re.search(r"来源|稿件|发布|编辑", text) is not None
        or _han_count(text) <= 12
    )


def is_chrome(text: str) -> bool:
    """True for a line of page furniture (breadcrumbs, source/time lines, share and tool bars, tags)."""
    t = text.strip()
    if not t or len(t) > 120:
        return False
    t = _simplified(t)
    if _HTML_TAG.search(t) or not re.search(r"[\w\u3400-\u9fff]", t):
        return True
    lead = _LEAD_LABEL.match(t)
    if lead and lead.end() < len(t) and _LEAD_BODY.search(t[lead.end() :]):
        return False
    if _BREADCRUMB.match(t) or _LABEL_LINE.match(t) or _NEIGHBOUR_LINK.match(t) or _PAREN_NOTE.match(t) or _ATTRIBUTION.match(t):
        return True
    if is_date_line(t) or len(_LANGUAGE_LINKS.findall(t)) >= 2:
        return True
    rest = _FURNITURE.sub("", t)
    if not re.search(r"[\w\u3400-\u9fff]", rest):
        return True
    return _nav_bar(t) and _han_count(t) <= 30


def _first_body_index(paras: Sequence[_Para]) -> int:
    for i, para in enumerate(paras):
        if para.kind in (KIND_BYLINE, KIND_CAPTION, KIND_CHROME):
            continue
        if "。" in para.text or (len(para.text) >= 40 and re.search(r"[，,；]", para.text)):
            return i
    return len(paras)


def mark_chrome(paras: Sequence[_Para]) -> None:
    """Tag page furniture as chrome; short site-name lines above the headline too."""
    for para in paras:
        if para.kind not in (KIND_BYLINE, KIND_CAPTION) and is_chrome(para.text):
            para.kind = KIND_CHROME
    body_at = _first_body_index(paras)
    headline_at = next(
        (i for i in range(body_at) if paras[i].kind != KIND_CHROME and _headline_like(paras[i].text)),
        None,
    )
    # Above the headline, a line of a few characters is a site or column name (人民网, 湖北切换).
    for para in paras[: headline_at or 0]:
        if para.kind == "" and _han_count(para.text) < MIN_TITLE_HAN and not _DELIVERY.match(para.text):
            para.kind = KIND_CHROME


# --------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------

_PINYIN_GLOSS = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,8}\)")
# A wire or newspaper dateline at the start of a paragraph: 新华社拉萨6月10日电(王军), 中新网哈尔滨9月4日电,
# 天津北方网讯:, 新乡网讯 (新乡日报记者 刘军旗), 本报讯, 国际在线吉林报道(陈施):. Its city is where the
# reporter files from, not what the article is about.
_DATELINE = re.compile(
    r"^\s*(?:[^，。,:：\n]{0,20}?\d{1,2}日电|[^，。,:：\s\n]{1,18}(?:网|报|台|社|在线|客户端|融媒体?)\s*讯|本报讯|"
    r"[^，。,:：\s\n]{1,12}报道)\s*(?:[（(][^）)\n]{0,40}[）)])?\s*[:：]?",
    re.MULTILINE,
)
_GENERIC_ZONES = (
    ("经济技术开发区", "经开区"),
    ("高新技术产业开发区", "高新区"),
    ("自由贸易试验区", "自贸区"),
    ("自贸试验区", "自贸区"),
    ("经开区", "经开区"),
    ("开发区", "经开区"),
    ("高新区", "高新区"),
    ("自贸区", "自贸区"),
    ("新区", "新区"),
)
_GENERIC_RE = re.compile("|".join(w for w, _ in _GENERIC_ZONES))
_GENERIC_KIND = dict(_GENERIC_ZONES)

# Weights of a place's mentions: the title says what a document is about, the lead nearly as much.
TITLE_WEIGHT = 4.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0  # per mention, up to BODY_CAP mentions
BODY_CAP = 10
# A place only mentioned in the body is a region when it is named often: at least this many times
# and this share of the most-mentioned place (passing mentions stay out).
BODY_MIN_MENTIONS = 3
BODY_MIN_SHARE = 0.2
MAX_REGIONS = 5


# A zone the gazetteer does not list, named after its city: 株洲经开区, 郑州郑东新区, 太原武宿综保区.
_UNLISTED_ZONE = re.compile(
    r"(?P<mid>[\u4e00-\u9fff]{0,4}?)(?P<kind>经济技术开发区|经济开发区|高新技术产业开发区|高新技术产业园区|"
    r"综合保税区|工业园区|产业园区|经开区|高新区|开发区|综保区|保税区|新区|示范区|试验区|合作区)"
)
_NOT_IN_ZONE_NAME = set("的在和与及将是为对把被从向到等个年月日以由各全该本其设建获批推打造加快办有")
_ZONE_FULL = {"经开区": "经济技术开发区", "高新区": "高新技术产业开发区", "综保区": "综合保税区"}


def _with_unlisted_zones(s: str, found: list[tuple[int, int, Any]]) -> list[tuple[int, int, Any]]:
    """Replace a city followed by a zone word (株洲 + 经开区) with that zone, made on the fly."""
    from store import places

    out: list[tuple[int, int, Any]] = []
    starts = {a for a, _b, _p in found}
    for a, b, p in found:
        city_like = p.level in (places.PREFECTURE, places.COUNTY) or p.kind == "直辖市"
        m = _UNLISTED_ZONE.match(s, b) if city_like else None
        if m and not (set(m.group("mid")) & _NOT_IN_ZONE_NAME) and not any(b < x < m.end() for x in starts):
            kind = m.group("kind")
            name = p.short + m.group("mid") + _ZONE_FULL.get(kind, kind)
            zone = places.lookup(name) or places.Place(name, s[a : m.end()], places.ZONE, p.name, kind)
            out.append((a, m.end(), zone))
        else:
            out.append((a, b, p))
    return out


def _place_text(text: str) -> str:
    """The text places are looked for in: simplified, without pinyin glosses or datelines."""
    return _DATELINE.sub("", _PINYIN_GLOSS.sub("", _simplified(text)))


def _datelines(text: str) -> str:
    return " ".join(m.group() for m in _DATELINE.finditer(_PINYIN_GLOSS.sub("", _simplified(text))))


def find_regions(title: str, lead: str, text: str, *, delivery: str = "") -> list[str]:
    """The places a document is about, most important first (official full names from store.places).

    Title mentions weigh most, then the lead, then how often the body names a place; a place that
    lies inside another one named as prominently comes first (成都高新区 before 成都市); a bare 经开区/
    高新区/新区 resolves to the main city's zone; dateline cities (新华社北京…电) do not count.
    """
    from store import places

    title_s, lead_s, text_s = _place_text(title), _place_text(lead), _place_text(text)
    score: dict[places.Place, float] = {}
    first: dict[places.Place, int] = {}
    prominent: dict[places.Place, int] = {}  # 2 = named in the title, 1 = in the lead
    counts: Counter[places.Place] = Counter()
    national_report = _NATIONAL_REPORT.search(text_s) is not None

    def add(found: list[tuple[int, int, places.Place]], weight: float, order: int) -> None:
        for _s, _e, p in found:
            if p.level == places.NATION and not national_report:
                continue
            if weight > BODY_WEIGHT:
                if p not in prominent:
                    score[p] = score.get(p, 0.0) + weight
                prominent[p] = max(prominent.get(p, 0), 2 if weight == TITLE_WEIGHT else 1)
            first.setdefault(p, order)

    # A report's delivery line ("在长春市第十六届人民代表大会…上") names its place as a title would.
    head_s = title_s + "\n" + _place_text(delivery)
    add(_with_unlisted_zones(head_s, places.places_in(head_s)), TITLE_WEIGHT, 0)
    add(_with_unlisted_zones(lead_s, places.places_in(lead_s)), LEAD_WEIGHT, 1)
    body = _with_unlisted_zones(text_s, places.places_in(text_s))
    for _s, _e, p in body:
        if p.level != places.NATION or national_report:
            counts[p] += 1
            first.setdefault(p, 2 + _s)
    # Bare zone words ("经开区" in a text about 芜湖): the main city's zone of that kind.
    generic = _generic_zone_counts(title_s, lead_s, text_s, body)
    city = _main_city(score, counts, _datelines(lead + "\n" + text))
    if city is not None:
        for kind, (in_title, in_lead, n) in generic.items():
            zone = _city_zone(city, kind)
            if zone is None:
                continue
            if in_title or in_lead:
                prominent[zone] = max(prominent.get(zone, 0), 2 if in_title else 1)
                score[zone] = score.get(zone, 0.0) + (TITLE_WEIGHT if in_title else LEAD_WEIGHT)
            counts[zone] += n
            first.setdefault(zone, 1 if in_title else 2)
    for p, n in counts.items():
        score[p] = score.get(p, 0.0) + BODY_WEIGHT * min(n, BODY_CAP)
    top = max(counts.values(), default=0)
    kept = [
        p
        for p in score
        if p in prominent or (counts[p] >= BODY_MIN_MENTIONS and counts[p] >= BODY_MIN_SHARE * top)
    ]
    # A city only the body names, around a zone the document is about, is where it is, not its subject.
    kept = [p for p in kept if p in prominent or not any(q != p and places.within(q, p) for q in kept)]
    kept.sort(key=lambda p: (-score[p], first.get(p, 1 << 30)))
    kept = _specific_first(kept, prominent)
    if national_report and any(p.level == places.NATION for p in kept):
        return [NATIONAL]  # provinces named in a national report are examples, not its subject
    return [p.name for p in kept[:MAX_REGIONS]]


def _generic_zone_counts(
    title: str, lead: str, text: str, body: list[tuple[int, int, Any]]
) -> dict[str, tuple[bool, bool, int]]:
    """Per zone kind: named bare in the title, in the lead, and how often in the body."""

    def bare(s: str, spans: list[tuple[int, int, Any]]) -> list[str]:
        covered = [(a, b) for a, b, _ in spans]
        return [
            _GENERIC_KIND[m.group()]
            for m in _GENERIC_RE.finditer(s)
            if not any(a <= m.start() < b for a, b in covered)
        ]

    from store import places

    in_title = set(bare(title, _with_unlisted_zones(title, places.places_in(title))))
    in_lead = set(bare(lead, _with_unlisted_zones(lead, places.places_in(lead))))
    body_counts = Counter(bare(text, body))
    kinds = in_title | in_lead | {k for k, n in body_counts.items() if n >= 2}
    return {k: (k in in_title, k in in_lead, body_counts[k]) for k in kinds}


def _main_city(score: dict[Any, float], counts: Counter[Any], datelines: str) -> Any:
    """The city (or county, or municipality) a document is most about, else its dateline city."""
    from store import places

    def city_like(p: places.Place) -> bool:
        return p.level in (places.PREFECTURE, places.COUNTY) or p.kind == "直辖市"

    ranked = sorted(
        (p for p in set(score) | set(counts) if city_like(p)),
        key=lambda p: -(score.get(p, 0.0) + counts[p]),
    )
    if ranked:
        return ranked[0]
    for _s, _e, p in places.places_in(datelines):
        if city_like(p):
            return p
    return None


def _city_zone(city: Any, kind: str) -> Any:
    """The city's national-level zone of a kind; the one named after the city alone when several."""
    from store import places

    zones = places.zones_of(city, kind)
    if len(zones) > 1:
        plain = [z for z in zones if z.short.startswith(city.short) and len(z.short) <= len(city.short) + 4]
        zones = plain
    return zones[0] if len(zones) == 1 else None


def _specific_first(ranked: list[Any], prominent: dict[Any, int]) -> list[Any]:
    """Move a place ahead of a place containing it that is named no more prominently (zone before city)."""
    from store import places

    out = list(ranked)
    changed = True
    while changed:
        changed = False
        for i, outer in enumerate(out):
            for j in range(i + 1, len(out)):
                inner = out[j]
                if (
                    inner in prominent
                    and prominent[inner] >= prominent.get(outer, 0)
                    and inner != outer
                    and places.within(inner, outer)
                ):
                    out.insert(i, out.pop(j))
                    changed = True
                    break
            if changed:
                break
    return out


_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})\s?年(?!代)")
_FUTURE_BEFORE = re.compile(r"(?:到|至|面向|力争|争取|预计|计划|目标|展望|—|-|～|~)\s*$")
_FUTURE_AFTER = re.compile(r"^\s?年(?:前|底前|以前|之前|远景|目标|愿景)")
_THIS_YEAR = re.compile(r"今年[（(]((?:19|20)\d{2})年?[）)]")
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_ANIMALS = "鼠牛虎兔龙蛇马羊猴鸡狗猪"
_CYCLICAL = re.compile(rf"([{_STEMS}])([{_BRANCHES}])[{_ANIMALS}]?年")
_ANIMAL_YEAR = re.compile(rf"[{_ANIMALS}]年")


def _nearest_cycle_year(offset: int, period: int, reference: int | None) -> int | None:
    """The year ≡ offset (mod period) nearest to the reference year (1984 is 甲子, a rat year)."""
    if reference is None:
        return None
    base = 1984 + offset
    k = round((reference - base) / period)
    return base + k * period


def find_year(text: str) -> tuple[int | None, str]:
    """The document's year from its text, and a note on the evidence."""
    if m := _THIS_YEAR.search(text):
        return int(m.group(1)), f"今年（{m.group(1)}年）"
    counts: Counter[int] = Counter()
    for m in _YEAR.finditer(text):
        before = text[max(0, m.start() - 4) : m.start()]
        after = text[m.end(1) : m.end(1) + 5]
        if _FUTURE_BEFORE.search(before) or _FUTURE_AFTER.match(after):
            continue
        counts[int(m.group(1))] += 1
    reference = max(counts) if counts else None
    cyclical: list[tuple[int, str]] = []
    for m in _CYCLICAL.finditer(text):
        stem, branch = _STEMS.index(m.group(1)), _BRANCHES.index(m.group(2))
        if stem % 2 != branch % 2:
            continue  # not a valid stem-branch pair
        offset = next(k for k in range(60) if k % 10 == stem and k % 12 == branch)
        year = _nearest_cycle_year(offset, 60, reference if reference else 2000)
        if year is not None:
            cyclical.append((year, m.group()))
    for m in _ANIMAL_YEAR.finditer(text):
        before = text[m.start() - 1] if m.start() else ""
        if before and "\u3400" <= before <= "\ufaff":
            continue  # part of a word (犀牛年), or a 癸卯兔年 the cyclical pattern has read
        year = _nearest_cycle_year(_ANIMALS.index(m.group()[0]), 12, reference)
        if year is not None:
            cyclical.append((year, m.group()))
    candidates = set(counts) | {y for y, _ in cyclical}
    if not candidates:
        return None, ""
    year = max(candidates)
    notes = [f"{year}年×{counts[year]}"] if counts[year] else []
    notes += list(dict.fromkeys(label for y, label in cyclical if y == year))
    return year, "、".join(notes)


# --------------------------------------------------------------------------------------------
# Publication date: page metadata or a dateline first; the text's own year only when certain
# --------------------------------------------------------------------------------------------

_DELIVERY_AT = re.compile(r"^[—\-－]*\s*(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:在|于)")
_WIRE_DAY = re.compile(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})日电")
_LEAD_DAY = re.compile(r"^(?P<m>\d{1,2})月(?P<d>\d{1,2})日[,，]")
_PIECES_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s+(?P<m>\d{1,2})[/.\-](?P<d>\d{1,2})(?!\d)")
# A yearly work conference is held in its own year: "贵安新区2020年工作会议…召开".
_CONFERENCE = re.compile(r"((?:19|20)\d{2})年度?工作会议")
_HELD = re.compile(r"召开|举行|开幕")
_REVIEW_YEAR = re.compile(r"((?:19|20)\d{2})年工作回顾")


def _valid(y: int, m: int, d: int | None = None) -> str | None:
    try:
        return dt.date(y, m, d or 1).isoformat()[: 10 if d else 7]
    except ValueError:
        return None


def _date_in(text: str) -> str | None:
    """The first date in a metadata line, at the precision it is written (YYYY-MM-DD or YYYY-MM)."""
    for pattern in _HEAD_DATES:
        for m in pattern.finditer(text):
            g = m.groupdict()
            found = _valid(int(g["y"]), int(g["m"]), int(g["d"]) if g.get("d") else None)
            if found:
                return found
    return None


def mark_delivery(paras: Sequence[_Para]) -> None:
    """Tag a report's delivery line as a byline, also when it is broken over two lines."""
    for i, para in enumerate(paras[:15]):
        if not _DELIVERY_AT.match(para.text):
            continue
        nxt = paras[i + 1] if i + 1 < len(paras) else None
        if "人民代表大会" in para.text:
            para.kind = KIND_BYLINE
        elif nxt is not None and "人民代表大会" in nxt.text and len(para.text + nxt.text) <= 100:
            para.kind = KIND_BYLINE
            nxt.kind = KIND_BYLINE


def _head_date(paras: Sequence[_Para]) -> tuple[str, str] | None:
    """The page's own date: a labelled date line anywhere, else a date line above the body."""
    body_at = _first_body_index(paras)
    meta = [p for p in paras if p.kind in (KIND_CHROME, KIND_BYLINE)]
    for para in meta:
        t = _simplified(para.text)
        if _DATE_LABEL.search(t) and (found := _date_in(t[_DATE_LABEL.search(t).start() :])):  # type: ignore[union-attr]
            return found, f"page:{para.text.strip()}"
    head = [p for p in paras[:body_at] if p.kind in (KIND_CHROME, KIND_BYLINE)]
    pieces = " ".join(p.text.strip() for p in head if _DATE_PIECES.match(p.text.strip()))
    for para in head:
        t = _simplified(para.text)
        if is_date_line(t) and (found := _date_in(t)):
            return found, f"page:{para.text.strip()}"
    if m := _PIECES_DATE.search(pieces):
        found = _valid(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        if found:
            return found, f"page:{pieces}"
    return None


def _delivery(paras: Sequence[_Para]) -> tuple[str, str] | None:
    """A report's delivery date: "——2025年1月15日龚正市长在上海市第十六届人民代表大会…"."""
    for para in paras[:15]:
        if para.kind != KIND_BYLINE:
            continue
        m = _DELIVERY_AT.match(para.text) or (_DELIVERY.match(para.text) if "人民代表大会" in para.text else None)
        if m:
            found = _valid(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            if found:
                return found, f"delivery:{para.text.lstrip('—-－ ')}"
    return None


def certain_year(text: str, lead: str) -> tuple[int, str] | None:
    """The year the text was written in, when the text states it beyond doubt.

    今年（2023年）; a stem-branch year (癸卯兔年); a yearly work conference held (召开/举行) in the lead;
    a government work report reviewing year Y (delivered in Y+1).
    """
    if m := _THIS_YEAR.search(text):
        return int(m.group(1)), f"今年（{m.group(1)}年）"
    for sentence in split_sentences(lead)[:3]:
        if (m := _CONFERENCE.search(sentence)) and _HELD.search(sentence):
            return int(m.group(1)), m.group()
    if _REPORT_FORMULA.search(text) and (m := _REVIEW_YEAR.search(text)):
        return int(m.group(1)) + 1, m.group()
    year, note = find_year(text)
    if year is not None and _CYCLICAL.search(note):
        return year, note
    return None


def publication_date(paras: Sequence[_Para], text: str, lead: str) -> tuple[str | None, str | None]:
    """The document's date at the precision the evidence allows, and where it comes from.

    In order: the page's date line (发布时间：2023-03-27, 2023-07-29 22:23, 25.05.2019 19:24); a
    report's delivery line; a wire dateline (新华社北京3月5日电) or a lead opening with its day, when
    the year is certain; else only a certain year; else nothing. Never a day from the body.
    """
    found = _head_date(paras) or _delivery(paras)
    if found:
        return found
    lead_s = _simplified(lead)
    known = certain_year(_simplified(text), lead_s)
    if known is None:
        return None, None
    year, note = known
    m = _WIRE_DAY.search(lead_s[:40]) or _LEAD_DAY.match(lead_s)
    if m and (day := _valid(year, int(m.group("m")), int(m.group("d")))):
        return day, f"dateline:{m.group()} (year {note})"
    return str(year), f"year:{note}"


_REPORT_FORMULA = re.compile(r"我代表[^，。]{2,12}?，?向大会报告")


# --------------------------------------------------------------------------------------------
# Title
# --------------------------------------------------------------------------------------------

MIN_TITLE_HAN = 6  # a headline has at least this many Han characters (site names have fewer)
_LABELLED_TITLE = re.compile(r"^(?:文章)?标题\s*[:：]\s*(?P<t>\S.{4,90})$")
_ORIGINAL_TITLE = re.compile(r"(?:原标题|正在阅读)\s*[:：]\s*(?P<t>[^）)\n]{6,90})")


def _headline_like(text: str) -> bool:
    t = text.strip()
    return (
        _han_count(t) >= MIN_TITLE_HAN
        and len(t) <= 90
        and re.search(r"[。；;]", t) is None
        and t[-1] not in "：:，,、"
        and _DELIVERY_AT.match(t) is None
    )


def _dated_after(paras: Sequence[_Para], i: int) -> bool:
    """True when a date or delivery line follows paragraph i, past chrome only."""
    for para in paras[i + 1 : i + 4]:
        t = _simplified(para.text)
        if para.kind == KIND_BYLINE and _DELIVERY_AT.match(para.text):
            return True
        if para.kind not in (KIND_CHROME, KIND_BYLINE):
            return False
        if is_date_line(t) or (_DATE_LABEL.search(t) and _date_in(t)):
            return True
    return False


def _derive_title(paras: list[_Para], text: str) -> tuple[str, list[_Para]]:
    """The document title and the paragraphs that form it; chrome never is one.

    In order: a headline-like line above the body that a date line follows (the page's headline);
    the lines right above the first reporter byline (000: region line + headline); the first
    headline-like line above the body (joined with the next when it is a bare place name); the
    page's 原标题; "政府工作报告" for a report opening with its formula; the lead's first sentence.
    """
    from store import places

    body_at = _first_body_index(paras)
    cands = [
        i
        for i in range(body_at)
        if paras[i].kind not in (KIND_CHROME, KIND_BYLINE, KIND_CAPTION) and _headline_like(paras[i].text)
    ]
    # A government page's metadata table names the title: "标题：关于…的通报".
    for para in paras[:body_at]:
        if para.kind == KIND_CHROME and (m := _LABELLED_TITLE.match(para.text.strip())):
            return m.group("t").strip(), []
    for k, i in enumerate(cands):
        if _dated_after(paras, i):
            # "2022年珠海市斗门区政府工作报告—全文" right above "政府工作报告": the fuller line
            if k and cands[k - 1] == i - 1 and paras[i].text.strip() in paras[i - 1].text:
                i -= 1
            return paras[i].text.strip(), [paras[i]]
    for i, para in enumerate(paras[:12]):
        if para.kind == KIND_BYLINE and para.names:
            block: list[_Para] = []
            j = i - 1
            while j >= 0 and paras[j].kind in ("", KIND_TITLE) and _is_heading_like(paras[j].text):
                block.insert(0, paras[j])
                j -= 1
            if block:
                parts = [p.text for p in block]
                sep = "：" if len(parts) > 1 and places.lookup(parts[0]) is not None else " "
                return sep.join(parts), block
            break
    if cands:
        i = cands[0]
        if places.lookup(paras[i].text.strip()) is not None and i + 1 in cands:
            return f"{paras[i].text.strip()} {paras[i + 1].text.strip()}", [paras[i], paras[i + 1]]
        return paras[i].text.strip(), [paras[i]]
    if m := _ORIGINAL_TITLE.search(text):
        return m.group("t").strip(), []
    if _REPORT_FORMULA.search(text):
        return "政府工作报告", []
    for para in paras:
        if para.kind in ("", KIND_TITLE) and para.text.strip():
            text_s = _DATELINE.sub("", para.text, count=1).strip() or para.text
            first = split_sentences(text_s)[0]
            return first[:40], []
    return "", []


# A report's review section ("一、2024年工作回顾", "过去一年和五年工作回顾") is about a past year.
_REVIEW_HEADING = re.compile(r"(?:((?:19|20)\d{2})\s*年|过去一年).{0,8}工作回顾")
_TOP_HEADING = re.compile(r"^[一二三四五六七八九十]+、")


def section_year(heading: str, doc_year: int | None, current: int | None) -> int | None:
    """The year a section is about after `heading`: set by a review heading, reset by the next one."""
    match = _REVIEW_HEADING.search(heading)
    if match:
        if match.group(1):
            return int(match.group(1))
        return doc_year - 1 if doc_year is not None else None
    if _TOP_HEADING.match(heading.strip()):
        return None
    return current
