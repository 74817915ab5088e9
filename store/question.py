"""Question understanding (pure): what a question requires — place, measure, kind of figure, period, qualifiers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from store import places as _places
from store.metrics import metric_mentions
from store.normalize import normalize_question

# Greetings, politeness and chat fillers: they say nothing about what is asked, so they are cut
# out before anything else reads the question (longest first; the place names found before are
# protected, so 都 of 成都 survives).
FILLERS = tuple(
    sorted(
        {
            "你好", "您好", "哈喽", "嗨", "早上好", "晚上好", "请问一下", "请问", "请教一下", "请教", "麻烦问一下",
            "麻烦问下", "麻烦你", "麻烦", "问一下", "问下", "我想问一下", "我想问", "想问一下", "想问下", "想问",
            "想了解一下", "想了解", "我想知道", "想知道", "告诉我", "帮我查一下", "帮我查查", "帮我查", "帮忙查一下",
            "帮忙查", "帮我看看", "帮我看下", "查一下", "查查", "帮忙", "能不能", "能否", "可以", "谢谢你", "谢谢",
            "多谢", "感谢", "辛苦了", "那边", "这边", "那里", "这里", "到底", "究竟", "一共", "总共", "总计", "大概",
            "大约", "大致", "差不多", "具体", "一下", "知道吗", "知道", "了解", "目前", "现在", "当时", "那次", "这次", "本次", "那个", "这个",
            "那些", "这些", "是什么", "是啥", "怎么样", "情况如何", "如何", "怎样",
        },
        key=len,
        reverse=True,
    )
)
# Question words: what is asked, not what it is about (removed from the content after the kind is read).
QUESTION_WORDS = tuple(
    sorted(
        {
            "什么时候", "什么时间", "啥时候", "几时", "何时", "哪一年", "哪年", "哪一天", "哪天", "几月几号",
            "几月几日", "几号", "几月", "多少钱", "多少", "几", "第几", "多大", "多高", "多长", "多久", "多快",
            "哪些", "哪个", "哪家", "哪里", "哪儿", "什么", "啥", "咋", "是否", "有没有", "是不是", "排名第几",
            "排第几", "的", "了", "是", "有", "在", "都", "为", "达到", "到了", "完成了", "过",
        },
        key=len,
        reverse=True,
    )
)
# Sentence-final particles only count as fillers at the end of a clause (哈 of 哈尔滨 is a name).
_PARTICLES = "吗呢吧啊呀嘛哈哦噢呗咧啦么哇"
# A filler that begins a question word (是啥 of 是啥时候, 是什么 of 是什么时间) is left to the question word.
_FILLER_RE = re.compile(
    "|".join(re.escape(w) + ("(?!时候|时间)" if w.endswith(("什么", "啥")) else "") for w in FILLERS)
    + rf"|(?<!什)[{_PARTICLES}]+(?=[\s，。！？?!,.;；~～]|$)"
)
# The fillers alone (no particles): spans the place-typo correction leaves as typed.
_FILLER_WORD_RE = re.compile("|".join(re.escape(w) for w in FILLERS))
_QWORD_RE = re.compile("|".join(re.escape(w) for w in QUESTION_WORDS))
# The verb a span of time is asked with (能待多久, 要建多久, 得等几天): the duration answers it, the
# sentence need not repeat it (停留时间最长可达30天, 计划用时36个月建成). A modal and one character, or a
# verb of staying or waiting alone.
_DURATION_VERB_RE = re.compile(
    r"(?:(?:还能|还要|需要|可以|能|要|可|得|需|会)[\u4e00-\u9fff]?|[待住留呆停等])了?"
    r"(?=多久|多长时间|(?:多少|几)(?:个)?(?:年|月|天|周|小时)(?!度))"
)
_PUNCT_RE = re.compile(r"[\s，。！？；：、“”‘’（）()《》!?,.;:\"'…·@/~～]+")

RANK_MOVE = "rank_change"  # the unit of a rank question asking how far a rank moved (as the facts say it)

# Measure words of counts (几个/多少家/多少万人次 → a count in that unit).
COUNT_UNITS = (
    "人次", "标箱", "万人", "个", "项", "家", "人", "栋", "条", "辆", "片", "座", "所", "户", "台", "套", "批", "款", "件",
    "处", "名", "位", "列", "架", "艘", "种", "类", "次", "场", "只", "支", "班", "吨", "瓦", "千瓦时", "度",
)
_COUNT_RE = re.compile(
    r"(?:多少|几)(?:万|千|百|亿)?(" + "|".join(sorted(COUNT_UNITS, key=len, reverse=True)) + ")(?!目|元|年|月|天)"
)
_ITEMS_RE = re.compile(r"(?:多少|几)(?:个)?(?:项目|企业|园区|平台|案例|举措|成果)")
_MONEY_RE = re.compile(r"多少钱|(?:多少|几)(?:万|千|百)?(?:亿|万)?(?:元|美元|块)|金额|投了多少|花了多少|赚了多少")
_AREA_RE = re.compile(r"面积|占地(?!区)|多大|(?:多少|几)(?:万|千|百)?(?:亩|平方|平米|公顷)|规划.{0,4}多大|范围")
_PERCENT_RE = re.compile(
    r"比重|占比|比例|百分之|增速|增幅|增长率|几成|完成率|开工率|复工率|率(?:是|为|有)?(?:多少|几)|"
    r"占.{0,8}(?:多少|几)|(?:增长|增加|下降|提高|涨|降|减少|回落|提升)[^，,？?。多几]{0,6}(?:多少|几)(?![万亿千百个项家人元辆平亩])"
)
_RANK_RE = re.compile(r"第几|排第|排几|排多少|名次|排在第?几|位列第?几|位居第?几")
_RANK_LOOSE_RE = re.compile(r"排名|排行|排位|位列|位居|排在")
_DATE_RE = re.compile(r"什么时候|什么时间|啥时候|何时|哪一?年|哪一?天|几月|几号|日期|哪一?日")
_DAY_RE = re.compile(r"哪一?天|几号|几月几[日号]|哪一?日|具体日期")
_DURATION_RE = re.compile(r"多久|多长时间|(?:多少|几)(?:个)?(?:年|月|天|周)(?!度)|用了多长")
# Asked as a span of time whatever else the question names (增速连续几年领跑 asks for 5年, not a growth rate).
_SPAN_RE = re.compile(r"多久|多长时间|(?:连续|持续|已经|累计)(?:了)?(?:多少|几)(?:个)?(?:年|月|天|周)|(?:多少|几)个月|(?:多少|几)(?:年|天)(?:了|时间)")
# How far a rank moved (跃升了多少位, 前进几名): its own kind of figure, not a count of 位.
_RANK_MOVE_RE = re.compile(
    r"(?:跃升|跃居|提升|上升|前移|前进|进位|攀升|提高|下降|下滑|后退|后移|退后|(?:往|向)[前后]挪|挪)(?:了)?(?:多少|几)"
    r"(?:个)?(?:位|名|位次|个名次)"
)
_LIST_RE = re.compile(r"哪些|有什么|有哪|包括什么|包含哪|都有|哪几")
_TARGET_RE = re.compile(r"目标|计划|力争|预计|预期|打算|将要|规划要|要实现|要形成|今年要|年内要|任务")

_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年?(?![\d%.万亿])")
_RELATIVE_YEARS = {"今年": 0, "本年": 0, "当年": 0, "年内": 0, "去年": -1, "上年": -1, "上一年": -1, "前年": -2, "明年": 1}
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
              "十一": 11, "十二": 12}
_QUARTER_RE = re.compile(r"(前)?(?:第)?([一二三四1-4])季度")
_MONTHS_RE = re.compile(r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:-|—|–|~|至|到)\s*(\d{1,2}|[一二三四五六七八九十]{1,3})月")
_QUALIFIER_RE = re.compile(r"[一二三四五六七八九1-9]期|以上|以下|过亿|百亿级|千亿级|十亿级")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_H1_RE = re.compile(r"上半年|1\s*[-至到~]\s*6月|一至六月|半年|(?<![a-z0-9])h1(?![0-9])", re.IGNORECASE)
_H2_RE = re.compile(r"下半年|(?<![a-z0-9])h2(?![0-9])", re.IGNORECASE)
_Q_RE = re.compile(r"(?<![a-z0-9])q([1-4])(?![0-9])", re.IGNORECASE)
_WHOLE_YEAR_RE = re.compile(r"全年(?!任务|目标|计划)|一整年|一年(?!来|多)")
_HOW_MANY_RE = re.compile(r"多少|几[个项家]|第几")
_CHANGE_RE = re.compile(r"增长|增速|增幅|涨幅|增长率|下降|回落")
_ASKS_NUMBER_RE = re.compile(r"多少|几")
_PARTS_RE = re.compile(r"[，,？?；;。！!]")  # the parts of a question of several
_STATED_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?(?:个|项|家|条|座|所|户|批|家|位|名|强)")


@dataclass(frozen=True, slots=True)
class Period:
    """The time a question asks about: years, relative years and a part of the year."""

    years: tuple[int, ...] = ()
    relative: tuple[int, ...] = ()  # 今年 0, 去年 -1 (resolved against each document's year)
    part: str | None = None  # "H1" "H2" "Q1" … "Q1-3" "M1-8" (months), "Y" (全年), None

    @property
    def empty(self) -> bool:
        """True when the question names no time at all."""
        return not (self.years or self.relative or self.part)


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place named in the question: the surface typed and what the gazetteer knows of it."""

    surface: str
    start: int
    end: int
    name: str  # official full name (the surface when the gazetteer does not know it)
    short: str
    level: str  # nation | province | prefecture | county | zone | ""
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """What a question requires of its answer."""

    text: str  # normalised (simplified, width-folded) question
    core: str  # fillers, question words and punctuation replaced by "|"
    kind: str | None  # count area money percent rank date duration list, or None (any figure)
    unit: str | None  # the measure word of a count (个, 家, 人次 …)
    metric: str | None  # canonical metric asked about (store.metrics)
    places: tuple[PlaceMention, ...]
    period: Period
    qualifiers: tuple[str, ...]
    target: bool
    wants_day: bool
    numbers: tuple[str, ...] = ()  # figures the question itself states (11个, 419个): never its answer
    metrics: tuple[str, ...] = field(default=())  # every metric named (several for 投资 + 项目 …)


