"""Development tokens: a key pair generated on first use under `.run/dev-keys/` (never
committed), its JWKS for the services, and `python -m qaf_shared.devtoken` for `make token`.
Beside them, activity-service's development `child_key` secret (`make keys`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from qaf_shared.settings import RUN_DIR

KEY_DIR = RUN_DIR / "dev-keys"
KID = "qa-dev-1"
ISSUER = "https://dev.qa.local/"
AUDIENCE = "qa-api"
# Where activity-service reads its development child_key secret by default
# (ActivitySettings.child_key_secret_file; docs/activity.md, Pseudonymity).
CHILD_KEY_SECRET_FILE = KEY_DIR / "child-key.secret"
CHILD_KEY_SECRET_BYTES = 32


def ensure_keys(key_dir: Path = KEY_DIR) -> Path:
    """Create the dev key pair and JWKS if missing; return the private key's path."""
    private_path = key_dir / "private.pem"
    if private_path.exists():
        return private_path
    key_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": KID, "use": "sig", "alg": "RS256"})
    (key_dir / "jwks.json").write_text(json.dumps({"keys": [jwk]}, indent=2))
    tmp = key_dir / "private.pem.tmp"
    tmp.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    tmp.chmod(0o600)
    tmp.rename(private_path)
    return private_path


def ensure_child_key_secret(path: Path = CHILD_KEY_SECRET_FILE) -> Path:
    """Create the development `child_key` secret if missing (32 random bytes as hex, mode
    0600) and return its path. An existing file is never replaced, not even by a concurrent
    call: every child_key already published was made with it, and a new secret would make
    each child a stranger to its own history."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a temporary name, then linked into place: a crash leaves no
    # half-written secret, and link() fails rather than overwrite one made meanwhile.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(CHILD_KEY_SECRET_BYTES))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink()
    return path


def mint(
    *,
    scopes: str,
    tenant: str,
    provider: str | None = None,
    ttl: int = 3600,
    subject: str = "dev-client",
    key_dir: Path = KEY_DIR,
    **extra: Any,
) -> str:
    private_key = ensure_keys(key_dir).read_bytes()
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "tenant": tenant,
        "scope": scopes,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": str(uuid.uuid4()),
    }
    if provider:
        claims["provider"] = provider
    claims.update(extra)
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": KID})


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a development bearer token.")
    parser.add_argument("--scopes", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--provider")
    parser.add_argument("--ttl", type=int, default=3600)
    parser.add_argument("--subject", default="dev-client")
    args = parser.parse_args()
    print(
        mint(
            scopes=args.scopes,
            tenant=args.tenant,
            provider=args.provider,
            ttl=args.ttl,
            subject=args.subject,
        )
    )


if __name__ == "__main__":
    main()
