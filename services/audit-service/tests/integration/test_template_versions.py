"""An audit keeps the template version it was scheduled with, across a new version's
release: it is validated against its own version for ever."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from audit_service.configuration import DEFAULT_DIR
from audit_service.main import create_app
from audit_service.settings import AuditSettings
from qaf_shared.testing.fixtures import serve


def with_version_2(tmp_path: Path) -> Path:
    """Kent's template with a v2 that adds a required question."""
    config_dir = tmp_path / "config"
    shutil.copytree(DEFAULT_DIR, config_dir)
    folder = config_dir / "templates" / "kent-case-file"
    v2 = yaml.safe_load((folder / "v1.yaml").read_text())
    v2["version"] = 2
    v2["sections"][0]["questions"].append(
        {
            "id": "identity_needs_met",
            "text": "Are identity needs met?",
            "kind": "YES_NO_NA",
            "required": True,
        }
    )
    (folder / "v2.yaml").write_text(yaml.safe_dump(v2))
    return config_dir


async def test_an_audit_keeps_its_template_version_when_a_new_one_is_released(
    flow: Any,
    make_flow: Callable[..., Any],
    audit_settings: AuditSettings,
    tmp_path: Path,
) -> None:
    old = await flow.schedule()
    assert old["template"] == {"id": "kent-case-file", "version": 1}
    settings = audit_settings.model_copy(update={"config_dir": with_version_2(tmp_path)})
    async with serve(create_app(settings)) as client:
        released: Any = make_flow(client, flow.headers)
        listed = await released.call("GET", "/v1/audit-templates", 200)
        assert listed["default"] == {"id": "kent-case-file", "version": 2}
        assert [t["version"] for t in listed["items"]] == [1, 2]

        new = await released.schedule()
        assert new["template"] == {"id": "kent-case-file", "version": 2}
        problem = await released.submit(new, expect=422)
        assert [e["field"] for e in problem["errors"]] == ["body.answers.identity_needs_met"]
        done = await released.submit(new, answers={"identity_needs_met": "YES"})
        assert done["status"] == "SUBMITTED"

        # The v1 audit knows nothing of v2's question, and needs none of it.
        unknown = await released.submit(old, expect=422, answers={"identity_needs_met": "YES"})
        assert unknown["errors"][0]["field"] == "body.answers.identity_needs_met"
        kept = await released.submit(old)
        assert (kept["status"], kept["template"]["version"]) == ("SUBMITTED", 1)
