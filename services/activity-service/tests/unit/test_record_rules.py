"""Every rule of one activity record (domain/records.py), its natural key, the merge, the
overlap of episodes and the unit a write names."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from activity_service.domain.codes import LISTS_2022, LISTS_2024
from activity_service.domain.kinds import Kind
from activity_service.domain.records import (
    KEEP,
    NaturalKey,
    RecordIn,
    check,
    episode_span,
    json_facts,
    overlaps,
    resolve_unit,
    typed_facts,
)
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.merge_patch import merge_patch
from qaf_shared.org_units import OrgUnitDirectory

TODAY = date(2026, 1, 15)
KENT = OrgUnitDirectory().tenant("886")


def rules(kind: Kind, **facts: Any) -> list[tuple[str, str]]:
    errors, _ = check(kind, facts, today=TODAY)
    return [(e.field, e.rule) for e in errors]


def test_a_valid_record_of_each_kind_breaks_no_rule() -> None:
    records: dict[Kind, dict[str, Any]] = {
        Kind.REFERRAL: {"referral_date": "2025-04-01", "referral_source": "5D",
                        "primary_need": "N1", "nfa": False, "closure_date": "2025-05-01",
                        "closure_reason": "RC9"},
        Kind.ASSESSMENT: {"start_date": "2025-04-02", "referral_date": "2025-04-01",
                          "authorised_date": "2025-05-01", "factors": ["1A", "24A"]},
        Kind.S47_ENQUIRY: {"start_date": "2025-04-02", "referral_date": "2025-04-01",
                           "icpc_target_date": "2026-02-01", "icpc_date": "2025-04-20"},
        Kind.CP_PLAN: {"start_date": "2025-04-20", "end_date": "2025-12-01",
                       "initial_category": "NEG", "previous_plans": 0,
                       "review_dates": ["2025-07-20"]},
        Kind.CARE_EPISODE: {"start_date": "2025-04-01", "reason_new_episode": "S",
                            "legal_status": "C2", "cin_category": "N1", "placement": "U1",
                            "end_date": "2025-04-02", "reason_ceased": "X1"},
        Kind.CARE_REVIEW: {"review_date": "2025-04-20", "pn_code": "PN1"},
        Kind.VISIT: {"visit_date": "2025-04-20", "plan_type": "CLA", "seen": True},
    }  # fmt: skip
    for kind, facts in records.items():
        assert check(kind, facts, today=TODAY) == ([], []), kind


@pytest.mark.parametrize(
    ("kind", "facts", "field"),
    [
        (Kind.REFERRAL, {}, "referral_date"),
        (Kind.ASSESSMENT, {"start_date": "2025-04-02"}, "referral_date"),
        (Kind.S47_ENQUIRY, {"start_date": "2025-04-02"}, "referral_date"),
        (Kind.VISIT, {"visit_date": "2025-04-02"}, "plan_type"),
    ],
)
def test_the_key_date_and_the_kinds_required_facts_must_be_given(
    kind: Kind, facts: dict[str, Any], field: str
) -> None:
    assert rules(kind, **facts) == [(field, "required")]


@pytest.mark.parametrize(
    ("kind", "fact", "value"),
    [
        (Kind.REFERRAL, "referral_source", "11"),
        (Kind.REFERRAL, "primary_need", "N0"),
        (Kind.REFERRAL, "closure_reason", "RC10"),
        (Kind.ASSESSMENT, "factors", ["1A", "8A"]),
        (Kind.CP_PLAN, "initial_category", "NEGL"),
        (Kind.CARE_EPISODE, "reason_new_episode", "X"),
        (Kind.CARE_EPISODE, "legal_status", "C3"),
        (Kind.CARE_EPISODE, "cin_category", "N9"),
        (Kind.CARE_EPISODE, "placement", "P4"),
        (Kind.CARE_EPISODE, "reason_ceased", "E10"),
        (Kind.CARE_REVIEW, "pn_code", "PN8"),
        (Kind.VISIT, "plan_type", "CIC"),
    ],
)
def test_a_code_outside_its_list_is_refused_without_naming_the_code(
    kind: Kind, fact: str, value: Any
) -> None:
    facts = {
        Kind.REFERRAL: {"referral_date": "2025-04-01"},
        Kind.ASSESSMENT: {"start_date": "2025-04-02", "referral_date": "2025-04-01"},
        Kind.CP_PLAN: {"start_date": "2025-04-02"},
        Kind.CARE_EPISODE: {"start_date": "2025-04-02"},
        Kind.CARE_REVIEW: {"review_date": "2025-04-02"},
        Kind.VISIT: {"visit_date": "2025-04-02"},
    }[kind]
    errors, _ = check(kind, {**facts, fact: value}, today=TODAY)
    assert [(e.field, e.rule) for e in errors] == [(fact, "code_not_in_list")]
    assert str(value) not in errors[0].message


def test_a_code_of_a_later_years_list_is_refused_by_an_earlier_years_lists() -> None:
    facts = {"referral_date": "2025-04-01", "referral_source": "5D", "closure_reason": "RC9"}
    assert check(Kind.REFERRAL, facts, today=TODAY, codes=LISTS_2024) == ([], [])
    errors, _ = check(Kind.REFERRAL, facts, today=TODAY, codes=LISTS_2022)
    assert [(e.field, e.rule) for e in errors] == [
        ("referral_source", "code_not_in_list"),
        ("closure_reason", "code_not_in_list"),
    ]


@pytest.mark.parametrize(
    ("kind", "facts", "field"),
    [
        (Kind.REFERRAL, {"referral_date": "2025-04-02", "closure_date": "2025-04-01"},
         "closure_date"),
        (Kind.ASSESSMENT, {"start_date": "2025-03-31", "referral_date": "2025-04-01"},
         "start_date"),
        (Kind.ASSESSMENT, {"start_date": "2025-04-03", "referral_date": "2025-04-01",
                           "authorised_date": "2025-04-02"}, "authorised_date"),
        (Kind.S47_ENQUIRY, {"start_date": "2025-03-31", "referral_date": "2025-04-01"},
         "start_date"),
        (Kind.CP_PLAN, {"start_date": "2025-04-02", "end_date": "2025-04-01"}, "end_date"),
        (Kind.CP_PLAN, {"start_date": "2025-04-02", "review_dates": ["2025-05-01", "2025-04-01"]},
         "review_dates"),
        (Kind.CARE_EPISODE, {"start_date": "2025-04-02", "end_date": "2025-04-02"}, "end_date"),
    ],
)  # fmt: skip
def test_dates_out_of_order_are_refused(kind: Kind, facts: dict[str, Any], field: str) -> None:
    assert rules(kind, **facts) == [(field, "date_order")]


def test_dates_on_the_same_day_are_in_order_except_an_episodes_end() -> None:
    assert rules(Kind.REFERRAL, referral_date="2025-04-01", closure_date="2025-04-01") == []
    assert (
        rules(
            Kind.ASSESSMENT,
            start_date="2025-04-01",
            referral_date="2025-04-01",
            authorised_date="2025-04-01",
        )
        == []
    )
    assert rules(Kind.CP_PLAN, start_date="2025-04-01", end_date="2025-04-01") == []


def test_a_date_in_the_future_or_before_2000_is_refused_but_an_icpc_target_may_be_ahead() -> None:
    assert rules(Kind.CARE_REVIEW, review_date="2026-01-16") == [("review_date", "date_in_future")]
    assert rules(Kind.CARE_REVIEW, review_date="1999-12-31") == [("review_date", "date_too_early")]
    assert rules(Kind.CP_PLAN, start_date="2025-01-01", review_dates=["2026-02-01"]) == [
        ("review_dates", "date_in_future")
    ]
    assert (
        rules(
            Kind.S47_ENQUIRY,
            start_date="2026-01-10",
            referral_date="2026-01-09",
            icpc_target_date="2026-01-30",
        )
        == []
    )


def test_a_records_errors_are_listed_codes_then_dates_each_in_the_order_its_facts_came() -> None:
    # Bad codes and dates in an order unlike the kind's own list of facts: the errors follow
    # the record's order (the rules look at a record's coded and date facts first, and only
    # a record with a bad one in the order it came).
    episode = {"reason_ceased": "E10", "end_date": "1999-01-01", "placement": "P4",
               "start_date": "2026-02-01", "legal_status": "C3"}  # fmt: skip
    assert rules(Kind.CARE_EPISODE, **episode) == [
        ("reason_ceased", "code_not_in_list"),
        ("placement", "code_not_in_list"),
        ("legal_status", "code_not_in_list"),
        ("end_date", "date_too_early"),
        ("start_date", "date_in_future"),
        ("end_date", "date_order"),
    ]
    plan = {"review_dates": ["2025-05-01", "2026-03-01"], "initial_category": "NEGL",
            "start_date": "2025-04-01", "end_date": "2025-03-01"}  # fmt: skip
    assert rules(Kind.CP_PLAN, **plan) == [
        ("initial_category", "code_not_in_list"),
        ("review_dates", "date_in_future"),
        ("end_date", "date_order"),
    ]


def test_previous_plans_cannot_be_negative() -> None:
    assert rules(Kind.CP_PLAN, start_date="2025-04-01", previous_plans=-1) == [
        ("previous_plans", "negative")
    ]


def test_an_icpc_before_its_s47_start_is_a_warning_not_an_error() -> None:
    errors, warnings = check(
        Kind.S47_ENQUIRY,
        {"start_date": "2025-04-10", "referral_date": "2025-04-01", "icpc_date": "2025-04-09"},
        today=TODAY,
    )
    assert errors == []
    assert [(w.field, w.rule) for w in warnings] == [("icpc_date", "icpc_before_s47_start")]


def test_the_natural_key_is_child_kind_first_date_and_a_visits_plan_type() -> None:
    visit = RecordIn(Kind.VISIT, "C1", {"visit_date": "2025-04-01", "plan_type": "CP"})
    referral = RecordIn(Kind.REFERRAL, "C1", {"referral_date": "2025-04-01", "nfa": True})
    assert visit.key == NaturalKey(Kind.VISIT, "C1", date(2025, 4, 1), "CP")
    assert referral.key == NaturalKey(Kind.REFERRAL, "C1", date(2025, 4, 1), "")
    assert referral.key == RecordIn(Kind.REFERRAL, "C1", {"referral_date": "2025-04-01"}).key


def test_a_fact_left_out_keeps_its_value_and_null_clears_it() -> None:
    stored = {"referral_date": "2025-04-01", "primary_need": "N1", "nfa": False}
    assert merge_patch(
        stored, {"referral_date": "2025-04-01", "nfa": None, "closure_reason": "RC8"}
    ) == {
        "referral_date": "2025-04-01",
        "primary_need": "N1",
        "closure_reason": "RC8",
    }
    assert merge_patch(None, {"referral_date": "2025-04-01", "nfa": None}) == {
        "referral_date": "2025-04-01"
    }


def test_typed_facts_read_dates_and_lists_of_dates() -> None:
    typed = typed_facts(
        Kind.CP_PLAN,
        {"start_date": "2025-04-01", "review_dates": ["2025-07-01"], "previous_plans": 1},
    )
    assert typed == {
        "start_date": date(2025, 4, 1),
        "review_dates": [date(2025, 7, 1)],
        "previous_plans": 1,
    }


def test_a_readers_typed_facts_become_their_json_form_and_back() -> None:
    typed = {"start_date": date(2025, 4, 1), "review_dates": [date(2025, 7, 1)], "end_date": None}
    facts = json_facts(typed)
    assert facts == {"start_date": "2025-04-01", "review_dates": ["2025-07-01"], "end_date": None}
    assert typed_facts(Kind.CP_PLAN, {k: v for k, v in facts.items() if v is not None}) == {
        "start_date": date(2025, 4, 1),
        "review_dates": [date(2025, 7, 1)],
    }


def test_episodes_overlap_when_they_share_a_day_but_one_may_begin_when_another_ends() -> None:
    first = episode_span({"start_date": "2025-01-01", "end_date": "2025-03-01"})
    open_since_april = episode_span({"start_date": "2025-04-01"})
    assert not overlaps(episode_span({"start_date": "2025-03-01"}), [first])
    assert not overlaps(
        episode_span({"start_date": "2024-12-01", "end_date": "2025-01-01"}), [first]
    )
    assert overlaps(episode_span({"start_date": "2025-02-28", "end_date": "2025-03-02"}), [first])
    assert overlaps(episode_span({"start_date": "2025-05-01"}), [first, open_since_april])
    assert overlaps(episode_span({"start_date": "2024-01-01"}), [first])


def test_a_write_names_a_team_or_a_service_of_the_tenant_or_clears_or_keeps_the_unit() -> None:
    assert KENT is not None
    assert resolve_unit(KENT, {"team": "ASH-CP1"}) == (
        OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1"),
        [],
    )
    assert resolve_unit(KENT, {"service": "FOSTERING"}) == (OrgUnitRef(service="FOSTERING"), [])
    assert resolve_unit(KENT, {}) == (KEEP, [])
    assert resolve_unit(KENT, {"team": None}) == (None, [])
    for given, rule in [
        ({"team": "NOWHERE-1"}, "unknown_team"),
        ({"service": "CATERING"}, "unknown_service"),
        ({"team": "ASH-CP1", "service": "FOSTERING"}, "team_and_service"),
    ]:
        _, issues = resolve_unit(KENT, given)
        assert [i.rule for i in issues] == [rule]
        assert not any(str(v) in issues[0].message for v in given.values())
