"""The provider's rate limit (api/rate_limit.py): a token bucket per client."""

from __future__ import annotations

import pytest

from feedback_service.api.rate_limit import TokenBucket, retry_after_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestTokenBucket:
    def test_a_client_may_spend_its_burst_then_waits_for_the_rate(self) -> None:
        clock = FakeClock()
        bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
        assert [bucket.take("c") for _ in range(3)] == [0, 0, 0]
        assert bucket.take("c") == pytest.approx(0.5)
        clock.now += 0.5
        assert bucket.take("c") == 0

    def test_clients_have_buckets_of_their_own(self) -> None:
        bucket = TokenBucket(rate=1.0, burst=1, clock=FakeClock())
        assert bucket.take("a") == 0 and bucket.take("a") > 0
        assert bucket.take("b") == 0

    def test_a_bucket_never_saves_more_than_its_burst(self) -> None:
        clock = FakeClock()
        bucket = TokenBucket(rate=1.0, burst=2, clock=clock)
        bucket.take("c")
        clock.now += 3600
        assert [bucket.take("c") == 0 for _ in range(3)] == [True, True, False]

    def test_retry_after_rounds_up_to_whole_seconds(self) -> None:
        assert retry_after_seconds(0.01) == 1
        assert retry_after_seconds(1.2) == 2
