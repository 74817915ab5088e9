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

    __slots__ = ("_keys", "_lengths")

    def __init__(self, keys: Iterable[str], max_len: int) -> None:
        self._keys = frozenset(k for k in keys if 2 <= len(k) <= max_len)
        by_pair: dict[str, set[int]] = {}
        for key in self._keys:
            by_pair.setdefault(key[:2], set()).add(len(key))
        self._lengths = {pair: tuple(sorted(lengths)) for pair, lengths in by_pair.items()}

    def __contains__(self, key: object) -> bool:
        return key in self._keys

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
    """A cheap test that a text may be a word with at most one character substituted (never a false "no").

    With one character changed, a word of 4+ characters keeps its first or its last character pair;
    one of 3 keeps its first pair, its last pair, or its first and last characters; one of 2 keeps
    one of its characters. A text that keeps none of these of any word of its length is no slip.
    """

    __slots__ = ("_ends", "_firsts", "_lasts")

    def __init__(self, words: Iterable[str]) -> None:
        firsts: set[tuple[str, int]] = set()
        lasts: set[tuple[str, int]] = set()
        ends: set[tuple[str, str, int]] = set()
        for word in words:
            n = len(word)
            if n >= 3:
                firsts.add((word[:2], n))
                lasts.add((word[-2:], n))
            if n == 3:
                ends.add((word[0], word[2], 3))
            elif n == 2:
                ends.add((word[0], "", 2))
                ends.add(("", word[1], 2))
        self._firsts, self._lasts, self._ends = frozenset(firsts), frozenset(lasts), frozenset(ends)

    def may_match(self, text: str) -> bool:
        """False when no word of the text's length differs from it in at most one character."""
        n = len(text)
        if n < 2:
            return True  # not worth a table
        if (text[:2], n) in self._firsts or (text[-2:], n) in self._lasts:
            return True
        if n == 2:
            return (text[0], "", 2) in self._ends or ("", text[1], 2) in self._ends
        return n == 3 and (text[0], text[2], 3) in self._ends


_BUILT: dict[str, tuple[tuple[Any, ...], tuple[int, ...], Any]] = {}
_BUILD_LOCK = threading.Lock()


def built_once(name: str, sources: tuple[Collection[Any], ...], build: Callable[[], T]) -> T:
    """`build()`, remembered under `name` while `sources` are the same objects with the same sizes.

    For tables derived from an index's vocabulary or names: they depend on no question, and the
    containers only grow (a grown or replaced one is rebuilt from).
    """
    sizes = tuple(len(s) for s in sources)
    cached = _BUILT.get(name)
    if cached is not None and cached[1] == sizes and all(a is b for a, b in zip(cached[0], sources, strict=True)):
        return cached[2]
    with _BUILD_LOCK:
        value = build()
        _BUILT[name] = (sources, sizes, value)
    return value
