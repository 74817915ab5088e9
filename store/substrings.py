"""Substrings of a short text (a question) that are keys of a large set, found without probing every length."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def _longest_first(span: tuple[int, int]) -> tuple[int, int]:
    return span[0] - span[1], span[0]


class SubstringIndex:
    """Keys of 2 to `max_len` characters, with the lengths that occur after each first character pair.

    A question of n characters has about n × max_len substrings; most character pairs start no key
    at all, and the others start keys of one or two lengths, so only those few are looked up.
    """

    __slots__ = ("_held", "_keys", "_lengths")

    def __init__(self, keys: Iterable[str], max_len: int) -> None:
        self._keys = frozenset(k for k in keys if 2 <= len(k) <= max_len)
        self._held: dict[str, bool] = {}
        by_pair: dict[str, set[int]] = {}
        for key in self._keys:
            by_pair.setdefault(key[:2], set()).add(len(key))
        self._lengths = {pair: tuple(sorted(lengths)) for pair, lengths in by_pair.items()}

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def holds(self, char: str) -> bool:
        """Whether some key contains the character (remembered per character: the keys never change)."""
        held = self._held.get(char)
        if held is None:
            held = self._held[char] = any(char in key for key in self._keys)
        return held

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Spans [start, end) of the substrings that are keys: longest first, then leftmost.

        That is the order of a scan over every length from the longest down and every start.
        """
        lengths, keys = self._lengths, self._keys
        n = len(text)
        found: list[tuple[int, int]] = []
        for start in range(n - 1):
            for length in lengths.get(text[start : start + 2], ()):
                end = start + length
                if end > n:
                    break  # lengths ascend: the longer ones do not fit either
                if text[start:end] in keys:
                    found.append((start, end))
        found.sort(key=_longest_first)
        return found


