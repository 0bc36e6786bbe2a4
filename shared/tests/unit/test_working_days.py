from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from qaf_shared.working_days import add_working_days, is_working_day, working_days_between


def test_five_working_days_from_the_thursday_before_easter_skip_the_long_weekend() -> None:
    # Good Friday 3 April 2026 and Easter Monday 6 April 2026 are bank holidays.
    assert add_working_days(date(2026, 4, 2), 5) == date(2026, 4, 13)


def test_christmas_substitute_days_are_not_working_days() -> None:
    # Boxing Day 2026 is a Saturday; Monday 28 December is the substitute bank holiday.
    assert not is_working_day(date(2026, 12, 28))
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_weekends_do_not_count() -> None:
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday -> Monday
    assert working_days_between(date(2026, 11, 27), date(2026, 11, 29)) == 0


def test_the_same_day_is_zero_working_days() -> None:
    assert working_days_between(date(2026, 5, 5), date(2026, 5, 5)) == 0


@given(start=st.dates(date(2024, 1, 1), date(2030, 12, 31)), days=st.integers(0, 60))
def test_adding_then_counting_working_days_round_trips(start: date, days: int) -> None:
    due = add_working_days(start, days)
    assert working_days_between(start, due) == days
    assert days == 0 or is_working_day(due)


def _counted_day_by_day(first: date, second: date) -> int:
    count, day = 0, first
    while day < second:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


@given(
    first=st.dates(date(2020, 1, 1), date(2032, 12, 31)),
    second=st.dates(date(2020, 1, 1), date(2032, 12, 31)),
)
def test_counting_working_days_agrees_with_walking_the_calendar(first: date, second: date) -> None:
    expected = (
        _counted_day_by_day(first, second)
        if first <= second
        else -_counted_day_by_day(second, first)
    )
    assert working_days_between(first, second) == expected


def _added_day_by_day(start: date, days: int) -> date:
    day = start
    while days:
        day += timedelta(days=1)
        days -= is_working_day(day)
    return day


@given(start=st.dates(date(2020, 1, 1), date(2031, 12, 31)), days=st.integers(0, 400))
def test_adding_working_days_agrees_with_walking_the_calendar(start: date, days: int) -> None:
    assert add_working_days(start, days) == _added_day_by_day(start, days)


def test_adding_working_days_crosses_years_on_their_first_working_day() -> None:
    # 31 December 2026 is a Thursday; 1 January 2027 a bank holiday, so Monday the 4th.
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert add_working_days(date(2026, 12, 30), 1) == date(2026, 12, 31)
    assert add_working_days(date(2025, 12, 31), 260) == _added_day_by_day(date(2025, 12, 31), 260)
