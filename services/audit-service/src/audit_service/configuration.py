"""audit-service's configuration files, read once at start-up: the audit templates (every
version) and each tenant's settings. Both live as YAML in the package (`config/`); a
deployment may point `QA_CONFIG_DIR` at a directory of the same shape.

    config/templates/<template id>/v<version>.yaml   one file per published version
    config/tenants/<tenant>.yaml                      moderation_rate, action_due_working_days, template

A tenant without a file gets the defaults below and Kent's template."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field

from audit_service.domain.templates import Template

DEFAULT_DIR = Path(__file__).parent / "config"
DEFAULT_TEMPLATE = "kent-case-file"


class TenantSettings(BaseModel):
    """One tenant's audit practice settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: Annotated[str, Field(min_length=1)] | None = None
    moderation_rate: float = Field(default=0.10, ge=0, le=1)
    action_due_working_days: int = Field(default=20, ge=1, le=250)
    template: str = DEFAULT_TEMPLATE


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class AuditConfiguration:
    templates: dict[tuple[str, int], Template]
    tenants: dict[str, TenantSettings]

    def tenant(self, tenant: str) -> TenantSettings:
        return self.tenants.get(tenant) or TenantSettings(tenant=tenant)

    def template(self, template_id: str, version: int) -> Template | None:
        return self.templates.get((template_id, version))

    def latest(self, template_id: str) -> Template | None:
        versions = [v for (t, v) in self.templates if t == template_id]
        return self.templates[(template_id, max(versions))] if versions else None

    def all_templates(self) -> list[Template]:
        return [self.templates[k] for k in sorted(self.templates)]


def load_configuration(directory: Path = DEFAULT_DIR) -> AuditConfiguration:
    """Read and check every template and tenant file; a broken file stops the service from
    starting rather than failing requests later."""
    templates: dict[tuple[str, int], Template] = {}
    for path in sorted((directory / "templates").glob("*/v*.yaml")):
        try:
            template = Template.model_validate(yaml.safe_load(path.read_text()))
        except ValueError as exc:
            raise ConfigurationError(f"{path}: {exc}") from exc
        if (path.parent.name, path.stem) != (template.id, f"v{template.version}"):
            raise ConfigurationError(f"{path}: holds {template.id} v{template.version}")
        templates[(template.id, template.version)] = template
    tenants: dict[str, TenantSettings] = {}
    for path in sorted((directory / "tenants").glob("*.yaml")):
        try:
            settings = TenantSettings.model_validate(yaml.safe_load(path.read_text()))
        except ValueError as exc:
            raise ConfigurationError(f"{path}: {exc}") from exc
        if settings.tenant != path.stem:
            raise ConfigurationError(f"{path}: holds tenant {settings.tenant!r}")
        tenants[path.stem] = settings
    configuration = AuditConfiguration(templates, tenants)
    for settings in [*tenants.values(), TenantSettings()]:
        if configuration.latest(settings.template) is None:
            raise ConfigurationError(f"tenant {settings.tenant}: no template {settings.template}")
    return configuration