class OneSlipFilter:
    """Which windows of a text may be a word with at most one character substituted (never a false "no").

    With one character changed, a word of 4+ characters keeps its first or its last character pair;
    one of 3 keeps its first pair, its last pair, or its first and last characters; one of 2 keeps
    one of its characters. A window that keeps none of these of any word of its length is no slip,
    and is never probed one position at a time. Words of 5+ characters are told apart further: the
    slip is in the first two characters (the rest kept), in the last two, or between (both pairs kept).
    """

    __slots__ = ("_ends", "_firsts", "_heads", "_lasts", "_middles", "_pair_ends", "_pair_starts", "_tails")

    def __init__(self, words: Iterable[str]) -> None:
        starts: dict[str, set[int]] = {}  # first pair → lengths of the words (3+) it starts
        ends: dict[str, set[int]] = {}  # last pair → lengths of the words (3+) it ends
        outer: set[tuple[str, str]] = set()  # first and last character of the three-character words
        firsts: set[str] = set()  # first character of the two-character words
        lasts: set[str] = set()  # last character of the two-character words
        heads: set[str] = set()  # the words of 5+ characters but their last two
        tails: set[str] = set()  # …but their first two
        middles: set[tuple[str, str, int]] = set()  # …their first and last pairs and length
        for word in words:
            n = len(word)
            if n >= 5:
                heads.add(word[:-2])
                tails.add(word[2:])
                middles.add((word[:2], word[-2:], n))
            if n >= 3:
                starts.setdefault(word[:2], set()).add(n)
                ends.setdefault(word[-2:], set()).add(n)
            if n == 3:
                outer.add((word[0], word[2]))
            elif n == 2:
                firsts.add(word[0])
                lasts.add(word[1])
        self._pair_starts = {k: frozenset(v) for k, v in starts.items()}
        self._pair_ends = {k: frozenset(v) for k, v in ends.items()}
        self._ends, self._firsts, self._lasts = frozenset(outer), frozenset(firsts), frozenset(lasts)
        self._heads, self._tails, self._middles = frozenset(heads), frozenset(tails), frozenset(middles)

    def _long_may_match(self, text: str) -> bool:
        """The finer test of a text of 5+ characters (after the pair test)."""
        return (
            text[2:] in self._tails
            or text[:-2] in self._heads
            or (text[:2], text[-2:], len(text)) in self._middles
        )

    def may_match(self, text: str) -> bool:
        """False when no word of the text's length differs from it in at most one character."""
        n = len(text)
        if n < 2:
            return True  # not worth a table
        if n == 2:
            return text[0] in self._firsts or text[1] in self._lasts
        return (
            n in self._pair_starts.get(text[:2], ())
            or n in self._pair_ends.get(text[-2:], ())
            or (n == 3 and (text[0], text[2]) in self._ends)
        ) and (n < 5 or self._long_may_match(text))

    def windows_at(self, text: str, start: int, stop: int, lengths: tuple[int, ...]) -> list[tuple[int, int]]:
        """(start, length) of the windows inside text[start:stop] that may_match, leftmost first, then in `lengths` order.

        The same windows as may_match() tried at each start and length, without a call per window.
        """
        starts_get, ends_get = self._pair_starts.get, self._pair_ends.get
        firsts, lasts, outer = self._firsts, self._lasts, self._ends
        found: list[tuple[int, int]] = []
        for pos in range(start, stop):
            opening = starts_get(text[pos : pos + 2], ())
            for length in lengths:
                end = pos + length
                if end > stop or length < 2:
                    continue
                if length == 2:
                    if text[pos] in firsts or text[pos + 1] in lasts:
                        found.append((pos, length))
                elif (
                    length in opening
                    or length in ends_get(text[end - 2 : end], ())
                    or (length == 3 and (text[pos], text[pos + 2]) in outer)
                ) and (length < 5 or self._long_may_match(text[pos:end])):
                    found.append((pos, length))
        return found

    def windows(self, text: str, shortest: int, longest: int) -> list[tuple[int, int]]:
        """Spans [start, end) of `shortest` to `longest` (2+) characters that may_match: longest first, then leftmost."""
        n = len(text)
        found: set[tuple[int, int]] = set()
        for start in range(n - 1):
            pair = text[start : start + 2]
            for length in self._pair_starts.get(pair, ()):
                if shortest <= length <= longest and start + length <= n:
                    found.add((start, start + length))
            for length in self._pair_ends.get(pair, ()):
                if shortest <= length <= longest and start + 2 >= length:
                    found.add((start + 2 - length, start + 2))
        if shortest <= 3 <= longest:
            found.update((i, i + 3) for i in range(n - 2) if (text[i], text[i + 2]) in self._ends)
        if shortest <= 2:
            found.update((i, i + 2) for i in range(n - 1) if text[i] in self._firsts or text[i + 1] in self._lasts)
        return sorted(
            ((a, b) for a, b in found if b - a < 5 or self._long_may_match(text[a:b])), key=_longest_first
        )


_BUILT: dict[str, tuple[tuple[Any, ...], tuple[int, ...], Any]] = {}
_BUILD_LOCK = threading.Lock()


def built_once(name: str, sources: tuple[Collection[Any], ...], build: Callable[[], T]) -> T:
    """`build()`, remembered under `name` while `sources` are the same objects with the same sizes.

    For tables derived from an index's vocabulary or names: they depend on no question, and the
    containers only grow (a grown or replaced one is rebuilt from).
    """
    value = built_already(name, sources)
    if value is not None:
        return value
    sizes = tuple(len(s) for s in sources)
    with _BUILD_LOCK:
        value = build()
        _BUILT[name] = (sources, sizes, value)
    return value


def built_already(name: str, sources: tuple[Collection[Any], ...]) -> Any | None:
    """What built_once() remembers under `name` for exactly these sources (same objects, same sizes), else None."""
    cached = _BUILT.get(name)
    if cached is None:
        return None
    before, sizes, value = cached
    if len(before) != len(sources):
        return None
    for old, new, size in zip(before, sources, sizes, strict=True):  # a loop, not all() over a generator: per question
        if old is not new or len(new) != size:
            return None
    return value
