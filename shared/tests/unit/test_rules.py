"""The rules' refusals every service raises, and the problem documents the app answers them
with (on an app of its own: no database needed)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from qaf_shared.http.problems import install_problem_handlers
from qaf_shared.rules import FieldError, RuleBroken, StepNotAllowed, check_fields


def test_a_rule_broken_names_its_field_and_message() -> None:
    broken = RuleBroken("body.due_date", "cannot be in the future")
    assert (broken.field, broken.message) == ("body.due_date", "cannot be in the future")
    assert broken.errors == (("body.due_date", "cannot be in the future"),)
    assert str(broken) == "body.due_date: cannot be in the future"


def test_a_rule_broken_on_several_fields_names_each_in_order() -> None:
    broken = RuleBroken.on_fields([("body.a", "one"), FieldError("body.b", "two")])
    assert [e.field for e in broken.errors] == ["body.a", "body.b"]
    assert broken.field == "body.a"


def test_check_fields_refuses_only_when_a_rule_found_something() -> None:
    check_fields([])
    with pytest.raises(RuleBroken) as refused:
        check_fields([FieldError("body.a", "one")])
    assert refused.value.errors == (FieldError("body.a", "one"),)


def test_check_fields_locates_relative_fields_under_the_prefix() -> None:
    with pytest.raises(RuleBroken) as refused:
        check_fields([("answers.x", "one"), ("received_on", "two")], prefix="body")
    assert [e.field for e in refused.value.errors] == ["body.answers.x", "body.received_on"]


async def _answer(error: Exception) -> httpx.Response:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/v1/things/1/step")
    async def step() -> None:
        raise error

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/v1/things/1/step")


async def test_a_rule_about_one_field_answers_422_naming_it() -> None:
    answer = await _answer(RuleBroken("body.on", "cannot be in the future"))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "type": "https://qa.example.gov.uk/problems/validation",
        "title": "Unprocessable content",
        "status": 422,
        "detail": "body.on: cannot be in the future",
        "instance": "/v1/things/1/step",
        "errors": [
            {"field": "body.on", "message": "cannot be in the future", "type": "value_error"}
        ],
    }


async def test_rules_about_several_fields_answer_422_naming_every_one() -> None:
    answer = await _answer(RuleBroken.on_fields([("body.a", "one"), ("body.b", "two")]))
    assert answer.status_code == 422
    assert answer.json() == {
        "type": "https://qa.example.gov.uk/problems/validation",
        "title": "Unprocessable content",
        "status": 422,
        "detail": "Invalid fields: body.a, body.b",
        "instance": "/v1/things/1/step",
        "errors": [
            {"field": "body.a", "message": "one", "type": "value_error"},
            {"field": "body.b", "message": "two", "type": "value_error"},
        ],
    }


async def test_a_step_that_does_not_apply_answers_409_saying_why() -> None:
    answer = await _answer(StepNotAllowed("A closed thing cannot be closed."))
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "type": "https://qa.example.gov.uk/problems/transition-not-allowed",
        "title": "Conflict",
        "status": 409,
        "detail": "A closed thing cannot be closed.",
        "instance": "/v1/things/1/step",
    }
