"""Audit template bodies: the configured templates as they are."""

from __future__ import annotations

from pydantic import BaseModel

from audit_service.api.schemas.audits import TemplateRef
from audit_service.domain.templates import Template


class TemplateList(BaseModel):
    default: TemplateRef
    items: list[Template]
