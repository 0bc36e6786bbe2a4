"""A list described once (`qaf_shared.http.listing`): each filter given narrows it by its own
clause, in the order described, one not given adds nothing, the units come from the filters,
and a yes/no filter on the business date says yes or no by its own clauses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

import pytest

from qaf_shared.http.list_query import UnitFilters
from qaf_shared.http.listing import AsOf, Listing, Matching, Where

TODAY = date(2026, 5, 4)


@dataclass(frozen=True)
class _Filters:
    owner: Annotated[str | None, Where("x.owner = {}")] = None
    tags: Annotated[str | None, Matching("x.tags @> {}::jsonb", lambda tag: [tag])] = None
    overdue: Annotated[
        bool | None, AsOf("x.due < {}", otherwise="(x.due IS NULL OR x.due >= {})")
    ] = None
    units: UnitFilters = field(default_factory=UnitFilters)


@dataclass(frozen=True)
class _Overdue:
    overdue: Annotated[bool | None, AsOf("(x.open AND x.due < {})")] = None


_LIST = Listing(
    "SELECT x.id FROM x JOIN a ON a.id = x.a_id", _Filters, prefix="x.", unit_prefix="a."
)


def _sql(listing: Listing[_Filters], filters: _Filters) -> tuple[str, list[object]]:
    q = listing.query("886", filters, TODAY)
    return q.page_sql(listing.select, after=None, limit=9), q.args


def test_a_list_narrowed_by_nothing_is_the_tenants_rows() -> None:
    sql, args = _sql(_LIST, _Filters())
    assert sql == (
        "SELECT x.id FROM x JOIN a ON a.id = x.a_id WHERE x.tenant = $1 "
        "ORDER BY x.created_at, x.id LIMIT $2"
    )
    assert args == ["886", 10]


def test_each_filter_given_adds_its_clause_with_its_parameter_and_the_units_last() -> None:
    filters = _Filters(owner="sw-1", tags="red", overdue=True, units=UnitFilters(team="T1"))
    sql, args = _sql(_LIST, filters)
    assert sql == (
        "SELECT x.id FROM x JOIN a ON a.id = x.a_id WHERE x.tenant = $1 AND x.owner = $2 "
        "AND x.tags @> $3::jsonb AND x.due < $4 AND a.team = $5 "
        "ORDER BY x.created_at, x.id LIMIT $6"
    )
    assert args == ["886", "sw-1", ["red"], TODAY, "T1", 10]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (_Filters(overdue=False), "(x.due IS NULL OR x.due >= $2)"),
        (_Overdue(overdue=False), "NOT (x.open AND x.due < $2)"),
    ],
    ids=["its-own-no-clause", "not-the-yes-clause"],
)
def test_a_no_on_a_business_date_filter_is_its_no_clause(filters: object, expected: str) -> None:
    q = Listing("SELECT id FROM x", type(filters)).query("886", filters, TODAY)
    assert (q.clauses, q.args) == (["tenant = $1", expected], ["886", TODAY])


def test_a_filter_that_says_no_clause_is_refused_when_the_list_is_described() -> None:
    @dataclass(frozen=True)
    class Unsaid:
        owner: str | None = None

    with pytest.raises(AssertionError):
        Listing("SELECT id FROM x", Unsaid)


def test_a_list_that_always_leaves_rows_out_says_so_before_the_filters_given() -> None:
    listing = Listing("SELECT x.id FROM x", _Filters, prefix="x.", always=("NOT x.withdrawn",))
    sql, args = _sql(listing, _Filters(owner="sw-1"))
    assert sql == (
        "SELECT x.id FROM x WHERE x.tenant = $1 AND NOT x.withdrawn AND x.owner = $2 "
        "ORDER BY x.created_at, x.id LIMIT $3"
    )
    assert args == ["886", "sw-1", 10]
