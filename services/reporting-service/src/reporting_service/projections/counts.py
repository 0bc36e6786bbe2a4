"""Count measures kept per (tenant, quarter, unit, measure, dimension), changed by deltas."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import asyncpg

from qaf_shared.events.payloads import OrgUnitRef

CountKey = tuple[
    str, str, str, str, str, str
]  # tenant, quarter, unit_kind, unit_code, measure, dimension
Deltas = Counter[CountKey]

_APPLY = """
INSERT INTO measure_counts AS m (tenant, quarter, unit_kind, unit_code, measure, dimension, value)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
ON CONFLICT (tenant, quarter, unit_kind, unit_code, measure, dimension)
DO UPDATE SET value = m.value + EXCLUDED.value
"""


def units_of(tenant: str, unit: OrgUnitRef) -> Iterator[tuple[str, str]]:
    """Every unit a fact counts in: the whole tenant and each level of its org unit."""
    yield "tenant", tenant
    for kind in ("area", "district", "team", "service"):
        code = getattr(unit, kind)
        if code:
            yield kind, code


async def apply_deltas(conn: asyncpg.Connection, deltas: Deltas) -> None:
    """Add every non-zero delta in one statement (sorted, so concurrent writers lock rows in
    the same order)."""
    changes = sorted((k, v) for k, v in deltas.items() if v)
    if not changes:
        return
    columns = list(zip(*(k for k, _ in changes), strict=True))
    await conn.execute(_APPLY, *map(list, columns), [v for _, v in changes])
