"""A tenant's team aliases: the names its case-management system gives teams (Ofsted Annex A
carries them), each mapped to one of the tenant's team codes (docs/activity.md, The
returns). Names match whatever their case and spacing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from activity_service.repository import team_aliases as alias_rows
from qaf_shared.org_units import TenantUnits
from qaf_shared.rules import FieldError, RuleBroken


def name_key(name: str) -> str:
    """What a team name is matched by: without case, and without spaces anywhere."""
    return "".join(name.split()).casefold()


@dataclass(frozen=True)
class TeamAliases:
    """A tenant's mapping as read once (a return load reads it at its start)."""

    teams: Mapping[str, str]  # name_key -> team code

    def resolve(self, name: str) -> str | None:
        """The team code `name` maps to; None for a name the tenant has not mapped."""
        return self.teams.get(name_key(name))


async def read_aliases(conn: asyncpg.Connection, tenant: str) -> TeamAliases:
    rows = await alias_rows.read(conn, tenant)
    return TeamAliases({r["name_key"]: r["team"] for r in rows})


async def resolve(conn: asyncpg.Connection, tenant: str, name: str) -> str | None:
    """The team code the tenant maps `name` to, or None."""
    return await alias_rows.team_of(conn, tenant, name_key(name))


async def list_aliases(conn: asyncpg.Connection, tenant: str) -> dict[str, str]:
    """The tenant's mapping, each name as it was given."""
    return {r["name"]: r["team"] for r in await alias_rows.read(conn, tenant)}


async def replace_aliases(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    aliases: Mapping[str, str],
    units: TenantUnits,
    client: str,
    actor: str | None,
) -> dict[str, str]:
    """Replace the tenant's whole mapping (inside the caller's transaction). Every code must
    be a team of the tenant and no two names may match each other: a 422 naming each alias
    otherwise, and nothing changes."""
    errors: list[FieldError] = []
    by_key: dict[str, str] = {}
    for name, team in aliases.items():
        where = f"body.aliases.{name}"
        key = name_key(name)
        if not key:
            errors.append(FieldError(where, "a team name must have a character besides spaces"))
        elif key in by_key:
            errors.append(
                FieldError(
                    where, f"matches the alias {by_key[key]!r} (names ignore case and spaces)"
                )
            )
        if units.team(team) is None:
            errors.append(FieldError(where, f"not a team of tenant {units.tenant}"))
        by_key.setdefault(key, name)
    if errors:
        raise RuleBroken.on_fields(errors)
    rows = [(name_key(name), name, team) for name, team in aliases.items()]
    await alias_rows.replace_all(conn, tenant, rows, client=client, actor=actor)
    return dict(aliases)
