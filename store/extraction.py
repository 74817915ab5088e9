"""Rule-based extraction of numeric facts (money, counts, percents, areas, ranks, dates, durations) from Chinese sentences."""

from __future__ import annotations

import bisect
import functools
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from store.normalize import aligned, simplified_many, source_span

logger = logging.getLogger(__name__)



@dataclass(frozen=True, slots=True)
class ExtractedFact:
    """One figure found in a sentence; ``sentence[start:end] == span``."""

    kind: str
    span: str
    start: int
    end: int
    value: float | None
    unit: str
    qualifier: str | None = None
    target: bool = False
    period: int | None = None
    subject: str | None = None
    metric: str | None = None
    label: str = ""
    date: str | None = None


# --------------------------------------------------------------------------- numbers

_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_PLACE = "十百千万亿"
_CN_CHARS = _CN_DIGIT + _CN_PLACE
_MAG = {"十": 10.0, "百": 100.0, "千": 1000.0, "万": 1e4, "亿": 1e8}
_ARABIC_MAG_RE = re.compile(r"^(\d+(?:\.\d+)?)([十百千万亿]*)$")


def _magnitude(chars: str) -> float:
    mult = 1.0
    for ch in chars:
        mult *= _MAG[ch]
    return mult


def _scaled(digits: str, mag: str) -> float:
    # via the exponent, so 4.27万亿 is 4.27e12 and not 4.27 * 1e12 = 4269999999999.9995
    if not mag:
        return float(digits)
    return float(f"{digits}e{round(math.log10(_magnitude(mag)))}")


@functools.lru_cache(maxsize=4096)
def _cn2an(text: str) -> float | None:
    import cn2an  # local: 0.15 s import, and most sentences never need it

    try:
        return float(cn2an.cn2an(text, "smart"))
    except Exception:  # cn2an raises ValueError and, on odd input, other errors
        logger.debug("cn2an could not convert %s", text)
        return None


def chinese_number(text: str) -> float | None:
    """Convert a Chinese, Arabic or mixed numeral ("一千四百五十四", "两", "3.5万", "千亿") to a float, or None."""
    return _number(text.strip().replace(",", ""))


@functools.lru_cache(maxsize=8192)
def _number(text: str) -> float | None:
    if not text:
        return None
    m = _ARABIC_MAG_RE.match(text)
    if m:
        return _scaled(m.group(1), m.group(2))
    if all(ch in _CN_PLACE for ch in text):
        # bare magnitudes ("千亿", "亿") are numbers in 亿元以上 / 过亿元, but cn2an refuses them
        return _magnitude(text)
    if any(ch not in _CN_CHARS and ch not in "0123456789.点" for ch in text):
        return None
    return _cn2an(text)


# --------------------------------------------------------------------------- units

_CURRENCY = {
    "元": "CNY",
    "美元": "USD",
    "欧元": "EUR",
    "港元": "HKD",
    "港币": "HKD",
    "日元": "JPY",
    "英镑": "GBP",
    "韩元": "KRW",
    "澳元": "AUD",
    "卢布": "RUB",
}
_PERCENT_UNITS = {"%": "%", "个百分点": "百分点", "百分点": "百分点", "成": "%"}
_AREA_UNITS = ("平方公里", "平方千米", "平方米", "公顷", "亩")
_DURATION_UNITS = {
    "个工作日": "天",
    "个小时": "小时",
    "个多月": "个月",
    "个月": "个月",
    "个星期": "周",
    "小时": "小时",
    "分钟": "分钟",
    "周年": "周年",
    "天": "天",
    "年": "年",
}
_OTHER_UNITS = (
    "千瓦时", "千瓦", "兆瓦", "吉瓦", "标准箱", "标箱", "立方米", "公里", "千米", "千克", "公斤", "斤",
    "吨", "倍", "岁", "米", "升",
)  # fmt: skip
_COUNT_UNITS = (
    "人次", "家次", "架次", "艘次", "车次", "个次", "批次", "项次", "户次", "件次", "辆次", "航次", "班次", "场次",
    "个", "项", "家", "名", "位", "户", "所", "座", "栋", "幢", "条", "辆", "台", "套", "片",
    "件", "批", "支", "只", "头", "张", "枚", "块", "处", "间", "架", "艘", "列", "场", "次",
    "例", "种", "类", "款", "部", "篇", "份", "宗", "笔", "株", "棵", "颗", "人",
)  # fmt: skip

_UNIT_KIND: dict[str, str] = {}
_UNIT_KIND.update(dict.fromkeys(_CURRENCY, "money"))
_UNIT_KIND.update(dict.fromkeys(_PERCENT_UNITS, "percent"))
_UNIT_KIND.update(dict.fromkeys(_AREA_UNITS, "area"))
_UNIT_KIND.update(dict.fromkeys(_DURATION_UNITS, "duration"))
_UNIT_KIND.update(dict.fromkeys(_OTHER_UNITS, "other"))
_UNIT_KIND.update(dict.fromkeys(_COUNT_UNITS, "count"))


def _alt(words: Sequence[str]) -> str:
    # longest first, so 个月 wins over 个 and 千瓦时 over 千瓦
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_PREFIXES = (
    "不少于", "不低于", "不超过", "不高于", "不足", "超过", "高于", "低于", "多于", "少于", "大于",
    "接近", "将近", "大约", "约合", "约", "近", "逾", "超", "达到", "高达", "多达", "达", "突破",
    "至少", "最高", "最多", "过",
)  # fmt: skip
_POSTFIXES = ("以上", "以下", "以内", "左右", "有余", "多", "余", "来")

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万亿]+"
# The patterns start at the number (a character-class scan is fast); a prefix qualifier is looked
# up behind it with _PREFIX_BEFORE_RE.
_NOT_ABOUT_BEFORE = frozenset("签合预节公制契条邀相履违践")
_PREFIX_BEFORE_RE = re.compile(rf"(?:{_alt(_PREFIXES)})$")
_QTY_RE = re.compile(
    rf"(?P<num>{_NUM})"
    r"(?P<in1>余|多)?(?P<mag>[十百千万亿]{0,3})(?P<in2>余|多)?(?P<big>大)?"
    # one charset test rejects most numbers before the long unit alternation is tried
    rf"(?=[{re.escape(''.join(sorted({u[0] for u in _UNIT_KIND})))}])"
    rf"(?P<unit>{_alt(list(_UNIT_KIND))})"
    rf"(?P<post>{_alt(_POSTFIXES)})?"
)
# 总投资100亿 (no 元) is money only next to a money word; checked in code.
_BARE_MAG_RE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)(?P<in1>余|多)?(?P<mag>[千百]?[万亿]{1,2})"
    r"(?P<post>以上|左右|多|余)?(?=[，。；、,;)）]|$)"
)
_MONEY_WORD_RE = re.compile(r"投资|资金|收入|产值|销售额|营收|总值|金额|融资|贷款|税收|预算|增资|基金|规模")
_PCT_CN_RE = re.compile(
    rf"(?P<pre>{_alt(_PREFIXES)})?百分之(?P<num>[零一二三四五六七八九十百点]+)(?P<post>以上|以下|左右)?"
)

# A range written as one figure: 3-4家, 5.0%—5.5%, 10～15亿元, 3至5个 (the lower end right before the upper).
_RANGE_LOW_RE = re.compile(r"(?<![\d.])(?<!\d,)(?P<lo>\d+(?:\.\d+)?)(?P<lomag>[万亿]{0,2})(?P<lopct>%)?(?:[-—–~～]|(?<=\d)[至到])$")
RANGE = "range"
# A figure that only delimits a class of things (亿元以上项目, 10亿元3个, 过亿元项目) is never an answer.
THRESHOLD = "threshold"
_THRESHOLD_KINDS = frozenset({"money", "area", "duration", "other"})
_THRESHOLD_POST = frozenset({"以上", "以下"})
_THRESHOLD_PRE = frozenset({"过", "超", "超过"})
# what follows a threshold: a noun (项目, 工业项目) or the class's count (10亿元3个); not a verb or connector
_NOUN_AFTER_RE = re.compile(
    r"(?:及以上)?(?:的)?(?![是为将和与及或在并且也都已均以等给予可]|人民币|大关|关口|台阶|量级)[\u4e00-\u9fff]|\d"
)

