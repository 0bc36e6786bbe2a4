"""The date checks every service's steps use: never in the future, never before what the
date follows (audit-service's lifecycle dates, escalation-service's, feedback-service's
2000-01-01 floor)."""

from __future__ import annotations

from datetime import date

import pytest

from qaf_shared.dates import EARLIEST_DATE, check_date, date_error, date_errors
from qaf_shared.rules import RuleBroken

TODAY = date(2026, 6, 10)


def test_a_date_may_be_today_and_the_day_it_follows() -> None:
    assert date_error(TODAY, today=TODAY, not_before=TODAY) is None
    check_date("body.on", TODAY, today=TODAY, not_before=TODAY)


def test_a_date_in_the_future_is_refused() -> None:
    assert date_error(date(2026, 6, 11), today=TODAY) == "cannot be in the future"
    with pytest.raises(RuleBroken, match="future") as refused:
        check_date("body.on", date(2026, 6, 11), today=TODAY)
    assert refused.value.field == "body.on"


def test_a_date_before_what_it_follows_is_refused() -> None:
    assert date_error(date(1999, 12, 31), today=TODAY, not_before=EARLIEST_DATE) == (
        "cannot be before 2000-01-01"
    )
    with pytest.raises(RuleBroken, match="before 2026-06-05"):
        check_date("body.on", date(2026, 6, 4), today=TODAY, not_before=date(2026, 6, 5))


def test_gathered_date_errors_name_the_field_or_are_empty() -> None:
    assert date_errors("received_on", TODAY, today=TODAY, not_before=EARLIEST_DATE) == []
    assert date_errors("received_on", date(1999, 1, 1), today=TODAY, not_before=EARLIEST_DATE) == [
        ("received_on", "cannot be before 2000-01-01")
    ]


def test_without_a_floor_only_the_future_is_refused() -> None:
    assert date_error(date(1900, 1, 1), today=TODAY) is None


def test_lifecycle_dates_are_never_in_the_future_nor_before_the_step_they_follow() -> None:
    today = date(2026, 6, 10)
    check_date("body.x", today, today=today, not_before=today)
    with pytest.raises(RuleBroken, match="future"):
        check_date("body.x", date(2026, 6, 11), today=today)
    with pytest.raises(RuleBroken, match="before 2026-06-05"):
        check_date("body.x", date(2026, 6, 4), today=today, not_before=date(2026, 6, 5))


class TestEscalationStepDates:
    TODAY = date(2026, 6, 1)

    def test_a_step_may_be_dated_from_the_last_activity_up_to_today(self) -> None:
        check_date("body.x", date(2026, 5, 1), not_before=date(2026, 5, 1), today=self.TODAY)
        check_date("body.x", self.TODAY, not_before=date(2026, 5, 1), today=self.TODAY)

    def test_a_future_date_is_refused(self) -> None:
        with pytest.raises(RuleBroken, match="future") as refused:
            check_date("body.x", date(2026, 6, 2), not_before=date(2026, 5, 1), today=self.TODAY)
        assert refused.value.field == "body.x"

    def test_a_date_before_what_it_follows_is_refused(self) -> None:
        with pytest.raises(RuleBroken, match="2026-05-01"):
            check_date("body.x", date(2026, 4, 30), not_before=date(2026, 5, 1), today=self.TODAY)
