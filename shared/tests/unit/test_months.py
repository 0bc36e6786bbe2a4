"""Calendar months as the timescales count them: the same day n months on, or that month's
last day where it is shorter."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from qaf_shared.months import add_months, one_year_before


def test_a_month_after_31_january_is_the_last_day_of_february() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_six_months_after_31_march_is_30_september() -> None:
    assert add_months(date(2026, 3, 31), 6) == date(2026, 9, 30)


def test_three_months_after_30_november_crosses_the_year_into_february() -> None:
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_a_day_that_every_month_has_stays_the_same_day() -> None:
    assert add_months(date(2026, 8, 15), 6) == date(2027, 2, 15)
    assert add_months(date(2026, 8, 15), 0) == date(2026, 8, 15)


def test_months_before_count_back_across_the_year() -> None:
    assert add_months(date(2026, 1, 15), -2) == date(2025, 11, 15)
    assert add_months(date(2026, 5, 31), -3) == date(2026, 2, 28)


def test_one_year_before_29_february_is_28_february() -> None:
    assert one_year_before(date(2028, 2, 29)) == date(2027, 2, 28)
    assert one_year_before(date(2027, 3, 1)) == date(2026, 3, 1)


def _within(first: date, months: int, day: date) -> bool:
    # "At most n months after `first`", without any clamping: an earlier month than the
    # target month, or the target month up to `first`'s day of the month.
    target = first.year * 12 + first.month + months
    current = day.year * 12 + day.month
    return current < target or (current == target and day.day <= first.day)


@given(
    first=st.dates(date(2000, 1, 1), date(2040, 12, 31)),
    months=st.integers(0, 36),
)
def test_n_months_after_is_the_last_day_within_n_months(first: date, months: int) -> None:
    due = add_months(first, months)
    assert _within(first, months, due)
    assert not _within(first, months, due + timedelta(days=1))


@given(first=st.dates(date(2000, 1, 1), date(2040, 12, 31)), months=st.integers(-36, 36))
def test_adding_months_lands_in_the_month_that_many_months_on(first: date, months: int) -> None:
    due = add_months(first, months)
    assert (due.year * 12 + due.month) - (first.year * 12 + first.month) == months
    assert due.day == first.day or (due + timedelta(days=1)).day == 1
