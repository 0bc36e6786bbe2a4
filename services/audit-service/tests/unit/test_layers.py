"""The layers of audit-service point one way (docs/architecture.md, "The shape of every service"): the
use cases, the rules and the SQL never import the HTTP layer, and the rules no I/O."""

from __future__ import annotations

from pathlib import Path

import pytest

import audit_service
from qaf_shared.testing.layers import imports_above

PACKAGE = Path(audit_service.__file__).parent


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("handlers/*.py", ("audit_service.api", "fastapi", "starlette")),
        (
            "domain/*.py",
            ("audit_service.api", "audit_service.handlers", "audit_service.repository"),
        ),
        ("domain/*.py", ("asyncpg", "fastapi", "starlette", "aiokafka")),
        ("repository/*.py", ("audit_service.api", "audit_service.handlers")),
        ("events.py", ("audit_service.api", "audit_service.handlers")),
    ],
)
def test_a_layer_imports_nothing_above_it(layer: str, forbidden: tuple[str, ...]) -> None:
    assert imports_above(PACKAGE, layer, forbidden) == set()
