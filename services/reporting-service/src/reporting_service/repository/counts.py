"""Reading the projections' counts: a quarter's cells of every unit, and the trend units' by
month, as the quarter's one disclosure decision (domain/publication.py) is made over them."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from reporting_service.domain.measures import STOCKS, Raw
from reporting_service.domain.trends import months_or_none

_COUNTS_SQL = """
SELECT period, unit_kind, unit_code, measure, dimension, value FROM {schema}.counts
WHERE tenant = $1 AND ((grain = 'q' AND period = ANY($2::text[]))
                    OR (grain = 'm' AND period = ANY($3::text[])))
"""
# A state measure's value at a period is the sum of its changes up to and including it.
_RUNNING_TOTALS_SQL = """
SELECT p.period, r.unit_kind, r.unit_code, r.measure, r.dimension, sum(r.value)::bigint AS value
FROM unnest($2::text[], $3::text[]) AS p(period, grain)
JOIN {schema}.running r ON r.tenant = $1 AND r.grain = p.grain AND r.period <= p.period
GROUP BY 1, 2, 3, 4, 5
"""
# A state measure's changes in the quarter and its months alone.
_RUNNING_CHANGES_SQL = """
SELECT period, unit_kind, unit_code, measure, dimension, value FROM {schema}.running
WHERE tenant = $1 AND ((grain = 'q' AND period = $2) OR (grain = 'm' AND period = ANY($3::text[])))
"""


async def read_quarters(
    conn: asyncpg.Connection, schema: str, tenant: str, quarters: Sequence[str]
) -> dict[str, dict[tuple[str, str, str], Raw]]:
    """quarter -> (period, kind, code) -> raw counts: every unit at the quarter, and the
    trend units by month."""
    months = {m: q for q in quarters for m in months_or_none(q)}
    out: dict[str, dict[tuple[str, str, str], Raw]] = {q: {} for q in quarters}
    rows = await conn.fetch(_COUNTS_SQL.format(schema=schema), tenant, list(quarters), list(months))
    periods = [*quarters, *months]
    grains = ["q"] * len(quarters) + ["m"] * len(months)
    rows += await conn.fetch(_RUNNING_TOTALS_SQL.format(schema=schema), tenant, periods, grains)
    for period, kind, code, measure, dimension, value in rows:
        quarter = months.get(period, period)
        out[quarter].setdefault((period, kind, code), {})[(measure, dimension)] = value
    return out


async def read_quarter_after(
    conn: asyncpg.Connection,
    schema: str,
    tenant: str,
    quarter: str,
    previous: str,
    before: dict[tuple[str, str, str], Raw],
) -> dict[tuple[str, str, str], Raw] | None:
    """The quarter's figures as `read_quarters` gives them, from the quarter's own rows alone,
    however long the history: each state at the quarter's end (and each month's) is its
    value at the end of the `previous` quarter (and its last month), taken from `before`
    (that quarter's figures, current for every state), plus the quarter's own changes.
    None when `previous` has no months to carry from."""
    previous_months, months = months_or_none(previous), months_or_none(quarter)
    if not previous_months or not months:
        return None
    out: dict[tuple[str, str, str], Raw] = {}
    for period, kind, code, measure, dimension, value in await conn.fetch(
        _COUNTS_SQL.format(schema=schema), tenant, [quarter], months
    ):
        out.setdefault((period, kind, code), {})[(measure, dimension)] = value
    # Per grain: the period carried from, and the periods it carries to, in order.
    chains = ((previous, [quarter]), (previous_months[-1], months))
    changes: dict[tuple[str, str, str], Raw] = {}
    for period, kind, code, measure, dimension, value in await conn.fetch(
        _RUNNING_CHANGES_SQL.format(schema=schema), tenant, quarter, months
    ):
        changes.setdefault((period, kind, code), {})[(measure, dimension)] = value
    for start, periods in chains:
        running: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
        for (period, kind, code), cells in before.items():
            if period == start:
                stocks = {cell: v for cell, v in cells.items() if cell[0] in STOCKS}
                if stocks:
                    running[(kind, code)] = stocks
        for period in periods:
            for (changed, kind, code), cells in changes.items():
                if changed == period:
                    held = running.setdefault((kind, code), {})
                    for cell, value in cells.items():
                        held[cell] = held.get(cell, 0) + value
            for (kind, code), held in running.items():
                out.setdefault((period, kind, code), {}).update(held)
    return out
