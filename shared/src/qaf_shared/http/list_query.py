"""Every list's query: the org-unit filters a caller gave, checked against the tenant's tree,
and one builder that turns filters into SQL with numbered parameters, then reads one page in
the stable cursor order every list uses ((created_at, id), `limit + 1` rows so that the caller
can tell whether a next page follows: `qaf_shared.http.pagination.page`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import asyncpg
from fastapi import Request

from qaf_shared.http.org_units import tenant_units
from qaf_shared.http.problems import field_error


@dataclass(frozen=True)
class UnitFilters:
    """The org-unit filters every staff list takes (each one narrows the list to the rows
    stored with that unit)."""

    area: str | None = None
    district: str | None = None
    team: str | None = None
    service: str | None = None


def unit_filters(
    request: Request,
    tenant: str,
    *,
    area: str | None = None,
    district: str | None = None,
    team: str | None = None,
    service: str | None = None,
) -> UnitFilters:
    """The list's unit filters, each naming a unit of that kind in the tenant's tree: an
    unknown code (or one of another kind) is a 422 naming the query parameter, not an empty
    page that looks like an answer."""
    given = UnitFilters(area=area, district=district, team=team, service=service)
    if given == UnitFilters():
        return given
    units = tenant_units(request, tenant)
    for field in fields(given):
        code = getattr(given, field.name)
        if code is not None and units.kind_of(code) != field.name:
            raise field_error(
                f"query.{field.name}", f"unknown {field.name} {code!r} for tenant {tenant}"
            )
    return given


class ListQuery:
    """One list's SQL: the tenant's rows, narrowed by each clause added, one page at a time.

    `prefix` qualifies the columns this builder writes itself (tenant, units, the cursor's
    created_at and id) when the list joins tables (`"x."`)."""

    def __init__(self, tenant: str, *, prefix: str = "") -> None:
        self.prefix = prefix
        self.args: list[Any] = [tenant]
        self.clauses = [f"{prefix}tenant = $1"]

    def param(self, value: Any) -> str:
        """A placeholder for `value`."""
        self.args.append(value)
        return f"${len(self.args)}"

    def where(self, clause: str) -> None:
        self.clauses.append(clause)

    def add(self, clause: str, value: Any) -> None:
        """`clause` with `value` where its `{}` is, unless the filter was not given (None)."""
        if value is not None:
            self.where(clause.format(self.param(value)))

    def units(self, units: UnitFilters, *, prefix: str | None = None) -> None:
        """The rows stored with the given units (`prefix`, if given, qualifies the unit
        columns instead of the builder's own: actions list by their audit's unit)."""
        table = self.prefix if prefix is None else prefix
        for field in fields(units):
            self.add(f"{table}{field.name} = {{}}", getattr(units, field.name))

    def page_sql(self, select: str, *, after: tuple[datetime, uuid.UUID] | None, limit: int) -> str:
        """`select` (up to FROM) with the filters, rows after the cursor, in (created_at, id)
        order, `limit + 1` of them."""
        p = self.prefix
        if after is not None:
            at, ident = self.param(after[0]), self.param(after[1])
            self.where(f"({p}created_at, {p}id) > ({at}, {ident})")
        return (
            f"{select} WHERE {' AND '.join(self.clauses)} "
            f"ORDER BY {p}created_at, {p}id LIMIT {self.param(limit + 1)}"
        )

    async def page(
        self,
        conn: asyncpg.Connection,
        select: str,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[asyncpg.Record]:
        """The page `page_sql` describes, read."""
        sql = self.page_sql(select, after=after, limit=limit)
        rows: list[asyncpg.Record] = await conn.fetch(sql, *self.args)
        return rows
