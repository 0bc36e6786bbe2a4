"""escalation_stages: each escalation's stage history (addressee, opened, due, the response,
how the stage closed), one row per stage, numbered by `seq`."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import asyncpg

_COLUMNS = """escalation_id, seq, stage, addressee_role, opened_on, due_date,
overdue_detected_on, responder, response, responded_on, closed_on, closed_by,
escalate_reason, escalate_note"""
COLUMNS = tuple(c.strip() for c in _COLUMNS.split(","))


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


# The changes of a step's stages, run in the step's statement (`escalations._update`): $1
# the tenant, $2 the escalation, $3 and $4 who takes the step, $6 its date, $7 the current
# stage's seq; the step's own values from $8.
_CURRENT = "WHERE tenant = $1 AND escalation_id = $2 AND seq = $7"

RESPOND = f"""
UPDATE escalation_stages SET responder = $8, response = $9, responded_on = $6,
    response_recorded_at = now(), response_recorded_by_client = $3,
    response_recorded_by_actor = $4
{_CURRENT}
"""

CLOSE_ESCALATED = f"""
UPDATE escalation_stages SET closed_on = $6, closed_by = 'ESCALATED', escalate_reason = $8,
    escalate_note = $9
{_CURRENT}
"""

# The next stage ($10 the stage, $11 its addressee, $12 its due date), numbered after the
# current one.
OPEN_NEXT = """
INSERT INTO escalation_stages (escalation_id, seq, tenant, stage, addressee_role, opened_on,
    due_date, opened_by_client, opened_by_actor)
VALUES ($2, $7 + 1, $1, $10, $11, $6, $12, $3, $4)
"""


def _close(closed_by: str) -> str:
    return f"UPDATE escalation_stages SET closed_on = $6, closed_by = '{closed_by}' {_CURRENT}"


CLOSE_RESOLVED = _close("RESOLVED")
CLOSE_WITHDRAWN = _close("WITHDRAWN")


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
