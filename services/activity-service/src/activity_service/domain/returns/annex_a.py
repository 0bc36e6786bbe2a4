"""Ofsted Annex A, lists 3 to 8 (docs/activity.md, "Returns"): an XLSX workbook (one sheet a
list, read with openpyxl in read-only mode, row by row) or one CSV per list. The only
standard return that places a child in a team: every record carries the list's "Allocated
Team" as written, for the tenant's team aliases to map.

Columns are found by heading, case- and space-insensitively, under the template's headings
(`HEADINGS`, after the Ofsted template as the LIIA tools read it) or a tenant's own
(`headings`, their heading to ours). What each list gives:
- 3 referrals: a `referral` (date, source, NFA).
- 4 assessments, 5 S47 enquiries: an `assessment` / `s47_enquiry`. The template has no
  referral date; a tenant may add one (`Date of referral`), else the record names the
  child's latest referral of list 3 dated on or before its start.
- 6 children in need: a CIN `visit` on the date the child was last seen.
- 7 child protection: a CP `visit` on the last statutory visit, with seen-alone; and the
  `cp_plan` itself (start, end, initial category, previous plans): the list carries the
  plan's start, which is its natural key, so the plan gets its team. The latest review
  conference is not written as the plan's `review_dates`: one date is not the plan's
  reviews, and writing it would replace the list the CIN census gave.
- 8 children looked after: a CLA `visit` on the last social work visit; a `care_review`
  on the latest statutory review.
Statutory visits are visits at which the child was seen, so Annex A visits are `seen`."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO, Final

from defusedxml import DefusedXmlException
from lxml import etree
from openpyxl import DEFUSEDXML, load_workbook

from activity_service.domain.kinds import Kind
from activity_service.domain.returns.reading import (
    FieldError,
    NaturalKeys,
    ReadError,
    ReadItem,
    ReadRecord,
    Unreadable,
    cell_date,
    keyed,
    parse_int,
    required,
)

LISTS: Final = (3, 4, 5, 6, 7, 8)

# Our name for each column a list is read for -> the template's heading.
HEADINGS: Final[dict[int, dict[str, str]]] = {
    3: {
        "child_ref": "Child Unique ID",
        "referral_date": "Date of referral",
        "referral_source": "Referral Source",
        "nfa": "Referral NFA?",
        "team": "Allocated Team",
    },
    4: {
        "child_ref": "Child Unique ID",
        "start_date": "Continuous Assessment Start Date",
        "authorised_date": "Continuous Assessment Date of Authorisation",
        "referral_date": "Date of referral",
        "team": "Allocated Team",
    },
    5: {
        "child_ref": "Child Unique ID",
        "start_date": "Strategy discussion initiating Section 47 Enquiry Start Date",
        "icpc_not_required": "Was an Initial Child Protection Conference deemed unnecessary?",
        "icpc_date": "Date of Initial Child Protection Conference",
        "referral_date": "Date of referral",
        "team": "Allocated Team",
    },
    6: {
        "child_ref": "Child Unique ID",
        "visit_date": "Date Child Was Last Seen",
        "team": "Allocated Team",
    },
    7: {
        "child_ref": "Child Unique ID",
        "start_date": "Child Protection Plan Start Date",
        "initial_category": "Initial Category of Abuse",
        "visit_date": "Date of the Last Statutory Visit",
        "seen_alone": "Was the Child Seen Alone?",
        "end_date": "Child Protection Plan End Date",
        "previous_plans": "Number of Previous Child Protection Plans",
        "team": "Allocated Team",
    },
    8: {
        "child_ref": "Child Unique ID",
        "visit_date": "Date of Last Social Work Visit",
        "review_date": "Date of Latest Statutory Review",
        "team": "Allocated Team",
    },
}

# Columns a list may lack: the template has no referral date in lists 4 and 5.
OPTIONAL: Final[dict[int, frozenset[str]]] = {
    4: frozenset({"referral_date"}),
    5: frozenset({"referral_date"}),
}

# A sheet is a list by its name: "List 3", "list3", "L3 - Referrals", "List 3 Referrals".
_SHEET = re.compile(r"\s*(?:list|l)\s*0?(\d{1,2})\b", re.IGNORECASE)

# openpyxl loads a workbook's shared strings whole: bound them (decompressed) so a small
# upload cannot take the service's memory.
MAX_SHARED_STRINGS = 64 * 1024 * 1024
_HEADER_SCAN = 10  # template workbooks put a title above the headings

# Category of abuse: the code, or the template's label for it.
_CATEGORIES: Final = (
    ("NEG", "neglect"),
    ("PHY", "physical"),
    ("SAB", "sexual"),
    ("EMO", "emotional"),
    ("MUL", "multiple"),
)
_REFERRAL_SOURCE = re.compile(r"(?:^|[\s):])(10|[1-9][A-F]?)(?=$|[\s:)\-])", re.IGNORECASE)
_OPTION_PREFIX = re.compile(r"^[a-z]\d?\)\s*", re.IGNORECASE)


def normalise(heading: object) -> str:
    """A heading as compared: lower case, without spaces."""
    return re.sub(r"\s+", "", str(heading)).lower() if heading is not None else ""


@dataclass(frozen=True)
class _Columns:
    positions: dict[str, int]
    header_row: int


def _columns(
    number: int, rows: Iterator[tuple[object, ...]], headings: Mapping[str, str]
) -> tuple[_Columns, Iterator[tuple[object, ...]]]:
    """Find the list's heading row among its first rows, and where each of our columns is."""
    ours = {normalise(h): name for name, h in HEADINGS[number].items()}
    mapped = {normalise(theirs): ours.get(normalise(h)) for theirs, h in headings.items()}
    for row_number, row in enumerate(rows, start=1):
        positions: dict[str, int] = {}
        for index, cell in enumerate(row):
            key = normalise(cell)
            name = mapped.get(key) or ours.get(key)
            if name is not None and name not in positions:
                positions[name] = index
        if "child_ref" in positions:
            for name, heading in HEADINGS[number].items():
                if name not in positions and name not in OPTIONAL.get(number, ()):
                    raise Unreadable(
                        f"list {number} row {row_number}",
                        "missing_column",
                        f"list {number} has no column headed {heading!r}",
                    )
            return _Columns(positions, row_number), rows
        if row_number >= _HEADER_SCAN:
            break
    raise Unreadable(
        f"list {number}",
        "missing_column",
        f"list {number} has no row headed {HEADINGS[number]['child_ref']!r}",
    )


