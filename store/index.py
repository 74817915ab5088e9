"""In-memory answering index: BM25 postings over stored tokens, facts per sentence, entity names."""

from __future__ import annotations

import functools
import logging
import re
import sys
import threading
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from store.kernels import following_bits, pair_find, row_table, union_sorted
from store.paths import LEXICON_DIR
from store.substrings import OneSlipFilter, SubstringIndex, built_once
from store.views import DocumentInfo, FactView

log = logging.getLogger(__name__)


BM25_K1 = 1.2
BM25_B = 0.75
MAX_TERM_LEN = 12
MAX_NAME_LEN = MAX_TERM_LEN + 8  # names (京东方青岛基地 …) run longer than index terms
# A compact fact: (id, kind, start, end, value, unit, qualifier, target, period, subject, metric, date)
FactTuple = tuple[int, str, int, int, float | None, str, str | None, bool, int | None, str | None, str | None, str | None]

_NAME_SUFFIXES = (
    "经济技术开发区|高新技术产业开发区|开发区|新区|片区|自贸区|产业园区|产业园|园区|工业区|示范区|基地|"
    "信息港|之窗|项目|工程|公司|集团|中心|产业带|城|港|谷|湾区|省|市|县|区"
)
_REGION_SUFFIX = re.compile(r"(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)$")
_NAME_BREAK = re.compile(r"[的在与和等了是由为对把从向及将并或、，。；：！？“”‘’（）()《》〈〉【】\[\]\s,.;:!?\"'·…—\-0-9%]+")
_NAME_IN_CHUNK = re.compile(rf"([\u4e00-\u9fffA-Za-z]{{1,16}}?({_NAME_SUFFIXES}))")


@dataclass(slots=True)
class Gazetteer:
    """Known entity names: aliases to canonical names, and a one-substitution lookup for typos."""

    canonical: dict[str, str] = field(default_factory=dict)  # any surface name → canonical name
    surfaces: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical → its surfaces
    names: set[str] = field(default_factory=set)  # every known name as it appears in text
    wildcard: dict[str, set[str]] = field(default_factory=dict)  # 京?方 → {京东方}
    curated: set[str] = field(default_factory=set)  # canonical names from the alias table and regions

    def add_alias_group(self, canonical: str, aliases: Iterable[str]) -> None:
        """Register a canonical name with the other names people use for it."""
        group = (canonical, *[a for a in aliases if a and a != canonical])
        merged = tuple(dict.fromkeys((*self.surfaces.get(canonical, ()), *group)))
        self.surfaces[canonical] = merged
        self.curated.add(canonical)
        for name in group:
            self.canonical[name.lower()] = canonical
            self.add_name(name, typo=True)

    def add_name(self, name: str, *, typo: bool = False) -> None:
        """Register a name; with `typo`, a one-character slip in it (京东芳) still finds it."""
        if len(name) < 2:
            return
        self.names.add(name)
        if not typo or len(name) < 3:
            return
        for i in range(len(name)):
            key = name[:i] + "?" + name[i + 1 :]
            self.wildcard.setdefault(key, set()).add(name)

    def copy(self) -> Gazetteer:
        """A copy that can learn more names while the original keeps serving."""
        return Gazetteer(
            canonical=dict(self.canonical), surfaces=dict(self.surfaces), names=set(self.names),
            wildcard={k: set(v) for k, v in self.wildcard.items()}, curated=set(self.curated),
        )

    def expand(self, name: str) -> tuple[str, ...]:
        """All surfaces of the entity a name belongs to (the name itself first)."""
        canon = self.canonical.get(name.lower())
        if canon is None:
            return (name,)
        return tuple(dict.fromkeys((name, *self.surfaces.get(canon, (canon,)))))

    def slip_filter(self) -> OneSlipFilter:
        """The quick test of typo_candidates (built once from the names with typos, rebuilt when they grow).

        A name added with masks that all exist already needs no rebuild: the names that made them
        keep its pairs in the filter.
        """
        return built_once(
            "gazetteer slips", (self.wildcard,), lambda: OneSlipFilter(set().union(*self.wildcard.values()))
        )

    def known_names(self) -> SubstringIndex:
        """Every name and alias key (of up to MAX_NAME_LEN characters), to find them in a question."""
        return built_once(
            "gazetteer names", (self.names, self.canonical),
            lambda: SubstringIndex((*self.names, *self.canonical), MAX_NAME_LEN),
        )

    def typo_candidates(self, text: str) -> list[tuple[str, str]]:
        """(typed substring, known name) pairs where the text has a name with one wrong character."""
        found: list[tuple[str, str]] = []
        # Longest first, then leftmost; only the windows that may be one character off a name.
        for start, end in self.slip_filter().windows(text, 3, MAX_TERM_LEN):
            sub, length = text[start:end], end - start
            if sub in self.names or not _is_cjk(sub[0]) or not _is_cjk(sub[-1]):
                continue
            for i in range(length):
                hits = self.wildcard.get(sub[:i] + "?" + sub[i + 1 :])
                if hits:
                    found.extend((sub, h) for h in sorted(hits) if h != sub)
        return found


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


# --- f-speed: character-bigram positions, so a substring look-up never scans the whole text ---
# BM25 candidates: a sentence with figures scores this much more (what questions ask for) before the rerank.
FACT_ROW_BOOST = 1.15
_OTHER_CHAR = 0xFFFF  # code of every character outside the BMP (a needle holding one is searched by a scan)
_CHUNK = 1 << 22  # positions handled at a time while building (bounds the temporary arrays)
_FEW_CUTS = 8  # up to this many removed text ranges are cut one pass each, more by a binary search


@functools.lru_cache(maxsize=1)
def _fold_table() -> np.ndarray:
    """BMP code → code with every character that re.IGNORECASE matches to a Latin letter (A, K) made that letter."""
    table = np.arange(0x10000, dtype=np.uint16)
    letters = "abcdefghijklmnopqrstuvwxyz"
    for code in range(0x10000):
        ch = chr(code)
        if ch.lower() == ch and ch.upper() == ch:
            continue  # no case: nothing to fold (Chinese, digits, punctuation)
        if re.fullmatch("[a-z]", ch, re.IGNORECASE):
            table[code] = ord(next(x for x in letters if re.fullmatch(x, ch, re.IGNORECASE)))
    return table


