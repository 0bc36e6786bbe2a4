"""A table's row, described once: the columns an INSERT writes (in the order of its
parameters, $1, $2, ...), the columns a read answers, and what the table fills in itself. From
the one description come the INSERT, its arguments in placeholder order and the row a read
would give back once it is written, so that they cannot drift apart (a column added to one and
not the others, a placeholder out of order) and a create can answer without reading back.

A new row's values come either as a dataclass (its fields, in order, are the written columns:
typed, and read by one C-level getter) or as a mapping (the written columns are named; values
are looked up by name, so a missing one is a KeyError rather than a silent NULL)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter, itemgetter
from typing import Any, Generic, TypeVar, overload

import uuid_utils.compat

Values = TypeVar("Values")

# Who wrote a row, as parameters after the row's own values: its creator, and (where a row
# changes) its last writer. See `RowShape(who=...)`.
CREATED_BY = {"created_by_client": "client", "created_by_actor": "actor"}
WRITTEN_BY = {**CREATED_BY, "updated_by_client": "client", "updated_by_actor": "actor"}
_WHO = ("client", "actor")


@dataclasses.dataclass(slots=True, kw_only=True)
class NewCaseRecord:
    """What a new case-level record's row begins with, in the order of their parameters (the
    columns of `qaf_shared.migrations.CASE_RECORD_COLUMNS_V1`): its id (a new one unless
    given), tenant, the child's case and the org unit it is stored with. A table's new row
    extends it with its own columns. The id is a standard `uuid.UUID` as `uuid_utils` makes
    it (random from a user-space CSPRNG: half the standard library's `uuid4`, whose
    `os.urandom` is a system call per create)."""

    id: uuid.UUID = dataclasses.field(default_factory=uuid_utils.compat.uuid4)
    tenant: str
    case_ref: str
    area: str | None
    district: str | None
    team: str | None
    service: str | None


class RowShape(Generic[Values]):
    """`table`'s row.

    `written` are the columns a new row's values give, in parameter order: a dataclass (its
    fields) or their names. `columns` are what a read answers, in order (`select`, `row`).
    `constants` are columns every new row takes the same value for (code's own values, written
    into the SQL); `copies` columns that take another written column's value (`updated_at` its
    `created_at`); `who` columns of the acting client and actor, two more parameters after the
    values; `defaults` what the table gives the read columns the INSERT leaves alone (NULL
    otherwise)."""

    @overload
    def __init__(
        self: RowShape[Mapping[str, Any]],
        table: str,
        written: Sequence[str],
        *,
        columns: Sequence[str] = (),
        constants: Mapping[str, str | int] | None = None,
        copies: Mapping[str, str] | None = None,
        who: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        table: str,
        written: type[Values],
        *,
        columns: Sequence[str] = (),
        constants: Mapping[str, str | int] | None = None,
        copies: Mapping[str, str] | None = None,
        who: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> None: ...

    def __init__(
        self,
        table: str,
        written: type[Values] | Sequence[str],
        *,
        columns: Sequence[str] = (),
        constants: Mapping[str, str | int] | None = None,
        copies: Mapping[str, str] | None = None,
        who: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(written, type):
            assert dataclasses.is_dataclass(written)
            self.written = tuple(f.name for f in dataclasses.fields(written))
            getter: Callable[..., Any] = attrgetter
        else:
            self.written = tuple(written)
            getter = itemgetter
        self.table = table
        self.columns = tuple(columns)
        self.select = ", ".join(self.columns)
        constants = dict(constants or {})
        copies = dict(copies or {})
        who = dict(who or {})
        assert set(who.values()) <= set(_WHO), who
        # Each parameter's name, then what the INSERT writes into each column (a placeholder
        # or a literal), in the INSERT's order.
        params = (*self.written, *(_WHO if who else ()))
        self._sql_of = {name: f"${i}" for i, name in enumerate(params, 1)}
        self._sql_of.update({c: _literal(v) for c, v in constants.items()})
        sources = {**{c: c for c in self.written}, **copies, **who}
        self._sql_of.update({c: self._sql_of[s] for c, s in sources.items() if c != s})
        self._inserted = (*self.written, *constants, *copies, *who)
        self._inserts: dict[tuple[str, int], str] = {}
        self._values = _tuple_getter(getter, self.written)
        # The row a read gives: every column in order with what the table fills in (constants
        # and defaults, NULL otherwise), then those the values give, overwritten per row.
        assert not set(self.columns) & set(who), "who wrote a row is not part of `row`"
        fixed = {**constants, **{c: constants[s] for c, s in copies.items() if s in constants}}
        self._unset: dict[str, Any] = {
            c: fixed[c] if c in fixed else (defaults or {}).get(c) for c in self.columns
        }
        from_values = [c for c in self.columns if c in sources and c not in {**fixed, **who}]
        self._read = tuple(from_values)
        self._read_values = _tuple_getter(getter, [sources[c] for c in from_values])

    def insert(self, suffix: str = "", *, first: int = 1) -> str:
        """The INSERT of one new row; `suffix` adds ON CONFLICT and RETURNING. Its parameters
        are numbered from `$first`: its place among several statements run over one argument
        list (`together`). Made once for each suffix and first parameter."""
        sql = self._inserts.get((suffix, first))
        if sql is None:
            offset = first - 1
            values = ", ".join(_shift(self._sql_of[c], offset) for c in self._inserted)
            sql = f"INSERT INTO {self.table} ({', '.join(self._inserted)}) VALUES ({values})"
            if suffix:
                sql += "\n" + suffix.strip()
            self._inserts[suffix, first] = sql
        return sql

    def sql_of(self, name: str) -> str:
        """What the INSERT writes into column `name` (a placeholder or a literal), for other
        statements run with the same arguments (a change-log entry beside the row)."""
        return self._sql_of[name]

    def args(self, values: Values, *who: str | None) -> tuple[Any, ...]:
        """The INSERT's arguments, in the order of its placeholders: the written columns'
        values, then (when the row records who wrote it) the acting client and actor."""
        return (*self._values(values), *who)

    def row(self, values: Values, **fresh: Any) -> dict[str, Any]:
        """The row as a read of `columns` gives it once the INSERT has written it; `fresh`
        gives values made anew for each row (an empty list a caller may change)."""
        row = {**self._unset, **fresh}
        row.update(zip(self._read, self._read_values(values), strict=True))
        return row


def together(
    rows: Iterable[tuple[RowShape[Any], Sequence[Any]]],
) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """Several rows' INSERTs (each shape with its arguments) over one argument list, as a
    create's single statement runs them (`qaf_shared.http.idempotency.Creation`): the first
    row's parameters are $1.., the next row's follow on."""
    statements: list[str] = []
    args: list[Any] = []
    for shape, shape_args in rows:
        statements.append(shape.insert(first=len(args) + 1))
        args.extend(shape_args)
    return tuple(statements), tuple(args)


def _tuple_getter(
    getter: Callable[..., Any], names: Sequence[str]
) -> Callable[[Any], tuple[Any, ...]]:
    """One getter of `names`, answering a tuple whatever their number (a one-name getter
    answers the bare value)."""
    if len(names) == 1:
        one = getter(names[0])
        return lambda values: (one(values),)
    if not names:
        return lambda values: ()
    many: Callable[[Any], tuple[Any, ...]] = getter(*names)
    return many


def _shift(sql: str, offset: int) -> str:
    """A placeholder renumbered by `offset` (a literal as it is)."""
    if offset and sql.startswith("$"):
        return f"${int(sql[1:]) + offset}"
    return sql


def _literal(value: str | int) -> str:
    """A constant of the code's own as SQL (never a request's value)."""
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"
