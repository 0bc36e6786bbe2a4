"""What every reader shares (domain/returns/reading.py): the progress of a read as bytes of
the file, and the readers' purity (docs/activity.md, "Returns")."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest

import activity_service.domain.returns as returns
from activity_service.domain.returns.cin_census import read_cin_census
from activity_service.domain.returns.reading import Counted, ReadRecord
from activity_service.domain.returns.ssda903 import read_ssda903
from qaf_shared.testing.activity_returns import (
    child_refs,
    generate,
    write_cin_census,
    write_ssda903,
)


def test_a_census_read_through_counted_reports_every_byte_and_reads_the_same() -> None:
    out = io.BytesIO()
    write_cin_census(generate(seed=4, refs=child_refs(300)), out)
    document = out.getvalue()
    counted = Counted(io.BytesIO(document))
    through = list(read_cin_census(counted))  # type: ignore[arg-type]
    assert counted.bytes_read == len(document)
    assert through == list(read_cin_census(io.BytesIO(document)))


def test_progress_grows_as_the_census_is_read_not_all_at_once() -> None:
    out = io.BytesIO()
    write_cin_census(generate(seed=4, refs=child_refs(3000)), out)
    counted = Counted(io.BytesIO(out.getvalue()))
    items = read_cin_census(counted)  # type: ignore[arg-type]
    next(items)
    assert 0 < counted.bytes_read < len(out.getvalue()) / 2


def test_a_table_read_through_counted_reports_every_byte() -> None:
    streams = {name: io.BytesIO() for name in ("header", "episodes", "reviews")}
    write_ssda903(generate(seed=5, refs=child_refs(500)), **streams)
    episodes = streams["episodes"].getvalue()
    counted = Counted(io.BytesIO(episodes))
    items = list(read_ssda903(header=None, episodes=counted, reviews=None))  # type: ignore[arg-type]
    assert items and all(isinstance(i, ReadRecord) for i in items)
    assert counted.bytes_read == len(episodes)


@pytest.mark.parametrize(
    "module", sorted(Path(returns.__file__).parent.glob("*.py")), ids=lambda p: p.name
)
def test_the_readers_do_no_io_beyond_the_stream_they_are_given(module: Path) -> None:
    imported: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    forbidden = ("asyncpg", "aiokafka", "fastapi", "starlette", "httpx", "socket", "urllib", "os",
                 "activity_service.api", "activity_service.handlers", "activity_service.repository")  # fmt: skip
    assert {name for name in imported if name.startswith(forbidden)} == set()
