"""Question answering over the in-memory index: intent, entities, ranking, abstention."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from store import question as qparse
from store.extraction import chinese_number
from store.index import MAX_TERM_LEN, SearchIndex
from store.kernels import (
    FOLLOWING_STEPS_MAX,
    compile_for,
    compile_now,
    documents_mentioning,
    following_rows,
    top_rows,
    union_sorted,
)
from store.metrics import metric_mentions, metric_synonyms, word_synonyms
from store.normalize import normalize_question, strip_pinyin_glosses
from store.question import Question
from store.rerank_kernels import (
    IN_SENTENCE,
    IN_TITLE,
    KEPT,
    KIND_WORD_NEAR,
    NAME_IN_SENTENCE,
    PARENT_IN_TITLE,
    TURNED_DOWN,
    compile_rerank_scan,
    lower_table,
    needle_table,
    rerank_scan,
)
from store.substrings import SubstringIndex, built_already, built_once
from store.views import Answer, DocumentInfo, FactView

# Question words and fillers: removed before matching so they never count as content.
_QUESTION_WORDS = sorted(
    {
        "什么时候", "什么时间", "啥时候", "几时", "何时", "哪一年", "哪年", "哪天", "哪一天", "几月",
        "多少钱", "多少个", "多少项", "多少家", "多少", "几个", "几项", "几家", "第几", "几位", "几",
        "多大", "多高", "多长", "多久", "多快", "哪些", "哪个", "哪家", "哪里", "什么", "啥", "咋",
        "怎么样", "怎样", "如何", "情况", "是否", "有没有", "是不是", "请问", "请", "告诉我", "我想知道",
        "知道", "一下", "吗", "呢", "吧", "啊", "呀", "么", "是", "了", "的", "有", "在", "都", "共",
        "一共", "总共", "大概", "大约", "具体", "现在", "目前", "排名第几", "为", "达到", "到",
        "这次", "那次", "本次", "这个", "那个", "这些", "那些", "到底", "究竟", "差不多",
    },
    key=len,
    reverse=True,
)
_QUESTION_RE = re.compile("|".join(re.escape(w) for w in _QUESTION_WORDS))
# Positional and linking characters that jieba may glue to a neighbour (…中排第几): not a concept.
_GLUE = frozenset("中里内上下前后间排为与和及在对向从到把被让于以之其该此各")
_PUNCT_RE = re.compile(r"[\s，。！？；：、“”‘’（）()《》!?,.;:\"'…·@/]+")
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_RELATIVE_YEARS = {"今年": 0, "本年": 0, "年内": 0, "全年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}

# Measure words users ask with (多少个/几项 …) → the fact unit they expect.
_COUNT_UNITS = "个项家人次人栋条辆片座所户台套批款件处名位"
_UNIT_HINT_RE = re.compile(rf"(?:多少|几)([{_COUNT_UNITS}]|人次)")

_INTENT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"什么时候|什么时间|啥时候|何时|哪一?年|哪一?天|几月|几号|日期|时间")),
    ("rank", re.compile(r"第几|排名|排第|位列|位居|名次|排位|排在")),
    ("list", re.compile(r"哪些|有什么|包括什么|包含哪|都有|哪[两二三四五六七八九十几]+[大个项家类条]")),
    ("percent", re.compile(r"比重|占比|比例|百分|增速|增幅|增长率|几成|占(?:多少|几)")),
    ("area", re.compile(r"面积|占地|多大|亩|平方|范围")),
    ("duration", re.compile(r"多久|多长时间|几天|几个月|用了多长")),
    ("amount", re.compile(r"多少|几|规模|金额|总额|投资|总量|数量")),
)
_DAY_RE = re.compile(r"哪天|哪一天|几号|几月几[日号]|哪一日|具体日期")
_TARGET_RE = re.compile(r"目标|计划|力争|预计|将要|要形成|要实现|打算|今年要|年内要|规划要|任务")

_INTENT_KINDS: dict[str, tuple[str, ...]] = {
    "date": ("date",),
    "rank": ("rank",),
    "percent": ("percent",),
    "area": ("area",),
    "duration": ("duration",),
    "amount": ("money", "count", "percent", "area", "other", "duration"),
    "list": (),
    "other": (),
}

# ---- Every weight and threshold of answering, with what it trades ------------------------------
COMMON_TERM_ROWS = 5_000  # postings longer than this (and 3 % of rows) only count in the rerank
RERANK_DEPTH = 80  # BM25 candidates that get the full (fact-aware) scoring: recall vs time
MIN_COVERAGE = 0.5  # share of the question's content a best answer must cover (abstain below)
MIN_TOPIC_COVERAGE = 0.4  # share of its non-entity words (the measure asked about)
MIN_SCORE = 0.35  # final score below which a candidate is never shown
# A word the corpus has never seen counts as this share of a rare term's weight in the content a
# sentence must cover: one unknown word among known ones does not refuse, a question made of
# unknown words does.
UNKNOWN_WEIGHT = 0.6
W_BM25 = 0.45  # lexical score (relative to the best candidate)
W_COVERAGE = 1.5  # share of the question's content the sentence (and its context) covers
W_FACT = 0.35  # how well the sentence's best figure fits what is asked
NO_FIGURE_PENALTY = 0.5  # a figure was asked and the sentence has none
WRONG_KIND_PENALTY = 0.25  # it has figures, none of the kind asked for
SUBJECT_IN_CONTEXT = 0.85  # the place is named one or two sentences earlier in the paragraph
SUBJECT_IN_DOCUMENT = 0.6  # the place is only named by the document's title or regions
KEY_WORD_MISSING_PENALTY = 0.5  # the sentence lacks the question's most specific word (轴承 of 轴承产业) another has
PART_UNSTATED_PENALTY = 0.3  # 上半年 asked, the sentence and its context name no part of the year
# Figure selection inside a sentence (clause level).
FIG_KIND = 1.0  # the figure is of the kind asked for
FIG_KIND_NEAR = 0.6  # of a kind that can answer a generic "多少"
FIG_WRONG_KIND = -1.5  # of a kind the question does not ask for (a date for 第几)
FIG_UNIT = 0.6  # a count in the measure word asked for (多少家 → 14家)
FIG_UNIT_MISMATCH = -0.2
FIG_TARGET = 0.4  # a target asked for (目标, 计划) and the figure is one
FIG_PERIOD = 0.4  # the figure's year is the asked one
FIG_PERIOD_RELATIVE = 0.1  # …as 去年/今年 resolved against the document's year (often a year off)
FIG_METRIC = 0.8  # the metric named nearest before the figure is the asked one
FIG_OTHER_METRIC = -0.8  # …is another metric (地区生产总值2576亿元, 工业增加值增长13%: not GDP growth)
FIG_BEFORE = 0.9  # question words in the clause right before the figure (× share of the content)
FIG_AFTER = 0.5  # …right after it (签约项目120个 vs 签约120个项目)
FIG_NEAR = 1.0  # …in the last few characters before it (贷款余额175亿元, not 存款余额200亿元、贷款…)
FIG_NEAR_CHARS = 6
FIG_HEAD = 0.5  # the clause carries the question's head word (its last content word: 基金规模 → 规模)
FIG_LABEL = 0.25  # per question word in the fact's subject/metric label (at most 3)
FIG_DISTANCE = 0.002  # per character between the figure and the nearest question word
FIG_WINDOW = 24  # characters before a figure read as its clause context
# What a figure is said of reaches back past commas to the previous figure of its kind (10家重点餐饮企业
# 监测，销售额增长65%: the 65% is the restaurants'); the words there count, less than its own clause's.
FIG_SCOPE = 0.6  # question words since the previous figure of the same kind (× share of the content)
FIG_SCOPE_CHARS = 48  # …at most this many characters back
FIG_STATED = 1.0  # a number the question states (11个省重点项目) is in that scope: the figure is that subject's
FIG_TARGET_UNASKED = 0.3  # no target asked for (规上工业增加值涨了多少) and the figure is one (力争增长10%)
TARGET_UNASKED_PENALTY = 0.8  # …the same for the whole sentence: a result beats next year's plan
TARGET_MISSED_PENALTY = 0.8  # a target asked (今年目标) and the sentence's figure is a result: the plan beats it
FIG_SUPERLATIVE = 1.0  # the question's 最高/最大/最多 is in the figure's clause (其中集中度最高的…达82.4%)
FIG_OTHER_PERCENT = -1.0  # a growth rate for a share asked (占比多少), or a share for a growth asked
FIG_FROM_VALUE = -0.8  # the starting value of a change (从980辆增长至…), unless the question asks what it was
FIG_OTHER_COUNT = -0.8  # a total (累计) asked and the figure's clause says it is new (新增), or the reverse
FIG_SAME_COUNT = 0.0  # …the clause says the same: no bonus (新引进亿元以上项目86个，其中10亿元以上项目21个)
FIG_CONVERTED = -0.3  # the same amount converted (…美元、约合1243亿元人民币): the figure as reported comes first
FIG_RESPECTIVE = 1.0  # 甲、乙分别前移5位和9位: the asked place is the i-th listed and the figure the i-th after 分别
FIG_ROUNDED = -0.6  # a round amount in words (突破千亿元) beside an exact one of the same kind in the sentence
FIG_AFTER_CHARS = 16  # characters after a figure read as what it is of (投资100亿元的蓝思科技…项目)
# A round milestone (突破千亿元, 超过500家) with an exact figure of the same kind and unit within its range in the
# sentence (1036.8亿元) restates that figure: the exact one answers, whatever words stand in the milestone's clause.
FIG_RESTATED = -1.5
FIG_RESTATED_RANGE = (0.8, 1.5)  # the exact figure lies between these multiples of the round one: the same amount
# (past a milestone: from it up to 1.5×; nearly one: from 0.8× up to it)
# Whose figure it is: the place named last before a figure (德宏州…增长5.9%，其中瑞丽市增长7.2%) is its subject.
# Another place than the one asked (named in the same sentence) outweighs the clause's words: the measure is
# written once, by the first place's figure, and only elided for the next (其中乙区增长9.1%).
FIG_OTHER_SUBJECT = -2.0
# The event a figure is of (2025年5月开工, 预计2026年11月投产): the event word asked (投产) in the figure's own
# clause gains, another event word there without the asked one loses (a 开工 date does not say when it opened).
FIG_EVENT = 0.6
FIG_OTHER_EVENT = -0.8


@dataclass(slots=True)
class QueryTerm:
    """A question term found in the index vocabulary, with its weight."""

    text: str
    weight: float
    entity: str | None = None  # canonical entity name when the term stands for an entity
    rows: np.ndarray | None = None  # for phrases the tokenizer split into characters (占比)
    head_of: bool = False  # a one-character word before a general noun (钛 of 钛产业): content of its own


@dataclass(slots=True)
class ParsedQuestion:
    """What the answerer understood of a question."""

    text: str
    intents: tuple[str, ...]
    target: bool
    unit_hint: str | None
    years: tuple[int, ...]
    relative_years: tuple[int, ...]
    terms: list[QueryTerm]
    entities: dict[str, tuple[str, ...]]  # canonical entity → surfaces to look for
    unknown: list[str]  # content the corpus has never seen
    content_weight: float = 0.0
    corrections: list[tuple[str, str]] = field(default_factory=list)
    wants_day: bool = False  # 哪天, 几号: a date with a day
    q: Question | None = None  # what the question requires (store.question)
    required: set[str] = field(default_factory=set)  # entities the answer must be about (places)
    named: dict[str, np.ndarray] = field(default_factory=dict)  # entity → rows naming it (memo)
    about: dict[str, np.ndarray] = field(default_factory=dict)  # entity → documents about it, sorted (memo)
    said_again: frozenset[str] = frozenset()  # terms the question also says outside its entities' names
    scopes: frozenset[str] = frozenset()  # places named as the region a figure is counted in (在广西排第几)

    @property
    def intent(self) -> str:
        """The main intent (first detected)."""
        return self.intents[0] if self.intents else "other"


def detect_intents(text: str) -> tuple[str, ...]:
    """Intents of a normalised question, most specific first (date, rank, list, percent …)."""
    found = [name for name, pattern in _INTENT_PATTERNS if pattern.search(text)]
    if "rank" in found and "amount" in found:
        found.remove("amount")
    if "area" in found and "amount" in found:
        found.remove("amount")
        found.append("amount")
    return tuple(found) or ("other",)


def _strip_question_words(text: str) -> str:
    """Replace question words and punctuation with a separator so terms never span them."""
    return _QUESTION_RE.sub("|", _PUNCT_RE.sub("|", text))


# Time words: the period is a requirement of its own, not content a sentence must repeat.
_PERIOD_WORDS_RE = re.compile(
    r"(?:19|20)\d{2}\s*年?|(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[-至到~—]\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"|前?[一二三四1-4]季度|第[一二三四]季度|[上下]半年|(?<![a-z0-9])(?:h[12]|q[1-4])(?![0-9])"
)


# Relative years, days and parts of the year: cut out of the content like the period words (in this order).
_DAY_AND_PART_WORDS = (*_RELATIVE_YEARS, "明天", "今天", "昨天", "后天", "上半年", "下半年", "一季度", "二季度", "三季度",
                       "四季度", "前三季度")


# Mined "names" that start with a measure word or a particle are fragments (个项目, 家国家级开发区).
_NOT_A_NAME_START = frozenset("个项家条座所户批位名次种类件台套辆栋的了和与及在是为第")


def _first_fit(
    text: str, found: list[tuple[int, int]], taken: list[bool], *, whole_parts: bool = False
) -> list[tuple[int, int]]:
    """Known-name spans kept longest first, each clear of those kept before (marked in `taken`).

    A span starting with a measure word or a particle is no name; with `whole_parts`, neither is
    one across a "|" (a question word or punctuation cut out).
    """
    spans = []
    for start, end in found:
        if any(taken[start:end]) or text[start] in _NOT_A_NAME_START or (whole_parts and "|" in text[start:end]):
            continue
        spans.append((start, end))
        taken[start:end] = [True] * (end - start)
    return spans


def prepare(index: SearchIndex) -> None:
    """Build the question-independent look-up tables of an index and its kernels now rather than on a question."""
    gaz = index.gazetteer
    gaz.known_names().holds("|")  # _spans_kept() asks
    gaz.slip_filter()
    _term_index(index)
    index.term_idf("")  # its floats read once
    index.has_postings("")  # its table built once
    index.bm25_rows()
    index.following_bits()
    built_once(_ZONE_CITIES, (index.doc_keys,), lambda: _zone_cities(index))
    compile_now()
    _simplified_documents(index)
    _document_titles(index)
    if index.size:  # (an empty index has no row to read)
        compile_rerank_scan(index.texts.starts, index.doc_of_row, index.para_of_row)


# The table of the cities of the gazetteer's zones (built by prepare(); a question asked before reads its city itself).
_ZONE_CITIES = "zone cities"


def _city_documents(index: SearchIndex, names: tuple[str, ...]) -> tuple[bool, frozenset[int]]:
    """Whether some sentence names a city (its full or short name), and the documents naming it often."""
    rows = _entity_rows(index, names)
    if not len(rows):
        return False, frozenset()
    often = documents_mentioning(rows, index.doc_of_row, ABOUT_MIN_MENTIONS, 0, 0)  # no early-mention rule
    return True, frozenset(often.tolist())


def _zone_cities(index: SearchIndex) -> dict[tuple[str, ...], tuple[bool, frozenset[int]]]:
    """_city_documents() of the city of every zone the gazetteer knows (question-independent)."""
    places = qparse.places_module()
    table: dict[tuple[str, ...], tuple[bool, frozenset[int]]] = {}
    for place in places.zones():
        names = tuple(p.lower() for p in _ancestor_names(place))[:2]
        if names and names not in table:
            table[names] = _city_documents(index, names)
    return table


def _term_index(index: SearchIndex) -> SubstringIndex:
    """The index vocabulary's terms of 2 to MAX_TERM_LEN characters, to find them in a question."""
    return built_once("index terms", (index.vocab,), lambda: SubstringIndex(index.vocab, MAX_TERM_LEN))


