"""The one CSV writer: every CSV a service produces goes through `write_csv`, which
neutralises cells a spreadsheet would run as a formula (OWASP "CSV injection").

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed
with a single quote, so Excel, LibreOffice and Google Sheets show it as text instead of
evaluating it (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3`). Such text reaches our CSVs from
configuration (org-unit codes) and from events (question ids, tenant codes), neither of
which a reader of the CSV controls or can see the origin of.

Numbers are written as numbers: the text of an int, float or Decimal holds only digits, a
sign, a point and an exponent, which a spreadsheet reads as that number and never as a
formula, so a change of -3 stays the number -3 (a quote would turn it into text and break
every sum over the column). Everything else (a string, a date, an enum) is text and is
neutralised, even a string such as "-3": its origin is text, and text is what the rule
protects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

# OWASP's list: the characters a spreadsheet takes as the start of a formula (tab and
# carriage return because some spreadsheets strip them and then see the next character).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell as it is safe to write: numbers and empty cells unchanged, text that could
    start a formula prefixed with `'`."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows (mappings by column name; other keys are not written) as CSV text with a header
    line, lines ending in `\n`; every cell, the header's included, goes through `neutralise`."""
    lines = [_line(columns)]
    lines.extend(_line([row.get(c) for c in columns]) for row in rows)
    return "".join(lines)


def _line(cells: Iterable[Any]) -> str:
    return ",".join(_field(neutralise(cell)) for cell in cells) + "\n"


def _field(value: Any) -> str:
    """RFC 4180 quoting, done here rather than by the csv module: with `\n` as the line end
    the module leaves a bare carriage return unquoted, which a reader takes for the end of
    the row (a cell could then start a row of its own making)."""
    if value is None:
        return ""
    text = str(value)
    if any(c in text for c in _QUOTE_IF):
        return '"' + text.replace('"', '""') + '"'
    return text


_QUOTE_IF = (",", '"', "\n", "\r")
