"""Light text normalisation shared by ingestion, extraction and questions (no NFKC: Chinese punctuation stays)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

# Full-width digits and Latin letters fold to ASCII; so do ％ ． ＋ － ／.  Chinese punctuation
# such as ，。：（） is kept: full NFKC would turn ， into , and shift spans.
_FOLD: dict[int, int | str | None] = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_FOLD.update({cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)})
_FOLD.update({cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)})
_FOLD.update({ord("％"): "%", ord("．"): ".", ord("＋"): "+", ord("－"): "-", ord("／"): "/"})
_FOLD.update({0x3000: " ", 0x00A0: " ", 0xFEFF: None, 0x200B: None})
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_FOLD)) + "]")
# The characters _FOLD deletes; only these change a text's length.
_DELETED = re.compile(r"[\ufeff\u200b]")

_SPACES = re.compile(r"[ \t\f\v]+")

# Spaces inside a written number, removed for extraction and search (the stored text keeps them):
# 6 . 5% / 2. 2万亿元 (around a decimal point, the left part not a line-opening "1. " item marker),
# 407.8 亿元 / 达 100亿元 (between a digit and a Han character or %), 1 454亿元 (a thousands gap).
_SP = r"[ \u00a0\u2009\u202f\u3000]"
_ANY_SPACE = re.compile(_SP)  # cheap gate: most sentences hold no space at all
_NUMBER_SPACES = re.compile(
    rf"(?<=\d){_SP}+(?=\.{_SP}*\d)"
    rf"|(?<=\d\.){_SP}+(?=\d(?!\d{{3}}年))"
    rf"|(?<=\d){_SP}+(?=[\u3400-\u9fff%])"
    rf"|(?<=[\u3400-\u9fff]){_SP}+(?=\d)"
    rf"|(?<=(?<![\d.])\d){_SP}+(?=\d{{3}}(?![\d:]))"
    rf"|(?<=(?<![\d.])\d\d){_SP}+(?=\d{{3}}(?![\d:]))"
    rf"|(?<=(?<![\d.])\d\d\d){_SP}+(?=\d{{3}}(?![\d:]))"
)


# A pinyin gloss after a character (區(qū), 經(jīng)), left by some pages' ruby markup: not text.
_PINYIN_GLOSS = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,6}[)）]")


def fold_width(text: str) -> str:
    """Fold full-width digits, Latin letters and ％．＋－／ to ASCII; U+3000 to a space."""
    return text.translate(_FOLD)


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # local: loading the conversion tables costs time

    return opencc.OpenCC("t2s")


def simplified_many(texts: Sequence[str]) -> list[str]:
    """`simplified_in_place` of several texts with one OpenCC call (a paragraph's sentences)."""
    if len(texts) < 2 or any("\n" in t for t in texts):
        return [simplified_in_place(t) for t in texts]
    out = to_simplified("\n".join(texts)).split("\n")
    if len(out) != len(texts) or any(len(a) != len(b) for a, b in zip(out, texts, strict=True)):
        return [simplified_in_place(t) for t in texts]
    return out


# Characters t2s keeps when alone but changes inside a phrase of its dictionary (沈 of 深沈, 藉 of 藉口,
# 覆 of 答覆 …): with the characters it changes alone, every conversion that differs from its input has
# one of them (a test checks this against the dictionaries OpenCC ships).
T2S_PHRASE_CHARS = "么俱哩坏彷沈甦瞭藉衹覆"
# The blocks of the BMP where t2s changes characters (a test checks all the others).
T2S_BLOCKS = ((0x2E80, 0x2FDF), (0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


@functools.lru_cache(maxsize=1)
def _t2s_may_change() -> re.Pattern[str]:
    """A character class of every character whose presence may make t2s change a text (built once, ≈20 ms)."""
    chars = [chr(cp) for first, last in T2S_BLOCKS for cp in range(first, last + 1)]
    converted = str(_t2s().convert("\n".join(chars))).split("\n")
    changed = {ch for ch, out in zip(chars, converted, strict=True) if ch != out} | set(T2S_PHRASE_CHARS)
    # Characters past U+FFFF all go to OpenCC: one of them in the class would make the regex engine try
    # its members one by one (≈10 µs a question), not look a bitmap up. Lone surrogates too (it refuses them).
    return re.compile("[\ud800-\udfff" + "".join(re.escape(ch) for ch in sorted(changed)) + "\U00010000-\U0010ffff]")


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified (OpenCC t2s; a text with none is returned as is)."""
    if text.isascii() or _t2s_may_change().search(text) is None:
        return text
    return str(_t2s().convert(text))


def simplified_in_place(text: str) -> str:
    """t2s that keeps every character in place (same length, so offsets into `text` stay valid)."""
    out = to_simplified(text)
    if len(out) == len(text):
        return out
    chars = []
    for ch in text:
        conv = to_simplified(ch)
        chars.append(conv if len(conv) == 1 else ch)
    return "".join(chars)


def strip_pinyin_glosses(text: str) -> str:
    """Remove pinyin glosses written after characters (區(qū) → 區)."""
    return _PINYIN_GLOSS.sub("", text) if "(" in text or "（" in text else text


def join_spaced_numbers(text: str) -> str:
    """Remove the spaces inside written numbers (407.8 亿元, 6 . 5%, 1 454亿元, 2. 2万亿元)."""
    if _ANY_SPACE.search(text):
        for _ in range(2):  # 6 . 5%: the space after the point is found once the one before it is gone
            text = _NUMBER_SPACES.sub("", text)
    return text


def searchable(text: str) -> str:
    """The form used for extraction, tokens and search: width folded, simplified, numbers unspaced."""
    return aligned(text)[0]


def _drop(form: str, pos: Sequence[int], gaps: list[tuple[int, int]]) -> tuple[str, list[int]]:
    keep = [True] * len(form)
    for a, b in gaps:
        keep[a:b] = [False] * (b - a)
    return (
        "".join(ch for ch, k in zip(form, keep, strict=True) if k),
        [p for p, k in zip(pos, keep, strict=True) if k],
    )


def aligned(text: str, *, simplified: str | None = None) -> tuple[str, Sequence[int]]:
    """The searchable form of `text` and, for each of its characters, the index of its source character.

    Every step keeps characters in place except deletions (zero-width characters, pinyin
    glosses and the spaces inside numbers), so a span [i, j) of the form is text[pos[i] : pos[j - 1] + 1].
    `simplified` may pass `simplified_in_place(text)` when the caller converted many texts at once.
    """
    pos: Sequence[int] = range(len(text))  # the common case: nothing deleted, no list built
    if _FOLDABLE.search(text):
        folded = text.translate(_FOLD)
        if len(folded) != len(text):
            pos = [i for i, ch in enumerate(text) if not _DELETED.match(ch)]
        form = simplified_in_place(folded)
    else:
        form = simplified if simplified is not None and len(simplified) == len(text) else simplified_in_place(text)
    if "(" in form or "（" in form:
        gloss = [m.span() for m in _PINYIN_GLOSS.finditer(form)]
        if gloss:
            form, pos = _drop(form, pos, gloss)
    if _ANY_SPACE.search(form):
        for _ in range(2):  # 6 . 5%: the space after the point is found once the one before it is gone
            gaps = [m.span() for m in _NUMBER_SPACES.finditer(form)]
            if not gaps:
                break
            form, pos = _drop(form, pos, gaps)
    return form, pos


def source_span(pos: Sequence[int], start: int, end: int) -> tuple[int, int]:
    """Map a span [start, end) of an aligned form back to its source text (see `aligned`)."""
    if end <= start:
        src = pos[start] if start < len(pos) else (pos[-1] + 1 if pos else 0)
        return src, src
    return pos[start], pos[end - 1] + 1


# English abbreviations of the field a question may use, as the reports write them: YoY growth is 同比增长,
# MoM growth 环比增长 (only the word itself, not inside a longer Latin word).
_ABBREVIATIONS = (
    (re.compile(r"(?<![a-z])yoy(?![a-z])(?=\s*(?:增|涨|下降|减|回落))", re.IGNORECASE), "同比"),
    (re.compile(r"(?<![a-z])yoy(?![a-z])", re.IGNORECASE), "同比增长"),
    (re.compile(r"(?<![a-z])mom(?![a-z])(?=\s*(?:增|涨|下降|减|回落))", re.IGNORECASE), "环比"),
    (re.compile(r"(?<![a-z])mom(?![a-z])", re.IGNORECASE), "环比增长"),
)


def normalize_question(text: str) -> str:
    """Normalise a user's question: width fold, traditional→simplified, spaced numbers joined, spaces squeezed,
    YoY/MoM in Chinese."""
    folded = fold_width(text).replace("\u3000", " ")
    if "o" in folded or "O" in folded:
        for pattern, words in _ABBREVIATIONS:
            folded = pattern.sub(words, folded)
    return _SPACES.sub(" ", join_spaced_numbers(to_simplified(folded))).strip()
