"""Counted outcomes of a fan-out (digests or announcements)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FanoutReport:
    """Outcomes of one fan-out (sent, empty, forbidden, failed, unknown, skipped…)."""

    outcomes: Counter[str] = field(default_factory=Counter)
    unknown_marked: int = 0
    expired: int = 0

    def add(self, outcome: str) -> None:
        """Count one chat's outcome."""
        self.outcomes[outcome] += 1

    def merge(self, other: FanoutReport) -> None:
        """Add another report's counts."""
        self.outcomes.update(other.outcomes)
        self.unknown_marked += other.unknown_marked
        self.expired += other.expired
