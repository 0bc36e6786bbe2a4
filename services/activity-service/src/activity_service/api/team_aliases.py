"""HTTP routes for the tenant's team aliases, which map the names its case-management system
gives teams (Ofsted Annex A carries them) to its team codes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from activity_service.api.deps import Reader, Writer
from activity_service.api.schemas.team_aliases import TeamAliasesBody
from activity_service.handlers import team_aliases as handlers
from qaf_shared.http.app import app_pool
from qaf_shared.http.auth import Actor
from qaf_shared.http.org_units import tenant_units

router = APIRouter(tags=["team aliases"])


@router.get("/v1/team-aliases", response_model=TeamAliasesBody)
async def get_team_aliases(request: Request, principal: Reader) -> dict[str, Any]:
    """The tenant's mapping, each name as it was given."""
    async with app_pool(request).acquire() as conn:
        return {"aliases": await handlers.list_aliases(conn, principal.tenant)}


@router.put("/v1/team-aliases", response_model=TeamAliasesBody)
async def put_team_aliases(
    request: Request, body: TeamAliasesBody, principal: Writer, actor: Actor
) -> dict[str, Any]:
    """Replace the tenant's whole mapping. Every code must be one of the tenant's teams, and
    no two names may differ only in case or spaces: a 422 naming each such alias, and
    nothing changes."""
    units = tenant_units(request, principal.tenant)
    async with app_pool(request).acquire() as conn, conn.transaction():
        aliases = await handlers.replace_aliases(
            conn,
            tenant=principal.tenant,
            aliases=body.aliases,
            units=units,
            client=principal.client,
            actor=actor,
        )
    return {"aliases": aliases}
