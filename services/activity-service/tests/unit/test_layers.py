"""The layers of activity-service point one way (docs/architecture.md, "The shape of every
service"): the use cases, the rules, the SQL, the events and the load worker never import the
HTTP layer, and the rules (the return readers included) do no database, HTTP or broker I/O."""

from __future__ import annotations

from pathlib import Path

import pytest

import activity_service
from qaf_shared.testing.layers import imports_above

PACKAGE = Path(activity_service.__file__).parent
API, HANDLERS, REPOSITORY = (
    f"activity_service.{layer}" for layer in ("api", "handlers", "repository")
)


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("handlers/*.py", (API, "fastapi", "starlette")),
        ("domain/**/*.py", (API, HANDLERS, REPOSITORY, "activity_service.events")),
        ("domain/**/*.py", ("asyncpg", "fastapi", "starlette", "aiokafka", "httpx")),
        ("repository/*.py", (API, HANDLERS)),
        ("events.py", (API, HANDLERS)),
        ("workers/*.py", (API,)),
    ],
)
def test_a_layer_imports_nothing_above_it(layer: str, forbidden: tuple[str, ...]) -> None:
    assert imports_above(PACKAGE, layer, forbidden) == set()
