"""The CIN census reader: what it reads from a census, what it refuses per record, and the
files it refuses whole (docs/activity.md, "Returns")."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from activity_service.domain.kinds import Kind
from activity_service.domain.returns.cin_census import read_cin_census
from activity_service.domain.returns.reading import ReadError, ReadItem, ReadRecord, Unreadable
from qaf_shared.testing.activity_returns import (
    BILLION_LAUGHS,
    Faults,
    child_refs,
    generate,
    write_cin_census,
    xxe_census,
)

HEADER = "<Header><CollectionDetails><Collection>CIN</Collection></CollectionDetails></Header>"


def census(*children: str, header: str = HEADER) -> io.BytesIO:
    body = "".join(f"<Child>{c}</Child>" for c in children)
    return io.BytesIO(
        f'<?xml version="1.0"?><Message>{header}<Children>{body}</Children></Message>'.encode()
    )


def ids(ref: str = "C1") -> str:
    return f"<ChildIdentifiers><LAchildID>{ref}</LAchildID><PersonBirthDate>2015-01-01</PersonBirthDate></ChildIdentifiers>"


def read(stream: io.BytesIO) -> list[ReadItem]:
    return list(read_cin_census(stream))


def test_a_referral_reads_with_every_fact_the_census_carries() -> None:
    details = (
        "<CINdetails><CINreferralDate>2025-05-01</CINreferralDate><ReferralSource>6</ReferralSource>"
        "<PrimaryNeedCode>N1</PrimaryNeedCode><CINclosureDate>2025-07-01</CINclosureDate>"
        "<ReasonForClosure>RC8</ReasonForClosure><ReferralNFA>false</ReferralNFA></CINdetails>"
    )
    [item] = read(census(ids() + details))
    assert item == ReadRecord(
        "/Message/Children/Child[1]/CINdetails[1]",
        Kind.REFERRAL,
        "C1",
        {
            "referral_date": date(2025, 5, 1),
            "referral_source": "6",
            "primary_need": "N1",
            "nfa": False,
            "closure_date": date(2025, 7, 1),
            "closure_reason": "RC8",
        },
    )


def test_element_order_does_not_matter_and_unused_elements_are_ignored() -> None:
    shuffled = (
        "<CINdetails><ReferralNFA>1</ReferralNFA><PreProceedings><Meeting>x</Meeting></PreProceedings>"
        "<Section47><ICPCnotRequired>true</ICPCnotRequired><S47ActualStartDate>2025-05-03</S47ActualStartDate></Section47>"
        "<PrimaryNeedCode>N4</PrimaryNeedCode><ReferralSource>2A</ReferralSource>"
        "<CINreferralDate>2025-05-01</CINreferralDate></CINdetails>"
    )
    items = read(
        census(
            "<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>"
            + shuffled
            + ids()
        )
    )
    assert [(i.kind, i.facts) for i in items if isinstance(i, ReadRecord)] == [
        (
            Kind.REFERRAL,
            {
                "referral_date": date(2025, 5, 1),
                "referral_source": "2A",
                "primary_need": "N4",
                "nfa": True,
                "closure_date": None,
                "closure_reason": None,
            },
        ),
        (
            Kind.S47_ENQUIRY,
            {
                "start_date": date(2025, 5, 3),
                "referral_date": date(2025, 5, 1),
                "icpc_target_date": None,
                "icpc_date": None,
                "icpc_not_required": True,
            },
        ),
    ]


def _referral(date_text: str = "2025-05-01") -> str:
    return (
        f"<CINreferralDate>{date_text}</CINreferralDate><ReferralSource>6</ReferralSource>"
        "<PrimaryNeedCode>N1</PrimaryNeedCode>"
    )


def test_assessments_enquiries_and_plans_name_their_referral_and_carry_their_paths() -> None:
    details = (
        "<CINdetails>"
        + _referral()
        + "<Assessments><AssessmentActualStartDate>2025-05-02</AssessmentActualStartDate>"
        "<AssessmentAuthorisationDate>2025-06-10</AssessmentAuthorisationDate><FactorsIdentifiedAtAssessment>"
        "<AssessmentFactors>2B</AssessmentFactors><AssessmentFactors>4A</AssessmentFactors>"
        "</FactorsIdentifiedAtAssessment></Assessments>"
        "<ChildProtectionPlans><CPPstartDate>2025-06-01</CPPstartDate><InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>"
        "<NumberOfPreviousCPP>1</NumberOfPreviousCPP><Reviews><CPPreviewDate>2025-12-01</CPPreviewDate>"
        "<CPPreviewDate>2025-09-01</CPPreviewDate></Reviews></ChildProtectionPlans></CINdetails>"
    )
    items = read(
        census(
            ids("C7"),
            ids("C8") + "<CINdetails>" + _referral("2024-01-01") + "</CINdetails>" + details,
        )
    )
    records = [i for i in items if isinstance(i, ReadRecord)]
    assert [(r.location, r.kind, r.child_ref) for r in records] == [
        ("/Message/Children/Child[2]/CINdetails[1]", Kind.REFERRAL, "C8"),
        ("/Message/Children/Child[2]/CINdetails[2]", Kind.REFERRAL, "C8"),
        ("/Message/Children/Child[2]/CINdetails[2]/Assessments[1]", Kind.ASSESSMENT, "C8"),
        ("/Message/Children/Child[2]/CINdetails[2]/ChildProtectionPlans[1]", Kind.CP_PLAN, "C8"),
    ]
    assert records[2].facts == {
        "start_date": date(2025, 5, 2),
        "referral_date": date(2025, 5, 1),
        "authorised_date": date(2025, 6, 10),
        "factors": ["2B", "4A"],
    }
    assert records[3].facts == {
        "start_date": date(2025, 6, 1),
        "end_date": None,
        "initial_category": "NEG",
        "previous_plans": 1,
        "review_dates": [date(2025, 9, 1), date(2025, 12, 1)],
    }


def test_a_namespaced_census_reads_like_a_plain_one() -> None:
    body = f"<Message xmlns='http://www.dfe.gov.uk/CIN'>{HEADER}<Children><Child>{ids()}<CINdetails>{_referral()}</CINdetails></Child></Children></Message>"
    [item] = read(io.BytesIO(body.encode()))
    assert isinstance(item, ReadRecord) and item.kind is Kind.REFERRAL


@pytest.mark.parametrize(
    ("element", "value", "field", "rule"),
    [
        ("CINclosureDate", "01/07/2025", "closure_date", "date_format"),
        ("CINclosureDate", "2025-02-30", "closure_date", "date_format"),
        ("CINclosureDate", "20250701", "closure_date", "date_format"),
        ("ReferralNFA", "yes", "nfa", "boolean_format"),
    ],
)
def test_a_value_the_census_cannot_hold_refuses_its_record_without_echoing_it(
    element: str, value: str, field: str, rule: str
) -> None:
    details = f"<CINdetails>{_referral()}<{element}>{value}</{element}></CINdetails>"
    [item] = read(census(ids() + details))
    assert item == ReadError("/Message/Children/Child[1]/CINdetails[1]", field, rule, item.message)  # type: ignore[union-attr]
    assert value not in item.message  # type: ignore[union-attr]


@pytest.mark.parametrize("missing", ["CINreferralDate", "ReferralSource", "PrimaryNeedCode"])
def test_a_referral_without_a_required_element_is_refused(missing: str) -> None:
    details = (
        "<CINdetails>"
        + _referral()
        .replace(f"<{missing}>", f"<Not{missing}>")
        .replace(f"</{missing}>", f"</Not{missing}>")
        + "</CINdetails>"
    )
    [item] = read(census(ids() + details))
    assert isinstance(item, ReadError) and item.rule == "required"


def test_a_bad_referral_date_refuses_the_records_that_name_that_referral() -> None:
    details = (
        "<CINdetails>" + _referral("1 May 2025")
        + "<Assessments><AssessmentActualStartDate>2025-05-02</AssessmentActualStartDate></Assessments></CINdetails>"
    )  # fmt: skip
    items = read(census(ids() + details))
    assert [(type(i), i.field, getattr(i, "rule", None)) for i in items] == [
        (ReadError, "referral_date", "date_format"),
        (ReadError, "referral_date", "date_format"),
    ]


def test_a_child_without_its_id_is_refused_whole() -> None:
    items = read(
        census(
            "<ChildIdentifiers><UPN>A1</UPN></ChildIdentifiers><CINdetails>"
            + _referral()
            + "</CINdetails>"
        )
    )
    assert items == [
        ReadError("/Message/Children/Child[1]", "child_ref", "required", "LAchildID is missing")
    ]


def test_the_same_natural_key_twice_keeps_the_first_and_refuses_the_second() -> None:
    referral = "<CINdetails>" + _referral() + "</CINdetails>"
    items = read(census(ids("C1") + referral, ids("C2") + referral, ids("C1") + referral))
    assert [type(i) for i in items] == [ReadRecord, ReadRecord, ReadError]
    assert items[2].location == "/Message/Children/Child[3]/CINdetails[1]"
    assert (items[2].field, items[2].rule) == ("referral_date", "duplicate_key")  # type: ignore[union-attr]


def test_a_generated_census_reads_back_as_exactly_the_intended_records() -> None:
    from qaf_shared.testing.activity_returns import Intended, cin_census_records

    faults = Faults(bad_dates=2, duplicate_keys=2, unknown_codes=2)
    children = list(generate(seed=14, refs=child_refs(400), faults=faults))
    out = io.BytesIO()
    write_cin_census(children, out)
    out.seek(0)
    got = [
        (i.kind, i.child_ref, i.facts) if isinstance(i, ReadRecord) else (i.field, i.rule)
        for i in read_cin_census(out)
    ]
    want = [
        (i.kind, i.child_ref, i.facts) if isinstance(i, Intended) else (i.field, i.rule)
        for i in cin_census_records(children)
    ]
    assert got == want
    assert ("authorised_date", "date_format") in got and ("start_date", "duplicate_key") in got


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        (b"<Message><Header/></Message>", "structure"),
        (b"<Message><Children/></Message>", "structure"),
        (b"<Census><Header/><Children/></Census>", "structure"),
        (b"", "not_well_formed"),
        (b"PK\x03\x04 not xml", "not_well_formed"),
    ],
)
def test_a_census_without_its_structure_is_unreadable(document: bytes, rule: str) -> None:
    with pytest.raises(Unreadable) as refused:
        read(io.BytesIO(document))
    assert refused.value.rule == rule


def test_malformed_xml_is_unreadable_with_the_parsers_line_and_column() -> None:
    children = list(generate(seed=3, refs=child_refs(5)))
    out = io.BytesIO()
    write_cin_census(children, out, faults=Faults(malformed=True))
    document = out.getvalue()
    # the file breaks off inside the second child: `</ChildIdentifiers>` closes an open LAchildID
    line = document.count(b"\n", 0, document.rindex(b"</ChildIdentifiers>")) + 1
    with pytest.raises(Unreadable) as refused:
        read(io.BytesIO(document))
    assert refused.value.rule == "not_well_formed"
    assert refused.value.location.startswith(f"line {line}, column ")
    assert children[1].child_ref not in str(refused.value)


def test_a_billion_laughs_file_is_refused_before_any_record() -> None:
    items: list[ReadItem] = []
    with pytest.raises(Unreadable) as refused:
        items.extend(read_cin_census(io.BytesIO(BILLION_LAUGHS)))
    assert refused.value.rule == "dtd_forbidden"
    assert items == []
    assert "lol" not in str(refused.value)


def test_an_xxe_file_is_refused_and_the_local_file_appears_nowhere(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    document = xxe_census(str(secret))
    items: list[ReadItem] = []
    with pytest.raises(Unreadable) as refused:
        items.extend(read_cin_census(io.BytesIO(document)))
    assert refused.value.rule == "dtd_forbidden"
    assert items == []
    shown = " ".join([str(refused.value), refused.value.location, refused.value.message])
    assert "TOP-SECRET" not in shown


def test_an_xxe_in_the_children_without_a_doctype_is_not_resolved() -> None:
    # an entity reference with no DOCTYPE is undeclared: not well-formed, nothing read
    document = b"<Message><Header/><Children><Child><ChildIdentifiers><LAchildID>&xxe;</LAchildID></ChildIdentifiers></Child></Children></Message>"
    with pytest.raises(Unreadable) as refused:
        read(io.BytesIO(document))
    assert refused.value.rule == "not_well_formed"


def test_children_already_read_are_released_as_the_file_streams() -> None:
    # a reader that kept each Child would have every child read so far before the next one
    # (the parser reads ahead, so children still to come are in the tree too: not counted)
    from lxml import etree

    seen: list[int] = []
    original = etree.iterparse

    class Watching(original):  # type: ignore[misc,valid-type]
        def __next__(self):  # type: ignore[no-untyped-def]
            event, element = super().__next__()
            if event == "start" and etree.QName(element).localname == "Child":
                seen.append(len(list(element.itersiblings(preceding=True))))
            return event, element

    children = list(generate(seed=5, refs=child_refs(50)))
    out = io.BytesIO()
    write_cin_census(children, out)
    out.seek(0)
    monkey = pytest.MonkeyPatch()
    monkey.setattr(etree, "iterparse", Watching)
    try:
        list(read_cin_census(out))
    finally:
        monkey.undo()
    assert len(seen) == 50 and max(seen) <= 1