# characters that turn "number + measure word" into another word (两位数, 三种植, 十成为 …)
_UNIT_BAD_NEXT = {
    "位": "数于",
    "种": "植子业苗类",
    "类": "型似",
    "部": "门署分委",
    "片": "区",
    "处": "理置",
    "头": "部",
    "台": "湾阶山河县",
    "名": "单称义",
    "场": "景所地馆",
    "支": "持撑付出",
    "所": "有在以",
    "列": "入为",
    "元": "素宇器旦首老月宵件",
    "成": "为功立员熟本果就效长型品都交绩",
    "条": "例件",
    "人": "才民工",
    "家": "庭乡",
    "年": "级代度轻",
    "米": "粮",
    "次": "会",
    "项": "目",
}
_YEAR_NAME_NEXT = ("行动", "计划", "规划", "攻坚", "专项", "工程", "大变样", "成形", "见效")

# --------------------------------------------------------------------------- ranks

_RANK_SCOPE = r"全国|全省|全市|全区|全球|世界|同类城市|同类|中西部|东部|西部|副省级城市|省会城市|国家级经开区|国家级开发区|全国经开区|全国开发区"
_RANK_RE = re.compile(
    r"(?P<ord>第(?P<n>\d{1,3}|[一二三四五六七八九十]{1,3})(?P<tier>梯队|方阵)?(?P<suf>位|名)?)"
    r"|(?P<top>首位)"
    r"|(?P<front>前(?P<fn>\d{1,3}|[一二三四五六七八九十百]{1,4})(?P<fsuf>位|名|强)?)"
    r"|(?<=[列居])(?P<bare>(?P<bn>\d{1,3}|[一二三四五六七八九十]{1,3})(?:位|名))"
)
# 第3和第27名: an ordinal coordinated with a ranked one is ranked too
_RANK_COORD_RE = re.compile(r"[和与及、至](?:第)?(?:\d{1,3}|[一二三四五六七八九十]{1,3})[位名]")
# ranking cues anywhere in the clause before an ordinal that carries 位/名 (居全国城市第4位, 30强第6位)
_RANK_CUE_RE = re.compile(
    rf"排名|排位|位次|位列|位居|居于|名列|稳居|跃居|跻身|进入|迈入|挺进|至|保持|处于|居|列|排|强|{_RANK_SCOPE}"
)
# A move in a ranking (跃升21位, 前进一位, 下降两个位次): kind "rank", unit RANK_CHANGE, value signed.
RANK_CHANGE = "rank_change"
# 是全国第14个国家级新区, 成为全省第二批…: an ordinal of a designation, kind "rank" with this qualifier (第几个 asks it).
ORDINAL = "ordinal"
_ORDINAL_NEXT = frozenset("个批家座所")
_ORDINAL_BEFORE_RE = re.compile(r"(?:是|成为|系|列为)(?:全国|全省|全市|全区|我国|国内|全球|世界|中国|省内)?$")
_RANK_UP = "跃升|上升|提升|前移|前进|攀升|提高|进位"
_RANK_DOWN = "下降|下滑|后退|后移|回落|下跌"
_RANK_DOWN_WORDS = frozenset(_RANK_DOWN.split("|"))
_RANK_CHANGE_RE = re.compile(
    rf"(?P<verb>{_RANK_UP}|{_RANK_DOWN})了?(?P<n>\d{{1,4}}|[一二两三四五六七八九十百]{{1,3}})个?(?:位次|位|名)(?![数置于])"
)
_RANK_CHANGE_COORD_RE = re.compile(r"[和与及、](?P<n>\d{1,4}|[一二两三四五六七八九十百]{1,3})个?(?:位次|位|名)(?![数置于])")
# 第N / 首位 / 前N is a rank only after a ranking verb or scope: 全国排名第六, 位居全市第一, 居全国首位
_RANK_CONTEXT_RE = re.compile(
    rf"(?:排名|排位|位列|位居|居于|名列|稳居|跃居|跃升至|升至|上升至|上升到|提升至|保持|处于|居|列|排|{_RANK_SCOPE})$"
)
_RANK_BAD_NEXT = set("个批次届轮期条项座部款台家所例张单大号季代年天周章节课版阶波类种")

# --------------------------------------------------------------------------- time

# Time expressions are found from their 年 / 月 (str.find), then matched anchored: scanning every
# position with one big pattern cost a third of the extraction time.
_DATE_AT_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2}|[〇零一二][〇零一二三四五六七八九]{3})年(?!版|级|代)"
    r"(?:(?P<m>1[0-2]|0?[1-9])月(?:(?P<d>3[01]|[12]\d|0?[1-9])[日号])?)?"
    r"(?P<ysuf>年底|年初|年末|年中|底|初|末|上半年|下半年|前三季度|第?[一二三四1-4]季度|度)?"
    r"|(?P<m2>1[0-2]|0?[1-9])月(?:(?P<d2>3[01]|[12]\d|0?[1-9])[日号])?"
)
_CN_YEAR_RE = re.compile(r"[〇零一二][〇零一二三四五六七八九]{3}(?=年)")
_REL_TIME_RE = re.compile(
    r"(?P<rel>今年|本年|去年|上年|前年|明年|来年|年内|全年|过去一年|一年来|新的一年|近年来|近年|多年来|近几年|近些年"
    r"|同年|当年|次年|翌年)"
    r"(?:(?P<m3>1[0-2]|0?[1-9])月(?:(?P<d3>3[01]|[12]\d|0?[1-9])[日号])?)?"
)
_REL_OFFSET = {
    "今年": 0, "本年": 0, "年内": 0, "新的一年": 0, "全年": 0,
    "去年": -1, "上年": -1, "过去一年": -1, "一年来": -1,
    "前年": -2, "明年": 1, "来年": 1,
}  # fmt: skip
_REL_DATE_FACT = {"今年", "本年", "去年", "上年", "前年", "明年", "来年", "年内"}
# Years said of the year the sentence named before (2024年1月获批，同年12月通过验收，次年3月封关).
_SAME_YEAR_OFFSET = {"同年": 0, "当年": 0, "次年": 1, "翌年": 1}
_REL_RANGE = {"近年来", "近年", "多年来", "近几年", "近些年"}
_COMPARE_BEFORE = re.compile(r"(?:较|比|相比|与|同|对比)$")
_START_BEFORE = re.compile(r"(?:从|自)$")
_NAME_BEFORE = re.compile(r"(?:公布|发布|印发|公示|获评|入选|荣获|评为|评选|命名|授予|《|“)$")