def _cell(row: tuple[object, ...], columns: _Columns, name: str) -> object:
    index = columns.positions.get(name)
    if index is None or index >= len(row):
        return None
    value = row[index]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a numeric id typed into a spreadsheet
    return str(value).strip() or None


def _yes_no(value: object, field: str) -> bool | None:
    """Yes/No in the template's forms ("a) Yes", "Y", "No"); Unknown is no answer."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    answer = _OPTION_PREFIX.sub("", str(value).strip()).lower()
    if answer in {"yes", "y", "true", "1"}:
        return True
    if answer in {"no", "n", "false", "0"}:
        return False
    if answer in {"unknown", ""}:
        return None
    raise FieldError(field, "boolean_format", f"{field} is not Yes, No or Unknown")


def _referral_source(value: object) -> str | None:
    """The source's code from the template's label ("a) 1A: Individual" -> "1A")."""
    written = _text(value)
    if written is None:
        return None
    found = _REFERRAL_SOURCE.search(_OPTION_PREFIX.sub("", written))
    # a label we cannot read is passed on as written, for the code rule to refuse
    return found[1].upper() if found else written


def _category(value: object) -> str | None:
    written = _text(value)
    if written is None:
        return None
    lowered = written.lower()
    for code, label in _CATEGORIES:
        if code.lower() in re.findall(r"[a-z]+", lowered) or label in lowered:
            return code
    return written


def _int(value: object, field: str) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and value >= 0:
            return int(value)
        raise FieldError(field, "integer_format", f"{field} is not a whole number")
    return parse_int(_text(value), field)


class _Reader:
    """One Annex A read: the keys seen and list 3's referral dates per child (lists 4 and 5
    name their referral by them)."""

    def __init__(self, headings: Mapping[str, str] | None) -> None:
        self.headings = headings or {}
        self.keys = NaturalKeys()
        self.referrals: dict[str, list[date]] = {}

    def read_list(self, number: int, rows: Iterator[tuple[object, ...]]) -> Iterator[ReadItem]:
        columns, rest = _columns(number, rows, self.headings)
        for row_number, row in enumerate(rest, start=columns.header_row + 1):
            if not any(cell is not None and str(cell).strip() for cell in row):
                continue
            location = f"list {number} row {row_number}"
            child_ref = _text(_cell(row, columns, "child_ref"))
            if child_ref is None:
                yield ReadError(location, "child_ref", "required", "the child's id is missing")
                continue
            team = _text(_cell(row, columns, "team"))
            try:
                records = list(self._records(number, row, columns, child_ref))
            except FieldError as error:
                yield error.at(location)
                continue
            for kind, facts in records:
                yield keyed(self.keys, ReadRecord(location, kind, child_ref, facts, team))

    def _records(
        self, number: int, row: tuple[object, ...], columns: _Columns, child_ref: str
    ) -> Iterable[tuple[Kind, dict[str, object]]]:
        def day(name: str) -> date | None:
            return cell_date(_cell(row, columns, name), name)

        if number == 3:
            referral_date = day("referral_date")
            required(referral_date, "referral_date")
            assert referral_date is not None
            self.referrals.setdefault(child_ref, []).append(referral_date)
            yield (
                Kind.REFERRAL,
                {
                    "referral_date": referral_date,
                    "referral_source": _referral_source(_cell(row, columns, "referral_source")),
                    "nfa": _yes_no(_cell(row, columns, "nfa"), "nfa"),
                },
            )
        elif number in (4, 5):
            start = day("start_date")
            required(start, "start_date")
            assert start is not None
            referral = day("referral_date") or self._referral_before(child_ref, start)
            required(referral, "referral_date")
            if number == 4:
                yield (
                    Kind.ASSESSMENT,
                    {
                        "start_date": start,
                        "referral_date": referral,
                        "authorised_date": day("authorised_date"),
                    },
                )
            else:
                yield (
                    Kind.S47_ENQUIRY,
                    {
                        "start_date": start,
                        "referral_date": referral,
                        "icpc_date": day("icpc_date"),
                        "icpc_not_required": _yes_no(
                            _cell(row, columns, "icpc_not_required"), "icpc_not_required"
                        ),
                    },
                )
        elif number == 6:
            if (seen := day("visit_date")) is not None:
                yield Kind.VISIT, {"visit_date": seen, "plan_type": "CIN", "seen": True}
        elif number == 7:
            start = day("start_date")
            required(start, "start_date")
            plan: dict[str, object] = {
                "start_date": start,
                "end_date": day("end_date"),
                "initial_category": _category(_cell(row, columns, "initial_category")),
                "previous_plans": _int(_cell(row, columns, "previous_plans"), "previous_plans"),
            }
            seen_alone = _yes_no(_cell(row, columns, "seen_alone"), "seen_alone")
            visit = day("visit_date")
            yield Kind.CP_PLAN, plan
            if visit is not None:
                yield (
                    Kind.VISIT,
                    {
                        "visit_date": visit,
                        "plan_type": "CP",
                        "seen": True,
                        "seen_alone": seen_alone,
                    },
                )
        elif number == 8:
            visit = day("visit_date")
            review = day("review_date")
            if visit is not None:
                yield Kind.VISIT, {"visit_date": visit, "plan_type": "CLA", "seen": True}
            if review is not None:
                yield Kind.CARE_REVIEW, {"review_date": review}

    def _referral_before(self, child_ref: str, start: date) -> date | None:
        earlier = [d for d in self.referrals.get(child_ref, ()) if d <= start]
        return max(earlier) if earlier else None


def read_annex_a_workbook(
    stream: BinaryIO, *, headings: Mapping[str, str] | None = None
) -> Iterator[ReadItem]:
    """Lists 3 to 8 of an Annex A workbook (a seekable stream), in list order; `Unreadable`
    if it is not an XLSX workbook, holds XML that defusedxml refuses (DTDs, entities), or
    has none of the lists."""
    if not DEFUSEDXML:
        # never parse uploaded workbooks without defusedxml (OPENPYXL_DEFUSEDXML=False)
        raise RuntimeError("openpyxl is not using defusedxml")
    try:
        with zipfile.ZipFile(stream) as archive:
            _check_parts(archive)
        stream.seek(0)
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Unreadable:
        raise
    except Exception as error:
        # zipfile, openpyxl and defusedxml raise many types; none of their texts is shown
        raise Unreadable(
            "workbook", _workbook_rule(error), "the file is not a readable XLSX workbook"
        ) from None
    try:
        sheets: dict[int, str] = {}
        for name in workbook.sheetnames:
            found = _SHEET.match(name)
            if found and int(found[1]) in LISTS:
                sheets.setdefault(int(found[1]), name)
        if not sheets:
            raise Unreadable("workbook", "missing_list", "the workbook has none of lists 3 to 8")
        reader = _Reader(headings)
        for number in sorted(sheets):
            rows = workbook[sheets[number]].iter_rows(values_only=True)
            try:
                yield from reader.read_list(number, iter(rows))
            except Unreadable:
                raise
            except Exception as error:
                raise Unreadable(
                    f"list {number}", _workbook_rule(error), f"list {number} cannot be read"
                ) from None
    finally:
        workbook.close()


def _check_parts(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose XML parts declare a DOCTYPE (openpyxl parses its sheets
    through defusedxml, but its small parts through lxml, which only stops resolving
    entities) or whose shared strings would unpack too large."""
    strings = 0
    for info in archive.infolist():
        if info.filename.endswith("sharedStrings.xml"):
            strings += info.file_size
        if not info.filename.endswith((".xml", ".rels")):
            continue
        with archive.open(info) as part:
            parser = etree.iterparse(
                part,
                events=("start",),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=False,
            )
            for _, root in parser:  # the prolog ends at the first element: stop there
                docinfo = root.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None:
                    raise Unreadable(
                        "workbook", "dtd_forbidden", "a DOCTYPE is not allowed in a workbook"
                    )
                break
    if strings > MAX_SHARED_STRINGS:
        raise Unreadable("workbook", "too_large", "the workbook's strings are too large")


