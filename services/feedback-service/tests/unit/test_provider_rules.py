"""The provider integration's pure parts: batch planning and report quarters."""

from __future__ import annotations

from datetime import date

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
