"""Field types the escalation-service bodies share."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

from qaf_shared.dates import EARLIEST_DATE
from qaf_shared.text import StorableStr

# Free text: something other than blanks, and storable (no NUL, no unpaired surrogates).
_NOT_BLANK = r"\S"
Text = Annotated[StorableStr, Field(min_length=1, max_length=10_000, pattern=_NOT_BLANK)]
Reason = Annotated[StorableStr, Field(min_length=1, max_length=2_000, pattern=_NOT_BLANK)]


def _not_too_early(day: date) -> date:
    if day < EARLIEST_DATE:
        raise ValueError(f"must not be before {EARLIEST_DATE.isoformat()}")
    return day


BusinessDate = Annotated[
    date,
    AfterValidator(_not_too_early),
    Field(description="A date from 2000-01-01, never in the future."),
]
