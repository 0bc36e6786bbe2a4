"""The field types and base models more than one resource's bodies use."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from feedback_service.configuration import QUESTION_ID_PATTERN
from qaf_shared.text import StorableStr

QuestionId = Annotated[str, Field(pattern=QUESTION_ID_PATTERN)]
Answer = Annotated[int, Field(strict=True, ge=1, le=5, description="1 (worst) to 5 (best)")]
Answers = Annotated[
    dict[QuestionId, Answer],
    Field(max_length=50, description="question id -> answer; the tenant's question set"),
]
Comment = Annotated[
    StorableStr, Field(max_length=5000, description="Free text; never leaves this service")
]


class Unit(BaseModel):
    area: str | None
    district: str | None
    team: str | None
    service: str | None