def places_module() -> ModuleType:
    """The gazetteer module (store.places)."""
    return _places


def _part_of_year(text: str) -> str | None:
    if _H1_RE.search(text):
        return "H1"
    if _H2_RE.search(text):
        return "H2"
    m = _Q_RE.search(text)
    if m:
        return f"Q{m.group(1)}"  # Q1 … Q4 as English-language reports write them
    m = _QUARTER_RE.search(text)
    if m:
        q = _CN_DIGITS.get(m.group(2)) or int(m.group(2))
        return f"Q1-{q}" if m.group(1) and q > 1 else f"Q{q}"
    m = _MONTHS_RE.search(text)
    if m:
        a, b = (_CN_DIGITS.get(g) or int(g) for g in m.groups())
        return f"M{a}-{b}"
    if _WHOLE_YEAR_RE.search(text):
        return "Y"
    return None


def parse_period(text: str) -> Period:
    """Years (2022年, bare 2022), relative years (今年, 去年) and the part of the year (上半年, 一季度, 1-8月)."""
    years = tuple(dict.fromkeys(int(y) for y in _YEAR_RE.findall(text)))
    relative = tuple(dict.fromkeys(off for word, off in _RELATIVE_YEARS.items() if word in text))
    return Period(years, relative, _part_of_year(text))


