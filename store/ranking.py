"""How informative a fact is, for key figures, announcements and digests."""

from __future__ import annotations

from typing import Protocol

_KIND_WEIGHT = {
    "money": 5.0,
    "count": 3.0,
    "percent": 3.0,
    "area": 3.0,
    "rank": 3.0,
    "duration": 1.0,
    "date": 0.3,
    "other": 1.0,
}


class RankableFact(Protocol):
    """What ranking needs to know of a fact (FactView and digest figures both have it)."""

    @property
    def kind(self) -> str: ...
    @property
    def target(self) -> bool: ...
    @property
    def label(self) -> str: ...
    @property
    def value(self) -> float | None: ...


def fact_weight(fact: RankableFact) -> float:
    """A score for ordering facts: money first, then counts, areas, percents; targets and labels up."""
    weight = _KIND_WEIGHT.get(fact.kind, 1.0)
    if fact.target:
        weight += 2.0
    if fact.label:
        weight += 1.0
    if fact.value is None:
        weight -= 2.0  # "亿元以上", "过亿元": a qualifier, not a figure
    elif fact.kind == "money":
        # Larger sums first among money figures: 1亿 → +1.5, 1000亿 → +2.0 (digits / 6, capped).
        weight += min(len(str(int(fact.value))) / 6.0, 2.2)
    return weight
