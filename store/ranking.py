"""How informative a fact is, for key figures, announcements and digests."""

from __future__ import annotations

from store.views import FactView

_KIND_WEIGHT = {
    "money": 3.0,
    "count": 2.0,
    "percent": 2.0,
    "area": 1.8,
    "rank": 2.2,
    "duration": 0.8,
    "date": 0.3,
    "other": 0.5,
}


def fact_weight(fact: FactView) -> float:
    """A score for ordering facts: larger money, targets and labelled figures first."""
    weight = _KIND_WEIGHT.get(fact.kind, 0.5)
    if fact.target:
        weight += 1.0
    if fact.metric:
        weight += 0.5
    if fact.kind == "money" and fact.value:
        # log-ish scale: 1亿 → +0.8, 100亿 → +1.6, 1000亿 → +2.0
        weight += min(len(str(int(fact.value))) / 6.0, 2.2)
    if fact.kind == "count" and fact.unit in ("人", "元"):
        weight -= 0.5
    return weight