def _workbook_rule(error: BaseException) -> str:
    """`xml_forbidden` when defusedxml refused a part (openpyxl wraps its error), else
    `not_xlsx`."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return "xml_forbidden"
        cause = cause.__cause__ or cause.__context__
    return "not_xlsx"


def read_annex_a_csv(
    lists: Mapping[int, BinaryIO], *, headings: Mapping[str, str] | None = None
) -> Iterator[ReadItem]:
    """Lists 3 to 8 given as one CSV each (by list number), in list order."""
    unknown = sorted(set(lists) - set(LISTS))
    if unknown:
        raise Unreadable(f"list {unknown[0]}", "missing_list", "only lists 3 to 8 are read")
    if not lists:
        raise Unreadable("lists", "missing_list", "none of lists 3 to 8 was given")
    reader = _Reader(headings)
    for number in sorted(lists):
        text = io.TextIOWrapper(lists[number], encoding="utf-8-sig", newline="")
        try:
            rows = (tuple(row) for row in csv.reader(text))
            yield from reader.read_list(number, rows)
        except UnicodeDecodeError:
            raise Unreadable(f"list {number}", "encoding", f"list {number} is not UTF-8") from None
        except csv.Error:
            raise Unreadable(f"list {number}", "csv_format", f"list {number} is not CSV") from None
        finally:
            text.detach()
