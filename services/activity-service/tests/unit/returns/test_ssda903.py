"""The SSDA903 reader: episodes and reviews read from the DfE's tables, per-row errors, and
tables refused whole (docs/activity.md, "Returns")."""

from __future__ import annotations

import io
from datetime import date

import pytest

from activity_service.domain.kinds import Kind
from activity_service.domain.returns.reading import ReadError, ReadItem, ReadRecord, Unreadable
from activity_service.domain.returns.ssda903 import COLUMNS, read_ssda903
from qaf_shared.testing.activity_returns import (
    child_refs,
    generate,
    ssda903_records,
    write_ssda903,
)

HEADER = ",".join(COLUMNS["header"]) + "\nC1,1,01/01/2015,WBRI,,,\n"
EPISODES = ",".join(COLUMNS["episodes"])
REVIEWS = ",".join(COLUMNS["reviews"])


def table(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def episodes(*rows: str, heading: str = EPISODES) -> list[ReadItem]:
    return list(
        read_ssda903(header=None, episodes=table("\n".join([heading, *rows])), reviews=None)
    )


def test_an_episode_and_a_review_read_with_their_facts_and_rows() -> None:
    items = list(
        read_ssda903(
            header=table(HEADER),
            episodes=table(EPISODES + "\nC1,01/05/2025,S,C2,N1,U4,PR1,2025-08-01,X1,,,,\n"),
            reviews=table(REVIEWS + "\nC1,01/01/2015,20/05/2025,PN1\n"),
        )
    )
    assert items == [
        ReadRecord(
            "episodes row 1",
            Kind.CARE_EPISODE,
            "C1",
            {
                "start_date": date(2025, 5, 1),
                "reason_new_episode": "S",
                "legal_status": "C2",
                "cin_category": "N1",
                "placement": "U4",
                "end_date": date(2025, 8, 1),
                "reason_ceased": "X1",
            },
        ),
        ReadRecord(
            "reviews row 1",
            Kind.CARE_REVIEW,
            "C1",
            {"review_date": date(2025, 5, 20), "pn_code": "PN1"},
        ),
    ]


def test_headings_match_case_insensitively_trimmed_in_any_order_with_extra_columns_and_a_bom() -> (
    None
):
    heading = "\ufeff  urn ,EXTRA," + ",".join(reversed(COLUMNS["episodes"][:-1])).lower()
    row = (
        ","
        + "x,"
        + ",".join(reversed(["C1", "01/05/2025", "S", "C2", "N1", "U4", "", "", "", "", "", ""]))
    )
    [item] = episodes(row, heading=heading)
    assert isinstance(item, ReadRecord)
    assert item.facts["start_date"] == date(2025, 5, 1) and item.facts["placement"] == "U4"


@pytest.mark.parametrize("missing", ["CHILD", "DECOM", "REC", "URN"])
def test_a_table_without_a_dfe_column_is_unreadable_naming_it(missing: str) -> None:
    heading = ",".join(c for c in COLUMNS["episodes"] if c != missing)
    with pytest.raises(Unreadable) as refused:
        episodes(heading=heading)
    assert refused.value.rule == "missing_column"
    assert missing in refused.value.message


def test_a_header_table_that_is_not_the_dfes_is_unreadable() -> None:
    with pytest.raises(Unreadable) as refused:
        list(read_ssda903(header=table("CHILD,NAME\nC1,x\n"), episodes=None, reviews=None))
    assert refused.value.rule == "missing_column"


def test_a_table_that_is_not_utf8_text_is_unreadable() -> None:
    with pytest.raises(Unreadable) as refused:
        list(read_ssda903(header=None, episodes=io.BytesIO(b"\xff\xfe\x00\x01"), reviews=None))
    assert refused.value.rule == "encoding"


@pytest.mark.parametrize("written", ["2025-05-01", "01/05/2025"])
def test_dates_are_dfe_style_or_iso(written: str) -> None:
    [item] = episodes(f"C1,{written},S,C2,N1,U4,,,,,,,")
    assert isinstance(item, ReadRecord) and item.facts["start_date"] == date(2025, 5, 1)


@pytest.mark.parametrize(
    "written", ["1/5/2025", "01-05-2025", "05/01/25", "2025/05/01", "31/02/2025"]
)
def test_a_date_in_another_format_refuses_the_row_without_echoing_it(written: str) -> None:
    [item] = episodes(f"C1,{written},S,C2,N1,U4,,,,,,,")
    assert item == ReadError("episodes row 1", "start_date", "date_format", item.message)  # type: ignore[union-attr]
    assert written not in item.message  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (",01/05/2025,S,C2,N1,U4,,,,,,,", "child_ref"),
        ("C1,01/05/2025,,C2,N1,U4,,,,,,,", "reason_new_episode"),
        ("C1,01/05/2025,S,,N1,U4,,,,,,,", "legal_status"),
        ("C1,01/05/2025,S,C2, ,U4,,,,,,,", "cin_category"),
        ("C1,01/05/2025,S,C2,N1,,,,,,,,", "placement"),
        ("C1,,S,C2,N1,U4,,,,,,,", "start_date"),
    ],
)
def test_an_empty_column_the_episode_needs_refuses_the_row(row: str, field: str) -> None:
    [item] = episodes(row)
    assert isinstance(item, ReadError) and (item.field, item.rule) == (field, "required")


def test_the_same_episode_twice_in_a_table_is_refused_after_the_first() -> None:
    row = "C1,01/05/2025,S,C2,N1,U4,,,,,,,"
    items = episodes(
        row, "C2,01/05/2025,S,C2,N1,U4,,,,,,,", row.replace("01/05/2025", "2025-05-01")
    )
    assert [type(i) for i in items] == [ReadRecord, ReadRecord, ReadError]
    assert (items[2].location, items[2].rule) == ("episodes row 3", "duplicate_key")  # type: ignore[union-attr]


def test_blank_lines_are_skipped_but_counted() -> None:
    items = episodes("C1,01/05/2025,S,C2,N1,U4,,,,,,,", ",,,,", "C1,01/06/2025,P,C2,N1,U4,,,,,,,")
    assert [i.location for i in items] == ["episodes row 1", "episodes row 3"]


def test_generated_tables_read_back_as_exactly_the_intended_records() -> None:
    children = list(generate(seed=903, refs=child_refs(1500)))
    streams = {name: io.BytesIO() for name in ("header", "episodes", "reviews")}
    write_ssda903(children, **streams)
    for stream in streams.values():
        stream.seek(0)
    got = [(i.kind, i.child_ref, i.facts) for i in read_ssda903(**streams)]  # type: ignore[union-attr]
    want = [(i.kind, i.child_ref, i.facts) for i in ssda903_records(children)]
    assert got == want
    assert {k for k, _, _ in got} == {Kind.CARE_EPISODE, Kind.CARE_REVIEW}