# Plan cues.  Strong ones mark a target whatever else the sentence says; weak ones only when
# nothing in the sentence points to the past (已, 累计, 同比, 去年, 2022年 …).
_STRONG_CUE_RE = re.compile(
    r"力争|确保|预计(?!数|值)|(?<!超)预期(?!寿命)|目标(?!责任|考核|管理|体系|任务书)|(?<![模虚])拟(?!人|合)|(?<![即])将(?!近|其|士|军|领)|即将|有望"
)
_WEAK_CUE_RE = re.compile(
    r"年内|全年|明年|来年|新的一年|下一步|今后"
    r"|谋划(?:推进|实施|建设|布局|储备|引进|打造|落地|一批)"
    # 计划 the verb (计划新建…), not the noun (研发计划, 行动计划, 计划总投资)
    r"|(?:(?<=[今明全]年)|(?<![研行年项作展施才育程业划]))计划(?=新建|建设|实施|完成|开工|引进|新增|安排|推出|开展|用|到|在|于|年内|今年)"
)
# 全力推进…: an exhortation opens a plan, but only for the clause it starts
_EXHORT_RE = re.compile(r"全力|加快|加紧|抓紧|着力|大力|奋力|聚力|力促|加力")
# What stops an earlier plan cue from reaching a clause: a clause plainly about the past
# (累计, 同比 and 以来 also occur in plans: 力争…，累计完成投资300亿元).
_CLAUSE_PAST_RE = re.compile(
    r"已|曾|过去|不久前|此前|先后|去年|上年|前年|近年|连续\d|连续[一二两三四五六七八九十]"
    r"|首次|获批|获评|荣获|跃居|稳居|位居|实现了|取得了|完成了"
)
_PAST_RE = re.compile(
    r"已|曾|累计|过去|以来|年来|不久前|此前|先后|同比|环比|去年|上年|前年|近年|连续\d|连续[一二两三四五六七八九十]"
    r"|首次|获批|获评|荣获|跃居|稳居|位居|实现了|取得了|完成了"
)
# 将 as the disposal marker (将23项事项调整由…实施, 将X纳入…) is not the future tense
_DISPOSAL_RE = re.compile(
    r"纳入|列入|作为|列为|调整|转为|改为|划入|确定为|下放|交由|(?:提高|提升|扩大|降低|下调|上调|增加|延长|缩短|放宽|降|升|增|减|压减|缩减)[到至]"
)
_TARGET_NOUN_RE = re.compile(r"完成|实现|超|优于|高于|低于|考核|达到|达成")
# 全年 alone marks a plan only for a threshold figure (全年推出100项以上); 全年生产总值6.36万亿元 is a result
_PLAN_QUALIFIERS = frozenset({"以上", "左右", "不少于", "不低于", "以内", "以下", "不超过", "至少"})
_CLAUSE_DELIM_RE = re.compile(r"[，,；;：:。！？!?]")

# --------------------------------------------------------------------------- fixed phrases

_STOP_RE = re.compile(
    r"四个(?:意识|自信|全面|服务|必须|革命)|两个(?:确立|维护|毫不动摇|结合|大局|一百年|先行|务必|率先|市场|根本)"
    r"|两种资源|八项规定|五项原则|三个代表|一件事|一次办好|跑一次|一张网|一张图|一盘棋|一条龙|一揽子|一站式|一把手"
    r"|[一二三四五六七八九十]+次(?:全体)?(?:会议|全会)|[一二三四五六七八九十]+届|三番五次|一成不变|海洋十年|十年禁渔"
    r"|二次创业|二次开发"
    r"|五年规划|十四五|十五五|十三五|一带一路|建(?:军|党|国)[一二三四五六七八九十百]+(?:周年|年)"
)
_HAS_CN_NUM_RE = re.compile(r"[零〇一二两三四五六七八九十]")
# cheap gate before the heavy patterns: no digit and no numeral character, no quantity
_NUMERIC_RE = re.compile(r"[0-9零〇一二两三四五六七八九十百千万亿]")

# --------------------------------------------------------------------------- labels

_ENTITY_SUFFIX = (
    r"新区|开发区|经开区|高新区|自贸区|自贸片区|片区|产业园|园区|基地|项目|公司|集团|企业|工厂|中心"
    r"|港|市|省|县|区|镇|街道|园|城|集群|平台|综合体|工程|景区"
)
_ENTITY_RE = re.compile(rf"[^，。；：、的]{{1,22}}?(?:{_ENTITY_SUFFIX})")
_GENERIC_PLACES = frozenset({"园区", "景区", "社区", "城区", "市区", "片区", "小区", "地区", "辖区", "全区", "本市"})
_DE_ENTITY_RE = re.compile(rf"的((?:\d+|[一二两三四五六七八九十百千]+)?[个项家座栋条]?[^，。；：、的]{{1,22}}?(?:{_ENTITY_SUFFIX}))")
_LEADING_TIME_RE = re.compile(
    r"^(?:(?:(?:19|20)\d{2}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}[-—~至]\d{1,2}月|今年|去年|本年|上年|明年|全年|年内"
    r"|上半年|下半年|前三季度|[一二三四1-4]季度|同期|以来)[，,、]?)+"
)
_NOT_ENTITY_RE = re.compile(r"居|位列|名列|排名|增长|增速|同比|下降|实现|完成|达到")
_FIGURE_IN_NAME_RE = re.compile(r"\d|[万亿]元|以上|以下")
_LEADING_COUNT_RE = re.compile(r"^(?:\d+|[一二两三四五六七八九十百千]+)[个项家座栋条]?")
_LEADING_NOISE_RE = re.compile(
    r"^(?:(?:其中|同时|此外|另外|而且|而|并|据悉|据了解|记者从|记者|目前|例如|比如|特别是|尤其是|已经|已|从|作为|是|在(?![建线校岗职售营途即]))"
    r"|(?:力争|确保|预计|争取|计划|目标|将|要))*"
    r"(?:全力|加快|加紧|抓紧|着力|大力|奋力|聚力|持续|深入|积极|重点|全面|扎实|不断|进一步)*"
    r"(?:推进|推动|实施|建设|引进|打造|新建|新增|开工|谋划|培育|支持|围绕|聚焦|依托|抓好|抓实|加强|强化|提升|深化"
    r"|落实|坚持|开展|组织|出台|确定|研究|发展)?"
)
_METRIC_CUT_RE = re.compile(
    r"(?:完成|实现|累计|引进|签约|落地|集聚|推出|形成|建成|新增|新建|开工|推进|建设|入选|拥有|达成|涵盖|其中|共有"
    r"|今年|去年|全年|年内|上年|同期|以上|分别|均|共计|合计|总计|确定|等|、|预计|力争|争取|包括)"
)
_METRIC_TRAIL_RE = re.compile(
    r"(?:为|是|达|达到|共|共计|合计|累计|总计|分别|均|约|有|了|到|至|再|超|已|仅|即|又|迈|增|力争|争取|预计|将|继续|从|由|自)+$"
)
_RANK_LEAD_RE = re.compile(r"^(?:名列|位列|位居|居于|稳居|跃居|跻身|进入|居|列)")
# a single-character place suffix that is the start of a longer word (市场, 区域, 港口): not an entity end
_SUFFIX_BAD_NEXT = {"市": "场民值委长政级", "区": "域间块", "城": "市乡镇", "港": "口", "园": "林", "县": "域城级", "省": "委级"}
_ENTITY_BREAK_RE = re.compile(r"[从对向把被给]")
_RANK_TRAIL_RE = re.compile(
    rf"(?:(?:{_RANK_SCOPE})(?:城市|排名|排位|位次)?|位列|位居|居于|名列|稳居|跃居|跻身|进入|跃升至|升至|上升至|上升到|提升至|至|保持|处于|继续|均|居|列|排|在)+$"
)
_RIGHT_CUT_RE = re.compile(
    r"购销|集中|开工|建设|实现|完成|入驻|竣工|投产|投用|落地|签约|正在|已|将|均|全面|累计|加快|推进|创出|处于|成为"
    r"|获得|达到|和|与|及|等|中|在|的|分别|全部|进行|参与|相继|\d"
)
_DIRECTION_RE = re.compile(r"(?:增长|下降|提高|降低|增加|减少|上升|回落|下滑|提升|增速|涨幅|降幅)$")


# A label never starts or ends with a function word (和, 以, 对 …) unless the word is in the
# dictionary (和林县, 对外开放, 在建项目); it is dropped when nothing meaningful is left.
_LABEL_LEAD_RE = re.compile(r"^(?:以及|以|和|与|及|对|向|为|由|从|在|较|同|将|把|被|的|于|其)")
_LABEL_TRAIL_RE = re.compile(r"(?:和|与|及|的|为|从|对|较|以|于|或)+$")
_LABEL_JUNK_RE = re.compile(r"^[\d.%\s()（）、,，\-—]*$")
_PLACE_LIKE_RE = re.compile(r"^.{1,3}[县市区镇乡旗州]$")  # 和林县, 与城区: a short place name keeps its first character
_CHANGE_TO_RE = re.compile(r"^(?:增长|增加|提高|提升|上升|扩大|下降|减少|降低|跃升|增|降)(?:至|到)")
_PARALLEL_RE = re.compile(r"^[和与及、或至]$")


