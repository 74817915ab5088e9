"""Document metadata from its text: regions, year, date, title, section years."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from store.ingest.repair import (
    _DELIVERY,
    KIND_BYLINE,
    KIND_TITLE,
    _is_delivery_line,
    _is_heading_like,
    _Para,
    split_sentences,
)
from store.normalize import fold_width

log = logging.getLogger(__name__)

REGIONS_FILE = "regions.txt"
NATIONAL = "全国"


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """The region names pattern and alias → canonical map from seeds/lexicon/regions.txt."""
    from store.tokenize import LEXICON_DIR  # the lexicon folder is defined once, next to jieba's

    path = LEXICON_DIR / REGIONS_FILE
    canon: dict[str, str] = {}
    if not path.exists():
        log.warning("region gazetteer %s not found; documents get no regions", path)
        return None, canon
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        names = [fold_width(n).strip() for n in line.split("\t") if n.strip()]
        main = names[0].lstrip("!")
        for alias in names[1:] if names[0].startswith("!") else names:
            canon.setdefault(alias, main)
    pattern = re.compile("|".join(re.escape(a) for a in sorted(canon, key=len, reverse=True)))
    return pattern, canon


def find_regions(title: str, lead: str, text: str) -> list[str]:
    """Regions of a document: those in the title, then the lead, then the often mentioned ones."""
    pattern, canon = _gazetteer()
    if pattern is None:
        return []
    counts: Counter[str] = Counter(canon[m.group()] for m in pattern.finditer(text))
    ranked = [canon[m.group()] for m in pattern.finditer(title)]
    ranked += [canon[m.group()] for m in pattern.finditer(lead)]
    if NATIONAL in ranked:
        return [NATIONAL]  # provinces named in a national report are examples, not its subject
    top = max(counts.values(), default=0)
    # Passing mentions (a company's home province, an anecdote) stay out: 3+ and 8% of the top.
    ranked += [r for r, c in counts.most_common() if c >= 3 and c >= 0.08 * top]
    return list(dict.fromkeys(ranked))[:5]


_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})\s?年(?!代)")
_FUTURE_BEFORE = re.compile(r"(?:到|至|面向|力争|争取|预计|计划|目标|展望|—|-|～|~)\s*$")
_FUTURE_AFTER = re.compile(r"^\s?年(?:前|底前|以前|之前|远景|目标|愿景)")
_THIS_YEAR = re.compile(r"今年[（(]((?:19|20)\d{2})年?[）)]")
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_ANIMALS = "鼠牛虎兔龙蛇马羊猴鸡狗猪"
_CYCLICAL = re.compile(rf"([{_STEMS}])([{_BRANCHES}])[{_ANIMALS}]?年")
_ANIMAL_YEAR = re.compile(rf"[{_ANIMALS}]年")
_DAY = re.compile(r"(?:(?P<y>(?:19|20)\d{2})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
_DAY_FUTURE_BEFORE = re.compile(r"(?:将于|将在|将|计划|预计|定于|拟于|到|至)\s*$")


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


def _delivery_date(paragraphs: Sequence[_Para]) -> tuple[str, str] | None:
    for para in paragraphs:
        if (
            para.kind == KIND_BYLINE
            and (m := _DELIVERY.match(para.text))
            and _is_delivery_line(para.text)
        ):
            try:
                day = dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            except ValueError:
                continue
            return day.isoformat(), f"delivery:{para.text.lstrip('—-－ ')}"
    return None


_RELATIVE_YEAR = re.compile(r"今年|去年|上年|过去一年|一年来")


def find_date(paragraphs: Sequence[str], year: int | None) -> tuple[dt.date | None, str]:
    """The latest M月D日 of the document's year that is neither announced for later nor a look back."""
    if year is None:
        return None, ""
    best: tuple[dt.date, str] | None = None
    for text in paragraphs:
        if "日" not in text or "月" not in text:
            continue
        cues = [(c.start(), c.group()) for c in _RELATIVE_YEAR.finditer(text)]
        for m in _DAY.finditer(text):
            if _DAY_FUTURE_BEFORE.search(text[max(0, m.start() - 3) : m.start()]):
                continue
            # A day without a year after "去年…" belongs to last year (reports look back).
            last_cue = next((c for pos, c in reversed(cues) if pos < m.start()), "今年")
            if m.group("y") is None and last_cue != "今年":
                continue
            y = int(m.group("y")) if m.group("y") else year
            if y != year:
                continue
            try:
                day = dt.date(y, int(m.group("m")), int(m.group("d")))
            except ValueError:
                continue
            if best is None or day > best[0]:
                best = (day, m.group())
    return (best[0], best[1]) if best else (None, "")


_REPORT_FORMULA = re.compile(r"我代表[^，。]{2,12}?，?向大会报告")


# Title, in order of preference: (1) a heading-like first line (004's spaced title, "2025年山东省政府
# 工作报告"); (2) the heading-like lines right above the first reporter byline, joined with "：" when
# the first is a bare region name (000 → 青岛西海岸新区：创新突破，全面实现高质量发展); (3) "政府工作报告"
# for a report that opens with its formula but has no title line (the 2025 State Council text);
# (4) the first heading-like line; (5) the first sentence, cut to 40 characters.
def _derive_title(paras: list[_Para], text: str) -> tuple[str, list[_Para]]:
    """The document title and the paragraphs that form it."""
    if paras and paras[0].kind == KIND_TITLE:
        return paras[0].text, [paras[0]]
    # A newspaper headline sits right above the reporter byline (000: region line + headline).
    for i, para in enumerate(paras[:12]):
        if para.kind == KIND_BYLINE and para.names:
            block: list[_Para] = []
            j = i - 1
            while j >= 0 and not paras[j].kind and _is_heading_like(paras[j].text):
                block.insert(0, paras[j])
                j -= 1
            if block:
                _, canon = _gazetteer()
                parts = [p.text for p in block]
                sep = "：" if len(parts) > 1 and parts[0] in canon else " "
                return sep.join(parts), block
            break
    if _REPORT_FORMULA.search(text):
        return "政府工作报告", []
    for para in paras:
        if not para.kind and _is_heading_like(para.text):
            return para.text, []
    for para in paras:
        if not para.kind:
            first = split_sentences(para.text)[0]
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
