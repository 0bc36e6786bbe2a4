import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaf_shared.csv_writer import FORMULA_START, neutralise, write_csv


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    "cell",
    ["=1+1", '=HYPERLINK("http://x","y")', "+44", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "-3"],
)
def test_text_that_could_start_a_formula_is_written_as_text(cell: str) -> None:
    rows = _read(write_csv(["a"], [{"a": cell}]))
    assert rows[1] == ["'" + cell]


@pytest.mark.parametrize("number", [-3, -3.5, Decimal("-0.1"), 0, 12])
def test_a_number_stays_a_number_even_when_negative(number: object) -> None:
    rows = _read(write_csv(["a"], [{"a": number}]))
    assert rows[1] == [str(number)]


def test_ordinary_text_empty_cells_and_the_header_are_unchanged() -> None:
    text = write_csv(["unit", "value"], [{"unit": "ASH-CP1", "value": None}, {"unit": "c"}])
    assert _read(text) == [["unit", "value"], ["ASH-CP1", ""], ["c", ""]]


def test_a_formula_in_a_header_is_neutralised_too() -> None:
    assert _read(write_csv(["=x"], []))[0] == ["'=x"]


@given(st.text())
def test_no_text_cell_ever_reads_back_as_a_formula(text: str) -> None:
    # Whatever the text (commas, quotes, newlines included), the cell read back is the
    # text itself, or the text behind a quote when it could start a formula.
    # A second column: a one-column row of empty text reads back as no cells at all.
    cell, end = _read(write_csv(["a", "b"], [{"a": text, "b": "end"}]))[1]
    assert end == "end"
    assert not cell.startswith(FORMULA_START)
    assert cell == ("'" + text if text.startswith(FORMULA_START) else text)


def test_neutralise_leaves_numbers_alone_and_quotes_text() -> None:
    assert neutralise(-3) == -3
    assert neutralise("=A1") == "'=A1"
    assert neutralise(None) is None


def test_a_carriage_return_inside_a_cell_cannot_end_the_row() -> None:
    rows = _read(write_csv(["a", "b"], [{"a": "x\r=1+1", "b": "y"}]))
    assert rows == [["a", "b"], ["x\r=1+1", "y"]]
