"""A new row described once: the INSERT's columns and placeholders, its arguments and the
row it writes all follow the description's fields, in order."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from audit_service.repository import audits as audit_rows
from audit_service.repository.inserts import CREATED_BY, Insert
from qaf_shared.http.auth import Principal

PRINCIPAL = Principal(client="client-1", tenant="886", scopes=frozenset())


@dataclass(slots=True, kw_only=True)
class NewThing:
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    tenant: str
    name: str
    raised_on: date


def _columns_and_values(sql: str) -> dict[str, str]:
    """Each column of a one-row INSERT with what the statement writes into it."""
    columns, values = re.search(r"\((.*?)\)\s*VALUES \((.*?)\)", sql, re.S).groups()  # type: ignore[union-attr]
    return dict(
        zip(
            [c.strip() for c in columns.split(",")],
            [v.strip() for v in values.split(",")],
            strict=True,
        )
    )


def test_each_field_is_the_parameter_of_its_own_column_in_field_order() -> None:
    insert = Insert(
        "things",
        NewThing,
        constants={"status": "OPEN", "version": 1},
        copies={"changed_on": "raised_on"},
        who=CREATED_BY,
        returning="id",
    )
    assert _columns_and_values(insert.sql) == {
        "id": "$1",
        "tenant": "$2",
        "name": "$3",
        "raised_on": "$4",
        "status": "'OPEN'",
        "version": "1",
        "changed_on": "$4",
        "created_by_client": "$5",
        "created_by_actor": "$6",
    }
    assert insert.sql.endswith("RETURNING id")
    thing = NewThing(tenant="886", name="n", raised_on=date(2026, 4, 1))
    assert insert.args(thing, PRINCIPAL, "x.y") == (
        thing.id,
        "886",
        "n",
        date(2026, 4, 1),
        "client-1",
        "x.y",
    )
    assert insert.written(thing) == {
        "id": thing.id,
        "tenant": "886",
        "name": "n",
        "raised_on": date(2026, 4, 1),
        "status": "OPEN",
        "version": 1,
        "changed_on": date(2026, 4, 1),
    }


def test_each_new_row_has_its_own_id() -> None:
    one, two = (NewThing(tenant="886", name="n", raised_on=date(2026, 4, 1)) for _ in "12")
    assert one.id != two.id


def test_a_new_audits_row_is_what_its_insert_writes_with_the_columns_defaults() -> None:
    created_at = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    audit = audit_rows.NewAudit(
        tenant="886",
        case_ref="C-1",
        area="A",
        district="D",
        team="T",
        service=None,
        plan_type="CIN",
        auditor="a.b",
        due_date=date(2026, 5, 1),
        programme_id=None,
        kind=None,
        template_id="kent-case-file",
        template_version=1,
        created_at=created_at,
    )
    row = audit_rows.new_row(audit)
    assert set(row) == set(audit_rows.COLUMN_NAMES)
    written = _columns_and_values(audit_rows.INSERTS[0])
    args = audit_rows.insert_args(audit, principal=PRINCIPAL, actor="x.y")
    parameters = {c: args[int(v[1:]) - 1] for c, v in written.items() if v.startswith("$")}
    assert {c: row[c] for c in parameters if c in row} == {
        c: v for c, v in parameters.items() if c in row
    }
    # Every column the row answers from the arguments is one the INSERT writes from them.
    assert set(parameters) - set(row) == {
        "created_by_client",
        "created_by_actor",
        "updated_by_client",
        "updated_by_actor",
    }
    assert (row["status"], row["version"], written["status"], written["version"]) == (
        "SCHEDULED",
        1,
        "'SCHEDULED'",
        "1",
    )
    assert row["updated_at"] == row["created_at"] == created_at
    assert (row["answers"], row["peer_reviews"], row["submission_count"]) == ({}, [], 0)
    assert row["overall_grade"] is None
    # Each row its own containers: changing one audit's answers changes no other's.
    row["answers"]["q"] = 1
    assert audit_rows.new_row(audit)["answers"] == {}
    change_log = _columns_and_values(audit_rows.INSERTS[1])
    assert (change_log["tenant"], change_log["resource_id"], change_log["to_status"]) == (
        written["tenant"],
        written["id"],
        written["status"],
    )
    assert (change_log["client"], change_log["actor"]) == (
        written["created_by_client"],
        written["created_by_actor"],
    )
