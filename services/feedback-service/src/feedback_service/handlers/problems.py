"""The problem documents the use cases refuse with, for rules pydantic cannot see."""

from __future__ import annotations

from collections.abc import Sequence

from feedback_service.domain.feedback import FieldError
from qaf_shared.http.problems import Problem


def invalid(errors: Sequence[FieldError], prefix: str = "body") -> Problem:
    """A 422 naming every bad field."""
    listed = [
        {"field": f"{prefix}.{e.field}", "message": e.message, "type": "value_error"}
        for e in errors
    ]
    detail = "; ".join(f"{item['field']}: {item['message']}" for item in listed)
    return Problem(422, detail, slug="validation", errors=listed)


def check(errors: Sequence[FieldError]) -> None:
    """Refuse with 422 when a rule found anything wrong."""
    if errors:
        raise invalid(errors)
