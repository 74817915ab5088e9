"""Reproducible synthetic news archive built by recombining seed and external sentences.

`python -m bench.corpus --articles N --seed S --out DIR` writes N plain-text articles that
`python -m bot ingest DIR` takes. Sentences are mined from the seeds and from the external
government work reports; every named entity of the seeds is replaced by a synthetic name,
every figure, year and date is re-drawn, and a sentence that still names a seed entity (or a
phrase that identifies the answer of a gold question) is dropped, so that each gold question
keeps exactly one right answer when the archive is ingested beside the seeds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "seeds"
EXTERNAL_DIR = ROOT.parent / "shared" / "corpus" / "external"

# Bump when the output for a given (articles, seed) changes, so cached corpora and the
# benchmark databases built from them are regenerated instead of silently reused.
GENERATOR_VERSION = 3
MANIFEST = ".manifest.json"  # hidden: folder ingestion skips dot files
FILE_PREFIX = "syn"

# --- what must never appear in a synthetic article -----------------------------------------

# Named entities of the two seed articles: regions, zones, areas, companies, platforms,
# projects, parks, people and seed-only campaign names. Short forms cover the long ones
# (青岛 covers 青岛西海岸新区, 京东方 covers 京东方之窗, 联东 covers 联东U谷 …).
SEED_ENTITIES: tuple[str, ...] = (
    "青岛", "黄岛", "西海岸", "王台", "殷家河", "股家河", "董家口", "金沙滩", "海河路",
    "转型发展区", "芯屏新城",
    "京东方", "BOE", "贝卡尔特", "潍柴", "唯品会", "京东", "菜鸟", "天猫", "淘宝", "快手",
    "抖音", "上汽通用", "五菱", "万达", "菲尔斯特", "中南高科", "中石大", "中电光谷",
    "中电信息港", "联东", "生态科技谷", "新型显示产业园", "省机器人产业园",
    "专精特新特色产业园", "专精特新产业园",
    "孟君韬", "潘旭业", "刘伟", "李涛", "卢炳君", "张智谋", "张进刚", "王凯", "王敏", "李贝科",
    "创新突破年", "十三大创新突破", "作风能力提升年", "福兔迎春", "吃住游购娱展", "一核引领",
)

# Generic phrases that identify the answer of a gold question that names no seed entity
# (开发区…进出口总额, 地铁6号线, 10家重点餐饮企业 …), and the names of the questions that must
# stay unanswerable (上海浦东新区, 特斯拉上海超级工厂). Any figure next to them would be a
# second right answer, so sentences containing them are dropped, not rewritten.
GOLD_PHRASES: tuple[str, ...] = (
    "号线", "试运行",  # q11
    "进出口总额", "实际使用外资", "实际利用外资",  # q12, q19
    "跨境电商", "跨境电子商务", "占全省比重", "占全市比重", "进口贸易额",  # q08, q15, q28
    "自贸", "制度创新成果",  # q07, q18
    "隐患", "排查整治",  # q23
    "签约落地", "产业链重点项目",  # q27
    "链主",  # q24
    "餐饮",  # q29
    "芯屏",  # q20
    "浦东", "上海", "特斯拉", "超级工厂",  # n01, n03
)

# Combinations that make a competing answer even without the exact phrase: a sentence is
# dropped when every group of a rule has a hit (e.g. 外贸 … 全国第五位 competes with q12/q19).
GOLD_CONFLICTS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("进出口", "外贸", "外资"), ("排名", "第", "位居", "前列", "首位", "位次")),
    (("签约",), ("项目",)),
    (("专精特新",), ("园",)),
    (("制度创新",), ("项",)),
    (("进口",), ("比重",)),
)

_BANNED_RE = re.compile("|".join(re.escape(t) for t in sorted(SEED_ENTITIES + GOLD_PHRASES, key=len, reverse=True)))

_CONFLICT_RES = tuple(tuple(re.compile("|".join(map(re.escape, g))) for g in rule) for rule in GOLD_CONFLICTS)
_TRIGGER_RE = re.compile("|".join(re.escape(w) for rule in GOLD_CONFLICTS for w in rule[0]))
_SPLIT_RE = re.compile(r"(?<=[。！？；!?;])|\n+")


def leaks_seed_entity(text: str) -> bool:
    """True when a sentence names a seed entity or a phrase that would give a gold question a second answer.

    Conflict rules are sentence-scoped (answers are sentences): check sentence by sentence,
    e.g. with `split_sentences`, not whole articles.
    """
    if _BANNED_RE.search(text) is not None:
        return True
    if _TRIGGER_RE.search(text) is None:  # fast path: no rule can fire
        return False
    return any(all(rx.search(text) for rx in rule) for rule in _CONFLICT_RES)


def split_sentences(text: str) -> list[str]:
    """Split text into sentences at 。！？； and line ends, as the ingestion does."""
    return [s for s in _SPLIT_RE.split(text) if s.strip()]


# --- entity substitution in mined sentences ------------------------------------------------

ZONE, CITY, PROV, COMPANY, PARK, PROJECT, AREA, PERSON = range(8)
_KIND_NAMES = ("ZONE", "CITY", "PROV", "COMPANY", "PARK", "PROJECT", "AREA", "PERSON")

_SEED_SUBSTITUTIONS: dict[int, tuple[str, ...]] = {
    ZONE: (
        "青岛西海岸新区", "西海岸新区", "青岛经济技术开发区", "青岛经开区", "青岛开发区",
        "黄岛开发区", "黄岛区",
    ),
    AREA: (
        "王台老工业区", "王台新动能产业基地", "王台片区", "股家河片区", "殷家河片区",
        "董家口化工园区", "黄岛石化区", "转型发展区",
    ),
    COMPANY: (
        "青岛京东方光电科技有限公司", "京东方科技集团", "贝卡尔特(青岛)钢丝产品有限公司",
        "贝卡尔特青岛公司", "上汽通用五菱青岛分公司", "青岛菲尔斯特国际贸易有限公司",
        "福建万达", "中南高科", "京东方", "贝卡尔特", "潍柴", "唯品会", "京东全球购", "菜鸟",
        "天猫国际", "淘宝全球购", "快手跨境", "抖音跨境",
    ),
    PROJECT: (
        "潍柴(青岛)海洋装备制造中心", "福建万达光电智造生产基地项目",
        "京东方物联网移动显示端口器件青岛生产基地项目", "京东方物联网移动显示端口器件生产基地",
        "京东方青岛基地项目", "京东方青岛基地", "京东方之窗", "青岛中电信息港项目", "中电信息港",
    ),
    PARK: (
        "青岛光电产业园", "青岛市新型显示产业园区", "青岛市新型显示产业园", "青岛新型显示产业园",
        "青岛(西海岸)专精特新产业园", "专精特新特色产业园", "省机器人产业园", "中石大产业园",
        "联东U谷智能家电产业园", "联东U谷生态科技谷", "联东U谷", "中电光谷",
    ),
    PERSON: (
        "孟君韬", "潘旭业", "刘伟", "李涛", "卢炳君", "张智谋", "张进刚", "王凯", "王敏", "李贝科",
    ),
}

# Region names of the external reports become synthetic regions too, so the archive speaks
# of many places; 上海 and 青岛 are here so that they are rewritten rather than dropped.
_PROVINCES = (
    "内蒙古", "黑龙江", "河北", "山西", "辽宁", "吉林", "江苏", "浙江", "安徽", "福建", "江西",
    "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃",
    "青海", "广西", "西藏", "宁夏", "新疆",
)
_REPORT_CITIES = (
    "北京", "天津", "上海", "重庆", "青岛", "黄岛", "济南", "烟台", "潍坊", "淄博", "威海", "日照",
    "临沂", "济宁", "泰安", "德州", "聊城", "滨州", "东营", "菏泽", "枣庄", "南京", "苏州", "无锡",
    "常州", "南通", "徐州", "扬州", "杭州", "宁波", "温州", "嘉兴", "绍兴", "金华", "台州", "广州",
    "深圳", "珠海", "佛山", "东莞", "汕头", "福州", "厦门", "泉州", "成都", "绵阳", "郑州", "洛阳",
    "沈阳", "大连", "武汉", "长沙", "合肥", "西安", "浦东",
)


def _paren_variants(name: str) -> tuple[str, ...]:
    if "(" in name:
        return (name, name.replace("(", "（").replace(")", "）"))
    return (name,)


def _substitution_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for name in _REPORT_CITIES:
        table[name] = CITY
    for name in _PROVINCES:
        table[name] = PROV
    for kind, names in _SEED_SUBSTITUTIONS.items():
        for name in names:
            for variant in _paren_variants(name):
                table[variant] = kind
    return table


_SUBST = _substitution_table()
_SUBST_RE = re.compile("|".join(re.escape(n) for n in sorted(_SUBST, key=len, reverse=True)))

# --- synthetic names -------------------------------------------------------------------------

_CITY_POOL = (
    "成都", "苏州", "合肥", "武汉", "长沙", "西安", "郑州", "杭州", "宁波", "南京", "无锡", "常州",
    "南通", "徐州", "绍兴", "嘉兴", "温州", "金华", "福州", "厦门", "泉州", "广州", "深圳", "佛山",
    "东莞", "珠海", "惠州", "中山", "南宁", "柳州", "昆明", "贵阳", "遵义", "重庆", "绵阳", "宜宾",
    "兰州", "银川", "西宁", "乌鲁木齐", "呼和浩特", "包头", "太原", "大同", "石家庄", "保定",
    "唐山", "廊坊", "沈阳", "大连", "鞍山", "长春", "吉林", "哈尔滨", "大庆", "南昌", "赣州",
    "九江", "芜湖", "马鞍山", "蚌埠", "洛阳", "新乡", "许昌", "襄阳", "宜昌", "株洲", "湘潭",
    "岳阳", "衡阳", "济南", "烟台", "潍坊", "淄博", "威海", "临沂", "济宁", "扬州", "盐城", "镇江",
    "台州", "湖州", "舟山", "海口", "三亚", "天津", "北京",
)
_PROV_POOL = (
    "江苏", "浙江", "安徽", "福建", "江西", "河南", "湖北", "湖南", "广东", "四川", "贵州", "云南",
    "陕西", "甘肃", "河北", "山西", "辽宁", "吉林", "黑龙江", "海南",
)
_ZONE_SUFFIXES = ("高新区", "经开区", "新区", "工业园区", "综保区", "临港产业区", "高新技术产业园区")
_FAMOUS_ZONES = (
    "成都高新区", "苏州工业园区", "合肥经开区", "天府新区", "两江新区", "滨海新区", "南沙新区",
    "西咸新区", "贵安新区", "金普新区", "湘江新区", "赣江新区", "长春新区", "哈尔滨新区",
    "江北新区", "福州新区", "兰州新区", "滇中新区", "武汉东湖高新区", "西安高新区",
    "杭州钱塘新区", "宁波前湾新区", "广州开发区黄埔片区",
)
_BRAND_CHARS = "华恒瑞鼎科信澜卓远博创宏德智云启晟凯盛泰宇辰睿航嘉锐禾新源拓峰格铭迈达力景"
_INDUSTRIES = (
    "光电", "微电子", "新材料", "智能装备", "生物医药", "新能源", "精密机械", "汽车零部件",
    "半导体", "储能科技", "数字科技", "氢能", "工业互联网", "轨道交通装备", "海洋工程",
    "医疗器械", "智能家电", "集成电路", "绿色建材", "新型显示",
)
_COMPANY_SUFFIXES = ("有限公司", "股份有限公司", "集团", "科技有限公司", "")
_PARK_SUFFIXES = ("产业园", "产业园区", "创新港", "智造谷", "科技园", "产业基地")
_PROJECT_SUFFIXES = ("生产基地项目", "产业园一期项目", "研发中心项目", "智能工厂项目", "扩建项目")
_AREA_NAMES = "凤栖柳泉明湖龙岗白沙青石金桥松林桃源鹤鸣云溪石门东湖南岭北塘西坝枫林梅山"
_AREA_SUFFIXES = ("片区", "老工业区", "新动能产业基地", "化工园区", "更新片区")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲建国红峰晨宇浩然欣怡嘉琪子涵思远博文雨轩俊杰志强海燕晓东春雷佳慧立新振华"

_TITLE_PHRASES = (
    "攻坚克难", "创新突破", "提质增效", "开局起势", "勇立潮头", "聚力攻坚", "蓄势赋能", "乘势而上",
    "奋楫争先", "锐意进取", "开拓创新", "实干争先", "向新而行", "拼搏赶超", "稳中求进", "提速增效",
    "扩能升级", "领跑争先", "守正创新", "踔厉奋发",
)
_TITLE_TAILS = (
    "奋力打造高质量发展新高地", "勇当改革开放排头兵", "加快建设现代化产业新城",
    "跑出项目建设加速度", "全力打造先进制造业集群", "谱写高质量发展新篇章",
    "推动经济运行整体好转", "激活区域发展新动能",
)
_HEADING_TAILS = (
    "势头强劲", "成效显著", "亮点纷呈", "全面提升", "加速崛起", "提档升级", "持续优化", "稳步推进",
)
_HEADING_HEADS = (
    "实体经济", "项目建设", "产业集群", "城市更新", "营商环境", "对外开放", "科技创新", "园区建设",
    "民生保障", "绿色发展", "消费市场", "招商引资",
)
_CAPTIONS = (
    "■{ZONE}{AREA}鸟瞰。",
    "■建设中的{COMPANY}。",
    "■{PROJECT}效果图。",
    "■{PARK}外景。",
    "■1月28日，{COMPANY}生产车间，工人们在装配作业。",
    "■{ZONE}{PARK}一角。",
    "{ZONE}风貌。",
)
_LEADS = (
    "2023年1月28日，{ZONE}召开高质量发展动员大会，部署全年重点工作。",
    "2023年2月2日，{ZONE}一季度重点项目集中开工，总投资127亿元的38个项目集中开工。",
    "2023年3月6日，{ZONE}举行重大项目签约仪式，共有15个项目现场签约。",
    "2023年4月12日，记者从{ZONE}获悉，{ZONE}一季度主要经济指标实现良好开局。",
    "2023年5月18日，{ZONE}召开园区建设推进会，{PARK}等12个园区建设全面提速。",
    "2023年6月9日，{ZONE}发布推动制造业高质量发展若干政策，涉及资金10亿元。",
    "2023年9月26日，{PROJECT}在{ZONE}开工，项目总投资36亿元。",
)
_BODY_LENGTH_RANGE = (10, 160)


@dataclass(frozen=True, slots=True)
class Names:
    """The synthetic entity names one article speaks about."""

    by_kind: tuple[tuple[str, ...], ...]


def _company(rng: random.Random) -> str:
    brand = rng.choice(_BRAND_CHARS) + rng.choice(_BRAND_CHARS)
    return brand + rng.choice(_INDUSTRIES) + rng.choice(_COMPANY_SUFFIXES)


def _park(rng: random.Random, city: str) -> str:
    head = city if rng.random() < 0.5 else rng.choice(_BRAND_CHARS) + rng.choice(_BRAND_CHARS)
    return head + rng.choice(_INDUSTRIES) + rng.choice(_PARK_SUFFIXES)


def _project(rng: random.Random) -> str:
    brand = rng.choice(_BRAND_CHARS) + rng.choice(_BRAND_CHARS)
    return brand + rng.choice(_INDUSTRIES) + rng.choice(_PROJECT_SUFFIXES)


def _area(rng: random.Random) -> str:
    i = rng.randrange(len(_AREA_NAMES) // 2) * 2
    return _AREA_NAMES[i : i + 2] + rng.choice(_AREA_SUFFIXES)


def _person(rng: random.Random) -> str:
    given = rng.choice(_GIVEN) if rng.random() < 0.4 else rng.choice(_GIVEN) + rng.choice(_GIVEN)
    return rng.choice(_SURNAMES) + given


def _zone(rng: random.Random, city: str) -> str:
    if rng.random() < 0.35:
        return rng.choice(_FAMOUS_ZONES)
    return city + rng.choice(_ZONE_SUFFIXES)


def _clean(rng: random.Random, make: Callable[..., str], *args: str) -> str:
    """Draw names until one does not collide with a seed entity (rare; bounded retries)."""
    for _ in range(20):
        name = make(rng, *args)
        if not leaks_seed_entity(name):
            return name
    raise RuntimeError("cannot draw a clean synthetic name")


def draw_names(rng: random.Random) -> Names:
    """Draw the synthetic zone, cities, province, companies, parks, projects, areas and people of one article."""
    cities = tuple(rng.sample(_CITY_POOL, 3))
    by_kind: list[tuple[str, ...]] = [()] * len(_KIND_NAMES)
    by_kind[ZONE] = (_clean(rng, _zone, cities[0]),)
    by_kind[CITY] = cities
    by_kind[PROV] = (rng.choice(_PROV_POOL), rng.choice(_PROV_POOL))
    by_kind[COMPANY] = tuple(_clean(rng, _company) for _ in range(4))
    by_kind[PARK] = tuple(_clean(rng, _park, cities[0]) for _ in range(3))
    by_kind[PROJECT] = tuple(_clean(rng, _project) for _ in range(3))
    by_kind[AREA] = tuple(_clean(rng, _area) for _ in range(2))
    by_kind[PERSON] = tuple(_clean(rng, _person) for _ in range(6))
    return Names(tuple(by_kind))


# --- templates -------------------------------------------------------------------------------

# Slot codes (tuples so rendering is a cheap dispatch on the first item).
_S_ENT, _S_YEAR, _S_MONTH, _S_DAY, _S_NUM, _S_RANK, _S_CHENG, _S_GANZHI = range(8)

Piece = str | tuple[int, int, int]

_MARK_RE = re.compile(r"\x01(\d)\x02")
_SLOT_RE = re.compile(
    r"\x01(?P<ent>\d)\x02"
    r"|(?P<year>(?:19|20)\d\d)(?=年)"
    r"|(?P<month>\d{1,2})(?=月)"
    r"|(?P<day>\d{1,2})(?=日)"
    r"|(?<=排名|位列|位居|全国|全省|全市)第(?P<rank>[一二三四五六七八九十]{1,3})(?![梯批届次轮])"
    r"|第(?P<rank2>[一二三四五六七八九十]{1,3})(?=位|名)"
    r"|(?<=[超过近约逾达])(?P<cheng>[一二三四五六七八九])成(?![员本果功为立长就绩])"
    r"|(?P<gz>[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥][鼠牛虎兔龙蛇马羊猴鸡狗猪])(?=年)"
    r"|(?<![A-Za-z0-9.])(?P<num>\d+(?:\.\d+)?)(?![A-Za-z0-9])"
)
_CN_DIGITS = "零一二三四五六七八九"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_ANIMALS = "鼠牛虎兔龙蛇马羊猴鸡狗猪"


def _compile(text: str, base_year: int) -> tuple[Piece, ...]:
    """Turn a sentence with entity marks into literal pieces and slots (years relative to base_year)."""
    pieces: list[Piece] = []
    pos = 0
    for m in _SLOT_RE.finditer(text):
        if m.start() > pos:
            pieces.append(text[pos : m.start()])
        g = m.lastgroup
        if g == "ent":
            pieces.append((_S_ENT, int(m.group("ent")), 0))
        elif g == "year":
            pieces.append((_S_YEAR, int(m.group("year")) - base_year, 0))
        elif g == "month":
            pieces.append((_S_MONTH, 0, 0))
        elif g == "day":
            pieces.append((_S_DAY, 0, 0))
        elif g in ("rank", "rank2"):
            pieces.append("第")
            pieces.append((_S_RANK, 0, 0))
        elif g == "cheng":
            pieces.append((_S_CHENG, 0, 0))
            pieces.append("成")
        elif g == "gz":
            pieces.append((_S_GANZHI, 0, 0))
        else:
            num = m.group("num")
            whole, _, dec = num.partition(".")
            zero = 1 if whole == "0" else 0
            pieces.append((_S_NUM, -len(whole) if zero else len(whole), len(dec)))
        pos = m.end()
    if pos < len(text):
        pieces.append(text[pos:])
    merged: list[Piece] = []
    for p in pieces:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + p
        else:
            merged.append(p)
    return tuple(merged)


def _mark_entities(text: str) -> str:
    return _SUBST_RE.sub(lambda m: f"\x01{_SUBST[m.group(0)]}\x02", text)


_TERMINATORS = "。！？；!?;"
_SENT_RE = re.compile(r"[^。！？；!?;]*[。！？；!?;]+[”’」』]?")
_ENUM_RE = re.compile(r"^(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}、|\d{1,2}[.、．])\s*")
_SPACED_RE = re.compile(r"(?:[\u4e00-\u9fff：、，]\s){3,}[\u4e00-\u9fff：、，]")
_PAIRS = (("“", "”"), ("（", "）"), ("(", ")"), ("《", "》"), ("‘", "’"))
_SKIP_MARKERS = ("代表", "审议", "政府工作报告", "来源：", "人民代表大会", "各位", "摄", "总理", "省长", "维基")
# Everything after this line of the wikisource reports is licence boilerplate.
_BOILERPLATE = "本作品是中华人民共和国"
_SEED_RUN_SHARE = 0.2  # seed sentences are the genre itself; external reports give variety
# Share of sentences whose tail clauses come from another template: without it two thirds of
# the sentences would be exact repeats, which real archives do not have (and which caches of
# the ingestion would exploit).
_RECOMBINE_SHARE = 0.95
_SPLICE_MAX = 90  # keeps the mean near the seeds' ≈50 characters per sentence


def _balanced(s: str) -> bool:
    return all(s.count(a) == s.count(b) for a, b in _PAIRS)


def _source_year(path: Path) -> int:
    m = re.search(r"(?:19|20)\d\d", path.name)
    return int(m.group(0)) if m else 2023


@dataclass(slots=True)
class TemplateBank:
    """Sentence and heading templates mined from the seeds and the external reports."""

    runs: list[list[tuple[Piece, ...]]] = field(default_factory=list)  # consecutive sentences per paragraph
    seed_runs: list[list[tuple[Piece, ...]]] = field(default_factory=list)
    headings: list[tuple[Piece, ...]] = field(default_factory=list)
    sentences: int = 0
    dropped: int = 0
    sources: int = 0

    def add_paragraph(self, sentences: Sequence[str], base_year: int, *, seed: bool = False) -> None:
        """Keep the clean sentences of one source paragraph as a run of templates."""
        run: list[tuple[Piece, ...]] = []
        for raw in sentences:
            s = raw.strip()
            lo, hi = _BODY_LENGTH_RANGE
            if not (lo <= len(s) <= hi) or not _balanced(s) or s[0] in "”’":
                self.dropped += 1
                continue
            if any(k in s for k in _SKIP_MARKERS):
                self.dropped += 1
                continue
            marked = _mark_entities(s)
            if leaks_seed_entity(_MARK_RE.sub("", marked)):
                self.dropped += 1
                continue
            run.append(_compile(marked, base_year))
        if run:
            (self.seed_runs if seed else self.runs).append(run)
            self.sentences += len(run)

    def add_heading(self, text: str, base_year: int) -> None:
        """Keep a short heading line as a template."""
        t = _ENUM_RE.sub("", text.strip()).rstrip("。")
        if 4 <= len(t) <= 30 and _balanced(t) and not any(k in t for k in _SKIP_MARKERS):
            marked = _mark_entities(t)
            if not leaks_seed_entity(_MARK_RE.sub("", marked)):
                self.headings.append(_compile(marked, base_year))


def _source_files(seeds_dir: Path, external_dir: Path | None) -> list[Path]:
    files = sorted(seeds_dir.glob("*.txt"))
    if external_dir is not None and external_dir.is_dir():
        files += sorted(external_dir.glob("*.txt"))
    elif external_dir is not None:
        log.warning("external corpus %s not found: templates come from the seeds only", external_dir)
    return files


def _join_broken_lines(lines: Iterable[str]) -> list[str]:
    """Re-join paragraphs broken mid-sentence (发展经|济): a body-like line without a terminator
    continues on the next non-empty line. Headings have no comma and are left alone."""
    out: list[str] = []
    pending = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if pending and not line.startswith("■"):
            line, pending = pending + line, ""
        elif pending:
            out.append(pending)
            pending = ""
        broken = "\u4e00" <= line[-1] <= "\u9fff" and "，" in line and not line.startswith("■")
        if broken and not (pending and pending.startswith("■")):
            pending = line
            continue
        out.append(line)
    if pending:
        out.append(pending)
    return out


def load_templates(seeds_dir: Path = SEEDS_DIR, external_dir: Path | None = EXTERNAL_DIR) -> TemplateBank:
    """Mine sentence and heading templates from the seed articles and the external reports."""
    bank = TemplateBank()
    for path in _source_files(seeds_dir, external_dir):
        is_seed = path.parent == seeds_dir
        base_year = 2023 if is_seed else _source_year(path)
        text = path.read_text(encoding="utf-8").replace("\u3000", "").replace("\r", "")
        text = text.split(_BOILERPLATE, 1)[0]
        bank.sources += 1
        for line in _join_broken_lines(text.split("\n")):
            line = _SPACED_RE.sub(lambda m: m.group(0).replace(" ", ""), line)
            if not line or line.startswith("■") or line.startswith(("记者", "通讯员")):
                continue
            if line[-1] not in _TERMINATORS + "”’":
                bank.add_heading(line, base_year)
                continue
            enum = _ENUM_RE.match(line)
            if enum:
                line = line[enum.end() :]
                head, sep, rest = line.partition("。")
                if sep and len(head) <= 20:
                    bank.add_heading(head, base_year)
                    line = rest
            # A trailing fragment without a terminator is a line broken mid-sentence: drop it.
            bank.add_paragraph(_SENT_RE.findall(line), base_year, seed=is_seed)
    for a in _HEADING_HEADS:
        for b in _HEADING_TAILS:
            bank.headings.append((a + b,))
    log.info(
        "templates: %s sentences in %s runs (%s from seeds), %s headings from %s files (%s dropped)",
        bank.sentences, len(bank.runs) + len(bank.seed_runs), len(bank.seed_runs), len(bank.headings),
        bank.sources, bank.dropped,
    )
    return bank


# --- rendering -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ctx:
    rng: random.Random
    names: Names
    year: int


def _draw_number(rng: random.Random, digits: int, decimals: int) -> str:
    if digits < 0:
        whole = "0"
    else:
        lo = 10 ** (digits - 1)
        whole = str(lo + int(rng.random() * 9 * lo)) if digits > 1 else str(1 + int(rng.random() * 9))
    if not decimals:
        return whole
    frac = "".join(str(int(rng.random() * 10)) for _ in range(decimals - 1)) + str(1 + int(rng.random() * 9))
    return f"{whole}.{frac}"


def _cn_number(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def _render(pieces: tuple[Piece, ...], ctx: _Ctx) -> str:
    rng = ctx.rng
    out: list[str] = []
    for p in pieces:
        if isinstance(p, str):
            out.append(p)
            continue
        code, a, b = p
        if code == _S_ENT:
            pool = ctx.names.by_kind[a]
            # The article's own zone dominates, as in a real report about one zone.
            out.append(pool[0] if a == ZONE or rng.random() < 0.5 else rng.choice(pool))
        elif code == _S_NUM:
            out.append(_draw_number(rng, a, b))
        elif code == _S_YEAR:
            out.append(str(ctx.year + a))
        elif code == _S_MONTH:
            out.append(str(1 + int(rng.random() * 12)))
        elif code == _S_DAY:
            out.append(str(1 + int(rng.random() * 28)))
        elif code == _S_RANK:
            out.append(_cn_number(1 + int(rng.random() * 20)))
        elif code == _S_CHENG:
            out.append(_CN_DIGITS[1 + int(rng.random() * 9)])
        else:
            y = ctx.year - 4
            out.append(_STEMS[y % 10] + _BRANCHES[y % 12] + _ANIMALS[y % 12])
    return "".join(out)


_FORMAT_RE = re.compile(r"\{(" + "|".join(_KIND_NAMES) + r")\}")


def _clause_ends(s: str) -> list[int]:
    ends = []
    i = s.find("，")
    while i != -1:
        ends.append(i + 1)
        i = s.find("，", i + 1)
    return ends


def _splice(head: str, tail: str, rng: random.Random) -> str:
    """The first clauses of one sentence followed by the last clauses of another."""
    a, b = _clause_ends(head), [0, *_clause_ends(tail)]
    # A one-clause head is kept whole and continued with a comma.
    start = head[: a[int(rng.random() * len(a))]] if a else head[:-1] + "，"
    out = start + tail[b[int(rng.random() * len(b))] :]
    if len(out) > _SPLICE_MAX:
        out = start + tail[b[-1] :]
    return out if _balanced(out) and len(out) <= _SPLICE_MAX else head


def _fixed(text: str) -> tuple[Piece, ...]:
    """Compile a hand-written pattern with {ZONE}-style slots (its figures are re-drawn too)."""
    return _compile(_FORMAT_RE.sub(lambda m: f"\x01{_KIND_NAMES.index(m.group(1))}\x02", text), 2023)


@dataclass(frozen=True, slots=True)
class Article:
    """One generated article: its file name, text and how many body sentences it has."""

    name: str
    text: str
    sentences: int
    dropped: int


class Generator:
    """Renders articles from a template bank; article i depends only on (seed, i)."""

    def __init__(self, bank: TemplateBank, seed: int) -> None:
        if not bank.runs and not bank.seed_runs:
            raise ValueError("no templates: check the seeds folder")
        self.bank = bank
        self.seed = seed
        self._captions = [_fixed(c) for c in _CAPTIONS]
        self._leads = [_fixed(c) for c in _LEADS]
        self._all = [t for run in (*bank.runs, *bank.seed_runs) for t in run]

    def _sentence(self, pieces: tuple[Piece, ...], ctx: _Ctx, *, recombine: bool = False) -> str | None:
        s = _render(pieces, ctx)
        if recombine and ctx.rng.random() < _RECOMBINE_SHARE:
            s = _splice(s, _render(ctx.rng.choice(self._all), ctx), ctx.rng)
        # Entities are pre-checked per template; a leak can only form across a slot or clause boundary.
        return None if leaks_seed_entity(s) else s

    def article(self, index: int) -> Article:
        """Render article number `index`."""
        rng = random.Random(f"devnews-bench:{self.seed}:{index}")
        ctx = _Ctx(rng, draw_names(rng), 2015 + int(rng.random() * 12))
        zone = ctx.names.by_kind[ZONE][0]
        runs, seed_runs = self.bank.runs or self.bank.seed_runs, self.bank.seed_runs or self.bank.runs
        dropped = 0
        lines: list[str] = []

        a, b = rng.sample(_TITLE_PHRASES, 2)
        title = rng.choice((
            f"{zone}：{a}、{b}，{rng.choice(_TITLE_TAILS)}",
            f"{zone}{a}{rng.choice(_TITLE_TAILS)}",
            f"{a}{b} {zone}{rng.choice(_TITLE_TAILS)}",
            f"{zone}：{ctx.year}年{a}开新局",
        ))
        if rng.random() < 0.05:
            title = " ".join(title)  # spaced titles occur in the source layout (see seed 004)
        lines += [title, ""]

        lead = self._sentence(rng.choice(self._leads), ctx) or ""
        # The dateline carries the document year (the seeds have no publication date).
        lead = re.sub(r"^\d{4}年", f"{ctx.year}年", lead)
        lines += [lead + "".join(filter(None, (self._sentence(s, ctx, recombine=True) for s in rng.choice(seed_runs)[:2]))), ""]

        if rng.random() < 0.5:
            lines += [f"记者 {ctx.names.by_kind[PERSON][0]}", f"通讯员 {ctx.names.by_kind[PERSON][1]} {ctx.names.by_kind[PERSON][2]}", ""]

        target = 85 + int(rng.random() * 31)
        body = 0
        paragraphs_left = 0
        indent = "\u3000\u3000" if rng.random() < 0.1 else ""
        while body < target:
            if paragraphs_left == 0:
                heading = rng.choice(self.bank.headings)
                lines += [_render(heading, ctx), ""]
                paragraphs_left = 3 + int(rng.random() * 5)
                if rng.random() < 0.3:
                    cap = self._sentence(rng.choice(self._captions), ctx)
                    if cap:
                        lines += [cap, ""]
                        if rng.random() < 0.5:
                            lines += [f"{ctx.names.by_kind[PERSON][3]} 摄", ""]
            run = rng.choice(seed_runs if rng.random() < _SEED_RUN_SHARE else runs)
            start = int(rng.random() * len(run))
            take = run[start : start + 1 + int(rng.random() * 6)]
            sents = []
            for pieces in take:
                s = self._sentence(pieces, ctx, recombine=True)
                if s is None:
                    dropped += 1
                else:
                    sents.append(s)
            if not sents:
                continue
            body += len(sents)
            para = "".join(sents)
            if rng.random() < 0.02 and len(para) > 20:
                # A paragraph broken mid-line, as in the seeds (发展经|济).
                cut = 5 + int(rng.random() * (len(para) - 10))
                if "\u4e00" <= para[cut - 1] <= "\u9fff" and "\u4e00" <= para[cut] <= "\u9fff":
                    para = para[:cut] + "\n\n" + para[cut:]
            lines += [indent + para, ""]
            paragraphs_left -= 1
        if rng.random() < 0.4:
            p = ctx.names.by_kind[PERSON]
            lines.append(f"（{p[4]} {p[5]}）")
        text = "\n".join(lines).rstrip("\n") + "\n"
        if rng.random() < 0.05:
            text = text.replace("%", "％")  # full-width percent, as in some reports
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()
        return Article(f"{FILE_PREFIX}{index:05d}_{digest}.txt", text, body, dropped)


@dataclass(frozen=True, slots=True)
class CorpusInfo:
    """What a generated archive holds (also stored as .manifest.json in its folder)."""

    out_dir: str
    articles: int
    seed: int
    version: int
    sentences: int
    chars: int
    bytes: int
    dropped: int
    seconds: float

    def identity(self) -> tuple[int, int, int, int, int]:
        """What identifies the archive's content (not where or how fast it was written)."""
        return (self.articles, self.seed, self.version, self.sentences, self.chars)

    def to_json(self) -> dict[str, object]:
        """Return the manifest as a JSON-ready dict."""
        return {
            "out_dir": self.out_dir,
            "articles": self.articles,
            "seed": self.seed,
            "version": self.version,
            "sentences": self.sentences,
            "chars": self.chars,
            "bytes": self.bytes,
            "dropped": self.dropped,
            "seconds": self.seconds,
        }


