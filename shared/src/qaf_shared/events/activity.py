"""activity-service's events (`uk.gov.qa.activity.<kind>.{recorded,withdrawn}.v1` on
qa.activity.events.v1, key = the record's id).

A child is `child_key` here, a keyed hash of tenant and the case-management system's id that
only activity-service can compute; never `child_ref`, a name, a date of birth, a postcode or
free text. A `recorded` event carries the record's whole current facts (a replacement is one
more `recorded`, with a higher `version`), including the facts activity-service derives from
the child's history (`re_referral_12m`, `second_or_subsequent`, `route`, a review's or a
visit's `due_date` and `on_time`): a late record that changes one of them publishes the
affected records again."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, Literal

from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.events.spec import ACTIVITY_TOPIC, EventSpec

ActivitySource = Literal["REST", "CIN_CENSUS", "SSDA903", "ANNEX_A"]
VisitPlanType = Literal["CIN", "CP", "CLA"]
CareRoute = Literal["CP_PLAN", "CIN", "NONE"]


class ActivityRecord(Payload):
    """What every record's events carry: which record, whose (pseudonymously), where it
    counts, and its version (a consumer keeps the highest it has seen)."""

    record_id: uuid.UUID
    child_key: str
    org_unit: OrgUnitRef
    version: int
    source: ActivitySource


class ReferralRecorded(ActivityRecord):
    event_type: ClassVar[str] = "uk.gov.qa.activity.referral.recorded.v1"

    referral_date: date
    referral_source: str | None = None
    primary_need: str | None = None
    nfa: bool | None = None
    closure_date: date | None = None
    closure_reason: str | None = None
    # Derived: the child had an earlier referral dated on or after the same day one year
    # before this one.
    re_referral_12m: bool = False


class AssessmentRecorded(ActivityRecord):
    event_type: ClassVar[str] = "uk.gov.qa.activity.assessment.recorded.v1"

    start_date: date
    referral_date: date
    authorised_date: date | None = None
    factors: list[str] = []


class S47EnquiryRecorded(ActivityRecord):
    event_type: ClassVar[str] = "uk.gov.qa.activity.s47_enquiry.recorded.v1"

    start_date: date
    referral_date: date
    icpc_target_date: date | None = None
    icpc_date: date | None = None
    icpc_not_required: bool | None = None


class CpPlanRecorded(ActivityRecord):
    event_type: ClassVar[str] = "uk.gov.qa.activity.cp_plan.recorded.v1"

    start_date: date
    end_date: date | None = None
    initial_category: str | None = None
    previous_plans: int | None = None
    review_dates: list[date] = []
    # Derived: the child had an earlier plan (an earlier record, or `previous_plans` > 0).
    second_or_subsequent: bool = False


class CareEpisodeRecorded(ActivityRecord):
    event_type: ClassVar[str] = "uk.gov.qa.activity.care_episode.recorded.v1"

    start_date: date
    reason_new_episode: str | None = None
    legal_status: str | None = None
    cin_category: str | None = None
    placement: str | None = None
    end_date: date | None = None
    reason_ceased: str | None = None
    # Derived: what the child had open on the episode's start (a CP plan, else an open
    # referral episode, else nothing).
    route: CareRoute = "NONE"


class CareReviewRecorded(ActivityRecord):
    event_type: ClassVar[str] = "uk.gov.qa.activity.care_review.recorded.v1"

    review_date: date
    pn_code: str | None = None
    # Derived: the date it was due by (20 working days after the period of care began, the
    # second 3 months after the first, then 6 months apart) and whether it was held by then.
    due_date: date | None = None
    on_time: bool | None = None


class VisitRecorded(ActivityRecord):
    event_type: ClassVar[str] = "uk.gov.qa.activity.visit.recorded.v1"

    plan_type: VisitPlanType
    visit_date: date
    seen: bool | None = None
    seen_alone: bool | None = None
    # Derived, for a visit at which the child was seen: the date it was due by (from the
    # referral, the plan's start or the placement's start, then from the seen visit before)
    # and whether it was held by then. None when it is not measured (not seen, or nothing
    # open to measure it from).
    due_date: date | None = None
    on_time: bool | None = None


class ActivityWithdrawn(ActivityRecord):
    """A record entered in error, or missing from a later load of the return that supplied
    it: removed from every figure. `key_date` is its kind's first date."""

    key_date: date


class ReferralWithdrawn(ActivityWithdrawn):
    event_type: ClassVar[str] = "uk.gov.qa.activity.referral.withdrawn.v1"


class AssessmentWithdrawn(ActivityWithdrawn):
    event_type: ClassVar[str] = "uk.gov.qa.activity.assessment.withdrawn.v1"


class S47EnquiryWithdrawn(ActivityWithdrawn):
    event_type: ClassVar[str] = "uk.gov.qa.activity.s47_enquiry.withdrawn.v1"


class CpPlanWithdrawn(ActivityWithdrawn):
    event_type: ClassVar[str] = "uk.gov.qa.activity.cp_plan.withdrawn.v1"


class CareEpisodeWithdrawn(ActivityWithdrawn):
    event_type: ClassVar[str] = "uk.gov.qa.activity.care_episode.withdrawn.v1"


class CareReviewWithdrawn(ActivityWithdrawn):
    event_type: ClassVar[str] = "uk.gov.qa.activity.care_review.withdrawn.v1"


class VisitWithdrawn(ActivityWithdrawn):
    event_type: ClassVar[str] = "uk.gov.qa.activity.visit.withdrawn.v1"

    plan_type: VisitPlanType


# Each record kind's pair of events, by the kind's name in the API.
RECORDED: dict[str, type[ActivityRecord]] = {
    "referral": ReferralRecorded,
    "assessment": AssessmentRecorded,
    "s47_enquiry": S47EnquiryRecorded,
    "cp_plan": CpPlanRecorded,
    "care_episode": CareEpisodeRecorded,
    "care_review": CareReviewRecorded,
    "visit": VisitRecorded,
}
WITHDRAWN: dict[str, type[ActivityWithdrawn]] = {
    "referral": ReferralWithdrawn,
    "assessment": AssessmentWithdrawn,
    "s47_enquiry": S47EnquiryWithdrawn,
    "cp_plan": CpPlanWithdrawn,
    "care_episode": CareEpisodeWithdrawn,
    "care_review": CareReviewWithdrawn,
    "visit": VisitWithdrawn,
}

ACTIVITY_EVENTS = tuple(
    EventSpec(payload, ACTIVITY_TOPIC, kind)
    for kind in RECORDED
    for payload in (RECORDED[kind], WITHDRAWN[kind])
)
