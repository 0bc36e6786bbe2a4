"""Who writes, on the business date: the date a body gives for what it records defaults to
the author's today and is checked as every step's date is."""

from __future__ import annotations

from datetime import date

import pytest

from qaf_shared.authors import Author
from qaf_shared.http.auth import Principal
from qaf_shared.rules import RuleBroken

WHO = Author(Principal(client="c", tenant="886", scopes=frozenset()), "staff-1", date(2026, 6, 10))


def test_a_date_left_out_is_the_authors_today() -> None:
    assert WHO.date_of("raised_on", None) == date(2026, 6, 10)


def test_a_date_given_is_kept() -> None:
    assert WHO.date_of("raised_on", date(2026, 6, 1), not_before=date(2026, 6, 1)) == date(
        2026, 6, 1
    )


def test_a_date_after_today_is_refused_naming_the_body_field() -> None:
    with pytest.raises(RuleBroken, match="future") as refused:
        WHO.date_of("raised_on", date(2026, 6, 11))
    assert refused.value.field == "body.raised_on"


def test_a_date_before_what_it_follows_is_refused_even_when_it_defaults_to_today() -> None:
    with pytest.raises(RuleBroken) as refused:
        WHO.date_of("closed_on", None, not_before=date(2026, 6, 11))
    assert refused.value.field == "body.closed_on"