def _is_latin(needle: str) -> bool:
    """Needles with Latin letters are matched case-insensitively (5G, RCEP), others exactly."""
    return any("a" <= ch.lower() <= "z" for ch in needle)


def _text_codes(blob: str) -> np.ndarray:
    """One folded uint16 code per character of a text (characters outside the BMP share one code)."""
    raw = blob.encode("utf-16-le", "surrogatepass")
    if len(raw) == 2 * len(blob):
        codes = np.frombuffer(raw, dtype=np.uint16)
    else:
        wide = np.frombuffer(blob.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        codes = np.minimum(wide, _OTHER_CHAR).astype(np.uint16)
    return _fold_table()[codes]


def _needle_codes(needle: str) -> np.ndarray | None:
    """Folded codes of a needle, or None when the bigram positions cannot answer for it exactly."""
    if len(needle) < 2:
        return None
    table = _fold_table()
    latin = _is_latin(needle)
    out = np.empty(len(needle), dtype=np.uint16)
    for i, ch in enumerate(needle):
        code = ord(ch)
        if code >= _OTHER_CHAR:
            return None
        folded = int(table[code])
        if latin:
            if folded == code and (ch.lower() != ch or ch.upper() != ch) and not ("a" <= ch <= "z"):
                return None  # a cased letter outside a-z (É): re.IGNORECASE rules, scan
        elif folded != code:
            return None  # matched exactly, but the positions only know its folded form
        out[i] = folded
    return out


@dataclass(slots=True)
class CharGrams:
    """Where each pair of adjacent characters occurs in a text: sorted keys, CSR offsets, start positions.

    A needle's occurrences are the starts of its rarest pair, kept where every other pair of the
    needle follows at its offset: exact, with no scan of the text (case folded as TextColumn does).
    """

    keys: np.ndarray  # uint32: first character << 16 | second, sorted, unique
    offsets: np.ndarray  # int64: key i's positions are positions[offsets[i]:offsets[i + 1]]
    positions: np.ndarray  # uint32: start of each pair in the text, ascending within a key

    @classmethod
    def build(cls, blob: str) -> CharGrams:
        """Index every pair of adjacent characters of a text but those with the row separator (one sort of
        packed key|position words; separator pairs are packed as the largest word and cut off the end)."""
        codes = _text_codes(blob)
        n = len(codes) - 1
        if n <= 0:
            return cls.empty()
        packed = codes[:-1].astype(np.uint64)
        packed <<= np.uint64(16)
        packed |= codes[1:]
        packed <<= np.uint64(32)
        for a in range(0, n, _CHUNK):
            b = min(n, a + _CHUNK)
            packed[a:b] |= np.arange(a, b, dtype=np.uint64)
        separator = codes == 0
        packed[separator[:-1] | separator[1:]] = np.uint64(0xFFFFFFFFFFFFFFFF)
        kept = n - int(np.count_nonzero(separator[:-1] | separator[1:]))
        del codes, separator
        packed.sort()  # SIMD sort of 64-bit words: far faster than an argsort
        positions = np.empty(kept, dtype=np.uint32)
        pair_keys = np.empty(kept, dtype=np.uint32)
        for a in range(0, kept, _CHUNK):
            b = min(kept, a + _CHUNK)
            chunk = packed[a:b]
            positions[a:b] = chunk & np.uint64(0xFFFFFFFF)
            pair_keys[a:b] = chunk >> np.uint64(32)
        del packed
        if not kept:
            return cls.empty()
        breaks = np.flatnonzero(pair_keys[1:] != pair_keys[:-1]) + 1
        keys = pair_keys[np.r_[0, breaks]]
        offsets = np.concatenate([[0], breaks, [kept]]).astype(np.int64)
        return cls(keys, offsets, positions)

    @classmethod
    def empty(cls) -> CharGrams:
        """No pairs."""
        return cls(np.empty(0, dtype=np.uint32), np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.uint32))

    def without(self, cut_starts: np.ndarray, cut_ends: np.ndarray) -> CharGrams:
        """The positions left when the sorted, disjoint text ranges [cut_starts[i], cut_ends[i]) are cut out
        (whole rows with their separators: no kept pair spans a cut), later positions moved back."""
        if not len(cut_starts) or not len(self.positions):
            return self
        removed_before = np.concatenate([[0], np.cumsum(cut_ends - cut_starts)]).astype(np.int64)
        keep = np.empty(len(self.positions), dtype=bool)
        positions = np.empty(len(self.positions), dtype=np.uint32)
        for a in range(0, len(self.positions), _CHUNK):
            chunk = self.positions[a : a + _CHUNK]
            if len(cut_starts) <= _FEW_CUTS:  # a replaced document or two: one pass per cut (uint32 throughout)
                inside = np.zeros(len(chunk), dtype=bool)
                moved = chunk.copy()
                for start, end in zip(cut_starts.tolist(), cut_ends.tolist(), strict=True):
                    after = chunk >= np.uint32(end)
                    inside |= (chunk >= np.uint32(start)) & ~after
                    moved -= after * np.uint32(end - start)
            else:
                chunk = chunk.astype(np.int64)
                i = np.searchsorted(cut_starts, chunk, side="right") - 1
                inside = (i >= 0) & (chunk < cut_ends[np.maximum(i, 0)])
                moved = chunk - removed_before[i + 1]
            keep[a : a + _CHUNK] = ~inside
            positions[a : a + _CHUNK] = moved
        counts = np.add.reduceat(keep.view(np.uint8), self.offsets[:-1], dtype=np.int64)
        present = counts > 0
        offsets = np.zeros(int(np.count_nonzero(present)) + 1, dtype=np.int64)
        np.cumsum(counts[present], out=offsets[1:])
        return CharGrams(self.keys[present], offsets, positions[keep])

    def merged(self, more: CharGrams, shift: int) -> CharGrams:
        """These positions plus those of a text appended `shift` characters on (all of them after ours)."""
        if not len(more.keys):
            return self
        keys = np.union1d(self.keys, more.keys).astype(np.uint32)
        counts = np.zeros(len(keys), dtype=np.int64)
        counts[np.searchsorted(keys, self.keys)] += np.diff(self.offsets)
        more_counts = np.diff(more.offsets)
        counts[np.searchsorted(keys, more.keys)] += more_counts
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        # Each new position goes right after the old positions of its key (np.insert keeps their order).
        at = self.offsets[np.searchsorted(self.keys, more.keys, side="right")]
        positions = np.insert(self.positions, np.repeat(at, more_counts),
                              (more.positions.astype(np.int64) + shift).astype(np.uint32))
        return CharGrams(keys, offsets, positions)

    def find(self, needle: str) -> np.ndarray | None:
        """Start positions (ascending, int64) of a needle; None when only a scan can answer exactly."""
        codes = _needle_codes(needle)
        if codes is None:
            return None
        return pair_find(self.keys, self.offsets, self.positions, codes)