def detect_kind(text: str) -> tuple[str | None, str | None]:
    """The kind of figure asked for and, for counts, its measure word."""
    if _LIST_RE.search(text) and not _HOW_MANY_RE.search(text):
        return "list", None
    if _RANK_MOVE_RE.search(text):
        return "rank", RANK_MOVE
    if _SPAN_RE.search(text):
        return "duration", None
    if _DAY_RE.search(text) or (_DATE_RE.search(text) and not _DURATION_RE.search(text)):
        return "date", None
    if _RANK_RE.search(text):
        return "rank", None
    if _MONEY_RE.search(text):
        return "money", None
    m = _COUNT_RE.search(text)
    if m:
        return "count", m.group(1)
    if _RANK_LOOSE_RE.search(text):
        return "rank", None
    if _ITEMS_RE.search(text):
        return "count", None
    if _AREA_RE.search(text):
        return "area", None
    if _PERCENT_RE.search(text):
        return "percent", None
    if _DURATION_RE.search(text):
        return "duration", None
    if _CHANGE_RE.search(text) and not _ASKS_NUMBER_RE.search(text):
        return "percent", None  # a keyword query (GDP增长目标, 两江新区 GDP增长) asks for a rate
    return None, None


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the characters of the spans (inside it) replaced by \\x01."""
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        chars[a:b] = "\x01" * (b - a)
    return "".join(chars)


_MASKED_RE = re.compile("\x01+")


def _unmask(masked: str, text: str) -> str:
    """Each \\x01 of `masked` replaced by the character of `text` at the same offset."""
    out: list[str] = []
    last = 0
    for m in _MASKED_RE.finditer(masked):
        out += (masked[last : m.start()], text[m.start() : m.end()])
        last = m.end()
    out.append(masked[last:])
    return "".join(out)


def _bars(m: re.Match[str]) -> str:
    """As many "|" as the match has characters."""
    return "|" * len(m.group(0))


def strip_fillers(text: str, protected: list[tuple[int, int]] | None = None) -> str:
    """The question with greetings, politeness and fillers replaced by "|" (protected spans kept)."""
    if not protected:
        return _FILLER_RE.sub(_bars, text)
    out = list(_FILLER_RE.sub(_bars, _mask(text, protected)))
    for a, b in protected:
        out[a:b] = text[a:b]
    return "".join(out)


def parse(question: str, *, names: Callable[[str], list[tuple[int, int]]] | None = None) -> Question:
    """Parse a user's question into what its answer must satisfy.

    `names` finds further name spans (the index's mined names and aliases) in the normalised,
    lower-cased question; like the gazetteer's places, they are never read as fillers.
    """
    text = normalize_question(question)
    # Place names typed one character wrong (哈尔宾): read as the place, unless the index knows the word.
    # …and never a greeting or filler (哈喽 is no slip of 哈密).
    keep = [m.span() for m in _FILLER_WORD_RE.finditer(text)] + (names(text.lower()) if names else [])
    text, found = _places.correct_and_find(text, keep=keep)
    lowered = text.lower()
    mentions: list[PlaceMention] = []
    for start, end, place in found:
        # The surface as typed: the place's full or short name where it stands, else the span (kept in the text).
        known = [n.lower() for n in sorted({place.name, place.short}, key=len, reverse=True) if n]
        surface = next((n for n in known if lowered.startswith(n, start)), lowered[start : min(end, len(lowered))])
        end = start + len(surface)
        if not surface:
            continue
        mentions.append(
            PlaceMention(
                surface=surface, start=start, end=end, name=place.name, short=place.short,
                level=place.level, parent=place.parent,
            )
        )
    protected = [(m.start, m.end) for m in mentions] + (names(lowered) if names else [])
    without_fillers = strip_fillers(lowered, protected)
    # A question of several parts (落地了多少项目，总投资多少) asks first for what its first asking part asks.
    all_metrics = metric_mentions(without_fillers)
    kind, unit, found_metrics = None, None, all_metrics
    for part in _PARTS_RE.split(without_fillers):
        kind, unit = detect_kind(part)
        if kind is not None:
            found_metrics = all_metrics if part == without_fillers else metric_mentions(part)
            break
    # The head of the noun phrase is its last metric (重点项目完成投资 → 投资).
    metric = found_metrics[-1] if found_metrics else None
    period = parse_period(without_fillers)
    # The content: what is left once question words, punctuation and time words are gone.
    masked = _mask(without_fillers, protected)
    if kind == "duration":
        masked = _DURATION_VERB_RE.sub(_bars, masked)
    core = _PUNCT_RE.sub("|", _QWORD_RE.sub(_bars, masked))
    if "\x01" in core:
        core = _unmask(core, lowered)
    numbers = tuple(
        m.group(0)
        for m in _STATED_NUMBER_RE.finditer(without_fillers)
    )
    return Question(
        text=text, core=core, kind=kind, unit=unit,
        metric=metric[2] if metric else None,
        places=tuple(mentions), period=period,
        qualifiers=tuple(dict.fromkeys(_QUALIFIER_RE.findall(without_fillers))),
        target=bool(_TARGET_RE.search(without_fillers)), wants_day=bool(_DAY_RE.search(without_fillers)),
        numbers=numbers, metrics=tuple(dict.fromkeys(m[2] for m in all_metrics)),
    )
