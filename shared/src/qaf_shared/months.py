"""Calendar months, as the statutory timescales count them (docs/activity.md): "n months
after" a date is the same day n months later, or that month's last day where it is shorter,
so "one year before" 29 February is 28 February. Written once: activity-service's review
timescales and reporting's rolling measures both count this way."""

from __future__ import annotations

from calendar import monthrange
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` months after `day` (before it when negative), or that month's
    last day where it is shorter: 31 January + 1 month is 28 (or 29) February."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def one_year_before(day: date) -> date:
    """The same day a year before; 29 February gives 28 February."""
    return add_months(day, -12)
