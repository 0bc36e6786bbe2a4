"""A new audit described once (`qaf_shared.rows`): the row a create answers is what its INSERT
writes from the same arguments, with the columns' defaults, and its change-log entry shares
them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from audit_service.repository import audits as audit_rows
from qaf_shared.http.auth import Principal

PRINCIPAL = Principal(client="client-1", tenant="886", scopes=frozenset())


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
