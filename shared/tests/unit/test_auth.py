import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from qaf_shared import devtoken
from qaf_shared.http.auth import Authenticator
from qaf_shared.http.problems import Problem


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key_dir = tmp_path_factory.mktemp("keys")
    devtoken.ensure_keys(key_dir)
    return key_dir


@pytest.fixture(scope="module")
def authenticator(keys: Path) -> Authenticator:
    return Authenticator(
        jwks=str(keys / "jwks.json"), issuer=devtoken.ISSUER, audience=devtoken.AUDIENCE
    )


def _status(authenticator: Authenticator, token: str) -> int:
    with pytest.raises(Problem) as caught:
        authenticator.verify(token)
    return caught.value.status


def test_a_valid_token_gives_client_tenant_scopes_and_provider(
    authenticator: Authenticator, keys: Path
) -> None:
    token = devtoken.mint(
        scopes="audits:read audits:write", tenant="887", provider="advocacy-co", key_dir=keys
    )
    principal = authenticator.verify(token)
    assert principal.tenant == "887"
    assert principal.scopes == {"audits:read", "audits:write"}
    assert principal.provider == "advocacy-co"
    assert principal.client == "dev-client"


def test_an_expired_token_is_401(authenticator: Authenticator, keys: Path) -> None:
    token = devtoken.mint(scopes="audits:read", tenant="886", ttl=-10, key_dir=keys)
    assert _status(authenticator, token) == 401


def test_a_token_signed_by_another_key_is_401(authenticator: Authenticator, keys: Path) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    claims = {
        "iss": devtoken.ISSUER,
        "aud": devtoken.AUDIENCE,
        "sub": "x",
        "tenant": "886",
        "scope": "audits:read",
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": devtoken.KID})
    assert _status(authenticator, token) == 401


def test_a_token_without_expiry_is_401(authenticator: Authenticator, keys: Path) -> None:
    pem = (keys / "private.pem").read_bytes()
    claims = {
        "iss": devtoken.ISSUER,
        "aud": devtoken.AUDIENCE,
        "sub": "x",
        "tenant": "886",
        "scope": "a",
    }
    token = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": devtoken.KID})
    assert _status(authenticator, token) == 401


def test_a_token_for_another_audience_or_without_tenant_is_401(
    authenticator: Authenticator, keys: Path
) -> None:
    assert (
        _status(authenticator, devtoken.mint(scopes="a", tenant="886", key_dir=keys, aud="other"))
        == 401
    )
    assert _status(authenticator, devtoken.mint(scopes="a", tenant="", key_dir=keys)) == 401


def test_garbage_is_401(authenticator: Authenticator) -> None:
    assert _status(authenticator, "not-a-jwt") == 401
