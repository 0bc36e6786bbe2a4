"""Lists: the filters a caller gave, turned into SQL with numbered parameters, and one page
of a table read with them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg


@dataclass
class Filters:
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, value: Any) -> None:
        """`clause` uses `{}` where the parameter goes."""
        if value is None:
            return
        self.params.append(value)
        self.clauses.append(clause.format(f"${len(self.params)}"))

    def after(self, cursor: tuple[datetime, uuid.UUID] | None) -> None:
        if cursor is None:
            return
        self.params.extend(cursor)
        n = len(self.params)
        self.clauses.append(f"(created_at, id) > (${n - 1}, ${n})")

    def where(self) -> str:
        return " AND ".join(self.clauses) or "true"

    def limit(self, limit: int) -> str:
        self.params.append(limit + 1)
        return f"ORDER BY created_at, id LIMIT ${len(self.params)}"


@dataclass(frozen=True)
class UnitFilters:
    """The org unit filters every staff list takes."""

    area: str | None = None
    district: str | None = None
    team: str | None = None
    service: str | None = None


def unit_filters(tenant: str, units: UnitFilters) -> Filters:
    filters = Filters()
    filters.add("tenant = {}", tenant)
    filters.add("area = {}", units.area)
    filters.add("district = {}", units.district)
    filters.add("team = {}", units.team)
    filters.add("service = {}", units.service)
    return filters


async def list_page(
    conn: asyncpg.Connection, table: str, columns: str, filters: Filters, limit: int
) -> list[asyncpg.Record]:
    """Up to `limit` + 1 rows, oldest first (the extra one says there is a next page)."""
    order = filters.limit(limit)
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {columns} FROM {table} WHERE {filters.where()} {order}", *filters.params
    )
    return rows
