"""The two reference files (docs/measures.md, "Benchmarks"), read and checked whole before
anything is stored: published figures (`year, area_code, area_level, measure, value`) and the
statistical neighbour model (`la_code, rank, neighbour_la_code`).

A file is refused as a whole with every error found (up to MAX_ERRORS), each naming its row
(the spreadsheet's row number: the headings are row 1) and column. No message repeats a value
from the file: it may be anything, and errors are logged and shown."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from qaf_shared.rules import FieldError, RuleBroken
from reporting_service.domain.benchmarks import DIRECTIONS, SYMBOLS, AreaLevel, is_percentage

MAX_ERRORS = 50
FIRST_YEAR = 2000
# DfE's (old) three-digit LA codes, which are also the tenants' codes.
LA_CODE = re.compile(r"^[0-9]{3}$")
# A region's or England's code as the file gives it (ONS's E12000008, or a name-like code).
AREA_CODE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
# The DfE model gives each authority 10 neighbours; room for another edition's more.
MAX_NEIGHBOURS = 30

VALUE_COLUMNS = ("year", "area_code", "area_level", "measure", "value")
NEIGHBOUR_COLUMNS = ("la_code", "rank", "neighbour_la_code")


@dataclass(frozen=True)
class ValueRow:
    """A published figure: a number, or (`symbol`) one of DfE's symbols instead."""

    year: int
    area_code: str
    area_level: AreaLevel
    measure: str
    value: float | None
    symbol: str | None


@dataclass(frozen=True)
class NeighbourRow:
    la_code: str
    rank: int
    neighbour_la_code: str


class _Errors:
    def __init__(self) -> None:
        self.found: list[FieldError] = []
        self.count = 0

    def add(self, row: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.found) < MAX_ERRORS:
            self.found.append(FieldError(f"row {row}.{column}", message))

    def raise_any(self) -> None:
        if self.found:
            raise RuleBroken.on_fields(self.found)


