"""`make keys` makes what the services read by default in development: the JWKS the tokens
are checked against, and the child_key secret activity-service reads (docs/activity.md)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from unittest import mock

from activity_service.settings import ActivitySettings
from qaf_shared.settings import ServiceSettings

REPO = Path(__file__).resolve().parent.parent


def test_make_keys_makes_the_child_key_secret_and_jwks_the_services_read_by_default() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "QA_"))}
    subprocess.run(["make", "-s", "keys"], cwd=REPO, env=env, check=True, capture_output=True)

    with mock.patch.dict(os.environ, env, clear=True):
        activity, common = ActivitySettings(), ServiceSettings()
    secret = activity.child_key_secret_file
    assert len(bytes.fromhex(secret.read_text())) == 32
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert Path(common.auth_jwks).is_file()

    before = secret.read_text()
    subprocess.run(["make", "-s", "keys"], cwd=REPO, env=env, check=True, capture_output=True)
    assert secret.read_text() == before
