"""Kernels of the rerank (plain Python until compiled, see store.kernels): which candidate sentences the question's
words turn down, and what the texts and titles of the others say of its entities."""

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
    return int(((np.int64(first) * 40503) ^ (np.int64(second) & 0xFFFF)) & 255)


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


# What entity_scan() finds of an entity for a candidate (bits of its flags).
IN_SENTENCE = 1  # the entity's pattern (a name no tail follows) is in the sentence
NAME_IN_SENTENCE = 2  # one of its names is in the sentence, followed by a tail or not
IN_TITLE = 4  # its pattern is in the document's title and regions
KIND_WORD_NEAR = 8  # one of its kind words (全市, 经开区) is in the sentence or the one before it
PARENT_IN_TITLE = 16  # one of its parents' names is in the document's title and regions
_STRINGS_PER_ENTITY = 4  # an entity's groups in entity_scan()'s strings: names, tails, kind words, parents' names


@compiled
def _lowered(blob: str, start: int, end: int, table: np.ndarray, out: np.ndarray) -> bool:
    """out[:end - start] = the lower-cased codes of blob[start:end]; False when the table cannot read one."""
    for j in range(end - start):
        code = _get_code_point(blob, start + j)
        low = table[code] if code < len(table) else -1
        if low < 0:
            return False
        out[j] = low
    return True


@compiled
def _at(text: np.ndarray, length: int, at: int, needles: np.ndarray, start: int, end: int) -> bool:
    """Whether needles[start:end] is text[at:] 's start."""
    if at + end - start > length:
        return False
    for k in range(end - start):  # noqa: SIM110 (a loop numba compiles, not a generator)
        if text[at + k] != needles[start + k]:
            return False
    return True


@compiled
def _pattern_in(text: np.ndarray, length: int, needles: np.ndarray, needle_starts: np.ndarray, group_starts: np.ndarray,
                names: int, tails: int) -> bool:
    """_NameMatcher.search(): some string of group `names` occurs where no string of group `tails` follows it."""
    for k in range(group_starts[names], group_starts[names + 1]):
        start, end = needle_starts[k], needle_starts[k + 1]
        for at in range(length - (end - start) + 1):
            if not _at(text, length, at, needles, start, end):
                continue
            followed = False
            for t in range(group_starts[tails], group_starts[tails + 1]):
                if _at(text, length, at + end - start, needles, needle_starts[t], needle_starts[t + 1]):
                    followed = True
                    break
            if not followed:
                return True
    return False


@compiled
def _any_in(text: np.ndarray, length: int, needles: np.ndarray, needle_starts: np.ndarray, group_starts: np.ndarray,
            group: int) -> bool:
    """Whether some string of the group occurs in the text."""
    for k in range(group_starts[group], group_starts[group + 1]):
        if _contains(text, length, needles, needle_starts[k], needle_starts[k + 1]):
            return True
    return False


