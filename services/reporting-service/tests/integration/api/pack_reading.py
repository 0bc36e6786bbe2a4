"""Reading the pack as a person or a program would: the figures of its HTML tables (each row
names its Deep Dive field in `data-figure`), the text of its PDF (poppler's pdftotext), and
the JSON figures they should be."""

from __future__ import annotations

import re
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from reporting_service.domain.pack import FUNNEL, label

SECTIONS = ("audits", "escalations", "feedback", "activity")
MARKS = "▲▼"


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """A Deep Dive's sections as dotted field -> figure (`audits.grades.GOOD`)."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out |= flatten(v, f"{prefix}.{k}" if prefix else k)
        return out
    return {prefix: node}


def figures_of(body: dict[str, Any]) -> dict[str, Any]:
    return flatten({s: body[s] for s in SECTIONS if s in body})


class Tables(HTMLParser):
    """The pack's figures: `rows[field]` is one dict per table row of that field (`now`,
    `previous`, `change`), `units[code][field]` the breakdown's, `captions[chart]` the text
    alternative of each chart."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.rows: dict[str, list[dict[str, str]]] = {}
        self.units: dict[str, dict[str, str]] = {}
        self.captions: dict[str, str] = {}
        self._row: dict[str, str] | None = None
        self._unit: str | None = None
        self._cell: tuple[str, str] | None = None  # (where, name)
        self._chart: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get("data-figure"):
            self._row = {}
            self.rows.setdefault(str(a["data-figure"]), []).append(self._row)
        elif tag == "tr" and a.get("data-unit"):
            self._unit = str(a["data-unit"])
            self.units[self._unit] = {}
        elif tag == "td" and self._row is not None and a.get("data-period"):
            self._cell, self._text = ("row", str(a["data-period"])), []
        elif tag == "td" and self._unit is not None and a.get("data-figure"):
            self._cell, self._text = ("unit", str(a["data-figure"])), []
        elif tag == "figure" and a.get("data-chart"):
            self._chart = str(a["data-chart"])
        elif tag == "figcaption" and self._chart:
            self._cell, self._text = ("caption", self._chart), []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._cell is None:
            if tag == "tr":
                self._row, self._unit = None, None
            return
        where, name = self._cell
        text = " ".join("".join(self._text).split())
        if tag == "td" and where == "row" and self._row is not None:
            self._row[name] = text
        elif tag == "td" and where == "unit" and self._unit is not None:
            self.units[self._unit][name] = text.split(" ")[0] if text else ""
        elif tag == "figcaption" and where == "caption":
            self.captions[name] = text
            self._chart = None
        else:
            return
        self._cell = None


def pdf_lines(document: bytes) -> list[str]:
    """The PDF's text laid out as printed, one normalised line per printed line."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pack.pdf"
        path.write_bytes(document)
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def row_printed(lines: list[str], name: str, now: Any, previous: Any) -> bool:
    """A table row `name  now  previous  [change]` is among the lines."""
    base = " ".join(str(x) for x in (name, now, previous) if x is not None and x != "")
    return any(
        line == base or (line.startswith(base + " ") and len(line[len(base) :].split()) == 1)
        for line in lines
    )


def unit_printed(lines: list[str], code: str, kind: str, values: list[Any]) -> bool:
    """A breakdown row: the unit's code (its kind may wrap to the next line) and its figures
    in order, with any stand-out marks."""
    want = [code, *(str(v) for v in values)]
    for line in lines:
        tokens = [t for t in line.replace(f"({kind})", " ").split() if t not in MARKS]
        if tokens == want:
            return True
    return False


def field_label(key: str) -> str:
    """The row's name in the pack: a field's label, or a dimension's."""
    _, rest = key.split(".", 1)
    if key.startswith("activity.funnel."):
        return dict(FUNNEL)[rest.split(".", 1)[1]]
    if "." in rest:
        return label(rest.split(".", 1)[1])
    return label(key)


def symbols_in(lines: list[str]) -> int:
    return sum(len(re.findall(r"(?<!\S)c(?!\S)", line)) for line in lines)
