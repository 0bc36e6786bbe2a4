"""A row to insert, described once by its columns' values: its INSERT, that INSERT's
arguments and the row a read would give back all come from the one description, so they
cannot drift apart (a column added to one and not the others, a placeholder out of order)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NewRow:
    """`values` maps each column the INSERT sets to its value, in the INSERT's order."""

    table: str
    values: Mapping[str, Any]

    def insert_sql(self, first: int = 1) -> str:
        """The INSERT, its parameters numbered from `$first` in column order."""
        return _insert_sql(self.table, tuple(self.values), first)

    @property
    def args(self) -> tuple[Any, ...]:
        return tuple(self.values.values())

    def as_read(self, columns: Sequence[str]) -> dict[str, Any]:
        """The row as a read of `columns` gives it once inserted: what the INSERT sets, and
        NULL for the rest (no column a read returns has another default)."""
        return {c: self.values.get(c) for c in columns}


@functools.cache
def _insert_sql(table: str, columns: tuple[str, ...], first: int) -> str:
    placeholders = ", ".join(f"${first + i}" for i in range(len(columns)))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"


def together(rows: Sequence[NewRow]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """Several rows' INSERTs over one argument list, as a create's single statement runs
    them (`qaf_shared.http.idempotency.Creation`): the first row's columns are $1.., the
    next row's follow on."""
    statements: list[str] = []
    args: list[Any] = []
    for row in rows:
        statements.append(row.insert_sql(first=len(args) + 1))
        args.extend(row.args)
    return tuple(statements), tuple(args)
