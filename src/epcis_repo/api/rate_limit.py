"""The per-key rate limit (EPCIS_RATE_LIMIT_PER_MINUTE), in each server process."""

from __future__ import annotations

import time
from collections.abc import Callable

# Buckets kept before the full ones are forgotten (principals are keys and token subjects).
_MOST_BUCKETS = 10_000


class RateLimiter:
    """A token bucket per principal: `per_minute` requests a minute, in bursts of up to as many."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, when)
        self._swept_at = float("-inf")

    def wait_needed(self, name: str) -> float:
        """Take one request from `name`'s bucket: 0 when allowed, else the seconds until it would be."""
        now = self._clock()
        # At most one sweep a second: with many callers still refilling, not one on every request.
        if len(self._buckets) >= _MOST_BUCKETS and now - self._swept_at >= 1.0:
            self._forget_full(now)
            self._swept_at = now
        tokens, when = self._buckets.get(name, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - when) * self._rate)
        if tokens < 1.0:
            self._buckets[name] = (tokens, now)
            return (1.0 - tokens) / self._rate
        self._buckets[name] = (tokens - 1.0, now)
        return 0.0

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled (a caller back after a minute starts full anyway)."""
        self._buckets = {
            name: (tokens, when)
            for name, (tokens, when) in self._buckets.items()
            if tokens + (now - when) * self._rate < self.per_minute
        }