@compiled
def entity_scan(
    blob: str,  # the text column
    starts: np.ndarray,  # int64 [candidate, 4]: where the rows two and one before it, it and the next one start
    previous: np.ndarray,  # int64 per candidate: how many of the two rows before it are in its paragraph (0 to 2)
    eligible: np.ndarray,  # bool per candidate: its document is in simplified characters and known
    documents: np.ndarray,  # int64 per candidate: its document id
    titles: str,  # every document's lower-cased title and regions
    title_starts: np.ndarray,  # int64: document d's is titles[title_starts[d]:title_starts[d + 1]]
    table: np.ndarray,  # lower_table()
    needles: np.ndarray,  # needle_table() of _STRINGS_PER_ENTITY groups per entity
    needle_starts: np.ndarray,
    group_starts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate and entity: what its sentence, the rows before it and its document's title say of the entity.

    Returns whether each candidate was read (its document eligible, every text of it and of the rows before it in
    its paragraph readable by the table), the flags (IN_SENTENCE …) and the nearest row before it naming the
    entity by its pattern (its position among the previous rows, in reading order; -1 for none).
    """
    n = len(starts)
    entities = (len(group_starts) - 1) // _STRINGS_PER_ENTITY
    read = np.zeros(n, np.bool_)
    flags = np.zeros((n, entities), np.int8)
    nearest = np.full((n, entities), -1, np.int8)
    text = np.empty(256, np.int32)
    before = np.empty((2, 256), np.int32)
    title = np.empty(256, np.int32)
    for i in range(n):
        if not eligible[i]:
            continue
        longest = 0
        for r in range(3):
            longest = max(longest, starts[i, r + 1] - starts[i, r])
        if longest > len(text):
            text = np.empty(longest, np.int32)
            before = np.empty((2, longest), np.int32)
        length = starts[i, 3] - starts[i, 2] - 1
        if not _lowered(blob, starts[i, 2], starts[i, 2] + length, table, text):
            continue
        count = previous[i]
        lengths = np.zeros(2, np.int64)
        readable = True
        for p in range(count):  # p = 0: the first previous row in reading order
            row_slot = 2 - count + p
            lengths[p] = starts[i, row_slot + 1] - starts[i, row_slot] - 1
            if not _lowered(blob, starts[i, row_slot], starts[i, row_slot] + lengths[p], table, before[p]):
                readable = False
                break
        if not readable:
            continue
        doc = documents[i]
        title_length = title_starts[doc + 1] - title_starts[doc]
        if title_length > len(title):
            title = np.empty(title_length, np.int32)
        for j in range(title_length):
            title[j] = _get_code_point(titles, title_starts[doc] + j)
        read[i] = True
        for e in range(entities):
            names, tails, kinds, parents = (
                _STRINGS_PER_ENTITY * e, _STRINGS_PER_ENTITY * e + 1, _STRINGS_PER_ENTITY * e + 2,
                _STRINGS_PER_ENTITY * e + 3,
            )
            found = 0
            if _pattern_in(text, length, needles, needle_starts, group_starts, names, tails):
                found |= IN_SENTENCE
            if _any_in(text, length, needles, needle_starts, group_starts, names):
                found |= NAME_IN_SENTENCE
            if _pattern_in(title, title_length, needles, needle_starts, group_starts, names, tails):
                found |= IN_TITLE
            if _any_in(text, length, needles, needle_starts, group_starts, kinds) or (
                count > 0 and _any_in(before[count - 1], lengths[count - 1], needles, needle_starts, group_starts, kinds)
            ):
                found |= KIND_WORD_NEAR
            if _any_in(title, title_length, needles, needle_starts, group_starts, parents):
                found |= PARENT_IN_TITLE
            flags[i, e] = found
            for p in range(count - 1, -1, -1):
                if _pattern_in(before[p], lengths[p], needles, needle_starts, group_starts, names, tails):
                    nearest[i, e] = p
                    break
    return read, flags, nearest


@compiled
def rerank_scan(
    blob: str,
    text_starts: np.ndarray,  # the text column's offsets (row r's text starts at text_starts[r])
    doc_of_row: np.ndarray,
    para_of_row: np.ndarray,
    rows: np.ndarray,  # int64 per candidate: its row
    simplified: np.ndarray,  # bool per document id: known to be in simplified characters, and known
    titles: str,
    title_starts: np.ndarray,
    table: np.ndarray,
    needles: np.ndarray,  # needle_table() of the question's plain groups (word_filter())
    needle_starts: np.ndarray,
    group_starts: np.ndarray,
    weights: np.ndarray,
    titled: np.ndarray,
    plain_total: float,
    entity_weight: float,
    total: float,
    min_topic: float,
    min_coverage: float,
    title_share: float,
    entity_needles: np.ndarray,  # needle_table() of the entities' strings (entity_scan())
    entity_needle_starts: np.ndarray,
    entity_group_starts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """word_filter() of the candidates, then entity_scan() of those it keeps (their positions: the third array).

    Also returns what it read of each candidate's rows (store.answering._read_row_arrays(), in int64): where the
    rows two and one before it, it and the next one start; the documents and paragraphs of the first three.
    """
    n = len(rows)
    last = len(doc_of_row) - 1
    starts = np.empty((n, 4), np.int64)
    documents_around = np.empty((n, 3), np.int64)
    paragraphs_around = np.empty((n, 3), np.int64)
    for i in range(n):
        for k in range(4):
            row = max(rows[i] + k - 2, 0)  # rows before the first one: never used
            starts[i, k] = text_starts[row]
            if k < 3:
                documents_around[i, k] = doc_of_row[min(row, last)]
                paragraphs_around[i, k] = para_of_row[min(row, last)]
    bounds = np.empty((n, 2), np.int64)
    documents = np.empty(n, np.int64)
    eligible = np.zeros(n, np.bool_)
    for i in range(n):
        bounds[i, 0], bounds[i, 1] = starts[i, 2], starts[i, 3] - 1  # without the separator
        documents[i] = documents_around[i, 2]
        doc = documents[i]
        eligible[i] = 0 <= doc < len(simplified) and doc + 1 < len(title_starts) and simplified[doc]
    status, matched = word_filter(
        blob, bounds, eligible, documents, titles, title_starts, table, needles, needle_starts, group_starts, weights,
        titled, plain_total, entity_weight, total, min_topic, min_coverage, title_share,
    )
    kept = np.flatnonzero(status == KEPT)
    previous = np.zeros(len(kept), np.int64)
    for k in range(len(kept)):  # the rows before it in its paragraph, as _previous_of() counts them
        i = kept[k]
        if rows[i] >= 1 and documents_around[i, 1] == documents_around[i, 2] and (
            paragraphs_around[i, 1] == paragraphs_around[i, 2]
        ):
            previous[k] = 1
            if rows[i] >= 2 and documents_around[i, 0] == documents_around[i, 2] and (
                paragraphs_around[i, 0] == paragraphs_around[i, 2]
            ):
                previous[k] = 2
    read, flags, nearest = entity_scan(
        blob, starts[kept], previous, eligible[kept], documents[kept], titles, title_starts, table, entity_needles,
        entity_needle_starts, entity_group_starts,
    )
    return status, matched, kept, read, flags, nearest, starts, documents_around, paragraphs_around


def compile_rerank_scan(text_starts: np.ndarray, doc_of_row: np.ndarray, para_of_row: np.ndarray) -> None:
    """Compile (or load from numba's on-disk cache) rerank_scan() for an index's arrays, and build its table."""
    codes, needle_starts, group_starts = needle_table([(("ab",), 1.0)])
    entity_codes, entity_starts, entity_groups = needle_table([(("ab",), 0.0), ((), 0.0), ((), 0.0), ((), 0.0)])
    rerank_scan(  # no candidate read (no document known simplified): the index's offsets are not those of this text
        "ab\x00", text_starts, doc_of_row, para_of_row, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.bool_),
        "ab", np.array([0, 2], dtype=np.int64), lower_table(), codes, needle_starts, group_starts,
        np.ones(1, dtype=np.float64), np.ones(1, dtype=np.bool_), 1.0, 0.0, 1.0, 0.4, 0.5, 0.6, entity_codes,
        entity_starts, entity_groups,
    )


@warm_up
def _load_kernels() -> None:
    """Compile (or load) rerank_scan() for the arrays of a loaded or built index (int64 offsets, int32 documents and
    paragraphs), with word_filter() and entity_scan() inside it; build the lower-case table."""
    rows = np.zeros(1, dtype=np.int32)
    compile_rerank_scan(np.zeros(2, dtype=np.int64), rows, rows)
