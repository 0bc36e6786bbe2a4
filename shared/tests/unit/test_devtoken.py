"""`make keys`' development child_key secret: made once, private, and never replaced."""

from __future__ import annotations

import stat
from pathlib import Path

from qaf_shared import devtoken


def test_the_child_key_secret_is_32_random_bytes_as_hex_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    path = devtoken.ensure_child_key_secret(tmp_path / "dev-keys" / "child-key.secret")

    text = path.read_text()
    assert len(bytes.fromhex(text)) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # nothing else left beside it (no temporary file)
    assert [p.name for p in path.parent.iterdir()] == ["child-key.secret"]


def test_each_development_checkout_gets_its_own_secret(tmp_path: Path) -> None:
    one = devtoken.ensure_child_key_secret(tmp_path / "a" / "child-key.secret").read_text()
    two = devtoken.ensure_child_key_secret(tmp_path / "b" / "child-key.secret").read_text()
    assert one != two


def test_an_existing_secret_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "child-key.secret"
    first = devtoken.ensure_child_key_secret(path).read_text()
    assert devtoken.ensure_child_key_secret(path).read_text() == first

    # One made another way (an operator's own) is kept as it is, mode and all.
    path.write_text("ab" * 32)
    path.chmod(0o640)
    devtoken.ensure_child_key_secret(path)
    assert path.read_text() == "ab" * 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
