"""The rules of a return's upload, free of I/O: the parts each kind is uploaded in, their
media types and size limits, and the collection year."""

from __future__ import annotations

import pytest

from activity_service.domain.kinds import Source
from activity_service.domain.loads import (
    CIN_CENSUS_LIMIT,
    CSV_TYPES,
    OTHER_LIMIT,
    XLSX_TYPES,
    XML_TYPES,
    media_types,
    parts_problem,
    read_kind,
    read_year,
    size_limit,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_census_file_may_be_256_mib_and_any_other_file_64() -> None:
    assert size_limit(Source.CIN_CENSUS, "file") == CIN_CENSUS_LIMIT == 256 * 1024 * 1024
    assert size_limit(Source.ANNEX_A, "file") == OTHER_LIMIT == 64 * 1024 * 1024
    for part in ("header", "episodes", "reviews", "list_3", "list_8"):
        assert size_limit(Source.SSDA903, part) == size_limit(None, part) == OTHER_LIMIT
    # before the form has named its kind, a `file` may yet be a census
    assert size_limit(None, "file") == CIN_CENSUS_LIMIT


def test_each_part_takes_its_formats_media_types_and_octet_stream() -> None:
    assert media_types(Source.CIN_CENSUS, "file") == XML_TYPES
    assert media_types(Source.ANNEX_A, "file") == XLSX_TYPES
    assert media_types(None, "file") == XML_TYPES | XLSX_TYPES
    assert media_types(Source.SSDA903, "episodes") == media_types(Source.ANNEX_A, "list_4")
    assert media_types(Source.SSDA903, "episodes") == CSV_TYPES
    assert {"application/xml", "text/xml", "application/octet-stream"} == XML_TYPES
    assert {"text/csv", "application/csv", "application/octet-stream"} == CSV_TYPES
    assert XLSX in XLSX_TYPES and XLSX not in XML_TYPES and "text/xml" not in CSV_TYPES


@pytest.mark.parametrize(
    ("written", "year"),
    [("FY2025", 2025), (" FY2023 ", 2023), ("2025", None), ("FY25", None), ("fy2025", None),
     ("FY2025Q1", None), ("FY1999", None)],
)  # fmt: skip
def test_a_year_is_written_fy_and_the_year_it_starts_in(written: str, year: int | None) -> None:
    assert read_year(written) == year


def test_the_kinds_are_the_three_returns_and_not_rest() -> None:
    assert [read_kind(k) for k in ("CIN_CENSUS", "SSDA903", "ANNEX_A")] == [
        Source.CIN_CENSUS,
        Source.SSDA903,
        Source.ANNEX_A,
    ]
    assert read_kind("REST") is None and read_kind("cin_census") is None


@pytest.mark.parametrize(
    ("kind", "parts", "fits"),
    [
        (Source.CIN_CENSUS, {"file"}, True),
        (Source.CIN_CENSUS, set(), False),
        (Source.CIN_CENSUS, {"file", "episodes"}, False),
        (Source.SSDA903, {"header", "episodes", "reviews"}, True),
        (Source.SSDA903, {"reviews"}, True),
        (Source.SSDA903, {"header"}, False),
        (Source.SSDA903, {"file"}, False),
        (Source.ANNEX_A, {"file"}, True),
        (Source.ANNEX_A, {"list_3", "list_8"}, True),
        (Source.ANNEX_A, {"file", "list_3"}, False),
        (Source.ANNEX_A, set(), False),
        (Source.ANNEX_A, {"list_9"}, False),
    ],
)
def test_each_kind_is_uploaded_in_its_own_parts(kind: Source, parts: set[str], fits: bool) -> None:
    assert (parts_problem(kind, parts) is None) is fits
