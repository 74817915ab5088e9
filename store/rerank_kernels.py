"""Compiled (numba) kernel of the rerank's word filter: which candidate sentences the question's words turn down."""

from __future__ import annotations

import functools
from itertools import accumulate

import numpy as np

from store.kernels import StandIn, compiled, warm_up

# What word_filter() says of a candidate row.
UNDECIDED = 0  # the caller decides (a character whose lower case is not one character, a bracket, a title word)
TURNED_DOWN = 1  # too little of the question's words, whatever the title or the entities: never shown
KEPT = 2  # read on: its matched weight is final

_NOT_ONE_CHARACTER = -1


@functools.lru_cache(maxsize=1)
def lower_table() -> np.ndarray:
    """BMP code → code of its str.lower() (int32); -1 where that is not one character whatever surrounds it
    (Σ ends a word as ς), or is a bracket.

    A text of characters with an entry other than -1 is lower-cased character by character, and
    strip_pinyin_glosses() leaves it as it is (a gloss starts with a bracket).
    """
    table = np.full(0x10000, _NOT_ONE_CHARACTER, dtype=np.int32)
    for code in range(0x10000):
        char = chr(code)
        low = char.lower()
        if len(low) == 1 and low not in "(（" and (low == char or all(
            (before + char + after).lower() == before.lower() + low + after for before in ("", "a", "A") for after in ("", "a")
        )):
            table[code] = ord(low)
    return table