def _known_word(text: str) -> bool:
    from store.tokenize import get_tokenizer  # local: the dictionary is loaded on first use

    freq = get_tokenizer().FREQ
    return any(freq.get(text[:n]) for n in (2, 3, 4))


@functools.lru_cache(maxsize=65536)
def _clean_label(label: str | None) -> str | None:
    """A label that is words of the clause: function words trimmed, single characters and numbers dropped."""
    if not label:
        return None
    text = label.strip(" “”\"'()（）、,，")
    for _ in range(2):
        m = _LABEL_LEAD_RE.match(text)
        if m and len(text) > m.end() + 1 and not _PLACE_LIKE_RE.match(text) and not _known_word(text):
            text = text[m.end() :]
    text = _LABEL_TRAIL_RE.sub("", text)
    if len(text) < 2 or _LABEL_JUNK_RE.match(text) or _LABEL_LEAD_RE.fullmatch(text):
        return None
    return text


@dataclass(slots=True)
class _Time:
    start: int
    end: int
    year: int | None
    kind: str  # explicit, relative, compare, start, range, name
    past: bool
    date: str | None
    text: str


@dataclass(slots=True)
class _Cand:
    kind: str
    start: int
    end: int
    num_start: int
    value: float | None
    unit: str
    qualifier: str | None
    date: str | None = None
    time: _Time | None = None


@dataclass(slots=True)
class _State:
    """What a sentence hands on to the next one in its paragraph."""

    topic: bool = False
    topic_period: int | None = None
    topic_past: bool = False
    final_period: int | None = None
    past: bool = False
    cue: str | None = None  # "strong" / "weak" when a plan cue is still open at the end
    lead: str | None = None  # the entity the sentence is about, for the next ；-cut part


def _spans(sentence: str, open_ch: str, close_ch: str, max_len: int) -> list[tuple[int, int]]:
    out = []
    i = sentence.find(open_ch)
    while i != -1:
        j = sentence.find(close_ch, i + 1)
        if j == -1:
            break
        if j - i - 1 <= max_len:
            out.append((i, j + 1))
        i = sentence.find(open_ch, j + 1)
    return out


def _prefix(s: str, ns: int) -> str | None:
    m = _PREFIX_BEFORE_RE.search(s, max(0, ns - 3), ns)
    if m and m.group() == "约" and s[m.start() - 1 : m.start()] in _NOT_ABOUT_BEFORE:
        return None  # 签约, 节约, 制约: not the qualifier 约
    return m.group() if m else None


def _qty_candidate(m: re.Match[str], s: str) -> _Cand | None:
    num = m.group("num")
    unit = m.group("unit")
    kind = _UNIT_KIND[unit]
    ns, ne = m.span("num")
    prev = s[ns - 1] if ns else ""
    after = s[m.end("unit") : m.end("unit") + 1]
    pre = _prefix(s, ns)
    mag = m.group("mag")
    arabic = num[0].isdigit()
    low = _RANGE_LOW_RE.search(s, max(0, ns - 16), ns) if arabic and not pre else None
    if low is not None:
        prev = " "  # 3-4家: the dash joins the lower end of a range
    if prev == "第" or (arabic and (prev.isascii() and (prev.isalnum() or prev in "./#_"))):
        return None
    if prev == "+" and arabic and kind != "percent":
        return None  # C++11, 5+2: not figures; YoY +15.2% is a signed growth rate
    if m.group("big") and (arabic or kind != "count"):
        return None  # 五大类 is a count; 5大类 and 三大元 are not written
    if ne < len(s) and s[ne : ne + 1] in ("+", "/") and arabic:
        return None
    bad_next = _UNIT_BAD_NEXT.get(unit)
    if bad_next and after and after in bad_next:
        return None
    if m.group("post") == "来" and kind != "duration":
        return None  # 来 is a qualifier only in 三年来
    if arabic:
        value: float | None = _scaled(num.replace(",", ""), mag)
    else:
        if len(num) >= 2 and not any(ch in _CN_PLACE for ch in num):
            return None  # 一一, 三四, 二〇二三: digit strings, not quantities
        value = chinese_number(num + mag)
        if value is None:
            return None
        bare = all(ch in _CN_PLACE for ch in num) and num != "十"
        if bare and (kind != "money" or not (pre or m.group("post"))):
            return None  # 千亿级, 百场, 千家万户: bare magnitudes count only as 亿元以上 / 过亿元
        if s.startswith("“", m.end()):
            return None  # 五个“必须统筹好”, 三个“十大”: numbered slogans
        if bare and prev in "每/位":
            return None
        if kind in ("count", "duration") and num in ("一", "二"):
            return None  # 一个, 一批, 二期: articles and ordinals, not counts (counting uses 两)
        if kind == "money" and not any(ch in _CN_PLACE for ch in num + mag):
            return None  # 二元结构, 三元锂
    if unit == "成" and (value is None or value > 10 or mag):
        return None
    if kind == "duration" and prev == "前" and s[ns - 2 : ns - 1] != "提" and unit in ("个月", "个多月"):
        return None  # 今年前10个月 is the part of the year the figures are of, not a duration (提前3个月 is one)
    if unit == "年":
        if arabic and value is not None and value >= 1000:
            return None  # a calendar year, handled by the time pattern
        if s.startswith(_YEAR_NAME_NEXT, m.end("unit")):
            return None  # 三年行动计划, 三年攻坚行动: programme names
    if pre == "过" and s[ns - 2 : ns - 1] in ("通", "经", "度", "越", "穿", "跨", "超", "不"):
        pre = None  # 通过3年, 经过5年: not the qualifier 过
    qualifier = pre or m.group("in1") or m.group("in2") or m.group("post")
    start = ns - len(pre) if pre else ns
    end = m.end()
    if value is not None and unit == "成":
        value *= 10
    if low is not None and value is not None:
        upper = _scaled(num.replace(",", ""), mag)
        lower = _scaled(low.group("lo"), low.group("lomag") or mag)
        if lower < upper and (not low.group("lopct") or kind == "percent"):
            # the range is one figure; its value is the lower end
            value, qualifier, start = value * lower / upper, RANGE, low.start()
    if kind in _THRESHOLD_KINDS and qualifier != RANGE and _is_threshold(s, end, pre, m.group("post")):
        qualifier = THRESHOLD
    if kind == "money":
        norm_unit = _CURRENCY[unit]
    elif kind == "percent":
        norm_unit = _PERCENT_UNITS[unit]
    elif kind == "duration":
        norm_unit = _DURATION_UNITS[unit]
    else:
        norm_unit = unit
    return _Cand(kind, start, end, ns, value, norm_unit, qualifier)


def _is_threshold(s: str, end: int, pre: str | None, post: str | None) -> bool:
    """True when a figure ending at `end` delimits a class of things (亿元以上项目, 10亿元3个, 过亿元项目)."""
    if post in _THRESHOLD_POST:
        return bool(_NOUN_AFTER_RE.match(s, end))
    if post is None and (pre in _THRESHOLD_PRE or pre is None):
        # 过亿元项目 / 超10亿元项目 / 10亿元3个: the figure is directly followed by the class or its count
        nxt = s[end : end + 1]
        if nxt.isdigit():
            return True
        return pre is not None and nxt != "的" and bool(_NOUN_AFTER_RE.match(s, end))
    return False


def _iso(year: int, month: str | None, day: str | None) -> str:
    if month and day:
        return f"{year:04d}-{int(month):02d}-{int(day):02d}"
    if month:
        return f"{year:04d}-{int(month):02d}"
    return f"{year:04d}"


