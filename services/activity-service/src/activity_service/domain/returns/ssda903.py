"""The SSDA903 CSV tables (docs/activity.md, "Returns"): `header`, `episodes` and `reviews`,
each read row by row with the csv module over a text wrapper of the stream. Each table must
carry the DfE's columns (matched case-insensitively, trimmed; extra columns are allowed);
`header` is only checked, never read: it holds dates of birth and UPNs, which no measure
needs."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from functools import partial
from typing import BinaryIO, Final

from activity_service.domain.kinds import Kind
from activity_service.domain.returns.reading import (
    NaturalKeys,
    ReadError,
    ReadItem,
    Unreadable,
    parse_date,
    read_record,
    required,
    text,
)

# The DfE's columns of each table read here (DATA-STANDARDS, SSDA903).
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "episodes": (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    "reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
}


def _rows(table: str, stream: BinaryIO) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Each data row (numbered from 1) as {DfE column: value}, after checking the header."""
    # utf-8-sig: a byte-order mark from a spreadsheet export is not part of the first heading
    lines = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(lines)
    try:
        headings = next(reader, None)
        if headings is None:
            raise Unreadable(f"{table} row 0", "missing_header", f"the {table} table is empty")
        positions = {h.strip().upper(): i for i, h in enumerate(headings)}
        for column in COLUMNS[table]:
            if column not in positions:
                raise Unreadable(
                    f"{table} header",
                    "missing_column",
                    f"the {table} table has no {column} column",
                )
        wanted = {column: positions[column] for column in COLUMNS[table]}
        for number, row in enumerate(reader, start=1):
            if not any(cell.strip() for cell in row):
                continue  # a blank line at the end of an export
            yield number, {c: row[i] if i < len(row) else None for c, i in wanted.items()}
    except UnicodeDecodeError:
        raise Unreadable(table, "encoding", f"the {table} table is not UTF-8 text") from None
    except csv.Error:
        raise Unreadable(
            f"{table} row {reader.line_num}", "csv_format", f"the {table} table is not CSV"
        ) from None
    finally:
        lines.detach()  # the caller owns the stream


def read_ssda903(
    *, header: BinaryIO | None, episodes: BinaryIO | None, reviews: BinaryIO | None
) -> Iterator[ReadItem]:
    """The care episodes, then the reviews, of an SSDA903 return; `Unreadable` if a table
    lacks a DfE column or is not CSV. Any table may be left out (a load of reviews alone)."""
    keys = NaturalKeys()
    if header is not None:
        for _ in _rows("header", header):
            pass  # checked for its columns (and being CSV) only
    if episodes is not None:
        yield from _read("episodes", episodes, Kind.CARE_EPISODE, _episode, keys)
    if reviews is not None:
        yield from _read("reviews", reviews, Kind.CARE_REVIEW, _review, keys)


def _read(
    table: str,
    stream: BinaryIO,
    kind: Kind,
    read: Callable[[dict[str, str | None]], dict[str, object]],
    keys: NaturalKeys,
) -> Iterator[ReadItem]:
    for number, row in _rows(table, stream):
        location = f"{table} row {number}"
        child_ref = text(row["CHILD"])
        if child_ref is None:
            yield ReadError(location, "child_ref", "required", "CHILD is missing")
            continue
        yield read_record(keys, location, kind, child_ref, partial(read, row))


def _episode(row: dict[str, str | None]) -> dict[str, object]:
    facts: dict[str, object] = {
        "start_date": parse_date(row["DECOM"], "start_date", day_first=True),
        "reason_new_episode": text(row["RNE"]),
        "legal_status": text(row["LS"]),
        "cin_category": text(row["CIN"]),
        "placement": text(row["PLACE"]),
        "end_date": parse_date(row["DEC"], "end_date", day_first=True),
        "reason_ceased": text(row["REC"]),
    }
    # the DfE's own rules make these mandatory on every episode
    for fact in ("start_date", "reason_new_episode", "legal_status", "cin_category", "placement"):
        required(facts[fact], fact)
    return facts


def _review(row: dict[str, str | None]) -> dict[str, object]:
    facts: dict[str, object] = {
        "review_date": parse_date(row["REVIEW"], "review_date", day_first=True),
        "pn_code": text(row["REVIEW_CODE"]),
    }
    required(facts["review_date"], "review_date")
    return facts
