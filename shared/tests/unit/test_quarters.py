from datetime import date

import pytest

from qaf_shared.quarters import parse_quarter, previous_quarter, quarter_bounds, quarter_of


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2026, 4, 1), "FY2026Q1"),
        (date(2026, 6, 30), "FY2026Q1"),
        (date(2026, 7, 1), "FY2026Q2"),
        (date(2026, 12, 31), "FY2026Q3"),
        (date(2027, 1, 1), "FY2026Q4"),
        (date(2027, 3, 31), "FY2026Q4"),
    ],
)
def test_quarter_follows_the_financial_year(day: date, quarter: str) -> None:
    assert quarter_of(day) == quarter


def test_quarter_bounds_cover_exactly_the_quarter() -> None:
    assert quarter_bounds("FY2026Q1") == (date(2026, 4, 1), date(2026, 6, 30))
    assert quarter_bounds("FY2026Q4") == (date(2027, 1, 1), date(2027, 3, 31))


def test_previous_quarter_crosses_the_year() -> None:
    assert previous_quarter("FY2026Q1") == "FY2025Q4"
    assert previous_quarter("FY2026Q3") == "FY2026Q2"


@pytest.mark.parametrize("bad", ["2026Q1", "FY2026Q5", "FY26Q1", "fy2026q1", ""])
def test_malformed_quarter_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_quarter(bad)