class TextColumn:
    """Sentence texts kept as one string plus offsets: compact, and searchable through character-pair positions."""

    _SEP = "\x00"

    def __init__(self, texts: list[str]) -> None:
        self.blob, self.starts = self._joined(texts)
        self.grams = CharGrams.build(self.blob)
        self._hint: np.ndarray | None = None

    @classmethod
    def _joined(cls, texts: list[str]) -> tuple[str, np.ndarray]:
        """The texts as one string (each followed by the separator) and the offset of each."""
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        # No texts, no separator: an empty column extended later must not shift every offset by one.
        return (cls._SEP.join(texts) + cls._SEP if texts else ""), starts

    @classmethod
    def from_blob(cls, blob: str, starts: np.ndarray, grams: CharGrams | None = None) -> TextColumn:
        """Rebuild a column from its saved string and offsets (and pair positions, else they are built)."""
        column = cls.__new__(cls)
        column.blob = blob
        column.starts = starts
        column.grams = grams if grams is not None else CharGrams.build(blob)
        column._hint = None
        return column

    def extended(self, texts: list[str]) -> TextColumn:
        """A new column with `texts` appended."""
        if not texts:
            return self
        if not self.blob:
            return TextColumn(texts)
        blob, starts = self._joined(texts)
        return TextColumn.from_blob(
            self.blob + blob, np.concatenate([self.starts, starts[1:] + self.starts[-1]]),
            self.grams.merged(CharGrams.build(blob), len(self.blob)),
        )

    def without_rows(self, keep: np.ndarray) -> TextColumn:
        """A new column of the rows where `keep` is True (their pair positions cut, not rebuilt)."""
        kept = np.flatnonzero(keep)
        blob, starts = self._joined([self[int(r)] for r in kept])
        # Runs of removed rows as text ranges (each row with its separator).
        edges = np.diff(np.concatenate([[1], keep.astype(np.int8), [1]]))
        first, after = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
        grams = self.grams.without(self.starts[first], self.starts[after]) if len(kept) else CharGrams.empty()
        return TextColumn.from_blob(blob, starts, grams)

    def __len__(self) -> int:
        return len(self.starts) - 1

    _HINT_SHIFT = 6  # one row hint per 64 characters of text

    def _rows_of(self, positions: np.ndarray) -> np.ndarray:
        """The row of each text position: the row at the start of its 64-character block, moved on
        past the few rows that start inside the block (cheaper than a binary search over all rows)."""
        if self._hint is None:
            blocks = np.arange(0, len(self.blob), 1 << self._HINT_SHIFT, dtype=np.int64)
            self._hint = (np.searchsorted(self.starts, blocks, side="right") - 1).astype(np.int64)
        rows = self._hint[positions >> self._HINT_SHIFT]
        while len(rows):
            later = self.starts[rows + 1] <= positions
            if not later.any():
                break
            rows = rows + later
        return rows

    def __getitem__(self, i: int) -> str:
        if i < 0:
            i += len(self)
        return self.blob[int(self.starts[i]) : int(self.starts[i + 1]) - 1]

    def rows_containing(self, needle: str, *, limit: int = 100_000) -> np.ndarray:
        """Rows whose text contains `needle` (Latin letters case-insensitively), in order."""
        if not needle or self._SEP in needle:
            return np.empty(0, dtype=np.int32)
        found = self.grams.find(needle)
        if found is not None:
            if not len(found):
                return np.empty(0, dtype=np.int32)
            rows = self._rows_of(found[:limit])
            return rows[np.r_[True, rows[1:] != rows[:-1]]].astype(np.int32)
        # One character, or characters the pair positions do not hold exactly: a scan.
        positions: list[int] = []
        if _is_latin(needle):
            # Rare (5G, RCEP): a case-insensitive regex instead of a second, lower-cased copy.
            for match in re.finditer(re.escape(needle), self.blob, re.IGNORECASE):
                positions.append(match.start())
                if len(positions) >= limit:
                    break
        else:
            find = self.blob.find
            pos = find(needle)
            while pos >= 0 and len(positions) < limit:
                positions.append(pos)
                pos = find(needle, pos + 1)
        if not positions:
            return np.empty(0, dtype=np.int32)
        rows = np.searchsorted(self.starts, np.asarray(positions, dtype=np.int64), side="right") - 1
        return np.unique(rows).astype(np.int32)


