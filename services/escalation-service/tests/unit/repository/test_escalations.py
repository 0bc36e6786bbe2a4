"""A new escalation described once (`qaf_shared.rows`): its rows' INSERTs share one argument
list, every argument used, and the rows a create answers are what they write."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from escalation_service.repository import escalations, stages


def _placeholders(sql: str) -> set[int]:
    return {int(n) for n in re.findall(r"\$(\d+)", sql)}


def _new() -> escalations.NewEscalation:
    return escalations.NewEscalation(
        tenant="886",
        case_ref="CASE-1",
        area="SOUTH",
        district="ASHFORD",
        team="ASH-CP1",
        service=None,
        plan_type="CIC",
        raised_by="iro-7",
        raised_by_role="IRO",
        categories=["DRIFT_DELAY"],
        summary="s",
        desired_outcome=None,
        raised_on=date(2026, 6, 1),
        bypass_reason=None,
        stage="INFORMAL",
        stage_due_date=date(2026, 6, 8),
        formal_started_on=None,
        formal_deadline=None,
        created_at=datetime(2026, 6, 1, 9, tzinfo=UTC),
    )


def test_the_three_rows_take_every_argument_of_one_list() -> None:
    made = escalations.insertion(
        new=_new(), client="c", actor="staff-1", addressee_role="SOCIAL_WORKER_OR_TEAM_MANAGER"
    )
    used = set().union(*(_placeholders(s) for s in escalations.INSERTS))
    assert used == set(range(1, len(made.args) + 1))
    assert made.args[-1] == "SOCIAL_WORKER_OR_TEAM_MANAGER"


def test_a_new_escalation_is_answered_as_it_is_written() -> None:
    new = _new()
    made = escalations.insertion(
        new=new, client="c", actor="staff-1", addressee_role="SOCIAL_WORKER_OR_TEAM_MANAGER"
    )
    assert set(made.row) == set(escalations.COLUMNS)
    assert (made.row["id"], made.row["tenant"], made.row["status"]) == (
        new.id,
        "886",
        "AWAITING_RESPONSE",
    )
    assert (made.row["stage_seq"], made.row["version"]) == (1, 1)
    assert made.row["created_at"] == datetime(2026, 6, 1, 9, tzinfo=UTC)
    assert made.row["stage_opened_on"] == made.row["last_activity_on"] == date(2026, 6, 1)
    assert made.row["outcome"] is None and made.row["stage_overdue_announced_at"] is None
    [first] = made.stages
    assert set(first) == set(stages.COLUMNS)
    assert (first["escalation_id"], first["seq"], first["stage"]) == (new.id, 1, "INFORMAL")
    assert (first["opened_on"], first["due_date"]) == (date(2026, 6, 1), date(2026, 6, 8))
    assert first["addressee_role"] == "SOCIAL_WORKER_OR_TEAM_MANAGER"
    assert first["responded_on"] is None and first["closed_on"] is None
