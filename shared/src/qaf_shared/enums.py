"""Enumerations that cross service boundaries (they appear in events), as DOMAIN.md fixes them."""

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
