"""child_key: a keyed hash of tenant and child_ref, and the secret the service will not start
without (domain/child_key.py, main.py)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from pydantic import SecretStr

from activity_service.domain.child_key import ChildKeys, ChildKeySecretError, load_child_keys
from activity_service.main import create_app
from activity_service.settings import ActivitySettings

SECRET = "a-secret-of-thirty-two-bytes-or-more"


def test_the_key_is_the_hmac_sha256_of_tenant_and_child_ref_in_hex() -> None:
    keys = ChildKeys(SECRET.encode())
    expected = hmac.new(SECRET.encode(), b"886\x1fC123", hashlib.sha256).hexdigest()
    assert keys.key("886", "C123") == expected


def test_the_key_differs_by_tenant_by_child_and_by_secret() -> None:
    keys = ChildKeys(SECRET.encode())
    other = ChildKeys((SECRET + "!").encode())
    assert len({keys.key("886", "C1"), keys.key("887", "C1"), keys.key("886", "C2")}) == 3
    assert keys.key("886", "C1") != other.key("886", "C1")
    # The separator keeps tenant and child apart: ("88", "6C1") is not ("886", "C1").
    assert keys.key("88", "6C1") != keys.key("886", "C1")


def test_the_secret_comes_from_the_setting_before_the_file(tmp_path: Path) -> None:
    file = tmp_path / "child-key.secret"
    file.write_text("f" * 40 + "\n")
    from_file = load_child_keys(None, file)
    assert from_file.key("886", "C1") == ChildKeys(b"f" * 40).key("886", "C1")
    from_setting = load_child_keys(SECRET, file)
    assert from_setting.key("886", "C1") == ChildKeys(SECRET.encode()).key("886", "C1")


async def start(settings: ActivitySettings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pass


async def test_a_missing_or_short_secret_stops_start_up_naming_the_setting_not_the_secret(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "none.secret"
    with pytest.raises(ChildKeySecretError, match="QA_CHILD_KEY_SECRET_FILE") as no_file:
        await start(ActivitySettings(child_key_secret_file=missing))
    assert "make keys" in str(no_file.value)
    with pytest.raises(ChildKeySecretError, match="QA_CHILD_KEY_SECRET") as short:
        await start(ActivitySettings(child_key_secret=SecretStr("too-short-a-secret")))
    assert "too-short-a-secret" not in str(short.value)
    short_file = tmp_path / "short.secret"
    short_file.write_text("tiny-secret")
    with pytest.raises(ChildKeySecretError, match="QA_CHILD_KEY_SECRET_FILE") as in_file:
        load_child_keys(None, short_file)
    assert "tiny-secret" not in str(in_file.value)


def test_the_app_and_its_openapi_document_are_built_without_the_secret(tmp_path: Path) -> None:
    app = create_app(ActivitySettings(child_key_secret_file=tmp_path / "none.secret"))
    assert "/v1/activity" in app.openapi()["paths"]


def test_the_keys_never_show_their_secret() -> None:
    assert SECRET not in repr(ChildKeys(SECRET.encode()))