def needle_table(groups: list[tuple[tuple[str, ...], float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The strings of the groups as codes (int32, one after another), where each string starts, where each group's start."""
    strings = [s for group, _w in groups for s in group]
    codes = np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.int32).copy()
    starts = np.fromiter(accumulate(map(len, strings), initial=0), dtype=np.int64, count=len(strings) + 1)
    sizes = [len(group) for group, _w in groups]
    group_starts = np.fromiter(accumulate(sizes, initial=0), dtype=np.int64, count=len(groups) + 1)
    return codes, starts, group_starts


def _code_point_plain(text: str, at: int) -> int:
    """The code of text[at]."""
    return ord(text[at])


def _code_point_compiled() -> object:
    """numba's code of a character of a str, without making a one-character string of it."""
    from numba.cpython.unicode import _get_code_point

    return _get_code_point


_get_code_point = StandIn(_code_point_plain, _code_point_compiled)

_BLOOM_WORDS = 4  # a text's characters (and pairs of characters) as a 256-bit filter: 4 words of 64 bits


@compiled
def _pair_bit(first: int, second: int) -> int:
    """The filter bit of a pair of adjacent characters (of a character alone: second = -1)."""
    return ((np.int64(first) * 40503) ^ (np.int64(second) & 0xFFFF)) & 255


@compiled
def _contains(text: np.ndarray, length: int, needles: np.ndarray, start: int, end: int) -> bool:
    """Whether needles[start:end] occurs in text[:length] (the empty string everywhere)."""
    size = end - start
    if size == 0:
        return True
    first = needles[start]
    for at in range(length - size + 1):
        if text[at] != first:
            continue
        found = True
        for k in range(1, size):
            if text[at + k] != needles[start + k]:
                found = False
                break
        if found:
            return True
    return False


@compiled
def _in_title(titles: str, start: int, end: int, needles: np.ndarray, needle_start: int, needle_end: int) -> bool:
    """Whether needles[needle_start:needle_end] occurs in titles[start:end], character for character."""
    size = needle_end - needle_start
    for at in range(start, end - size + 1):
        found = True
        for k in range(size):
            if _get_code_point(titles, at + k) != needles[needle_start + k]:
                found = False
                break
        if found:
            return True
    return False


@compiled
def _fails(matched: float, plain_total: float, entity_weight: float, total: float, min_topic: float,
           min_coverage: float) -> bool:
    """The rerank's test of a sentence's words: too little of the measure asked, or of the whole question."""
    topic_missing = plain_total > 0 and matched / plain_total < min_topic
    return topic_missing or total <= 0 or (matched + entity_weight) / total < min_coverage


@compiled
def word_filter(
    blob: str,  # the text column: every row's text
    bounds: np.ndarray,  # int64 [row, 2]: where each candidate's text starts and ends in blob
    eligible: np.ndarray,  # bool per candidate: its document is in simplified characters and known (documents)
    documents: np.ndarray,  # int64 per candidate: its document id
    titles: str,  # every document's lower-cased title and regions (SearchIndex.doc_text_lower())
    title_starts: np.ndarray,  # int64: document d's is titles[title_starts[d]:title_starts[d + 1]]
    table: np.ndarray,  # lower_table()
    needles: np.ndarray,  # needle_table() of the question's plain groups
    needle_starts: np.ndarray,
    group_starts: np.ndarray,
    weights: np.ndarray,  # float64 per group
    titled: np.ndarray,  # bool per group: a word a document title may stand in for (its first string)
    plain_total: float,
    entity_weight: float,
    total: float,
    min_topic: float,
    min_coverage: float,
    title_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: UNDECIDED, TURNED_DOWN or KEPT, and the weight of the question's words it holds.

    The same sums, in the same order, as the rerank's: the groups its lower-cased text holds (from zero), plus
    title_share × the titled words it lacks and its document's title holds, when its own fall short.
    """
    n = len(bounds)
    status = np.zeros(n, np.int8)
    matched_out = np.zeros(n, np.float64)
    # The filter bits each string needs: of its pairs of characters (of its character when it has one).
    strings = len(needle_starts) - 1
    needs = np.zeros((strings, _BLOOM_WORDS), np.uint64)
    for k in range(strings):
        start, end = needle_starts[k], needle_starts[k + 1]
        if end - start == 1:
            bit = _pair_bit(needles[start], -1)
            needs[k, bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)
        for p in range(start, end - 1):
            bit = _pair_bit(needles[p], needles[p + 1])
            needs[k, bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)
    text = np.empty(256, np.int32)
    has = np.zeros(_BLOOM_WORDS, np.uint64)
    for i in range(n):
        if not eligible[i]:
            continue
        start, end = bounds[i, 0], bounds[i, 1]
        length = end - start
        if length > len(text):
            text = np.empty(length, np.int32)
        has[:] = 0
        readable = True
        previous = -1
        for j in range(length):
            code = _get_code_point(blob, start + j)
            low = table[code] if code < len(table) else -1
            if low < 0:
                readable = False
                break
            text[j] = low
            bit = _pair_bit(low, -1)
            has[bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)
            if previous >= 0:
                bit = _pair_bit(previous, low)
                has[bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)
            previous = low
        if not readable:
            continue
        matched = 0.0
        lacks_titled = False
        for g in range(len(weights)):
            first = group_starts[g]
            for k in range(first, group_starts[g + 1]):
                possible = True
                for w in range(_BLOOM_WORDS):
                    if needs[k, w] & ~has[w]:
                        possible = False
                        break
                if possible and _contains(text, length, needles, needle_starts[k], needle_starts[k + 1]):
                    matched += weights[g]
                    break
                if k == first and titled[g]:
                    lacks_titled = True
        if matched < plain_total and lacks_titled:
            # A word of the question the sentence lacks but its document's title names (summed in group order).
            doc = documents[i]
            title_start, title_end = title_starts[doc], title_starts[doc + 1]
            in_title = 0.0
            for g in range(len(weights)):
                k = group_starts[g]
                if not titled[g] or k == group_starts[g + 1]:
                    continue
                if _contains(text, length, needles, needle_starts[k], needle_starts[k + 1]):
                    continue
                if _in_title(titles, title_start, title_end, needles, needle_starts[k], needle_starts[k + 1]):
                    in_title += weights[g]
            matched += title_share * in_title
        elif matched < plain_total:
            matched += title_share * 0.0
        status[i] = (
            TURNED_DOWN if _fails(matched, plain_total, entity_weight, total, min_topic, min_coverage) else KEPT
        )
        matched_out[i] = matched
    return status, matched_out


@warm_up
def compile_word_filter() -> None:
    """Compile (or load from numba's on-disk cache) word_filter() for the rerank's argument types, and build its table."""
    codes, starts, group_starts = needle_table([(("ab",), 1.0)])
    one = np.ones(1, dtype=np.bool_)
    word_filter("ab\x00", np.array([[0, 2]], dtype=np.int64), one, np.zeros(1, dtype=np.int64), "ab",
                np.array([0, 2], dtype=np.int64), lower_table(), codes, starts, group_starts,
                np.ones(1, dtype=np.float64), one, 1.0, 0.0, 1.0, 0.4, 0.5, 0.6)
