"""The projections' version: which code folded a generation's events.

A generation keeps the figures its code counted when each event arrived. When what the
projections fold changes, the generation is stale, and the service rebuilds it by itself
(workers/auto_rebuild.py): each generation records the version it was built with
(`projection_state.projections_version`), and a replica whose code is newer rebuilds.

The version is a number that a change of the projections bumps, not a fingerprint of their
code: a fingerprint would rebuild on every refactor, speed-up or renamed variable (a rebuild
of years of events takes minutes), and it has no order, so during a rolling upgrade an old
replica and a new one would each rebuild the other's generation in turn. To catch a bump
forgotten in review, `SOURCES` is the fingerprint of the projection code this version was
reviewed at, and a unit test (tests/unit/projections/test_version.py) fails when the code
no longer matches it: whoever changed the projections says whether the figures change
(bump PROJECTIONS_VERSION) or not, and records the new fingerprint either way."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from collections.abc import Sequence
from typing import Final

# Bump when a change of FOLDING_MODULES changes what any event already applied would count,
# or adds a table that existing generations lack.
PROJECTIONS_VERSION: Final = 1

# The fingerprint of FOLDING_MODULES at PROJECTIONS_VERSION (sources_fingerprint()).
SOURCES: Final = "a1ec7607c52e2954d780ec401b9f1f651aabe10d25cdedacdfd9238ea439e3f8"

# What decides how an event is folded and where: the projections, the calendar rules they
# count periods and due dates with (bank holidays included), and the generation's tables (a
# table an existing generation lacks is filled only by a rebuild).
FOLDING_MODULES: Final = (
    "reporting_service.repository.generations",
    "reporting_service.projections",
    "reporting_service.projections.engine",
    "reporting_service.projections.activity",
    "reporting_service.projections.audits",
    "reporting_service.projections.escalations",
    "reporting_service.projections.feedback",
    "qaf_shared.months",
    "qaf_shared.quarters",
    "qaf_shared.working_days",
)


def sources_fingerprint(modules: Sequence[str] = FOLDING_MODULES) -> str:
    """sha256 over the syntax trees of `modules`, docstrings dropped: comments, docstrings
    and layout do not change it, any change of code does."""
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        with open(spec.origin, encoding="utf-8") as source:
            tree = ast.parse(source.read())
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (
                isinstance(body, list)
                and body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                body[0] = ast.Pass()
        digest.update(name.encode() + b"\0" + ast.dump(tree).encode() + b"\0")
    return digest.hexdigest()
