"""Feedback items recorded directly by staff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from feedback_service import events
from feedback_service.domain.feedback import QuestionSet, check_item
from feedback_service.repository import feedback as feedback_rows
from qaf_shared.enums import ConferenceType, FeedbackSource, PartnerType, Respondent
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.http.auth import Principal
from qaf_shared.rules import check_fields


@dataclass(frozen=True)
class NewItem:
    """A new item as one statement (`qaf_shared.http.idempotency.Creation`): its INSERT and
    arguments, its event, and the row it answers (nothing to read first)."""

    row: dict[str, Any]
    inserts: tuple[str, ...]
    args: tuple[Any, ...]
    events: tuple[CloudEvent, ...]


def new_item(
    *,
    principal: Principal,
    actor: str,
    source: FeedbackSource,
    respondent: Respondent | None,
    partner_type: PartnerType | None,
    conference_type: ConferenceType | None,
    case_ref: str | None,
    received_on: date,
    answers: dict[str, int],
    comment: str | None,
    unit: OrgUnitRef,
    questions: QuestionSet,
    today: date,
) -> NewItem:
    check_fields(
        check_item(
            source=source,
            respondent=respondent,
            partner_type=partner_type,
            conference_type=conference_type,
            answers=answers,
            received_on=received_on,
            today=today,
            questions=questions,
        ),
        prefix="body",
    )
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "version": 1,
        "source": source.value,
        "respondent": respondent.value if respondent else None,
        "partner_type": partner_type.value if partner_type else None,
        "conference_type": conference_type.value if conference_type else None,
        "case_ref": case_ref,
        **unit.columns(),
        "received_on": received_on,
        "answers": dict(answers),
        "comment": comment,
        "provider": None,
        "external_id": None,
        "created_at": datetime.now(UTC),
    }
    return NewItem(
        row=row,
        inserts=(feedback_rows.INSERT_ITEM,),
        args=feedback_rows.insert_args(row, principal=principal, actor=actor),
        events=(events.feedback_received(principal.tenant, row, unit),),
    )
