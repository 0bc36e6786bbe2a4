"""The service's shape (docs/architecture.md): a write only ever goes down a layer, so nothing below the
api imports it, and the domain does no I/O."""

from __future__ import annotations

from pathlib import Path

import pytest

import feedback_service
from qaf_shared.testing.layers import imports_of

PACKAGE = Path(feedback_service.__file__).parent


def _modules(*parts: str) -> list[Path]:
    target = PACKAGE.joinpath(*parts)
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


BELOW_THE_API = [
    *_modules("handlers"),
    *_modules("domain"),
    *_modules("repository"),
    *_modules("events.py"),
]


@pytest.mark.parametrize("module", BELOW_THE_API, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_below_the_api_imports_it(module: Path) -> None:
    upward = {
        name
        for name in imports_of(module)
        if name == "feedback_service.api" or name.startswith("feedback_service.api.")
    }
    assert not upward


@pytest.mark.parametrize("module", _modules("domain"), ids=lambda p: p.name)
def test_the_domain_does_no_io_and_knows_no_other_layer(module: Path) -> None:
    io = {"asyncpg", "fastapi", "starlette", "aiokafka", "yaml"}
    layers = ("api", "handlers", "repository", "events")
    imported = imports_of(module)
    assert not {name for name in imported if name.split(".")[0] in io}
    assert not {
        name
        for name in imported
        if any(name.startswith(f"feedback_service.{layer}") for layer in layers)
    }


def test_the_routes_write_no_sql() -> None:
    for module in _modules("api"):
        text = module.read_text()
        for keyword in ("INSERT INTO", "UPDATE ", "SELECT ", " WHERE "):
            assert keyword not in text, f"{module.name} holds SQL ({keyword.strip()})"
