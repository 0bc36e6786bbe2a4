"""Audit templates: answers are checked by kind, and a submission against its template
version is complete."""

from __future__ import annotations

from typing import Any

import pytest

from audit_service.domain.templates import (
    AnswerKind,
    Question,
    Section,
    Template,
    answer_error,
    draft_errors,
    submission_errors,
)


def q(kind: AnswerKind, qid: str = "q", required: bool = False) -> Question:
    return Question(id=qid, text="?", kind=kind, required=required)


TEMPLATE = Template(
    id="test",
    version=1,
    name="Test",
    sections=(
        Section(
            id="first",
            title="First",
            questions=(
                q(AnswerKind.YES_NO_NA, "seen", required=True),
                q(AnswerKind.SCALE, "score"),
            ),
        ),
        Section(id="notes", title="Notes", graded=False, questions=(q(AnswerKind.TEXT, "note"),)),
    ),
)


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (AnswerKind.YES_NO_NA, ["YES", "NO", "N/A"], ["yes", "MAYBE", 1, True]),
        (
            AnswerKind.COMPLIANCE,
            ["COMPLIANT", "PARTIALLY_COMPLIANT", "NOT_COMPLIANT"],
            ["YES", 3],
        ),
        (
            AnswerKind.GRADE,
            ["OUTSTANDING", "GOOD", "REQUIRES_IMPROVEMENT", "INADEQUATE"],
            ["EXCELLENT", 1],
        ),
        (AnswerKind.SCALE, [0, 5, 10], [-1, 11, "5", True, 2.5]),
        (AnswerKind.TEXT, ["x", "a" * 4000], ["", "a" * 4001, 7]),
    ],
)
def test_each_answer_kind_takes_its_values_only(
    kind: AnswerKind, good: list[Any], bad: list[Any]
) -> None:
    question = q(kind)
    assert [answer_error(question, v) for v in good] == [None] * len(good)
    assert all(answer_error(question, v) for v in bad)


def test_a_draft_names_unknown_questions_wrong_kinds_and_ungraded_sections() -> None:
    errors = draft_errors(
        TEMPLATE,
        answers={"seen": "YES", "score": 11, "nope": "YES"},
        section_grades={"first": "GOOD", "notes": "GOOD", "other": "GOOD"},
    )
    assert [field for field, _ in errors] == [
        "body.answers.score",
        "body.answers.nope",
        "body.section_grades.notes",
        "body.section_grades.other",
    ]


def test_a_draft_may_be_incomplete_but_a_submission_answers_every_required_question() -> None:
    assert draft_errors(TEMPLATE, answers={}, section_grades={}) == []
    assert submission_errors(TEMPLATE, answers={}, section_grades={}) == [
        ("body.answers.seen", "required by the template")
    ]
    assert submission_errors(TEMPLATE, answers={"seen": "N/A"}, section_grades={}) == []


def test_a_template_with_repeated_ids_is_refused() -> None:
    with pytest.raises(ValueError, match="question ids repeat"):
        Template(
            id="t",
            version=1,
            name="T",
            sections=(
                Section(id="a", title="A", questions=(q(AnswerKind.TEXT, "x"),)),
                Section(id="b", title="B", questions=(q(AnswerKind.TEXT, "x"),)),
            ),
        )
