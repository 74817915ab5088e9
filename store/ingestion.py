"""Ingestion: decode, normalise, repair and tag article text, then store documents, sentences and facts."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select
from sqlmodel import Session

from store.models import Document, Fact, Sentence, utcnow
from store.normalize import fold_width
from store.views import IngestReport

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md")
REGIONS_FILE = "regions.txt"
NATIONAL = "全国"

KIND_BODY = "body"
KIND_HEADING = "heading"
KIND_TITLE = "title"
KIND_CAPTION = "caption"
KIND_BYLINE = "byline"

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NAME = rf"[{_HAN}·]{{2,4}}"

# --------------------------------------------------------------------------------------------
# Errors and decoding
# --------------------------------------------------------------------------------------------


class IngestError(ValueError):
    """A file that cannot be ingested; the message names the file and the reason."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


# Control characters that never occur in a text file (tab, newline, CR, FF and VT are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
_VISIBLE = re.compile(r"[^\s\ufeff\u200b-\u200d\u2060]")


def decode_bytes(data: bytes, *, name: str) -> str:
    """Decode a text file (UTF-8 with or without BOM, UTF-16 with BOM, GB18030); refuse the rest."""
    if not data.strip():
        raise IngestError(name, "文件为空")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(name, "无法解码（UTF-16 内容损坏）") from exc
        via = "utf-16"
    elif b"\x00" in data:
        raise IngestError(name, "不是文本文件（含 NUL 字节，疑为二进制文件）")
    else:
        try:
            text = data.decode("utf-8-sig")
            via = "utf-8"
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise IngestError(name, "无法解码（既不是 UTF-8 也不是 GB18030 编码）") from exc
            via = "gb18030"
    if not _VISIBLE.search(text):
        raise IngestError(name, "文件为空（只有空白字符）")
    controls = len(_CONTROL.findall(text))
    if controls > max(2, len(text) // 100):
        raise IngestError(name, "不是文本文件（控制字符过多，疑为二进制文件）")
    # GB18030 maps almost every byte pair somewhere; private-use code points betray a wrong guess.
    if via == "gb18030" and len(_PRIVATE_USE.findall(text)) > max(2, len(text) // 100):
        raise IngestError(name, "无法解码（既不是 UTF-8 也不是 GB18030 编码）")
    return text


# --------------------------------------------------------------------------------------------
# Parsed document
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ParsedParagraph:
    """One paragraph after repair and tagging: its role and its sentences."""

    kind: str  # body | heading | title | caption | byline
    sentences: list[str]

    @property
    def text(self) -> str:
        """The paragraph's text (sentences concatenated)."""
        return "".join(self.sentences)


@dataclass(slots=True)
class ParsedDocument:
    """A normalised, repaired and tagged document with its metadata."""

    title: str
    regions: list[str]
    authors: list[str]
    year: int | None
    date: str | None
    date_source: str | None
    paragraphs: list[ParsedParagraph]
    text: str = ""  # the normalised text the content hash is taken over
    joins: list[str] = field(default_factory=list)  # repaired line breaks, "left|right" excerpts

    @property
    def content_hash(self) -> str:
        """sha256 of the normalised text (the document's identity)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def sentences(self, *kinds: str) -> list[str]:
        """All sentences, or those of the given paragraph kinds, in reading order."""
        return [s for p in self.paragraphs if not kinds or p.kind in kinds for s in p.sentences]


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

# Spaces fold_width leaves alone (en/em/thin spaces) and invisible joiners.
_EXTRA_FOLD: dict[int, str | None] = {cp: " " for cp in range(0x2002, 0x200B)}
_EXTRA_FOLD.update({0x202F: " ", 0x205F: " ", 0x09: " ", 0x200C: None, 0x200D: None, 0x2060: None})
# A two-character name padded to three with U+3000 (李　强) is one word, unlike a two-part heading.
_PADDED_NAME = re.compile(rf"(?<![{_HAN}])([{_HAN}])\u3000([{_HAN}])(?![{_HAN}])")
# Exactly the characters fold_width or _EXTRA_FOLD change (full-width ，。： are not among them).
_FOLDABLE = re.compile(
    r"[\t\u00a0\u2002-\u200d\u202f\u205f\u2060\u3000\ufeff"
    r"\uff05\uff0b\uff0d-\uff19\uff21-\uff3a\uff41-\uff5a]+"
)
_SPACES = re.compile(r" {2,}")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
# Indentation and trailing blanks, removed in one pass before the (slower) width fold.
_INDENT = re.compile(r"^[ \t\u3000\u2002-\u200a]+|[ \t\u3000\u2002-\u200a]+$", re.MULTILINE)
_HAN_RUN = re.compile(rf"[{_HAN}]+")


def _spaced_unit(part: str) -> bool:
    """True for a space-separated piece holding single Han characters (青, 区：, 难、创)."""
    runs = _HAN_RUN.findall(part)
    return (
        bool(runs)
        and all(len(r) == 1 for r in runs)
        and not any(c.isascii() and c.isalnum() for c in part)
    )


def collapse_spaced_han(line: str) -> str:
    """Remove the spaces of runs of ≥4 spaced single Han characters (青 岛 经 济 → 青岛经济)."""
    if line.count(" ") < 3:
        return line
    parts = line.split(" ")
    flags = [_spaced_unit(p) for p in parts]
    out: list[str] = []
    i = 0
    while i < len(parts):
        j = i
        while j < len(parts) and flags[j]:
            j += 1
        if j - i >= 4:
            out.append("".join(parts[i:j]))
        elif j > i:
            out.extend(parts[i:j])
        else:
            out.append(parts[i])
            j = i + 1
        i = j
    return " ".join(out)


def normalize_lines(text: str) -> list[str]:
    """Light normalisation, line by line: width fold, CRLF, indentation, spaced titles, padded names."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _PADDED_NAME.sub(r"\1\2", text)
    text = _INDENT.sub("", text)
    # str.translate walks every character in Python; fold only the rare stretches that need it.
    text = _FOLDABLE.sub(lambda m: fold_width(m.group()).translate(_EXTRA_FOLD), text)
    lines = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line:
            if line[0] == "#":
                line = _MD_HEADING.sub("", line)  # Markdown heading marks are layout, not text
            if "  " in line:
                line = _SPACES.sub(" ", line)
            line = collapse_spaced_han(line)
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


# --------------------------------------------------------------------------------------------
# Line and paragraph classification
# --------------------------------------------------------------------------------------------

_TERMINALS = "。！？!?；;…"
_CLOSERS = "”’）)》」』】〉"
_OPENERS = "“‘（(《「『【〈"
_PAIRS = (
    ("“", "”"),
    ("‘", "’"),
    ("（", "）"),
    ("(", ")"),
    ("《", "》"),
    ("「", "」"),
    ("『", "』"),
    ("【", "】"),
)
# A line starting with one of these continues the previous line (no paragraph starts with ，).
_CONTINUATION_START = "，、。；：！？）)》」』】”’%…,;:"
# A line ending with one of these is cut mid-sentence.
_OPEN_END = "，、（(《“‘「『【,"

_HEADING_MARKER = re.compile(
    r"^(?:[（(][一二三四五六七八九十百\d]{1,3}[）)]|[一二三四五六七八九十百]{1,3}、"
    r"|\d{1,2}(?:[、．]|\.(?!\d))|第[一二三四五六七八九十百\d]{1,3}[章节部分篇条]|附件\s?\d*)"
)
# Starts of list items and other paragraphs that never continue the previous line.
_LIST_START = re.compile(r"^(?:——|[一二三四五六七八九十]是|[■▲△◆●○★☆•])")
_CAPTION_MARK = re.compile(r"^(?:[■▲△◆]|图为|图[:：])")
_PHOTO_CREDIT = re.compile(
    rf"(?:(?:^|[\s。！？”）)])(?:(?:本报)?记者|通讯员|摄影)?\s*{_NAME}(?:[\s、]{_NAME})*\s+摄(?:影)?$"
    rf"|^(?:记者)?{_NAME}摄$|^摄影[:：\s])"
)
_ROLES = (
    "本报记者",
    "特约记者",
    "见习记者",
    "实习记者",
    "记者",
    "通讯员",
    "实习生",
    "撰稿",
    "作者",
    "责任编辑",
    "编辑",
    "责编",
)
_ROLE_RE = "|".join(_ROLES)
_BYLINE_TOKEN_SPLIT = re.compile(r"[\s、，,:：/|]+")
_SOURCE_LINE = re.compile(r"^(?:来源|稿源|转自)\s*[:：]")
_DELIVERY = re.compile(r"^(?:——|—|-{2,}|－{2,})?\s*(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
_SPEAKER = re.compile(
    rf"^(?:国务院|[{_HAN}]{{2,12}}?(?:省|市|自治区)(?:人民政府)?)?(?:代?省长|代?市长|副?总理|代?主席)"
    rf"(?:\s*(?P<name>{_NAME}))?$"
)
_NAME_ONLY = re.compile(rf"^{_NAME}$")
_DELIVERY_SPEAKER = (
    re.compile(rf"(?:代?省长|代?市长|总理)\s*(?P<name>[{_HAN}]{{2,3}}?)(?:同志)?(?=作|在|的|$)"),
    re.compile(rf"(?<=日)(?P<name>[{_HAN}]{{2,3}}?)(?:代?省长|代?市长|总理)(?=在|作)"),
)
_LICENCE_LINE = re.compile(r"^(?:Public domain|false|true)$", re.IGNORECASE)
_TRAILING_AUTHORS = re.compile(
    rf"(?<=[。！？!?”…])\s*[（(](?P<names>(?:(?:{_ROLE_RE})\s*)?{_NAME}(?:[\s、]+{_NAME})*)[）)]$"
)
_NOT_A_NAME = re.compile(r"(?:社|报|网|台|站|部|局|委|办|院|所|会|组|厅|处|完)$")


def _is_delivery_line(line: str) -> bool:
    """A report's dateline: "——2025年1月20日在…人民代表大会第三次会议上"."""
    return (
        _DELIVERY.match(line) is not None
        and "人民代表大会" in line
        and "，" not in line
        and len(line) <= 100
    )


def _byline_names(line: str) -> list[str] | None:
    """Names of a reporter byline (记者 潘旭业 / 通讯员 刘伟 李涛), or None if it is not one."""
    if len(line) > 40 or not line.startswith(_ROLES):
        return None
    names: list[str] = []
    for token in _BYLINE_TOKEN_SPLIT.split(line):
        if not token:
            continue
        stripped = True
        while stripped:
            stripped = False
            for role in _ROLES:
                if token.startswith(role):
                    token = token[len(role) :]
                    stripped = True
                    break
        if not token:
            continue
        if not _NAME_ONLY.match(token):
            return None
        names.append(token)
    return names


def _ends_terminal(text: str) -> bool:
    stripped = text.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _TERMINALS


def _has_terminal(text: str) -> bool:
    return any(c in text for c in _TERMINALS)


def _is_heading_like(text: str, *, limit: int = 40) -> bool:
    """A short line without sentence punctuation (a title or section heading)."""
    return (
        len(text) <= limit
        and not _has_terminal(text)
        and text[-1] not in "：:，、,"
        and _HAN_RUN.search(text) is not None
    )


_HAN_NUMBERED = re.compile(
    r"^(?:[（(][一二三四五六七八九十百]{1,3}[）)]|[一二三四五六七八九十百]{1,3}、)"
)


def _is_marker_heading(text: str) -> bool:
    """A numbered heading such as （一）… or 一、… with at most one sentence."""
    if not _HEADING_MARKER.match(text) or len(text) > 60:
        return False
    inner = text.rstrip(_TERMINALS + _CLOSERS)
    if _has_terminal(inner):
        return False
    # "1.术语：释义。" is a numbered glossary or list sentence, not a heading.
    return inner == text or (_HAN_NUMBERED.match(text) is not None and "：" not in text)


def _balanced(text: str) -> bool:
    return all(text.count(a) == text.count(b) for a, b in _PAIRS)


def _unbalanced_open(text: str) -> bool:
    return any(text.count(a) > text.count(b) for a, b in _PAIRS)


def _sentence_like(text: str) -> bool:
    return len(text) >= 8 and ("，" in text or _has_terminal(text[:-1]))


def _body_like(text: str) -> bool:
    return len(text) >= 6 and any(c in text for c in "，。；！？、")


@lru_cache(maxsize=8192)
def _bridges_word(left: str, right: str) -> bool:
    """True when jieba reads a common word across the junction (发展经|济 → 经济, freq ≥ 100)."""
    from store.tokenize import get_tokenizer  # local: jieba loads only when a junction is in doubt

    tok = get_tokenizer()
    window = left + right
    cut = len(left)
    for _word, start, end in tok.tokenize(window, HMM=False):
        if start < cut < end:
            # The token itself or a common word inside it across the cut (违法犯|罪 → 犯罪).
            return any(
                tok.FREQ.get(window[i:j], 0) >= 100
                for i in range(start, cut)
                for j in range(cut + 1, end + 1)
                if j - i >= 2
            )
    return False


@dataclass(slots=True)
class _Para:
    text: str
    gap_before: int
    gap_after: int = 0
    kind: str = ""  # locked kind ("" while undecided)
    lines: int = 1
    names: list[str] = field(default_factory=list)


def _pretag(lines: list[tuple[str, int]]) -> list[_Para]:
    """Turn (line, blank lines before) pairs into paragraphs, locking captions, bylines and the title."""
    paras: list[_Para] = []
    for i, (line, gap) in enumerate(lines):
        para = _Para(line, gap)
        if i + 1 < len(lines):
            para.gap_after = lines[i + 1][1]
        else:
            para.gap_after = 99
        credit = "摄" in line[-3:] or line.startswith("摄影")
        if _CAPTION_MARK.match(line) or (credit and len(line) <= 80 and _PHOTO_CREDIT.search(line)):
            para.kind = KIND_CAPTION
        elif (names := _byline_names(line)) is not None:
            para.kind, para.names = KIND_BYLINE, names
        elif _SOURCE_LINE.match(line) or _LICENCE_LINE.match(line):
            para.kind = KIND_BYLINE
        elif _is_delivery_line(line):
            para.kind = KIND_BYLINE
            for pattern in _DELIVERY_SPEAKER:
                if m := pattern.search(line):
                    para.names = [m.group("name")]
                    break
        elif (m := _SPEAKER.match(line)) is not None:
            para.kind = KIND_BYLINE
            if m.group("name"):
                para.names = [m.group("name")]
        elif (
            paras
            and paras[-1].kind == KIND_BYLINE
            and _SPEAKER.match(paras[-1].text)
            and not paras[-1].names
            and gap <= 1
            and _NAME_ONLY.match(line)
        ):
            para.kind, para.names = KIND_BYLINE, [line]
        elif not paras and _is_heading_like(line, limit=60):
            para.kind = KIND_TITLE
        elif _is_marker_heading(line):
            para.kind = KIND_HEADING
        paras.append(para)
    return paras


def _starts_list(text: str) -> bool:
    return bool(_HEADING_MARKER.match(text) or _LIST_START.match(text) or _CAPTION_MARK.match(text))


def _should_join(prev: _Para, nxt: _Para, after: _Para | None) -> str | None:
    """Why `nxt` continues `prev` mid-sentence, or None when it starts a new paragraph."""
    if prev.kind or nxt.kind:
        return None
    a, b = prev.text, nxt.text
    if b[0] in _CONTINUATION_START:
        return "continuation"
    if _starts_list(b) or _ends_terminal(a) or a[-1] in "：:":
        return None
    if a[-1] in _OPEN_END:
        return "open-end"
    gap = nxt.gap_before
    if gap == 0 and _unbalanced_open(a):
        return "open-bracket"
    if (
        gap == 0
        and after is not None
        and after.gap_before == 0
        and not after.kind
        and len(b) <= 30
        and not any(c in b for c in "，。；！？、：")
        and (
            after.text[0] in _CONTINUATION_START
            or (after.text[0] in "（(" and not _starts_list(after.text))
        )
    ):
        return "link"  # a wiki link set on its own line between two halves of a sentence
    if gap == 0 and prev.lines > 1:
        return "link-tail"
    if not _body_like(b):
        return None
    if _is_han(a[-1]) and _is_han(b[0]) and (_has_terminal(a) or ("，" in a and len(a) > 40)):
        # Body text (too long or too punctuated for a heading) cut between two characters; but a
        # next line opening with a short topic phrase (深化污染防治攻坚。) starts a paragraph.
        head = _FIRST_CLAUSE.match(b)
        topic = (
            head is not None
            and len(head.group()) <= 15
            and head.group()[-1] in _TERMINALS
            and len(b) > head.end()
        )
        if not topic:
            return "unfinished"
    if _sentence_like(a) and _bridges_word(a[-4:], b[:4]):
        return "word"
    return None


_FIRST_CLAUSE = re.compile(r"[^，。；！？!?;,]*[，。；！？!?;,]")


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _glue(a: str, b: str) -> str:
    if a[-1].isascii() and a[-1].isalpha() and b[0].isascii() and b[0].isalpha():
        return f"{a} {b}"
    return a + b


def _repair_paragraphs(lines: list[str]) -> tuple[list[_Para], list[str]]:
    """Group normalised lines into paragraphs, re-joining lines broken mid-sentence; also return the joins."""
    pairs: list[tuple[str, int]] = []
    gap = 0
    for line in lines:
        if line:
            pairs.append((line, gap))
            gap = 0
        else:
            gap += 1
    raw = _pretag(pairs)
    out: list[_Para] = []
    joins: list[str] = []
    for i, para in enumerate(raw):
        after = raw[i + 1] if i + 1 < len(raw) else None
        if out and _should_join(out[-1], para, after) is not None:
            prev = out[-1]
            joins.append(f"{prev.text[-8:]}|{para.text[:8]}")
            prev.text = _glue(prev.text, para.text)
            prev.gap_after = para.gap_after
            prev.lines += 1
            continue
        out.append(para)
    return out, joins


# --------------------------------------------------------------------------------------------
# Sentence splitting
# --------------------------------------------------------------------------------------------

_SCAN = re.compile(r"[。！？!?；;…“”‘’（）()《》「」『』【】]")
_OPEN_SET = frozenset(_OPENERS)
_CLOSE_SET = frozenset(_CLOSERS)
_TERMINAL_SET = frozenset(_TERMINALS)


def split_sentences(text: str) -> list[str]:
    """Split on 。！？；!?; and ……, keeping quotes and brackets whole (…。” ends after the quote)."""
    if not text:
        return []
    use_depth = _balanced(text)
    n = len(text)
    out: list[str] = []
    start = 0
    depth = 0
    skip_until = 0
    for m in _SCAN.finditer(text):
        pos = m.start()
        if pos < skip_until:
            continue
        ch = text[pos]
        if ch in _OPEN_SET:
            depth += 1
            continue
        if ch in _CLOSE_SET:
            depth = max(0, depth - 1)
            continue
        end = pos + 1
        while end < n and text[end] in _TERMINAL_SET:
            end += 1
        d = depth if use_depth else n
        while end < n and text[end] in _CLOSE_SET and d > 0:
            d -= 1
            end += 1
        if use_depth and d > 0:
            continue  # a full stop inside a quotation that goes on
        sentence = text[start:end].strip()
        if sentence:
            out.append(sentence)
        start = end
        depth = 0
        skip_until = end
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


# --------------------------------------------------------------------------------------------
# Metadata: regions, year, date, title, authors
# --------------------------------------------------------------------------------------------


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


def _is_standalone_caption(paras: list[_Para], i: int) -> bool:
    """A short one-sentence line set apart by blank-line runs next to a photo block."""
    para = paras[i]
    text = para.text
    if len(text) > 30 or not text.endswith("。") or "，" in text or _has_terminal(text[:-1]):
        return False
    if i > 0 and paras[i - 1].kind == KIND_CAPTION and para.gap_before >= 2:
        return True
    return para.gap_before >= 3 and para.gap_after >= 3


def parse_document(text: str, *, name: str) -> ParsedDocument:
    """Normalise, repair, tag and split a document's text, and derive its metadata (pure)."""
    lines = normalize_lines(text)
    normalized = "\n".join(lines)
    paras, joins = _repair_paragraphs(lines)
    if joins:
        log.debug("%s: re-joined %s broken lines", name, len(joins))

    # Split trailing author lists "(王凯 王敏 李贝科)" off their paragraph.
    expanded: list[_Para] = []
    for para in paras:
        m = None if para.kind else _TRAILING_AUTHORS.search(para.text)
        if m:
            names = [
                n
                for n in re.split(r"[\s、]+", re.sub(_ROLE_RE, " ", m.group("names")))
                if n and not _NOT_A_NAME.search(n)
            ]
            if len(names) >= 2 or (names and re.match(_ROLE_RE, m.group("names"))):
                tail = m.group().strip()
                para.text = para.text[: m.start()].rstrip()
                expanded.append(para)
                expanded.append(_Para(tail, 0, para.gap_after, KIND_BYLINE, names=names))
                continue
        expanded.append(para)
    paras = expanded

    for i, para in enumerate(paras):
        if para.kind:
            continue
        if "维基文库" in para.text or ("公有领域" in para.text and "著作权法" in para.text):
            para.kind = KIND_BYLINE  # the wiki's licence note, not part of the report
        elif _is_standalone_caption(paras, i):
            para.kind = KIND_CAPTION

    body_text = "\n".join(p.text for p in paras if p.kind != KIND_BYLINE)
    lead = next((p.text for p in paras if not p.kind and _body_like(p.text)), "")
    title, title_paras = _derive_title(paras, body_text)
    for para in title_paras:
        para.kind = KIND_TITLE
    for para in paras:
        if para.kind:
            continue
        para.kind = KIND_HEADING if _is_heading_like(para.text) else KIND_BODY

    regions = find_regions(title, lead, body_text)
    year, year_note = find_year(normalized)
    delivered = _delivery_date(paras)
    if delivered:
        date, date_source = delivered
        year = int(date[:4])
    else:
        day, day_span = find_date([p.text for p in paras if p.kind != KIND_BYLINE], year)
        if day is not None:
            date, date_source = (
                day.isoformat(),
                f"text:{day_span} (latest dated event; year {year_note})",
            )
        elif year is not None:
            date, date_source = str(year), f"year:{year_note}"
        else:
            date, date_source = "", ""

    authors = list(dict.fromkeys(n for p in paras if p.kind == KIND_BYLINE for n in p.names))
    out = [ParsedParagraph(p.kind, split_sentences(p.text)) for p in paras]
    return ParsedDocument(
        title=title,
        regions=regions,
        authors=authors,
        year=year,
        date=date or None,
        date_source=date_source or None,
        paragraphs=[p for p in out if p.sentences],
        text=normalized,
        joins=joins,
    )


# --------------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------------

_INDEXED_KINDS = frozenset({KIND_BODY, KIND_HEADING, KIND_TITLE})
_DOCUMENT_TABLE: Table = Document.__table__  # type: ignore[attr-defined]
_SENTENCE_TABLE: Table = Sentence.__table__  # type: ignore[attr-defined]
_FACT_TABLE: Table = Fact.__table__  # type: ignore[attr-defined]
_SENTENCE_COLUMNS = ("document_id", "paragraph_no", "position", "kind", "text", "tokens")
_FACT_COLUMNS = (
    "document_id",
    "sentence_id",
    "kind",
    "span",
    "start",
    "end",
    "value",
    "unit",
    "qualifier",
    "target",
    "period",
    "subject",
    "metric",
    "label",
    "date",
)

SentenceRow = tuple[int, int, str, str, str]  # paragraph_no, position, kind, text, tokens
FactRow = tuple[Any, ...]  # _FACT_COLUMNS without document_id and sentence_id


def _refused(name: str, path: str, reason: str) -> IngestReport:
    log.info("refused %s: %s", name, reason)
    return IngestReport(name=name, path=path, status="refused", reason=f"{name}: {reason}")


@lru_cache(maxsize=65536)
def _joined_tokens(text: str, generation: float) -> str:
    """Space-joined index tokens; repeated sentences (boilerplate, reprints) are cut once."""
    from store.tokenize import index_tokens

    return " ".join(index_tokens(text))


@lru_cache(maxsize=16384)
def _paragraph_facts(
    sentences: tuple[str, ...], doc_year: int | None, section_year: int | None = None
) -> tuple[tuple[FactRow, ...], ...]:
    """Fact rows per sentence of a body paragraph (cached: the rows are immutable values)."""
    from store.extraction import extract_paragraph  # local: extraction pulls in its own lexicons

    return tuple(
        tuple(
            (
                f.kind,
                f.span,
                f.start,
                f.end,
                f.value,
                f.unit,
                f.qualifier,
                bool(f.target),
                f.period,
                f.subject,
                f.metric,
                f.label or "",
                f.date,
            )
            for f in found
        )
        for found in extract_paragraph(sentences, doc_year=doc_year, context_period=section_year)
    )


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


def _prepare_rows(parsed: ParsedDocument) -> tuple[list[SentenceRow], list[Sequence[FactRow]]]:
    """Sentence rows and, per sentence, its fact rows (ids are added when they are known)."""
    from store.tokenize import get_tokenizer

    # The tokenizer's total frequency changes whenever words are added, which retires cached tokens.
    generation = float(get_tokenizer().total)
    sentences: list[SentenceRow] = []
    facts: list[Sequence[FactRow]] = []
    period: int | None = None
    for paragraph_no, para in enumerate(parsed.paragraphs):
        per_sentence: Sequence[Sequence[FactRow]]
        if para.kind == KIND_HEADING:
            period = section_year("".join(para.sentences), parsed.year, period)
        if para.kind == KIND_BODY:
            per_sentence = _paragraph_facts(tuple(para.sentences), parsed.year, period)
        else:
            # facts of titles, headings, captions and bylines are not kept
            per_sentence = [()] * len(para.sentences)
        for text, found in zip(para.sentences, per_sentence, strict=True):
            tokens = _joined_tokens(text, generation) if para.kind in _INDEXED_KINDS else ""
            sentences.append((paragraph_no, len(sentences), para.kind, text, tokens))
            facts.append(found)
    return sentences, facts


def _insert_many(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert rows (tuples in `columns` order) with one executemany."""
    if not rows:
        return
    if conn.dialect.paramstyle == "qmark":
        # SQLAlchemy's per-row parameter processing costs more than SQLite's own insert.
        quote = conn.dialect.identifier_preparer.quote
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        conn.exec_driver_sql(sql, rows)
    else:
        conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


Prepared = tuple[list[SentenceRow], list[Sequence[FactRow]]]


def _store(
    parsed: ParsedDocument, *, name: str, path: str, session: Session, prepared: Prepared | None = None
) -> IngestReport:
    """Write one parsed document in its own transaction (added, replaced or unchanged)."""
    digest = parsed.content_hash
    docs = _DOCUMENT_TABLE.c
    same = (
        session.connection()
        .execute(
            select(docs.id, docs.name, docs.title, docs.sentence_count, docs.fact_count).where(
                docs.content_hash == digest
            )
        )
        .first()
    )
    # Tokenising and extracting take most of the time: keep no transaction open meanwhile.
    session.rollback()
    if same is not None:
        return IngestReport(
            name=name,
            path=path,
            status="unchanged",
            document_id=same.id,
            sentences=same.sentence_count,
            facts=same.fact_count,
            details={"same_as": same.name, "title": same.title},
        )
    if not any(_ends_terminal(s) for s in parsed.sentences(KIND_BODY)):
        return _refused(name, path, "没有找到正文句子（不像一篇文章）")
    sentence_rows, fact_rows = prepared if prepared is not None else _prepare_rows(parsed)
    fact_count = sum(len(f) for f in fact_rows)
    char_count = sum(len(row[3]) for row in sentence_rows)
    old_ids: list[int] = []
    try:
        conn = session.connection()
        old_ids = list(conn.execute(select(docs.id).where(docs.name == name)).scalars())
        if old_ids:
            conn.execute(delete(_FACT_TABLE).where(_FACT_TABLE.c.document_id.in_(old_ids)))
            conn.execute(delete(_SENTENCE_TABLE).where(_SENTENCE_TABLE.c.document_id.in_(old_ids)))
            conn.execute(delete(_DOCUMENT_TABLE).where(docs.id.in_(old_ids)))
        result = conn.execute(
            insert(_DOCUMENT_TABLE).values(
                name=name,
                path=path,
                content_hash=digest,
                title=parsed.title,
                regions=parsed.regions,
                authors=parsed.authors,
                year=parsed.year,
                date=parsed.date,
                date_source=parsed.date_source,
                char_count=char_count,
                sentence_count=len(sentence_rows),
                fact_count=fact_count,
                ingested_at=utcnow(),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        doc_id = int(key[0])
        _insert_many(
            conn, _SENTENCE_TABLE, _SENTENCE_COLUMNS, [(doc_id, *row) for row in sentence_rows]
        )
        # One ordered read gives every sentence id; per-row RETURNING would be row-by-row on SQLite.
        sentences = _SENTENCE_TABLE.c
        ids: Iterable[int] = conn.execute(
            select(sentences.id).where(sentences.document_id == doc_id).order_by(sentences.position)
        ).scalars()
        flat = [
            (doc_id, sentence_id, *fact)
            for sentence_id, facts in zip(ids, fact_rows, strict=True)
            for fact in facts
        ]
        _insert_many(conn, _FACT_TABLE, _FACT_COLUMNS, flat)
        session.commit()
    except Exception as exc:
        session.rollback()
        log.exception("could not store %s", name)
        return _refused(name, path, f"写入数据库失败：{exc}")
    status = "replaced" if old_ids else "added"
    log.info("%s %s: %s sentences, %s facts", status, name, len(sentence_rows), fact_count)
    return IngestReport(
        name=name,
        path=path,
        status=status,
        document_id=doc_id,
        sentences=len(sentence_rows),
        facts=fact_count,
        details={
            "title": parsed.title,
            "regions": parsed.regions,
            "year": parsed.year,
            "date": parsed.date,
            "joins": len(parsed.joins),
            "chars": char_count,
            "replaced_ids": old_ids,
        },
    )


def ingest_bytes(data: bytes, *, name: str, session: Session, path: str = "") -> IngestReport:
    """Ingest one file's bytes as document `name` (one transaction); refusals come back as reports."""
    try:
        text = decode_bytes(data, name=name)
        parsed = parse_document(text, name=name)
    except IngestError as exc:
        return _refused(name, path, exc.reason)
    return _store(parsed, name=name, path=path, session=session)


def _expand(paths: Iterable[str | Path]) -> Iterator[Path | IngestReport]:
    """Files to ingest in order (folders recurse, sorted); refusals for what cannot be ingested."""
    for raw in paths:
        target = Path(raw)
        if not target.exists():
            yield _refused(target.name or str(target), str(target), "路径不存在")
        elif target.is_dir():
            for child in sorted(target.rglob("*")):
                rel = child.relative_to(target)
                if not child.is_file() or any(part.startswith(".") for part in rel.parts):
                    continue
                if child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child
                else:
                    yield _refused(child.name, str(child), _suffix_reason(child))
        elif target.suffix.lower() in SUPPORTED_SUFFIXES:
            yield target
        else:
            yield _refused(target.name, str(target), _suffix_reason(target))


def _suffix_reason(path: Path) -> str:
    shown = path.suffix or "（无扩展名）"
    return f"不支持的文件类型 {shown}（只接受 {' / '.join(SUPPORTED_SUFFIXES)}）"


# From this many files on, parsing, jieba and extraction run in worker processes (one per core)
# while this process writes: jieba holds the GIL, so threads would not help.
PARALLEL_MIN_FILES = 16


def _prepare_file(path: str) -> tuple[str, str, ParsedDocument, Prepared] | IngestReport:
    """Read, decode, parse, tokenise and extract one file (runs in a worker process)."""
    item = Path(path)
    try:
        data = item.read_bytes()
        parsed = parse_document(decode_bytes(data, name=item.name), name=item.name)
    except OSError as exc:
        return _refused(item.name, path, f"无法读取文件：{exc.strerror or exc}")
    except IngestError as exc:
        return _refused(item.name, path, exc.reason)
    return item.name, path, parsed, _prepare_rows(parsed)


def _workers(files: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, 4) if files >= PARALLEL_MIN_FILES and cores > 1 else 0


def ingest_paths(paths: Iterable[str | Path], *, session: Session) -> list[IngestReport]:
    """Ingest files and folders (*.txt, *.md), one transaction per document; one report per file."""
    items = list(_expand(paths))
    files = [str(i) for i in items if not isinstance(i, IngestReport)]
    workers = _workers(len(files))
    if workers:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: the caller may be a running bot with threads.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            prepared = iter(pool.map(_prepare_file, files, chunksize=4))
            return [
                item if isinstance(item, IngestReport) else _store_prepared(next(prepared), session)
                for item in items
            ]
    reports: list[IngestReport] = []
    for item in items:
        if isinstance(item, IngestReport):
            reports.append(item)
            continue
        try:
            data = item.read_bytes()
        except OSError as exc:
            reports.append(_refused(item.name, str(item), f"无法读取文件：{exc.strerror or exc}"))
            continue
        reports.append(ingest_bytes(data, name=item.name, session=session, path=str(item)))
    return reports


def _store_prepared(
    result: tuple[str, str, ParsedDocument, Prepared] | IngestReport, session: Session
) -> IngestReport:
    """Store what a worker prepared (or pass its refusal on)."""
    if isinstance(result, IngestReport):
        return result
    name, path, parsed, prepared = result
    return _store(parsed, name=name, path=path, session=session, prepared=prepared)
