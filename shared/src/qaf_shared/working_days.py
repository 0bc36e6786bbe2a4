"""Working days: weekends and England and Wales bank holidays (the `holidays` package)
excluded. All due dates are dates."""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share their bank holidays; "ENG" is the subdivision code.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (`start` itself never counts). Found in
    the per-year running totals, not day by day: activity-service works out a due date for
    every review and visit of a child each time its history is derived."""
    if days < 0:
        raise ValueError("days must not be negative")
    if days == 0:
        return start
    year = start.year
    # The running total to reach, counted from 1 January of `year`.
    wanted = _through(year)[_day_of_year(start)] + days
    while wanted > (in_year := _through(year))[-1]:
        wanted -= in_year[-1]
        year += 1
    # The first day whose running total reaches it: a working day, since the total grows
    # only on working days.
    return date.fromordinal(_new_year(year) + bisect_left(in_year, wanted))


@lru_cache(maxsize=64)
def _new_year(year: int) -> int:
    """1 January of `year` as an ordinal."""
    return date(year, 1, 1).toordinal()


def _day_of_year(day: date) -> int:
    """`day`'s place in its year, from 0 (ordinals: `timetuple().tm_yday` built a whole
    `struct_time` for it, the larger part of `add_working_days` on a create)."""
    return day.toordinal() - _new_year(day.year)


@lru_cache(maxsize=64)
def _through(year: int) -> tuple[int, ...]:
    """Index i: the working days of `year` from 1 January up to and including its day i+1."""
    day, counted, out = date(year, 1, 1), 0, []
    while day.year == year:
        counted += is_working_day(day)
        out.append(counted)
        day += timedelta(days=1)
    return tuple(out)


def working_days_between(first: date, second: date) -> int:
    """Working days after `first` up to and including `second` (the same day is 0); negative
    when `second` is before `first`. Counted from per-year running totals, not day by day:
    reporting works this out for every resolved escalation, months apart."""
    if second < first:
        return -working_days_between(second, first)
    count = _through(second.year)[_day_of_year(second)]
    count -= _through(first.year)[_day_of_year(first)]
    for year in range(first.year, second.year):
        count += _through(year)[-1]
    return count
