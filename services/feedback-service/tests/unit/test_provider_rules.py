"""The provider integration's pure parts: batch planning, report quarters, the rate limit."""

from __future__ import annotations

from datetime import date

import pytest

from feedback_service.api.rate_limit import TokenBucket, retry_after_seconds
from feedback_service.domain.provider import check_report_quarter, plan_batch


class TestBatchPlan:
    def test_each_external_id_is_stored_once_and_later_repeats_are_duplicates(self) -> None:
        plan = plan_batch(["b", "a", "b", "c", "a"], [True] * 5)
        assert plan.insert == [1, 0, 3]  # first occurrences, in external-id order
        assert plan.repeats == {2: 0, 4: 1}

    def test_invalid_items_are_never_stored_and_never_shadow_a_valid_one(self) -> None:
        plan = plan_batch(["a", "a", None, "b"], [False, True, False, False])
        assert plan.insert == [1] and plan.repeats == {}


class TestReportQuarter:
    def test_a_report_is_for_a_quarter_that_has_begun(self) -> None:
        today = date(2026, 6, 1)
        assert check_report_quarter("FY2026Q1", today) == []
        assert check_report_quarter("FY2025Q4", today) == []
        assert [e.field for e in check_report_quarter("FY2026Q2", today)] == ["quarter"]
        assert [e.field for e in check_report_quarter("FY1999Q1", today)] == ["quarter"]
        assert [e.field for e in check_report_quarter("2026Q1", today)] == ["quarter"]


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
