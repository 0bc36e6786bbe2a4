"""A new escalation described once (`qaf_shared.rows`): its rows' INSERTs number their parameters
in order over one list, and the rows a create answers are what they write."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

from escalation_service.repository import escalations, stages
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal


def _placeholders(sql: str) -> list[int]:
    return [int(n) for n in re.findall(r"\$(\d+)", sql)]


def test_a_new_escalation_is_answered_as_it_is_written() -> None:
    new = escalations.NewEscalation(
        id=uuid.uuid4(),
        case_ref="CASE-1",
        unit=OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1", service=None),
        plan_type="CIC",
        raised_by="iro-7",
        raised_by_role="IRO",
        categories=["DRIFT_DELAY"],
        summary="s",
        desired_outcome=None,
        raised_on=date(2026, 6, 1),
        bypass_reason=None,
        stage="INFORMAL",
        addressee_role="SOCIAL_WORKER_OR_TEAM_MANAGER",
        stage_due_date=date(2026, 6, 8),
        formal_started_on=None,
        formal_deadline=None,
    )
    at = datetime(2026, 6, 1, 9, tzinfo=UTC)
    made = escalations.insertion(
        principal=Principal(tenant="886", client="c", scopes=frozenset()),
        actor="staff-1",
        new=new,
        created_at=at,
    )
    numbers = [n for s in made.statements for n in _placeholders(s)]
    assert numbers == list(range(1, len(made.args) + 1))
    assert set(made.row) == set(escalations.COLUMNS)
    assert (made.row["id"], made.row["tenant"], made.row["status"]) == (
        new.id,
        "886",
        "AWAITING_RESPONSE",
    )
    assert (made.row["stage_seq"], made.row["version"], made.row["created_at"]) == (1, 1, at)
    assert made.row["outcome"] is None and made.row["stage_overdue_announced_at"] is None
    [first] = made.stages
    assert set(first) == set(stages.COLUMNS)
    assert (first["seq"], first["stage"], first["opened_on"], first["due_date"]) == (
        1,
        "INFORMAL",
        date(2026, 6, 1),
        date(2026, 6, 8),
    )
