"""Feedback items, free of I/O: which facts each source carries, and answers to the tenant's
configured question sets (docs/domain.md, Feedback)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from qaf_shared.dates import EARLIEST_DATE, date_errors
from qaf_shared.enums import ConferenceType, FeedbackSource, PartnerType, Respondent
from qaf_shared.rules import FieldError

Source = FeedbackSource

ANSWER_MIN, ANSWER_MAX = 1, 5

# Complaints follow their own statutory lifecycle (POST /v1/complaints) and are counted
# apart from feedback items; the provider submits only what it is commissioned for.
DIRECT_SOURCES = frozenset(s for s in Source if s is not Source.COMPLAINT)
PROVIDER_SOURCES = frozenset({Source.ADVOCACY, Source.INDEPENDENT_VISITOR})
RESPONDENT_SOURCES = frozenset({Source.CP_CONFERENCE, Source.CIC_REVIEW})


@dataclass(frozen=True)
class QuestionSet:
    """The question ids a tenant asks for each source (answers on a 1-5 scale)."""

    by_source: Mapping[FeedbackSource, tuple[str, ...]]

    def questions(self, source: FeedbackSource) -> tuple[str, ...]:
        return self.by_source.get(source, ())


def check_answers(
    source: FeedbackSource, answers: Mapping[str, object], questions: QuestionSet
) -> list[FieldError]:
    """Every answer names a question of the source's set and is a whole number 1-5."""
    if not answers:
        return []
    asked = questions.questions(source)
    if not asked:
        return [FieldError("answers", f"the tenant asks no questions for {source.value}")]
    errors = []
    for question, value in answers.items():
        field = f"answers.{question}"
        if question not in asked:
            errors.append(
                FieldError(field, f"unknown question for {source.value}; asked: {', '.join(asked)}")
            )
        elif (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not ANSWER_MIN <= value <= ANSWER_MAX
        ):
            errors.append(
                FieldError(field, f"must be a whole number from {ANSWER_MIN} to {ANSWER_MAX}")
            )
    return errors


def check_item(
    *,
    source: FeedbackSource,
    respondent: Respondent | None,
    partner_type: PartnerType | None,
    conference_type: ConferenceType | None,
    answers: Mapping[str, object],
    received_on: date,
    today: date,
    questions: QuestionSet,
    allowed_sources: frozenset[FeedbackSource] = DIRECT_SOURCES,
) -> list[FieldError]:
    """All that is wrong with a feedback item (empty when it is right)."""
    if source not in allowed_sources:
        why = (
            "complaints are recorded through POST /v1/complaints"
            if source is Source.COMPLAINT
            else f"must be one of {', '.join(sorted(s.value for s in allowed_sources))}"
        )
        return [FieldError("source", why)]
    errors: list[FieldError] = []
    if source is Source.CP_CONFERENCE:
        # `conference_type` is optional (the service's README): an item without it counts as
        # any other; what breaks feedback down by conference type shows it as not recorded.
        if respondent is None:
            errors.append(FieldError("respondent", "is required for CP_CONFERENCE feedback"))
    else:
        if conference_type is not None:
            errors.append(FieldError("conference_type", "applies only to CP_CONFERENCE feedback"))
        if respondent is not None and source not in RESPONDENT_SOURCES:
            errors.append(
                FieldError("respondent", "applies only to CP_CONFERENCE or CIC_REVIEW feedback")
            )
    if source is Source.PARTNER and partner_type is None:
        errors.append(FieldError("partner_type", "is required for PARTNER feedback"))
    if source is not Source.PARTNER and partner_type is not None:
        errors.append(FieldError("partner_type", "applies only to PARTNER feedback"))
    errors.extend(check_answers(source, answers, questions))
    errors.extend(date_errors("received_on", received_on, today=today, not_before=EARLIEST_DATE))
    return errors
