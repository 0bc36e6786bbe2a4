"""Org units at the HTTP edge: `GET /v1/org-units`, and the `team | service` request fields.

No `from __future__ import annotations` here: the route below is built in a closure, and
FastAPI must see its `Annotated` dependency as an object, not a string it cannot resolve."""

from typing import Annotated, Any, Self

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal, authenticated
from qaf_shared.http.problems import Problem, field_error
from qaf_shared.org_units import OrgUnitDirectory, TenantUnits

UnitCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9_\-]+$")]


class UnitChoice(BaseModel):
    """A request names exactly one of a team (a leaf of the tenant's tree) or a county-wide
    service."""

    model_config = ConfigDict(extra="forbid")

    team: UnitCode | None = None
    service: UnitCode | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.team is None) == (self.service is None):
            raise ValueError("give exactly one of team or service")
        return self


def tenant_units(request: Request, tenant: str) -> TenantUnits:
    directory: OrgUnitDirectory = request.app.state.org_units
    units = directory.tenant(tenant)
    if units is None:
        raise Problem(404, f"No org units are configured for tenant {tenant}.")
    return units


def resolve_org_unit(request: Request, tenant: str, choice: UnitChoice) -> OrgUnitRef:
    """The stored org unit for a request's team or service; an unknown code is a 422."""
    units = tenant_units(request, tenant)
    if choice.team is not None:
        unit = units.team(choice.team)
        if unit is None:
            raise field_error("body.team", f"unknown team {choice.team!r} for tenant {tenant}")
        return unit
    assert choice.service is not None
    unit = units.service(choice.service)
    if unit is None:
        raise field_error("body.service", f"unknown service {choice.service!r} for tenant {tenant}")
    return unit


class OrgUnitsOut(BaseModel):
    tenant: str
    areas: list[dict[str, Any]]
    services: list[str]


def org_units_router() -> APIRouter:
    """`GET /v1/org-units` for any valid token of the tenant, whatever its scopes
    (docs/api-conventions.md): every client names units in its requests, so every client may
    read them."""
    router = APIRouter(tags=["org units"])

    @router.get("/v1/org-units", response_model=OrgUnitsOut)
    async def get_org_units(
        request: Request, principal: Annotated[Principal, authenticated]
    ) -> dict[str, Any]:
        return tenant_units(request, principal.tenant).to_json()

    return router
