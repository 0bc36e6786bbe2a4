"""HTTP routes for the configured audit templates."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from audit_service.api.deps import Reader, configuration
from audit_service.api.schemas.templates import TemplateList
from audit_service.domain.templates import Template
from qaf_shared.http.resources import json_response, not_found

router = APIRouter(prefix="/v1/audit-templates", tags=["templates"])


@router.get("", response_model=TemplateList)
async def list_templates(request: Request, principal: Reader) -> Response:
    """Every published template version, and the one new audits of the tenant use."""
    config = configuration(request)
    default = config.latest(config.tenant(principal.tenant).template)
    assert default is not None
    return json_response(
        {
            "default": {"id": default.id, "version": default.version},
            "items": [t.model_dump(mode="json") for t in config.all_templates()],
        }
    )


@router.get("/{template_id}/versions/{version}", response_model=Template)
async def get_template(
    request: Request, template_id: str, version: str, principal: Reader
) -> Response:
    """One template version: its sections, questions and answer kinds."""
    found = (
        configuration(request).template(template_id, int(version))
        if version.isascii() and version.isdigit()
        else None
    )
    if found is None:
        raise not_found("template version")
    return json_response(found.model_dump(mode="json"))