# Short forms of development-zone names people use (经开区 for 经济技术开发区 …): general, not per zone.
_ZONE_FORMS = (
    ("经济技术开发区", ("经开区", "开发区", "经济开发区")),
    ("高新技术产业开发区", ("高新区",)),
    ("高技术产业开发区", ("高新区",)),
    ("自由贸易试验区", ("自贸区", "自贸试验区")),
    ("综合保税区", ("综保区",)),
    ("经济开发区", ("经开区", "开发区", "经济技术开发区")),
    ("经开区", ("经济技术开发区", "开发区", "经济开发区")),
    ("高新区", ("高新技术产业开发区",)),
    ("自贸区", ("自由贸易试验区", "自贸试验区")),
    ("综保区", ("综合保税区",)),
)


_ZONE_LONG_FORMS = tuple(long for long, _shorts in _ZONE_FORMS)
_CHINA_BRACKETS_RE = re.compile(r"中国[（(](.+?)[）)](.+)")


def _place_surfaces(mention: qparse.PlaceMention) -> tuple[str, ...]:
    """The names a document may use for a place named in a question (full, short, zone forms)."""
    names = [mention.surface, mention.name, mention.short]
    for name in list(names):
        # 中国（黑龙江）自由贸易试验区: written with either kind of brackets, or as 黑龙江自由贸易试验区.
        m = _CHINA_BRACKETS_RE.fullmatch(name) if name.startswith("中国") else None
        if m:
            names.extend((f"中国({m.group(1)}){m.group(2)}", m.group(1) + m.group(2)))
    for name in list(names):
        names.extend(_zone_forms(name))
    return tuple(dict.fromkeys(n.lower() for n in names if n and len(n) >= 2))


def _zone_forms(name: str) -> list[str]:
    """The zone's name with each other zone word people use for its kind (经开区 → 经济技术开发区, 经济开发区 …)."""
    if not name.endswith(_ZONE_LONG_FORMS):
        return []
    return [name[: -len(long)] + s for long, shorts in _ZONE_FORMS if name.endswith(long) and len(name) > len(long)
            for s in shorts]


