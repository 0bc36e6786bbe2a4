"""The Ofsted Annex A reader: lists 3 to 8 from a workbook or CSVs, headings matched loosely
or by a tenant's map, the allocated team on every record, and workbooks refused whole
(docs/activity.md, "Returns")."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from activity_service.domain.kinds import Kind
from activity_service.domain.returns.annex_a import (
    HEADINGS,
    read_annex_a_csv,
    read_annex_a_workbook,
)
from activity_service.domain.returns.reading import ReadError, ReadItem, ReadRecord, Unreadable
from qaf_shared.testing.activity_returns import (
    Faults,
    Intended,
    annex_a_records,
    child_refs,
    generate,
    write_annex_a_csv,
    write_annex_a_xlsx,
)


def workbook(sheets: dict[str, Sequence[Sequence[object]]]) -> io.BytesIO:
    book = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def csv_list(*rows: str) -> io.BytesIO:
    return io.BytesIO("\n".join(rows).encode())


def shaped(items: list[ReadItem]) -> list[object]:
    return [
        (i.kind, i.child_ref, i.facts, i.team_name)
        if isinstance(i, ReadRecord)
        else (i.field, i.rule)
        for i in items
    ]


def intended(records: list[Intended]) -> list[object]:
    return [(i.kind, i.child_ref, i.facts, i.team) for i in records]


CHILDREN = list(generate(seed=8, refs=child_refs(600), faults=Faults(unknown_codes=1)))


def test_a_generated_workbook_reads_back_as_exactly_the_intended_records() -> None:
    out = io.BytesIO()
    write_annex_a_xlsx(CHILDREN, out)
    out.seek(0)
    got = shaped(list(read_annex_a_workbook(out)))
    assert got == intended(list(annex_a_records(CHILDREN)))
    assert {g[0] for g in got} == set(Kind) - {Kind.CARE_EPISODE}  # type: ignore[index]


def test_generated_list_csvs_read_back_as_exactly_the_intended_records() -> None:
    lists = {n: io.BytesIO() for n in range(3, 9)}
    write_annex_a_csv(CHILDREN, lists)
    for stream in lists.values():
        stream.seek(0)
    assert shaped(list(read_annex_a_csv(lists))) == intended(list(annex_a_records(CHILDREN)))


def test_every_record_carries_its_allocated_team_as_written() -> None:
    book = workbook({"List 6": [["Child Unique ID", "Date Child Was Last Seen", "Allocated Team"],
                                ["C1", datetime(2025, 6, 3), "  Ashford CIN Team 1 "]]})  # fmt: skip
    [item] = read_annex_a_workbook(book)
    assert item == ReadRecord(
        "list 6 row 2",
        Kind.VISIT,
        "C1",
        {"visit_date": date(2025, 6, 3), "plan_type": "CIN", "seen": True},
        "Ashford CIN Team 1",
    )


def test_headings_match_case_and_space_insensitively_below_a_title() -> None:
    book = workbook({"list3 referrals": [["Annex A: list 3"], [],
                                         ["CHILD UNIQUE  ID", "date of  referral", "REFERRAL SOURCE",
                                          "referral nfa ?", "allocatedteam"],
                                         [1234, "02/05/2025", "q) 6: Police", "b) No", "T1"]]})  # fmt: skip
    [item] = read_annex_a_workbook(book)
    assert isinstance(item, ReadRecord)
    assert (item.location, item.child_ref, item.team_name) == ("list 3 row 4", "1234", "T1")
    assert item.facts == {"referral_date": date(2025, 5, 2), "referral_source": "6", "nfa": False}


def test_a_tenants_own_headings_are_mapped_to_the_templates() -> None:
    lists = {3: csv_list("ID,Referral Received,Source,NFA,Team", "C1,2025-05-02,2A,Yes,T1")}
    headings = {"ID": "Child Unique ID", "Referral received": "Date of referral",
                "Source": "Referral Source", "NFA": "Referral NFA?", "Team": "Allocated Team"}  # fmt: skip
    [item] = read_annex_a_csv(lists, headings=headings)
    assert isinstance(item, ReadRecord) and item.facts["referral_source"] == "2A"
    assert item.facts["nfa"] is True


@pytest.mark.parametrize("missing", ["Referral Source", "Allocated Team", "Date of referral"])
def test_a_list_without_a_template_column_is_unreadable_naming_it(missing: str) -> None:
    headings = [h for h in HEADINGS[3].values() if h != missing]
    with pytest.raises(Unreadable) as refused:
        list(read_annex_a_csv({3: csv_list(",".join(headings))}))
    assert refused.value.rule == "missing_column"
    assert missing in refused.value.message


def test_a_list_without_a_child_id_heading_in_its_first_rows_is_unreadable() -> None:
    with pytest.raises(Unreadable) as refused:
        list(read_annex_a_csv({4: csv_list(*["title"] * 12)}))
    assert refused.value.rule == "missing_column"


def test_an_assessment_names_the_childs_latest_list3_referral_on_or_before_its_start() -> None:
    referrals = csv_list(",".join(HEADINGS[3].values()), "C1,01/01/2025,6,No,T", "C1,01/05/2025,6,No,T",
                         "C1,01/09/2025,6,No,T")  # fmt: skip
    assessments = csv_list(
        "Child Unique ID,Continuous Assessment Start Date,Continuous Assessment Date of Authorisation,Allocated Team",
        "C1,03/05/2025,,T",
        "C2,03/05/2025,,T",
    )
    items = list(read_annex_a_csv({4: assessments, 3: referrals}))
    assessment, missing = items[3], items[4]
    assert isinstance(assessment, ReadRecord) and assessment.facts["referral_date"] == date(
        2025, 5, 1
    )
    assert isinstance(missing, ReadError) and (missing.field, missing.rule) == (
        "referral_date",
        "required",
    )


def test_a_referral_date_column_of_list_4_is_used_when_a_tenant_has_one() -> None:
    assessments = csv_list(
        "Child Unique ID,Date of Referral,Continuous Assessment Start Date,Continuous Assessment Date of Authorisation,Allocated Team",
        "C1,2025-04-20,03/05/2025,10/06/2025,T",
    )
    [item] = read_annex_a_csv({4: assessments})
    assert isinstance(item, ReadRecord)
    assert item.facts == {"start_date": date(2025, 5, 3), "referral_date": date(2025, 4, 20),
                          "authorised_date": date(2025, 6, 10)}  # fmt: skip


def test_list_7_gives_the_plan_and_the_last_statutory_visit() -> None:
    heading = ",".join(HEADINGS[7].values())
    [plan, visit] = read_annex_a_csv(
        {7: csv_list(heading, "C1,01/06/2025,d) Emotional abuse,20/06/2025,a) Yes,,3,CP T")}
    )
    assert isinstance(plan, ReadRecord) and isinstance(visit, ReadRecord)
    assert (plan.kind, plan.facts) == (
        Kind.CP_PLAN,
        {
            "start_date": date(2025, 6, 1),
            "end_date": None,
            "initial_category": "EMO",
            "previous_plans": 3,
        },
    )
    assert (visit.kind, visit.facts) == (
        Kind.VISIT,
        {"visit_date": date(2025, 6, 20), "plan_type": "CP", "seen": True, "seen_alone": True},
    )


def test_list_8_gives_the_last_social_work_visit_and_the_latest_review() -> None:
    heading = ",".join(HEADINGS[8].values())
    items = read_annex_a_csv({8: csv_list(heading, "C1,2025-07-01,2025-06-01,CIC T", "C2,,,CIC T")})
    assert [(i.kind, i.facts) for i in items] == [  # type: ignore[union-attr]
        (Kind.VISIT, {"visit_date": date(2025, 7, 1), "plan_type": "CLA", "seen": True}),
        (Kind.CARE_REVIEW, {"review_date": date(2025, 6, 1)}),
    ]


@pytest.mark.parametrize(
    ("cells", "field", "rule"),
    [
        ("C1,2025/05/02,6,No,T", "referral_date", "date_format"),
        ("C1,02-05-2025,6,No,T", "referral_date", "date_format"),
        ("C1,02/05/2025,6,Perhaps,T", "nfa", "boolean_format"),
        (",02/05/2025,6,No,T", "child_ref", "required"),
        ("C1,,6,No,T", "referral_date", "required"),
    ],
)
def test_a_value_the_list_cannot_hold_refuses_the_row_without_echoing_it(
    cells: str, field: str, rule: str
) -> None:
    [item] = read_annex_a_csv({3: csv_list(",".join(HEADINGS[3].values()), cells)})
    assert item == ReadError("list 3 row 2", field, rule, item.message)  # type: ignore[union-attr]
    assert "Perhaps" not in item.message and "2025" not in item.message  # type: ignore[union-attr]


def test_the_same_referral_twice_is_refused_after_the_first() -> None:
    heading = ",".join(HEADINGS[3].values())
    items = list(
        read_annex_a_csv({3: csv_list(heading, "C1,02/05/2025,6,No,T", "C1,2025-05-02,8,No,T")})
    )
    assert [type(i) for i in items] == [ReadRecord, ReadError]
    assert items[1].rule == "duplicate_key"  # type: ignore[union-attr]


def test_a_workbook_without_any_of_lists_3_to_8_is_unreadable() -> None:
    with pytest.raises(Unreadable) as refused:
        list(read_annex_a_workbook(workbook({"List 1": [["Child Unique ID"]], "Summary": [["x"]]})))
    assert refused.value.rule == "missing_list"


def test_a_file_that_is_not_a_workbook_is_unreadable() -> None:
    with pytest.raises(Unreadable) as refused:
        list(read_annex_a_workbook(io.BytesIO(b"Child Unique ID,Date of referral\n")))
    assert refused.value.rule == "not_xlsx"


def _with_part(book: io.BytesIO, name: str, content: bytes) -> io.BytesIO:
    """The workbook with its part `name` replaced (or added) by `content`."""
    out = io.BytesIO()
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    out.seek(0)
    return out


def test_a_workbook_with_an_entity_bomb_is_refused_without_expanding_it() -> None:
    book = workbook({"List 3": [["Child Unique ID"], ["C1"]]})
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>"""
    with pytest.raises(Unreadable) as refused:
        list(read_annex_a_workbook(_with_part(book, "xl/worksheets/sheet1.xml", bomb)))
    assert refused.value.rule == "dtd_forbidden"
    assert "lol" not in str(refused.value)


def test_a_workbook_with_an_external_entity_is_refused() -> None:
    book = workbook({"List 3": [["Child Unique ID"], ["C1"]]})
    xxe = b"""<?xml version="1.0"?>
<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="&xxe;" sheetId="1" r:id="rId1"/></sheets></workbook>"""
    with pytest.raises(Unreadable) as refused:
        list(read_annex_a_workbook(_with_part(book, "xl/workbook.xml", xxe)))
    assert refused.value.rule == "dtd_forbidden"
    assert "root:" not in str(refused.value)


def test_a_workbook_whose_strings_unpack_too_large_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from activity_service.domain.returns import annex_a

    monkeypatch.setattr(annex_a, "MAX_SHARED_STRINGS", 10)
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    book = _with_part(workbook({"List 3": [["Child Unique ID"]]}), "xl/sharedStrings.xml", strings)
    with pytest.raises(Unreadable) as refused:
        list(read_annex_a_workbook(book))
    assert refused.value.rule == "too_large"


def test_openpyxl_parses_worksheets_through_defusedxml() -> None:
    # the second line of defence behind the DOCTYPE check: openpyxl picks it at import
    import openpyxl.xml.functions

    assert openpyxl.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")
