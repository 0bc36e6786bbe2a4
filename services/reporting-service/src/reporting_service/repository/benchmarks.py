"""The benchmark reference data (migration 0003): published figures, the neighbour model and
the log of loads, whose newest id is the reference data's version. A load replaces what its
file covers in one transaction, and logs itself in it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from reporting_service.domain.benchmark_files import NeighbourRow, ValueRow
from reporting_service.domain.benchmarks import AreaLevel, Figure, MeasureReference


@dataclass(frozen=True)
class Loader:
    """Who loads a file: the token's client and the staff id it acts for."""

    client: str
    actor: str


_LOG_SQL = """
INSERT INTO benchmark_loads (kind, client, actor, covers, rows) VALUES ($1, $2, $3, $4, $5)
"""


async def replace_values(
    conn: asyncpg.Connection, rows: Sequence[ValueRow], loader: Loader
) -> tuple[list[int], int]:
    """Replace every figure of the years the rows give with the rows; the years and how many
    figures the replaced years held before."""
    years = sorted({r.year for r in rows})
    async with conn.transaction():
        # Loads of the same years one after the other, never interleaved.
        await conn.execute("LOCK TABLE benchmark_values IN SHARE ROW EXCLUSIVE MODE")
        deleted = await conn.fetchval(
            "WITH gone AS (DELETE FROM benchmark_values WHERE year = ANY($1::int[])"
            " RETURNING 1) SELECT count(*) FROM gone",
            years,
        )
        await conn.execute(
            "INSERT INTO benchmark_values (year, area_level, area_code, measure, value, symbol)"
            " SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[],"
            " $5::float8[], $6::text[])",
            [r.year for r in rows],
            [r.area_level.value for r in rows],
            [r.area_code for r in rows],
            [r.measure for r in rows],
            [r.value for r in rows],
            [r.symbol for r in rows],
        )
        await conn.execute(
            _LOG_SQL, "values", loader.client, loader.actor, [str(y) for y in years], len(rows)
        )
    return years, int(deleted)


async def replace_neighbours(
    conn: asyncpg.Connection, rows: Sequence[NeighbourRow], loader: Loader
) -> tuple[list[str], int]:
    """Replace the neighbours of every LA the rows name with the rows; the LAs and how many
    neighbour rows they held before."""
    las = sorted({r.la_code for r in rows})
    async with conn.transaction():
        await conn.execute("LOCK TABLE benchmark_neighbours IN SHARE ROW EXCLUSIVE MODE")
        deleted = await conn.fetchval(
            "WITH gone AS (DELETE FROM benchmark_neighbours WHERE la_code = ANY($1::text[])"
            " RETURNING 1) SELECT count(*) FROM gone",
            las,
        )
        await conn.execute(
            "INSERT INTO benchmark_neighbours (la_code, rank, neighbour_la_code)"
            " SELECT * FROM unnest($1::text[], $2::int[], $3::text[])",
            [r.la_code for r in rows],
            [r.rank for r in rows],
            [r.neighbour_la_code for r in rows],
        )
        await conn.execute(_LOG_SQL, "neighbours", loader.client, loader.actor, las, len(rows))
    return las, int(deleted)


async def version(conn: asyncpg.Connection) -> int:
    """The newest load's id: any load moves it."""
    return int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM benchmark_loads"))


# Each measure's latest year up to the financial year, and that year's figures.
_LATEST_SQL = """
WITH latest AS (
    SELECT measure, max(year) AS year FROM benchmark_values WHERE year <= $1 GROUP BY measure
)
SELECT v.measure, v.year, v.area_level, v.area_code, v.value, v.symbol
FROM benchmark_values v JOIN latest USING (measure, year)
"""


async def latest_figures(conn: asyncpg.Connection, year: int) -> dict[str, MeasureReference]:
    """measure -> its figures in the latest year up to `year` that has any."""
    found: dict[str, tuple[int, dict[str, dict[str, Figure]]]] = {}
    for r in await conn.fetch(_LATEST_SQL, year):
        figure: Figure = r["value"] if r["symbol"] is None else r["symbol"]
        _, levels = found.setdefault(r["measure"], (r["year"], {}))
        levels.setdefault(r["area_level"], {})[r["area_code"]] = figure
    return {
        measure: MeasureReference(
            year=y,
            england=next(iter(levels.get(AreaLevel.ENGLAND, {}).values()), None),
            regions=levels.get(AreaLevel.REGION, {}),
            las=levels.get(AreaLevel.LA, {}),
        )
        for measure, (y, levels) in found.items()
    }


async def neighbours(conn: asyncpg.Connection, la: str) -> list[str]:
    """The LA's statistical neighbours, closest first."""
    rows = await conn.fetch(
        "SELECT neighbour_la_code FROM benchmark_neighbours WHERE la_code = $1 ORDER BY rank", la
    )
    return [r["neighbour_la_code"] for r in rows]
