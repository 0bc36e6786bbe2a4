"""Field types every audit-service body shares."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

from audit_service.domain.templates import QUESTION_ID_PATTERN, TEXT_ANSWER_MAX
from qaf_shared.http import schemas
from qaf_shared.text import StorableStr

# audit-service's OpenAPI has always described its staff ids.
StaffId = Annotated[schemas.StaffId, Field(description="A staff id.")]
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
