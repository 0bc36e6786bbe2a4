"""Enumerations that cross service boundaries (they appear in events); see docs/domain.md."""

from __future__ import annotations

from enum import StrEnum


class Grade(StrEnum):
    OUTSTANDING = "OUTSTANDING"
    GOOD = "GOOD"
    REQUIRES_IMPROVEMENT = "REQUIRES_IMPROVEMENT"
    INADEQUATE = "INADEQUATE"


class PlanType(StrEnum):
    CIN = "CIN"
    CP = "CP"
    CIC = "CIC"
    CARE_LEAVER = "CARE_LEAVER"
    EARLY_HELP = "EARLY_HELP"
    NONE = "NONE"


class AuditTheme(StrEnum):
    DRIFT_DELAY = "DRIFT_DELAY"
    CHILD_VOICE = "CHILD_VOICE"
    MANAGEMENT_OVERSIGHT = "MANAGEMENT_OVERSIGHT"
    SMART_PLANNING = "SMART_PLANNING"
    RISK_ASSESSMENT = "RISK_ASSESSMENT"
    CHRONOLOGY = "CHRONOLOGY"
    STATUTORY_VISITS = "STATUTORY_VISITS"


class AuditStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    SUBMITTED = "SUBMITTED"
    PEER_REVIEWED = "PEER_REVIEWED"
    MODERATION = "MODERATION"
    MODERATED = "MODERATED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class ProgrammeKind(StrEnum):
    MONTHLY = "MONTHLY"
    THEMED = "THEMED"
    AREA = "AREA"
    MULTI_AGENCY = "MULTI_AGENCY"
    CLOSURE = "CLOSURE"


class PeerReviewOutcome(StrEnum):
    AGREED = "AGREED"
    REGRADED = "REGRADED"
    RETURNED = "RETURNED"


class ActionStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    VERIFIED = "VERIFIED"
    CANCELLED = "CANCELLED"


# Escalations (docs/domain.md, Escalations)


class EscalationStage(StrEnum):
    """In order: the stage only ever goes up."""

    INFORMAL = "INFORMAL"
    TEAM_MANAGER = "TEAM_MANAGER"
    SERVICE_MANAGER = "SERVICE_MANAGER"
    HEAD_OF_SERVICE = "HEAD_OF_SERVICE"
    DIRECTOR = "DIRECTOR"


STAGE_ORDER: tuple[EscalationStage, ...] = tuple(EscalationStage)


class EscalationStatus(StrEnum):
    AWAITING_RESPONSE = "AWAITING_RESPONSE"
    RESPONSE_RECEIVED = "RESPONSE_RECEIVED"
    RESOLVED = "RESOLVED"
    WITHDRAWN = "WITHDRAWN"


class EscalationCategory(StrEnum):
    DRIFT_DELAY = "DRIFT_DELAY"
    PERMANENCE_PLANNING = "PERMANENCE_PLANNING"
    PLAN_NOT_MEETING_NEEDS = "PLAN_NOT_MEETING_NEEDS"
    REVIEW_DECISIONS_NOT_IMPLEMENTED = "REVIEW_DECISIONS_NOT_IMPLEMENTED"
    CARE_PLAN_OUT_OF_DATE = "CARE_PLAN_OUT_OF_DATE"
    STATUTORY_VISITS_OVERDUE = "STATUTORY_VISITS_OVERDUE"
    REVIEW_OR_CONFERENCE_TIMELINESS = "REVIEW_OR_CONFERENCE_TIMELINESS"
    REPORTS_NOT_PROVIDED = "REPORTS_NOT_PROVIDED"
    ASSESSMENT_QUALITY = "ASSESSMENT_QUALITY"
    HEALTH = "HEALTH"
    EDUCATION = "EDUCATION"
    PLACEMENT_STABILITY = "PLACEMENT_STABILITY"
    FAMILY_TIME_CONTACT = "FAMILY_TIME_CONTACT"
    SAFEGUARDING_RISK = "SAFEGUARDING_RISK"
    RESOURCES = "RESOURCES"
    CHILD_VOICE = "CHILD_VOICE"
    RIGHTS_BREACH = "RIGHTS_BREACH"
    OTHER = "OTHER"


