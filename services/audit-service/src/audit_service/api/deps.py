"""What the routes depend on: who may call them (the scopes as `Annotated` aliases), the pool
and the configuration from app state, and the org-unit filters of the lists."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Query, Request

from audit_service.configuration import AuditConfiguration
from qaf_shared.http.auth import Principal, requires
from qaf_shared.http.org_units import tenant_units
from qaf_shared.http.problems import field_error

Reader = Annotated[Principal, requires("audits:read")]
Writer = Annotated[Principal, requires("audits:write")]
Moderator = Annotated[Principal, requires("audits:moderate")]

UnitQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Z0-9_\-]+$")]


def pool(request: Request) -> asyncpg.Pool:
    value: asyncpg.Pool = request.app.state.pool
    return value


def configuration(request: Request) -> AuditConfiguration:
    value: AuditConfiguration = request.app.state.audit_configuration
    return value


def check_unit_filters(request: Request, tenant: str, **codes: str | None) -> None:
    """A unit filter names a unit of that kind in the tenant's tree (a typo is a 422, not an
    empty page)."""
    units = tenant_units(request, tenant)
    for kind, code in codes.items():
        if code is not None and units.kind_of(code) != kind:
            raise field_error(f"query.{kind}", f"unknown {kind} {code!r} for tenant {tenant}")
