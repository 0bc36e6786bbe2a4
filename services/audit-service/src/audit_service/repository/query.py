"""A small builder for list queries: filters as clauses with numbered parameters, then the
stable cursor order every list uses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any


class ListQuery:
    def __init__(self, tenant: str, *, tenant_column: str = "tenant") -> None:
        self.args: list[Any] = [tenant]
        self.clauses = [f"{tenant_column} = $1"]

    def param(self, value: Any) -> str:
        """A placeholder for `value`."""
        self.args.append(value)
        return f"${len(self.args)}"

    def where(self, clause: str) -> None:
        self.clauses.append(clause)

    def page_sql(
        self,
        select: str,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
        prefix: str = "",
    ) -> str:
        """`select` (up to FROM) with the filters, rows after the cursor, in (created_at, id)
        order, `limit + 1` of them so the caller can tell whether there is a next page."""
        if after is not None:
            self.where(
                f"({prefix}created_at, {prefix}id) > ({self.param(after[0])}, {self.param(after[1])})"
            )
        return (
            f"{select} WHERE {' AND '.join(self.clauses)} "
            f"ORDER BY {prefix}created_at, {prefix}id LIMIT {self.param(limit + 1)}"
        )
