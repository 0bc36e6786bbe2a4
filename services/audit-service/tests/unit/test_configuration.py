"""audit-service's configuration: Kent's default template and the tenants load, every
published template version stays loadable, and a broken file stops the service starting."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from audit_service.configuration import (
    DEFAULT_DIR,
    ConfigurationError,
    TenantSettings,
    load_configuration,
)
from audit_service.domain.templates import AnswerKind


def test_kents_default_template_and_tenants_load() -> None:
    config = load_configuration()
    kent = config.latest("kent-case-file")
    assert kent is not None and kent.version == 1
    assert "child_lived_experience" in kent.graded_sections()
    assert "summary" not in kent.graded_sections()
    kinds = {question.kind for section in kent.sections for question in section.questions}
    assert kinds == set(AnswerKind)
    for tenant in ("886", "887"):
        assert config.tenant(tenant) == TenantSettings(
            tenant=tenant, moderation_rate=0.10, action_due_working_days=20
        )


def test_a_tenant_without_a_file_gets_the_defaults() -> None:
    settings = load_configuration().tenant("999")
    assert (settings.moderation_rate, settings.action_due_working_days, settings.template) == (
        0.10,
        20,
        "kent-case-file",
    )


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(DEFAULT_DIR, target)
    return target


def test_every_published_version_stays_loadable_and_the_newest_is_the_default(
    tmp_path: Path,
) -> None:
    config_dir = _copy(tmp_path)
    v1 = yaml.safe_load((config_dir / "templates/kent-case-file/v1.yaml").read_text())
    v2 = {**v1, "version": 2}
    (config_dir / "templates/kent-case-file/v2.yaml").write_text(yaml.safe_dump(v2))
    config = load_configuration(config_dir)
    assert config.latest("kent-case-file").version == 2  # type: ignore[union-attr]
    assert config.template("kent-case-file", 1) is not None


@pytest.mark.parametrize(
    ("path", "content", "message"),
    [
        ("tenants/886.yaml", {"tenant": "886", "moderation_rate": 1.5}, "moderation_rate"),
        ("tenants/886.yaml", {"tenant": "887"}, "holds tenant"),
        ("tenants/886.yaml", {"tenant": "886", "template": "nope"}, "no template nope"),
        ("tenants/886.yaml", {"tenant": "886", "typo": 1}, "typo"),
    ],
)
def test_a_broken_configuration_file_stops_the_service_starting(
    tmp_path: Path, path: str, content: dict[str, Any], message: str
) -> None:
    config_dir = _copy(tmp_path)
    (config_dir / path).write_text(yaml.safe_dump(content))
    with pytest.raises(ConfigurationError, match=message):
        load_configuration(config_dir)


def test_a_template_file_must_hold_the_version_its_name_says(tmp_path: Path) -> None:
    config_dir = _copy(tmp_path)
    v1 = (config_dir / "templates/kent-case-file/v1.yaml").read_text()
    (config_dir / "templates/kent-case-file/v3.yaml").write_text(v1)
    with pytest.raises(ConfigurationError, match="holds kent-case-file v1"):
        load_configuration(config_dir)
