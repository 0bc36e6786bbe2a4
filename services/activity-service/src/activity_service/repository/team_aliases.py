"""SQL of a tenant's team aliases (its case-management system's team names to team codes)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

_READ = "SELECT name_key, name, team FROM team_aliases WHERE tenant = $1 ORDER BY name_key"
_READ_ONE = "SELECT team FROM team_aliases WHERE tenant = $1 AND name_key = $2"
_DELETE = "DELETE FROM team_aliases WHERE tenant = $1"
_INSERT = """
INSERT INTO team_aliases (tenant, updated_by_client, updated_by_actor, name_key, name, team)
SELECT $1, $2, $3, * FROM unnest($4::text[], $5::text[], $6::text[])
"""


async def read(conn: asyncpg.Connection, tenant: str) -> list[asyncpg.Record]:
    """The tenant's aliases (`name_key`, `name`, `team`), by normalised name."""
    rows: list[asyncpg.Record] = await conn.fetch(_READ, tenant)
    return rows


async def team_of(conn: asyncpg.Connection, tenant: str, name_key: str) -> str | None:
    team: str | None = await conn.fetchval(_READ_ONE, tenant, name_key)
    return team


async def replace_all(
    conn: asyncpg.Connection,
    tenant: str,
    aliases: Sequence[tuple[str, str, str]],
    *,
    client: str,
    actor: str | None,
) -> None:
    """The tenant's whole mapping becomes `aliases` (name_key, name, team); call it inside a
    transaction."""
    await conn.execute(_DELETE, tenant)
    if aliases:
        keys, names, teams = (list(column) for column in zip(*aliases, strict=True))
        await conn.execute(_INSERT, tenant, client, actor, keys, names, teams)
