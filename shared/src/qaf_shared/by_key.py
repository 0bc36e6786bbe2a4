"""A table's read of one row by its key, the tenant first (a row of another tenant is no row),
made once: the read and its locking form (`for_update`, a change's first read in the
caller's transaction: `qaf_shared.http.locking.locked_for_change`). Every write service reads
its records this way; a repository names only what it selects and by which key."""

from __future__ import annotations

from typing import Any

import asyncpg


class ByKey:
    """`select` (up to its WHERE) where each column of `key` equals its argument, in order
    (`tenant`, `id` unless given); `lock` is the locking clause (`FOR UPDATE OF x` where the
    read joins another table). Called as `get(conn, tenant, ident, for_update=...)`; `value`
    reads one column (a record's id by its natural key)."""

    def __init__(self, select: str, *key: str, lock: str = "FOR UPDATE") -> None:
        columns = key or ("tenant", "id")
        where = " AND ".join(f"{column} = ${i}" for i, column in enumerate(columns, 1))
        self.sql = f"{select} WHERE {where}"
        self.locking_sql = f"{self.sql} {lock}"

    async def __call__(
        self, conn: asyncpg.Connection, *key: Any, for_update: bool = False
    ) -> asyncpg.Record | None:
        """The row of that key, or None; locked for the caller's transaction if asked."""
        row: asyncpg.Record | None = await conn.fetchrow(
            self.locking_sql if for_update else self.sql, *key
        )
        return row

    async def value(self, conn: asyncpg.Connection, *key: Any) -> Any:
        """The first column selected of the row of that key (its id, say), or None."""
        return await conn.fetchval(self.sql, *key)
