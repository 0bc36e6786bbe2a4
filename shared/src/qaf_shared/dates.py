"""The checks every business date a request carries gets, free of I/O: it has happened, and
it is not before what it follows (so a record's dates run forward)."""

from __future__ import annotations

from datetime import date

from qaf_shared.rules import FieldError, RuleBroken

# Business dates before this are taken for typing mistakes; the floor also keeps date
# arithmetic (working days, holiday tables) well inside what `date` and the tables hold.
EARLIEST_DATE = date(2000, 1, 1)


def date_error(day: date, *, today: date, not_before: date | None = None) -> str | None:
    """Why `day` cannot be right (in the future, or before `not_before`); None when it can."""
    if day > today:
        return "cannot be in the future"
    if not_before is not None and day < not_before:
        return f"cannot be before {not_before.isoformat()}"
    return None


def check_date(field: str, day: date, *, today: date, not_before: date | None = None) -> None:
    """Raise `RuleBroken` naming `field` when `day` is in the future or before `not_before`."""
    message = date_error(day, today=today, not_before=not_before)
    if message is not None:
        raise RuleBroken(field, message)


def date_errors(
    field: str, day: date, *, today: date, not_before: date | None = None
) -> list[FieldError]:
    """The same check for rules that gather every error before refusing: none, or `field`'s."""
    message = date_error(day, today=today, not_before=not_before)
    return [] if message is None else [FieldError(field, message)]