def generate(
    out_dir: Path,
    articles: int,
    seed: int,
    *,
    seeds_dir: Path = SEEDS_DIR,
    external_dir: Path | None = EXTERNAL_DIR,
) -> CorpusInfo:
    """Write `articles` synthetic articles into out_dir (replacing earlier synthetic files) and a manifest."""
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob(f"{FILE_PREFIX}*.txt"):
        old.unlink()
    (out_dir / MANIFEST).unlink(missing_ok=True)
    gen = Generator(load_templates(seeds_dir, external_dir), seed)
    sentences = chars = nbytes = dropped = 0
    for i in range(articles):
        art = gen.article(i)
        data = art.text.encode("utf-8")
        (out_dir / art.name).write_bytes(data)
        sentences += art.sentences
        chars += len(art.text)
        nbytes += len(data)
        dropped += art.dropped
    info = CorpusInfo(str(out_dir), articles, seed, GENERATOR_VERSION, sentences, chars, nbytes, dropped,
                      round(time.perf_counter() - t0, 2))
    (out_dir / MANIFEST).write_text(json.dumps(info.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    return info


def read_manifest(out_dir: Path) -> CorpusInfo | None:
    """The manifest of a generated archive, or None when absent or unreadable."""
    try:
        d = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return CorpusInfo(**d)
    except (OSError, ValueError, TypeError):
        return None


def ensure_corpus(out_dir: Path, articles: int, seed: int) -> CorpusInfo:
    """Reuse the archive in out_dir when it matches (articles, seed, version); generate it otherwise."""
    info = read_manifest(out_dir)
    if (
        info is not None
        and (info.articles, info.seed, info.version) == (articles, seed, GENERATOR_VERSION)
        and sum(1 for _ in out_dir.glob(f"{FILE_PREFIX}*.txt")) == articles
    ):
        return info
    return generate(out_dir, articles, seed)


def article_paths(out_dir: Path) -> list[Path]:
    """The synthetic article files of an archive, in generation order."""
    return sorted(out_dir.glob(f"{FILE_PREFIX}*.txt"))


def iter_texts(paths: Iterable[Path]) -> Iterable[str]:
    """Read article files as text."""
    for p in paths:
        yield p.read_text(encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: generate an archive and print its size."""
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="default: bench/out/corpus_<N>_s<S>")
    parser.add_argument("--external", type=Path, default=EXTERNAL_DIR, help="external reports folder")
    parser.add_argument("--clean", action="store_true", help="delete the output folder first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out = args.out or ROOT / "bench" / "out" / f"corpus_{args.articles}_s{args.seed}"
    if args.clean and out.exists():
        shutil.rmtree(out)
    info = generate(out, args.articles, args.seed, external_dir=args.external)
    print(
        f"{info.articles} articles → {out}\n"
        f"  body sentences {info.sentences:,} ({info.sentences / max(info.articles, 1):.1f}/article)\n"
        f"  characters     {info.chars:,} ({info.chars / max(info.sentences, 1):.1f}/body sentence)\n"
        f"  bytes          {info.bytes:,}\n"
        f"  dropped        {info.dropped:,} rendered sentences (seed-entity leaks across slots)\n"
        f"  time           {info.seconds:.1f} s ({info.articles / max(info.seconds, 1e-9):.0f} articles/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