def _records(body: bytes, columns: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row as {column: trimmed text}, numbered as a spreadsheet shows it (the
    headings are row 1); the headings must be exactly `columns`, in any order and case."""
    try:
        text = body.decode("utf-8-sig")  # a spreadsheet's byte-order mark is no heading
    except UnicodeDecodeError:
        raise RuleBroken("body", "the file is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headings = next(reader, None)
        if headings is None or not any(h.strip() for h in headings):
            raise RuleBroken("row 1", f"the file has no headings (expected {', '.join(columns)})")
        names = [h.strip().lower() for h in headings]
        problems = [
            FieldError(f"row 1.column {i}", f"the heading is not one of {', '.join(columns)}")
            for i, name in enumerate(names, start=1)
            if name not in columns
        ]
        problems += [
            FieldError(f"row 1.{c}", f"the file has no {c} column")
            for c in columns
            if c not in names
        ]
        problems += [
            FieldError(f"row 1.{c}", f"the {c} column appears more than once")
            for c in columns
            if names.count(c) > 1
        ]
        if problems:
            raise RuleBroken.on_fields(problems)
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # a blank line, as spreadsheets leave at the end
            if len(cells) != len(names):
                yield number, {"": f"{len(cells)} cells where the headings have {len(names)}"}
                continue
            yield number, {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
    except csv.Error:
        raise RuleBroken(f"row {reader.line_num}", "the file is not CSV from here on") from None


def _integer(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else None


def read_values(body: bytes, *, latest_year: int) -> list[ValueRow]:
    """The rows of a published-figures file, or `RuleBroken` naming every error found. A
    year runs from `FIRST_YEAR` to `latest_year` (the current financial year); a measure is
    one with a direction; a percentage lies from 0 to 100 and a count is not negative;
    `ENGLAND` has one figure per year and measure, and no two rows give the same figure."""
    errors = _Errors()
    rows: list[ValueRow] = []
    seen: dict[tuple[int, str, str, str], int] = {}
    for number, cells in _records(body, VALUE_COLUMNS):
        if "" in cells:
            errors.add(number, "row", cells[""])
            continue
        before = errors.count
        year = _integer(cells["year"])
        if year is None or not FIRST_YEAR <= year <= latest_year:
            errors.add(number, "year", f"not a year from {FIRST_YEAR} to {latest_year}")
        level = cells["area_level"].upper()
        if level not in AreaLevel.__members__:
            errors.add(number, "area_level", "not one of ENGLAND, REGION, LA")
        code = cells["area_code"]
        pattern = LA_CODE if level == AreaLevel.LA else AREA_CODE
        if not pattern.match(code):
            errors.add(
                number,
                "area_code",
                "not a three-digit LA code"
                if level == AreaLevel.LA
                else "not a code of 1 to 20 letters, digits, - or _",
            )
        measure = cells["measure"]
        if measure not in DIRECTIONS:
            errors.add(number, "measure", f"not one of {', '.join(sorted(DIRECTIONS))}")
        value, symbol = _value(cells["value"], measure)
        if value is None and symbol is None:
            kind = "a percentage from 0 to 100" if is_percentage(measure) else "a number from 0"
            errors.add(number, "value", f"not {kind} or one of {', '.join(sorted(SYMBOLS))}")
        if errors.count > before:
            continue  # a row in error is not compared with the others
        assert year is not None
        # England is one area whatever code a file gives it.
        key = (year, level, "" if level == AreaLevel.ENGLAND else code, measure)
        if key in seen:
            errors.add(number, "row", f"gives the same figure as row {seen[key]}")
            continue
        seen[key] = number
        rows.append(ValueRow(year, code, AreaLevel(level), measure, value, symbol))
    if not errors.count and not rows:
        raise RuleBroken("body", "the file has headings but no rows")
    errors.raise_any()
    return rows


def _value(text: str, measure: str) -> tuple[float | None, str | None]:
    if text.lower() in SYMBOLS:
        return None, text.lower()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, None
    if not number.is_finite() or number < 0 or (is_percentage(measure) and number > 100):
        return None, None
    return float(number), None


def read_neighbours(body: bytes) -> list[NeighbourRow]:
    """The rows of a neighbour-model file, or `RuleBroken` naming every error found. Codes
    are three-digit LA codes; an LA is not its own neighbour nor one twice; its ranks run
    1, 2, ... n with none missing or repeated (n at most MAX_NEIGHBOURS)."""
    errors = _Errors()
    rows: list[NeighbourRow] = []
    by_la: dict[str, dict[int, int]] = {}  # la -> rank -> row
    pairs: dict[tuple[str, str], int] = {}
    for number, cells in _records(body, NEIGHBOUR_COLUMNS):
        if "" in cells:
            errors.add(number, "row", cells[""])
            continue
        la, neighbour = cells["la_code"], cells["neighbour_la_code"]
        rank = _integer(cells["rank"])
        ok = True
        if not LA_CODE.match(la):
            errors.add(number, "la_code", "not a three-digit LA code")
            ok = False
        if not LA_CODE.match(neighbour):
            errors.add(number, "neighbour_la_code", "not a three-digit LA code")
            ok = False
        elif neighbour == la:
            errors.add(number, "neighbour_la_code", "an LA is not its own neighbour")
            ok = False
        if rank is None or not 1 <= rank <= MAX_NEIGHBOURS:
            errors.add(number, "rank", f"not a whole number from 1 to {MAX_NEIGHBOURS}")
            ok = False
        if not ok:
            continue
        assert rank is not None
        ranks = by_la.setdefault(la, {})
        if rank in ranks:
            errors.add(number, "rank", f"the LA already has this rank at row {ranks[rank]}")
            continue
        if (la, neighbour) in pairs:
            errors.add(
                number,
                "neighbour_la_code",
                f"the LA already has this neighbour at row {pairs[(la, neighbour)]}",
            )
            continue
        ranks[rank] = number
        pairs[(la, neighbour)] = number
        rows.append(NeighbourRow(la, rank, neighbour))
    for ranks in by_la.values():
        missing = sorted(set(range(1, max(ranks) + 1)) - set(ranks))
        if missing:
            row = ranks[max(ranks)]
            errors.add(row, "rank", f"the LA's ranks skip {', '.join(map(str, missing))}")
    if not errors.count and not rows:
        raise RuleBroken("body", "the file has headings but no rows")
    errors.raise_any()
    return rows
