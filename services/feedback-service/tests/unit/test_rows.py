"""A table's row described once (repository/rows.py): its INSERT, the INSERT's arguments and
the row a read answers all follow the one description."""

from __future__ import annotations

import pytest

from feedback_service.repository.rows import RowShape

SHAPE = RowShape("things", columns=("id", "name", "created_at"), written=("tenant", "id", "name"))


def test_the_insert_sets_the_written_columns_in_parameter_order() -> None:
    sql = SHAPE.insert("RETURNING id")
    assert sql == "INSERT INTO things (tenant, id, name)\nVALUES ($1, $2, $3)\nRETURNING id\n"


def test_the_arguments_follow_the_written_columns_whatever_order_the_values_come_in() -> None:
    values = {"name": "n", "created_at": "t", "id": 7, "tenant": "886"}
    assert SHAPE.args(values) == ("886", 7, "n")


def test_a_written_column_without_a_value_is_refused_rather_than_stored_as_null() -> None:
    with pytest.raises(KeyError):
        SHAPE.args({"tenant": "886", "id": 7})


def test_a_read_answers_the_described_columns() -> None:
    assert SHAPE.select == "id, name, created_at"
