"""Feedback items: what each source carries, and answers to the configured question set."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from feedback_service.configuration import QuestionSets
from feedback_service.domain.feedback import (
    PROVIDER_SOURCES,
    QuestionSet,
    check_answers,
    check_item,
)
from feedback_service.settings import DEFAULT_QUESTION_SETS
from qaf_shared.enums import ConferenceType, FeedbackSource, PartnerType, Respondent
from qaf_shared.rules import FieldError

Source = FeedbackSource
KENT_CONFERENCE = (
    "report_shared_in_time",
    "felt_listened_to",
    "understood_concerns",
    "understood_plan",
    "able_to_bring_supporter",
)
QUESTIONS = QuestionSet({Source.CP_CONFERENCE: KENT_CONFERENCE})
TODAY = date(2026, 6, 1)


def fields(errors: list[FieldError]) -> list[str]:
    return [e.field for e in errors]


def item(source: Source = Source.CP_CONFERENCE, **changes: object) -> list[FieldError]:
    facts: dict[str, object] = {
        "source": source,
        "respondent": Respondent.PARENT if source is Source.CP_CONFERENCE else None,
        "partner_type": PartnerType.POLICE if source is Source.PARTNER else None,
        "conference_type": ConferenceType.INITIAL if source is Source.CP_CONFERENCE else None,
        "answers": {},
        "received_on": TODAY,
        "today": TODAY,
        "questions": QUESTIONS,
    }
    facts.update(changes)
    return check_item(**facts)  # type: ignore[arg-type]


class TestAnswers:
    def test_answers_to_every_question_of_the_set_from_1_to_5_are_right(self) -> None:
        answers = dict(zip(KENT_CONFERENCE, [1, 2, 3, 4, 5], strict=True))
        assert check_answers(Source.CP_CONFERENCE, answers, QUESTIONS) == []

    def test_an_unknown_question_is_named(self) -> None:
        errors = check_answers(Source.CP_CONFERENCE, {"liked_the_biscuits": 5}, QUESTIONS)
        assert fields(errors) == ["answers.liked_the_biscuits"]
        assert "felt_listened_to" in errors[0].message

    @pytest.mark.parametrize("value", [0, 6, -1, 2.5, True, "3", None])
    def test_an_answer_outside_1_to_5_or_not_a_whole_number_is_named(self, value: object) -> None:
        errors = check_answers(Source.CP_CONFERENCE, {"felt_listened_to": value}, QUESTIONS)
        assert fields(errors) == ["answers.felt_listened_to"]

    def test_a_source_without_a_question_set_takes_no_answers(self) -> None:
        assert fields(check_answers(Source.STAFF, {"felt_listened_to": 3}, QUESTIONS)) == [
            "answers"
        ]
        assert check_answers(Source.STAFF, {}, QUESTIONS) == []

    def test_kents_default_set_is_shipped_as_configuration_for_every_tenant(self) -> None:
        sets = QuestionSets(DEFAULT_QUESTION_SETS)
        for tenant in ("886", "887"):
            assert sets.for_tenant(tenant).questions(Source.CP_CONFERENCE) == KENT_CONFERENCE
        assert sets.for_tenant("886").questions(Source.ADVOCACY)

    def test_a_tenant_may_configure_its_own_set(self, tmp_path: Path) -> None:
        config = tmp_path / "sets.yaml"
        config.write_text(
            "default: {CP_CONFERENCE: [a_question]}\ntenants: {'887': {CP_CONFERENCE: [other]}}\n"
        )
        sets = QuestionSets(config)
        assert sets.for_tenant("886").questions(Source.CP_CONFERENCE) == ("a_question",)
        assert sets.for_tenant("887").questions(Source.CP_CONFERENCE) == ("other",)

    @pytest.mark.parametrize(
        "text",
        ["default: {NOT_A_SOURCE: [a]}", "default: {STAFF: [a, a]}", "default: {STAFF: [Bad-Id]}"],
    )
    def test_a_broken_configuration_fails_at_start_up(self, tmp_path: Path, text: str) -> None:
        config = tmp_path / "sets.yaml"
        config.write_text(text)
        with pytest.raises(ValueError):
            QuestionSets(config)


class TestSources:
    def test_conference_feedback_needs_its_respondent(self) -> None:
        assert fields(item(respondent=None)) == ["respondent"]

    def test_conference_feedback_may_leave_out_its_conference_type(self) -> None:
        assert item(conference_type=None) == []

    def test_partner_feedback_needs_the_partner_type_and_only_it_has_one(self) -> None:
        assert fields(item(Source.PARTNER, partner_type=None)) == ["partner_type"]
        assert fields(item(Source.STAFF, partner_type=PartnerType.HEALTH)) == ["partner_type"]

    def test_respondents_belong_to_conferences_and_reviews(self) -> None:
        assert item(Source.CIC_REVIEW, respondent=Respondent.YOUNG_PERSON) == []
        assert fields(item(Source.COMPLIMENT, respondent=Respondent.PARENT)) == ["respondent"]
        assert fields(item(Source.STAFF, conference_type=ConferenceType.REVIEW)) == [
            "conference_type"
        ]

    @pytest.mark.parametrize(
        "source", [s for s in Source if s not in (Source.COMPLAINT, Source.PARTNER)]
    )
    def test_every_source_but_complaints_is_recorded_directly(self, source: Source) -> None:
        assert item(source) == []

    def test_complaints_go_through_their_own_lifecycle(self) -> None:
        errors = item(Source.COMPLAINT)
        assert fields(errors) == ["source"] and "/v1/complaints" in errors[0].message

    def test_the_provider_submits_only_advocacy_and_independent_visitor_items(self) -> None:
        assert item(Source.ADVOCACY, allowed_sources=PROVIDER_SOURCES) == []
        assert fields(item(Source.STAFF, allowed_sources=PROVIDER_SOURCES)) == ["source"]

    def test_feedback_cannot_be_received_in_the_future_or_before_2000(self) -> None:
        assert fields(item(received_on=date(2026, 6, 2))) == ["received_on"]
        assert fields(item(received_on=date(1999, 12, 31))) == ["received_on"]
