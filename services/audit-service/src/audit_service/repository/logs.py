"""The append-only change log: who changed what (reads go to the access log through
qaf_shared.http.access_log), and who did a record's earlier steps."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Generic, TypeVar

import asyncpg

from qaf_shared.authors import Author
from qaf_shared.rows import RowShape

New = TypeVar("New")

_CHANGE = """
INSERT INTO change_log (tenant, client, actor, resource_type, resource_id, change,
    from_status, to_status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""


async def record_new(
    conn: asyncpg.Connection, who: Author, resource_type: str, row: asyncpg.Record, change: str
) -> None:
    """The change log's entry for a record just written (`row`, as its INSERT answered it):
    `change` (raised, created), to its status where it has one."""
    await _record(conn, who, resource_type, row["id"], change, None, row.get("status"))


class LoggedInsert(Generic[New]):
    """A record's INSERT (`shape`'s, answering `columns`) and the change log's entry for it
    (`change` of `resource_type`), called as `insert(conn, who, new)` in the caller's
    transaction; it answers the row as reads give it."""

    def __init__(
        self, shape: RowShape[New], columns: str, *, resource_type: str, change: str
    ) -> None:
        self.shape = shape
        self.sql = shape.insert(f"RETURNING {columns}")
        self.resource_type = resource_type
        self.change = change

    async def __call__(self, conn: asyncpg.Connection, who: Author, new: New) -> asyncpg.Record:
        args = self.shape.args(new, who.principal.client, who.actor)
        row: asyncpg.Record = await conn.fetchrow(self.sql, *args)
        await record_new(conn, who, self.resource_type, row, self.change)
        return row


async def record_step(
    conn: asyncpg.Connection,
    who: Author,
    resource_type: str,
    before: asyncpg.Record,
    after: asyncpg.Record,
    change: str,
) -> None:
    """The change log's entry for a step that moved a record from the status it had
    (`before`, as it stood locked) to the one the step left it in (`after`)."""
    await _record(conn, who, resource_type, after["id"], change, before["status"], after["status"])


async def _record(
    conn: asyncpg.Connection,
    who: Author,
    resource_type: str,
    resource_id: uuid.UUID,
    change: str,
    from_status: str | None,
    to_status: str | None,
) -> None:
    """One entry, its values in `_CHANGE`'s order."""
    await conn.execute(
        _CHANGE,
        who.principal.tenant,
        who.principal.client,
        who.actor,
        resource_type,
        resource_id,
        change,
        from_status,
        to_status,
    )


_ACTORS = """
SELECT change, array_agg(DISTINCT actor) AS actors FROM change_log
WHERE tenant = $1 AND resource_type = $2 AND resource_id = $3 AND change = ANY($4::text[])
GROUP BY change
"""


async def actors_of(
    conn: asyncpg.Connection,
    tenant: str,
    *,
    resource_type: str,
    resource_id: uuid.UUID,
    changes: Sequence[str],
) -> dict[str, set[str]]:
    """Everyone (`X-Actor`) who made each of these changes to the record, over its whole
    history: what separation of duties is checked against."""
    rows = await conn.fetch(_ACTORS, tenant, resource_type, resource_id, list(changes))
    found = {row["change"]: set(row["actors"]) for row in rows}
    return {change: found.get(change, set()) for change in changes}