@dataclass(slots=True)
class SearchIndex:
    """Everything the answering hot path reads, with no SQL per question."""

    sentence_ids: np.ndarray  # row → Sentence.id
    doc_of_row: np.ndarray  # row → Document.id
    para_of_row: np.ndarray  # row → paragraph number
    texts: TextColumn
    vocab: dict[str, int]
    post_offsets: np.ndarray  # term id → start in post_rows (CSR)
    post_rows: np.ndarray
    idf: np.ndarray  # term id → BM25 idf
    norm: np.ndarray  # row → BM25 tf=1 weight (length normalisation)
    lengths: np.ndarray  # row → number of tokens (to recompute norm when rows are added)
    facts: dict[int, tuple[FactTuple, ...]]  # row → facts of that sentence
    documents: dict[int, DocumentInfo]
    gazetteer: Gazetteer
    fact_rows: np.ndarray  # rows that carry at least one fact (sorted)
    has_facts: np.ndarray  # row → bool
    doc_texts_lower: dict[int, str]  # document id → lower-cased title and regions
    # Document id → document_key() of exactly the documents indexed: what a snapshot describes,
    # and what is compared with the database to bring the index up to date in place.
    doc_keys: dict[int, str] = field(default_factory=dict)
    build_seconds: float = 0.0
    sentence_order: np.ndarray | None = None  # argsort of sentence_ids, for row_of()
    doc_name_cache: dict[str, np.ndarray] = field(default_factory=dict)
    phrase_cache: dict[str, np.ndarray] = field(default_factory=dict)
    score_lock: threading.Lock = field(default_factory=threading.Lock)  # held while the BM25 kernel scores
    _bm25_rows: np.ndarray | None = None  # store.kernels.row_table of this index, built on first use
    _following_bits: np.ndarray | None = None  # store.kernels.following_bits of this index, built on first use
    traditional_docs: dict[int, bool] = field(default_factory=dict)  # document id → written in traditional
    simplified_cache: dict[int, str] = field(default_factory=dict)  # row → its simplified, lower-cased text
    late_facts: dict[int, tuple[FactView, ...]] = field(default_factory=dict)  # row → facts read at question time
    _traditional: tuple[TextColumn, np.ndarray] | None = None  # simplified texts of traditional documents
    _regions: dict[str, np.ndarray] | None = None  # region name (lower) → documents listing it
    _titles: tuple[TextColumn, np.ndarray] | None = None  # titles and regions of every document, searchable
    title_cache: dict[str, np.ndarray] = field(default_factory=dict)
    answer_cache: dict[tuple[str, int], Any] = field(default_factory=dict)  # (question, limit) → answers
    _doc_id_bound: int | None = None
    # Row → metric names found in its search text (store.metrics.metric_mentions): the sentence's own
    # analysis, independent of any question, so clear_caches() keeps it (bounded, dropped when full).
    mention_cache: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)
    # term_idf()'s look-ups without numpy: the idf array it was read from, its values as floats, an unknown term's idf.
    _idf_values: tuple[np.ndarray, list[float], float] | None = None
    # has_postings()'s table: the offsets it was read from, and per term id 1 when its postings hold a row.
    _nonempty: tuple[np.ndarray, bytes] | None = None

    def clear_caches(self) -> None:
        """Forget everything remembered from earlier questions (answers, phrase and name look-ups, rows read)."""
        for cache in (self.answer_cache, self.phrase_cache, self.title_cache, self.doc_name_cache,
                      self.simplified_cache, self.late_facts):
            cache.clear()

    def bm25_rows(self) -> np.ndarray:
        """The BM25 kernel's per-row table (weights, fact boost, zeroed scores; callers hold score_lock)."""
        if self._bm25_rows is None or len(self._bm25_rows) != self.size:
            boost = np.where(self.has_facts, np.float32(FACT_ROW_BOOST), np.float32(1.0))
            self._bm25_rows = row_table(self.norm, boost, self.doc_of_row)
        return self._bm25_rows

    def following_bits(self) -> np.ndarray:
        """Per row, which of the next sentences share its document and paragraph (store.kernels.following_bits)."""
        if self._following_bits is None or len(self._following_bits) != self.size:
            self._following_bits = following_bits(self.doc_of_row, self.para_of_row)
        return self._following_bits

    def documents_naming(self, canon: str, surfaces: tuple[str, ...]) -> np.ndarray:
        """Ids of documents whose title or regions name an entity (cached per entity)."""
        cached = self.doc_name_cache.get(canon)
        if cached is None:
            lowered = [s.lower() for s in surfaces]
            cached = np.asarray(
                [d for d, text in self.doc_texts_lower.items() if any(s in text for s in lowered)],
                dtype=np.int32,
            )
            if len(self.doc_name_cache) > 10_000:
                self.doc_name_cache.clear()
            self.doc_name_cache[canon] = cached
        return cached

    def union_rows(self, parts: list[np.ndarray]) -> np.ndarray:
        """Rows in any of `parts` (each sorted and unique), sorted (int32)."""
        parts = [p for p in parts if len(p)]
        if len(parts) == 1:
            return parts[0]
        return union_sorted(parts)

    def doc_id_bound(self) -> int:
        """One more than the largest document id of any row (1 when empty), computed once."""
        if self._doc_id_bound is None:
            self._doc_id_bound = int(self.doc_of_row.max()) + 1 if self.size else 1
        return self._doc_id_bound

    def doc_rows(self, doc_id: int) -> range:
        """Rows of a document (rows are stored in document order)."""
        key = self.doc_of_row.dtype.type(doc_id)  # a Python int would make numpy convert the whole array
        lo = int(np.searchsorted(self.doc_of_row, key, side="left"))
        hi = int(np.searchsorted(self.doc_of_row, key, side="right"))
        return range(lo, hi)

    def documents_with_region(self, name: str) -> np.ndarray:
        """Ids of documents whose regions list a name (full or short; built once per index)."""
        if self._regions is None:
            table: dict[str, list[int]] = defaultdict(list)
            for doc in self.documents.values():
                for region in doc.regions:
                    table[region.lower()].append(doc.id)
            self._regions = {k: np.asarray(v, dtype=np.int32) for k, v in table.items()}
        return self._regions.get(name.lower(), np.empty(0, dtype=np.int32))

    def documents_titled(self, name: str) -> np.ndarray:
        """Ids of documents whose title or regions contain a name (one search over all titles, cached)."""
        key = name.lower()
        cached = self.title_cache.get(key)
        if cached is None:
            if self._titles is None:
                ids = sorted(self.doc_texts_lower)
                self._titles = (
                    TextColumn([self.doc_text_lower(d) for d in ids]), np.asarray(ids, dtype=np.int32)
                )
            column, ids_array = self._titles
            cached = ids_array[column.rows_containing(key)] if len(ids_array) else np.empty(0, dtype=np.int32)
            if len(self.title_cache) > 20_000:
                self.title_cache.clear()
            self.title_cache[key] = cached
        return cached

    def traditional_column(self) -> tuple[TextColumn, np.ndarray]:
        """Simplified texts of the documents written in traditional characters, and their rows (built once)."""
        if self._traditional is None:
            rows: list[int] = []
            if self.size:
                starts = np.flatnonzero(np.r_[True, self.doc_of_row[1:] != self.doc_of_row[:-1]])
                ends = np.r_[starts[1:], self.size]
                for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
                    sample = "".join(self.texts[r] for r in range(start, min(end, start + 4)))
                    doc = int(self.doc_of_row[start])
                    traditional = _same_length_simplified(sample) != sample
                    self.traditional_docs[doc] = traditional
                    if traditional:
                        rows.extend(range(start, end))
            texts = [self.search_text(r) for r in rows]
            self._traditional = (TextColumn(texts), np.asarray(rows, dtype=np.int32))
        return self._traditional

    def lower_text(self, row: int) -> str:
        """A sentence lower-cased (Latin letters; Chinese is unaffected), for matching."""
        return self.texts[row].lower()

    def doc_text_lower(self, doc_id: int) -> str:
        """Lower-cased (and simplified) title and regions of a document, for entity checks."""
        text = self.doc_texts_lower.get(doc_id, "")
        return _same_length_simplified(text) if self.traditional_docs.get(doc_id) else text

    def search_text(self, row: int) -> str:
        """A sentence as questions are matched against it: lower-cased, simplified, offsets unchanged.

        Only documents written in traditional characters are converted (once per sentence, cached).
        """
        text = self.texts[row].lower()
        doc = int(self.doc_of_row[row])
        traditional = self.traditional_docs.get(doc)
        if traditional is False:
            return text
        cached = self.simplified_cache.get(row)
        if cached is not None:
            return cached
        simplified = _same_length_simplified(text)
        if traditional is None:
            self.traditional_docs[doc] = simplified != text
            if simplified == text:
                return text
        if len(self.simplified_cache) > 200_000:
            self.simplified_cache.clear()
        self.simplified_cache[row] = simplified
        return simplified

    @property
    def size(self) -> int:
        """Number of indexed sentences."""
        return len(self.texts)

    def postings(self, term: str) -> np.ndarray | None:
        """Rows containing a term, or None when the term is unknown."""
        tid = self.vocab.get(term)
        if tid is None:
            return None
        return self.post_rows[self.post_offsets[tid] : self.post_offsets[tid + 1]]

    def has_postings(self, term: str) -> bool:
        """Whether postings(term) holds a row, read from a table of bytes rather than a numpy slice per question."""
        tid = self.vocab.get(term)
        if tid is None:
            return False
        table = self._nonempty
        if table is None or table[0] is not self.post_offsets:
            bound = len(self.post_rows)  # a slice past the end is cut there
            lengths = np.minimum(self.post_offsets[1:], bound) - np.minimum(self.post_offsets[:-1], bound)
            table = self._nonempty = (self.post_offsets, bytes(lengths > 0))
        return table[1][tid] == 1

    def phrase_rows(self, phrase: str) -> np.ndarray:
        """Rows whose text contains a phrase (lower-case), whatever the tokenizer made of it.

        A scan of all text (memchr speed), so results are cached: entity names and unknown
        words recur across questions, and the index never changes under a cache.
        """
        key = phrase.lower()
        rows = self.phrase_cache.get(key)
        if rows is None:
            rows = self.texts.rows_containing(key)
            column, column_rows = self.traditional_column()
            if len(column_rows):
                more = column_rows[column.rows_containing(key)]
                if len(more):
                    rows = np.union1d(rows, more).astype(np.int32)
            if len(self.phrase_cache) >= 20_000:
                self.phrase_cache.clear()
            self.phrase_cache[key] = rows
        return rows

    def idf_for_count(self, count: int) -> float:
        """BM25 idf of a term found in `count` sentences."""
        return float(np.log1p((self.size - count + 0.5) / (count + 0.5)))

    def term_idf(self, term: str) -> float:
        """BM25 idf of a term; unknown terms get the idf of a term seen once."""
        values = self._idf_values
        if values is None or values[0] is not self.idf:
            # Read once as Python floats: a numpy scalar (and np.log1p) per question term costs more.
            unknown = float(np.log1p((self.size + 0.5) / 1.5)) if self.size else 0.0
            values = self._idf_values = (self.idf, self.idf.tolist(), unknown)
        tid = self.vocab.get(term)
        return values[2] if tid is None else values[1][tid]

    def fact_views(self, row: int) -> tuple[FactView, ...]:
        """The facts of one sentence row as FactView objects."""
        text = self.texts[row]
        sid = int(self.sentence_ids[row])
        did = int(self.doc_of_row[row])
        return tuple(_fact_view(t, text, sid, did) for t in self.facts.get(row, ()))

    def read_facts(self, row: int) -> tuple[FactView, ...]:
        """The facts of a row; for a sentence stored without any (a heading), read now and cached."""
        if row in self.facts:
            return self.fact_views(row)
        cached = self.late_facts.get(row)
        if cached is None:
            text = self.search_text(row)
            cached = ()
            if any(map(str.isdigit, text)) or any(map(_CN_NUMERALS.__contains__, text)):
                from store.extraction import extract_facts  # local: extraction loads its lexicons

                doc = self.documents.get(int(self.doc_of_row[row]))
                source = self.texts[row]
                sid, did = int(self.sentence_ids[row]), int(self.doc_of_row[row])
                cached = tuple(
                    FactView(
                        id=0, kind=f.kind, span=source[f.start : f.end], value=f.value, unit=f.unit,
                        qualifier=f.qualifier, target=f.target, period=f.period, label=f.label,
                        subject=f.subject, metric=f.metric, date=f.date, sentence_id=sid, document_id=did,
                        start=f.start, end=f.end,
                    )
                    for f in extract_facts(text, doc_year=doc.year if doc else None)
                    if f.end <= len(source)
                )
            if len(self.late_facts) > 50_000:
                self.late_facts.clear()
            self.late_facts[row] = cached
        return cached

    def row_of(self, sentence_id: int) -> int | None:
        """The row of a Sentence.id, or None when it is not indexed."""
        order = self._sentence_order()
        pos = int(np.searchsorted(self.sentence_ids, sentence_id, sorter=order))
        if pos < len(order) and self.sentence_ids[order[pos]] == sentence_id:
            return int(order[pos])
        return None

    def _sentence_order(self) -> np.ndarray:
        if self.sentence_order is None:
            self.sentence_order = np.argsort(self.sentence_ids, kind="stable")
        return self.sentence_order

    def paragraph_rows(self, row: int) -> range:
        """Rows of the paragraph a row belongs to (rows are stored in reading order)."""
        doc, para = self.doc_of_row[row], self.para_of_row[row]
        start = row
        while start > 0 and self.doc_of_row[start - 1] == doc and self.para_of_row[start - 1] == para:
            start -= 1
        end = row + 1
        while end < self.size and self.doc_of_row[end] == doc and self.para_of_row[end] == para:
            end += 1
        return range(start, end)

    def paragraph_text(self, row: int) -> str:
        """The paragraph a row belongs to, sentences joined in order."""
        return "".join(self.texts[r] for r in self.paragraph_rows(row))


