"""One description of a table's row, from which its INSERT, the INSERT's arguments and the
columns a read answers are all made, so that no list of columns is written twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RowShape:
    """`table`'s row: `columns` are what a read answers (in order); `written` are what an
    insert sets, in its parameters' order ($1..$n)."""

    table: str
    columns: tuple[str, ...]
    written: tuple[str, ...]

    @property
    def select(self) -> str:
        """The column list of a read."""
        return ", ".join(self.columns)

    def insert(self, suffix: str = "") -> str:
        """The INSERT of one row over `written`; `suffix` adds ON CONFLICT and RETURNING."""
        params = ", ".join(f"${i}" for i in range(1, len(self.written) + 1))
        return (
            f"INSERT INTO {self.table} ({', '.join(self.written)})\nVALUES ({params})\n{suffix}"
        ).strip() + "\n"

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The insert's arguments: every written column's value, by name."""
        return tuple(values[column] for column in self.written)
