"""escalation_stages: each escalation's stage history (addressee, opened, due, the response,
how the stage closed), one row per stage, numbered by `seq`."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from qaf_shared.rows import RowShape

_COLUMNS = """escalation_id, seq, stage, addressee_role, opened_on, due_date,
overdue_detected_on, responder, response, responded_on, closed_on, closed_by,
escalate_reason, escalate_note"""
COLUMNS = tuple(c.strip() for c in _COLUMNS.split(","))


@dataclass(slots=True, kw_only=True)
class NewStage:
    """A new stage: the columns the application sets, in the order of their parameters (who
    opened it among them, so that each of a create's parameters is used once)."""

    escalation_id: uuid.UUID
    seq: int
    tenant: str
    stage: str
    addressee_role: str
    opened_on: date
    due_date: date
    opened_by_client: str
    opened_by_actor: str


NEW = RowShape("escalation_stages", NewStage, columns=COLUMNS)
_INSERT = NEW.insert()


async def insert(conn: asyncpg.Connection, new: NewStage) -> None:
    await conn.execute(_INSERT, *NEW.args(new))


async def of_escalations(
    conn: asyncpg.Connection, tenant: str, escalation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    """The stage history of each escalation, oldest first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM escalation_stages "
        "WHERE tenant = $1 AND escalation_id = ANY($2::uuid[]) ORDER BY escalation_id, seq",
        tenant,
        list(escalation_ids),
    )
    by_escalation: dict[uuid.UUID, list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        by_escalation[row["escalation_id"]].append(row)
    return by_escalation


# The current stage of an escalation: $1 to $3 name it; each change's own values follow.
_CURRENT = "WHERE tenant = $1 AND escalation_id = $2 AND seq = $3"

_RESPOND = f"""
UPDATE escalation_stages SET responder = $4, response = $5, responded_on = $6,
    response_recorded_at = now(), response_recorded_by_client = $7,
    response_recorded_by_actor = $8
{_CURRENT}
"""

_CLOSE = f"""
UPDATE escalation_stages SET closed_on = $4, closed_by = $5, escalate_reason = $6,
    escalate_note = $7
{_CURRENT}
"""


async def _change_current(
    conn: asyncpg.Connection, sql: str, current: asyncpg.Record, *values: object
) -> None:
    await conn.execute(sql, current["tenant"], current["id"], current["stage_seq"], *values)


async def record_response(
    conn: asyncpg.Connection,
    current: asyncpg.Record,
    *,
    responder: str,
    response: str,
    responded_on: date,
    client: str,
    actor: str,
) -> None:
    """The response to the current stage of the escalation `current`."""
    await _change_current(conn, _RESPOND, current, responder, response, responded_on, client, actor)


async def close(
    conn: asyncpg.Connection,
    current: asyncpg.Record,
    *,
    closed_on: date,
    closed_by: str,
    reason: str | None = None,
    note: str | None = None,
) -> None:
    """Close the current stage of the escalation `current`."""
    await _change_current(conn, _CLOSE, current, closed_on, closed_by, reason, note)


_ANNOUNCE = """
UPDATE escalation_stages s SET overdue_announced_at = now(), overdue_detected_on = $3
FROM unnest($1::uuid[], $2::int[]) AS claimed (escalation_id, seq)
WHERE s.escalation_id = claimed.escalation_id AND s.seq = claimed.seq
"""


async def mark_overdue_announced(
    conn: asyncpg.Connection, escalations: Sequence[asyncpg.Record], detected_on: date
) -> None:
    """Mark the current stage of each escalation announced overdue as of `detected_on`."""
    await conn.execute(
        _ANNOUNCE,
        [r["id"] for r in escalations],
        [r["stage_seq"] for r in escalations],
        detected_on,
    )