_CN_NUMERALS = "一二三四五六七八九十百千万亿"  # a sentence without any of these nor a digit states no figure


def _same_length_simplified(text: str) -> str:
    """Traditional → simplified characters, one for one (a phrase conversion that changes length is undone)."""
    from store.normalize import to_simplified

    out = to_simplified(text)
    if len(out) == len(text):
        return out
    return "".join(c if len(c := to_simplified(ch)) == 1 else ch for ch in text)


def _fact_view(t: FactTuple, text: str, sentence_id: int, document_id: int) -> FactView:
    fid, kind, start, end, value, unit, qualifier, target, period, subject, metric, date = t
    label = f"{subject} {metric}" if subject and metric else subject or metric or ""  # the non-empty ones, spaced
    # Positional, in FactView's field order: built for every fact of every candidate sentence.
    return FactView(
        fid, kind, text[start:end], value, unit, qualifier, target, period, label, subject, metric, date,
        sentence_id, document_id, start, end,
    )


def load_alias_groups() -> list[list[str]]:
    """Read seeds/lexicon/aliases.tsv: each row is a canonical name followed by its aliases."""
    path = LEXICON_DIR / "aliases.tsv"
    if not path.exists():
        return []
    groups = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            groups.append([w.strip() for w in line.split("\t") if w.strip()])
    return groups


