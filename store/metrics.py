"""Measures of regional-development news (GDP, 利用外资, 固定资产投资 …): synonyms from seeds/lexicon/metrics.tsv."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from store.paths import LEXICON_DIR

METRICS_FILE = LEXICON_DIR / "metrics.tsv"
SYNONYMS_FILE = LEXICON_DIR / "synonyms.tsv"


@dataclass(frozen=True, slots=True)
class _Table:
    """Surface (lower-cased) → canonical metric, and one regex matching every surface, longest first."""

    canonical: dict[str, str]
    synonyms: dict[str, tuple[str, ...]]
    pattern: re.Pattern[str] | None


@functools.lru_cache(maxsize=1)
def _table() -> _Table:
    canonical: dict[str, str] = {}
    synonyms: dict[str, tuple[str, ...]] = {}
    if METRICS_FILE.exists():
        for line in METRICS_FILE.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            words = [w.strip() for w in line.split("\t") if w.strip()]
            name = words[0]
            synonyms[name] = tuple(dict.fromkeys(words))
            for word in words:
                canonical.setdefault(word.lower(), name)
    # Amounts are written with or without 总 before their last character (贸易额 / 贸易总额, 利润总额 / 利润额):
    # the other form of each surface names the same measure, after every surface the table lists.
    for name, listed in list(synonyms.items()):
        others = tuple(v for w in listed if (v := _total_variant(w)) and v.lower() not in canonical)
        for word in others:
            canonical[word.lower()] = name
        synonyms[name] = tuple(dict.fromkeys((*listed, *others)))
    surfaces = sorted(canonical, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(s) for s in surfaces), re.IGNORECASE) if surfaces else None
    return _Table(canonical, synonyms, pattern)


_AMOUNT_ENDS = "额值量"  # the last character of an amount's name that 总 may precede


def _total_variant(word: str) -> str | None:
    """The word with 总 put before its last character (贸易额 → 贸易总额) or taken out (利润总额 → 利润额)."""
    if len(word) < 3 or word[-1] not in _AMOUNT_ENDS:
        return None
    if word[-2] == "总":
        return word[:-2] + word[-1] if len(word) >= 4 else None
    return word[:-1] + "总" + word[-1]


def metric_mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical) of every metric named in the text, left to right, longest surface at each place."""
    table = _table()
    if table.pattern is None or not text:
        return []
    return [
        (m.start(), m.end(), table.canonical[m.group(0).lower()])
        for m in table.pattern.finditer(text)
        if not _SPLIT_READING.match(text, m.start())
    ]


# Surfaces that are the first characters of a longer reading: 占地区生产总值 is 占 + 地区生产总值, not 占地.
_SPLIT_READING = re.compile(r"占地区")


def canonical_metric(text: str) -> str | None:
    """The canonical metric a phrase or clause names (its longest surface; the first one on a tie), or None."""
    best: tuple[int, int, str] | None = None
    for start, end, name in metric_mentions(text):
        if best is None or end - start > best[1] - best[0]:
            best = (start, end, name)
    return best[2] if best else None


def metric_synonyms(canonical: str) -> tuple[str, ...]:
    """Every surface of a canonical metric (itself first); empty for an unknown name."""
    return _table().synonyms.get(canonical, ())


def all_metrics() -> tuple[str, ...]:
    """Canonical names of every known metric, in table order."""
    return tuple(_table().synonyms)


@functools.lru_cache(maxsize=1)
def _word_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    if SYNONYMS_FILE.exists():
        for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            words = [w.strip() for w in line.split("\t") if w.strip()]
            for word in words:
                table.setdefault(word, [])
                table[word].extend(w for w in words if w != word and w not in table[word])
    return {k: tuple(v) for k, v in table.items()}


def word_synonyms(word: str) -> tuple[str, ...]:
    """Other words for a general word of the field (获批 → 批复, 批准 …), from seeds/lexicon/synonyms.tsv."""
    return _word_table().get(word, ())
