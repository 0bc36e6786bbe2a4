"""The record kinds and the facts each carries, by their names in the API (docs/activity.md):
what the REST schemas, the return readers and the validation rules all read, so a kind's
shape is written once.

A record is known by its natural key: `child_ref` with the kind's first date (`KEY_DATE`),
and for a visit its `plan_type` too. Every kind may also carry `team` or `service`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Final


class Kind(StrEnum):
    REFERRAL = "referral"
    ASSESSMENT = "assessment"
    S47_ENQUIRY = "s47_enquiry"
    CP_PLAN = "cp_plan"
    CARE_EPISODE = "care_episode"
    CARE_REVIEW = "care_review"
    VISIT = "visit"


class Source(StrEnum):
    """Where a record's latest write came from: REST, or the return kind that loaded it."""

    REST = "REST"
    CIN_CENSUS = "CIN_CENSUS"
    SSDA903 = "SSDA903"
    ANNEX_A = "ANNEX_A"


# The type of each fact. `str` is a DfE code (its list: `codes.CodeLists.for_fact`);
# `list[str]` and `list[date]` are lists of codes and of dates.
FactType = type[date] | type[bool] | type[int] | type[str] | str

# Each kind's facts in DfE order, with their types (the natural key's date first).
FACTS: Final[dict[Kind, dict[str, FactType]]] = {
    Kind.REFERRAL: {
        "referral_date": date,
        "referral_source": str,
        "primary_need": str,
        "nfa": bool,
        "closure_date": date,
        "closure_reason": str,
    },
    Kind.ASSESSMENT: {
        "start_date": date,
        "referral_date": date,
        "authorised_date": date,
        "factors": "list[str]",
    },
    Kind.S47_ENQUIRY: {
        "start_date": date,
        "referral_date": date,
        "icpc_target_date": date,
        "icpc_date": date,
        "icpc_not_required": bool,
    },
    Kind.CP_PLAN: {
        "start_date": date,
        "end_date": date,
        "initial_category": str,
        "previous_plans": int,
        "review_dates": "list[date]",
    },
    Kind.CARE_EPISODE: {
        "start_date": date,
        "reason_new_episode": str,
        "legal_status": str,
        "cin_category": str,
        "placement": str,
        "end_date": date,
        "reason_ceased": str,
    },
    Kind.CARE_REVIEW: {
        "review_date": date,
        "pn_code": str,
    },
    Kind.VISIT: {
        "visit_date": date,
        "plan_type": str,
        "seen": bool,
        "seen_alone": bool,
    },
}

# The date that, with child_ref (and a visit's plan_type), is a record's natural key.
KEY_DATE: Final[dict[Kind, str]] = {kind: next(iter(facts)) for kind, facts in FACTS.items()}

# Facts a record of the kind must carry (beyond child_ref and the key date).
REQUIRED: Final[dict[Kind, frozenset[str]]] = {
    Kind.REFERRAL: frozenset(),
    Kind.ASSESSMENT: frozenset({"referral_date"}),
    Kind.S47_ENQUIRY: frozenset({"referral_date"}),
    Kind.CP_PLAN: frozenset(),
    Kind.CARE_EPISODE: frozenset(),
    Kind.CARE_REVIEW: frozenset(),
    Kind.VISIT: frozenset({"plan_type"}),
}