def mine_names(text: str) -> list[tuple[str, bool]]:
    """Entity-like names in a sentence (…片区, …产业园, …公司 …) and whether typos may match them.

    Names with a one-character suffix (…市, …区) are too generic for typo matching; for the
    others the core without the suffix (股家河 of 股家河片区) is returned as well.
    """
    names: list[tuple[str, bool]] = []
    for chunk in _NAME_BREAK.split(text):
        if len(chunk) < 3:
            continue
        for m in _NAME_IN_CHUNK.finditer(chunk):
            name = m.group(1)
            suffix = m.group(2)
            if not 3 <= len(name) <= 20:
                continue
            strong = len(suffix) >= 2
            names.append((name, strong))
            core = name[: -len(suffix)]
            if strong and len(core) >= 3:
                names.append((core, True))
    return names


def _intern(s: str | None) -> str | None:
    return sys.intern(s) if s else s


@dataclass(slots=True)
class _Batch:
    """Rows read from the database for a build or an extension of the index."""

    documents: dict[int, DocumentInfo]
    doc_keys: dict[int, str]
    sentence_ids: np.ndarray
    doc_of_row: np.ndarray
    para_of_row: np.ndarray
    lengths: np.ndarray
    counts: np.ndarray
    term_ids: np.ndarray  # flat term ids, `counts[i]` of them for row i
    texts: list[str]
    fact_rows_raw: list[tuple[Any, ...]]


_STREAM_ROWS = 20_000  # rows fetched at a time while streaming sentences


