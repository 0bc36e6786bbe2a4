"""Audit templates: versioned sections and questions, and the rules an audit's answers and
section grades must keep. Pure: templates are parsed from configuration elsewhere."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qaf_shared.enums import Grade

QUESTION_ID_PATTERN = r"^[a-z0-9_]{1,64}$"
TEXT_ANSWER_MAX = 4000


class AnswerKind(StrEnum):
    YES_NO_NA = "YES_NO_NA"
    COMPLIANCE = "COMPLIANCE"
    GRADE = "GRADE"
    SCALE = "SCALE"  # a whole number from 0 to 10
    TEXT = "TEXT"


YES_NO_NA = ("YES", "NO", "N/A")
COMPLIANCE = ("COMPLIANT", "PARTIALLY_COMPLIANT", "NOT_COMPLIANT")
SCALE_MIN, SCALE_MAX = 0, 10

Identifier = Annotated[str, Field(pattern=QUESTION_ID_PATTERN)]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(_Config):
    id: Identifier
    text: str = Field(min_length=1)
    kind: AnswerKind
    required: bool = False


class Section(_Config):
    id: Identifier
    title: str = Field(min_length=1)
    # A graded section takes a grade in `section_grades` on submission.
    graded: bool = True
    questions: tuple[Question, ...] = Field(min_length=1)


class Template(_Config):
    id: Annotated[str, Field(pattern=r"^[a-z0-9\-]{1,64}$")]
    version: int = Field(ge=1)
    name: str = Field(min_length=1)
    sections: tuple[Section, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Template:
        sections = [s.id for s in self.sections]
        questions = [q.id for s in self.sections for q in s.questions]
        for kind, ids in (("section", sections), ("question", questions)):
            repeated = {i for i in ids if ids.count(i) > 1}
            if repeated:
                raise ValueError(f"{kind} ids repeat: {sorted(repeated)}")
        return self

    def question(self, question_id: str) -> Question | None:
        for section in self.sections:
            for question in section.questions:
                if question.id == question_id:
                    return question
        return None

    def graded_sections(self) -> frozenset[str]:
        return frozenset(s.id for s in self.sections if s.graded)


FieldError = tuple[str, str]
"""(field, message): a field named as in problem documents, e.g. `body.answers.seen_alone`."""


def answer_error(question: Question, value: Any) -> str | None:
    """Why `value` is no answer to `question`, or None when it is one."""
    if question.kind is AnswerKind.SCALE:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"a whole number from {SCALE_MIN} to {SCALE_MAX}"
        if not SCALE_MIN <= value <= SCALE_MAX:
            return f"a whole number from {SCALE_MIN} to {SCALE_MAX}"
        return None
    if not isinstance(value, str):
        return "a string"
    allowed: tuple[str, ...] | None = {
        AnswerKind.YES_NO_NA: YES_NO_NA,
        AnswerKind.COMPLIANCE: COMPLIANCE,
        AnswerKind.GRADE: tuple(Grade),
    }.get(question.kind)
    if allowed is not None and value not in allowed:
        return "one of " + ", ".join(allowed)
    if question.kind is AnswerKind.TEXT and not 1 <= len(value) <= TEXT_ANSWER_MAX:
        return f"text of 1 to {TEXT_ANSWER_MAX} characters"
    return None


def draft_errors(
    template: Template,
    *,
    answers: dict[str, Any],
    section_grades: dict[str, Any],
    prefix: str = "body",
) -> list[FieldError]:
    """What is wrong with answers and section grades whatever their completeness: unknown
    questions or sections, and answers of the wrong kind."""
    errors: list[FieldError] = []
    for question_id, value in answers.items():
        question = template.question(question_id)
        if question is None:
            errors.append(
                (
                    f"{prefix}.answers.{question_id}",
                    f"no such question in template {template.id} v{template.version}",
                )
            )
            continue
        why = answer_error(question, value)
        if why is not None:
            errors.append((f"{prefix}.answers.{question_id}", f"must be {why}"))
    graded = template.graded_sections()
    for section_id in section_grades:
        if section_id not in graded:
            errors.append(
                (
                    f"{prefix}.section_grades.{section_id}",
                    f"no graded section of that id in template {template.id} v{template.version}",
                )
            )
    return errors


def submission_errors(
    template: Template, *, answers: dict[str, Any], section_grades: dict[str, Any]
) -> list[FieldError]:
    """A submission's errors: the draft's, and every required question unanswered."""
    errors = draft_errors(template, answers=answers, section_grades=section_grades)
    for section in template.sections:
        for question in section.questions:
            if question.required and question.id not in answers:
                errors.append((f"body.answers.{question.id}", "required by the template"))
    return errors
