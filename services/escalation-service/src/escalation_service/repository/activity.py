"""escalation_activity: who did what, append-only (each write's action, business date,
client and actor)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import asyncpg

from qaf_shared.rows import RowShape


@dataclass(slots=True, kw_only=True)
class NewActivity:
    """A new entry: its columns, in the order of their parameters."""

    escalation_id: uuid.UUID
    tenant: str
    action: str
    stage: str
    on_date: date
    client: str
    actor: str


NEW = RowShape("escalation_activity", NewActivity)
_INSERT = NEW.insert()

# A step's entry, in the step's own statement (`escalations._update`): of the escalation as
# the data-modifying CTE `changed` leaves it ($5 the action, $6 its business date, $3 and $4
# who took it).
OF_CHANGED = """
INSERT INTO escalation_activity (escalation_id, tenant, action, stage, on_date, client, actor)
SELECT id, tenant, $5, stage, $6, $3, $4 FROM changed
"""


async def add(
    conn: asyncpg.Connection,
    *,
    row: asyncpg.Record,
    action: str,
    on_date: date,
    client: str,
    actor: str,
) -> None:
    """The activity of a write on the escalation `row` (as it stands after the write)."""
    new = NewActivity(
        escalation_id=row["id"],
        tenant=row["tenant"],
        action=action,
        stage=row["stage"],
        on_date=on_date,
        client=client,
        actor=actor,
    )
    await conn.execute(_INSERT, *NEW.args(new))
