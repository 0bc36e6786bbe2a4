"""The reference files are checked whole: every bad case is refused naming its row and
column, and no message repeats what the file held."""

from __future__ import annotations

import pytest

from qaf_shared.rules import RuleBroken
from reporting_service.domain.benchmark_files import (
    MAX_ERRORS,
    read_neighbours,
    read_values,
)
from reporting_service.domain.benchmarks import AreaLevel

HEAD = "year,area_code,area_level,measure,value\n"
GOOD = "2024,886,LA,re_referrals_12m_pct,21.5\n"
SECRET = "Q7SECRET"  # put where a value goes wrong: must never come back


def refused(body: str | bytes, reader: str = "values") -> dict[str, str]:
    data = body.encode() if isinstance(body, str) else body
    with pytest.raises(RuleBroken) as caught:
        if reader == "values":
            read_values(data, latest_year=2026)
        else:
            read_neighbours(data)
    errors = {e.field: e.message for e in caught.value.errors}
    assert all(SECRET not in f and SECRET not in m for f, m in errors.items())
    return errors


def test_a_good_file_reads_with_symbols_any_heading_case_and_a_bom() -> None:
    body = (
        "\ufeffYear, Area_Code ,AREA_LEVEL,measure,value\n"
        "2024,E92000001,england,re_referrals_12m_pct,22\n"
        "2024,E12000008,REGION,re_referrals_12m_pct,c\n"
        "2024,886,LA,visits_on_time_pct.CLA,100\n"
        "\n"
        "2025,887,LA,cp_open_2y_plus_at_end,1234.5\n"
    )
    rows = read_values(body.encode(), latest_year=2026)
    assert [(r.year, r.area_level, r.value, r.symbol) for r in rows] == [
        (2024, AreaLevel.ENGLAND, 22.0, None),
        (2024, AreaLevel.REGION, None, "c"),
        (2024, AreaLevel.LA, 100.0, None),
        (2025, AreaLevel.LA, 1234.5, None),
    ]


def test_a_file_that_is_not_utf8_is_refused() -> None:
    assert refused(HEAD.encode() + b"2024,886,LA,re_referrals_12m_pct,\xff\n") == {
        "body": "the file is not UTF-8 text"
    }


def test_an_empty_file_and_a_file_of_headings_alone_are_refused() -> None:
    assert "row 1" in refused("")
    assert refused(HEAD) == {"body": "the file has headings but no rows"}


def test_missing_unknown_and_repeated_headings_are_named() -> None:
    errors = refused(f"year,area_code,{SECRET},measure,measure\n2024,886,LA,x,1\n")
    assert set(errors) == {"row 1.column 3", "row 1.area_level", "row 1.value", "row 1.measure"}


def test_a_row_with_the_wrong_number_of_cells_is_named() -> None:
    assert set(refused(HEAD + GOOD + "2024,886,LA\n")) == {"row 3.row"}


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (f"{SECRET},886,LA,re_referrals_12m_pct,1", "year"),
        ("1999,886,LA,re_referrals_12m_pct,1", "year"),
        ("2027,886,LA,re_referrals_12m_pct,1", "year"),
        ("2024.5,886,LA,re_referrals_12m_pct,1", "year"),
        (f"2024,886,{SECRET},re_referrals_12m_pct,1", "area_level"),
        ("2024,8860,LA,re_referrals_12m_pct,1", "area_code"),
        (f"2024,{SECRET}!,REGION,re_referrals_12m_pct,1", "area_code"),
        (f"2024,886,LA,{SECRET},1", "measure"),
        ("2024,886,LA,referrals,1", "measure"),  # a count of work has no direction
        (f"2024,886,LA,re_referrals_12m_pct,{SECRET}", "value"),
        ("2024,886,LA,re_referrals_12m_pct,100.1", "value"),
        ("2024,886,LA,re_referrals_12m_pct,-0.5", "value"),
        ("2024,886,LA,re_referrals_12m_pct,NaN", "value"),
        ("2024,886,LA,cp_open_2y_plus_at_end,Infinity", "value"),
        ("2024,886,LA,re_referrals_12m_pct,", "value"),
    ],
)
def test_each_bad_cell_is_named_by_row_and_column(row: str, column: str) -> None:
    assert set(refused(HEAD + GOOD + row + "\n")) == {f"row 3.{column}"}


def test_a_figure_given_twice_is_refused_at_its_second_row() -> None:
    errors = refused(HEAD + GOOD + "2024,886,LA,re_referrals_12m_pct,30\n")
    assert errors == {"row 3.row": "gives the same figure as row 2"}


def test_england_has_one_figure_per_year_and_measure_whatever_its_code() -> None:
    body = HEAD + "2024,E92000001,ENGLAND,re_referrals_12m_pct,22\n"
    assert set(refused(body + "2024,ENG,ENGLAND,re_referrals_12m_pct,23\n")) == {"row 3.row"}


def test_every_error_is_found_and_the_list_is_capped() -> None:
    bad = "".join(f"2024,886,LA,re_referrals_12m_pct,{SECRET}\n" for _ in range(MAX_ERRORS + 5))
    with pytest.raises(RuleBroken) as caught:
        read_values((HEAD + bad).encode(), latest_year=2026)
    assert len(caught.value.errors) == MAX_ERRORS


NHEAD = "la_code,rank,neighbour_la_code\n"


def test_a_good_neighbour_file_reads() -> None:
    rows = read_neighbours((NHEAD + "886,2,845\n886,1,881\n887,1,866\n").encode())
    assert [(r.la_code, r.rank, r.neighbour_la_code) for r in rows] == [
        ("886", 2, "845"),
        ("886", 1, "881"),
        ("887", 1, "866"),
    ]


@pytest.mark.parametrize(
    ("rows", "errors"),
    [
        (f"{SECRET},1,881\n", {"row 2.la_code"}),
        ("886,1,88\n", {"row 2.neighbour_la_code"}),
        ("886,1,886\n", {"row 2.neighbour_la_code"}),
        ("886,0,881\n", {"row 2.rank"}),
        (f"886,{SECRET},881\n", {"row 2.rank"}),
        ("886,1,881\n886,1,845\n", {"row 3.rank"}),
        ("886,1,881\n886,2,881\n", {"row 3.neighbour_la_code"}),
        ("886,1,881\n886,3,845\n", {"row 3.rank"}),
        ("886,1,881\n886,1,881\n", {"row 3.rank"}),
    ],
)
def test_each_bad_neighbour_row_is_named(rows: str, errors: set[str]) -> None:
    assert set(refused(NHEAD + rows, "neighbours")) == errors


def test_a_neighbour_file_of_headings_alone_or_other_headings_is_refused() -> None:
    assert refused(NHEAD, "neighbours") == {"body": "the file has headings but no rows"}
    assert "row 1.rank" in refused("la_code,neighbour_la_code\n886,881\n", "neighbours")
