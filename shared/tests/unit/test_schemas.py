"""The body types every write service shares: a case reference's form, and bodies that refuse
fields they do not know."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from qaf_shared.http.schemas import CaseRef, StaffId, Strict


class _Body(Strict):
    case_ref: CaseRef
    owner: StaffId


def test_a_body_refuses_a_field_it_does_not_know() -> None:
    with pytest.raises(ValidationError) as caught:
        _Body.model_validate({"case_ref": "C/1", "owner": "s.smith", "ownr": "x"})
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("ownr",), "extra_forbidden")
    ]


@pytest.mark.parametrize("good", ["C1", "12/345-6_7.8", "x" * 64])
def test_a_case_ref_of_letters_digits_and_separators_is_taken(good: str) -> None:
    assert TypeAdapter(CaseRef).validate_python(good) == good


@pytest.mark.parametrize("bad", ["", "x" * 65, "C 1", "C1;DROP", "é1"])
def test_a_case_ref_of_another_form_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(CaseRef).validate_python(bad)


def test_a_staff_id_has_the_form_of_the_actor_header() -> None:
    assert TypeAdapter(StaffId).validate_python("a.b@c-1") == "a.b@c-1"
    with pytest.raises(ValidationError):
        TypeAdapter(StaffId).validate_python("two words")
