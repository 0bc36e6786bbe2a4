"""Reports as flat CSV rows `{quarter, unit, unit_kind, measure, dimension, value}`: the
aggregates' rows, and a Deep Dive's figures with `Accept: text/csv` or a `.csv` suffix."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.responses import Response

from qaf_shared.csv_writer import write_csv

CSV_COLUMNS = ["quarter", "unit", "unit_kind", "measure", "dimension", "value"]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def unit_rows(
    quarter: str, kind: str, code: str, sections: dict[str, Any]
) -> Iterable[dict[str, Any]]:
    """One unit's Deep Dive sections as rows: a figure with dimensions gives one per dimension."""
    for section, fields in sections.items():
        for field, value in fields.items():
            if isinstance(value, dict):
                for dim, v in value.items():
                    yield {
                        "quarter": quarter,
                        "unit": code,
                        "unit_kind": kind,
                        "measure": f"{section}.{field}",
                        "dimension": dim,
                        "value": v,
                    }
            else:
                yield {
                    "quarter": quarter,
                    "unit": code,
                    "unit_kind": kind,
                    "measure": f"{section}.{field}",
                    "dimension": "",
                    "value": value,
                }


def csv_response(rows: Iterable[dict[str, Any]], filename: str) -> Response:
    # The one writer: it neutralises cells a spreadsheet would run as formulas.
    return Response(
        write_csv(CSV_COLUMNS, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