def _read(connect: Callable[[], Any], vocab: dict[str, int], doc_ids: list[int] | None = None) -> _Batch:
    """Read documents, sentences (adding their terms to `vocab`) and facts, optionally of some documents.

    `connect` returns a SQLAlchemy Connection; the reads are Core selects over untyped columns,
    so rows come back as the driver gives them (no per-value processing).
    """
    from sqlalchemy import column, select, table

    def cols(name: str, *names: str) -> Any:
        return table(name, *(column(n) for n in names)).c

    doc = cols("document", "id", "name", "title", "regions", "authors", "year", "date", "fact_count",
               "sentence_count", "ingested_at", "content_hash", "url")
    sen = cols("sentence", "id", "document_id", "paragraph_no", "position", "kind", "text", "tokens")
    fact = cols("fact", "id", "document_id", "sentence_id", "kind", "start", "end", "value", "unit",
                "qualifier", "target", "period", "subject", "metric", "date")
    doc_query = select(doc.id, doc.name, doc.title, doc.regions, doc.authors, doc.year, doc.date,
                       doc.fact_count, doc.sentence_count, doc.ingested_at, doc.content_hash, doc.url)
    sen_query = select(sen.id, sen.document_id, sen.paragraph_no, sen.text, sen.tokens).where(
        sen.kind.in_(("body", "heading")))
    fact_query = select(fact.id, fact.sentence_id, fact.kind, fact.start, fact.end, fact.value,
                        fact.unit, fact.qualifier, fact.target, fact.period, fact.subject,
                        fact.metric, fact.date)
    if doc_ids is not None:
        doc_query = doc_query.where(doc.id.in_(doc_ids))
        sen_query = sen_query.where(sen.document_id.in_(doc_ids))
        fact_query = fact_query.where(fact.document_id.in_(doc_ids))
    # One read transaction: documents, sentences and facts from the same commit, even while
    # another process ingests (REPEATABLE READ on servers; SQLite's read transaction is one).
    with connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # pysqlite opens no transaction for reads: open one
        else:
            conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            doc_rows = conn.execute(doc_query.order_by(doc.id)).all()
            documents = {int(r[0]): _document_info(r) for r in doc_rows}
            doc_keys = {int(r[0]): document_key(r[10], r[1]) for r in doc_rows}
            # Streamed (a server-side cursor on PostgreSQL): holding 1M rows with their token
            # strings would double peak memory.
            result = conn.execution_options(yield_per=_STREAM_ROWS).execute(
                sen_query.order_by(sen.document_id, sen.position, sen.id))
            ids_buf, docs_buf, paras_buf = array("q"), array("i"), array("i")
            texts: list[str] = []
            flat = array("i")  # 4 bytes a posting: a list of ints would take ten times that
            counts_buf, lengths_buf = array("i"), array("f")
            setdefault = vocab.setdefault
            for sid, doc_id, para_no, text, tokens in result:
                ids_buf.append(sid)
                docs_buf.append(doc_id)
                paras_buf.append(para_no)
                texts.append(text)
                toks = tokens.split() if tokens else []
                lengths_buf.append(len(toks))
                term_set = {setdefault(t, len(vocab)) for t in toks}
                counts_buf.append(len(term_set))
                flat.extend(term_set)
            fact_rows_raw = [tuple(r) for r in conn.execute(
                fact_query.order_by(fact.sentence_id, fact.start, fact.id))]
        finally:
            conn.rollback()
    return _Batch(
        documents=documents,
        doc_keys=doc_keys,
        sentence_ids=np.frombuffer(ids_buf, dtype=np.int64).copy(),
        doc_of_row=np.frombuffer(docs_buf, dtype=np.int32).copy(),
        para_of_row=np.frombuffer(paras_buf, dtype=np.int32).copy(),
        lengths=np.frombuffer(lengths_buf, dtype=np.float32).copy(),
        counts=np.frombuffer(counts_buf, dtype=np.int32).copy(),
        term_ids=np.frombuffer(flat, dtype=np.int32).copy(),
        texts=texts,
        fact_rows_raw=fact_rows_raw,
    )