class EscalationPlanType(StrEnum):
    CP = "CP"
    CIC = "CIC"
    CIN = "CIN"


class RaisedByRole(StrEnum):
    CP_CHAIR = "CP_CHAIR"
    IRO = "IRO"


class EscalateReason(StrEnum):
    NOT_SATISFIED = "NOT_SATISFIED"
    NO_RESPONSE = "NO_RESPONSE"


class ResolutionOutcome(StrEnum):
    ACTION_AGREED = "ACTION_AGREED"
    PLAN_CHANGED = "PLAN_CHANGED"
    CONCERN_NOT_UPHELD = "CONCERN_NOT_UPHELD"
    OTHER = "OTHER"


# Feedback (docs/domain.md, Feedback)


class FeedbackSource(StrEnum):
    CP_CONFERENCE = "CP_CONFERENCE"
    CIC_REVIEW = "CIC_REVIEW"
    ADVOCACY = "ADVOCACY"
    INDEPENDENT_VISITOR = "INDEPENDENT_VISITOR"
    COMPLAINT = "COMPLAINT"
    COMPLIMENT = "COMPLIMENT"
    PARTNER = "PARTNER"
    STAFF = "STAFF"


class Respondent(StrEnum):
    PARENT = "PARENT"
    CARER = "CARER"
    YOUNG_PERSON = "YOUNG_PERSON"
    PROFESSIONAL = "PROFESSIONAL"


class PartnerType(StrEnum):
    COURT = "COURT"
    CAFCASS = "CAFCASS"
    POLICE = "POLICE"
    HEALTH = "HEALTH"
    EDUCATION = "EDUCATION"
    COMMISSIONED_SERVICE = "COMMISSIONED_SERVICE"


class ConferenceType(StrEnum):
    INITIAL = "INITIAL"
    REVIEW = "REVIEW"


class PnCode(StrEnum):
    """DfE SSDA903 review participation codes."""

    PN0 = "PN0"  # under 4 at the review
    PN1 = "PN1"  # attends and speaks for self
    PN2 = "PN2"  # attends, advocate speaks
    PN3 = "PN3"  # attends, conveys views symbolically
    PN4 = "PN4"  # attends without contributing
    PN5 = "PN5"  # absent, briefs an advocate
    PN6 = "PN6"  # absent, conveys views by a facilitative medium
    PN7 = "PN7"  # absent, views not conveyed


class ComplaintStage(StrEnum):
    STAGE1 = "STAGE1"
    STAGE2 = "STAGE2"
    STAGE3 = "STAGE3"


class ComplaintStatus(StrEnum):
    STAGE1 = "STAGE1"
    STAGE2 = "STAGE2"
    STAGE3 = "STAGE3"
    CLOSED = "CLOSED"


class ComplaintOutcome(StrEnum):
    UPHELD = "UPHELD"
    PARTLY_UPHELD = "PARTLY_UPHELD"
    NOT_UPHELD = "NOT_UPHELD"
    WITHDRAWN = "WITHDRAWN"


class ComplainantRole(StrEnum):
    CHILD = "CHILD"
    PARENT = "PARENT"
    CARER = "CARER"
    ADVOCATE = "ADVOCATE"
    OTHER = "OTHER"


class ProviderTheme(StrEnum):
    PLACEMENT = "PLACEMENT"
    FAMILY_TIME_CONTACT = "FAMILY_TIME_CONTACT"
    EDUCATION = "EDUCATION"
    HEALTH = "HEALTH"
    LEAVING_CARE = "LEAVING_CARE"
    COMPLAINT_SUPPORT = "COMPLAINT_SUPPORT"
    CP_CONFERENCE = "CP_CONFERENCE"
    CIC_REVIEW = "CIC_REVIEW"
    OTHER = "OTHER"
