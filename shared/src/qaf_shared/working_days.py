"""Working days: weekends and England and Wales bank holidays (the `holidays` package)
excluded. All due dates are dates."""

from __future__ import annotations

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
    """The date `days` working days after `start` (`start` itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(first: date, second: date) -> int:
    """Working days after `first` up to and including `second` (the same day is 0); negative
    when `second` is before `first`."""
    if second < first:
        return -working_days_between(second, first)
    count = 0
    current = first
    while current < second:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