def _time_matches(s: str) -> list[re.Match[str]]:
    found: list[re.Match[str]] = []
    for ch in "年月":
        p = s.find(ch)
        while p != -1:
            i = p
            while i > 0 and s[i - 1].isdigit():
                i -= 1
            run = p - i
            prev = s[i - 1] if i else " "
            is_year = ch == "年" and run == 4 and prev != "."
            is_month = ch == "月" and 0 < run <= 2 and prev not in ".-~—–年"  # 1-11月 is a range
            if is_year or is_month:
                m = _DATE_AT_RE.match(s, i)
                if m:
                    found.append(m)
            p = s.find(ch, p + 1)
    if "〇" in s or "零" in s:
        found.extend(m for c in _CN_YEAR_RE.finditer(s) if (m := _DATE_AT_RE.match(s, c.start())))
    if "年" in s:
        found.extend(_REL_TIME_RE.finditer(s))
    found.sort(key=lambda m: (m.start(), -m.end()))
    out: list[re.Match[str]] = []
    last_end = -1
    for m in found:
        if m.start() >= last_end:
            out.append(m)
            last_end = m.end()
    return out


def _time_exprs(s: str, doc_year: int | None, context_period: int | None) -> list[_Time]:
    out: list[_Time] = []
    for m in _time_matches(s):
        st, en = m.span()
        rel = m.groupdict().get("rel")
        if rel:
            if rel in _REL_RANGE:
                out.append(_Time(st, en, None, "range", True, None, rel))
                continue
            if rel in _SAME_YEAR_OFFSET:
                prior = [t.year for t in out if t.kind in ("explicit", "relative") and t.year is not None]
                year = prior[-1] + _SAME_YEAR_OFFSET[rel] if prior else None
                date = _iso(year, m.group("m3"), m.group("d3")) if year is not None and m.group("m3") else None
                if not m.group("m3"):
                    en = m.end("rel")
                out.append(_Time(st, en, year, "relative", year is not None and doc_year is not None and year < doc_year,
                                 date, rel))
                continue
            base = context_period if rel == "全年" and context_period is not None else doc_year
            year = base + _REL_OFFSET[rel] if base is not None else None
            if rel in ("全年", "年内"):
                # 2022年推进…，完成全年目标的142%: the year is the one the sentence is about
                prior = [t.year for t in out if t.kind in ("explicit", "relative") and t.year is not None]
                if prior:
                    year = prior[-1]
            kind = "relative"
            if s.startswith("同期", en) or _COMPARE_BEFORE.search(s, max(0, st - 2), st):
                kind = "compare"
            past = rel in ("去年", "上年", "前年", "过去一年", "一年来") or (
                year is not None and doc_year is not None and year < doc_year
            )
            date = None
            if year is not None and rel in _REL_DATE_FACT:
                date = _iso(year, m.group("m3"), m.group("d3"))
            elif m.group("m3"):
                en = m.end("rel")  # 全年9月 is not a date; keep the span to the relative word
            out.append(_Time(st, en, year, kind, past, date, rel))
            continue
        ytxt = m.group("y")
        if ytxt:
            year = int(ytxt) if ytxt.isdigit() else int(chinese_number(ytxt) or 0) or None
            month, day = m.group("m"), m.group("d")
        else:
            year = context_period if context_period is not None else doc_year
            month, day = m.group("m2"), m.group("d2")
        date = _iso(year, month, day) if year is not None else None
        head = s[max(0, st - 2) : st]
        tail = s[en : en + 2]
        if _NAME_BEFORE.search(head):
            kind = "name"
        elif tail == "同期" or _COMPARE_BEFORE.search(head) or tail.startswith("相比"):
            kind = "compare"
        elif (_START_BEFORE.search(head) and not tail.startswith("的")) or tail in ("以来", "开始") or tail.startswith("起"):
            # 从2022年开始 is a start; 从2020年的1778亿元(增长到…) is that year's figure
            kind = "start"
        else:
            kind = "explicit"
        past = year is not None and doc_year is not None and year < doc_year and kind != "compare"
        out.append(_Time(st, en, year, kind, past, date, m.group()))
    return out


class _Ctx:
    """Per-sentence context: clauses, time expressions, plan cues and past markers."""

    __slots__ = (
        "context_period", "delims", "doc_year", "exhort", "inherit", "past", "s", "strong",
        "times", "weak",
    )  # fmt: skip

    def __init__(
        self,
        s: str,
        doc_year: int | None,
        context_period: int | None,
        context_past: bool,
        inherit: _State | None,
        times: list[_Time],
    ) -> None:
        self.s = s
        self.doc_year = doc_year
        self.context_period = context_period
        self.inherit = inherit
        self.times = times
        self.delims = [m.start() for m in _CLAUSE_DELIM_RE.finditer(s)]
        self.strong = [m.start() for m in _STRONG_CUE_RE.finditer(s) if self._strong_ok(m)]
        self.weak: list[tuple[int, str]] = []
        for m in _WEAK_CUE_RE.finditer(s):
            if m.group() != "全年" or context_period is None or doc_year is None or context_period >= doc_year:
                self.weak.append((m.start(), m.group()))
        if doc_year is not None:
            for t in times:
                # 到2027年 / 2030年前: a year still ahead is a deadline
                if t.kind == "explicit" and t.year is not None and t.year > doc_year:
                    self.weak.append((t.start, "future"))
        self.exhort = [m.start() for m in _EXHORT_RE.finditer(s) if m.start() == 0 or s[m.start() - 1] in "，,；;：:"]
        past = context_past or bool(inherit and inherit.past)
        if not past:
            past = bool(_PAST_RE.search(s)) or any(t.past for t in times)
        self.past = past

    def _strong_ok(self, m: re.Match[str]) -> bool:
        word, pos, s = m.group(), m.start(), self.s
        if word == "将":
            end = _CLAUSE_DELIM_RE.search(s, pos)
            if _DISPOSAL_RE.search(s, pos, end.start() if end else len(s)):
                return False
        # 完成全年目标的142%, 优于国家考核目标19.8个百分点: the target is a yardstick for a result
        return not (word == "目标" and _TARGET_NOUN_RE.search(s, max(0, pos - 6), pos))

    def clause_bounds(self, pos: int) -> tuple[int, int, int]:
        i = bisect.bisect_left(self.delims, pos)
        start = self.delims[i - 1] + 1 if i > 0 else 0
        end = self.delims[i] if i < len(self.delims) else len(self.s)
        return i, start, end

    def own_time(self, start: int) -> _Time | None:
        """Nearest time expression before a fact in the sentence (comparisons and names skipped)."""
        best: _Time | None = None
        for t in self.times:
            if t.start >= start:
                break
            if t.kind not in ("compare", "name") and t.end <= start:
                best = t
        return best

    def target(self, end: int, own: _Time | None, qualifier: str | None) -> bool:
        doc_year = self.doc_year
        if own is not None and own.past:
            return False
        _, cstart, cend = self.clause_bounds(end - 1)
        strong = any(cstart <= c < cend for c in self.strong)
        if not strong and any(c < cstart for c in self.strong):
            # 预计…，区域创新能力连续8年全国第一: an earlier cue does not reach a clause about the past
            strong = not _CLAUSE_PAST_RE.search(self.s, cstart, cend)
        context_past = self.context_period is not None and doc_year is not None and self.context_period < doc_year
        if own is None and self.inherit is None and context_past and not strong:
            return False
        if strong or (self.inherit is not None and self.inherit.cue == "strong"):
            return True
        if self.past:
            return False
        if self.inherit is not None and self.inherit.cue == "weak":
            return True
        for pos, word in self.weak:
            if pos < cend and (word != "全年" or qualifier in _PLAN_QUALIFIERS):
                return True
        return any(cstart <= pos < cend for pos in self.exhort)


