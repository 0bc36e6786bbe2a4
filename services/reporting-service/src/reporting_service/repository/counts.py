"""Reading the projections' counts: a quarter's cells of every unit, and the trend units' by
month, as the quarter's one disclosure decision (domain/publication.py) is made over them."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from reporting_service.domain.measures import Raw
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
