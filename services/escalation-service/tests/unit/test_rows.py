"""A new row described once (repository/rows.py): its INSERT, its arguments and the row a read
gives back agree, and a create's INSERTs number their parameters in order over one list."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

from escalation_service.repository import escalations, stages
from escalation_service.repository.rows import NewRow, together
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal


def _placeholders(sql: str) -> list[int]:
    return [int(n) for n in re.findall(r"\$(\d+)", sql)]


def test_an_insert_names_each_column_once_with_its_own_placeholder_in_order() -> None:
    row = NewRow("t", {"a": 1, "b": None, "c": "x"})
    assert row.insert_sql() == "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"
    assert row.insert_sql(first=5) == "INSERT INTO t (a, b, c) VALUES ($5, $6, $7)"
    assert row.args == (1, None, "x")


def test_the_row_as_read_has_what_was_inserted_and_null_for_the_rest() -> None:
    row = NewRow("t", {"a": 1, "hidden": 2})
    assert row.as_read(["a", "z"]) == {"a": 1, "z": None}


def test_rows_together_number_their_parameters_on_from_one_list() -> None:
    statements, args = together([NewRow("t", {"a": 1, "b": 2}), NewRow("u", {"c": 3})])
    assert [_placeholders(s) for s in statements] == [[1, 2], [3]]
    assert args == (1, 2, 3)


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