def _left_metric(s: str, lo: int, hi: int, kind: str, subject: str | None) -> str:
    left = _LEADING_NOISE_RE.sub("", s[lo:hi], count=1)
    k = left.find("从")
    if k >= 2:
        left = left[:k]  # 日均进出境车辆从设立前的980辆: the measure comes before 从
    if subject and left.startswith(subject):
        left = left[len(subject) :]
    if kind == "rank":
        left = _RANK_LEAD_RE.sub("", _RANK_TRAIL_RE.sub("", left))
    left = _METRIC_TRAIL_RE.sub("", left)
    cuts = list(_METRIC_CUT_RE.finditer(left))
    if cuts:
        left = left[cuts[-1].end() :]
    left = _METRIC_TRAIL_RE.sub("", left.rstrip("的、"))
    if len(left) > 12:
        k = left.rfind("的")
        left = left[k + 1 :] if k != -1 else left[-10:]
    left = left.strip(" “”\"'、")
    if "(" in left or ")" in left or "（" in left or "）" in left:
        left = _TRAILING_GLOSS_RE.sub("", left)  # 地区生产总值(GDP)
        left = _LEADING_GLOSS_RE.sub("", left)  # (以下简称示范区)出口
        if left.count("(") != left.count(")") or left.count("（") != left.count("）"):
            parts = _PAREN_RE.split(left)
            # 简称X)外贸 → 外贸 (the measure follows a closed note); 地区生产总值(GDP → the name before it
            first = _PAREN_RE.search(left)
            left = parts[-1] if first is not None and first.group() in ")）" else parts[0]
    return left.strip(" “”\"'()（）、")


def _right_noun(s: str, pos: int, cend: int) -> str:
    right = s[pos:cend]
    for ch in "、（(《)）":
        k = right.find(ch)
        if k != -1:
            right = right[:k]
    right = right.replace("“", "").replace("”", "")
    if right[:1].isdigit():
        return ""  # 12类45件民生实事: the noun belongs to the next figure
    k = right.rfind("的")
    if k != -1 and k < 12:
        right = right[k + 1 :]
    for m in _RIGHT_CUT_RE.finditer(right):
        if m.start() > 0:
            right = right[: m.start()]
            break
    return right[:10]


def _entity_at(s: str, lo: int, hi: int) -> str | None:
    text = _LEADING_NOISE_RE.sub("", s[lo:hi], count=1)
    text = _LEADING_TIME_RE.sub("", text, count=1)
    text = _LEADING_NOISE_RE.sub("", text, count=1)  # 今年计划实施重点项目: time first, then the verbs
    m = _ENTITY_RE.match(text)
    if not m:
        return None
    ent = m.group()
    nxt = text[m.end() : m.end() + 1]
    if nxt and nxt in _SUFFIX_BAD_NEXT.get(ent[-1], ""):
        return None  # 产品占全疆市(场): the suffix starts another word
    brk = [b for b in _ENTITY_BREAK_RE.finditer(ent, 1) if not _known_word(ent[b.start() : b.start() + 4])]
    if brk:
        ent = ent[brk[-1].end() :]  # 日均进出境车辆从自贸试验区 → 自贸试验区
    ent = _clean_label(ent) or ""
    if (len(ent) < 3 and ent != "新区") or ent in _GENERIC_PLACES or ent[0] in "全本该各我其这此那每" or ent[-2] in "全本该各我":
        return None  # 全省, 本市, 均居全市 are scopes
    if _FIGURE_IN_NAME_RE.search(ent):
        return None  # 亿元以上海洋产业项目 is a class of projects, not an entity
    if _NOT_ENTITY_RE.search(ent):
        return None  # 增速居全国城(市): a predicate, not a name
    return ent


def _label(
    s: str, c: _Cand, ctx: _Ctx, prev: _Cand | None, prev_metric: str | None, lead: str | None
) -> tuple[str | None, str | None]:
    _, cstart, cend = ctx.clause_bounds(c.start)
    lo = cstart
    if prev is not None and lo < prev.end <= c.start:
        lo = prev.end
    for t in ctx.times:
        if lo <= t.start and t.end <= c.start:
            lo = t.end
    clause_entity = _entity_at(s, cstart, c.start)
    metric: str | None = None
    if c.kind == "count":
        metric = _clean_label(_right_noun(s, c.end, cend))
    if metric is None:
        metric = _clean_label(_left_metric(s, lo, c.start, c.kind, clause_entity))
    if metric is not None and _CHANGE_TO_RE.match(metric):
        metric = None  # …增长至目前的1600辆: the change names no measure
    if metric is None and c.start > cstart:
        # 外贸从2020年的1778亿元: the measure stands before the time expression
        first = next((t for t in ctx.times if cstart <= t.start and t.end <= c.start), None)
        if first is not None and first.start > cstart:
            metric = _clean_label(_METRIC_TRAIL_RE.sub("", _left_metric(s, cstart, first.start, c.kind, clause_entity)))
    if prev is not None and prev_metric and prev.kind == c.kind and _PARALLEL_RE.match(s[prev.end : c.start]):
        metric = prev_metric  # 分别完成投资10亿元和8亿元: the second figure has the first one's measure
    elif (
        metric is None and prev is not None and prev_metric and prev.kind == c.kind
        and prev.unit.rstrip("次") == c.unit.rstrip("次")  # 350辆 … 900辆次
        and cstart <= prev.start
    ):
        metric = prev_metric  # 外贸从2020年的1778亿元增长到2023年的3064亿元: the same measure
    if c.kind in ("percent", "other", "rank") and prev_metric and (metric is None or _DIRECTION_RE.search(metric)):
        trail = _DIRECTION_RE.search(prev_metric)
        if metric is None or prev_metric.endswith(metric):
            metric = prev_metric
        elif trail and trail.start() >= 2 and len(metric) <= 3:
            metric = prev_metric[: trail.start()] + metric  # 进出口值增长…增速居 → 进出口值增速
        elif len(metric) <= 4:
            metric = prev_metric + metric
    subject: str | None = None
    if c.kind in ("money", "area", "other"):
        # 总投资475亿元的青岛光电产业园: the figure describes the noun after 的
        k = s.find("的", c.end, cend)
        if k != -1 and k - c.end <= 20:
            m = _DE_ENTITY_RE.match(s, k, cend)
            if m:
                ent = _LEADING_COUNT_RE.sub("", m.group(1))
                if len(ent) >= 2:
                    subject = ent
    if subject is None:
        subject = clause_entity
    k = s.rfind("的", lo, c.start)
    if k > lo + 1 and c.kind != "count":
        tail = _METRIC_TRAIL_RE.sub("", s[k + 1 : c.start])
        if 3 <= len(tail) <= 12 and _ENTITY_END_RE.search(tail) and _entity_at(s, k + 1, c.start) == tail:
            # 产业集中度最高的玉溪高新区达82.4%: the entity is the subject, what precedes 的 the measure
            head = _clean_label(_SUPERLATIVE_RE.sub("", _left_metric(s, lo, k, c.kind, clause_entity)))
            if head:
                subject, metric = subject or tail, head
    subject = _clean_label(subject)
    if c.kind == "count" and metric is None and subject and not _PLACE_END_RE.search(subject):
        # 重点项目120个: the counted thing is the measure, not the subject
        metric, subject = subject, (lead if lead and lead != subject and _PLACE_END_RE.search(lead) else None)
    if subject and metric and (metric in subject or subject in metric):
        subject = lead if lead and lead != subject and lead not in metric else None
    if subject is None and lead and not (metric and lead in metric):
        subject = lead
    return subject, metric


def _in_place_name(s: str, c: _Cand) -> bool:
    """True when a Chinese numeral is part of a place name (九台区, 三门峡市, 七台河): not a figure."""
    from store.places import places_in  # local: the gazetteer loads on first use

    lo = max(0, c.num_start - 3)
    return any(a <= c.num_start - lo < b for a, b, _ in places_in(s[lo : c.end + 4]))