def _bm25_weights(df: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(idf per term, tf=1 weight per row) for BM25."""
    n = len(lengths)
    idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
    avg = max(float(lengths.mean()) if n else 1.0, 1.0)
    norm = ((BM25_K1 + 1) / (1 + BM25_K1 * (1 - BM25_B + BM25_B * lengths / avg))).astype(np.float32)
    return idf, norm


def _fact_tuples(batch: _Batch, first_row: int) -> dict[int, tuple[FactTuple, ...]]:
    """Facts grouped by (global) row."""
    row_of_sentence = {int(s): first_row + i for i, s in enumerate(batch.sentence_ids)}
    facts_acc: dict[int, list[FactTuple]] = defaultdict(list)
    for f in batch.fact_rows_raw:
        row = row_of_sentence.get(int(f[1]))
        if row is None:
            continue
        facts_acc[row].append(
            (
                int(f[0]), sys.intern(f[2]), int(f[3]), int(f[4]), f[5], sys.intern(f[6] or ""),
                _intern(f[7]), bool(f[8]), f[9], f[10], _intern(f[11]), f[12],
            )
        )
    return {row: tuple(v) for row, v in facts_acc.items()}


def _teach_gazetteer(
    gazetteer: Gazetteer, documents: Iterable[DocumentInfo], facts: dict[int, Any], texts: list[str], first_row: int
) -> None:
    """Add document regions and the names mined from sentences with figures."""
    for doc in documents:
        for region in doc.regions:
            gazetteer.add_name(region)
            gazetteer.curated.add(region)
            # People say 山东 for 山东省 and 上海 for 上海市.
            short = _REGION_SUFFIX.sub("", region)
            if short != region and len(short) >= 2:
                gazetteer.add_alias_group(region, [short])
    for row in facts:
        for name, strong in mine_names(texts[row - first_row]):
            gazetteer.add_name(name, typo=strong)


def build_index(connect: Callable[[], Any]) -> SearchIndex:
    """Build the index from the database (sentences with their stored tokens, facts, documents).

    `connect` returns a SQLAlchemy Connection (Core reads only: SQLModel is not needed).
    """
    started = time.perf_counter()
    vocab: dict[str, int] = {}
    batch = _read(connect, vocab)
    n = len(batch.texts)
    rows = np.repeat(np.arange(n, dtype=np.int32), batch.counts)
    order = np.argsort(batch.term_ids, kind="stable")
    post_rows = rows[order]
    df = np.bincount(batch.term_ids, minlength=len(vocab)).astype(np.int64)
    del rows, order
    post_offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(df, out=post_offsets[1:])
    idf, norm = _bm25_weights(df, batch.lengths)

    facts = _fact_tuples(batch, 0)
    fact_rows = np.asarray(sorted(facts), dtype=np.int32)
    has_facts = np.zeros(n, dtype=bool)
    has_facts[fact_rows] = True
    gazetteer = Gazetteer()
    for group in load_alias_groups():
        gazetteer.add_alias_group(group[0], group[1:])
    _teach_gazetteer(gazetteer, batch.documents.values(), facts, batch.texts, 0)

    index = SearchIndex(
        sentence_ids=batch.sentence_ids, doc_of_row=batch.doc_of_row, para_of_row=batch.para_of_row,
        texts=TextColumn(batch.texts), vocab=vocab, post_offsets=post_offsets, post_rows=post_rows,
        idf=idf, norm=norm, lengths=batch.lengths, facts=facts, documents=batch.documents,
        gazetteer=gazetteer, fact_rows=fact_rows, has_facts=has_facts,
        doc_texts_lower={d.id: _doc_text(d) for d in batch.documents.values()},
        doc_keys=batch.doc_keys,
    )
    index.build_seconds = time.perf_counter() - started
    log.info("index built: %s sentences, %s terms, %s facts in %.2fs", n, len(vocab),
             len(batch.fact_rows_raw), index.build_seconds)
    return index


def extend_index(index: SearchIndex, connect: Callable[[], Any], doc_ids: list[int]) -> SearchIndex:
    """A new index: `index` plus the given (newly added) documents, without re-reading the rest.

    The old index keeps serving while this runs; nothing of it is modified.
    """
    started = time.perf_counter()
    vocab = dict(index.vocab)
    old_terms = len(vocab)
    batch = _read(connect, vocab, doc_ids)
    first = index.size
    n_new = len(batch.texts)
    new_rows = np.repeat(np.arange(first, first + n_new, dtype=np.int32), batch.counts)
    order = np.argsort(batch.term_ids, kind="stable")
    new_terms, new_rows = batch.term_ids[order], new_rows[order]
    # Every new row comes after every old one: inserting each at the end of its term's old
    # postings keeps each postings list sorted.
    positions = index.post_offsets[np.minimum(new_terms, old_terms - 1) + 1] if old_terms else np.zeros(
        len(new_terms), dtype=np.int64
    )
    positions = np.where(new_terms < old_terms, positions, len(index.post_rows))
    post_rows = np.insert(index.post_rows, positions, new_rows)
    old_df = np.diff(index.post_offsets)
    df = np.concatenate([old_df, np.zeros(len(vocab) - old_terms, dtype=np.int64)])
    df += np.bincount(batch.term_ids, minlength=len(vocab)).astype(np.int64)
    post_offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(df, out=post_offsets[1:])
    lengths = np.concatenate([index.lengths, batch.lengths])
    idf, norm = _bm25_weights(df, lengths)

    new_facts = _fact_tuples(batch, first)
    facts = {**index.facts, **new_facts}
    fact_rows = np.concatenate([index.fact_rows, np.asarray(sorted(new_facts), dtype=np.int32)])
    has_facts = np.concatenate([index.has_facts, np.zeros(n_new, dtype=bool)])
    has_facts[fact_rows] = True
    gazetteer = index.gazetteer.copy()
    _teach_gazetteer(gazetteer, batch.documents.values(), new_facts, batch.texts, first)
    documents = {**index.documents, **batch.documents}

    extended = SearchIndex(
        sentence_ids=np.concatenate([index.sentence_ids, batch.sentence_ids]),
        doc_of_row=np.concatenate([index.doc_of_row, batch.doc_of_row]),
        para_of_row=np.concatenate([index.para_of_row, batch.para_of_row]),
        texts=index.texts.extended(batch.texts), vocab=vocab, post_offsets=post_offsets,
        post_rows=post_rows, idf=idf, norm=norm, lengths=lengths, facts=facts, documents=documents,
        gazetteer=gazetteer, fact_rows=fact_rows, has_facts=has_facts,
        doc_texts_lower={**index.doc_texts_lower, **{d.id: _doc_text(d) for d in batch.documents.values()}},
        doc_keys={**index.doc_keys, **batch.doc_keys},
    )
    extended.build_seconds = time.perf_counter() - started
    log.info("index extended by %s documents (%s sentences) in %.2fs", len(batch.documents), n_new,
             extended.build_seconds)
    return extended


def remove_documents(index: SearchIndex, doc_ids: set[int]) -> SearchIndex:
    """A new index without the given documents (replaced or deleted files), renumbering rows."""
    started = time.perf_counter()
    keep = ~np.isin(index.doc_of_row, np.asarray(sorted(doc_ids), dtype=np.int32))
    new_row = np.cumsum(keep, dtype=np.int64) - 1  # old row → new row (where kept)
    term_of_posting = np.repeat(np.arange(len(index.post_offsets) - 1, dtype=np.int32), np.diff(index.post_offsets))
    kept_postings = keep[index.post_rows]
    post_rows = new_row[index.post_rows[kept_postings]].astype(np.int32)
    df = np.bincount(term_of_posting[kept_postings], minlength=len(index.post_offsets) - 1).astype(np.int64)
    del term_of_posting, kept_postings
    post_offsets = np.zeros(len(df) + 1, dtype=np.int64)
    np.cumsum(df, out=post_offsets[1:])
    lengths = index.lengths[keep]
    idf, norm = _bm25_weights(df, lengths)
    facts = {int(new_row[r]): f for r, f in index.facts.items() if keep[r]}
    fact_rows = np.asarray(sorted(facts), dtype=np.int32)
    has_facts = index.has_facts[keep]
    smaller = SearchIndex(
        sentence_ids=index.sentence_ids[keep], doc_of_row=index.doc_of_row[keep],
        para_of_row=index.para_of_row[keep], texts=index.texts.without_rows(keep),
        vocab=index.vocab, post_offsets=post_offsets, post_rows=post_rows, idf=idf, norm=norm,
        lengths=lengths, facts=facts, documents={d: v for d, v in index.documents.items() if d not in doc_ids},
        gazetteer=index.gazetteer, fact_rows=fact_rows, has_facts=has_facts,
        doc_texts_lower={d: v for d, v in index.doc_texts_lower.items() if d not in doc_ids},
        doc_keys={d: v for d, v in index.doc_keys.items() if d not in doc_ids},
    )
    smaller.build_seconds = time.perf_counter() - started
    log.info("index shrunk by %s documents in %.2fs", len(doc_ids), smaller.build_seconds)
    return smaller


def document_key(content_hash: str, name: str) -> str:
    """What identifies a document's indexed form: its text (hash) and the name it is shown under."""
    return f"{content_hash} {name}"


def _doc_text(doc: DocumentInfo) -> str:
    return (doc.title + " " + " ".join(doc.regions)).lower()


def _document_info(r: tuple[Any, ...]) -> DocumentInfo:
    import json

    def _list(v: object) -> tuple[str, ...]:
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except ValueError:
                return ()
        return tuple(str(x) for x in v) if isinstance(v, list) else ()

    return DocumentInfo(
        id=int(r[0]), name=r[1], title=r[2] or r[1], regions=_list(r[3]), authors=_list(r[4]),
        year=r[5], date=r[6], fact_count=int(r[7] or 0), sentence_count=int(r[8] or 0),
        ingested_at=str(r[9]) if r[9] is not None else None, url=r[11] if len(r) > 11 else None,
    )
