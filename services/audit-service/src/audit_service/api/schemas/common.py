"""Field types every audit-service body shares."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from audit_service.domain.templates import QUESTION_ID_PATTERN, TEXT_ANSWER_MAX
from qaf_shared.http.auth import ACTOR_PATTERN
from qaf_shared.text import StorableStr

CaseRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9/\-_.]+$")]
StaffId = Annotated[str, Field(pattern=ACTOR_PATTERN, description="A staff id.")]
SectionId = Annotated[str, Field(pattern=QUESTION_ID_PATTERN)]
QuestionId = Annotated[str, Field(pattern=QUESTION_ID_PATTERN)]
# Free text (stored, never published in an event), by length; text PostgreSQL cannot store
# (NUL, unpaired surrogates) is a 422 here rather than a failure in the database.
Name = Annotated[StorableStr, Field(min_length=1, max_length=200)]
Paragraph = Annotated[StorableStr, Field(min_length=1, max_length=2000)]
Text = Annotated[StorableStr, Field(min_length=1, max_length=20000)]
Commentary = Annotated[StorableStr, Field(max_length=20000)]
# Checked against the question's kind in the audit's template version.
AnswerValue = StrictInt | Annotated[StorableStr, Field(max_length=TEXT_ANSWER_MAX)]
UnitCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9_\-]+$")]


class Strict(BaseModel):
    """A request body: unknown fields are refused, so a typo does not pass silently."""

    model_config = ConfigDict(extra="forbid")