def _number_candidates(s: str) -> list[_Cand]:
    cands = [c for m in _QTY_RE.finditer(s) if (c := _qty_candidate(m, s)) is not None]
    cands = [c for c in cands if s[c.num_start].isdigit() or not _in_place_name(s, c)]
    if "百分之" in s:
        for m in _PCT_CN_RE.finditer(s):
            v = chinese_number(m.group("num"))
            if v is not None:
                q = m.group("pre") or m.group("post")
                cands.append(_Cand("percent", m.start(), m.end(), m.start("num"), v, "%", q))
    for m in _BARE_MAG_RE.finditer(s) if "万" in s or "亿" in s else ():
        ns = m.start("num")
        if not _MONEY_WORD_RE.search(s, max(0, ns - 10), ns):
            continue
        if ns and s[ns - 1].isascii() and (s[ns - 1].isalnum() or s[ns - 1] == "."):
            continue
        v = _scaled(m.group("num"), m.group("mag"))
        pre = _prefix(s, ns)
        q = pre or m.group("in1") or m.group("post")
        if _is_threshold(s, m.end(), pre, m.group("post")):
            q = THRESHOLD
        cands.append(_Cand("money", ns - len(pre) if pre else ns, m.end(), ns, v, "CNY", q))
    return cands


def _rank_candidates(s: str) -> list[_Cand]:
    cands = []
    ordinal = "第" in s or "首位" in s or "前" in s or "列" in s or "居" in s
    for m in _RANK_RE.finditer(s) if ordinal else ():
        st, en = m.span()
        nxt = s[en] if en < len(s) else ""
        if nxt in _RANK_BAD_NEXT:
            n = m.group("n")
            designation = nxt in _ORDINAL_NEXT and n and not (m.group("tier") or m.group("suf"))
            if designation and _ORDINAL_BEFORE_RE.search(s, max(0, st - 6), st) and (nth := chinese_number(n)) is not None:
                cands.append(_Cand("rank", st, en + 1, st, nth, "rank", ORDINAL))
            continue  # 第一个, 第二批, 第三届: ordinals, not ranks
        tier = m.group("tier")
        suffixed = bool(m.group("suf") or m.group("fsuf") or m.group("bare"))
        coord = not suffixed and bool(m.group("ord")) and bool(_RANK_COORD_RE.match(s, en))  # 第3和第27名
        if not tier and not coord and not _RANK_CONTEXT_RE.search(s, max(0, st - 8), st):
            # 居全国城市第4位, 30强第6位, 获得第3名: a ranking cue in the clause or nothing after
            lo = st
            while lo > 0 and st - lo < 16 and s[lo - 1] not in "，,；;。：:！？!?":
                lo -= 1
            cue = _RANK_CUE_RE.search(s, lo, st)
            if not (suffixed and (cue or not ("\u4e00" <= nxt <= "\u9fff"))):
                continue
        if m.group("top"):
            v: float | None = 1.0
            q = None
        elif m.group("front"):
            v, q = chinese_number(m.group("fn")), "前"
        elif m.group("bare"):
            v, q = chinese_number(m.group("bn")), None
        else:
            v, q = chinese_number(m.group("n")), tier
        if v is not None:
            cands.append(_Cand("rank", st, en, st, v, "rank", q))
    for m in _RANK_CHANGE_RE.finditer(s) if "位" in s or "名" in s else ():
        n = chinese_number(m.group("n"))
        if n is not None:
            verb = m.group("verb")
            sign = -1.0 if verb in _RANK_DOWN_WORDS else 1.0
            cands.append(_Cand("rank", m.start(), m.end(), m.start("n"), sign * n, RANK_CHANGE, verb))
            # 分别前移5位和9位: a move coordinated with one is a move too (of the next subject listed).
            pos = m.end()
            while (c := _RANK_CHANGE_COORD_RE.match(s, pos)) and (k := chinese_number(c.group("n"))) is not None:
                cands.append(_Cand("rank", c.start("n"), c.end(), c.start("n"), sign * k, RANK_CHANGE, verb))
                pos = c.end()
    return cands


def _topic(s: str, times: list[_Time], state: _State) -> None:
    """Record a leading time adverbial (去年，/ 2022年，/ 今年春节期间，) that governs the next sentences."""
    for t in times[:2]:
        if t.kind in ("compare", "name"):
            continue
        ci, cstart, cend = _clause_bounds_simple(s, t.start)
        if ci <= 1 and cend - cstart - (t.end - t.start) <= 5 and cend < len(s):
            state.topic = True
            state.topic_period = t.year if t.kind in ("explicit", "relative") else None
            state.topic_past = t.past or t.kind in ("start", "range")
            return


def _select(s: str, cands: list[_Cand]) -> list[_Cand]:
    """Drop overlaps (earliest, then longest wins) and figures inside set phrases, titles and slogans."""
    # earliest, then longest; on a tie a rank (列22位) beats the count reading (22位)
    cands.sort(key=lambda c: (c.start, -(c.end - c.start), c.kind != "rank"))
    blocked: list[tuple[int, int]] = []
    if _HAS_CN_NUM_RE.search(s):
        blocked.extend(m.span() for m in _STOP_RE.finditer(s))
    if "《" in s:
        blocked.extend(_spans(s, "《", "》", 200))
    if "“" in s:
        blocked.extend(_spans(s, "“", "”", 15))
    kept: list[_Cand] = []
    last_end = -1
    for c in cands:
        if c.start < last_end:
            continue
        if any(b0 <= c.num_start < b1 or (b0 < c.end <= b1 and c.kind != "date") for b0, b1 in blocked):
            continue
        kept.append(c)
        last_end = c.end
    return kept


def _extract(
    s: str,
    doc_year: int | None,
    context_period: int | None,
    context_past: bool,
    inherit: _State | None,
) -> tuple[list[ExtractedFact], _State]:
    state = _State(final_period=context_period, past=context_past)
    if not s:
        return [], state
    cands: list[_Cand] = []
    if _NUMERIC_RE.search(s):
        cands.extend(_number_candidates(s))
    if "第" in s or "位" in s or "名" in s or "前" in s:
        cands.extend(_rank_candidates(s))
    # After a ；, 全年 is the year the sentence's first part named (2024年…；全年新开工项目46个).
    whole_year = inherit.final_period if inherit is not None and inherit.final_period is not None else context_period
    times = _time_exprs(s, doc_year, whole_year) if "年" in s or "月" in s else []
    cands.extend(
        _Cand("date", t.start, t.end, t.start, None, "date", None, t.date, t) for t in times if t.date is not None
    )
    _topic(s, times, state)
    explicit = [t for t in times if t.kind in ("explicit", "relative")]
    if explicit:
        state.final_period = explicit[-1].year
    elif inherit is not None:
        state.final_period = inherit.final_period
    if s.rstrip().endswith(("；", ";")):
        first = _CLAUSE_DELIM_RE.search(s)
        lead = _entity_at(s, 0, first.start() if first else len(s))
        if lead is None or not _PLACE_END_RE.search(lead):
            lead = None  # only a place or zone is the topic of a list (an opening project is one item)
        state.lead = lead or (inherit.lead if inherit else None)
    if not cands:
        return [], state

    kept = _select(s, cands)
    ctx = _Ctx(s, doc_year, context_period, context_past, inherit, times)
    state.past = ctx.past
    if ctx.strong or (inherit is not None and inherit.cue == "strong"):
        state.cue = "strong"
    elif any(w != "全年" for _, w in ctx.weak) or (inherit is not None and inherit.cue == "weak"):
        state.cue = "weak"

    clause_entities: dict[int, str | None] = {}

    def lead_for(pos: int) -> str | None:
        # the entity opening the nearest earlier clause: 青岛西海岸新区入选77个，计划总投资2953亿元
        ci, _, _ = ctx.clause_bounds(pos)
        for i in range(ci - 1, -1, -1):
            if i not in clause_entities:
                lo = ctx.delims[i - 1] + 1 if i > 0 else 0
                clause_entities[i] = _entity_at(s, lo, ctx.delims[i])
            if clause_entities[i]:
                return clause_entities[i]
        return inherit.lead if inherit is not None else None  # 西海岸新区完成…；新增企业20家

    facts: list[ExtractedFact] = []
    prev: _Cand | None = None
    prev_metric: str | None = None
    for c in kept:
        own = c.time if c.kind == "date" else ctx.own_time(c.start)
        target = ctx.target(c.end, own, c.qualifier)
        period: int | None
        if c.kind == "date":
            period = c.time.year if c.time is not None else None
            if c.time is not None and c.time.text in ("今年", "本年"):
                target = False  # a topic adverb, not a deadline
        elif own is not None:
            period = own.year if own.kind in ("explicit", "relative") else None
        elif inherit is not None and inherit.final_period is not None:
            period = inherit.final_period
        elif target and doc_year is not None:
            period = doc_year
        else:
            period = context_period
        if target and period is None:
            period = doc_year
        if target and period is not None and doc_year is not None and period < doc_year:
            target = False
        subject = metric = None
        if c.kind != "date":
            subject, metric = _label(s, c, ctx, prev, prev_metric, lead_for(c.start))
            prev, prev_metric = c, metric or prev_metric
        facts.append(
            ExtractedFact(
                kind=c.kind,
                span=s[c.start : c.end],
                start=c.start,
                end=c.end,
                value=c.value,
                unit=c.unit,
                qualifier=c.qualifier,
                target=target,
                period=period,
                subject=subject,
                metric=metric,
                label=" ".join(x for x in (subject, metric) if x),
                date=c.date,
            )
        )
    if "分别" in s:
        facts = _respectively(s, ctx, facts)
    return facts, state


