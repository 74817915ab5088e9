"""Text repair: normalise lines, re-join broken paragraphs, tag chrome/captions/bylines, split sentences."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache

from store.normalize import fold_width

log = logging.getLogger(__name__)

KIND_BODY = "body"
KIND_HEADING = "heading"
KIND_TITLE = "title"
KIND_CAPTION = "caption"
KIND_BYLINE = "byline"
KIND_CHROME = "chrome"  # page furniture: breadcrumbs, source/time lines, share bars (not body text)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_NAME = rf"[{_HAN}·]{{2,4}}"


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


# A cell that is one figure (312.6亿元, 8.7%, 2,817 家, ——): what a data table's row holds.
_FIGURE_CELL = re.compile(r"[约近超逾]?\s*\d[\d.,\s]*(?:%|[万亿千百]*\s*[\u4e00-\u9fff]{1,3})?(?<![年月日号])|[—–-]{1,2}")


def is_table_row(text: str) -> bool:
    """A row of a data table written as text (地区生产总值 | 312.6亿元 | 8.7%): a label and figures, not a nav bar."""
    cells = [c.strip() for c in re.split(r"[|｜]", text)]
    if len(cells) < 2 or not cells[0] or not re.search(r"\d", text):
        return False
    figures = [c for c in cells[1:] if _FIGURE_CELL.fullmatch(c)]
    return bool(figures) and len(figures) == len([c for c in cells[1:] if c])


def _is_heading_like(text: str, *, limit: int = 40) -> bool:
    """A short line without sentence punctuation (a title or section heading)."""
    return (
        not is_table_row(text)
        and len(text) <= limit
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


def _is_standalone_caption(paras: list[_Para], i: int) -> bool:
    """A short one-sentence line set apart by blank-line runs next to a photo block."""
    para = paras[i]
    text = para.text
    if len(text) > 30 or not text.endswith("。") or "，" in text or _has_terminal(text[:-1]):
        return False
    if i > 0 and paras[i - 1].kind == KIND_CAPTION and para.gap_before >= 2:
        return True
    return para.gap_before >= 3 and para.gap_after >= 3
