"""`child_key`: how a child is known outside activity-service (docs/activity.md,
Pseudonymity). A keyed hash of tenant and `child_ref`, HMAC-SHA256 with a per-deployment
secret only this service holds, so that reporting can link one child's records without ever
seeing `child_ref`, and nobody without the secret can test a guessed `child_ref` against it."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

# 256 bits, SHA-256's own size: a shorter key would be the weakest part of the hash.
MIN_SECRET_BYTES = 32
# Between tenant and child_ref: a character neither holds (a tenant is an LA code, a
# child_ref letters, digits and `/-_.`), so no two pairs make the same message.
SEPARATOR = "\x1f"


class ChildKeySecretError(ValueError):
    """The secret is missing or too short: the service must not start without one. The
    message names the setting, never the secret."""


class ChildKeys:
    """Computes `child_key` with the deployment's secret."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ChildKeySecretError(
                f"the child_key secret must be at least {MIN_SECRET_BYTES} bytes"
            )
        self._secret = secret

    def __repr__(self) -> str:
        return "ChildKeys(<secret>)"

    def key(self, tenant: str, child_ref: str) -> str:
        """The child's key in the tenant (64 hex digits)."""
        message = f"{tenant}{SEPARATOR}{child_ref}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def load_child_keys(secret: str | None, secret_file: Path) -> ChildKeys:
    """The deployment's keys, from the secret itself (QA_CHILD_KEY_SECRET) or else the file
    that holds it (QA_CHILD_KEY_SECRET_FILE, a mounted Kubernetes Secret; `make keys` writes
    the development one). Read once, at start-up; `ChildKeySecretError` when neither gives a
    secret of at least `MIN_SECRET_BYTES` bytes."""
    if secret is not None:
        value, where = secret.strip(), "QA_CHILD_KEY_SECRET"
    else:
        where = f"QA_CHILD_KEY_SECRET_FILE ({secret_file})"
        try:
            value = secret_file.read_text().strip()
        except OSError as exc:
            raise ChildKeySecretError(
                f"no child_key secret: set QA_CHILD_KEY_SECRET or QA_CHILD_KEY_SECRET_FILE; "
                f"{where} cannot be read ({type(exc).__name__}); `make keys` writes a "
                "development one"
            ) from None
    try:
        return ChildKeys(value.encode())
    except ChildKeySecretError:
        raise ChildKeySecretError(
            f"the child_key secret from {where} is shorter than {MIN_SECRET_BYTES} bytes"
        ) from None
