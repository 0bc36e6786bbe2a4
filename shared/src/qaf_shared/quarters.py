"""Financial-year quarters: `FY2026Q1` is April to June 2026, `FY2026Q4` January to March 2027."""

from __future__ import annotations

import re
from datetime import date, timedelta

_QUARTER = re.compile(r"^FY(\d{4})Q([1-4])$")


def quarter_of(day: date) -> str:
    fy = day.year if day.month >= 4 else day.year - 1
    q = (day.month - 4) % 12 // 3 + 1
    return f"FY{fy}Q{q}"


def parse_quarter(quarter: str) -> tuple[int, int]:
    match = _QUARTER.match(quarter)
    if not match:
        raise ValueError(f"not a quarter id like FY2026Q1: {quarter!r}")
    return int(match.group(1)), int(match.group(2))


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First and last day of a quarter."""
    fy, q = parse_quarter(quarter)
    month = 4 + (q - 1) * 3
    year = fy + (month - 1) // 12
    month = (month - 1) % 12 + 1
    start = date(year, month, 1)
    end_month = month + 3
    end = date(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def previous_quarter(quarter: str) -> str:
    fy, q = parse_quarter(quarter)
    return f"FY{fy}Q{q - 1}" if q > 1 else f"FY{fy - 1}Q4"
