"""What every return reader yields (docs/activity.md, "Returns"): a reader takes a binary
stream and yields, in file order, a `ReadRecord` for each record the file holds or a
`ReadError` for a record the file itself makes unusable; a file that cannot be read at all
raises `Unreadable`, possibly after some items (a reader streams, so the loader applies
nothing until the reader has finished).

The readers check only what the file alone can tell: the shape of a date, a boolean or a
number, a missing required element, the same natural key twice. Codes and the order of
dates are the records' rules (domain/records.py), applied to what the readers yield.

Messages never hold a value from the file: locations are paths and row numbers, fields are
our names for the facts.

Progress: the readers do not count records ahead of time (that would read the file twice);
a loader shows the bytes read of the file's size, by wrapping the stream in `Counted`."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

from activity_service.domain.kinds import KEY_DATE, Kind


@dataclass(frozen=True, slots=True)
class ReadRecord:
    """One record as the file gives it: `facts` typed as in `kinds.FACTS`, holding every fact
    the format carries (None, or [] for a list, where the file leaves it empty, so a load can
    clear it) and no key for a fact the format lacks. `team_name` is a team as the file writes
    it (Annex A), for the tenant's team aliases to map."""

    location: str
    kind: Kind
    child_ref: str
    facts: dict[str, object]
    team_name: str | None = None


@dataclass(frozen=True, slots=True)
class ReadError:
    """A record the file makes unusable: where, which fact (our name), which rule."""

    location: str
    field: str | None
    rule: str
    message: str


class Unreadable(Exception):
    """The whole file cannot be read: the load is rejected and nothing changes."""

    def __init__(self, location: str, rule: str, message: str) -> None:
        super().__init__(f"{location}: {rule}: {message}")
        self.location = location
        self.rule = rule
        self.message = message


ReadItem = ReadRecord | ReadError


class FieldError(ValueError):
    """A value of the file that breaks `rule`; caught where its record's location is known."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message

    def at(self, location: str) -> ReadError:
        """The error of the record at `location`."""
        return ReadError(location, self.field, self.rule, self.message)


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_DMY = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


def parse_date(text: str | None, field: str, *, day_first: bool = False) -> date | None:
    """`YYYY-MM-DD` (and, with `day_first`, `DD/MM/YYYY`: the DfE's CSV files) or empty;
    anything else breaks `date_format`."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if _ISO.fullmatch(value):
            return date.fromisoformat(value)
        if day_first and (found := _DMY.fullmatch(value)):
            return date(int(found[3]), int(found[2]), int(found[1]))
    except ValueError:
        pass  # the shape is right but the day is not a day (31/02/2025): the same rule
    wanted = "YYYY-MM-DD or DD/MM/YYYY" if day_first else "YYYY-MM-DD"
    raise FieldError(field, "date_format", f"{field} is not a date written {wanted}")


def cell_date(value: object, field: str) -> date | None:
    """A spreadsheet cell as a date: a date cell, or text as `parse_date` with `day_first`."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise FieldError(field, "date_format", f"{field} is a time, not a date")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return parse_date(value, field, day_first=True)
    raise FieldError(field, "date_format", f"{field} is not a date")


_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def parse_bool(text: str | None, field: str) -> bool | None:
    """The CIN census's booleans: `true`/`false`/`1`/`0`, or empty."""
    if text is None or not text.strip():
        return None
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise FieldError(field, "boolean_format", f"{field} is not true, false, 1 or 0")


def parse_int(text: str | None, field: str) -> int | None:
    """A whole number of at most six digits, or empty."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if not re.fullmatch(r"\d{1,6}", value):
        raise FieldError(field, "integer_format", f"{field} is not a whole number")
    return int(value)


def required(value: object, field: str) -> None:
    """Refuse a record that lacks a fact the file must give it."""
    if value is None or value == "":
        raise FieldError(field, "required", f"{field} is missing")


def text(value: str | None) -> str | None:
    """A code or reference as written, trimmed; empty is None."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


@dataclass
class NaturalKeys:
    """The natural keys seen so far in one file, to refuse a second record with the same one.
    Kept as 16-byte digests: a file of 200,000 records holds about 20 MB here, whatever the
    length of its references."""

    _seen: set[bytes] = field(default_factory=set)

    def first(self, kind: Kind, child_ref: str, facts: dict[str, object]) -> bool:
        """True the first time this record's natural key is seen in the file."""
        key = [kind.value, child_ref, str(facts.get(KEY_DATE[kind]))]
        if kind is Kind.VISIT:
            key.append(str(facts.get("plan_type")))
        digest = hashlib.blake2b("\x1f".join(key).encode(), digest_size=16).digest()
        if digest in self._seen:
            return False
        self._seen.add(digest)
        return True


def read_record(
    keys: NaturalKeys,
    location: str,
    kind: Kind,
    child_ref: str,
    read: Callable[[], dict[str, object]],
) -> ReadItem:
    """The record whose facts `read` gives, `keyed`; or the error of the fact it refused."""
    try:
        facts = read()
    except FieldError as error:
        return error.at(location)
    return keyed(keys, ReadRecord(location, kind, child_ref, facts))


def keyed(keys: NaturalKeys, record: ReadRecord) -> ReadItem:
    """The record, or a `duplicate_key` error if the file already had its natural key (the
    first such record stands: a reader streams, so it cannot take the first one back)."""
    if keys.first(record.kind, record.child_ref, record.facts):
        return record
    return ReadError(
        record.location,
        KEY_DATE[record.kind],
        "duplicate_key",
        f"an earlier {record.kind.value} in this file has the same child and "
        f"{KEY_DATE[record.kind]}",
    )


class Counted(io.RawIOBase):
    """A binary stream that counts the bytes read through it: a load's progress is
    `bytes_read` of the file's size."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.bytes_read += size
        return size
