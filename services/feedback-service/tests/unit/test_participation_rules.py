"""Child in care review participation: the DfE codes, the rate, timeliness and dates."""

from __future__ import annotations

from datetime import date

import pytest

from feedback_service.domain.participation import (
    check_review,
    in_timescale,
    participated,
    participation_rate,
)
from qaf_shared.enums import PnCode

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (PnCode.PN0, None),  # under 4: outside the measure
        (PnCode.PN1, True),
        (PnCode.PN2, True),
        (PnCode.PN3, True),
        (PnCode.PN4, True),
        (PnCode.PN5, True),
        (PnCode.PN6, True),
        (PnCode.PN7, False),  # absent, views not conveyed
    ],
)
def test_each_pn_code_counts_as_participation_or_not(code: PnCode, expected: bool | None) -> None:
    assert participated(code) is expected


def test_the_rate_is_pn1_to_pn6_over_all_reviews_but_pn0() -> None:
    codes = [PnCode.PN0, PnCode.PN0, PnCode.PN1, PnCode.PN5, PnCode.PN6, PnCode.PN7]
    assert participation_rate(codes) == 75.0
    assert participation_rate([PnCode.PN0]) is None
    assert participation_rate([]) is None


def test_a_review_held_on_or_before_its_due_date_is_in_timescale() -> None:
    assert in_timescale(date(2026, 5, 10), date(2026, 5, 10))
    assert in_timescale(date(2026, 5, 10), date(2026, 5, 1))
    assert not in_timescale(date(2026, 5, 10), date(2026, 5, 11))


def test_a_review_is_recorded_once_held_with_a_plausible_due_date() -> None:
    assert check_review(date(2026, 5, 10), date(2026, 5, 12), TODAY) == []
    assert [e.field for e in check_review(date(2026, 6, 5), date(2026, 6, 2), TODAY)] == [
        "review_held"
    ]
    assert [e.field for e in check_review(date(1999, 1, 1), date(2026, 5, 1), TODAY)] == [
        "review_due"
    ]
    assert [e.field for e in check_review(date(2030, 1, 1), date(2026, 5, 1), TODAY)] == [
        "review_due"
    ]
