"""A table's new row, described once. The description is a dataclass whose fields are
the columns the application sets, in the order of their parameters ($1, $2, ...); from it
come the INSERT (its columns and placeholders), the arguments in that order and the columns
of the row it writes, so that they cannot drift apart. The acting client and actor follow
the fields as two more parameters, into the columns that record who wrote the row."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from operator import attrgetter
from typing import Any, Generic, TypeVar

from qaf_shared.http.auth import Principal

Row = TypeVar("Row")

# Who wrote a row: its creator, and (where a row changes) its last writer.
CREATED_BY = {"created_by_client": "client", "created_by_actor": "actor"}
WRITTEN_BY = {**CREATED_BY, "updated_by_client": "client", "updated_by_actor": "actor"}


class Insert(Generic[Row]):
    """The INSERT of one new row of `table` described by `description`. `constants` are
    columns every new row takes the same value for (code's own values, written into the SQL);
    `copies` columns that take another column's value (`updated_at` its `created_at`); `who`
    the columns of the acting client and actor."""

    def __init__(
        self,
        table: str,
        description: type[Row],
        *,
        constants: Mapping[str, str | int] | None = None,
        copies: Mapping[str, str] | None = None,
        who: Mapping[str, str] = WRITTEN_BY,
        returning: str | None = None,
    ) -> None:
        assert dataclasses.is_dataclass(description)
        self.columns = tuple(f.name for f in dataclasses.fields(description))
        # One getter for every field, in order: it answers a tuple.
        self._values = attrgetter(*self.columns)
        params = (*self.columns, "client", "actor")
        self._sql_of: dict[str, str] = {name: f"${i}" for i, name in enumerate(params, 1)}
        self._sql_of.update({c: _literal(v) for c, v in (constants or {}).items()})
        self._sql_of.update({c: self._sql_of[s] for c, s in (copies or {}).items()})
        self._sql_of.update({c: self._sql_of[s] for c, s in who.items()})
        self._constants = dict(constants or {})
        self._copies = tuple((copies or {}).items())
        written = [*self.columns, *self._constants, *(c for c, _ in self._copies), *who]
        self.sql = (
            f"INSERT INTO {table} ({', '.join(written)})\n"
            f"VALUES ({', '.join(self._sql_of[c] for c in written)})"
            + (f"\nRETURNING {returning}" if returning else "")
        )

    def sql_of(self, name: str) -> str:
        """What the INSERT writes into column `name` (a placeholder or a literal), for other
        statements run with the same arguments (a change-log entry beside the row)."""
        return self._sql_of[name]

    def args(self, row: Row, principal: Principal, actor: str) -> tuple[Any, ...]:
        """The INSERT's arguments, in the order of its placeholders."""
        values: tuple[Any, ...] = self._values(row)
        return (*values, principal.client, actor)

    def written(self, row: Row, into: dict[str, Any] | None = None) -> dict[str, Any]:
        """The columns the INSERT writes (who wrote it aside), as reads give them; added to
        `into` (the row's other columns) when given, which saves a copy on the create path."""
        written = {} if into is None else into
        written.update(zip(self.columns, self._values(row), strict=True))
        written.update(self._constants)
        for column, source in self._copies:
            written[column] = written[source]
        return written


def _literal(value: str | int) -> str:
    """A constant of the code's own as SQL (never a request's value)."""
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"
