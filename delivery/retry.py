"""The one retry policy of every send and claim: exponential backoff, bounded attempts, flood-control waits."""

from __future__ import annotations

from dataclasses import dataclass

from delivery.errors import Failure
from store.subscriptions import FAILED, UNKNOWN


@dataclass(frozen=True, slots=True)
class Step:
    """What to do after a failure: send again after `delay` seconds, or give up as `status`."""

    again: bool
    delay: float = 0.0
    status: str = ""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff `base`·2^(n-1) capped at `cap` seconds; give up after `attempts` failures.

    Flood control (429) is Telegram telling us exactly when to come back, not a fault of the
    message, so it gets `flood_attempts` (twice as many) before the send is given up. A failed
    claim step (the database away) needs no policy: the next tick claims again.
    """

    attempts: int = 5
    base: float = 2.0
    cap: float = 300.0

    @property
    def flood_attempts(self) -> int:
        """Failures (429s included) after which flood control gives a send up."""
        return 2 * self.attempts

    def backoff(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failure in a row."""
        return min(self.cap, self.base * 2 ** (failures - 1))

    def after(self, failure: Failure, failures: int, *, retry_after: float = 0.0) -> Step:
        """Decide after the `failures`-th failure of a send (GONE/MIGRATED/TOPIC_GONE: the caller's)."""
        if failure is Failure.MAYBE_DELIVERED:
            return Step(False, status=UNKNOWN)  # at most once: never re-send on doubt
        if failure is Failure.GONE:
            return Step(False, status=FAILED)
        if failure is Failure.RETRY_AFTER:
            if failures > self.flood_attempts:
                return Step(False, status=FAILED)
            return Step(True, delay=retry_after)
        if failures >= self.attempts:
            return Step(False, status=FAILED)
        return Step(True, delay=self.backoff(failures))
