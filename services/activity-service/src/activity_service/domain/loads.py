"""A return load as a job, free of I/O (docs/activity.md, The returns): its statuses, the
parts each kind of return is uploaded in, their media types and size limits, the collection
year, and the counts a load reports."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from activity_service.domain.kinds import Source
from activity_service.domain.returns.annex_a import LISTS


class Status(StrEnum):
    QUEUED = "QUEUED"
    VALIDATING = "VALIDATING"
    APPLYING = "APPLYING"
    APPLIED = "APPLIED"
    REJECTED = "REJECTED"


# A load in one of these has not finished: a worker runs it (again, if its process died).
UNFINISHED: Final = (Status.QUEUED, Status.VALIDATING, Status.APPLYING)

# The return kinds, by the name `kind` takes in the upload and in `source`.
RETURN_KINDS: Final = (Source.CIN_CENSUS, Source.SSDA903, Source.ANNEX_A)

MIB: Final = 1024 * 1024
# A stored file's chunks: big enough that a 256 MiB census is a few hundred rows, small
# enough that a reader holds one at a time.
CHUNK_BYTES: Final = MIB
CIN_CENSUS_LIMIT: Final = 256 * MIB
OTHER_LIMIT: Final = 64 * MIB

ANNEX_A_LISTS: Final = tuple(f"list_{n}" for n in LISTS)
PARTS: Final[dict[Source, frozenset[str]]] = {
    Source.CIN_CENSUS: frozenset({"file"}),
    Source.SSDA903: frozenset({"header", "episodes", "reviews"}),
    Source.ANNEX_A: frozenset({"file", *ANNEX_A_LISTS}),
}
FILE_PARTS: Final = frozenset().union(*PARTS.values())
# The form's other fields, and how long each may be.
FIELDS: Final = frozenset({"kind", "year"})
MAX_FIELD_BYTES: Final = 64

_ANY: Final = frozenset({"application/octet-stream"})  # what browsers and curl send for files
XML_TYPES: Final = frozenset({"application/xml", "text/xml"}) | _ANY
CSV_TYPES: Final = frozenset({"text/csv", "application/csv"}) | _ANY
XLSX_TYPES: Final = (
    frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}) | _ANY
)


def size_limit(kind: Source | None, part: str) -> int:
    """The most bytes `part` may hold: 256 MiB for a CIN census file, 64 MiB for any other
    (a `file` uploaded before the form has said its kind may be a census: 256 MiB until the
    kind is known)."""
    if part == "file" and kind in (Source.CIN_CENSUS, None):
        return CIN_CENSUS_LIMIT
    return OTHER_LIMIT


def media_types(kind: Source | None, part: str) -> frozenset[str]:
    """The media types `part` may be sent as (any kind's, before the kind is known)."""
    if part != "file":
        return CSV_TYPES
    if kind is Source.CIN_CENSUS:
        return XML_TYPES
    if kind is Source.ANNEX_A:
        return XLSX_TYPES
    return XML_TYPES | XLSX_TYPES


def read_kind(value: str) -> Source | None:
    """The return kind `value` names; None for anything else (REST is no return)."""
    return next((k for k in RETURN_KINDS if k.value == value), None)


_YEAR = re.compile(r"FY(20\d\d)")


def read_year(value: str) -> int | None:
    """`FY2025` (the collection year from April 2025 to March 2026) as 2025; None if it is
    not of that form."""
    found = _YEAR.fullmatch(value.strip())
    return int(found[1]) if found else None


def year_name(year: int) -> str:
    return f"FY{year}"


def parts_problem(kind: Source, parts: Collection[str]) -> str | None:
    """What is wrong with the files uploaded for a return of `kind`; None when they fit."""
    given = set(parts)
    other = sorted(given - PARTS[kind])
    if other:
        return f"a {kind.value} return has no part {other[0]!r}"
    if kind is Source.CIN_CENSUS and "file" not in given:
        return "a CIN_CENSUS return is uploaded as `file`"
    if kind is Source.SSDA903 and not given & {"episodes", "reviews"}:
        return "an SSDA903 return needs `episodes`, `reviews` or both (and may add `header`)"
    if kind is Source.ANNEX_A:
        lists = given & set(ANNEX_A_LISTS)
        if "file" in given and lists:
            return "an ANNEX_A return is a workbook (`file`) or CSV lists, not both"
        if "file" not in given and not lists:
            return "an ANNEX_A return is a workbook (`file`) or `list_3` ... `list_8`"
    return None


@dataclass
class Counts:
    """What became of a load's records (`warnings` counts the warnings given)."""

    accepted: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    rejected: int = 0
    warnings: int = 0
