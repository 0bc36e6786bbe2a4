"""The projections' version is bumped (or deliberately not) whenever their code changes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reporting_service.projections.version import (
    PROJECTIONS_VERSION,
    SOURCES,
    sources_fingerprint,
)


def test_the_projection_code_is_the_code_its_version_was_reviewed_at() -> None:
    assert sources_fingerprint() == SOURCES, (
        "The projections (their tables, or the date rules they fold with) changed since"
        " PROJECTIONS_VERSION"
        f" {PROJECTIONS_VERSION} was reviewed. If any event already applied would now count"
        " differently, bump PROJECTIONS_VERSION (every deployment then rebuilds by itself);"
        " either way set SOURCES in projections/version.py to the new fingerprint,"
        f" {sources_fingerprint()}."
    )


FOLD = '''"""A fold."""

def contribute(value: int) -> int:
    """What a fact adds."""
    return value + 1
'''


@pytest.fixture
def module(tmp_path: Path) -> Iterator[Path]:
    """A module `fold_under_test` on the path, to be rewritten by the test."""
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path / "fold_under_test.py"
    finally:
        sys.path.remove(str(tmp_path))


def fingerprint_of(module: Path, source: str) -> str:
    module.write_text(source)
    return sources_fingerprint(["fold_under_test"])


def test_a_change_of_code_changes_the_fingerprint_and_comments_docstrings_or_layout_do_not(
    module: Path,
) -> None:
    original = fingerprint_of(module, FOLD)
    reworded = FOLD.replace('"""What a fact adds."""', '"""What one fact adds to its cells."""')
    commented = FOLD.replace("return value + 1", "return value + 1  # one for the fact itself")
    laid_out = FOLD.replace("value: int", "value:int").replace("\n\ndef", "\n\n\ndef")
    for same in (reworded, commented, laid_out):
        assert fingerprint_of(module, same) == original
    assert fingerprint_of(module, FOLD.replace("value + 1", "value + 2")) != original
    assert fingerprint_of(module, FOLD.replace("value + 1", "value - 1")) != original
