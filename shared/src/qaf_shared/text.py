"""Text that PostgreSQL can store. JSON allows NUL characters and unpaired surrogates
(`"\\u0000"`, `"\\ud800"`); a `text` or `jsonb` column refuses both, and asyncpg cannot even
encode the second, so either one would surface as a 500 rather than a 422."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def check_storable(value: str) -> str:
    """A validator: the value unchanged, or ValueError naming what is wrong with it."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no unpaired surrogates)") from None
    return value


StorableStr = Annotated[str, AfterValidator(check_storable)]
"""A `str` field for free text that will be stored (comments, commentary, detail)."""


def storable(value: str) -> str:
    """The value with anything unstorable replaced: for echoing what a caller sent (an id in
    an error report), never for data the caller meant."""
    return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
