"""A table's row described once (qaf_shared/rows.py): its INSERT (columns and placeholders),
the INSERT's arguments and the row a read gives back all follow the one description, in order,
and a create's INSERTs number their parameters in order over one list."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from qaf_shared.http.auth import Principal
from qaf_shared.rows import CREATED_BY, NewCaseRecord, RowShape, together

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


def _placeholders(sql: str) -> list[int]:
    return [int(n) for n in re.findall(r"\$(\d+)", sql)]


# A new row as a dataclass: its fields are the written columns, in order.


def test_each_field_is_the_parameter_of_its_own_column_in_field_order() -> None:
    shape = RowShape(
        "things",
        NewThing,
        columns=("id", "tenant", "name", "raised_on", "status", "version", "changed_on"),
        constants={"status": "OPEN", "version": 1},
        copies={"changed_on": "raised_on"},
        who=CREATED_BY,
    )
    sql = shape.insert("RETURNING id")
    assert _columns_and_values(sql) == {
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
    assert sql.endswith("RETURNING id")
    thing = NewThing(tenant="886", name="n", raised_on=date(2026, 4, 1))
    assert shape.args(thing, PRINCIPAL.client, "x.y") == (
        thing.id,
        "886",
        "n",
        date(2026, 4, 1),
        "client-1",
        "x.y",
    )
    assert shape.row(thing) == {
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


# A new row as a mapping: the written columns are named, their values looked up by name.


def test_an_insert_names_each_column_once_with_its_own_placeholder_in_order() -> None:
    row = RowShape("t", ("a", "b", "c"))
    assert row.insert() == "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"
    assert row.insert(first=5) == "INSERT INTO t (a, b, c) VALUES ($5, $6, $7)"
    assert row.args({"a": 1, "b": None, "c": "x"}) == (1, None, "x")


def test_the_row_as_read_has_what_was_inserted_and_null_for_the_rest() -> None:
    row = RowShape("t", ("a", "hidden"), columns=("a", "z"))
    assert row.row({"a": 1, "hidden": 2}) == {"a": 1, "z": None}


def test_rows_together_number_their_parameters_on_from_one_list() -> None:
    t, u = RowShape("t", ("a", "b")), RowShape("u", ("c",))
    statements, args = together([(t, t.args({"a": 1, "b": 2})), (u, u.args({"c": 3}))])
    assert [_placeholders(s) for s in statements] == [[1, 2], [3]]
    assert args == (1, 2, 3)


SHAPE = RowShape("things", columns=("id", "name", "created_at"), written=("tenant", "id", "name"))


def test_the_insert_sets_the_written_columns_in_parameter_order() -> None:
    sql = SHAPE.insert("RETURNING id")
    assert sql == "INSERT INTO things (tenant, id, name) VALUES ($1, $2, $3)\nRETURNING id"


def test_the_arguments_follow_the_written_columns_whatever_order_the_values_come_in() -> None:
    values = {"name": "n", "created_at": "t", "id": 7, "tenant": "886"}
    assert SHAPE.args(values) == ("886", 7, "n")


def test_a_written_column_without_a_value_is_refused_rather_than_stored_as_null() -> None:
    with pytest.raises(KeyError):
        SHAPE.args({"tenant": "886", "id": 7})


def test_a_read_answers_the_described_columns() -> None:
    assert SHAPE.select == "id, name, created_at"


def test_a_column_copying_a_constant_takes_the_constant_in_the_insert_and_the_row() -> None:
    shape = RowShape(
        "t", ("a",), columns=("a", "s", "t"), constants={"s": "NEW"}, copies={"t": "s"}
    )
    assert _columns_and_values(shape.insert()) == {"a": "$1", "s": "'NEW'", "t": "'NEW'"}
    assert shape.row({"a": 1}) == {"a": 1, "s": "NEW", "t": "NEW"}


@dataclass(slots=True, kw_only=True)
class NewCaseThing(NewCaseRecord):
    raised_on: date


def test_a_case_records_new_row_begins_with_its_id_tenant_case_and_unit_columns() -> None:
    shape = RowShape("case_things", NewCaseThing)
    assert shape.written == (
        "id",
        "tenant",
        "case_ref",
        "area",
        "district",
        "team",
        "service",
        "raised_on",
    )
    values = ("886", "CASE-1", "SOUTH", "ASHFORD", "ASH-CP1", None)
    case: dict[str, Any] = dict(zip(shape.written[1:7], values, strict=True))
    one, two = (NewCaseThing(**case, raised_on=date(2026, 5, 1)) for _ in range(2))
    assert one.id != two.id
    assert shape.args(one)[1:] == (*values, date(2026, 5, 1))