_TRAILING_GLOSS_RE = re.compile(r"[(（][^()（）]*[)）]$")
_LEADING_GLOSS_RE = re.compile(r"^[(（][^()（）]*[)）]")
_PAREN_RE = re.compile(r"[(（)）]")
_PLACE_END_RE = re.compile(r"(?:[省市县旗州]|[新城]区|开发区|经开区|高新区|自贸区|片区|示范区|合作区|试验区)$")
_SUPERLATIVE_RE = re.compile(r"(?:最高|最大|最快|最多|最低|最小|最强)$")
_SPLIT_PARTS_RE = re.compile(r"[和、及与]|以及")
_ENTITY_END_RE = re.compile(rf"(?:{_ENTITY_SUFFIX})$")


def _respectively(s: str, ctx: _Ctx, facts: list[ExtractedFact]) -> list[ExtractedFact]:
    """进出口总额和实际利用外资分别增长3%和7%: the i-th figure after 分别 belongs to the i-th item before it."""
    out = list(facts)
    positions = []
    r = s.find("分别")
    while r != -1:
        positions.append(r)
        r = s.find("分别", r + 2)
    for r in positions:
        _, cstart, cend = ctx.clause_bounds(r)
        idx = [i for i, f in enumerate(out) if f.kind != "date" and r < f.start < cend]
        head = _LEADING_TIME_RE.sub("", _LEADING_NOISE_RE.sub("", s[cstart:r], count=1), count=1)
        parts = [_clean_label(p) for p in _SPLIT_PARTS_RE.split(head)]
        if len(idx) >= 2 and not head.strip("，,、 "):
            # 接待游客4120万人次，旅游总收入586亿元，分别增长9.3%和11.6%: the items are the figures before.
            before = [f for f in out if f.kind != "date" and f.end <= cstart and f.metric]
            if len(before) >= len(idx):
                parts = [f.metric for f in before[-len(idx) :]]
        if len(idx) < 2 or len(parts) != len(idx) or not all(parts):
            continue
        verb = s[r + 2 : out[idx[0]].start]
        direction = _DIRECTION_RE.search(verb)
        for i, part in zip(idx, parts, strict=True):
            assert part is not None
            f = out[i]
            subject: str | None
            metric: str | None
            if _ENTITY_END_RE.search(part):
                subject, metric = part, f.metric
            else:
                subject, metric = f.subject, (part + direction.group() if direction else part)
            label = " ".join(x for x in (subject, metric) if x)
            out[i] = replace(f, subject=subject, metric=metric, label=label)
    return out


def _clause_bounds_simple(s: str, pos: int) -> tuple[int, int, int]:
    idx = 0
    start = 0
    for m in _CLAUSE_DELIM_RE.finditer(s):
        if m.start() >= pos:
            return idx, start, m.start()
        idx += 1
        start = m.end()
    return idx, start, len(s)


def _mapped(facts: list[ExtractedFact], source: str, pos: Sequence[int], form: str) -> list[ExtractedFact]:
    """Facts found in the searchable form, with spans and offsets of the source sentence."""
    if form == source:
        return facts
    out = []
    for f in facts:
        start, end = source_span(pos, f.start, f.end)
        out.append(replace(f, start=start, end=end, span=source[start:end]))
    return out


# A row of a text table whose unit stands in its label (进出口总额（亿元）  186.9  6.3): its first cell is the
# label's figure in that unit (the cells after it are other columns: growth, share …).
_UNIT_ROW_RE = re.compile(
    r"^[\s│┃|｜]*(?P<label>[^\s│┃|｜（()）]{2,24})\s*[（(](?P<unit>[^）)\s]{1,4})[）)]\s*[│┃|｜]?\s*"
    r"(?P<num>-?\d[\d,]*(?:\.\d+)?)(?=\s|[│┃|｜]|$)"
)
_ROW_UNIT_RE = re.compile(r"元|%|个|家|项|户|人|吨|亩|平方|公里|辆|台|件|次")


def _unit_row_facts(
    form: str, doc_year: int | None, period: int | None, past: bool
) -> list[ExtractedFact]:
    """The figure of a table row with its unit in the label, read as label + figure + unit (span: the figure)."""
    m = _UNIT_ROW_RE.match(form)
    if m is None or not _ROW_UNIT_RE.search(m["unit"]):
        return []
    label, num = m["label"], m["num"]
    facts, _state = _extract(label + "为" + num + m["unit"], doc_year, period, past, None)
    at = len(label) + 1
    fact = next((f for f in facts if f.start <= at < f.end and f.kind != "date"), None)
    if fact is None:
        return []
    return [replace(fact, start=m.start("num"), end=m.end("num"), span=num)]


def extract_facts(
    sentence: str, *, doc_year: int | None = None, context_period: int | None = None
) -> list[ExtractedFact]:
    """Extract facts from one sentence; ``context_period`` is the year the surrounding text is about.

    The sentence is read in its searchable form (simplified, width-folded, numbers unspaced);
    spans and offsets are those of the sentence as given.
    """
    past = context_period is not None and doc_year is not None and context_period < doc_year
    form, pos = aligned(sentence)
    facts = _extract(form, doc_year, context_period, past, None)[0]
    if not facts:
        facts = _unit_row_facts(form, doc_year, context_period, past)
    return _mapped(facts, sentence, pos, form)


def extract_paragraph(
    sentences: Sequence[str], *, doc_year: int | None = None, context_period: int | None = None
) -> list[list[ExtractedFact]]:
    """Extract facts from a paragraph's sentences, carrying time context (去年，… 其中…) between them."""
    # context_period: the year a section is about (a 2025 report's "2024年工作回顾" → 2024), so
    # that 全年 means that year and review sentences are not read as plans.
    out: list[list[ExtractedFact]] = []
    carry = context_period
    carry_past = context_period is not None and doc_year is not None and context_period < doc_year
    inherit: _State | None = None
    for sentence, simple in zip(sentences, simplified_many(sentences), strict=True):
        form, pos = aligned(sentence, simplified=simple)
        facts, state = _extract(form, doc_year, carry, carry_past, inherit)
        if not facts:
            facts = _unit_row_facts(form, doc_year, carry, carry_past)
        out.append(_mapped(facts, sentence, pos, form))
        if state.topic:
            carry, carry_past = state.topic_period, state.topic_past
        # a sentence cut at ； is the same sentence grammatically: hand over its full state
        inherit = state if form.rstrip().endswith(("；", ";")) else None
    return out
