"""The per-key rate limit: a token bucket, full at first, refilled at the limit per minute."""

from __future__ import annotations

import pytest

from epcis_repo.api import rate_limit
from epcis_repo.api.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_up_to_the_limit_then_one_request_per_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock)  # one a second
    assert [limiter.wait_needed("k") for _ in range(60)] == [0.0] * 60
    assert limiter.wait_needed("k") == 1.0
    clock.now += 0.5
    assert limiter.wait_needed("k") == 0.5
    clock.now += 0.5
    assert limiter.wait_needed("k") == 0.0
    assert limiter.wait_needed("other") == 0.0  # buckets are per principal


def test_refilled_buckets_are_forgotten_when_there_are_many(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock)
    monkeypatch.setattr(rate_limit, "_MOST_BUCKETS", 4)
    for name in ("a", "b", "c"):
        limiter.wait_needed(name)
    for _ in range(10):
        limiter.wait_needed("busy")
    clock.now += 5  # a, b and c have refilled; busy has not
    limiter.wait_needed("d")
    assert set(limiter._buckets) == {"busy", "d"}