def _crosses_edge(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """The span [start, end) overlaps one of the spans without either holding the other (海地 of 上海地方)."""
    return any(start < b and end > a and not (a <= start and end <= b) and not (start <= a and b <= end)
               for a, b in spans)


def parse_question(question: str, index: SearchIndex) -> ParsedQuestion:
    """Normalise a question and find what it requires, its index terms and its entities."""
    name_index = index.gazetteer.known_names()
    found: dict[str, list[tuple[int, int]]] = {}  # text → known-name spans (before _first_fit)
    seen: dict[str, list[tuple[int, int]]] = {}  # parse() looks twice, at the same text unless a typo was fixed

    def names(text: str) -> list[tuple[int, int]]:
        if text not in seen:
            found[text] = name_index.spans(text)
            seen[text] = _first_fit(text, found[text], [False] * len(text))
        return list(seen[text])

    q = qparse.parse(question, names=names)
    slips = _slips_of_corpus_names(index, question, q)
    if slips:
        # A place name typed one character wrong is the name the corpus uses (刘东新区 → 柳东新区 of the
        # documents, not 浦东新区 they never name): left as typed here, corrected with the index's names below.
        q = qparse.parse(question, names=lambda text: [*names(text), *slips])
    text = q.text
    lowered = text.lower()
    intents = detect_intents(qparse.strip_fillers(lowered))
    years = q.period.years
    relative = q.period.relative

    stripped = q.core
    stripped = _PERIOD_WORDS_RE.sub(lambda m: "|" * len(m.group(0)), stripped)
    for word in _DAY_AND_PART_WORDS:
        stripped = stripped.replace(word, "|" * len(word))
    gaz = index.gazetteer
    covered = [False] * len(stripped)
    terms: dict[str, QueryTerm] = {}
    entities: dict[str, tuple[str, ...]] = {}
    required: set[str] = set()
    corrections: list[tuple[str, str]] = []

    def mark(start: int, end: int) -> None:
        covered[start:end] = [True] * (end - start)

    # Places of the gazetteer named in the question: the answer must be about them, unless the place
    # is part of a longer name the index knows (青岛 of 京东方青岛基地 names a plant, not a city).
    name_hits = _spans_kept(name_index, stripped, lowered, found.get(lowered))
    longer_names = _first_fit(stripped, name_hits, [False] * len(stripped))
    place_spans: list[tuple[int, int]] = []
    scopes = _scope_places(q)
    for mention in q.places:
        if mention.level == "nation":
            continue
        if mention.name in scopes:
            # 在广西排第几 of a place inside 广西: where the figure is counted, said 全区 by a document about
            # the inner place; it adds to the coverage where named, it is not what the answer is about.
            entities[mention.name] = (*_place_surfaces(mention), *scopes[mention.name])
            pos = stripped.find(mention.surface)
            if pos >= 0:
                mark(pos, pos + len(mention.surface))
                place_spans.append((pos, pos + len(mention.surface)))
            continue
        pos = stripped.find(mention.surface)
        end = pos + len(mention.surface)
        if pos >= 0 and len(mention.surface) <= 2 and (
            (pos > 0 and stripped[pos - 1 : pos + 1] in index.vocab)
            and (end < len(stripped) and stripped[end - 1 : end + 1] in index.vocab)
        ):
            continue  # 上海 of 以上海洋: both characters belong to the words around them (not 上海地方)
        if any(a <= pos and pos + len(mention.surface) <= b and b - a > len(mention.surface)
               and _lookup_place(stripped[a:b]) is None for a, b in longer_names):
            continue
        entities[mention.name] = _place_surfaces(mention)
        required.add(mention.name)
        pos = stripped.find(mention.surface)
        if pos >= 0:
            mark(pos, pos + len(mention.surface))
            place_spans.append((pos, pos + len(mention.surface)))

    # Known entity names (aliases included), longest first, non-overlapping.
    for start, end in _first_fit(stripped, name_hits, covered[:], whole_parts=True):
        sub = stripped[start:end]
        entities[gaz.canonical.get(sub) or sub] = gaz.expand(sub)
        mark(start, end)

    # Index vocabulary terms inside the question (what cut_for_search would give, corpus-bound).
    vocab = index.vocab
    # Longest first, then leftmost: words of two or more characters, then single characters.
    for start, end in _term_spans(index, stripped, covered):
        length = end - start
        sub = stripped[start:end]
        if "|" in sub:
            continue
        if sub in terms:
            if length >= 2 and not _crosses_edge(start, end, place_spans):
                mark(start, end)  # a word said twice (稀土 of 包头稀土高新区稀土产业) is known both times
            continue
        if _crosses_edge(start, end, place_spans):
            continue  # 海地 of 上海地方: a word across a place name's edge is not in the question
        if sub.isdigit() and (
            (start > 0 and stripped[start - 1].isdigit()) or (start + length < len(stripped)
                                                               and stripped[start + length].isdigit())
        ):
            continue  # 21 and 17 inside 217 are not what the question says
        if length == 1 and (covered[start] or not sub.isalnum()):
            continue
        terms[sub] = QueryTerm(sub, index.term_idf(sub) * (0.5 if length == 1 else 1.0))
        if length == 1 and sub not in _GLUE and stripped.startswith(_NOUN_HEADS, end):
            terms[sub].head_of = True  # 钛 of 钛产业: a one-character word naming what the industry is
        if length >= 2:
            mark(start, start + length)

    # One-character typos of known names (殷家河 → 股家河, 京东芳 → 京东方).
    for chunk_start, chunk in _chunks(stripped):
        if all(covered[chunk_start : chunk_start + len(chunk)]):
            continue
        fits = []
        said_names = {x.lower() for surfaces in entities.values() for x in surfaces}
        for typed, known in gaz.typo_candidates(chunk):
            if known[0] in _NOT_A_NAME_START:
                continue  # a mined fragment (个产业 of 三个产业园区) is no name to correct to
            pos = stripped.find(typed)
            if pos < 0 or all(covered[pos : pos + len(typed)]):
                continue
            # The slip must be where the question says something the corpus does not know.
            diff = [i for i, (a, b) in enumerate(zip(typed, known, strict=False)) if a != b]
            if not diff or covered[pos + diff[0]]:
                continue
            if diff[0] in (0, len(typed) - 1) and typed[diff[0]] in _GLUE:
                continue  # 到开工 is 到 + 开工, not a slip of 新开工: a slip is no linking character
            rest = typed[1:] if diff[0] == 0 else typed[:-1] if diff[0] == len(typed) - 1 else ""
            if rest in said_names:
                continue  # 河北打(算) is 河北 + 打, not a slip of 河北省: the name stands as typed beside it
            fits.append((typed, known, pos))
        if len(fits) > 1 and fits[1][0] == fits[0][0]:
            # The same slip of several names: one the documents use before one they never name (柳东新区 of
            # the documents, not 浦东新区 of the alias table).
            same = [f for f in fits if f[0] == fits[0][0]]
            fits = [next((f for f in same if _in_corpus(index, f[1].lower())), same[0])]
        for typed, known, pos in fits[:1]:
            corrections.append((typed, known))
            canon = gaz.canonical.get(known.lower())
            entities[canon or known] = gaz.expand(known)
            for name in list(entities):
                if typed in name and name in required and name != (canon or known):
                    # The typed name was read as a place it is not (a place inside the slip).
                    entities.pop(name)
                    required.discard(name)
            place = _lookup_place(known)
            if place is not None:
                required.add(canon or known)
            mark(pos, pos + len(typed))

    # A zone the question names that no known name covers (乐亭经开区): the answer must be about it too.
    for start, end, zone in _zones_named(stripped, q, entities, [typed for typed, _known in corrections]):
        surfaces = _zone_name_forms(zone)
        named = any(_in_corpus(index, x) or len(index.documents_titled(x)) for x in surfaces)
        if not named and any(m.surface == zone[: len(m.surface)] for m in q.places):
            continue  # 北海综保区 the documents never name: 北海 is required as it stands
        for generic in [c for c, names in entities.items() if all(n in zone and n != zone for n in names)]:
            entities.pop(generic)  # 经开区 of 乐亭经开区 is part of this name
        entities[zone] = surfaces
        required.add(zone)
        mark(start, end)

    # Entity surfaces that are whole index terms join the query (aliases: 黄岛开发区 → 青岛经济技术开发区).
    for canon, surfaces in entities.items():
        for surface in surfaces:
            key = surface.lower()
            if key in vocab and key not in terms:
                terms[key] = QueryTerm(key, index.term_idf(key) * 0.8, entity=canon)
            elif key in terms:
                terms[key].entity = canon

    # Runs no vocabulary term covers: a phrase split into characters (占比), or an unknown concept.
    unknown = []
    for run in _RUN_RE.findall(_uncovered(stripped, covered)):
        for word in _words(run):
            rows = index.phrase_rows(word)
            if len(rows):
                terms.setdefault(word, QueryTerm(word, index.idf_for_count(len(rows)), rows=rows))
            elif not (len(word) == 2 and (word[0] in _GLUE or word[1] in _GLUE)) and not (
                q.target and _TARGET_RE.fullmatch(word)
            ):
                unknown.append(word)  # (打算, 计划 of a target asked are the target requirement, not content)
    for canon, surfaces in entities.items():
        # Only curated names can be absent: mined names and regions come from the corpus itself.
        if canon in scopes:
            continue
        if (canon in gaz.surfaces or canon in required) and not any(
            _in_corpus(index, s.lower()) or len(index.documents_titled(s)) for s in surfaces
        ):
            unknown.append(canon)
            required.add(canon)
    content_weight = sum(t.weight for t in terms.values() if len(t.text) > 1)
    # What the question says besides its entities' names (as typed, or as corrected).
    residual = stripped
    entity_names = {s.lower() for surfaces in entities.values() for s in surfaces}
    for name in sorted({*entity_names, *(typed for typed, _known in corrections)}, key=len, reverse=True):
        residual = residual.replace(name, "|")
    said_again = frozenset(t for t in terms if len(t) > 1 and t in residual and any(t in e for e in entity_names))
    return ParsedQuestion(
        text=text, intents=intents, target=q.target,
        unit_hint=q.unit, years=years,
        relative_years=relative, terms=list(terms.values()), entities=entities, unknown=unknown,
        content_weight=content_weight, corrections=corrections,
        wants_day=q.wants_day, q=q, required=required, said_again=said_again, scopes=frozenset(scopes),
    )


# What a document about a place inside a region calls the region (全区 of 广西 in 北海's report), by the
# region name's ending; each level's default last.
_SCOPE_WORDS = (
    ("自治区", ("全区", "全自治区")), ("省", ("全省",)), ("自治州", ("全州",)), ("州", ("全州",)), ("盟", ("全盟",)),
    ("旗", ("全旗",)), ("县", ("全县",)), ("区", ("全区",)), ("市", ("全市",)),
)
# The region a rank is counted in (在广西排第几, 在四川开发区里排第几): 在 before it, a rank word after it.
_SCOPE_AFTER_RE = re.compile(r"[^，,？?。]{0,8}?(?:排|位列|位居|居|第)")


def _scope_places(q: Question) -> dict[str, tuple[str, ...]]:
    """Places a question names as the region another of its places (or its rank) is counted in, with the
    words a document uses for that region (全省, 全区)."""
    if len(q.places) < 2 and q.kind != "rank":
        return {}
    out: dict[str, tuple[str, ...]] = {}
    inside: dict[str, list[tuple[int, int]]] = {}  # enclosing place's name → where places inside it are named
    for m in q.places:
        place = _lookup_place(m.name)
        if place is not None and m.level not in ("nation", "province"):
            for n in _ancestor_names(place):
                inside.setdefault(n, []).append((m.start, m.end))
    text = q.text.lower()
    for m in q.places:
        if m.level not in ("province", "prefecture", "county"):
            continue
        # 山西综改区, 广西北海: said together, the region is part of the name, not where a figure is counted.
        apart = any(m.end != a and b != m.start for a, b in inside.get(m.name, ()))
        counted_in = q.kind == "rank" and text[max(0, m.start - 1) : m.start] == "在" and bool(
            _SCOPE_AFTER_RE.match(text, m.end)
        )
        if apart or (counted_in and len(q.places) > 1) or (counted_in and m.level == "province"):
            out[m.name] = next(words for end, words in _SCOPE_WORDS if m.name.endswith(end) or end == "市")
    return out


# Words that end the name of one development zone (乐亭经开区, 北海综保区), longest first.
_ZONE_NAME_END_RE = re.compile(
    "经济技术开发区|高新技术产业开发区|经济开发区|综合保税区|自贸试验区|经开区|高新区|综保区|自贸区|开发区|新区"
)
_ZONE_STEM_MAX = 6  # characters before the zone word read as its name


def _zones_named(
    stripped: str, q: Question, entities: dict[str, tuple[str, ...]], typos: list[str]
) -> list[tuple[int, int, str]]:
    """(start, end, name) of the zones the question names by a name of its own and a zone word that no known
    name covers: not a class of zones (国家级新区, 四川开发区), not a place or name the index knows, nor a
    name typed with a slip the index corrected (`typos`: the typed strings)."""
    found = []
    slipped = [(p, p + len(t)) for t in typos if (p := stripped.find(t)) >= 0]
    known = [n for names in entities.values() for n in names if len(n) > 3]
    provinces = {m.surface for m in q.places if m.level in ("nation", "province")}
    for m in _ZONE_NAME_END_RE.finditer(stripped):
        run_start = m.start()
        while run_start > 0 and run_start > m.start() - _ZONE_STEM_MAX and "\u4e00" <= stripped[run_start - 1] <= "\u9fff":
            run_start -= 1
        while run_start < m.start() and stripped[run_start] in _NOT_A_NAME_START:
            run_start += 1
        stem = stripped[run_start : m.start()]
        if len(stem) < 2 or _GENERIC_ZONE_RE.match(stem) or stem in provinces or stem.endswith(("国家级", "省级")):
            continue
        zone = stripped[run_start : m.end()]
        if any(a < m.end() and run_start < b for a, b in slipped):
            continue
        if any(zone in n or (n in zone and n.endswith(m.group(0))) for n in known):
            continue  # a known name (福州新区, 济宁经开区) or inside one
        found.append((run_start, m.end(), zone))
    return found


def _zone_name_forms(name: str) -> tuple[str, ...]:
    """A zone's name with the other zone words people use for its kind (经开区 → 经济技术开发区, 经济开发区 …)."""
    return tuple(dict.fromkeys(n.lower() for n in (name, *_zone_forms(name))))


# General nouns a one-character word names the kind of (钛产业, 锂企业, 煤产量): that word is content.
_NOUN_HEADS = ("产业", "行业", "企业", "产品", "产量", "产值", "材料", "矿", "资源", "加工")


def _slips_of_corpus_names(index: SearchIndex, question: str, q: Question) -> list[tuple[int, int]]:
    """Spans of the places the gazetteer read from a slip (one character corrected) that the corpus never names,
    where the typed text is one character off a name the corpus does use."""
    typed_text = normalize_question(question).lower()
    if len(typed_text) != len(q.text) or typed_text == q.text.lower():
        return []
    spans = []
    for m in q.places:
        if typed_text[m.start : m.end] == q.text[m.start : m.end].lower():
            continue  # typed as the gazetteer knows it
        if any(_in_corpus(index, s) or len(index.documents_titled(s)) for s in _place_surfaces(m)):
            continue  # the corrected place is in the documents: the correction stands
        for typed, known in index.gazetteer.typo_candidates(typed_text):
            pos = typed_text.find(typed)
            if pos < m.end and m.start < pos + len(typed) and known[0] not in _NOT_A_NAME_START and _in_corpus(
                index, known.lower()
            ):
                spans.append((min(pos, m.start), max(pos + len(typed), m.end)))
                break
    return spans


def _spans_kept(
    known: SubstringIndex, stripped: str, lowered: str, lowered_spans: list[tuple[int, int]] | None
) -> list[tuple[int, int]]:
    """known.spans(stripped), read from the spans of `lowered` when `stripped` is it with some characters made "|".

    Offsets agree when the lengths do (punctuation runs collapsed to one "|" shorten it); a key found
    in `lowered` is in `stripped` where none of its characters was replaced, and no key holds a "|".
    """
    if lowered_spans is None or len(stripped) != len(lowered) or known.holds("|"):
        return known.spans(stripped)
    return [(a, b) for a, b in lowered_spans if stripped[a:b] == lowered[a:b]]


_RUN_RE = re.compile(r"[\u4e00-\u9fff]{2,}|[a-z0-9]{2,}")  # a run of Chinese, or of Latin letters and digits


def _term_spans(index: SearchIndex, stripped: str, covered: list[bool]) -> Iterator[tuple[int, int]]:
    """The vocabulary's words in the question, longest first, then its single characters no word covers.

    Lazily: the characters are looked up once the words are taken (and `covered` marked), as a
    covered character is never a term of its own.
    """
    yield from _term_index(index).spans(stripped)
    vocab = index.vocab
    for i, ch in enumerate(stripped):
        if not covered[i] and ch in vocab:
            yield i, i + 1


def _lookup_place(name: str) -> object | None:
    """The gazetteer's place for a name, or None (or while store.places is not there)."""
    places = qparse.places_module()
    return places.lookup(name) if places is not None else None


def _in_corpus(index: SearchIndex, name: str) -> bool:
    """True when some indexed sentence contains the name (as a token or as characters)."""
    return index.has_postings(name) or len(index.phrase_rows(name)) > 0


def _words(run: str) -> list[str]:
    """Words of two or more characters in a run the vocabulary does not cover (jieba, lazily)."""
    if run.isascii():
        return [run]
    from store.tokenize import cut_words  # loads jieba only for questions that need it

    return [w for w in cut_words(run) if len(w) >= 2]


def _chunks(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for part in text.split("|"):
        if part:
            out.append((pos, part))
        pos += len(part) + 1
    return out


def _uncovered(text: str, covered: list[bool]) -> str:
    return "".join(ch if not c else "|" for ch, c in zip(text, covered, strict=True))


def _entity_rows(index: SearchIndex, surfaces: tuple[str, ...]) -> np.ndarray:
    """Rows whose sentence names the entity (any of its surfaces)."""
    parts = []
    for surface in surfaces:
        key = surface.lower()
        rows = index.postings(key)
        parts.append(rows if rows is not None else index.phrase_rows(key))
    return index.union_rows([p for p in parts if p is not None])


def _named_rows(index: SearchIndex, pq: ParsedQuestion, canon: str) -> np.ndarray:
    """Rows whose sentence names an entity of the question (memoised on the parsed question)."""
    rows = pq.named.get(canon)
    if rows is None:
        rows = pq.named[canon] = _entity_rows(index, pq.entities[canon])
    return rows


# A document is about a place its regions list, or that it names at least this often / this early.
ABOUT_MIN_MENTIONS = 2
ABOUT_LEAD_ROWS = 5
ABOUT_LEAD_MAX_DOCUMENTS = 200  # …the early mention counts only for a name found in this few documents


def _documents_about(index: SearchIndex, pq: ParsedQuestion, canon: str) -> np.ndarray:
    """Documents about an entity: listed in their regions, or named often or early in their text (memoised)."""
    about = pq.about.get(canon)
    if about is None:
        about = pq.about[canon] = _find_documents_about(index, pq, canon)
    return about


def _find_documents_about(index: SearchIndex, pq: ParsedQuestion, canon: str) -> np.ndarray:
    """_documents_about() computed: the documents titled by the entity, naming it often, or naming it early."""
    rows = _named_rows(index, pq, canon)
    parts = [index.documents_titled(s) for s in pq.entities[canon]]
    if len(rows):
        parts.append(documents_mentioning(rows, index.doc_of_row, ABOUT_MIN_MENTIONS, ABOUT_LEAD_ROWS,
                                          ABOUT_LEAD_MAX_DOCUMENTS))
    return union_sorted(parts)


def _following_rows(index: SearchIndex, rows: np.ndarray, steps: int = 2) -> np.ndarray:
    """Rows one or two sentences after `rows` in the same paragraph (the entity's context)."""
    if steps > FOLLOWING_STEPS_MAX:
        raise ValueError(f"at most {FOLLOWING_STEPS_MAX} following sentences are recorded per row, not {steps}")
    return following_rows(rows, index.following_bits(), steps)


@dataclass(slots=True)
class _Bm25Parts:
    """What a question adds to each sentence's BM25 score: posting lists with their tf=1 weights, and bonuses.

    A row's score is the float32 sum, in part order, of norm[row] × weight over the parts holding it, plus the
    bonus of each document bonus whose documents hold it, times the row's fact boost. Weights are BM25 idfs
    (positive): the kernel tells a row already seen by its zeroed score.
    """

    rows: list[np.ndarray] = field(default_factory=list)  # each sorted and unique
    weights: list[np.float32] = field(default_factory=list)
    doc_bonus: list[tuple[np.ndarray, float]] = field(default_factory=list)  # (document ids, bonus)


def _bm25_parts(index: SearchIndex, pq: ParsedQuestion) -> _Bm25Parts:
    """The question's BM25 parts: its terms (very common ones left to the rerank), its measure, its entities."""
    out = _Bm25Parts()
    entity_text = [s.lower() for surfaces in pq.entities.values() for s in surfaces]
    plain_postings = []
    for term in pq.terms:
        if term.entity is not None or (term.text not in pq.said_again and any(term.text in e for e in entity_text)):
            continue  # an entity counts once, below, whichever of its names a sentence uses
        rows = term.rows if term.rows is not None else index.postings(term.text)
        if rows is not None and len(rows):
            plain_postings.append((term, rows))
    # Very common terms (增长, 项目 in a large archive) barely move BM25 but cost the most to
    # add up; the rerank still counts them through coverage.
    common = max(COMMON_TERM_ROWS, int(index.size * 0.03))
    if any(len(rows) <= common for _t, rows in plain_postings) or pq.entities:
        plain_postings = [(t, rows) for t, rows in plain_postings if len(rows) <= common]
    for term, rows in plain_postings:
        out.rows.append(rows)
        out.weights.append(np.float32(term.weight))
    # The measure asked for, under any of its names (GDP → 地区生产总值), counts as one term.
    q = pq.q
    if q is not None and q.metric:
        said = {t.text for t in pq.terms}
        syn_rows = [r for x in metric_synonyms(q.metric) if x.lower() not in said
                    and (r := index.postings(x.lower())) is not None and len(r)]
        if syn_rows:
            rows = index.union_rows(syn_rows)
            out.rows.append(rows)
            out.weights.append(np.float32(index.idf_for_count(len(rows))))
    for canon, surfaces in pq.entities.items():
        weight = max(index.term_idf(s.lower()) for s in surfaces)
        named = _named_rows(index, pq, canon)
        if len(named):
            out.rows.append(named)
            out.weights.append(np.float32(weight))
            # A sentence right after one naming the entity is about it too (王台片区，… 。立足…33.95平方公里…).
            after = _following_rows(index, named)
            if len(after):
                out.rows.append(after)
                out.weights.append(np.float32(weight * 0.85))
        docs = _documents_about(index, pq, canon)
        if len(docs):
            out.doc_bonus.append((docs, weight * 0.8))
    return out


def _bm25_candidates(
    index: SearchIndex, pq: ParsedQuestion, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows with the highest BM25 scores (tf = 1), with entity context counted, and their scores."""
    if not pq.terms or index.size == 0:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
    parts = _bm25_parts(index, pq)
    if not parts.rows:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
    return _top_rows(index, parts, limit)


def _top_rows(index: SearchIndex, parts: _Bm25Parts, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The best `limit` rows by BM25 score (ties to the earlier row) and their scores, by the compiled kernel."""
    postings = parts.rows[0] if len(parts.rows) == 1 else np.concatenate(parts.rows)
    offsets = np.zeros(len(parts.rows) + 1, dtype=np.int64)
    np.cumsum([len(rows) for rows in parts.rows], out=offsets[1:])
    bound = index.doc_id_bound()
    bonus_documents = np.zeros((len(parts.doc_bonus), bound), dtype=np.bool_)
    for k, (docs, _bonus) in enumerate(parts.doc_bonus):
        bonus_documents[k, docs[docs < bound]] = True
    bonus_values = np.array([bonus for _docs, bonus in parts.doc_bonus], dtype=np.float32)
    with index.score_lock:  # one shared score buffer, zeroed again by the kernel
        return top_rows(postings.astype(np.int32, copy=False), offsets, np.array(parts.weights, dtype=np.float32),
                        index.bm25_rows(), bonus_documents, bonus_values, limit)


# Kinds of fact that can answer each kind of question (the first one is the best fit).
_KIND_FITS: dict[str, tuple[str, ...]] = {
    "count": ("count", "other"),
    "area": ("area",),
    "money": ("money",),
    "percent": ("percent",),
    "rank": ("rank",),
    "date": ("date",),
    "duration": ("duration", "count", "other", "date"),
    "list": ("count", "money", "percent", "area", "other"),
}
# A generic 多少 (no kind asked): amounts first, then percents; never a date or a rank.
_ANY_AMOUNT = ("money", "count", "area", "other", "percent", "duration")
# The kind of figure a metric is given in, for a generic 多少 (GDP多少 → money, not its growth).
_METRIC_KIND = {
    "地区生产总值": "money", "海洋生产总值": "money", "规上工业总产值": "money", "实际使用外资": "money",
    "固定资产投资": "money", "工业投资": "money", "社会消费品零售总额": "money", "进出口": "money",
    "出口": "money", "进口": "money", "一般公共预算收入": "money", "税收": "money", "营业收入": "money",
    "利润": "money", "投资": "money", "招商引资": "money", "销售额": "money", "贸易额": "money",
    "面积": "area", "城镇新增就业": "count", "客流": "count", "旅客吞吐量": "count", "集装箱吞吐量": "count",
    "企业数": "count", "高新技术企业": "count", "项目数": "count", "开复工率": "percent", "完成率": "percent",
    "城镇调查失业率": "percent", "居民消费价格": "percent",
}
# A figure directly followed by one of these is a threshold or part of a name (亿元以上项目, 500强).
_THRESHOLD_AFTER = re.compile(r"^(?:以上|以下|及以上|级|强)(?:的)?[\u4e00-\u9fff]")
_PARTS_RE = (
    ("H1", re.compile(r"上半年|1\s*[-至到~—]\s*6月|一至六月|前两季度|(?<![a-z0-9])h1(?![0-9])")),
    ("H2", re.compile(r"下半年|(?<![a-z0-9])h2(?![0-9])")),
    ("Q1-3", re.compile(r"前三季度|1\s*[-至到~—]\s*9月|一至九月")),
    ("Q1", re.compile(r"一季度|第一季度|1\s*[-至到~—]\s*3月|一至三月|(?<![a-z0-9])q1(?![0-9])")),
    ("M", re.compile(r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*[-至到~—]\s*(?:\d{1,2}|[一二三四五六七八九十]{1,3})月")),
    ("Y", re.compile(r"全年|年度")),
)
_SAME_PART = {"M1-6": "H1", "Q1-2": "H1", "M1-9": "Q1-3", "M1-3": "Q1", "M1-12": "Y", "Q1-4": "Y"}


# 什么时候 is also answered by a time word where the sentence has no date (年内实现…试运行).
_TIME_WORDS = re.compile(r"年内|今年|明年|年底|年初|年中|上半年|下半年|月底|月份|\d+月")


def _parts(text: str) -> set[str]:
    """Parts of the year a text names (上半年 → H1, 1-8月 → M1-8 …)."""
    found = set()
    for code, pattern in _PARTS_RE:
        for m in pattern.finditer(text):
            if code == "M":
                nums = _MONTH_NUMBERS_RE.findall(m.group(0))
                a, b = (qparse._CN_DIGITS.get(x) or int(x) if x.isdigit() or x in qparse._CN_DIGITS else 0
                        for x in nums[:2])
                found.add(_SAME_PART.get(f"M{a}-{b}", f"M{a}-{b}"))
            else:
                found.add(code)
    return found


def _part_fits(asked: str, text_parts: set[str]) -> bool | None:
    """True when the text names the asked part of the year, False when it names only others, None when none."""
    if not text_parts:
        return None
    asked = _SAME_PART.get(asked, asked)
    return asked in text_parts


def _question_years(pq: ParsedQuestion, doc_year: int | None) -> set[int]:
    years = set(pq.years)
    if doc_year is not None:
        years.update(doc_year + off for off in pq.relative_years)
    return years


def _wanted_kinds(q: Question) -> tuple[str, ...]:
    if q.kind is not None:
        return _KIND_FITS.get(q.kind, ())
    preferred = _METRIC_KIND.get(q.metric or "")
    if preferred:
        return (preferred, "other")  # 外资多少 is an amount of money, not the 217个 外资项目
    return _ANY_AMOUNT


_CLAUSE_BREAKS = "，,；;。：:、"


def _clause_start(text: str, pos: int) -> int:
    """Where the clause holding text[pos] starts (after the last comma, semicolon … before it)."""
    return max((text.rfind(ch, 0, pos) for ch in _CLAUSE_BREAKS), default=-1) + 1


def _is_threshold(text: str, fact: FactView) -> bool:
    """A figure that qualifies something else (亿元以上项目, 百亿级, 500强) rather than answering."""
    if fact.value is None and fact.kind != "date":
        return True  # 亿元以上, 过亿元: a qualifier without a value
    after = text[fact.end : fact.end + 8]
    return bool(_THRESHOLD_AFTER.match(after))


_MONTH_NUMBERS_RE = re.compile(r"\d{1,2}|[一二三四五六七八九十]{1,3}")
_PLAIN_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


def _number_of(span: str) -> str:
    m = _PLAIN_NUMBER_RE.search(span.replace(" ", ""))
    return m.group(0) if m else span


_LIST_SPLIT_RE = re.compile(r"、|以及|和|与|及")


def _respective_items(text: str, at: int) -> list[str]:
    """The items listed before the 分别 at `at` (甲、乙和丙分别…), back to its clause's start.

    A 分别 opening its clause (…分别实现A和B，分别增长a和b) has the list of the 分别 before it.
    """
    while at >= 0:
        start = max(text.rfind(ch, 0, at) for ch in "，,；;：:。") + 1
        items = _LIST_SPLIT_RE.split(text[start:at])
        if len(items) > 1:
            return items
        at = text.rfind("分别", 0, start)
    return []


def _respective_place(
    text: str, clause_start: int, fact: FactView, ordered: list[FactView], plan: _QueryPlan
) -> bool:
    """The asked name is listed before 分别 at the same position as the figure after it (甲、乙分别5位和9位)."""
    at = text.rfind("分别", clause_start, fact.start)
    required = [s.lower() for _canon, surfaces, _w, req in plan.entities if req for s in surfaces]
    asked = required or [s.lower() for _canon, surfaces, _w, _req in plan.entities for s in surfaces]
    if at < 0 or not asked:
        return False
    items = _respective_items(text, at)
    position = next((i for i, item in enumerate(items) if any(s in item for s in asked)), None)
    order = sum(1 for f in ordered if f.kind == fact.kind and at < f.start < fact.start)
    return position is not None and position == order


class _FigureAsk(NamedTuple):
    """What the figure selection reads of the question for every candidate (computed once)."""

    wanted: tuple[str, ...]  # _wanted_kinds()
    stated: set[str]  # the numbers the question states (11 of 11个省重点项目)
    names_measure: bool  # the question asks for a measure the lexicon has synonyms for
    events: frozenset[int]  # the _EVENT_GROUPS the question names (啥时候投产 → the 投产 group)
    places: tuple[Any, ...]  # the gazetteer places the question requires (store.places.Place)


# Events a figure can be of; the words of a group name the same event (a date 开工 is not the date 投产).
_EVENT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("开工", "动工", "开建", "奠基", "破土"),
    ("投产", "量产", "试产", "投入生产"),
    ("建成", "竣工", "完工", "落成"),
    ("签约", "签订", "签署"),
    ("开业", "营业", "开张"),
    ("投用", "投入使用", "启用", "投运", "交付"),
    ("通车", "开通"),
    ("开园", "开馆"),
    ("获批", "批复", "批准"),
    ("挂牌", "揭牌", "成立"),
    ("落地", "落户", "入驻"),
)


def _events_in(text: str) -> frozenset[int]:
    """The _EVENT_GROUPS a text names."""
    return frozenset(i for i, group in enumerate(_EVENT_GROUPS) if any(w in text for w in group))


def _clause_end(text: str, pos: int) -> int:
    """Where the clause holding text[pos] ends (at the next comma, semicolon … or the text's end)."""
    return min((e for ch in _CLAUSE_BREAKS if (e := text.find(ch, pos)) >= 0), default=len(text))


def _is_round(value: float) -> bool:
    """A value of one significant digit (1000亿, 500, 2万): how a milestone is written."""
    if value <= 0:
        return False
    scale = 10 ** math.floor(math.log10(value))
    return abs(value / scale - round(value / scale)) < 1e-9


# How a milestone is said: passed (突破千亿元, 超过5万户, 迈过 …) or nearly reached (近千亿元, 接近5万户).
_PASSED_QUALIFIERS = frozenset({"突破", "超过", "超", "逾", "过", "多于", "大于", "高于"})
_NEARLY_QUALIFIERS = frozenset({"近", "接近", "将近", "约", "大约"})


def _restates(fact: FactView, facts: tuple[FactView, ...] | list[FactView]) -> bool:
    """A round milestone (突破千亿元) beside an exact figure of the same kind and unit within its range (1036.8亿元).

    Only a milestone said as one (突破, 近 …): a plain round figure (目标1000亿元, 完成862亿元) is its own.
    """
    if fact.kind not in ("money", "count", "area") or not fact.value or not _is_round(fact.value):
        return False
    passed = fact.qualifier in _PASSED_QUALIFIERS
    if not passed and fact.qualifier not in _NEARLY_QUALIFIERS:
        return False
    low, high = FIG_RESTATED_RANGE[0] * fact.value, FIG_RESTATED_RANGE[1] * fact.value
    if passed:
        low = fact.value  # 突破千亿元 restates 1036.8亿元, not 980亿元
    else:
        high = fact.value  # 近千亿元 restates 980亿元
    return any(
        f is not fact and f.kind == fact.kind and f.unit == fact.unit and f.value is not None
        and low <= f.value <= high and not _is_round(f.value) and f.target == fact.target
        for f in facts
    )


def _subject_mentions(text: str, places: tuple[Any, ...]) -> list[tuple[int, bool]] | None:
    """Where each place the text names as a subject ends, and whether it is one asked for; None when none asked is named.

    A place compared with (居全州第一, 比德宏州高) is not a subject.
    """
    if not any(p.short in text or p.name in text for p in places):
        return None  # cheaper than the gazetteer scan, which most candidates need not
    found: list[tuple[int, bool]] = []
    asked_named = False
    for start, end, place in qparse.places_module().places_in(text):
        if _COMPARED_BEFORE_RE.search(text[max(0, start - 1) : start]) or _COMPARED_AFTER_RE.match(text, start):
            continue
        if place.level == "county" and not text[start:end].endswith(("县", "区", "市", "旗")):
            continue  # a county's bare short name is too often a word (千亿大关 → 大关县)
        asked = place in places
        asked_named = asked_named or asked
        if found and text[found[-1][0] : start] in _LIST_JOINERS:
            found[-1] = (end, found[-1][1] or asked)  # 甲、乙分别…: a list is one subject, each its own by 分别
        else:
            found.append((end, asked))
    return found if asked_named else None


@dataclass(slots=True)
class _Figure:
    fact: FactView
    score: float


# Compiled once (the figure loop runs them for every figure of every candidate).
_ORDINAL_ASK_RE = re.compile(r"第几[个批家座所]")
ORDINAL = "ordinal"  # the qualifier of an ordinal of a designation (store.extraction.ORDINAL, not imported: cold start)
_DIGIT_RE = re.compile(r"[0-9０-９]")
_CONVERTED_RE = re.compile(r"(?:约合|折合|折算)[^，,；;。]{0,3}$")
_AFTER_BREAK_RE = re.compile(r"[，,；;。、]")
_YEAR_RE = re.compile(r"((?:19|20)\d{2})年")


# Rows whose metric names are remembered (SearchIndex.mention_cache) before the memo starts afresh.
MENTION_CACHE_ROWS = 200_000


def _row_mentions(index: SearchIndex, row: int, text: str) -> list[tuple[int, int, str]]:
    """metric_mentions() of a row's search text, computed once per sentence (it does not depend on the question)."""
    found = index.mention_cache.get(row)
    if found is None:
        if len(index.mention_cache) >= MENTION_CACHE_ROWS:
            index.mention_cache.clear()
        found = index.mention_cache[row] = metric_mentions(text)
    return found


def _select_figure(
    text: str, facts: tuple[FactView, ...], pq: ParsedQuestion, plan: _QueryPlan, qyears: set[int],
    asked_years: set[int], *, mentions: list[tuple[int, int, str]] | None = None,
) -> _Figure | None:
    """The figure of a sentence that answers the question: asked kind, measure in its clause, period."""
    q = pq.q
    assert q is not None
    matching = _matching(plan)
    if matching.figure is None:  # the same for every candidate of the question
        places = tuple(p for p in (_lookup_place(n) for n in sorted(pq.required)) if p is not None)
        matching.figure = _FigureAsk(
            _wanted_kinds(q), {_number_of(n) for n in q.numbers}, bool(q.metric and metric_synonyms(q.metric)),
            _events_in(q.text), places,
        )
    wanted, stated, asked_surfaces, events, asked_places = matching.figure
    # Whose each figure is: the places the sentence names as subjects (only when it names one asked for).
    subjects = _subject_mentions(text, asked_places) if asked_places else None
    if mentions is None:
        mentions = metric_mentions(text) if q.metric else []
    best: _Figure | None = None
    positions: list[int] | None = None
    clause = matching.clause
    ordered = sorted(facts, key=lambda f: f.start)
    if q.kind is not None and q.kind != "list":
        # The kind asked for is a requirement: only figures of that kind compete.
        fits = _KIND_FITS.get(q.kind, ())
        ordered = [f for f in ordered if f.kind in fits]
        if q.unit == qparse.RANK_MOVE:
            ordered = [f for f in ordered if f.unit == qparse.RANK_MOVE]  # 跃升多少位: only a move answers
        if q.kind == "rank":
            # 第几个国家级新区 asks an ordinal (是全国第14个…); 排第几 asks a place in a ranking, never an ordinal.
            ordinal = _ORDINAL_ASK_RE.search(q.text) is not None
            ordered = [f for f in ordered if (f.qualifier == ORDINAL) == ordinal]
        if q.wants_day:
            ordered = [f for f in ordered if f.kind != "date" or (f.date or "").count("-") == 2]  # 哪天: a day
        if q.kind == "duration" and any(f.kind == "duration" for f in ordered):
            ordered = [f for f in ordered if f.kind != "date"]  # 建了多久: 工期26个月, not the day it opened
    if plan.stock_or_flow:
        # 累计多少 asked and the sentence has a 新增 figure beside another: the 新增 one is not the answer.
        other_re = _FLOW_RE if plan.stock_or_flow == "stock" else _STOCK_RE
        flagged = [bool(other_re.search(text[_clause_start(text, f.start) : f.start])) for f in ordered]
        if any(flagged) and not all(flagged):
            ordered = [f for f, bad in zip(ordered, flagged, strict=True) if not bad]
    for i, fact in enumerate(ordered):
        # The clause before the figure (back to the last comma or semicolon), at most FIG_WINDOW characters.
        clause_start = max((text.rfind(ch, 0, fact.start) for ch in _CLAUSE_BREAKS), default=-1) + 1
        window_start = max(clause_start, fact.start - FIG_WINDOW)
        if _is_threshold(text, fact) or (stated and _number_of(fact.span) in stated):
            continue
        if asked_years and fact.period is not None and fact.period not in asked_years and not any(
            f"{y}年" in text[: fact.start] for y in asked_years
        ):
            continue  # a figure of another year than the one named never answers
        score = 0.0
        if q.kind == "rank" and (fact.unit == qparse.RANK_MOVE) != (q.unit == qparse.RANK_MOVE):
            score += FIG_WRONG_KIND  # 前进一位 says how a rank moved, not which it is (and the reverse)
        if wanted:
            if fact.kind == wanted[0]:
                score += FIG_KIND
            elif fact.kind in wanted:
                score += FIG_KIND_NEAR
            else:
                score += FIG_WRONG_KIND
        if fact.kind == "date" and fact.date:
            score += 0.15 * fact.date.count("-")  # a day beats a month beats a year
            if q.wants_day and fact.date.count("-") < 2:
                score += FIG_WRONG_KIND  # 哪天 asks for a day: 2022年年底 does not answer it
        if q.unit and fact.unit:
            score += FIG_UNIT if fact.unit == q.unit or fact.span.endswith(q.unit) else FIG_UNIT_MISMATCH
        if q.target:
            score += FIG_TARGET if fact.target else -0.1
        elif fact.target:
            score -= FIG_TARGET_UNASKED
        if asked_years and fact.period in asked_years:
            score += FIG_PERIOD
        elif qyears and fact.period in qyears:
            score += FIG_PERIOD_RELATIVE
        if mentions:
            before = [m for m in mentions if m[1] <= fact.start]
            if before:
                score += FIG_METRIC if before[-1][2] == q.metric else FIG_OTHER_METRIC
            elif any(m[2] == q.metric and m[0] - fact.end <= 4 for m in mentions):
                score += FIG_METRIC * 0.5  # 2576亿元的地区生产总值
        elif asked_surfaces:
            score += FIG_OTHER_METRIC * 0.5
        before_text = text[window_start : fact.start]
        if fact.kind == "percent" and plan.percent_asked:
            # A share (占全省比重超过七成) and a growth rate (同比增长约18%) answer different questions.
            said = _SHARE_WORDS_RE.search(before_text) is not None, _GROWTH_WORDS_RE.search(before_text) is not None
            if said[0] != said[1] and said != (plan.percent_asked == "share", plan.percent_asked == "growth"):
                score += FIG_OTHER_PERCENT
        if plan.stock_or_flow:
            own_clause = text[clause_start : fact.start]
            other = _FLOW_RE if plan.stock_or_flow == "stock" else _STOCK_RE
            same = _STOCK_RE if plan.stock_or_flow == "stock" else _FLOW_RE
            if other.search(own_clause):
                score += FIG_OTHER_COUNT  # 累计多少户 is not 新增13.2万户, 新增多少 not 累计达到…
            elif same.search(own_clause):
                score += FIG_SAME_COUNT
        if fact.kind == "money" and plan.currency and fact.unit in ("CNY", "USD", "EUR"):
            score += FIG_UNIT if fact.unit == plan.currency else -FIG_UNIT  # 多少美元: not 约合1243亿元
        if _CONVERTED_RE.search(text[max(0, fact.start - 6) : fact.start]):
            score += FIG_CONVERTED
        if fact.kind in ("money", "count") and not _DIGIT_RE.search(fact.span) and any(
            f.kind == fact.kind and _DIGIT_RE.search(f.span) for f in ordered
        ):
            score += FIG_ROUNDED  # 1036.8亿元，首次突破千亿元: the exact figure, not the milestone in words
        if _restates(fact, ordered):
            score += FIG_RESTATED  # 营收1036.8亿元，成为首个营收突破千亿元的开发区: the milestone restates it
        if subjects:
            subject = next((asked for end, asked in reversed(subjects) if end <= fact.start), True)
            if not subject:
                score += FIG_OTHER_SUBJECT  # 甲州增长5.9%，其中乙市增长7.2%: the 5.9% is not 乙市's
        if events:
            own_events = _events_in(text[clause_start : _clause_end(text, fact.end)])
            if own_events & events:
                score += FIG_EVENT
            elif own_events:
                score += FIG_OTHER_EVENT  # 2025年5月开工 does not say when it 投产
        if _FROM_VALUE_RE.match(text, fact.end) and not plan.asks_before:
            score += FIG_FROM_VALUE  # 从980辆增长至1600辆: the first is what it was, not what it is
        near_from: int | None = None
        before_low = before_text.lower()
        before_matched: float | None = _weight_in(clause, strip_pinyin_glosses(before_low))
        lacks = not before_matched or (
            plan.metric_surfaces and not any(x in before_low for x in plan.metric_surfaces)
        )
        if plan.clause_total > 0 and clause_start > 0 and lacks:
            before_matched = None  # the window moves back: matched again below
            # A clause that names nothing asked (，同比增长9.1%) says it of the clause before (营业收入860亿元).
            prev_start = max((text.rfind(ch, 0, clause_start - 1) for ch in _CLAUSE_BREAKS), default=-1) + 1
            before_text = text[max(prev_start, fact.start - 2 * FIG_WINDOW) : fact.start]
            # …and what stands right before that clause's figure is near this one too (地区生产总值2207亿元，增长7.1%).
            lead = [f for f in facts if f.kind != "date" and prev_start <= f.start and f.end < clause_start]
            if lead:
                near_from = lead[-1].start
        next_start = ordered[i + 1].start if i + 1 < len(ordered) else len(text)
        after_text = _AFTER_BREAK_RE.split(text[fact.end : min(next_start, fact.end + FIG_AFTER_CHARS)], 1)[0]
        # Back to the previous figure of the same kind: the subject may stand a clause or two earlier.
        previous = max((f.end for f in facts if f.kind == fact.kind and f.end <= fact.start), default=0)
        if previous:
            # What directly follows the previous figure up to its clause's end is its own (…亿元的X项目、).
            brk = next((j for j in range(previous, fact.start) if text[j] in _CLAUSE_BREAKS), previous - 1)
            previous = brk + 1
        scope = text[max(previous, fact.start - FIG_SCOPE_CHARS) : fact.start]
        respectively = "分别" in text[clause_start : fact.start]
        if respectively:
            scope = ""  # …分别增长8.1%和12.7%: which measure each rate is of is in its label (extraction)
            if _respective_place(text, clause_start, fact, ordered, plan):
                score += FIG_RESPECTIVE
        if stated and any(_stands_alone(n, scope) for n in stated):
            score += FIG_STATED
        if plan.clause_total > 0:
            near = text[max(window_start, fact.start - FIG_NEAR_CHARS) : fact.start]
            if near_from is not None:
                near += "|" + text[max(0, near_from - FIG_NEAR_CHARS) : near_from]
            # The weight of the question's words (plain terms, names other than places) each part holds.
            before_low, after_low = before_text.lower(), after_text.lower()
            if before_matched is None:
                before_matched = _weight_in(clause, strip_pinyin_glosses(before_low))
            score += FIG_BEFORE * before_matched / plan.clause_total
            score += FIG_NEAR * _weight_in(clause, strip_pinyin_glosses(near.lower())) / plan.clause_total
            score += FIG_AFTER * _weight_in(clause, strip_pinyin_glosses(after_low)) / plan.clause_total
            score += FIG_SCOPE * _weight_in(clause, strip_pinyin_glosses(scope.lower())) / plan.clause_total
            if any(w in before_text or w in after_text for w in plan.superlatives):
                score += FIG_SUPERLATIVE
            if plan.head and any(x in low_text for low_text in (before_low, after_low) for x in matching.head):
                score += FIG_HEAD
            if positions is None:  # where the question's words are in the sentence: the same for every figure
                low = text.lower()
                positions = [p for t, _w in plan.plain if (p := _find(plan, t, low)) >= 0]
            if positions:
                score -= FIG_DISTANCE * min(abs(p - fact.start) for p in positions)
        label = ((fact.metric or "") + (fact.subject or "")).lower()
        if label:
            hits = _count_in(matching.plain, label)
            score += min(hits, 3) * FIG_LABEL * (2 if respectively else 1)
        if best is None or score > best.score:
            best = _Figure(fact, score)
    return best


@dataclass(slots=True)
class _Candidate:
    """A sentence under consideration, with what it covers of the question."""

    row: int
    coverage: float
    fact_score: float
    best: FactView | None
    facts: tuple[FactView, ...]
    context_rows: tuple[int, ...] = ()  # earlier sentences of the paragraph naming the entity
    missing_entity: bool = False  # a required entity of the question is not in sentence, paragraph or document
    missing: str | None = None  # which requirement it fails: place, measure, period, kind
    penalty: float = 0.0


# A city's name followed by one of these is the start of a zone's name (长春 of 长春新区): another place.
_ZONE_NAME_TAILS = ("新区", "经开区", "开发区", "高新区", "经济技术", "高新技术", "自贸", "综保区", "综合保税", "保税",
                    "园区", "片区", "产业园")


class _NameMatcher:
    """Whether a text names one of a few strings, not followed by any of some tails (plain string search).

    The same answers as a regular expression (a|b)(?!x|y) would give, without compiling one per question.
    """

    __slots__ = ("names", "tails")

    def __init__(self, names: tuple[str, ...], tails: tuple[str, ...] = ()) -> None:
        self.names, self.tails = names, tails

    def search(self, text: str) -> bool:
        """True when some name occurs in the text at a place no tail follows."""
        tails = self.tails
        for name in self.names:
            pos = text.find(name)
            if not tails:
                if pos >= 0:
                    return True
                continue
            while pos >= 0:
                if not text.startswith(tails, pos + len(name)):
                    return True
                pos = text.find(name, pos + 1)
        return False


@dataclass(slots=True)
class _QueryPlan:
    """Per-question values the candidate loop reads (computed once, not per sentence)."""

    plain: list[tuple[str, float]]
    entities: list[tuple[str, tuple[str, ...], float, bool]]  # canon, surfaces, weight, required
    total: float
    qyears_by_doc: dict[int | None, set[int]]
    plain_total: float = 0.0
    metric_surfaces: tuple[str, ...] = ()
    place_patterns: dict[str, _NameMatcher] = field(default_factory=dict)
    generic: dict[str, _NameMatcher] = field(default_factory=dict)  # canon → its kind word (经开区, 全市)
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canon → enclosing places' names
    parent_docs: dict[str, frozenset[int]] = field(default_factory=dict)  # canon → documents naming its city often
    parent_named: dict[str, bool] = field(default_factory=dict)  # canon → its city is named somewhere
    clause: list[tuple[tuple[str, ...], float]] = field(default_factory=list)  # words a figure's clause may carry
    head: str | None = None  # the question's last content word (or its measure)
    superlatives: tuple[str, ...] = ()  # 最高, 最大 … the question asks for
    percent_asked: str | None = None  # "share" (占比, 比重) or "growth" (增长, 涨了多少) when a percent is asked
    stock_or_flow: str | None = None  # "stock" (累计, 总数) or "flow" (新增, 新引进) when the question says which
    zone_asked: bool = False  # the question names a kind of zone (开发区, 新区 …) itself
    currency: str | None = None  # USD when the question asks 多少美元, CNY for 多少(亿)元
    asks_before: bool = False  # the question asks what a figure was (原来, 之前, 设立前)
    asks_share: bool = False  # the question asks for a share (占GDP比重): the measure may be its denominator
    clause_total: float = 0.0
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # plan term → its other words (memo)
    matching: _Matching | None = None  # the rerank's per-question look-ups (built on first use)


_SUPERLATIVE_RE = re.compile(r"最[\u4e00-\u9fff]")
_YUAN_RE = re.compile(r"(?:多少|几)[万亿千百]*元|人民币")
_BEFORE_RE = re.compile(r"原来|原先|之前|以前|此前|起初|从前|最初|(?:设立|成立|开放|建区|挂牌|实施)前")


def _plan(index: SearchIndex, pq: ParsedQuestion) -> _QueryPlan:
    entity_terms = {s.lower() for surfaces in pq.entities.values() for s in surfaces}
    # Parts of an entity's name (西海, 海岸 of 西海岸新区) are judged with the entity, not again, unless the
    # question says them again (稀土 of 包头稀土高新区稀土产业).
    plain = [
        (t.text, t.weight)
        for t in pq.terms
        if (len(t.text) > 1 or t.head_of) and t.entity is None
        and (t.text in pq.said_again or not any(t.text in e for e in entity_terms))
        # 目标/计划 in a question ask for a target fact; the sentence says 力争 or 将 instead.
        and not (pq.target and _TARGET_RE.fullmatch(t.text))
    ]
    curated = index.gazetteer.curated
    nation = {m.name for m in pq.q.places if m.level == "nation"} if pq.q is not None else set()
    entities = []
    patterns = {}
    for canon, surfaces in pq.entities.items():
        lowered = tuple(dict.fromkeys(s.lower() for s in surfaces))
        weight = max((index.term_idf(s) for s in lowered), default=1.0)
        # 全国 in 全国排第几 says where the rank is counted, not what the answer is about.
        # A name the corpus gives a zone (江东新区, 临空产业园) is a place too: the answer must be about it.
        zone_like = len(canon) > 3 and canon.endswith(_ZONE_KIND_WORDS) and not _GENERIC_ZONE_RE.match(canon)
        required = (canon in curated or canon in pq.required or zone_like) and canon not in nation | pq.scopes
        entities.append((canon, lowered, weight, required))
        # A city's name inside a longer zone name (长春 of 长春新区) is another place.
        # …but 全省 of 全省开发区 is the region a figure is counted in.
        patterns[canon] = _NameMatcher(lowered, () if canon in pq.scopes else _ZONE_NAME_TAILS)
    generic: dict[str, _NameMatcher] = {}
    parents: dict[str, tuple[str, ...]] = {}
    parent_docs: dict[str, frozenset[int]] = {}
    parent_named: dict[str, bool] = {}
    cities = built_already(_ZONE_CITIES, (index.doc_keys,))
    for canon in pq.required:
        place = _lookup_place(canon)
        if place is None:
            continue
        words = _GENERIC_WORDS.get(getattr(place, "level", ""), ())
        kind = getattr(place, "kind", "")
        if getattr(place, "level", "") == "zone":
            words = (*words, *[w for w in _ZONE_KIND_WORDS if w in canon or w == kind])
        if words:
            generic[canon] = _NameMatcher(words)
        parents[canon] = tuple(p.lower() for p in _ancestor_names(place))
        if getattr(place, "level", "") == "zone" and parents[canon]:
            direct = parents[canon][:2]  # the zone's own city (full and short name)
            known = cities.get(direct) if cities is not None else None
            named, docs = known if known is not None else _city_documents(index, direct)
            parent_named[canon] = named
            if named:
                parent_docs[canon] = docs
    q = pq.q
    surfaces = tuple(s.lower() for s in metric_synonyms(q.metric)) if q and q.metric else ()
    if q is not None and surfaces:
        # The words of the measure as the question says it (营收) count once, as any of its synonyms.
        said = [q.text.lower()[a:b] for a, b, name in metric_mentions(q.text.lower()) if name == q.metric]
        parts = [(t, w) for t, w in plain if any(t in x for x in said)]
        if parts:
            plain = [(t, w) for t, w in plain if (t, w) not in parts]
            plain.append((METRIC_TERM, max(w for _t, w in parts)))
        else:
            plain.append((METRIC_TERM, max((index.term_idf(x) for x in surfaces[:3]), default=1.0)))
    plain_total = sum(w for _t, w in plain)
    # What the corpus has never seen still counts as content the answer should cover.
    unknown_weight = UNKNOWN_WEIGHT * index.term_idf("\x00never") * sum(
        1 for u in pq.unknown if u not in pq.entities
    )
    plain_total += unknown_weight
    total = plain_total + sum(e[2] for e in entities)
    # A clause is judged on the question's longest words (金融机构, not also 金融 and 机构).
    clause: list[tuple[tuple[str, ...], float]] = [
        ((t,), w) for t, w in plain if not any(t != o and t in o for o, _w in plain)
    ]
    clause += [(e[1], e[2]) for e in entities if e[0] not in pq.required]
    head = METRIC_TERM if surfaces else None
    if head is None and q is not None:
        placed = [(q.core.rfind(t), t) for (t,), _w in [c for c in clause if len(c[0]) == 1] if t in q.core]
        head = max(placed)[1] if placed else None
    return _QueryPlan(
        plain=plain, entities=entities, total=total, qyears_by_doc={}, plain_total=plain_total,
        metric_surfaces=surfaces, place_patterns=patterns, generic=generic, parents=parents,
        parent_docs=parent_docs, parent_named=parent_named, clause=clause,
        clause_total=sum(w for _t, w in clause), head=head,
        superlatives=tuple(_SUPERLATIVE_RE.findall(q.text)) if q is not None else (),
        asks_share=q is not None and bool(_SHARE_ASKED_RE.search(q.text)),
        percent_asked=_percent_asked(q),
        currency=None if q is None else "USD" if "美元" in q.text else "CNY" if _YUAN_RE.search(q.text) else None,
        zone_asked=q is not None and (any(w in q.text for w in _ZONE_KIND_WORDS) or bool(_ZONE_WORD_RE.search(q.text))),
        stock_or_flow=(
            None if q is None else "stock" if _STOCK_RE.search(q.text) and not _FLOW_RE.search(q.text)
            else "flow" if _FLOW_RE.search(q.text) and not _STOCK_RE.search(q.text) else None
        ),
        asks_before=q is not None and bool(_BEFORE_RE.search(q.text)),
    )


def _name_spans(text: str, names: set[str]) -> list[tuple[int, int]]:
    """Where the names stand in the text (every occurrence)."""
    spans = []
    for name in names:
        pos = text.find(name) if name else -1
        while pos >= 0:
            spans.append((pos, pos + len(name)))
            pos = text.find(name, pos + 1)
    return spans


# Words a document uses for the place it is about (全市 in a city's report, 开发区 in a zone's news).
_GENERIC_WORDS = {
    "province": ("全省", "我省", "本省"),
    "prefecture": ("全市", "我市", "本市", "市委", "市政府"),
    "county": ("全县", "全区", "全市", "我县", "我区"),
    "zone": ("全区", "园区", "我区", "该区", "本区"),
}
_ZONE_KIND_WORDS = ("经开区", "开发区", "高新区", "新区", "自贸区", "自贸试验区", "综保区", "示范区", "综改区", "片区", "园区")


# 全国高新区, 国家级开发区, 各园区: a class of zones, not one zone.
_GENERIC_ZONE_RE = re.compile(r"^(?:全国|全省|全市|全区|国家级|省级|市级|各类?|该|本|我|其他|相关|重点|特色)")


def _ancestor_names(place: object) -> list[str]:
    """Full and short names of a place's enclosing places (a zone's city and province)."""
    places = qparse.places_module()
    if places is None:
        return []
    out: list[str] = []
    for parent in places.ancestors(place):
        if parent.level != "nation":
            out.extend((parent.name, parent.short))
    return out


# A measure named as the whole a share is taken of (占合作区地区生产总值比重达46.2%) is not reported there.
_SHARE_BEFORE_RE = re.compile(r"(?:占|相当于|约占|占到)[^，,；;。：:]{0,10}$")
_SHARE_AFTER_RE = re.compile(r"^[^，,；;。：:]{0,3}?(?:的)?(?:比重|比例|之比|份额|的比)")
_SHARE_ASKED_RE = re.compile(r"占|比重|比例|份额|占比|贡献")


_STOCK_RE = re.compile(r"累计|总数|总量|现有|拥有|共有|一共|总共|总计|合计|有(?:多少|几)")
_FLOW_RE = re.compile(r"新增|新引进|新签约|新开工|新设|净增|新认定|新培育|新建")
# A figure followed by 增长至/提高到/到: where a change started from.
_FROM_VALUE_RE = re.compile(r"(?:的)?(?:增长|增加|提高|提升|上升|扩大|下降|减少|降低|跃升|增)?(?:至|到)(?!位|期|账|达|岗|场)")
_SHARE_WORDS_RE = re.compile(r"占|比重|比例|份额|占比")
_GROWTH_WORDS_RE = re.compile(r"增长|增速|增幅|同比|环比|比上年|提高|提升|下降|减少|回落|涨|降")


def _percent_asked(q: Question | None) -> str | None:
    """Which percent a question asks for: a share, a growth rate, or either (None)."""
    if q is None or q.kind != "percent":
        return None
    share, growth = bool(_SHARE_WORDS_RE.search(q.text)), bool(_GROWTH_WORDS_RE.search(q.text))
    return "share" if share and not growth else "growth" if growth and not share else None


def _names_measure(text: str, surfaces: tuple[str, ...], asks_share: bool) -> bool:
    """True when the text names the measure as what it reports, not only as the whole of a share."""
    for surface in surfaces:
        start = text.find(surface)
        while start >= 0:
            end = start + len(surface)
            if asks_share or not (
                _SHARE_BEFORE_RE.search(text[max(0, start - 10) : start]) and _SHARE_AFTER_RE.match(text[end:])
            ):
                return True
            start = text.find(surface, start + 1)
    return False


METRIC_TERM = "\x00metric"  # stands for the asked measure in plan.plain: any of its synonyms matches


def _find(plan: _QueryPlan, term: str, text: str) -> int:
    """Where a plan term occurs in a (lower-cased) text, or -1; the measure and general words match synonyms."""
    if term != METRIC_TERM:
        pos = text.find(term)
        if pos >= 0:
            return pos
        others = plan.synonyms.get(term)
        if others is None:
            others = plan.synonyms[term] = _other_words(term)
        if not others:
            return -1
        surfaces: tuple[str, ...] = others
    else:
        surfaces = plan.metric_surfaces
    best = -1
    for s in surfaces:
        p = text.find(s)
        if p >= 0 and (best < 0 or p < best):
            best = p
    return best


def _alternatives(plan: _QueryPlan, term: str) -> tuple[str, ...]:
    """The strings whose presence in a text is what makes _find() find a plan term there."""
    if term == METRIC_TERM:
        return plan.metric_surfaces
    return (term, *_other_words(term))


_CN_NUMERAL_RE = re.compile(r"[一二两三四五六七八九十百千万]{2,}")


def _other_words(term: str) -> tuple[str, ...]:
    """Other words for a question word: its synonyms (获批 → 批复), or a number's other writings (一百 → 100, 百)."""
    if not _CN_NUMERAL_RE.fullmatch(term):
        return word_synonyms(term)
    value = chinese_number(term)
    forms = [str(int(value))] if value is not None and value == int(value) else []
    if len(term) == 2 and term[0] == "一" and term[1] in "百千万":
        forms.append(term[1])  # 前一百 said 百名以内, 百强
    return tuple(forms)


@dataclass(slots=True)
class _Matching:
    """What the rerank looks up for every candidate of one question, built once from its plan."""

    plain: list[tuple[tuple[str, ...], float]]  # plan.plain: the strings of each term, its weight
    clause: list[tuple[tuple[str, ...], float]]  # plan.clause: the strings of each group of terms, its weight
    entity_weight: float  # the most the entities can add to a sentence's coverage
    # plan.entities, each with the pattern _names_place() searches for it.
    entities: list[tuple[str, tuple[str, ...], float, bool, _NameMatcher]]
    titled: list[tuple[str, float]]  # plain terms a document title may stand in for (not the measure, 2+ chars)
    head: tuple[str, ...]  # the strings of the plan's head word (none without one)
    regions: dict[str, set[int]] = field(default_factory=dict)  # entity → documents whose regions list it
    about: dict[str, frozenset[int]] = field(default_factory=dict)  # entity → documents about it (_is_about())
    # entity → document → whether its title, regions or subject name the entity (_names_in_document())
    document_names: dict[str, dict[int, bool]] = field(default_factory=dict)
    # entity → document → whether it is about the place's parent (_about_by_kind_word())
    parent_document: dict[str, dict[int, bool]] = field(default_factory=dict)
    parent_documents: dict[str, set[int]] = field(default_factory=dict)  # place → documents about its parent
    zones: list[Any] | None = None  # the zones the question asks about (store.places.Place)
    figure: _FigureAsk | None = None  # what _select_figure() reads of the question
    # word_filter()'s view of `plain`: its strings as codes, where they and the groups start, weights, titled groups
    words: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    # entity_scan()'s view of `entities`: each one's names, tails, kind words and parents' names (empty: not built)
    entity_strings: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    name_masks: tuple[str, ...] = ()  # required places' names holding a plain word (…高新技术产业开发区 ∋ 产业), longest first


def _matching(plan: _QueryPlan) -> _Matching:
    """The plan's per-question look-ups (built on first use, kept on the plan: they die with the question)."""
    if plan.matching is None:
        plan.matching = _Matching(
            plain=[(_alternatives(plan, t), w) for t, w in plan.plain],
            clause=[(tuple(x for t in terms for x in _alternatives(plan, t)), w) for terms, w in plan.clause],
            entity_weight=sum(e[2] for e in plan.entities),
            entities=[(c, lowered, w, r, _place_pattern(plan, c, lowered)) for c, lowered, w, r in plan.entities],
            titled=[(t, w) for t, w in plan.plain if t != METRIC_TERM and len(t) >= 2],
            head=_alternatives(plan, plan.head) if plan.head else (),
        )
        words = {x for strings, _w in plan.matching.plain for x in strings}
        plan.matching.name_masks = tuple(sorted(
            {n for _c, lowered, _w, required in plan.entities if required for n in lowered if any(x in n for x in words)},
            key=len, reverse=True,
        ))
    return plan.matching


def _without_names(text: str, names: tuple[str, ...]) -> str:
    """The text with each of the names (longest first) blanked out, offsets kept."""
    for name in names:
        if name in text:
            text = text.replace(name, "\x01" * len(name))
    return text


def _place_pattern(plan: _QueryPlan, canon: str, lowered: tuple[str, ...]) -> _NameMatcher:
    """What _names_place() looks for: the plan's pattern of the entity, else any of its names."""
    pattern = plan.place_patterns.get(canon)
    return pattern if pattern is not None else _NameMatcher(lowered)


def _count_in(groups: list[tuple[tuple[str, ...], float]], text: str) -> int:
    """How many of the groups have one of their strings in the text."""
    return sum(1 for strings, _w in groups if any(x in text for x in strings))


def _weight_in(groups: list[tuple[tuple[str, ...], float]], text: str) -> float:
    """Sum of the weights of the groups one of whose strings the text contains (in group order)."""
    total: float = 0  # an int start, as sum() has: the same additions, the same result
    for strings, weight in groups:
        for x in strings:
            if x in text:
                total += weight
                break
    return total


def _matched(plan: _QueryPlan, text: str) -> float:
    """Weight of the plan's plain terms a text contains."""
    return _weight_in(_matching(plan).plain, text)


def _names_place(text: str, canon: str, lowered: tuple[str, ...], plan: _QueryPlan) -> bool:
    return _place_pattern(plan, canon, lowered).search(text)


# A candidate turned down before its entities were checked (too little of the question, whoever it is
# about): whether for a place or for content only matters, and is only decided, when no answer is left.
PLACE_OR_CONTENT = "place or content"


@dataclass(slots=True)
class _Sentence:
    """A candidate sentence as the rerank reads it (each looked up once)."""

    row: int
    raw: str  # index.search_text(): lower-cased, simplified, offsets as stored
    text: str  # …without pinyin glosses: 地区(qū)生产(chǎn)总值 names 地区生产总值
    doc_id: int
    doc: DocumentInfo | None
    previous: list[int]  # up to 2 sentences before it in its paragraph, in reading order
    previous_bounds: list[int]  # where the text of each previous row (and of this one) starts in the column
    title_: str | None = None  # see _title()
    previous_texts_: list[str] | None = None  # see _previous_texts()
    # entity_scan()'s flags (IN_SENTENCE …) and nearest previous row naming it, per plan entity (None: not scanned)
    scanned: tuple[list[int], list[int]] | None = None


# Offsets of the rows around a candidate read at once: the two before it (its context), itself, the next
# one (where its text ends).
_AROUND = np.arange(-2, 2, dtype=np.int64)


def _read_row_arrays(index: SearchIndex, rows: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, at once: where it and its two previous rows start in the text column, and their documents, paragraphs."""
    around = np.asarray(rows, dtype=np.int64)[:, None] + _AROUND
    np.maximum(around, 0, out=around)  # rows before the first one: never used (see _previous_of)
    before = around[:, :3]
    return index.texts.starts[around], index.doc_of_row[before], index.para_of_row[before]


def _read_rows(index: SearchIndex, rows: list[int]) -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
    """_read_row_arrays() as lists."""
    bounds, docs, paras = _read_row_arrays(index, rows)
    return bounds.tolist(), docs.tolist(), paras.tolist()


def _previous_of(row: int, docs: list[int], paras: list[int]) -> list[int]:
    """Up to 2 rows before this one in its paragraph, in reading order, from _read_rows()'s documents and paragraphs."""
    if row >= 1 and docs[1] == docs[2] and paras[1] == paras[2]:
        return [row - 2, row - 1] if row >= 2 and docs[0] == docs[2] and paras[0] == paras[2] else [row - 1]
    return []


def _sentence(index: SearchIndex, row: int) -> _Sentence:
    """Read a candidate sentence, its document and where its paragraph's previous rows are."""
    return _sentences(index, [row])[0]


def _sentences(index: SearchIndex, rows: list[int]) -> list[_Sentence]:
    """_sentence() of each row, their offsets, documents and paragraphs read at once."""
    found = []
    for row, bounds, docs, paras in zip(rows, *_read_rows(index, rows), strict=True):
        raw = index.search_text(row)
        doc_id = docs[2]
        found.append(_Sentence(
            row, raw, strip_pinyin_glosses(raw), doc_id, index.documents.get(doc_id), _previous_of(row, docs, paras),
            bounds,
        ))
    return found


def _context_texts(index: SearchIndex, sen: _Sentence, context_rows: tuple[int, ...]) -> list[str]:
    """search_text() of the context rows (the last of the sentence's previous rows), in reading order."""
    return _previous_texts(index, sen)[len(sen.previous) - len(context_rows) :] if context_rows else []


def _title(index: SearchIndex, sen: _Sentence) -> str:
    """The document's lower-cased title and regions ("" without a document), read when first needed."""
    if sen.title_ is None:
        # After search_text() (in _sentences): it may be what learns whether the document is traditional.
        sen.title_ = index.doc_text_lower(sen.doc_id) if sen.doc is not None else ""
    return sen.title_


def _previous_texts(index: SearchIndex, sen: _Sentence) -> list[str]:
    """search_text() of the sentence's previous rows (same order), read when first needed."""
    if sen.previous_texts_ is None:
        if index.traditional_docs.get(sen.doc_id) is False:  # the same document as the sentence's
            blob, b, n = index.texts.blob, sen.previous_bounds, len(sen.previous)
            sen.previous_texts_ = [blob[b[k] : b[k + 1] - 1].lower() for k in range(2 - n, 2)]
        else:
            sen.previous_texts_ = [index.search_text(r) for r in sen.previous]
    return sen.previous_texts_


@dataclass(slots=True)
class _EntityEvidence:
    """How a sentence (its context, its document) names the question's entities."""

    weight: float  # what they add to the coverage
    context_rows: tuple[int, ...]  # earlier sentences of the paragraph naming one (quoted with it)
    subject_in_sentence: bool  # no required entity is named only by the document


def _entity_evidence(index: SearchIndex, sen: _Sentence, pq: ParsedQuestion, plan: _QueryPlan) -> _EntityEvidence | None:
    """Where the sentence's entities are named (sentence, paragraph, document); None when a required one is not."""
    text, doc = sen.text, sen.doc
    entity_matched = 0.0
    context_rows: tuple[int, ...] = ()
    previous = sen.previous
    subject_in_sentence = True
    matching = _matching(plan)
    scanned = sen.scanned
    for e, (canon, lowered, weight, required, pattern) in enumerate(matching.entities):
        # What the sentence says of the entity: read by entity_scan() already, else searched here.
        flags = scanned[0][e] if scanned is not None else None
        if pattern.search(text) if flags is None else flags & IN_SENTENCE:
            entity_matched += weight
            continue
        if (
            required and not plan.zone_asked and (flags is None or flags & NAME_IN_SENTENCE)
            and _inside_zone_name(text, lowered)
        ):
            # Named only inside a zone's name (义乌综合保税区 for 义乌): the zone's figure, not the place's.
            return None
        # The nearest earlier sentence naming the entity starts the quoted context.
        hit = None
        if scanned is not None:
            hit = scanned[1][e] if scanned[1][e] >= 0 else None
        elif previous:
            previous_texts = _previous_texts(index, sen)
            for i in range(len(previous) - 1, -1, -1):
                if pattern.search(previous_texts[i]):
                    hit = i
                    break
        if hit is not None:
            # Named a sentence or two earlier in the same paragraph: the answer quotes from there.
            entity_matched += weight * SUBJECT_IN_CONTEXT
            if len(previous[hit:]) > len(context_rows):
                context_rows = tuple(previous[hit:])
        elif doc is not None and _names_in_document(index, pq, plan, matching, sen, canon, lowered, pattern, flags):
            # The document's regions list it, or the document is about it, or its title names it.
            entity_matched += weight * SUBJECT_IN_DOCUMENT
            if required:
                subject_in_sentence = False
        elif required and _about_by_kind_word(index, sen, canon, plan, flags):
            # 经开区 in a document about 北京 (the zone's city): the zone the document is about.
            entity_matched += weight * SUBJECT_IN_DOCUMENT
            subject_in_sentence = False
        elif required:
            return None
    return _EntityEvidence(entity_matched, context_rows, subject_in_sentence)


def _names_in_document(
    index: SearchIndex, pq: ParsedQuestion, plan: _QueryPlan, matching: _Matching, sen: _Sentence, canon: str,
    lowered: tuple[str, ...], pattern: _NameMatcher, flags: int | None = None,
) -> bool:
    """The sentence's document names the entity: by its title, its regions or its subject (once per document).

    `flags`: entity_scan()'s, when it searched the title already.
    """
    memo = matching.document_names.setdefault(canon, {})
    found = memo.get(sen.doc_id)
    if found is None:
        titled = pattern.search(_title(index, sen)) if flags is None else flags & IN_TITLE
        found = memo[sen.doc_id] = bool(titled or _named_by_document(index, pq, plan, canon, lowered, sen.doc_id))
    return found


def _named_by_document(
    index: SearchIndex, pq: ParsedQuestion, plan: _QueryPlan, canon: str, lowered: tuple[str, ...], doc_id: int
) -> bool:
    """The document's regions list the entity (any of its names), or it is about the entity and the entity is required."""
    matching = _matching(plan)
    regions = _region_documents(index, matching, canon, lowered)
    return doc_id in regions or (canon in pq.required and _is_about(index, pq, matching, canon, doc_id))


def _region_documents(index: SearchIndex, matching: _Matching, canon: str, lowered: tuple[str, ...]) -> set[int]:
    """Documents whose regions list the entity by any of its names (once per question)."""
    regions = matching.regions.get(canon)
    if regions is None:
        regions = matching.regions[canon] = {d for name in lowered for d in index.documents_with_region(name).tolist()}
    return regions


def _named_nowhere(
    index: SearchIndex, pq: ParsedQuestion, plan: _QueryPlan, doc_id: int, scanned: tuple[list[int], list[int]]
) -> bool:
    """From entity_scan()'s reading of a candidate: some required entity is named neither by the sentence, the rows
    before it, its document (title, regions, subject), nor by its kind word in a document about its parent, so
    that _entity_evidence() gives None (whatever it finds of the other entities)."""
    matching = _matching(plan)
    flags_of, nearest = scanned
    for e, (canon, lowered, _weight, required, _pattern) in enumerate(matching.entities):
        flags = flags_of[e]
        if not required or flags & (IN_SENTENCE | IN_TITLE) or nearest[e] >= 0:
            continue
        if doc_id in _region_documents(index, matching, canon, lowered):
            continue
        if canon in pq.required and _is_about(index, pq, matching, canon, doc_id):
            continue
        if canon in plan.generic and flags & KIND_WORD_NEAR and (
            flags & PARENT_IN_TITLE or doc_id in _parent_documents(index, plan, canon)
        ):
            continue
        return True
    return False


def _is_about(index: SearchIndex, pq: ParsedQuestion, matching: _Matching, canon: str, doc_id: int) -> bool:
    """doc_id in _documents_about(index, pq, canon) (the BM25 step's, read as a set once per question)."""
    about = matching.about.get(canon)
    if about is None:
        docs = _documents_about(index, pq, canon) if canon in pq.entities else ()
        about = matching.about[canon] = frozenset(int(d) for d in docs)
    return doc_id in about


def _rejections(index: SearchIndex, rows: list[int], pq: ParsedQuestion, plan: _QueryPlan) -> list[str]:
    """Why each candidate turned down as PLACE_OR_CONTENT is: "place" when a required entity is missing, else
    "content" (their sentences read at once)."""
    if not rows:
        return []
    return ["place" if _entity_evidence(index, sen, pq, plan) is None else "content" for sen in _sentences(index, rows)]


_SIMPLIFIED_DOCUMENTS = "simplified documents"


def _simplified_documents(index: SearchIndex) -> np.ndarray:
    """Document id → whether the index knows it is written in simplified characters (and has its DocumentInfo)."""

    def build() -> np.ndarray:
        ids = [d for d, traditional in index.traditional_docs.items() if traditional is False and d in index.documents]
        known = np.zeros(max([index.doc_id_bound(), *[d + 1 for d in ids]]), dtype=np.bool_)
        known[ids] = True
        return known

    return built_once(_SIMPLIFIED_DOCUMENTS, (index.traditional_docs, index.documents), build)


_DOCUMENT_TITLES = "document titles"


def _document_titles(index: SearchIndex) -> tuple[str, np.ndarray]:
    """Every document's lower-cased title and regions as one string, and where document d's starts (d + 1: ends)."""

    def build() -> tuple[str, np.ndarray]:
        texts = index.doc_texts_lower
        lengths = np.zeros(max([index.doc_id_bound(), *[d + 1 for d in texts]]), dtype=np.int64)
        ids = sorted(texts)
        lengths[ids] = [len(texts[d]) for d in ids]
        starts = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        return "".join(texts[d] for d in ids), starts

    return built_once(_DOCUMENT_TITLES, (index.doc_texts_lower,), build)


def _word_tables(plan: _QueryPlan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """word_filter()'s view of the plan's plain groups (once per question); None when a weight is not a float, or
    when a plain word is part of an entity's name (the kernel does not mask names: _row_features() reads those)."""
    matching = _matching(plan)
    if matching.name_masks:
        return None
    if matching.words is None:
        weights = [w for _strings, w in matching.plain]
        if not all(type(w) is float for w in weights):
            return None  # the rerank's sums would not be those of float64
        codes, starts, group_starts = needle_table(matching.plain)
        titled = np.fromiter((t != METRIC_TERM and len(t) >= 2 for t, _w in plan.plain), dtype=np.bool_,
                             count=len(plan.plain))
        matching.words = (codes, starts, group_starts, np.fromiter(weights, dtype=np.float64, count=len(weights)), titled)
    return matching.words


def _entity_tables(plan: _QueryPlan) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """entity_scan()'s strings of the plan's entities (once per question); None when it cannot search them so."""
    matching = _matching(plan)
    if matching.entity_strings is None:
        groups: list[tuple[tuple[str, ...], float]] = []
        for canon, _lowered, _w, _r, pattern in matching.entities:
            kind = plan.generic.get(canon)
            if kind is not None and kind.tails:
                return None  # a kind word is searched as a plain string there
            groups += [(pattern.names, 0.0), (pattern.tails, 0.0), (kind.names if kind is not None else (), 0.0),
                       (plan.parents.get(canon, ()), 0.0)]
        matching.entity_strings = needle_table(groups)
    return matching.entity_strings


_NO_ENTITIES = needle_table([])


def _rows_features(index: SearchIndex, rows: list[int], pq: ParsedQuestion, plan: _QueryPlan) -> list[_Candidate | None]:
    """_features() of candidate rows (read at once), None for one turned down on its words alone (PLACE_OR_CONTENT).

    rerank_scan() decides the rows it can on their words (most are turned down there) and reads what the texts
    and titles of those it keeps say of the entities; the others are read here.
    """
    if not rows:
        return []
    n = len(rows)
    status: list[int] = [0] * n
    matched_of: list[float] = [0.0] * n
    scanned: dict[int, tuple[list[int], list[int]]] = {}
    # The kernel only pays compiled (a one-shot ask of a small index runs the kernels as plain Python).
    words = _word_tables(plan) if rerank_scan.fast is not None else None
    totals = (plan.plain_total, _matching(plan).entity_weight, plan.total)
    if words is not None and all(isinstance(x, (int, float)) for x in totals):
        entity_tables = _entity_tables(plan)
        found_status, found_matched, kept, read, flags, nearest, starts_array, docs_array, paras_array = rerank_scan(
            index.texts.blob, index.texts.starts, index.doc_of_row, index.para_of_row, np.asarray(rows, dtype=np.int64),
            _simplified_documents(index), *_document_titles(index), lower_table(), *words, float(totals[0]),
            float(totals[1]), float(totals[2]), MIN_TOPIC_COVERAGE, MIN_COVERAGE, SUBJECT_IN_DOCUMENT,
            *(entity_tables if entity_tables is not None else _NO_ENTITIES),
        )
        status, matched_of = found_status.tolist(), found_matched.tolist()
        if entity_tables is not None:
            scanned = {
                i: (f, p) for i, r, f, p in zip(kept.tolist(), read.tolist(), flags.tolist(), nearest.tolist(), strict=True)
                if r
            }
    else:
        starts_array, docs_array, paras_array = _read_row_arrays(index, rows)
    found: list[_Candidate | None] = [None] * n
    blob, documents = index.texts.blob, index.documents
    starts_list, docs_list, paras_list = starts_array.tolist(), docs_array.tolist(), paras_array.tolist()
    for i in range(n):
        if status[i] == TURNED_DOWN:
            continue
        row, bounds, docs, paras = rows[i], starts_list[i], docs_list[i], paras_list[i]
        if status[i] == KEPT:
            doc_id = docs[2]
            seen = scanned.get(i)
            if seen is not None and _named_nowhere(index, pq, plan, doc_id, seen):
                found[i] = _Candidate(row, 0.0, 0.0, None, (), (), True, "place")  # as _features() makes it
                continue
            raw = blob[bounds[2] : bounds[3] - 1].lower()
            text = strip_pinyin_glosses(raw)
            sen = _Sentence(row, raw, text, doc_id, documents.get(doc_id), _previous_of(row, docs, paras), bounds)
            sen.scanned = seen
            found[i] = _features(index, sen, pq, plan, matched_of[i])
        else:
            found[i] = _row_features(index, row, bounds, docs, paras, pq, plan)
    return found


def _row_features(
    index: SearchIndex, row: int, bounds: list[int], docs: list[int], paras: list[int], pq: ParsedQuestion,
    plan: _QueryPlan,
) -> _Candidate | None:
    """_features() of one candidate row, None when it is turned down on its words alone (PLACE_OR_CONTENT)."""
    matching = _matching(plan)
    plain_total, total = plan.plain_total, plan.total
    doc_id = docs[2]
    # index.search_text() without its per-call reads, for a document known to be in simplified characters.
    if index.traditional_docs.get(doc_id) is False:
        raw = index.texts.blob[bounds[2] : bounds[3] - 1].lower()
    else:
        raw = index.search_text(row)
    text = strip_pinyin_glosses(raw)
    doc = index.documents.get(doc_id)
    # Words of the question inside an entity's name in the sentence are the name's, not the measure's.
    words_text = _without_names(text, matching.name_masks) if matching.name_masks else text
    matched = _weight_in(matching.plain, words_text)
    title = None
    if doc is not None and matched < plain_total:
        # A word of the question the sentence lacks but its document's title names (斗门 of a 斗门区 report).
        # After search_text(): it may be what learns whether the document is written in traditional characters.
        title = index.doc_text_lower(doc_id)
        titled_text = _without_names(title, matching.name_masks) if matching.name_masks else title
        titled: float = 0  # summed as sum() does: from an int 0, in plan order
        for t, w in matching.titled:
            if t not in words_text and t in titled_text:
                titled += w
        matched += SUBJECT_IN_DOCUMENT * titled
    # What the question asks about (人口, 员工 …) must be there, not only who it is about.
    topic_missing = plain_total > 0 and matched / plain_total < MIN_TOPIC_COVERAGE
    if topic_missing or total <= 0 or (matched + matching.entity_weight) / total < MIN_COVERAGE:
        # Never shown, whatever its entities: skip looking for them. Each adds at most its weight (an idf,
        # never negative), and rounding is monotone: the coverage computed below could not be higher.
        return None
    sen = _Sentence(row, raw, text, doc_id, doc, _previous_of(row, docs, paras), bounds, title)
    return _features(index, sen, pq, plan, matched)


def _features(index: SearchIndex, sen: _Sentence, pq: ParsedQuestion, plan: _QueryPlan, matched: float) -> _Candidate:
    """Coverage of the question, the requirements it meets and its best figure, for a sentence of `matched` words.

    A candidate never shown (missing set) carries no meaningful coverage, context or figure.
    """
    row, text, doc = sen.row, sen.text, sen.doc
    evidence = _entity_evidence(index, sen, pq, plan)
    if evidence is None:
        return _Candidate(row, 0.0, 0.0, None, (), (), True, "place")
    context_rows, subject_in_sentence = evidence.context_rows, evidence.subject_in_sentence
    coverage = (matched + evidence.weight) / plan.total
    if coverage < MIN_COVERAGE:
        # Never shown: skip the fact scoring.
        return _Candidate(row, coverage, 0.0, None, (), context_rows, True, "content")
    q = pq.q
    assert q is not None
    context_text = "".join(_context_texts(index, sen, context_rows)) + text
    # The measure asked for must be named by the sentence (or the sentences it is quoted with).
    if plan.metric_surfaces and not _names_measure(context_text, plan.metric_surfaces, plan.asks_share):
        return _Candidate(row, coverage, 0.0, None, (), context_rows, True, "measure")
    if not subject_in_sentence and _other_place_is_subject(text, pq):
        return _Candidate(row, coverage, 0.0, None, (), context_rows, True, "place")
    if _other_zone_is_subject(text, doc, pq, _context_texts(index, sen, context_rows), plan):
        return _Candidate(row, coverage, 0.0, None, (), context_rows, True, "place")
    penalty = 0.0
    if q.period.part:
        fits = _part_fits(q.period.part, _parts(context_text))
        if fits is False:
            return _Candidate(row, coverage, 0.0, None, (), context_rows, True, "period")
        past = fits is None and _states_past_year(_before_first_figure(index, row, context_text, text), doc)
        if past and not q.period.years and all(r >= 0 for r in q.period.relative) and q.period.part != "Y":
            # 去年，…实现产值9870亿元 is not the 1—5月 figure the question asks (the title's period is this year's).
            return _Candidate(row, coverage, 0.0, None, (), context_rows, True, "period")
        if past:
            fits = True if q.period.part == "Y" else None  # a past year's figure is a whole year's
            if fits is None:
                penalty += PART_UNSTATED_PENALTY
        elif fits is None:
            para = _parts(index.search_text(index.paragraph_rows(row).start)) | _parts(_title(index, sen))
            fits = _part_fits(q.period.part, para)
            if fits is False:
                return _Candidate(row, coverage, 0.0, None, (), context_rows, True, "period")
            if fits is None:
                penalty += PART_UNSTATED_PENALTY

    facts = index.read_facts(row)
    doc_year = doc.year if doc else None
    qyears = plan.qyears_by_doc.get(doc_year)
    if qyears is None:
        qyears = plan.qyears_by_doc[doc_year] = _question_years(pq, doc_year)
    asked_years = set(q.period.years)
    if asked_years and doc_year is not None:
        # A year asked for: the sentence's figures are of the document's time unless they say otherwise.
        # Years the sentence states before its first figure (a later 比2017年 is a comparison).
        first = min((f.start for f in index.read_facts(row) if f.kind != "date"), default=len(text))
        head = "".join(_context_texts(index, sen, context_rows)) + text[:first]
        stated_years = {int(y) for y in _YEAR_RE.findall(head)}
        # …unless the asked year comes with a figure later on (从2020年的1778亿元增长到2023年的3064亿元).
        later = any(f.period in asked_years for f in facts if f.kind != "date")
        if stated_years and not (stated_years & asked_years) and not q.target and not later:
            return _Candidate(row, coverage, 0.0, None, (), context_rows, True, "period")
        if not stated_years and not q.target and all(abs(doc_year - y) > 1 for y in asked_years):
            return _Candidate(row, coverage, 0.0, None, (), context_rows, True, "period")
    figure = None
    if facts:
        mentions = _row_mentions(index, row, sen.raw) if q.metric else []
        figure = _select_figure(sen.raw, facts, pq, plan, qyears, asked_years, mentions=mentions)
    return _Candidate(
        row, coverage, figure.score if figure is not None else 0.0, figure.fact if figure else None, facts,
        context_rows, False, None, penalty,
    )


# A sentence about a past year (去年，全省实现…): the period of the document's title is not its period.
_PAST_YEAR_RE = re.compile(r"去年|上年|前年|上一年")


def _states_past_year(head: str, doc: DocumentInfo | None) -> bool:
    """The text says its figures are of a year before the document's own (去年, 2025年 in a 2026 report)."""
    if _PAST_YEAR_RE.search(head):
        return True
    year = doc.year if doc is not None else None
    return year is not None and any(int(y) < year for y in _YEAR_RE.findall(head))


def _before_first_figure(index: SearchIndex, row: int, context_text: str, text: str) -> str:
    """The quoted context and the sentence up to its first figure (what the figures are said of)."""
    first = min((f.start for f in index.read_facts(row) if f.kind != "date"), default=len(text))
    return context_text[: len(context_text) - len(text) + first]


def _about_by_kind_word(
    index: SearchIndex, sen: _Sentence, canon: str, plan: _QueryPlan, flags: int | None = None
) -> bool:
    """The sentence (or the one before) names the place by its kind (经开区, 全市) in a document about its parent.

    `flags`: entity_scan()'s, when it searched the title and the texts already.
    """
    pattern = plan.generic.get(canon)
    if pattern is None or sen.doc is None:
        return False
    memo = _matching(plan).parent_document.setdefault(canon, {})
    about_parent = memo.get(sen.doc_id)
    if about_parent is None:
        if flags is None:
            title = _title(index, sen)
            parent_titled = any(p in title for p in plan.parents.get(canon, ()))
        else:
            parent_titled = bool(flags & PARENT_IN_TITLE)
        about_parent = memo[sen.doc_id] = sen.doc_id in _parent_documents(index, plan, canon) or parent_titled
    if not about_parent:
        return False  # neither its regions nor its title name a parent, nor does it name the city often
    if flags is not None:
        return bool(flags & KIND_WORD_NEAR)
    texts = [sen.raw, *_previous_texts(index, sen)[-1:]]
    return any(pattern.search(t) for t in texts)


def _parent_documents(index: SearchIndex, plan: _QueryPlan, canon: str) -> set[int]:
    """Documents whose regions list a place's parent, or that name its city often (once per question)."""
    memo = _matching(plan).parent_documents
    docs = memo.get(canon)
    if docs is None:
        docs = set(plan.parent_docs.get(canon, ()))
        for name in plan.parents.get(canon, ()):
            docs.update(index.documents_with_region(name).tolist())
        memo[canon] = docs
    return docs


# Words for a larger place than a city or zone (or a province): its figure is not the asked one's.
_LEVEL_ORDER = {"zone": 0, "county": 1, "prefecture": 2, "province": 3, "nation": 4}
_LARGER_WORDS = {
    "zone": ("全省", "我省", "全国", "我国"),
    "county": ("全省", "我省", "全国", "我国"),
    "prefecture": ("全省", "我省", "全国", "我国"),
    "province": ("全国", "我国"),
}


_CITY_WORDS = ("全市", "我市")
_RANKING_WORDS = ("第", "排", "前", "首", "平均", "水平")  # after 全国/全省: a comparison, not the subject
# A place right after 居/占/比… or right before 第/排… is what a figure is compared with, not its subject.
_COMPARED_BEFORE_RE = re.compile(r"[居占在列比于较超与]$")
_COMPARED_AFTER_RE = re.compile(r"\S{2,3}(?:第|排|前|首|同类|平均|领先)")


def _stands_alone(number: str, text: str) -> bool:
    """True when the text has the number with no digit or point right before or after it (11 in 11个, not 110)."""
    pos = text.find(number)
    while pos >= 0:
        end = pos + len(number)
        if (pos == 0 or not (text[pos - 1].isdecimal() or text[pos - 1] == ".")) and (
            end == len(text) or not (text[end].isdecimal() or text[end] == ".")
        ):
            return True
        pos = text.find(number, pos + 1)
    return False


def _other_place_is_subject(text: str, pq: ParsedQuestion) -> bool:
    """True when the sentence is about another place than the one asked (全国GDP in a 晋江 document)."""
    places = qparse.places_module()
    if places is None:
        return False
    asked = [p for p in (_lookup_place(n) for n in pq.required) if p is not None]
    if not asked:
        return False  # no place of the gazetteer asked for: no other place can contradict it
    plan_zone_asked = pq.q is not None and any(w in pq.q.text for w in _ZONE_KIND_WORDS)  # 哪个开发区最高
    # 全省 in a sentence about a city's figure names the province: another, larger subject.
    levels = [str(getattr(a, "level", "")) for a in asked]
    smallest = min(levels, key=lambda level: _LEVEL_ORDER.get(level, 9), default="")
    larger = _LARGER_WORDS.get(smallest, ())
    if smallest == "zone" or (smallest == "county" and any(str(getattr(a, "name", "")).endswith(("区", "县")) for a in asked)):
        larger = (*larger, *_CITY_WORDS)  # a district's, county's or zone's 全市 is its city
    for level_word in larger:
        start = text.find(level_word)
        while start >= 0:
            end = start + len(level_word)
            # Only as the clause's subject (全省地区生产总值增长5.7%), not a comparison (居全国第4位).
            opens_clause = start == 0 or text[start - 1] in "，,；;：:。 "
            if opens_clause and not text.startswith(_RANKING_WORDS, end):
                return True
            start = text.find(level_word, end)
    for start, end, place in places.places_in(text):
        if place.level == "county" and not text[start:end].endswith(("县", "区", "市", "旗")):
            continue  # a county's bare short name is too often a word (千亿大关 → 大关县)
        before, after = text[max(0, start - 2) : start], text[start : start + 8]
        if _COMPARED_BEFORE_RE.search(before) or _COMPARED_AFTER_RE.match(after):
            continue  # a comparison (居全国第4位, 占全省), not the subject
        # The first place the sentence names is its subject: another one than asked is a miss.
        if smallest != "zone" and not plan_zone_asked and (place.level == "zone" or _ZONE_NAMED_AFTER.match(text, end)):
            return True  # a zone of the city asked about (义乌综合保税区进出口额): not the city's figure
        return not any(place == a or places.within(place, a) or places.within(a, place) for a in asked)
    return False


def _inside_zone_name(text: str, surfaces: tuple[str, ...]) -> bool:
    """True when a place is named only as the start of one zone's name (义乌综合保税区), not in a list of zones."""
    for surface in surfaces:
        pos = text.find(surface)
        while pos >= 0:
            m = _ZONE_NAMED_AFTER.match(text, pos + len(surface))
            if m is None or text[m.end() : m.end() + 1] == "、":
                return False
            pos = text.find(surface, pos + 1)
    return any(s in text for s in surfaces)


_ZONE_WORD_RE = re.compile(r"保税区|经济开发区|工业园|产业园|合作区|示范区|试验区|自贸")
# A zone's name built on a city's (义乌综合保税区, 青岛西海岸新区): the zone, not the city, is the subject.
_ZONE_NAMED_AFTER = re.compile(
    r"(?:市|县|区)?[\u4e00-\u9fff]{0,4}?(?:综合保税区|综保区|保税区|经济技术开发区|经济开发区|经开区|高新技术产业开发区"
    r"|高新区|开发区|新区|自贸片区|片区|产业园区|产业园|工业园区|工业园|合作区|示范区)"
)


# --- f-places: a zone asked for must be the subject (not another zone of the same city) ---
_LIST_JOINERS = frozenset({"、", "和", "与", "及", "以及"})


def _other_zone_is_subject(text: str, doc: object, pq: ParsedQuestion, context: list[str], plan: _QueryPlan) -> bool:
    """True when a zone is asked for and the sentence (else its quoted context, else its document) is about
    another zone: 武汉经开区's GDP does not answer for 东湖高新区, though both are 武汉's."""
    places = qparse.places_module()
    matching = _matching(plan)
    if matching.zones is None:  # the same for every candidate of the question
        matching.zones = [p for p in (places.lookup(n) for n in pq.required) if p is not None and p.level == "zone"]
    zones = matching.zones
    if not zones:
        return False
    fits = lambda place: any(place == z or places.within(place, z) for z in zones)  # noqa: E731
    for t in [text, *reversed(context)]:
        found = places.places_in(t)
        for i, (start, end, place) in enumerate(found):
            head = t[:start]
            if place.level != "zone" or _COMPARED_BEFORE_RE.search(head[-2:]):
                continue  # not a zone, or a comparison (占开发区, 比高新区), not the subject
            if head.count("(") + head.count("（") > head.count(")") + head.count("）"):
                continue  # in brackets: an aside (…经开区(赣江新区经开组团)), not the subject
            if fits(place):
                return False  # the first zone a sentence names is its subject
            # …with the zones listed right after it (甲经开区、乙经开区排名分别前移5位和9位).
            for next_start, next_end, other in found[i + 1 :]:
                if t[end:next_start] not in _LIST_JOINERS:
                    break
                if other.level == "zone" and fits(other):
                    return False
                end = next_end
            return True
    # Named nowhere near: the zones the document is about (its regions), if it lists any.
    regions = [p for p in (places.lookup(r) for r in getattr(doc, "regions", ())) if p is not None]
    about = [p for p in regions if p.level == "zone"]
    return bool(about) and not any(fits(p) for p in about)
# --- end f-places ---


@dataclass(frozen=True, slots=True)
class Missing:
    """Why there is no answer: the requirement no sentence meets, with what the question named."""

    requirement: str  # place | measure | period | kind | content
    place: str | None = None
    period: str | None = None
    measure: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """Answers, best first, or why there are none."""

    answers: list[Answer]
    missing: Missing | None = None


def missing(index: SearchIndex, question: str) -> Missing | None:
    """Why a question gets no answer (None when it gets one)."""
    reply = ask(index, question, limit=1)
    return None if reply.answers else reply.missing


ANSWER_CACHE_SIZE = 4096  # questions remembered per index (an index never changes under its cache)


def answer(index: SearchIndex, question: str, *, limit: int = 5) -> list[Answer]:
    """Answer a question from the index: best first; empty when the evidence is weak."""
    key = (question, limit)
    cached = index.answer_cache.get(key)
    if cached is None:
        cached = tuple(ask(index, question, limit=limit).answers)
        if len(index.answer_cache) >= ANSWER_CACHE_SIZE:
            index.answer_cache.clear()
        index.answer_cache[key] = cached
    return list(cached)


def _period_label(q: Question) -> str | None:
    years = "、".join(f"{y}年" for y in q.period.years)
    names = {"H1": "上半年", "H2": "下半年", "Q1": "一季度", "Q1-3": "前三季度", "Y": "全年"}
    part = names.get(q.period.part or "", "") if q.period.part else ""
    return (years + part) or None


def ask(index: SearchIndex, question: str, *, limit: int = 5) -> Reply:
    """Answer a question, or say which of its requirements no sentence meets."""
    if not question or not question.strip():
        return Reply([], Missing("content"))
    compile_for(index.size)  # a one-shot ask of an archive: machine code before the first kernel runs
    pq = parse_question(question, index)
    q = pq.q
    assert q is not None
    place = next(iter(sorted(pq.required)), None)
    missing_of = {
        "place": Missing("place", place=place, period=_period_label(q), measure=q.metric),
        "measure": Missing("measure", place=place, period=_period_label(q), measure=q.metric),
        "period": Missing("period", place=place, period=_period_label(q), measure=q.metric),
        "kind": Missing("kind", place=place, period=_period_label(q), measure=q.metric),
    }
    if not pq.terms:
        return Reply([], Missing("content"))
    plan = _plan(index, pq)
    # A place the corpus never names can only be answered as "the zone" of a document about its city.
    if any(u in pq.required and not plan.parent_named.get(u) for u in pq.unknown):
        return Reply([], missing_of["place"])
    rows, bm25 = _bm25_candidates(index, pq, limit=RERANK_DEPTH)
    if len(rows) == 0:
        return Reply([], missing_of["measure"] if q.metric else Missing("content"))
    top_bm25 = float(bm25[0]) or 1.0
    wants_figure = q.kind != "list" and (q.kind is not None or q.metric is not None or "amount" in pq.intents)
    scored = []
    failed: dict[str, int] = {}
    undecided: list[int] = []  # turned down as PLACE_OR_CONTENT: decided only if no answer is left
    row_list = rows.tolist()
    kept: list[tuple[_Candidate, float]] = []
    for row, found, base in zip(row_list, _rows_features(index, row_list, pq, plan), bm25.tolist(), strict=True):
        if found is None:
            undecided.append(row)
        elif found.missing:
            failed[found.missing] = failed.get(found.missing, 0) + 1
        else:
            kept.append((found, base))
    lacking = _lacking_key_word(index, pq, plan, [c for c, _b in kept])
    for cand, base in kept:
        score = W_BM25 * (base / top_bm25) + W_COVERAGE * cand.coverage + W_FACT * cand.fact_score - cand.penalty
        if cand.row in lacking:
            score -= KEY_WORD_MISSING_PENALTY
        if not q.target and cand.best is not None and cand.best.target:
            score -= TARGET_UNASKED_PENALTY
        elif q.target and cand.best is not None and not cand.best.target and cand.best.kind != "date":
            score -= TARGET_MISSED_PENALTY
        if wants_figure and not cand.facts:
            score -= NO_FIGURE_PENALTY
        elif wants_figure and cand.fact_score <= 0:
            score -= WRONG_KIND_PENALTY  # it has figures, but none of the kind asked for
        if q.kind == "list":
            score += 0.1 * min(index.texts[cand.row].count("、"), 5)
        scored.append((score, cand))
    scored.sort(key=lambda s: -s[0])

    answers: list[Answer] = []
    seen_texts: set[str] = set()
    strict_kind = q.kind is not None and q.kind != "list"
    # No kind asked, a measure given in one kind (GDP多少 → money); a keyword query (GDP增长) may ask its growth.
    metric_kind = (
        _METRIC_KIND.get(q.metric or "")
        if q.kind is None and not _GROWTH_WORDS_RE.search(q.text) and not _SHARE_ASKED_RE.search(q.text) else None
    )
    for score, cand in scored:
        row, best, facts = cand.row, cand.best, cand.facts
        if cand.coverage < MIN_COVERAGE or score < MIN_SCORE or cand.missing_entity:
            continue
        loose_date = q.kind == "date" and not q.wants_day and best is None and _TIME_WORDS.search(index.texts[row])
        if wants_figure and best is None and not loose_date and "list" not in pq.intents and "other" not in pq.intents:
            failed["kind"] = failed.get("kind", 0) + 1
            continue
        if strict_kind and not loose_date and (best is None or best.kind not in _KIND_FITS.get(q.kind or "", ())):
            failed["kind"] = failed.get("kind", 0) + 1
            continue  # 第几 is not answered by an amount, 哪天 not by a percent
        if metric_kind and best is not None and best.kind not in (metric_kind, "other"):
            failed["kind"] = failed.get("kind", 0) + 1
            continue  # GDP是多少 asks for an amount: 增长5% or 占GDP比重78% is not it
        if answers and wants_figure and cand.fact_score <= 0 and q.kind != "list":
            continue  # further answers must carry a figure of the kind asked for
        prefix = "".join(index.texts[r] for r in cand.context_rows)
        text = prefix + index.texts[row]
        if text in seen_texts:
            continue
        seen_texts.add(text)
        doc = index.documents[int(index.doc_of_row[row])]
        ordered = (best, *[f for f in facts if f is not best]) if best is not None else facts
        answers.append(
            Answer(
                text=text, doc=doc.name, score=float(score), facts=tuple(ordered),
                sentence_id=int(index.sentence_ids[row]), document=doc,
                figure=best.span if best is not None and (cand.fact_score > 0 or strict_kind) else None,
                intent=pq.intent,
                figure_at=len(prefix) + best.start if best is not None else None,
            )
        )
        if len(answers) >= limit:
            break
    if answers:
        return Reply(answers)
    for reason in _rejections(index, undecided, pq, plan):
        failed[reason] = failed.get(reason, 0) + 1
    reason = max(failed, key=lambda k: (failed[k], k)) if failed else "content"
    if reason == "content" and q.metric:
        reason = "measure"  # nothing that names the measure asked for fits
    return Reply([], missing_of.get(reason, Missing("content", place=place, period=_period_label(q))))


def _key_word(pq: ParsedQuestion, plan: _QueryPlan) -> tuple[str, ...]:
    """The strings of the question's most specific word of what it asks about: its weightiest plain word, or the
    one character the question puts right before it (钛 of 钛产业: no index word); not its named measure (required on
    its own), nor a word of change (增长 asks for a kind of figure), nor a character of a name."""
    words = [(w, t) for t, w in plan.plain if t != METRIC_TERM and not _GROWTH_WORDS_RE.search(t)]
    if not words:
        return ()
    _w, best = max(words)
    # The question's content as parse_question() reads it: no fillers, question words or time words (今年 → 年).
    text = _PERIOD_WORDS_RE.sub(lambda m: "|" * len(m.group(0)), pq.q.core if pq.q is not None else pq.text.lower())
    for word in _DAY_AND_PART_WORDS:
        text = text.replace(word, "|" * len(word))
    pos = text.find(best)
    if pos > 0:
        c = text[pos - 1]
        names = {s.lower() for surfaces in pq.entities.values() for s in surfaces}
        taken = _name_spans(text, names | {t for t, _w in plan.plain if t != METRIC_TERM})
        if "\u4e00" <= c <= "\u9fff" and c not in _GLUE and not any(a <= pos - 1 < b for a, b in taken):
            return (c,)
    return _alternatives(plan, best)


def _lacking_key_word(index: SearchIndex, pq: ParsedQuestion, plan: _QueryPlan, cands: list[_Candidate]) -> set[int]:
    """Rows of the candidates whose text (and quoted context) lacks the question's key word, when another has it."""
    key = _key_word(pq, plan)
    if not key or len(cands) < 2:
        return set()
    masks = _matching(plan).name_masks
    lacking = set()
    for cand in cands:
        text = "".join(index.search_text(r) for r in (*cand.context_rows, cand.row))
        if masks:
            text = _without_names(text, masks)
        if not any(x in text for x in key):
            lacking.add(cand.row)
    return lacking if len(lacking) < len(cands) else set()


def suggest(index: SearchIndex, question: str, *, limit: int = 5) -> list[str]:
    """Known entity names closest to the question, for a helpful "no answer" reply."""
    from rapidfuzz import fuzz, process

    text = normalize_question(question)
    if not text:
        return []
    gaz = index.gazetteer
    known = {c for c, surfaces in gaz.surfaces.items() if any(_in_corpus(index, x.lower()) for x in surfaces)}
    choices = sorted(known | {r for d in index.documents.values() for r in d.regions})
    if not choices:
        return []
    found = process.extract(text, choices, scorer=fuzz.partial_ratio, limit=limit * 2, score_cutoff=50)
    names = [name for name, _score, _i in found]
    return list(dict.fromkeys(names))[:limit]
