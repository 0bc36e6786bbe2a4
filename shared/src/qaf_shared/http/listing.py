"""A list of one table, described once: what it selects, and its filters, a frozen dataclass
the route fills in whose every field's annotation carries the clause it narrows the list by
(`Annotated[date | None, Where("received_on >= {}")]`) but a `units` field (the caller's org
units). Reading a page is then the same for every list: `ListQuery` adds each filter given
(None is not given), the units and the cursor, and numbers the parameters. A repository
declares its list; it does not write out how to read one."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import Any, Generic, TypeVar, get_type_hints

import asyncpg

from qaf_shared.http.list_query import ListQuery

Filters = TypeVar("Filters")


@dataclass(frozen=True, slots=True)
class Where:
    """A filter that narrows the list by `sql`, its value where `{}` is."""

    sql: str


@dataclass(frozen=True, slots=True)
class Matching:
    """A filter whose parameter is made from its value: `sql` with `param(value)` where `{}`
    is (a JSON containment test, say)."""

    sql: str
    param: Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class AsOf:
    """A yes/no filter decided on the business date (overdue, say): `sql` when yes, and when
    no `otherwise` (`NOT sql` unless given), the date where `{}` is."""

    sql: str
    otherwise: str | None = None

    def clause(self, yes: bool) -> str:
        """The clause of a yes or of a no."""
        if yes:
            return self.sql
        return self.otherwise if self.otherwise is not None else f"NOT {self.sql}"


_Clause = Where | Matching | AsOf


class Listing(Generic[Filters]):
    """The list `select` (up to FROM) reads, narrowed by `filters` (each field's clause is
    read once, here). Their `units` field narrows by the caller's units, whose columns
    `unit_prefix` qualifies if given (a list that joins reads its units from another
    table); `prefix` qualifies the columns `ListQuery` writes itself; `always` are clauses every
    page meets (a list that leaves some rows out, withdrawn ones say)."""

    def __init__(
        self,
        select: str,
        filters: type[Filters],
        *,
        prefix: str = "",
        unit_prefix: str | None = None,
        always: tuple[str, ...] = (),
    ) -> None:
        assert dataclasses.is_dataclass(filters)
        names = [f.name for f in dataclasses.fields(filters)]
        self._units = attrgetter("units") if "units" in names else None
        hints = get_type_hints(filters, include_extras=True)
        self._clauses = tuple((name, _clause_of(hints[name])) for name in names if name != "units")
        self.select = select
        self.prefix = prefix
        self.unit_prefix = unit_prefix
        self.always = always

    def query(self, tenant: str, filters: Filters, today: date | None = None) -> ListQuery:
        """The tenant's rows that meet the filters given (`today` decides the `as_of` ones)."""
        q = ListQuery(tenant, prefix=self.prefix)
        for sql in self.always:
            q.where(sql)
        for name, clause in self._clauses:
            value = getattr(filters, name)
            if value is None:
                continue
            if isinstance(clause, Where):
                q.add(clause.sql, value)
            elif isinstance(clause, Matching):
                q.add(clause.sql, clause.param(value))
            else:
                assert today is not None, f"{name} is decided on the business date"
                q.add(clause.clause(value), today)
        if self._units is not None:
            q.units(self._units(filters), prefix=self.unit_prefix)
        return q

    async def page(
        self,
        conn: asyncpg.Connection,
        tenant: str,
        filters: Filters,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
        today: date | None = None,
    ) -> list[asyncpg.Record]:
        """Up to `limit + 1` of those rows after the cursor, in (created_at, id) order."""
        q = self.query(tenant, filters, today)
        return await q.page(conn, self.select, after=after, limit=limit)


def _clause_of(hint: Any) -> _Clause:
    """The clause a filter's annotation carries (`Annotated[str | None, Where(...)]`)."""
    found = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, _Clause)]
    assert len(found) == 1, f"a filter says its one clause: {hint}"
    return found[0]
