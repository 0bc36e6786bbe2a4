"""The stages of an escalation, in order, and whom each is addressed to. The stage only ever
goes up (docs/domain.md, Escalations; the IRO Handbook's levels of seniority)."""

from __future__ import annotations

from enum import StrEnum

from qaf_shared.enums import STAGE_ORDER, EscalationStage


class AddresseeRole(StrEnum):
    """Who is asked to respond at a stage."""

    SOCIAL_WORKER_OR_TEAM_MANAGER = "SOCIAL_WORKER_OR_TEAM_MANAGER"
    TEAM_MANAGER = "TEAM_MANAGER"
    SERVICE_MANAGER = "SERVICE_MANAGER"
    HEAD_OF_SERVICE = "HEAD_OF_SERVICE"
    DIRECTOR = "DIRECTOR"


ADDRESSEE: dict[EscalationStage, AddresseeRole] = {
    EscalationStage.INFORMAL: AddresseeRole.SOCIAL_WORKER_OR_TEAM_MANAGER,
    EscalationStage.TEAM_MANAGER: AddresseeRole.TEAM_MANAGER,
    EscalationStage.SERVICE_MANAGER: AddresseeRole.SERVICE_MANAGER,
    EscalationStage.HEAD_OF_SERVICE: AddresseeRole.HEAD_OF_SERVICE,
    EscalationStage.DIRECTOR: AddresseeRole.DIRECTOR,
}


def rank(stage: EscalationStage) -> int:
    return STAGE_ORDER.index(stage)


def is_formal(stage: EscalationStage) -> bool:
    """Every stage above INFORMAL is formal; the 20-working-day limit covers them together."""
    return stage is not EscalationStage.INFORMAL


def next_stage(stage: EscalationStage) -> EscalationStage | None:
    """The stage above this one; None at the top (DIRECTOR)."""
    index = rank(stage) + 1
    return STAGE_ORDER[index] if index < len(STAGE_ORDER) else None
