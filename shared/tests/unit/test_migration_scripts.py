"""`script_migration`: a version file's `upgrade` and `downgrade` run their DDL scripts, in
order, through `execute_script` with Alembic's `op`; and the shared column lists read, placed
in a CREATE TABLE, as the columns each line names."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import op

from qaf_shared import migrations
from qaf_shared.migrations import (
    CASE_RECORD_COLUMNS_V1,
    CHANGING_RECORD_COLUMNS_V1,
    UNIT_COLUMNS_V1,
    script_migration,
)


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, str]]:
    calls: list[tuple[Any, str]] = []
    monkeypatch.setattr(migrations, "execute_script", lambda on, sql: calls.append((on, sql)))
    return calls


def test_each_way_runs_its_scripts_in_order_with_alembics_op(ran: list[tuple[Any, str]]) -> None:
    upgrade, downgrade = script_migration(("CREATE A;", "CREATE B;"), ("DROP B;", "DROP A;"))
    upgrade()
    assert ran == [(op, "CREATE A;"), (op, "CREATE B;")]
    ran.clear()
    downgrade()
    assert ran == [(op, "DROP B;"), (op, "DROP A;")]


def test_one_script_each_way_is_run_whole(ran: list[tuple[Any, str]]) -> None:
    upgrade, downgrade = script_migration("CREATE A; CREATE B;", "DROP B; DROP A;")
    upgrade()
    downgrade()
    assert ran == [(op, "CREATE A; CREATE B;"), (op, "DROP B; DROP A;")]


def _columns(ddl: str) -> list[str]:
    return [line.strip().rstrip(",") for line in ddl.splitlines()]


def test_a_case_record_begins_with_its_id_tenant_case_and_unit() -> None:
    assert _columns(UNIT_COLUMNS_V1) == ["area text", "district text", "team text", "service text"]
    assert _columns(CASE_RECORD_COLUMNS_V1) == [
        "id uuid PRIMARY KEY",
        "tenant text NOT NULL",
        "case_ref text NOT NULL",
        *_columns(UNIT_COLUMNS_V1),
    ]
    assert CASE_RECORD_COLUMNS_V1.endswith(",") and UNIT_COLUMNS_V1.endswith(",")


def test_a_changing_record_ends_with_its_version_and_writers() -> None:
    assert _columns(CHANGING_RECORD_COLUMNS_V1) == [
        "version int NOT NULL",
        "created_at timestamptz NOT NULL DEFAULT now()",
        "updated_at timestamptz NOT NULL DEFAULT now()",
        "created_by_client text NOT NULL",
        "created_by_actor text NOT NULL",
        "updated_by_client text NOT NULL",
        "updated_by_actor text NOT NULL",
    ]
    # The last columns of a table: whatever follows adds its own comma.
    assert not CHANGING_RECORD_COLUMNS_V1.endswith(",")
