"""The two refusals a service's rules raise, free of HTTP: a request that breaks a rule
about its fields (`RuleBroken`, answered 422 naming each field) and a step that does not
apply to the record as it stands (`StepNotAllowed`, answered 409). The app factory installs
their problem handlers once, for every service (`qaf_shared.http.problems`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple


class FieldError(NamedTuple):
    """One bad field: its dotted location (`body.due_date`) and what is wrong with it. A
    tuple, so that rules can build lists of `(field, message)` pairs."""

    field: str
    message: str


class RuleBroken(ValueError):
    """A well-formed request that breaks a rule pydantic cannot see, about one field
    (`RuleBroken(field, message)`) or several (`RuleBroken.on_fields(errors)`)."""

    def __init__(self, field: str, message: str, *more: FieldError) -> None:
        self.errors: tuple[FieldError, ...] = (FieldError(field, message), *more)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @classmethod
    def on_fields(cls, errors: Iterable[tuple[str, str]]) -> RuleBroken:
        """The rule errors of several fields at once (at least one)."""
        first, *more = (FieldError(field, message) for field, message in errors)
        return cls(first.field, first.message, *more)

    @property
    def field(self) -> str:
        """The first (often the only) field named."""
        return self.errors[0].field

    @property
    def message(self) -> str:
        return self.errors[0].message


def check_fields(errors: Sequence[tuple[str, str]], *, prefix: str | None = None) -> None:
    """Raise `RuleBroken` naming every field a rule found wrong; nothing when none was (at
    no cost: creates call it). `prefix` locates fields the rule named relative to it
    (`body` makes `answers.x` into `body.answers.x`)."""
    if errors:
        raise RuleBroken.on_fields(
            (f"{prefix}.{field}" if prefix else field, message) for field, message in errors
        )


class StepNotAllowed(Exception):
    """A lifecycle step that does not apply to the record's current state; the message says
    why (answered 409, as it is: it must name no person and carry no free text)."""
